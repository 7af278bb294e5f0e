// Two accounts on one Wharf, each with its own registry host (<account>.dkr.ecr.<region>.wharf.test),
// driven by the real clients: skopeo, podman and the docker CLI push and pull in both registries (the
// same repository name holds different images in each), the aws CLI sees each account's URIs and
// ARNs, and account B's IAM user pulls from account A's repository only once A's repository policy
// allows B (B's identity policy allowing it too), and not after B's identity policy is gone.
// Like credential-helper.test.ts it runs in a private network and mount namespace (unshare, as
// root): a hosts file bind-mounted over /etc/hosts maps both registry hosts to 127.0.0.1, and Wharf
// serves TLS on 127.0.0.1:443 there (test/helpers/namespaces.ts).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, writeLayout } from '../helpers/oci-layout.ts';
import { namespacePrelude, requireRoot, runInNamespaces } from '../helpers/namespaces.ts';
import { TEST_CREDENTIALS, TEST_REGION, wharfCli } from '../helpers/server.ts';
import { makeTestCa } from '../helpers/tls.ts';
import { requireTools } from '../helpers/tools.ts';
import { tempDir } from './support.ts';

const A = '111111111111';
const B = '222222222222';
const DOMAIN = 'wharf.test';
const HOST_A = `${A}.dkr.ecr.${TEST_REGION}.${DOMAIN}`;
const HOST_B = `${B}.dkr.ecr.${TEST_REGION}.${DOMAIN}`;
const REPO = 'team/app';

/** Account B's repository policy-free pull rights: what its user `ci` may do anywhere (its identity policy). */
const CI_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Pull', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:DescribeImages'], Resource: '*' }],
});
/** Account A's repository policy: account B may pull. */
const A_REPO_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'AccountBPulls', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:DescribeImages'] }],
});

/** The script run inside the namespaces; every step writes <dir>/<step>.{out,err,rc}. */
function script(dir: string, caFile: string, bKey: { id: string; secret: string }): string {
  const store = (name: string) => `--root ${dir}/${name}/root --runroot ${dir}/${name}/run --storage-driver vfs --events-backend none --cgroup-manager cgroupfs`;
  const asA = `AWS_ACCESS_KEY_ID=${TEST_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY='${TEST_CREDENTIALS.secretAccessKey}'`;
  const asB = `AWS_ACCESS_KEY_ID=${bKey.id} AWS_SECRET_ACCESS_KEY='${bKey.secret}'`;
  const asCi = 'AWS_ACCESS_KEY_ID=$(cat $D/ci.id) AWS_SECRET_ACCESS_KEY=$(cat $D/ci.secret)';
  const ecr = `aws --endpoint-url https://${HOST_A} ecr`;
  const iam = `aws --endpoint-url https://${HOST_A} iam`;
  return `${namespacePrelude({ dir, hosts: [HOST_A, HOST_B], caFile, readyCurl: `https://${HOST_A}/healthz` })}
export SSL_CERT_FILE=${caFile} AWS_CA_BUNDLE=${caFile} AWS_REGION=${TEST_REGION} AWS_DEFAULT_REGION=${TEST_REGION}
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=
export HOME=$D/home REGISTRY_AUTH_FILE=$D/auth.json DOCKER_CONFIG=$D/docker TMPDIR=$D/tmp
PW_A=$(env ${asA} ${ecr} get-login-password)
PW_B=$(env ${asB} ${ecr} get-login-password)
# Each account pushes its own image under the same repository name, on its own host.
step a-push skopeo --insecure-policy copy --preserve-digests --dest-creds "AWS:$PW_A" oci:$D/layout:a docker://${HOST_A}/${REPO}:v1
step b-push skopeo --insecure-policy copy --preserve-digests --dest-creds "AWS:$PW_B" oci:$D/layout:b docker://${HOST_B}/${REPO}:v1
step b-push-only skopeo --insecure-policy copy --dest-creds "AWS:$PW_B" oci:$D/layout:b docker://${HOST_B}/b/only:v1
step a-inspect skopeo --insecure-policy inspect --creds "AWS:$PW_A" docker://${HOST_A}/${REPO}:v1
step b-inspect skopeo --insecure-policy inspect --creds "AWS:$PW_B" docker://${HOST_B}/${REPO}:v1
step a-catalog curl -sf --cacert ${caFile} -u "AWS:$PW_A" https://${HOST_A}/v2/_catalog
step b-catalog curl -sf --cacert ${caFile} -u "AWS:$PW_B" https://${HOST_B}/v2/_catalog
step b-podman-pull podman ${store('podman-b')} pull --creds "AWS:$PW_B" ${HOST_B}/${REPO}:v1
step b-podman-inspect podman ${store('podman-b')} image inspect ${HOST_B}/${REPO}:v1
step b-podman-push podman ${store('podman-b')} push --creds "AWS:$PW_B" ${HOST_B}/${REPO}:v1 ${HOST_B}/${REPO}:from-podman
step b-docker-login sh -c "echo \\"$PW_B\\" | docker login --username AWS --password-stdin ${HOST_B}"
step b-docker-manifest docker manifest inspect ${HOST_B}/${REPO}:from-podman
step b-describe env ${asB} ${ecr} describe-repositories --repository-names ${REPO}
step b-token env ${asB} ${ecr} get-authorization-token
step a-images env ${asA} ${ecr} describe-images --repository-name ${REPO}
step b-images env ${asB} ${ecr} describe-images --repository-name ${REPO}
# Account B's user ci may pull anywhere by its own policy; account A has not allowed B yet.
step ci-user env ${asB} ${iam} create-user --user-name ci
step ci-policy env ${asB} ${iam} put-user-policy --user-name ci --policy-name pull --policy-document '${CI_POLICY}'
step ci-key env ${asB} ${iam} create-access-key --user-name ci --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text
cut -f1 $D/ci-key.out >$D/ci.id; cut -f2 $D/ci-key.out | tr -d '\\n' >$D/ci.secret
PW_CI=$(env ${asCi} ${ecr} get-login-password)
step x-pull-denied skopeo --insecure-policy inspect --creds "AWS:$PW_CI" docker://${HOST_A}/${REPO}:v1
step x-describe-denied env ${asCi} ${ecr} describe-images --registry-id ${A} --repository-name ${REPO}
step x-missing env ${asCi} ${ecr} describe-images --registry-id ${A} --repository-name no/such
step a-policy env ${asA} ${ecr} set-repository-policy --repository-name ${REPO} --policy-text '${A_REPO_POLICY}'
step x-pull skopeo --insecure-policy copy --src-creds "AWS:$PW_CI" docker://${HOST_A}/${REPO}:v1 oci:$D/pulled:v1
step x-podman-pull podman ${store('podman-ci')} pull --creds "AWS:$PW_CI" ${HOST_A}/${REPO}:v1
step x-podman-inspect podman ${store('podman-ci')} image inspect ${HOST_A}/${REPO}:v1
step x-describe env ${asCi} ${ecr} describe-images --registry-id ${A} --repository-name ${REPO}
step x-push-denied skopeo --insecure-policy copy --dest-creds "AWS:$PW_CI" oci:$D/layout:b docker://${HOST_A}/${REPO}:from-b
step x-b-repo-denied skopeo --insecure-policy inspect --creds "AWS:$PW_CI" docker://${HOST_A}/other/repo:v1
# Without B's identity policy, A's repository policy alone is not enough.
step ci-policy-gone env ${asB} ${iam} delete-user-policy --user-name ci --policy-name pull
step x-pull-after skopeo --insecure-policy inspect --creds "AWS:$PW_CI" docker://${HOST_A}/${REPO}:v1
`;
}

test('two accounts: own registry hosts, isolated repositories, and a cross-account pull only when both sides allow it (skopeo, podman, docker, aws CLI)', { timeout: 300_000 }, async (t) => {
  if (!requireRoot(t)) return;
  if (!requireTools(t, 'unshare', 'ip', 'mount', 'openssl', 'curl', 'skopeo', 'podman', 'docker', 'aws')) return;
  const dir = tempDir(t, 'accounts');
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const cert = ca.issue('accounts', { names: [HOST_A, HOST_B] });
  const env = {
    WHARF_ACCOUNT_ID: A, WHARF_REGION: TEST_REGION, WHARF_PUBLIC_URL: `https://${HOST_A}`,
    WHARF_ROOT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
  const data = join(dir, 'data');
  const cli = async (args: string[]) => {
    const r = await wharfCli([...args, '--data-dir', data], env);
    assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await cli(['repositories', 'create', REPO, 'other/repo', '--create']);
  const made = await cli(['accounts', 'create', '--id', B]);
  const field = (k: string) => new RegExp(`^${k} = (\\S+)$`, 'm').exec(made.stdout)?.[1] ?? assert.fail(`no ${k} in ${made.stdout}`);
  assert.equal(field('account_id'), B);
  assert.match(made.stderr, new RegExp(`its registry is ${HOST_B.replace(/\./g, '\\.')}`));
  const bKey = { id: field('aws_access_key_id'), secret: field('aws_secret_access_key') };
  await cli(['repositories', 'create', REPO, 'b/only', '--account', B]);
  assert.deepEqual((await cli(['repositories', 'list'])).stdout.trim().split('\n'), ['other/repo', REPO]);
  assert.deepEqual((await cli(['repositories', 'list', '--account', B])).stdout.trim().split('\n'), ['b/only', REPO]);
  const listed = (await cli(['accounts', 'list'])).stdout.trim().split('\n');
  assert.deepEqual(listed, [`${A}\t${HOST_A}\tdefault`, `${B}\t${HOST_B}`]);
  const again = await wharfCli(['accounts', 'create', '--id', B, '--data-dir', data], env);
  assert.equal(again.code, 2, 'an account that exists is refused');

  const a = buildImage({ layers: ['gzip'], layerBytes: 16 * 1024 });
  const b = buildImage({ layers: ['gzip', 'gzip'], layerBytes: 16 * 1024 });
  writeLayout(join(dir, 'layout'), { a, b });
  for (const d of ['docker', 'home', 'tmp']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'auth.json'), '{}');
  const ns = await runInNamespaces(t, dir, script(dir, ca.caFile, bKey), {
    ...env, WHARF_LOG_LEVEL: 'info', WHARF_TLS_CERT_FILE: cert.certFile, WHARF_TLS_KEY_FILE: cert.keyFile,
  });
  const ok = ns.ok;
  const refused = (name: string, re: RegExp) => {
    const r = ns.result(name);
    assert.notEqual(r.rc, '0', `${name} should have been refused:\n${r.stdout}`);
    assert.notEqual(r.rc, '(did not run)');
    assert.match(r.stderr, re, `${name}: ${r.stderr}`);
  };

  // Same repository name, two registries, two different images.
  ok('a-push');
  ok('b-push');
  ok('b-push-only');
  assert.equal(JSON.parse(ok('a-inspect')).Digest, a.descriptor.digest);
  assert.equal(JSON.parse(ok('b-inspect')).Digest, b.descriptor.digest);
  assert.deepEqual(JSON.parse(ok('a-catalog')).repositories, ['other/repo', REPO]);
  assert.deepEqual(JSON.parse(ok('b-catalog')).repositories, ['b/only', REPO]);
  ok('b-podman-pull');
  assert.equal(JSON.parse(ok('b-podman-inspect'))[0].Digest, b.descriptor.digest);
  ok('b-podman-push');
  ok('b-docker-login');
  assert.equal(JSON.parse(ok('b-docker-manifest')).config.digest, b.config.digest);
  // The aws CLI: B's URIs, ARNs and proxyEndpoint name B's registry; each registry lists its own image.
  const [repoB] = JSON.parse(ok('b-describe')).repositories;
  assert.equal(repoB.repositoryUri, `${HOST_B}/${REPO}`);
  assert.equal(repoB.repositoryArn, `arn:aws:ecr:${TEST_REGION}:${B}:repository/${REPO}`);
  assert.equal(repoB.registryId, B);
  assert.equal(JSON.parse(ok('b-token')).authorizationData[0].proxyEndpoint, `https://${HOST_B}`);
  const digests = (name: string) => JSON.parse(ok(name)).imageDetails.map((i: { imageDigest: string }) => i.imageDigest).sort();
  assert.deepEqual(digests('a-images'), [a.descriptor.digest]);
  assert.deepEqual(digests('b-images'), [b.descriptor.digest]);
  assert.equal(JSON.parse(ok('b-images')).imageDetails[0].registryId, B);

  // Cross-account: refused until A's repository policy allows B.
  ok('ci-user');
  ok('ci-policy');
  ok('ci-key');
  refused('x-pull-denied', /denied|not authorized/i);
  refused('x-describe-denied', new RegExp(`AccessDeniedException.*arn:aws:iam::${B}:user/ci is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:${TEST_REGION}:${A}:repository/${REPO} because no resource-based policy allows`));
  refused('x-missing', new RegExp(`RepositoryNotFoundException.*'no/such'.*'${A}'`));
  ok('a-policy');
  ok('x-pull');
  ok('x-podman-pull');
  assert.equal(JSON.parse(ok('x-podman-inspect'))[0].Digest, a.descriptor.digest);
  assert.deepEqual(JSON.parse(ok('x-describe')).imageDetails.map((i: { imageDigest: string }) => i.imageDigest), [a.descriptor.digest]);
  refused('x-push-denied', /denied|not authorized/i);
  refused('x-b-repo-denied', /denied|not authorized/i);
  ok('ci-policy-gone');
  refused('x-pull-after', /denied|not authorized/i);
  // Every refusal was logged with the principal and the resource in A's registry.
  assert.match(ns.wharfLog(), new RegExp(`"principal":"arn:aws:iam::${B}:user/ci".*"resource":"arn:aws:ecr:${TEST_REGION}:${A}:repository/${REPO}"`));
});
