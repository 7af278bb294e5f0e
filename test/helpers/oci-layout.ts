// Builds container images locally, with no network: random tar layers (a tiny ustar writer),
// gzip (node:zlib) / zstd (the `zstd` program) / uncompressed, an image config, an image manifest
// (OCI or Docker schema 2), OCI image indexes, and OCI image layout directories that skopeo, podman
// and umoci read (`oci:DIR:REF`). Also reads layouts back (for comparing what a round trip produced).
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The OCI empty descriptor's blob `{}` and its digest (image-spec "Guidance for an Empty Descriptor"). */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

export const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  data?: string;
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** Everything needed to push or write one manifest (image, artifact or index): its bytes and all blobs it needs. */
export interface Built {
  descriptor: Descriptor;
  /** The manifest / index JSON bytes (exactly what is digested). */
  bytes: Buffer;
  json: any;
  /** Blobs (configs, layers) by digest, not including manifests. */
  blobs: Map<string, Buffer>;
  /** Manifests needed besides this one (children of an index), by digest. */
  manifests: Map<string, { mediaType: string; bytes: Buffer }>;
}

export interface BuiltLayer {
  descriptor: Descriptor;
  compression: Compression;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  bytes: Buffer;
}

export interface BuiltImage extends Built {
  config: Descriptor;
  configBytes: Buffer;
  layers: BuiltLayer[];
  platform: Platform;
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The host's architecture in OCI terms (the one podman expects when pulling without --arch). */
export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

// ---------------------------------------------------------------------------------------------
// ustar

export interface TarEntry {
  /** Path inside the archive, no leading slash; directories may end with '/'. */
  name: string;
  type?: 'file' | 'dir' | 'symlink';
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Seconds since the epoch; fixed by default so the same content gives the same tar. */
  mtime?: number;
}

function octal(n: number, width: number): string {
  // width includes the trailing NUL
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function splitName(name: string): { name: string; prefix: string } {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  // ustar: prefix (<=155) + '/' + name (<=100)
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i), rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return { name: rest, prefix };
  }
  throw new Error(`tar entry name too long for ustar: ${name}`);
}

function tarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const type = e.type ?? 'file';
  let fullName = e.name.replace(/^\/+/, '');
  if (type === 'dir' && !fullName.endsWith('/')) fullName += '/';
  const { name, prefix } = splitName(fullName);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(e.mtime ?? 1_700_000_000, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  h.write(type === 'dir' ? '5' : type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(octal(0, 8), 329, 8, 'ascii');
  h.write(octal(0, 8), 337, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** A POSIX ustar archive of the entries, ending with the two zero blocks. */
export function ustar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? (typeof e.data === 'string' ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(tarHeader(e, data.length));
    if (data.length) {
      parts.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A layer tar with a few files of random bytes under `<dir>/` (random content makes every layer distinct). */
export function randomLayerTar(opts: { dir?: string; files?: number; bytes?: number } = {}): Buffer {
  const dir = opts.dir ?? `e2e-${randomBytes(4).toString('hex')}`;
  const files = opts.files ?? 3;
  const bytes = opts.bytes ?? 64 * 1024;
  const entries: TarEntry[] = [{ name: dir, type: 'dir' }];
  for (let i = 0; i < files; i++) {
    // half random (incompressible), half text (so compression visibly does something)
    const rnd = randomBytes(Math.ceil(bytes / 2));
    const txt = Buffer.from(`file ${i} of ${dir}\n`.repeat(Math.ceil(bytes / 2 / 20))).subarray(0, Math.floor(bytes / 2));
    entries.push({ name: `${dir}/file-${i}.bin`, data: Buffer.concat([rnd, txt]) });
  }
  entries.push({ name: `${dir}/hello.txt`, data: `hello from ${dir}\n` });
  return ustar(entries);
}

export function compress(tar: Buffer, c: Compression): Buffer {
  if (c === 'none') return tar;
  if (c === 'gzip') return gzipSync(tar);
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`zstd could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`zstd failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function layerMediaType(c: Compression, format: 'oci' | 'docker'): string {
  if (format === 'docker') {
    if (c !== 'gzip') throw new Error('Docker schema 2 images are built with gzip layers only');
    return MEDIA.dockerLayerGzip;
  }
  return c === 'gzip' ? MEDIA.ociLayerGzip : c === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

/** Canonical-enough JSON bytes: what we digest is exactly what we push / write. */
export function jsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

// ---------------------------------------------------------------------------------------------
// images, artifacts, indexes

export interface ImageOptions {
  /** One entry per layer, in order; default gzip, zstd, none. `bytes` overrides layerBytes for that layer. */
  layers?: (Compression | { compression: Compression; bytes: number })[];
  /** Bytes per file in each random layer (3 files a layer). Default 64 KiB. */
  layerBytes?: number;
  platform?: Platform;
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export function buildImage(opts: ImageOptions = {}): BuiltImage {
  const format = opts.format ?? 'oci';
  const platform = opts.platform ?? { os: 'linux', architecture: hostArch() };
  const specs = opts.layers ?? ['gzip', 'zstd', 'none'];
  const blobs = new Map<string, Buffer>();
  const layers: BuiltLayer[] = specs.map((spec, i) => {
    const c = typeof spec === 'string' ? spec : spec.compression;
    const perFile = typeof spec === 'string' ? opts.layerBytes : spec.bytes;
    const tar = randomLayerTar({ dir: `layer${i}-${randomBytes(4).toString('hex')}`, bytes: perFile });
    const bytes = compress(tar, c);
    const descriptor: Descriptor = { mediaType: layerMediaType(c, format), digest: sha256(bytes), size: bytes.length };
    blobs.set(descriptor.digest, bytes);
    return { descriptor, compression: c, diffId: sha256(tar), bytes };
  });
  const created = '2024-01-01T00:00:00Z';
  const config = {
    created,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/hello'],
      Labels: { 'org.example.built-by': 'wharf-e2e', ...(opts.labels ?? {}) },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l, i) => ({ created, created_by: `wharf-e2e layer ${i} (${l.compression})` })),
  };
  const configBytes = jsonBytes(config);
  const configDesc: Descriptor = { mediaType: format === 'docker' ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: sha256(configBytes), size: configBytes.length };
  blobs.set(configDesc.digest, configBytes);
  const mediaType = format === 'docker' ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest: any = {
    schemaVersion: 2,
    mediaType,
    config: configDesc,
    layers: layers.map((l) => l.descriptor),
  };
  if (opts.annotations && format === 'oci') manifest.annotations = opts.annotations;
  const bytes = jsonBytes(manifest);
  return {
    descriptor: { mediaType, digest: sha256(bytes), size: bytes.length },
    bytes, json: manifest, blobs, manifests: new Map(),
    config: configDesc, configBytes, layers, platform,
  };
}

/**
 * An OCI artifact (image-spec 1.1): an image manifest with `artifactType`, the empty config
 * (`application/vnd.oci.empty.v1+json`, data `{}`) and the given layers, optionally with a `subject`.
 */
export function buildArtifact(opts: {
  artifactType: string;
  subject?: Descriptor;
  layers?: { mediaType: string; data: Buffer | string }[];
  annotations?: Record<string, string>;
}): Built {
  const blobs = new Map<string, Buffer>([[EMPTY_JSON_DIGEST, EMPTY_JSON]]);
  const layers = (opts.layers ?? [{ mediaType: 'application/octet-stream', data: randomBytes(256) }]).map((l) => {
    const data = typeof l.data === 'string' ? Buffer.from(l.data) : l.data;
    blobs.set(sha256(data), data);
    return { mediaType: l.mediaType, digest: sha256(data), size: data.length };
  });
  const manifest: any = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType: opts.artifactType,
    config: { mediaType: MEDIA.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2, data: 'e30=' },
    layers,
  };
  if (opts.subject) manifest.subject = { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size };
  if (opts.annotations) manifest.annotations = opts.annotations;
  const bytes = jsonBytes(manifest);
  return { descriptor: { mediaType: MEDIA.ociManifest, digest: sha256(bytes), size: bytes.length, artifactType: opts.artifactType }, bytes, json: manifest, blobs, manifests: new Map() };
}

/** An OCI image index (or Docker manifest list) over the given images, each child descriptor carrying its platform. */
export function buildIndex(children: BuiltImage[], opts: { format?: 'oci' | 'docker'; annotations?: Record<string, string> } = {}): Built {
  const mediaType = opts.format === 'docker' ? MEDIA.dockerManifestList : MEDIA.ociIndex;
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  for (const c of children) {
    for (const [d, b] of c.blobs) blobs.set(d, b);
    manifests.set(c.descriptor.digest, { mediaType: c.descriptor.mediaType, bytes: c.bytes });
  }
  const index: any = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({ ...c.descriptor, platform: c.platform })),
  };
  if (opts.annotations) index.annotations = opts.annotations;
  const bytes = jsonBytes(index);
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.length }, bytes, json: index, blobs, manifests };
}

// ---------------------------------------------------------------------------------------------
// OCI image layout directories

/**
 * Writes an OCI image layout at `dir`: `oci-layout`, every blob under blobs/sha256/, and index.json
 * naming each item by `org.opencontainers.image.ref.name` (so skopeo can address `oci:DIR:REF`).
 */
export function writeLayout(dir: string, refs: Record<string, Built>): void {
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = (digest: string, bytes: Buffer) => {
    if (sha256(bytes) !== digest) throw new Error(`blob content does not match ${digest}`);
    const p = join(blobDir, digest.slice('sha256:'.length));
    if (!existsSync(p)) writeFileSync(p, bytes);
  };
  const manifests: Descriptor[] = [];
  for (const [ref, b] of Object.entries(refs)) {
    for (const [d, bytes] of b.blobs) put(d, bytes);
    for (const [d, m] of b.manifests) put(d, m.bytes);
    put(b.descriptor.digest, b.bytes);
    const { artifactType: _ignored, ...desc } = b.descriptor;
    manifests.push({ ...desc, annotations: { ...(desc.annotations ?? {}), [REF_NAME]: ref } });
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }, null, 2));
}

export interface ReadLayout {
  dir: string;
  index: { manifests: Descriptor[] };
  /** The descriptor named `ref` in index.json. */
  resolve(ref: string): Descriptor;
  blob(digest: string): Buffer;
  json(digest: string): any;
  /** Every digest in blobs/sha256. */
  allBlobs(): string[];
}

export function readLayout(dir: string): ReadLayout {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const blob = (digest: string) => {
    const [alg, hex] = digest.split(':');
    const b = readFileSync(join(dir, 'blobs', alg, hex));
    if (sha256(b) !== digest) throw new Error(`layout blob ${digest} does not match its digest`);
    return b;
  };
  return {
    dir, index,
    resolve(ref) {
      const d = (index.manifests as Descriptor[]).find((m) => m.annotations?.[REF_NAME] === ref);
      if (!d) throw new Error(`ref ${ref} not in ${dir}/index.json: ${JSON.stringify(index)}`);
      return d;
    },
    blob,
    json: (digest) => JSON.parse(blob(digest).toString('utf8')),
    allBlobs: () => readdirSync(join(dir, 'blobs', 'sha256')).map((h) => `sha256:${h}`).sort(),
  };
}

/**
 * Every digest reachable from a manifest or index in the layout (itself, children, configs, layers),
 * as `{ digest: mediaType }`, for comparing two layouts.
 */
export function reachable(layout: ReadLayout, root: Descriptor): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: Descriptor) => {
    out.set(d.digest, d.mediaType);
    if (d.mediaType === MEDIA.ociIndex || d.mediaType === MEDIA.dockerManifestList) {
      for (const c of layout.json(d.digest).manifests as Descriptor[]) walk(c);
    } else if (d.mediaType === MEDIA.ociManifest || d.mediaType === MEDIA.dockerManifest) {
      const m = layout.json(d.digest);
      out.set(m.config.digest, m.config.mediaType);
      layout.blob(m.config.digest);
      for (const l of m.layers as Descriptor[]) { out.set(l.digest, l.mediaType); layout.blob(l.digest); }
    }
  };
  walk(root);
  return out;
}

/**
 * Writes one image in the containers/image `dir:` transport format (manifest.json, one file per blob
 * named by its hex digest, `version`). Unlike `oci:` layouts (which skopeo 1.9 only reads for OCI
 * manifests and indexes), this carries a Docker schema 2 manifest unchanged.
 */
export function writeDirTransport(dir: string, image: Built): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  for (const [d, bytes] of image.blobs) writeFileSync(join(dir, d.slice('sha256:'.length)), bytes);
  writeFileSync(join(dir, 'manifest.json'), image.bytes);
}
