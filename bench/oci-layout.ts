// Builds the OCI image layout directory (config + random-data tar.gz layers) that the skopeo workload copies.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { BlobSource, MiB, sha256 } from './data.ts';
import { OCI_CONFIG, OCI_MANIFEST } from './oci.ts';

const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A ustar header for one regular file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (off: number, len: number, s: string) => h.write(s, off, len, 'ascii');
  put(0, 100, name);
  put(100, 8, '0000644\0');
  put(108, 8, '0000000\0');
  put(116, 8, '0000000\0');
  put(124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  put(136, 12, `${(1_700_000_000).toString(8).padStart(11, '0')}\0`);
  put(148, 8, '        ');
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** The uncompressed tar of one file holding `src`'s bytes. */
async function* tarOf(src: BlobSource, name: string): AsyncIterable<Buffer> {
  yield tarHeader(name, src.size);
  yield* src.stream()();
  const pad = (512 - (src.size % 512)) % 512;
  yield Buffer.alloc(pad + 1024); // padding + two zero blocks end the archive
}

function hashing(h: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Writes one gzip layer (level 0: stored blocks, fast; random data would not shrink anyway) into blobs/. */
async function writeLayer(blobs: string, src: BlobSource, name: string): Promise<{ desc: Descriptor; diffId: string }> {
  const tmp = join(blobs, `.tmp-${src.seed}`);
  const raw = createHash('sha256'), gz = createHash('sha256');
  const rawCount = { n: 0 }, gzCount = { n: 0 };
  await pipeline(Readable.from(tarOf(src, name)), hashing(raw, rawCount), createGzip({ level: 0 }), hashing(gz, gzCount), createWriteStream(tmp));
  const hex = gz.digest('hex');
  renameSync(tmp, join(blobs, hex));
  return { desc: { mediaType: OCI_LAYER_GZIP, digest: `sha256:${hex}`, size: gzCount.n }, diffId: `sha256:${raw.digest('hex')}` };
}

function writeJsonBlob(blobs: string, value: unknown, mediaType: string): Descriptor {
  const data = Buffer.from(JSON.stringify(value));
  const digest = sha256(data);
  writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
  return { mediaType, digest, size: data.length };
}

export interface Layout {
  dir: string;
  tag: string;
  manifestDigest: string;
  bytes: number;
}

/** An OCI layout at `dir` holding one image tagged `tag` of ~totalBytes in `layers` layers (each a multiple of 1 MiB). */
export async function buildLayout(dir: string, tag: string, totalBytes: number, layers: number, seedBase: number): Promise<Layout> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const per = Math.max(MiB, Math.floor(totalBytes / layers / MiB) * MiB);
  const descs: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layers; i++) {
    const { desc, diffId } = await writeLayer(blobs, new BlobSource(seedBase + i, per), `layer${i}.bin`);
    descs.push(desc);
    diffIds.push(diffId);
  }
  const config = writeJsonBlob(blobs, {
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'wharf bench' })),
  }, OCI_CONFIG);
  const manifest = writeJsonBlob(blobs, { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: descs }, OCI_MANIFEST);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { dir, tag, manifestDigest: manifest.digest, bytes: descs.reduce((s, d) => s + d.size, 0) + config.size + manifest.size };
}
