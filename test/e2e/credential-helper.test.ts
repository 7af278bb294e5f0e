// Amazon's own credential helper (docker-credential-ecr-login, through `credHelpers`) logs skopeo,
// podman, buildah and the docker CLI in to Wharf under ECR's real names. The helper always calls
// https://api.ecr.<region>.amazonaws.com on 443, so the test runs in a private network and mount
// namespace (unshare, as root): loopback up, a hosts file bind-mounted over /etc/hosts that maps the
// two names to 127.0.0.1, and Wharf with TLS on 127.0.0.1:443 (test/helpers/namespaces.ts).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, writeLayout } from '../helpers/oci-layout.ts';
import { namespacePrelude, requireRoot, runInNamespaces } from '../helpers/namespaces.ts';
import { TEST_CREDENTIALS, TEST_REGION, wharfCli } from '../helpers/server.ts';
import { makeTestCa } from '../helpers/tls.ts';
import { requireTools } from '../helpers/tools.ts';
import { tempDir } from './support.ts';

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.${TEST_REGION}.amazonaws.com`;
const API = `api.ecr.${TEST_REGION}.amazonaws.com`;

/** The script run inside the namespaces; every step writes <dir>/<step>.{out,err,rc}. */
function script(dir: string, caFile: string, layout: string): string {
  const store = (name: string) => `--root ${dir}/${name}/root --runroot ${dir}/${name}/run --storage-driver vfs`;
  return `${namespacePrelude({ dir, hosts: [REGISTRY, API], caFile, readyCurl: `https://${API}/ -X POST` })}
export SSL_CERT_FILE=${caFile} AWS_CA_BUNDLE=${caFile}
export AWS_ACCESS_KEY_ID=${TEST_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY='${TEST_CREDENTIALS.secretAccessKey}' AWS_REGION=${TEST_REGION} AWS_DEFAULT_REGION=${TEST_REGION}
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ECR_DISABLE_CACHE=true AWS_PAGER=
export HOME=$D/home REGISTRY_AUTH_FILE=$D/auth.json DOCKER_CONFIG=$D/docker TMPDIR=$D/tmp
step helper sh -c 'echo ${REGISTRY} | docker-credential-ecr-login get'
step describe aws ecr describe-repositories --repository-names ecr/names
step skopeo-push skopeo --insecure-policy copy --preserve-digests oci:${layout}:v1 docker://${REGISTRY}/ecr/names:v1
step skopeo-inspect skopeo --insecure-policy inspect docker://${REGISTRY}/ecr/names:v1
step podman-pull podman ${store('podman')} --events-backend none --cgroup-manager cgroupfs pull ${REGISTRY}/ecr/names:v1
step podman-inspect podman ${store('podman')} --events-backend none --cgroup-manager cgroupfs image inspect ${REGISTRY}/ecr/names:v1
step buildah-pull buildah ${store('buildah')} pull ${REGISTRY}/ecr/names:v1
step buildah-push buildah ${store('buildah')} push --digestfile $D/buildah.digest ${REGISTRY}/ecr/names:v1 docker://${REGISTRY}/ecr/names:v2
step skopeo-inspect-v2 skopeo --insecure-policy inspect docker://${REGISTRY}/ecr/names:v2
step docker-manifest docker manifest inspect ${REGISTRY}/ecr/names:v1
`;
}

test('docker-credential-ecr-login logs skopeo, podman, buildah and docker in to Wharf under ECR names (private namespaces)', { timeout: 240_000 }, async (t) => {
  if (!requireRoot(t)) return;
  if (!requireTools(t, 'unshare', 'ip', 'mount', 'openssl', 'curl', 'docker-credential-ecr-login', 'skopeo', 'podman', 'buildah', 'docker', 'aws')) return;
  const dir = tempDir(t, 'ecr-login');
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const cert = ca.issue('ecr', { names: [REGISTRY, API] });
  const created = await wharfCli(['repositories', 'create', 'ecr/names', '--data-dir', join(dir, 'data'), '--create'], { WHARF_ACCOUNT_ID: ACCOUNT });
  assert.equal(created.code, 0, created.stderr);
  const image = buildImage({ layers: ['gzip'], layerBytes: 16 * 1024 });
  writeLayout(join(dir, 'layout'), { v1: image });
  // Logins come only from the helper: no auths, just credHelpers (docker's and containers' auth files).
  const helpers = JSON.stringify({ credHelpers: { [REGISTRY]: 'ecr-login' } });
  writeFileSync(join(dir, 'auth.json'), helpers);
  for (const d of ['docker', 'home', 'tmp']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'docker', 'config.json'), helpers);
  const env = {
    WHARF_LOG_LEVEL: 'warn', WHARF_ACCOUNT_ID: ACCOUNT, WHARF_REGION: TEST_REGION,
    WHARF_PUBLIC_URL: `https://${REGISTRY}`, WHARF_TLS_CERT_FILE: cert.certFile, WHARF_TLS_KEY_FILE: cert.keyFile,
    WHARF_ROOT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
  const ns = await runInNamespaces(t, dir, script(dir, ca.caFile, join(dir, 'layout')), env);
  const stepOf = ns.ok;

  // The helper itself: ECR's GetAuthorizationToken on api.ecr.<region>, answered by Wharf.
  const creds = JSON.parse(stepOf('helper'));
  assert.equal(creds.Username, 'AWS');
  assert.equal(creds.ServerURL, REGISTRY);
  assert.ok(creds.Secret.length > 20);
  // The aws CLI, with no endpoint override, reaches Wharf too and sees ECR's repositoryUri.
  assert.equal(JSON.parse(stepOf('describe')).repositories[0].repositoryUri, `${REGISTRY}/ecr/names`);

  stepOf('skopeo-push');
  const pushed = JSON.parse(stepOf('skopeo-inspect'));
  assert.equal(pushed.Digest, image.descriptor.digest);
  assert.equal(pushed.Name, `${REGISTRY}/ecr/names`);
  stepOf('podman-pull');
  const [info] = JSON.parse(stepOf('podman-inspect'));
  assert.equal(info.Digest, image.descriptor.digest);
  assert.equal(info.Id, image.config.digest.slice('sha256:'.length));
  stepOf('buildah-pull');
  stepOf('buildah-push');
  const v2 = JSON.parse(stepOf('skopeo-inspect-v2'));
  assert.equal(v2.Digest, readFileSync(join(dir, 'buildah.digest'), 'utf8').trim());
  // The docker CLI reads manifests itself (no engine), logging in through docker's credHelpers.
  const manifest = JSON.parse(stepOf('docker-manifest'));
  assert.equal(manifest.config.digest, image.config.digest);
});
