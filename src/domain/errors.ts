// The one error catalogue: every error a client can see is registered here once, with its HTTP
// status, OCI error code, ECR `__type` and/or AWS Query-protocol `Code` (IAM, STS). Transports render
// these; they never invent errors.

/** OCI Distribution error codes (distribution-spec "Error Codes") plus ECR's data-plane extras. */
export type OciCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID'
  | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS' | 'TAG_INVALID' | 'RANGE_INVALID' | 'NOT_FOUND' | 'PAGINATION_NUMBER_INVALID' | 'INTERNAL_ERROR' | 'UNAVAILABLE';

export interface ErrorSpec<P> {
  /** Stable identifier, also the documentation anchor in docs/errors.md. */
  readonly id: string;
  readonly status: number;
  readonly oci?: OciCode;
  /** ECR/AWS JSON `__type` (without namespace). */
  readonly ecr?: string;
  readonly query?: string;
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
    /** Extra members of the ECR error shape (e.g. InvalidLayerPartException's lastValidByteReceived). */
    readonly ecrFields?: Record<string, unknown>,
  ) {
    super(message);
    this.name = spec.id;
  }
  get status(): number { return this.statusOverride ?? this.spec.status; }
}

const registry: ErrorSpec<any>[] = [];
type Factory<P> = ((p: P, detail?: unknown, status?: number, ecrFields?: Record<string, unknown>) => WharfError) & { spec: ErrorSpec<P> };

function define<P = void>(spec: ErrorSpec<P>): Factory<P> {
  registry.push(spec);
  const f = ((p: P, detail?: unknown, status?: number, ecrFields?: Record<string, unknown>) =>
    new WharfError(spec, spec.message(p), detail, status, ecrFields)) as Factory<P>;
  f.spec = spec;
  return f;
}

type RepoP = { repo: string; registryId: string };

/** What NoSuchEntity says is missing. */
export type IamMissing =
  | { kind: 'user' | 'role' | 'group' | 'login-profile' | 'user-policy' | 'role-policy'; name: string }
  | { kind: 'policy' | 'attachable-policy' | 'oidc-provider'; arn: string }
  | { kind: 'policy-version'; arn: string; versionId: string }
  | { kind: 'access-key'; id: string };

function noSuchEntityText(p: IamMissing): string {
  switch (p.kind) {
    case 'user': return `The user with name ${p.name} cannot be found.`;
    case 'role': return `The role with name ${p.name} cannot be found.`;
    case 'group': return `The group with name ${p.name} cannot be found.`;
    case 'login-profile': return `Login Profile for User ${p.name} cannot be found.`;
    case 'user-policy': return `The user policy with name ${p.name} cannot be found.`;
    case 'role-policy': return `The role policy with name ${p.name} cannot be found.`;
    case 'policy': return `Policy ${p.arn} was not found.`;
    case 'attachable-policy': return `Policy ${p.arn} does not exist or is not attachable.`;
    case 'oidc-provider': return `OpenIDConnect Provider not found for arn ${p.arn}`;
    case 'policy-version': return `Policy ${p.arn} version ${p.versionId} does not exist or is not attachable.`;
    case 'access-key': return `The Access Key with id ${p.id} cannot be found.`;
  }
}

/** What EntityAlreadyExists says exists. */
export type IamExisting = { kind: 'user' | 'role' | 'policy'; name: string } | { kind: 'oidc-provider'; url: string };

function alreadyExistsText(p: IamExisting): string {
  switch (p.kind) {
    case 'user': return `User with name ${p.name} already exists.`;
    case 'role': return `Role with name ${p.name} already exists.`;
    case 'policy': return `A policy called ${p.name} already exists. Duplicate names are not allowed.`;
    case 'oidc-provider': return `Provider with url ${p.url} already exists.`;
  }
}

/** Why IAM refuses a delete (DeleteConflict). */
export type IamDeleteConflict = 'access-keys' | 'inline-policies' | 'attached-policies' | 'policy-attached' | 'policy-versions' | 'default-version';

const DELETE_CONFLICT_TEXT: Record<IamDeleteConflict, string> = {
  'access-keys': 'Cannot delete entity, must delete access keys first.',
  'inline-policies': 'Cannot delete entity, must delete policies first.',
  'attached-policies': 'Cannot delete entity, must detach all policies first.',
  'policy-attached': 'Cannot delete a policy attached to entities.',
  'policy-versions': "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
  'default-version': 'Cannot delete the default version of a policy.',
};

/** An IAM quota (LimitExceeded). */
export type IamLimit =
  | { kind: 'quota'; quota: string; max: number }
  | { kind: 'policy-versions' }
  | { kind: 'inline-size'; entity: 'user' | 'role'; name: string; max: number };

function limitText(p: IamLimit): string {
  if (p.kind === 'quota') return `Cannot exceed quota for ${p.quota}: ${p.max}`;
  if (p.kind === 'policy-versions') return 'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.';
  return `Maximum policy size of ${p.max} bytes exceeded for ${p.entity} ${p.name}`;
}

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
  denied: define<{ reason: string }>({ id: 'Denied', status: 403, oci: 'DENIED', ecr: 'AccessDeniedException', query: 'AccessDenied',
    message: (p) => p.reason }),
  unsupported: define<{ what: string }>({ id: 'Unsupported', status: 405, oci: 'UNSUPPORTED', ecr: 'UnsupportedCommandException',
    message: (p) => `The operation is unsupported: ${p.what}` }),
  tooManyRequests: define<void>({ id: 'TooManyRequests', status: 429, oci: 'TOOMANYREQUESTS', ecr: 'ThrottlingException', query: 'Throttling',
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
  // --- registry login (Basic "AWS:<token>") ---
  tokenInvalid: define<void>({ id: 'TokenInvalid', status: 403, oci: 'DENIED', ecr: 'AccessDeniedException',
    message: () => 'Your Authorization Token is invalid.' }),
  tokenExpired: define<void>({ id: 'TokenExpired', status: 403, oci: 'DENIED', ecr: 'ExpiredTokenException',
    message: () => 'Your authorization token has expired. Reauthenticate and try again.' }),
  // --- AWS front-door errors (SigV4, operations; the Query protocol answers some with another status, see http/aws/xml.ts) ---
  missingAuthenticationToken: define<void>({ id: 'MissingAuthenticationToken', status: 400, ecr: 'MissingAuthenticationTokenException', query: 'MissingAuthenticationToken',
    message: () => 'Missing Authentication Token' }),
  incompleteSignature: define<{ reason: string }>({ id: 'IncompleteSignature', status: 400, ecr: 'IncompleteSignatureException', query: 'IncompleteSignature',
    message: (p) => p.reason }),
  invalidSignature: define<{ reason: string }>({ id: 'InvalidSignature', status: 400, ecr: 'InvalidSignatureException', query: 'SignatureDoesNotMatch',
    message: (p) => p.reason }),
  unrecognizedClient: define<void>({ id: 'UnrecognizedClient', status: 400, ecr: 'UnrecognizedClientException', query: 'InvalidClientTokenId',
    message: () => 'The security token included in the request is invalid.' }),
  sessionExpired: define<void>({ id: 'SessionExpired', status: 400, ecr: 'ExpiredTokenException', query: 'ExpiredToken',
    message: () => 'The security token included in the request is expired' }),
  unknownOperation: define<{ target: string }>({ id: 'UnknownOperation', status: 400, ecr: 'UnknownOperationException', query: 'InvalidAction',
    message: (p) => `Unknown operation ${p.target}` }),
  notImplemented: define<{ service: string; operation: string }>({ id: 'NotImplemented', status: 400, ecr: 'UnsupportedCommandException', query: 'InvalidAction',
    message: (p) => `Wharf does not implement the ${p.service} operation '${p.operation}' yet.` }),
  serialization: define<{ reason: string }>({ id: 'Serialization', status: 400, ecr: 'SerializationException',
    message: (p) => p.reason }),
  validation: define<{ violations: readonly string[] }>({ id: 'Validation', status: 400, ecr: 'ValidationException', query: 'ValidationError',
    message: (p) => `${p.violations.length} validation error${p.violations.length === 1 ? '' : 's'} detected: ${p.violations.join('; ')}` }),
  invalidParameter: define<{ field: string; reason: string }>({ id: 'InvalidParameter', status: 400, ecr: 'InvalidParameterException',
    message: (p) => `Invalid parameter at '${p.field}' failed to satisfy constraint: '${p.reason}'` }),
  invalidParameterMessage: define<{ message: string }>({ id: 'InvalidParameterMessage', status: 400, ecr: 'InvalidParameterException',
    message: (p) => p.message }),
  // --- the Query protocol's own (IAM, STS: form-encoded Action and Version) ---
  missingAction: define<void>({ id: 'MissingAction', status: 400, query: 'MissingAction',
    message: () => 'The request must contain the parameter Action.' }),
  missingParameter: define<{ name: string }>({ id: 'MissingParameter', status: 400, query: 'MissingParameter',
    message: (p) => `The request must contain the parameter ${p.name}.` }),
  invalidAction: define<{ action: string; version: string }>({ id: 'InvalidAction', status: 400, query: 'InvalidAction',
    message: (p) => `Could not find operation ${p.action} for version ${p.version}` }),
  requestEntityTooLarge: define<{ limit: number }>({ id: 'RequestEntityTooLarge', status: 413, query: 'RequestEntityTooLarge',
    message: (p) => `Request body exceeds ${p.limit} bytes, the most a Query-protocol request accepts.` }),
  // --- ECR resource errors ---
  repositoryNotEmpty: define<RepoP>({ id: 'RepositoryNotEmpty', status: 400, ecr: 'RepositoryNotEmptyException',
    message: (p) => `The repository with name '${p.repo}' in registry with id '${p.registryId}' cannot be deleted because it still contains images` }),
  repositoryPolicyNotFound: define<RepoP>({ id: 'RepositoryPolicyNotFound', status: 400, ecr: 'RepositoryPolicyNotFoundException',
    message: (p) => `Repository policy does not exist for the repository with name '${p.repo}' in the registry with id '${p.registryId}'` }),
  registryPolicyNotFound: define<{ registryId: string }>({ id: 'RegistryPolicyNotFound', status: 400, ecr: 'RegistryPolicyNotFoundException',
    message: (p) => `Registry policy does not exist in the registry with id '${p.registryId}'` }),
  imageNotFound: define<RepoP & { imageDigest?: string; imageTag?: string }>({ id: 'ImageNotFound', status: 400, ecr: 'ImageNotFoundException',
    message: (p) => `The image with imageId {imageDigest:'${p.imageDigest ?? 'null'}', imageTag:'${p.imageTag ?? 'null'}'} does not exist within the repository with name '${p.repo}' in the registry with id '${p.registryId}'` }),
  imageAlreadyExists: define<RepoP & { digest: string; tag: string }>({ id: 'ImageAlreadyExists', status: 400, ecr: 'ImageAlreadyExistsException',
    message: (p) => `Image with digest '${p.digest}' and tag '${p.tag}' already exists in the repository with name '${p.repo}' in registry with id '${p.registryId}'` }),
  layersNotFound: define<RepoP & { digests: readonly string[] }>({ id: 'LayersNotFound', status: 400, ecr: 'LayersNotFoundException',
    message: (p) => `Layers with digests '[${p.digests.join(', ')}]' required for pushing image into repository with name '${p.repo}' in the registry with id '${p.registryId}' do not exist` }),
  referencedImagesNotFound: define<RepoP & { digests: readonly string[] }>({ id: 'ReferencedImagesNotFound', status: 400, ecr: 'ReferencedImagesNotFoundException',
    message: (p) => `Manifests with digests '[${p.digests.join(', ')}]' referenced by the image are not in the repository with name '${p.repo}' in the registry with id '${p.registryId}'` }),
  imageDigestDoesNotMatch: define<{ given: string; computed: string }>({ id: 'ImageDigestDoesNotMatch', status: 400, ecr: 'ImageDigestDoesNotMatchException',
    message: (p) => `Provided image digest '${p.given}' does not match the digest of the manifest '${p.computed}'` }),
  layerAlreadyExists: define<RepoP & { digest: string }>({ id: 'LayerAlreadyExists', status: 400, ecr: 'LayerAlreadyExistsException',
    message: (p) => `Layer with digest '${p.digest}' already exists in the repository with name '${p.repo}' in registry with id '${p.registryId}'` }),
  emptyUpload: define<{ uploadId: string }>({ id: 'EmptyUpload', status: 400, ecr: 'EmptyUploadException',
    message: (p) => `The specified layer upload with id '${p.uploadId}' does not contain any layer parts.` }),
  layerInaccessible: define<{ digest: string }>({ id: 'LayerInaccessible', status: 400, ecr: 'LayerInaccessibleException',
    message: (p) => `The specified layer '${p.digest}' is not accessible.` }),
  invalidTagParameter: define<{ reason: string }>({ id: 'InvalidTagParameter', status: 400, ecr: 'InvalidTagParameterException',
    message: (p) => p.reason }),
  tooManyTags: define<{ max: number }>({ id: 'TooManyTags', status: 400, ecr: 'TooManyTagsException',
    message: (p) => `A resource can have at most ${p.max} tags.` }),
  limitExceeded: define<{ reason: string }>({ id: 'LimitExceeded', status: 400, ecr: 'LimitExceededException',
    message: (p) => p.reason }),
  // --- ECR layer API and presigned blob URLs ---
  layerPartInvalid: define<{ reason: string }>({ id: 'InvalidLayerPart', status: 400, ecr: 'InvalidLayerPartException',
    message: (p) => `The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload: ${p.reason}` }),
  downloadUrlInvalid: define<void>({ id: 'DownloadUrlInvalid', status: 403, oci: 'DENIED',
    message: () => 'The download URL is invalid: its signature does not match.' }),
  downloadUrlExpired: define<void>({ id: 'DownloadUrlExpired', status: 403, oci: 'DENIED',
    message: () => 'The download URL has expired. Ask GetDownloadUrlForLayer for a new one.' }),
  // --- lifecycle policies ---
  lifecyclePolicyNotFound: define<RepoP>({ id: 'LifecyclePolicyNotFound', status: 400, ecr: 'LifecyclePolicyNotFoundException',
    message: (p) => `Lifecycle policy does not exist for the repository with name '${p.repo}' in the registry with id '${p.registryId}'` }),
  lifecyclePolicyPreviewInProgress: define<void>({ id: 'LifecyclePolicyPreviewInProgress', status: 400, ecr: 'LifecyclePolicyPreviewInProgressException',
    message: () => 'The previous lifecycle policy preview request has not completed. Wait and try again.' }),
  lifecyclePolicyPreviewNotFound: define<RepoP>({ id: 'LifecyclePolicyPreviewNotFound', status: 400, ecr: 'LifecyclePolicyPreviewNotFoundException',
    message: (p) => `Lifecycle policy preview does not exist for the repository with name '${p.repo}' in the registry with id '${p.registryId}'` }),
  // --- archive storage class and pull-time update exclusions ---
  imageStorageClassUpdateNotSupported: define<{ reason: string }>({ id: 'ImageStorageClassUpdateNotSupported', status: 400, ecr: 'ImageStorageClassUpdateNotSupportedException',
    message: (p) => `The requested image storage class update is not supported: ${p.reason}` }),
  exclusionAlreadyExists: define<{ principalArn: string; registryId: string }>({ id: 'ExclusionAlreadyExists', status: 400, ecr: 'ExclusionAlreadyExistsException',
    message: (p) => `The pull time update exclusion for principal '${p.principalArn}' already exists in the registry with id '${p.registryId}'` }),
  exclusionNotFound: define<{ principalArn: string; registryId: string }>({ id: 'ExclusionNotFound', status: 400, ecr: 'ExclusionNotFoundException',
    message: (p) => `The pull time update exclusion for principal '${p.principalArn}' does not exist in the registry with id '${p.registryId}'` }),
  // --- garbage collection ---
  blobBeingCollected: define<{ digest: string }>({ id: 'BlobBeingCollected', status: 503, oci: 'UNAVAILABLE', ecr: 'ServerException',
    message: (p) => `blob ${p.digest} is being garbage-collected; push it again` }),
  imageReferencedByIndex: define<{ digest: string }>({ id: 'ImageReferencedByIndex', status: 409, oci: 'DENIED', ecr: 'InvalidParameterException',
    message: (p) => `The image ${p.digest} is referenced by an index (manifest list) in this repository; delete the index first` }),
  // --- storage ---
  storageFull: define<{ store: string }>({ id: 'StorageFull', status: 507, oci: 'UNAVAILABLE', ecr: 'ServerException',
    message: (p) => `insufficient storage: the registry's ${p.store} is out of space and stored nothing for this request; retry once space is freed` }),
  routeNotFound: define<{ method: string; path: string }>({ id: 'RouteNotFound', status: 404, oci: 'NOT_FOUND', ecr: 'UnknownOperationException',
    message: (p) => `no route for ${p.method} ${p.path}` }),
  requestRejected: define<{ reason: string }>({ id: 'RequestRejected', status: 400, oci: 'UNSUPPORTED', ecr: 'SerializationException',
    message: (p) => p.reason }),
  blobReferenced: define<{ digest: string }>({ id: 'BlobReferenced', status: 409, oci: 'DENIED',
    message: (p) => `blob ${p.digest} is referenced by a manifest in this repository; delete the manifests that use it first` }),
  // --- the HTTP layer's own answers (no handler ran) ---
  headersTooLarge: define<{ limit: number }>({ id: 'HeadersTooLarge', status: 431, oci: 'UNSUPPORTED', ecr: 'SerializationException',
    message: (p) => `request header fields too large: the request line and headers exceed ${p.limit} bytes` }),
  requestTimeout: define<void>({ id: 'RequestTimeout', status: 408, oci: 'UNSUPPORTED', ecr: 'SerializationException',
    message: () => 'the request was not received completely in time' }),
  expectationFailed: define<{ expect: string }>({ id: 'ExpectationFailed', status: 417, oci: 'UNSUPPORTED', ecr: 'SerializationException',
    message: (p) => `unsupported Expect header '${p.expect}': only 100-continue is understood` }),
  shuttingDown: define<void>({ id: 'ShuttingDown', status: 503, oci: 'UNAVAILABLE', ecr: 'ServiceUnavailableException', query: 'ServiceUnavailable',
    message: () => 'the server is shutting down; retry on another connection' }),
  internal: define<void>({ id: 'Internal', status: 500, oci: 'INTERNAL_ERROR', ecr: 'ServerException', query: 'InternalFailure',
    message: () => 'internal server error' }),
  // --- IAM (Query protocol; `query` is the <Code> of the XML error) ---
  iamNoSuchEntity: define<IamMissing>({ id: 'IamNoSuchEntity', status: 404, query: 'NoSuchEntity', message: noSuchEntityText }),
  iamEntityAlreadyExists: define<IamExisting>({ id: 'IamEntityAlreadyExists', status: 409, query: 'EntityAlreadyExists', message: alreadyExistsText }),
  iamDeleteConflict: define<{ reason: IamDeleteConflict }>({ id: 'IamDeleteConflict', status: 409, query: 'DeleteConflict',
    message: (p) => DELETE_CONFLICT_TEXT[p.reason] }),
  iamLimitExceeded: define<IamLimit>({ id: 'IamLimitExceeded', status: 409, query: 'LimitExceeded', message: limitText }),
  iamMalformedPolicyDocument: define<{ reason: string }>({ id: 'IamMalformedPolicyDocument', status: 400, query: 'MalformedPolicyDocument',
    message: (p) => p.reason }),
  iamInvalidInput: define<{ reason: string }>({ id: 'IamInvalidInput', status: 400, query: 'InvalidInput', message: (p) => p.reason }),
  iamValidation: define<{ violations: readonly string[] }>({ id: 'IamValidationError', status: 400, query: 'ValidationError',
    message: (p) => `${p.violations.length} validation error${p.violations.length === 1 ? '' : 's'} detected: ${p.violations.join('; ')}` }),
  // --- STS (Query protocol) ---
  invalidIdentityToken: define<{ reason: string }>({ id: 'InvalidIdentityToken', status: 400, query: 'InvalidIdentityToken', message: (p) => p.reason }),
  webIdentityTokenExpired: define<{ now: Date; expiresAt: Date }>({ id: 'WebIdentityTokenExpired', status: 400, query: 'ExpiredTokenException',
    message: (p) => `Token expired: current date/time ${p.now.toISOString()} must be before the expiration date/time ${p.expiresAt.toISOString()}` }),
  idpRejectedClaim: define<{ reason: string }>({ id: 'IDPRejectedClaim', status: 403, query: 'IDPRejectedClaim', message: (p) => p.reason }),
  packedPolicyTooLarge: define<{ percent: number }>({ id: 'PackedPolicyTooLarge', status: 400, query: 'PackedPolicyTooLarge',
    message: (p) => `Packed policy consumes ${p.percent}% of allotted space, please use smaller policy.` }),
  iamUnmodifiableEntity: define<{ arn: string }>({ id: 'IamUnmodifiableEntity', status: 400, query: 'UnmodifiableEntity',
    message: (p) => `Cannot modify the AWS managed policy ${p.arn}.` }),
};

/** Every registered error spec; docs/errors.md must list each `id` (a test checks). */
export function allErrorSpecs(): readonly ErrorSpec<any>[] { return registry; }

/**
 * True for StorageFull: a full disk, already logged once by the store (services/storage-health.ts),
 * which callers that can go on without their write (pull times, background jobs) treat as routine.
 */
export function isStorageFull(err: unknown): boolean {
  return err instanceof WharfError && err.spec === errors.storageFull.spec;
}
