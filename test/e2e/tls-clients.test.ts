// Real clients over https, trusting a throwaway CA the way users would (SSL_CERT_FILE for the Go
// programs, --cert-dir for skopeo/buildah), and never with --tls-verify=false: docker login,
// podman login/push/pull, skopeo copy in and out, buildah pull/push. Without the CA they fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, writeLayout, sha256 } from '../helpers/oci-layout.ts';
import { startWharf } from '../helpers/server.ts';
import { makeTestCa } from '../helpers/tls.ts';
import { requireTools } from '../helpers/tools.ts';
import { run, tempDir } from './support.ts';

test('docker, podman, skopeo and buildah log in, push and pull over https trusting the test CA', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'openssl', 'docker', 'podman', 'skopeo', 'buildah')) return;
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const w = await startWharf({ tls: { ...ca.issue('server'), caFile: ca.caFile }, repositories: ['tls/podman', 'tls/skopeo', 'tls/buildah'] });
  t.after(() => w.stop());
  const work = tempDir(t, 'tls-clients');
  const authFile = join(work, 'auth.json');
  const trust = { SSL_CERT_FILE: ca.caFile, REGISTRY_AUTH_FILE: authFile, TMPDIR: work };
  const noTrust = { SSL_CERT_FILE: join(work, 'no-such-ca.pem'), REGISTRY_AUTH_FILE: authFile, TMPDIR: work };
  const store = (name: string) => ['--root', join(work, name, 'root'), '--runroot', join(work, name, 'run'), '--storage-driver', 'vfs'];
  const podman = (args: string[], env = trust) => run('podman', [...store('podman'), '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', ...args], { env, timeoutMs: 90_000 });
  const buildah = (args: string[], env = trust) => run('buildah', [...store('buildah'), ...args], { env, timeoutMs: 90_000 });
  const skopeo = (args: string[], env = trust) => run('skopeo', ['--insecure-policy', ...args], { env, timeoutMs: 90_000 });
  const image = buildImage({ layers: ['gzip'], layerBytes: 32 * 1024 });
  const layout = join(work, 'layout');
  writeLayout(layout, { v1: image });

  // docker treats 127.0.0.0/8 as an insecure registry by default (it skips verification there), so
  // the "without the CA" case is shown with podman and skopeo, which verify on loopback too.
  await t.test('docker login (client side, no engine) stores the login', async () => {
    const dockerConfig = join(work, 'docker');
    const login = await run('sh', ['-c', `printf %s "$PW" | docker login -u AWS --password-stdin ${w.hostPort}`], { env: { ...trust, DOCKER_CONFIG: dockerConfig, PW: w.password } });
    assert.match(login.stdout, /Login Succeeded/);
    const cfg = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'));
    assert.equal(Buffer.from(cfg.auths[w.hostPort].auth, 'base64').toString(), `AWS:${w.password}`);
    await assert.rejects(run('sh', ['-c', `printf wrong | docker login -u AWS --password-stdin ${w.hostPort}`], { env: { ...trust, DOCKER_CONFIG: join(work, 'docker-bad') } }),
      /failed with status: 40[13]/, "a wrong password is refused by Wharf over https");
  });

  await t.test('without the CA podman and skopeo refuse the certificate', async () => {
    await assert.rejects(podman(['login', '--authfile', authFile, '-u', 'AWS', '-p', w.password, w.hostPort], noTrust), /x509|certificate/);
    await assert.rejects(skopeo(['inspect', `docker://${w.hostPort}/tls/podman:v1`], noTrust), /x509|certificate/);
  });

  const ref = `${w.hostPort}/tls/podman:v1`;
  await t.test('podman login, push and pull', async () => {
    const login = await podman(['login', '--authfile', authFile, '-u', 'AWS', '-p', w.password, w.hostPort]);
    assert.match(login.stdout, /Login Succeeded/);
    await podman(['pull', `oci:${layout}:v1`]);
    await podman(['tag', image.config.digest.slice(7), ref]);
    const digestFile = join(work, 'podman.digest');
    await podman(['push', '--digestfile', digestFile, ref]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    await podman(['rmi', '--all', '--force']);
    await podman(['pull', ref]);
    const [info] = JSON.parse((await podman(['image', 'inspect', ref])).stdout);
    assert.equal(info.Digest, pushed);
    assert.equal(info.Id, image.config.digest.slice(7));
  });

  await t.test('skopeo copy in and out with --cert-dir', async () => {
    const env = { REGISTRY_AUTH_FILE: authFile, TMPDIR: work };
    const dest = `docker://${w.hostPort}/tls/skopeo:v1`;
    await skopeo(['copy', '--dest-cert-dir', ca.certDir, '--preserve-digests', `oci:${layout}:v1`, dest], env as typeof trust);
    const raw = await skopeo(['inspect', '--cert-dir', ca.certDir, '--raw', dest], env as typeof trust);
    assert.equal(sha256(raw.stdout), image.descriptor.digest);
    const out = join(work, 'out');
    await skopeo(['copy', '--src-cert-dir', ca.certDir, dest, `oci:${out}:v1`], env as typeof trust);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, image.descriptor.digest);
  });

  await t.test('buildah pull and push with --cert-dir', async () => {
    const from = await buildah(['pull', '--cert-dir', ca.certDir, ref]);
    const id = from.stdout.trim().split('\n').pop()!;
    assert.match(id, /^[0-9a-f]{64}$/);
    const digestFile = join(work, 'buildah.digest');
    await buildah(['push', '--cert-dir', ca.certDir, '--digestfile', digestFile, id, `docker://${w.hostPort}/tls/buildah:v1`]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    const inspect = JSON.parse((await skopeo(['inspect', `docker://${w.hostPort}/tls/buildah:v1`])).stdout);
    assert.equal(inspect.Digest, pushed);
  });
});
