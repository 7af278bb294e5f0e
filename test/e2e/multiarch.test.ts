// A multi-architecture OCI index (linux/amd64 + linux/arm64) pushed with `skopeo copy --all`, read
// over HTTP, selected per platform by skopeo, and copied back out unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireTools } from '../helpers/tools.ts';
import { buildImage, buildIndex, writeLayout, readLayout, reachable, sha256, MEDIA } from '../helpers/oci-layout.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { startRegistry, tempDir, skopeo } from './support.ts';

test('multi-arch: OCI index with amd64 and arm64 images via skopeo copy --all', { timeout: 110_000 }, async (t) => {
  if (!requireTools(t, 'skopeo', 'zstd')) return;
  const repo = 'e2e/multiarch';
  const reg = await startRegistry(t, [repo]);
  const client = new RegistryClient(reg.url);
  const work = tempDir(t, 'multiarch');

  const amd64 = buildImage({ platform: { os: 'linux', architecture: 'amd64' }, layers: ['gzip', 'zstd'], layerBytes: 32 * 1024 });
  const arm64 = buildImage({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: ['gzip', 'none'], layerBytes: 32 * 1024 });
  const index = buildIndex([amd64, arm64], { annotations: { 'org.opencontainers.image.description': 'wharf e2e multi-arch' } });
  const src = join(work, 'src');
  writeLayout(src, { multi: index });
  const dest = `docker://${reg.hostPort}/${repo}:v1`;

  await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${src}:multi`, dest]);

  await t.test('GET the tag with Accept: OCI index returns the index byte-identical', async () => {
    const r = await client.getManifest(repo, 'v1', [MEDIA.ociIndex]);
    assert.equal(r.status, 200, r.describe());
    assert.equal(r.headers.get('content-type'), MEDIA.ociIndex, r.describe());
    assert.equal(r.headers.get('docker-content-digest'), index.descriptor.digest, r.describe());
    assert.equal(sha256(r.body), index.descriptor.digest);
    assert.deepEqual(r.json.manifests.map((m: any) => [m.digest, m.platform.architecture]), [
      [amd64.descriptor.digest, 'amd64'],
      [arm64.descriptor.digest, 'arm64'],
    ]);
    const h = await client.headManifest(repo, 'v1', [MEDIA.ociIndex]);
    assert.equal(h.status, 200, h.describe());
    assert.equal(h.headers.get('docker-content-digest'), index.descriptor.digest, h.describe());
    assert.equal(h.headers.get('content-length'), String(index.bytes.length), h.describe());
    assert.equal(h.body.length, 0);
  });

  await t.test('each child manifest and its blobs are retrievable by digest', async () => {
    for (const child of [amd64, arm64]) {
      const r = await client.getManifest(repo, child.descriptor.digest, [MEDIA.ociManifest]);
      assert.equal(r.status, 200, r.describe());
      assert.equal(r.headers.get('content-type'), MEDIA.ociManifest, r.describe());
      assert.equal(r.headers.get('docker-content-digest'), child.descriptor.digest, r.describe());
      assert.equal(sha256(r.body), child.descriptor.digest);
      for (const [digest, bytes] of child.blobs) {
        const b = await client.getBlob(repo, digest);
        assert.equal(b.status, 200, b.describe());
        assert.equal(sha256(b.body), digest);
        assert.equal(b.body.length, bytes.length);
      }
    }
  });

  await t.test('skopeo picks the platform child from the index', async () => {
    for (const [arch, child] of [['amd64', amd64], ['arm64', arm64]] as const) {
      const info = JSON.parse((await skopeo(['--override-os', 'linux', '--override-arch', arch, 'inspect', '--tls-verify=false', dest])).stdout);
      // (skopeo 1.9 reports the index's digest as Digest; the layers tell which child it read)
      assert.equal(info.Digest, index.descriptor.digest);
      assert.deepEqual(info.Layers, child.layers.map((l) => l.descriptor.digest), arch);
      assert.equal(info.Architecture, arch);
    }
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', dest]);
    assert.equal(sha256(raw.stdout), index.descriptor.digest);
  });

  await t.test('skopeo copy --all back out gives the same index, children and blobs', async () => {
    const out = join(work, 'out');
    await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', dest, `oci:${out}:v1`]);
    const a = readLayout(src), b = readLayout(out);
    const root = b.resolve('v1');
    assert.equal(root.digest, index.descriptor.digest);
    assert.equal(root.mediaType, MEDIA.ociIndex);
    assert.deepEqual([...reachable(b, root)].sort(), [...reachable(a, a.resolve('multi'))].sort());
    assert.deepEqual(b.allBlobs(), a.allBlobs());
  });

  await t.test('a single-platform copy (arm64) gets just that child', async () => {
    const out = join(work, 'arm64');
    await skopeo(['--override-os', 'linux', '--override-arch', 'arm64', 'copy', '--preserve-digests', '--src-tls-verify=false', dest, `oci:${out}:arm64`]);
    const b = readLayout(out);
    assert.equal(b.resolve('arm64').digest, arm64.descriptor.digest);
    assert.deepEqual(b.allBlobs(), [arm64.descriptor.digest, ...arm64.blobs.keys()].sort());
  });
});
