// The one error catalogue: every error a client can see is registered here once, with its HTTP
// status, OCI error code and/or ECR `__type`. Transports render these; they never invent errors.

/** OCI Distribution error codes (distribution-spec "Error Codes") plus ECR's data-plane extras. */
export type OciCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID'
  | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS' | 'TAG_INVALID' | 'RANGE_INVALID' | 'PAGINATION_NUMBER_INVALID' | 'INTERNAL_ERROR';

export interface ErrorSpec<P> {
  /** Stable identifier, also the documentation anchor in docs/errors.md. */
  readonly id: string;
  readonly status: number;
  readonly oci?: OciCode;
  /** ECR/AWS JSON `__type` (without namespace). */
  readonly ecr?: string;
  readonly message: (p: P) => string;
}

/** A registered error raised anywhere in Wharf. `detail` is OCI `detail` (structured, optional). */
export class WharfError extends Error {
  constructor(
    readonly spec: ErrorSpec<any>,
    message: string,
    readonly detail?: unknown,
    /** Overrides the HTTP status for this occurrence (e.g. 416 for an out-of-order chunk). */
    readonly statusOverride?: number,
  ) {
    super(message);
    this.name = spec.id;
  }
  get status(): number { return this.statusOverride ?? this.spec.status; }
}

const registry: ErrorSpec<any>[] = [];
type Factory<P> = ((p: P, detail?: unknown, status?: number) => WharfError) & { spec: ErrorSpec<P> };

function define<P = void>(spec: ErrorSpec<P>): Factory<P> {
  registry.push(spec);
  const f = ((p: P, detail?: unknown, status?: number) => new WharfError(spec, spec.message(p), detail, status)) as Factory<P>;
  f.spec = spec;
  return f;
}

type RepoP = { repo: string; registryId: string };

export const errors = {
  // --- OCI distribution-spec codes ---
  blobUnknown: define<{ digest: string }>({ id: 'BlobUnknown', status: 404, oci: 'BLOB_UNKNOWN', ecr: 'LayersNotFoundException',
    message: (p) => `blob unknown to registry: ${p.digest}` }),
  blobUploadInvalid: define<{ reason: string }>({ id: 'BlobUploadInvalid', status: 400, oci: 'BLOB_UPLOAD_INVALID', ecr: 'InvalidLayerPartException',
    message: (p) => `blob upload invalid: ${p.reason}` }),
  blobUploadUnknown: define<{ uploadId: string }>({ id: 'BlobUploadUnknown', status: 404, oci: 'BLOB_UPLOAD_UNKNOWN', ecr: 'UploadNotFoundException',
    message: (p) => `blob upload unknown to registry: ${p.uploadId}` }),
  digestInvalid: define<{ reason: string }>({ id: 'DigestInvalid', status: 400, oci: 'DIGEST_INVALID', ecr: 'InvalidLayerException',
    message: (p) => `provided digest did not match uploaded content: ${p.reason}` }),
  manifestBlobUnknown: define<{ digest: string }>({ id: 'ManifestBlobUnknown', status: 400, oci: 'MANIFEST_BLOB_UNKNOWN', ecr: 'LayersNotFoundException',
    message: (p) => `manifest references a blob or manifest unknown to this repository: ${p.digest}` }),
  manifestInvalid: define<{ reason: string }>({ id: 'ManifestInvalid', status: 400, oci: 'MANIFEST_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `manifest invalid: ${p.reason}` }),
  manifestUnknown: define<void>({ id: 'ManifestUnknown', status: 404, oci: 'MANIFEST_UNKNOWN', ecr: 'ImageNotFoundException',
    message: () => 'Requested image not found' }),
  nameInvalid: define<{ name: string; reason: string }>({ id: 'NameInvalid', status: 400, oci: 'NAME_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `invalid repository name '${p.name}': ${p.reason}` }),
  repositoryNotFound: define<RepoP>({ id: 'RepositoryNotFound', status: 404, oci: 'NAME_UNKNOWN', ecr: 'RepositoryNotFoundException',
    message: (p) => `The repository with name '${p.repo}' does not exist in the registry with id '${p.registryId}'` }),
  sizeInvalid: define<{ reason: string }>({ id: 'SizeInvalid', status: 400, oci: 'SIZE_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `provided length did not match content length: ${p.reason}` }),
  unauthorized: define<void>({ id: 'Unauthorized', status: 401, oci: 'UNAUTHORIZED', ecr: 'MissingAuthenticationTokenException',
    message: () => 'Not Authorized' }),
  denied: define<{ reason: string }>({ id: 'Denied', status: 403, oci: 'DENIED', ecr: 'AccessDeniedException',
    message: (p) => p.reason }),
  unsupported: define<{ what: string }>({ id: 'Unsupported', status: 405, oci: 'UNSUPPORTED', ecr: 'UnsupportedCommandException',
    message: (p) => `The operation is unsupported: ${p.what}` }),
  tooManyRequests: define<void>({ id: 'TooManyRequests', status: 429, oci: 'TOOMANYREQUESTS', ecr: 'ThrottlingException',
    message: () => 'Rate exceeded' }),
  // --- range and upload-order errors (416) ---
  rangeNotSatisfiable: define<{ range: string; size: number }>({ id: 'RangeNotSatisfiable', status: 416, oci: 'RANGE_INVALID',
    message: (p) => `requested range '${p.range}' not satisfiable for content of ${p.size} bytes` }),
  uploadOutOfOrder: define<{ expected: number; got: string }>({ id: 'UploadOutOfOrder', status: 416, oci: 'BLOB_UPLOAD_INVALID', ecr: 'InvalidLayerPartException',
    message: (p) => `chunk out of order: expected a range starting at ${p.expected}, got '${p.got}'` }),
  // --- ECR data-plane specifics ---
  tagInvalid: define<{ tag: string; repo: string }>({ id: 'TagImmutable', status: 400, oci: 'TAG_INVALID', ecr: 'ImageTagAlreadyExistsException',
    message: (p) => `The image tag '${p.tag}' already exists in the '${p.repo}' repository and cannot be overwritten because the tag is immutable.` }),
  tagNameInvalid: define<{ tag: string }>({ id: 'TagNameInvalid', status: 400, oci: 'TAG_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `invalid tag '${p.tag}': must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}` }),
  manifestTooLarge: define<{ limit: number }>({ id: 'ManifestTooLarge', status: 413, oci: 'SIZE_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `manifest exceeds the ${p.limit}-byte limit` }),
  repositoryAlreadyExists: define<RepoP>({ id: 'RepositoryAlreadyExists', status: 400, ecr: 'RepositoryAlreadyExistsException',
    message: (p) => `The repository with name '${p.repo}' already exists in the registry with id '${p.registryId}'` }),
  paginationInvalid: define<{ reason: string }>({ id: 'PaginationInvalid', status: 400, oci: 'PAGINATION_NUMBER_INVALID', ecr: 'InvalidParameterException',
    message: (p) => `invalid pagination parameter: ${p.reason}` }),
  internal: define<void>({ id: 'Internal', status: 500, oci: 'INTERNAL_ERROR', ecr: 'ServerException',
    message: () => 'internal server error' }),
};

/** Every registered error spec; docs/errors.md must list each `id` (a test checks). */
export function allErrorSpecs(): readonly ErrorSpec<any>[] { return registry; }
