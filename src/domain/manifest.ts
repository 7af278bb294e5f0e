// Manifest parsing and validation: the shape rules for Docker schema 2, manifest lists, OCI image
// manifests, indexes and artifacts. Pure: bytes in, a description of what the manifest references out.
import { createHash } from 'node:crypto';
import { errors } from './errors.ts';
import { tryParseDigest, type DigestAlgorithm } from './digest.ts';
import { MT, MANIFEST_TYPES, isIndexType, isNonDistributable } from './media-types.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: unknown;
}

export interface ParsedManifest {
  mediaType: string;
  /** sha256 of the exact bytes received. */
  digest: string;
  size: number;
  /** Blobs that must be present in the repository (config and distributable layers). */
  blobs: Descriptor[];
  /** Child manifests of an index, which must be present in the repository. */
  children: Descriptor[];
  subject?: Descriptor;
  /** artifactType, or the config media type for image manifests (what referrers report). */
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
}

/** The default manifest size limit: 4 MiB, as ECR and Distribution enforce. */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

export function sha256Digest(bytes: Uint8Array): string {
  return digestOf(bytes, 'sha256');
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function fail(reason: string): never {
  throw errors.manifestInvalid({ reason });
}

function descriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length === 0) fail(`${where}.mediaType must be a non-empty string`);
  if (typeof d.digest !== 'string' || !tryParseDigest(d.digest)) fail(`${where}.digest is not a valid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) fail(`${where}.size must be a non-negative integer`);
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') fail(`${where}.artifactType must be a string`);
  if (d.urls !== undefined) checkUrls(d.urls, `${where}.urls`);
  if (d.annotations !== undefined) checkAnnotations(d.annotations, `${where}.annotations`);
  return d as unknown as Descriptor;
}

/** `urls` must be an array of absolute http(s) URLs without a fragment (as Distribution requires). */
function checkUrls(v: unknown, where: string): void {
  if (!Array.isArray(v)) fail(`${where} must be an array`);
  v.forEach((u, i) => {
    let url: URL | undefined;
    try {
      url = typeof u === 'string' ? new URL(u) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hash !== '' || u.includes('#')) {
      fail(`${where}[${i}] must be an http or https URL without a fragment`);
    }
  });
}

function checkAnnotations(v: unknown, where: string): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object`);
  for (const [k, val] of Object.entries(v)) if (typeof val !== 'string') fail(`${where}.${k} must be a string`);
}

/**
 * Parses manifest bytes received with `contentType` (the request's Content-Type, possibly empty).
 * Throws MANIFEST_INVALID for malformed JSON, schema 1, unknown or contradictory media types.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('a manifest must be a JSON object');
  const m = doc as Record<string, unknown>;
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === MT.dockerSchema1 || ct === MT.dockerSchema1Signed || m.schemaVersion === 1) {
    fail('Docker image manifest schema 1 is not supported; push schema 2 or OCI (e.g. `skopeo copy --format v2s2`)');
  }
  if (m.schemaVersion !== 2) fail('schemaVersion must be 2');
  if (m.mediaType !== undefined && typeof m.mediaType !== 'string') fail('mediaType must be a string');
  let mediaType = m.mediaType as string | undefined;
  const ctKnown = MANIFEST_TYPES.includes(ct);
  if (mediaType && ctKnown && mediaType !== ct) fail(`mediaType '${mediaType}' does not match Content-Type '${ct}'`);
  if (!mediaType) {
    if (ctKnown) mediaType = ct;
    else if (Array.isArray(m.manifests)) mediaType = MT.ociIndex;
    else if (m.config !== undefined) mediaType = MT.ociManifest;
    else fail('cannot determine the manifest media type (no mediaType field and no known Content-Type)');
  }
  if (!MANIFEST_TYPES.includes(mediaType)) fail(`unsupported manifest media type '${mediaType}'`);
  if (m.annotations !== undefined) checkAnnotations(m.annotations, 'annotations');
  if (m.artifactType !== undefined && typeof m.artifactType !== 'string') fail('artifactType must be a string');

  const out: ParsedManifest = {
    mediaType, digest: sha256Digest(bytes), size: bytes.length, blobs: [], children: [],
    annotations: m.annotations as Record<string, string> | undefined,
  };
  if (m.subject !== undefined) out.subject = descriptor(m.subject, 'subject');

  if (isIndexType(mediaType)) {
    if (!Array.isArray(m.manifests)) fail('an index must have a manifests array');
    out.children = m.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    out.artifactType = m.artifactType as string | undefined;
  } else {
    out.blobs.push(descriptor(m.config, 'config'));
    if (!Array.isArray(m.layers)) fail('layers must be an array');
    const layers = m.layers.map((d, i) => descriptor(d, `layers[${i}]`));
    // Only a foreign layer with somewhere else to fetch it from may be absent; every other layer
    // (urls or not) must be in the repository.
    for (const l of layers) if (!(isNonDistributable(l.mediaType) && l.urls && l.urls.length > 0)) out.blobs.push(l);
    out.configMediaType = out.blobs[0].mediaType;
    out.artifactType = (m.artifactType as string | undefined) ?? out.configMediaType;
  }
  return out;
}

/**
 * The media type a stored image manifest gives blob `digest`: a layer's descriptor first, else the
 * config's. Undefined when the manifest does not name the blob (or is not an image manifest).
 */
export function mediaTypeOfBlob(bytes: Uint8Array, digest: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const m = doc as { config?: Partial<Descriptor>; layers?: unknown };
  const layers = Array.isArray(m.layers) ? (m.layers as Partial<Descriptor>[]) : [];
  for (const d of [...layers, m.config]) {
    if (d && typeof d === 'object' && d.digest === digest && typeof d.mediaType === 'string') return d.mediaType;
  }
  return undefined;
}
