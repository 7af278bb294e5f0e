// The README walkthrough, word for word: aws CLI + docker login + podman against a live Wharf.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, writeLayout } from '../helpers/oci-layout.ts';
import { startWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { privatePodman, tempDir } from './support.ts';

/** Runs a shell command line; resolves with exit code and outputs (never rejects). */
function sh(cmd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', cmd], { env: { ...process.env, ...env }, timeout: 90_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? -1) : 0, stdout, stderr });
    });
  });
}

test('README walkthrough: create, login, push, describe, pull, immutable tag, delete', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'aws', 'docker', 'podman')) return;
  const w = await startWharf();
  t.after(() => w.stop());
  const home = tempDir(t, 'walkthrough');
  const env = { ...w.awsEnv, DOCKER_CONFIG: join(home, 'docker'), REGISTRY_AUTH_FILE: join(home, 'auth.json') };
  const podman = privatePodman(t);
  const pod = (args: string) => sh(`podman ${podman.global.join(' ')} ${args}`, { ...env, TMPDIR: podman.dir });
  const aws = async (args: string) => {
    const r = await sh(`aws ecr ${args}`, env);
    return { ...r, json: r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };

  // 1. create-repository
  const created = await aws('create-repository --repository-name myapp/frontend --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE');
  assert.equal(created.code, 0, created.stderr);
  const repo = created.json.repository;
  assert.equal(repo.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/myapp/frontend');
  assert.equal(repo.repositoryUri, `${w.hostPort}/myapp/frontend`);
  assert.equal(typeof repo.createdAt, 'number');
  assert.equal(repo.imageTagMutability, 'IMMUTABLE');
  assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
  assert.deepEqual(repo.encryptionConfiguration, { encryptionType: 'AES256' });

  // 2. get-login-password | docker login, and the same with podman login
  const dockerLogin = await sh(`aws ecr get-login-password | docker login --username AWS --password-stdin ${w.hostPort}`, env);
  assert.equal(dockerLogin.code, 0, dockerLogin.stderr);
  assert.match(dockerLogin.stdout, /Login Succeeded/);
  const podmanLogin = await sh(`aws ecr get-login-password | podman login --tls-verify=false --username AWS --password-stdin ${w.hostPort}`, env);
  assert.equal(podmanLogin.code, 0, podmanLogin.stderr);
  assert.match(podmanLogin.stdout, /Login Succeeded/);

  // 3. podman tag + push, then describe-images
  const layout = join(home, 'layout');
  const image = buildImage({ layers: ['gzip', 'gzip'], layerBytes: 32 * 1024 });
  const other = buildImage({ layers: ['gzip'], layerBytes: 16 * 1024 });
  writeLayout(layout, { v1: image, v2: other });
  const uri = repo.repositoryUri;
  for (const [tag, img] of [['v1', image], ['v2', other]] as const) {
    const p = await pod(`pull oci:${layout}:${tag}`);
    assert.equal(p.code, 0, p.stderr);
    assert.equal((await pod(`tag ${img.config.digest.slice(7)} ${uri}:local-${tag}`)).code, 0);
  }
  assert.equal((await pod(`tag ${uri}:local-v1 ${uri}:v1.0.0`)).code, 0);
  const pushed = await pod(`push --tls-verify=false --digestfile ${join(home, 'digest')} ${uri}:v1.0.0`);
  assert.equal(pushed.code, 0, pushed.stderr);
  const described = await aws('describe-images --repository-name myapp/frontend');
  assert.equal(described.code, 0, described.stderr);
  const [detail] = described.json.imageDetails;
  assert.match(detail.imageDigest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(detail.imageTags, ['v1.0.0']);
  assert.ok(detail.imageSizeInBytes > 0);
  assert.equal(typeof detail.imagePushedAt, 'number');
  assert.match(detail.imageManifestMediaType, /manifest/);
  assert.ok(detail.artifactMediaType);

  // 4. podman pull from empty local storage, then lastRecordedPullTime shows up
  assert.equal((await pod('rmi --all --force')).code, 0);
  const pulled = await pod(`pull --tls-verify=false ${uri}:v1.0.0`);
  assert.equal(pulled.code, 0, pulled.stderr);
  const after = await aws('describe-images --repository-name myapp/frontend');
  assert.equal(typeof after.json.imageDetails[0].lastRecordedPullTime, 'number');

  // 5. a different image to v1.0.0 is refused with TAG_INVALID; a new tag works
  const again = await pod(`pull oci:${layout}:v2`);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await pod(`tag ${other.config.digest.slice(7)} ${uri}:v1.0.0`)).code, 0);
  const refused = await pod(`push --tls-verify=false ${uri}:v1.0.0`);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /The image tag 'v1.0.0' already exists in the 'myapp\/frontend' repository and cannot be overwritten because the tag is immutable/);
  assert.equal((await pod(`tag ${other.config.digest.slice(7)} ${uri}:v1.0.1`)).code, 0);
  const newTag = await pod(`push --tls-verify=false ${uri}:v1.0.1`);
  assert.equal(newTag.code, 0, newTag.stderr);

  // 6. delete-repository needs --force while images exist
  const notEmpty = await aws('delete-repository --repository-name myapp/frontend');
  assert.notEqual(notEmpty.code, 0);
  assert.match(notEmpty.stderr, /RepositoryNotEmptyException/);
  const forced = await aws('delete-repository --repository-name myapp/frontend --force');
  assert.equal(forced.code, 0, forced.stderr);
  const gone = await aws('describe-images --repository-name myapp/frontend');
  assert.match(gone.stderr, /RepositoryNotFoundException/);
  const pullGone = await pod(`pull --tls-verify=false ${uri}:v1.0.0`);
  assert.notEqual(pullGone.code, 0);
});
