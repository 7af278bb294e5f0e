// podman against a live Wharf, with a private vfs store: load a locally built image, push it, delete
// it locally, pull it back, and check that podman sees the same image (digest, config, layers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { requireTools } from '../helpers/tools.ts';
import { buildImage, writeLayout, sha256, MEDIA } from '../helpers/oci-layout.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { startRegistry, tempDir, privatePodman, run } from './support.ts';

function lastLine(s: string): string {
  return s.trim().split('\n').pop()!.trim();
}

test('podman: push, rmi, pull from Wharf gives back the same image', { timeout: 110_000 }, async (t) => {
  if (!requireTools(t, 'podman', 'zstd')) return;
  const repo = 'e2e/podman', mirror = 'e2e/podman-mirror';
  const reg = await startRegistry(t, [repo, mirror]);
  const client = new RegistryClient(reg.url);
  const podman = privatePodman(t);
  const work = tempDir(t, 'podman-layout');

  const image = buildImage({ layers: ['gzip', 'zstd', 'none'], layerBytes: 64 * 1024 });
  const diffIds = image.layers.map((l) => l.diffId);
  const configId = image.config.digest.slice('sha256:'.length);
  writeLayout(join(work, 'layout'), { v1: image });
  const ref = `${reg.hostPort}/${repo}:v1`;

  // Load: podman's image ID is the config digest.
  const pulled = await podman.run(['pull', `oci:${join(work, 'layout')}:v1`]);
  assert.equal(lastLine(pulled.stdout), configId);
  await podman.run(['tag', configId, ref]);

  // Push. podman stores layers uncompressed and re-compresses them (gzip) for a registry it has not
  // seen them in, so the pushed manifest differs from the layout's; the config and diff IDs do not.
  const digestFile = join(podman.dir, 'pushed.digest');
  await podman.run(['push', '--tls-verify=false', '--digestfile', digestFile, ref]);
  const pushed = readFileSync(digestFile, 'utf8').trim();
  assert.match(pushed, /^sha256:[0-9a-f]{64}$/);

  const m = await client.getManifest(repo, 'v1');
  assert.equal(m.status, 200, m.describe());
  assert.equal(m.headers.get('docker-content-digest'), pushed, m.describe());
  assert.equal(sha256(m.body), pushed, 'served manifest bytes hash to the digest podman pushed');
  assert.equal(m.json.config.digest, image.config.digest, 'podman pushed the same config blob');
  assert.equal(m.json.layers.length, 3);
  // Each layer blob served by Wharf decompresses to the original tar (its diff ID).
  for (const [i, l] of (m.json.layers as { digest: string; mediaType: string; size: number }[]).entries()) {
    const b = await client.getBlob(repo, l.digest);
    assert.equal(b.status, 200, b.describe());
    assert.equal(b.body.length, l.size);
    assert.equal(sha256(b.body), l.digest);
    const tar = l.mediaType.endsWith('+gzip') || l.mediaType.endsWith('.gzip') ? gunzipSync(b.body)
      : l.mediaType.endsWith('+zstd') ? execFileSync('zstd', ['-d', '-c', '-q'], { input: b.body })
      : b.body;
    assert.equal(sha256(tar), diffIds[i], `layer ${i} (${l.mediaType}) content`);
  }

  // Remove every local image, then pull from Wharf.
  await podman.run(['rmi', '--all', '--force']);
  assert.equal((await podman.run(['images', '-q'])).stdout.trim(), '', 'local store is empty after rmi');
  await podman.run(['pull', '--tls-verify=false', ref]);

  const [info] = JSON.parse((await podman.run(['image', 'inspect', ref])).stdout);
  assert.equal(info.Id, configId);
  assert.equal(info.Digest, pushed);
  assert.ok(info.RepoDigests.includes(`${reg.hostPort}/${repo}@${pushed}`), JSON.stringify(info.RepoDigests));
  assert.deepEqual(info.RootFS.Layers, diffIds);
  assert.equal(info.ManifestType, MEDIA.ociManifest);
  assert.equal(info.Architecture, image.platform.architecture);
  assert.equal(info.Labels['org.example.built-by'], 'wharf-e2e');

  // Pull by digest works too.
  await podman.run(['pull', '--tls-verify=false', `${reg.hostPort}/${repo}@${pushed}`]);

  // Push the pulled image to a second repository: podman now knows these compressed blobs are in
  // `repo` on this registry, so it reuses them (cross-repository mount, or upload) unchanged.
  const mirrorRef = `${reg.hostPort}/${mirror}:v1`;
  await podman.run(['tag', ref, mirrorRef]);
  const digestFile2 = join(podman.dir, 'mirror.digest');
  await podman.run(['push', '--tls-verify=false', '--digestfile', digestFile2, mirrorRef]);
  assert.equal(readFileSync(digestFile2, 'utf8').trim(), pushed, 'same manifest in the mirror repository');
  const mm = await client.getManifest(mirror, 'v1');
  assert.equal(mm.status, 200, mm.describe());
  assert.equal(sha256(mm.body), pushed);
  for (const l of mm.json.layers as { digest: string }[]) {
    const h = await client.headBlob(mirror, l.digest);
    assert.equal(h.status, 200, h.describe());
  }
  await podman.run(['rmi', '--all', '--force']);
  await podman.run(['pull', '--tls-verify=false', mirrorRef]);
  const [info2] = JSON.parse((await podman.run(['image', 'inspect', mirrorRef])).stdout);
  assert.equal(info2.Digest, pushed);
  assert.deepEqual(info2.RootFS.Layers, diffIds);

  // sanity: podman really used its private store
  await run('test', ['-d', join(podman.dir, 'root', 'vfs')]);
});
