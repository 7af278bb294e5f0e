// Access control with the real clients: an IAM user made with `aws iam`, holding only the AWS-managed
// pull-only policy, logs in with `aws ecr get-login-password | docker login`, pulls with skopeo, and
// is refused a push (DENIED on /v2/) and batch-delete-image (AccessDeniedException), in AWS's words;
// a repository policy naming the user then lets it push to that one repository.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage, writeLayout } from '../helpers/oci-layout.ts';
import { outputMatching, startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const ACCOUNT = '000000000000';
const REPO = 'acl/app';

function run(cmd: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('an IAM user with the pull-only policy', () => {
  let w: RunningWharf;
  let work: string;
  let userEnv: Record<string, string>;
  const rootAws = (args: string[]) => run('aws', [...args, '--output', 'json'], { ...w.awsEnv, AWS_ENDPOINT_URL_IAM: w.url });
  const userAws = (args: string[]) => run('aws', [...args, '--output', 'json'], userEnv);

  before(async () => {
    w = await startWharf({ env: { WHARF_LOG_LEVEL: 'info', WHARF_ACCESS_LOG: 'false', WHARF_LOG_FORMAT: 'json' } });
    work = mkdtempSync(join(tmpdir(), 'wharf-acl-'));
  });
  after(async () => {
    await w?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('pulls, and is refused push and delete with AWS\'s wording; a repository policy grants it push there', { timeout: 180_000 }, async (t) => {
    if (!requireTools(t, 'aws', 'skopeo', 'docker')) return;
    // Root: a repository with an image in it (pushed by skopeo from an OCI layout).
    assert.equal((await rootAws(['ecr', 'create-repository', '--repository-name', REPO])).code, 0);
    const layout = join(work, 'layout');
    const v1 = buildImage({ layers: ['gzip'], layerBytes: 512 });
    writeLayout(layout, { v1, v2: buildImage({ layers: ['gzip'], layerBytes: 600 }) });
    const rootCreds = `AWS:${w.password}`;
    const pushRoot = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', rootCreds, `oci:${layout}:v1`, `docker://${w.hostPort}/${REPO}:v1`]);
    assert.equal(pushRoot.code, 0, pushRoot.stderr);

    // Root makes the user with aws iam and gives it the pull-only policy and a key.
    assert.equal((await rootAws(['iam', 'create-user', '--user-name', 'puller'])).code, 0);
    const attach = await rootAws(['iam', 'attach-user-policy', '--user-name', 'puller', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly']);
    assert.equal(attach.code, 0, attach.stderr);
    const key = JSON.parse((await rootAws(['iam', 'create-access-key', '--user-name', 'puller'])).stdout).AccessKey;
    userEnv = { ...w.awsEnv, AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey };
    const userArn = `arn:aws:iam::${ACCOUNT}:user/puller`;
    const repoArn = `arn:aws:ecr:${w.awsEnv.AWS_DEFAULT_REGION}:${ACCOUNT}:repository/${REPO}`;

    // docker login with the user's registry password.
    const password = await userAws(['ecr', 'get-login-password']);
    assert.equal(password.code, 0, password.stderr);
    const login = await run('docker', ['login', '--username', 'AWS', '--password-stdin', w.hostPort], { DOCKER_CONFIG: join(work, 'docker') }, password.stdout.trim());
    assert.match(login.stdout, /Login Succeeded/, login.stderr);
    const userCreds = `AWS:${password.stdout.trim()}`;

    // Pull: allowed.
    const pulled = await run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', userCreds, `docker://${w.hostPort}/${REPO}:v1`, `oci:${join(work, 'pulled')}:v1`]);
    assert.equal(pulled.code, 0, pulled.stderr);

    // Push: refused on /v2/ with DENIED and AWS's message.
    const push = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', userCreds, `oci:${layout}:v2`, `docker://${w.hostPort}/${REPO}:v2`]);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /denied/i);
    assert.match(push.stderr, new RegExp(`User: ${userArn} is not authorized to perform: ecr:(InitiateLayerUpload|BatchCheckLayerAvailability|PutImage)`));

    // batch-delete-image: AccessDeniedException with AWS's text.
    const del = await userAws(['ecr', 'batch-delete-image', '--repository-name', REPO, '--image-ids', 'imageTag=v1']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /AccessDeniedException/);
    assert.ok(del.stderr.includes(`User: ${userArn} is not authorized to perform: ecr:BatchDeleteImage on resource: ${repoArn} because no identity-based policy allows the ecr:BatchDeleteImage action`), del.stderr);

    // The denial is in the server's log with the decision and the policy type that decided.
    const line = (await outputMatching(w.output, /"msg":"access denied"/)).split('\n').find((l) => l.includes('"action":"ecr:BatchDeleteImage"'));
    assert.ok(line, 'a log line for the denied BatchDeleteImage');
    assert.deepEqual((({ principal, decision, reason }) => ({ principal, decision, reason }))(JSON.parse(line)), { principal: userArn, decision: 'ImplicitDeny', reason: 'identity' });

    // A repository policy naming the user lets it push to that repository (a same-account direct grant).
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PullerPushes', Effect: 'Allow', Principal: { AWS: userArn },
      Action: ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchCheckLayerAvailability'] }] });
    assert.equal((await rootAws(['ecr', 'set-repository-policy', '--repository-name', REPO, '--policy-text', policy])).code, 0);
    const pushed = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', userCreds, `oci:${layout}:v2`, `docker://${w.hostPort}/${REPO}:v2`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    // A cross-repository mount needs read access to the source: from a repository whose policy denies
    // the user ecr:GetDownloadUrlForLayer it is an ordinary upload (202), from a readable one a mount (201).
    assert.equal((await rootAws(['ecr', 'create-repository', '--repository-name', 'acl/secret'])).code, 0);
    const copied = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', rootCreds, `oci:${layout}:v1`, `docker://${w.hostPort}/acl/secret:v1`]);
    assert.equal(copied.code, 0, copied.stderr);
    const secretPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: userArn }, Action: 'ecr:GetDownloadUrlForLayer' }] });
    assert.equal((await rootAws(['ecr', 'set-repository-policy', '--repository-name', 'acl/secret', '--policy-text', secretPolicy])).code, 0);
    await rootAws(['ecr', 'create-repository', '--repository-name', 'acl/open']);
    assert.equal((await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', rootCreds, `oci:${layout}:v1`, `docker://${w.hostPort}/acl/open:v1`])).code, 0);
    await rootAws(['ecr', 'create-repository', '--repository-name', 'acl/target']);
    const targetPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: userArn }, Action: ['ecr:InitiateLayerUpload'] }] });
    assert.equal((await rootAws(['ecr', 'set-repository-policy', '--repository-name', 'acl/target', '--policy-text', targetPolicy])).code, 0);
    const layerDigest = [...v1.blobs.keys()].find((d) => d !== v1.descriptor.digest)!;
    const mountFrom = (from: string) => fetch(`${w.url}/v2/acl/target/blobs/uploads/?mount=${layerDigest}&from=${from}`,
      { method: 'POST', headers: { authorization: `Basic ${Buffer.from(userCreds).toString('base64')}` } });
    assert.equal((await mountFrom('acl/secret')).status, 202, 'no mount from a repository the user may not read');
    assert.equal((await mountFrom('acl/open')).status, 201, 'a mount from one it may read');

    const images = JSON.parse((await userAws(['ecr', 'describe-images', '--repository-name', REPO])).stdout || '{}');
    assert.equal(images.imageDetails, undefined, 'DescribeImages is not in the pull-only policy');
    const listed = JSON.parse((await rootAws(['ecr', 'list-images', '--repository-name', REPO])).stdout);
    assert.deepEqual(listed.imageIds.map((i: { imageTag?: string }) => i.imageTag).sort(), ['v1', 'v2']);
  });
});
