// skopeo against a live Wharf: an OCI image with gzip, zstd and uncompressed layers goes in from an
// OCI layout and comes back out byte-identical; a Docker schema 2 image goes in and out unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireTools } from '../helpers/tools.ts';
import { buildImage, writeLayout, writeDirTransport, readLayout, reachable, sha256, MEDIA } from '../helpers/oci-layout.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { startRegistry, tempDir, skopeo } from './support.ts';

test('skopeo: OCI image with gzip, zstd and uncompressed layers round-trips with identical digests', { timeout: 110_000 }, async (t) => {
  if (!requireTools(t, 'skopeo', 'zstd')) return;
  const repo = 'e2e/skopeo';
  const reg = await startRegistry(t, [repo]);
  const client = new RegistryClient(reg.url);
  const work = tempDir(t, 'skopeo');

  // The uncompressed layer is ~6 MiB, past common default request-body limits (1 MiB in fastify).
  const image = buildImage({ layers: ['gzip', 'zstd', { compression: 'none', bytes: 2 << 20 }], layerBytes: 96 * 1024 });
  const src = join(work, 'src');
  writeLayout(src, { v1: image });
  const dest = `docker://${reg.hostPort}/${repo}:v1`;

  await t.test('push: skopeo copy --preserve-digests oci:DIR:v1 docker://…', async () => {
    await skopeo(['copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${src}:v1`, dest]);
    // What the registry now serves under the tag is exactly the manifest we built.
    const m = await client.getManifest(repo, 'v1', [MEDIA.ociManifest]);
    assert.equal(m.status, 200, m.describe());
    assert.equal(m.headers.get('content-type'), MEDIA.ociManifest, m.describe());
    assert.equal(m.headers.get('docker-content-digest'), image.descriptor.digest, m.describe());
    assert.equal(sha256(m.body), image.descriptor.digest, 'manifest bytes must be stored exactly as pushed');
    for (const l of image.layers) {
      const h = await client.headBlob(repo, l.descriptor.digest);
      assert.equal(h.status, 200, `${l.compression} layer: ${h.describe()}`);
      assert.equal(h.headers.get('content-length'), String(l.descriptor.size), `${l.compression} layer size: ${h.describe()}`);
    }
  });

  await t.test('skopeo inspect --raw returns the pushed manifest bytes; inspect shows digest and layers', async () => {
    const raw = await skopeo(['inspect', '--tls-verify=false', '--raw', dest]);
    assert.equal(sha256(raw.stdout), image.descriptor.digest);
    const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', dest])).stdout);
    assert.equal(info.Digest, image.descriptor.digest);
    assert.deepEqual(info.Layers, image.layers.map((l) => l.descriptor.digest));
    assert.equal(info.Architecture, image.platform.architecture);
    assert.equal(info.Labels['org.example.built-by'], 'wharf-e2e');
    const cfg = await skopeo(['inspect', '--tls-verify=false', '--config', '--raw', dest]);
    assert.equal(sha256(cfg.stdout), image.config.digest, 'config blob bytes unchanged');
  });

  await t.test('pull: skopeo copy back to a new OCI layout gives the same manifest and blob digests', async () => {
    const out = join(work, 'out');
    await skopeo(['copy', '--src-tls-verify=false', '--preserve-digests', dest, `oci:${out}:v1`]);
    const a = readLayout(src), b = readLayout(out);
    const rootA = a.resolve('v1'), rootB = b.resolve('v1');
    assert.equal(rootB.digest, image.descriptor.digest);
    assert.equal(rootB.mediaType, MEDIA.ociManifest);
    // every blob (config + 3 layers) read back is digest-verified by readLayout and identical in set
    assert.deepEqual([...reachable(b, rootB)].sort(), [...reachable(a, rootA)].sort());
    assert.deepEqual(b.allBlobs(), a.allBlobs());
    for (const l of image.layers) assert.deepEqual(b.blob(l.descriptor.digest), l.bytes, `${l.compression} layer bytes`);
  });

  await t.test('skopeo list-tags shows the tag', async () => {
    const r = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', `docker://${reg.hostPort}/${repo}`])).stdout);
    assert.deepEqual(r.Tags, ['v1']);
  });
});

test('skopeo: Docker schema 2 image (--format v2s2) round-trips unchanged', { timeout: 110_000 }, async (t) => {
  if (!requireTools(t, 'skopeo')) return;
  const repo = 'e2e/skopeo-docker';
  const reg = await startRegistry(t, [repo]);
  const client = new RegistryClient(reg.url);
  const work = tempDir(t, 'skopeo-v2s2');
  // skopeo 1.9 reads only OCI manifests from oci: layouts, so the schema 2 image goes through dir:.
  const image = buildImage({ format: 'docker', layers: ['gzip', 'gzip'], layerBytes: 64 * 1024 });
  const src = join(work, 'src');
  writeDirTransport(src, image);
  const dest = `docker://${reg.hostPort}/${repo}:v2s2`;

  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', '--preserve-digests', `dir:${src}`, dest]);

  const m = await client.getManifest(repo, 'v2s2', [MEDIA.dockerManifest]);
  assert.equal(m.status, 200, m.describe());
  assert.equal(m.headers.get('content-type'), MEDIA.dockerManifest, m.describe());
  assert.equal(m.headers.get('docker-content-digest'), image.descriptor.digest, m.describe());
  assert.equal(sha256(m.body), image.descriptor.digest);

  const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', dest])).stdout);
  assert.equal(info.Digest, image.descriptor.digest);

  const out = join(work, 'out');
  await skopeo(['copy', '--src-tls-verify=false', '--preserve-digests', dest, `dir:${out}`]);
  const got = readFileSync(join(out, 'manifest.json'));
  assert.equal(sha256(got), image.descriptor.digest, 'manifest comes back byte-identical');
  const files = readdirSync(out).filter((f) => /^[0-9a-f]{64}$/.test(f)).map((f) => `sha256:${f}`).sort();
  assert.deepEqual(files, [...image.blobs.keys()].sort());
  for (const f of files) assert.equal(sha256(readFileSync(join(out, f.slice(7)))), f);
});
