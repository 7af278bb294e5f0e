// Lifecycle policies through the real clients against a listening server: Put/Get/DeleteLifecyclePolicy
// with ECR's validation errors (aws CLI, boto3, SDK v3), previews with boto3's waiter and paginator,
// and count-rule runs — on demand with `wharf lifecycle run` and on the serve schedule — observed
// through describe-images, /v2/ pulls (404 afterwards) and the server's log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DescribeImagesCommand, GetLifecyclePolicyCommand, GetLifecyclePolicyPreviewCommand, PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand, type ECRClient,
} from '@aws-sdk/client-ecr';
import { startWharf, wharfCli, type RunningWharf } from '../helpers/server.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { requireTools } from '../helpers/tools.ts';
import { awsEcr, boto3, ecrClient, push, rejectsWith, smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const rule = (rulePriority: number, selection: object) =>
  ({ rulePriority, description: `rule ${rulePriority} of the Wharf lifecycle end-to-end test`, selection, action: { type: 'expire' } });
const KEEP_ONE_UNTAGGED = rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 });
const KEEP_ONE_V = rule(1, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 1 });
const POLICY = JSON.stringify({ rules: [KEEP_ONE_V, KEEP_ONE_UNTAGGED] });
const invalid = (detail: string) => `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${detail}'`;
const notFound = (repo: string) => `Lifecycle policy does not exist for the repository with name '${repo}' in the registry with id '${ACCOUNT}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pushes untagged images then v1..vN over /v2/, oldest first (a few ms apart, so push times differ). */
async function pushSeries(w: RunningWharf, repo: string, untagged: number, tagged: number): Promise<{ untagged: string[]; tagged: string[] }> {
  const out = { untagged: [] as string[], tagged: [] as string[] };
  for (let i = 0; i < untagged; i++) { out.untagged.push(await push(w, repo, smallImage())); await sleep(5); }
  for (let i = 1; i <= tagged; i++) { out.tagged.push(await push(w, repo, smallImage(), `v${i}`)); await sleep(5); }
  return out;
}

describe('ECR lifecycle policies end to end', () => {
  let w: RunningWharf;
  let ecr: ECRClient;

  before(async () => {
    w = await startWharf({ repositories: ['lc/crud', 'lc/preview', 'lc/errors', 'lc/never'], env: { WHARF_LIFECYCLE_INTERVAL_SECONDS: '0' } });
    ecr = ecrClient(w);
  });
  after(async () => { ecr?.destroy(); await w?.stop(); });

  test('aws CLI: put, get, delete answer ECR shapes; a missing policy is LifecyclePolicyNotFoundException', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const repo = 'lc/crud';
    const put = await awsEcr(w, 'put-lifecycle-policy', '--repository-name', repo, '--lifecycle-policy-text', POLICY);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json, { registryId: ACCOUNT, repositoryName: repo, lifecyclePolicyText: POLICY });
    const got = await awsEcr(w, 'get-lifecycle-policy', '--repository-name', repo);
    assert.deepEqual(got.json, { registryId: ACCOUNT, repositoryName: repo, lifecyclePolicyText: POLICY, lastEvaluatedAt: 0 }, 'lastEvaluatedAt 0 before the first run');
    const del = await awsEcr(w, 'delete-lifecycle-policy', '--repository-name', repo);
    assert.deepEqual(del.json, { registryId: ACCOUNT, repositoryName: repo, lifecyclePolicyText: POLICY, lastEvaluatedAt: 0 });
    for (const op of ['get-lifecycle-policy', 'delete-lifecycle-policy']) {
      const r = await awsEcr(w, op, '--repository-name', repo);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /An error occurred \(LifecyclePolicyNotFoundException\) when calling the \w+ operation: (.*)/);
      assert.equal(r.stderr.match(/operation: (.*)/)![1].trim(), notFound(repo));
    }
  });

  test('boto3: validation failures with ECR wording, unknown repositories, another registry', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const cases: [string, string][] = [
      ['{"rules": [' + ' '.repeat(100), invalid('Could not map policyString into LifecyclePolicy.')],
      [JSON.stringify({ rules: [rule(1, { tagStatus: 'foo', countType: 'imageCountMoreThan', countNumber: 1 })] }),
        invalid('instance value (foo) not found in enum :(possible values: ["any","tagged","untagged"])')],
      [JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 0 })] }),
        invalid('numeric instance is lower than the required minimum (minimum: 1, found: 0)')],
      [JSON.stringify({ rules: [KEEP_ONE_V, { ...KEEP_ONE_UNTAGGED, rulePriority: 1 }] }),
        invalid('rulePriority 1 is used by more than one rule; each rule needs a unique rulePriority')],
    ];
    const out = await boto3(w, `
out = []
def call(f, **kw):
    try:
        f(**kw); return ['ok', '']
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
for text, _ in V['cases']:
    out.append(call(ecr.put_lifecycle_policy, repositoryName='lc/errors', lifecyclePolicyText=text))
    out.append(call(ecr.start_lifecycle_policy_preview, repositoryName='lc/errors', lifecyclePolicyText=text))
out.append(call(ecr.put_lifecycle_policy, repositoryName='lc/absent', lifecyclePolicyText=V['policy']))
out.append(call(ecr.get_lifecycle_policy, repositoryName='lc/absent'))
out.append(call(ecr.get_lifecycle_policy, repositoryName='lc/errors', registryId='111122223333'))
out.append(call(ecr.get_lifecycle_policy, repositoryName='lc/errors'))
`, { cases, policy: POLICY });
    const expected: string[][] = [];
    for (const [, message] of cases) expected.push(['InvalidParameterException', message], ['InvalidParameterException', message]);
    expected.push(
      ['RepositoryNotFoundException', `The repository with name 'lc/absent' does not exist in the registry with id '${ACCOUNT}'`],
      ['RepositoryNotFoundException', `The repository with name 'lc/absent' does not exist in the registry with id '${ACCOUNT}'`],
      ['RepositoryNotFoundException', `The repository with name 'lc/errors' does not exist in the registry with id '111122223333'`],
      ['LifecyclePolicyNotFoundException', notFound('lc/errors')],
    );
    assert.deepEqual(out, expected);
  });

  test('SDK v3 and boto3: before the first run, Get and DeleteLifecyclePolicy report lastEvaluatedAt 0', async (t) => {
    const repo = 'lc/never';
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: repo, lifecyclePolicyText: POLICY }));
    const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repo }));
    assert.ok(got.lastEvaluatedAt instanceof Date);
    assert.equal(got.lastEvaluatedAt.getTime(), 0);
    if (!requireTools(t, 'python3')) return;
    const out = await boto3(w, `
got = ecr.get_lifecycle_policy(repositoryName=V['repo'])
deleted = ecr.delete_lifecycle_policy(repositoryName=V['repo'])
out = [got['lastEvaluatedAt'].timestamp(), deleted['lastEvaluatedAt'].timestamp(), deleted['lifecyclePolicyText'] == V['policy']]
`, { repo, policy: POLICY });
    assert.deepEqual(out, [0, 0, true]);
  });

  test('SDK v3: a text under 100 characters is a ValidationException; previews need a policy and a start', async () => {
    await rejectsWith(ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lc/errors', lifecyclePolicyText: '{"rules":[]}' })),
      'ValidationException', /at 'lifecyclePolicyText' failed to satisfy constraint: Member must have length greater than or equal to 100/);
    await rejectsWith(ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'lc/errors' })), 'LifecyclePolicyPreviewNotFoundException',
      `Lifecycle policy preview does not exist for the repository with name 'lc/errors' in the registry with id '${ACCOUNT}'`);
    await rejectsWith(ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'lc/errors' })), 'LifecyclePolicyNotFoundException', notFound('lc/errors'));
    await rejectsWith(ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'lc/errors', imageIds: [{ imageTag: 'x' }], maxResults: 5 })),
      'InvalidParameterException', 'Invalid parameter: imageIds cannot be used together with maxResults or nextToken.');
  });

  test('preview with the boto3 waiter and paginator, then `wharf lifecycle run` does exactly that: describe-images and /v2/ agree', async (t) => {
    if (!requireTools(t, 'python3', 'aws')) return;
    const repo = 'lc/preview';
    const images = await pushSeries(w, repo, 3, 3);
    const out = await boto3(w, `
R = V['repo']
start = ecr.start_lifecycle_policy_preview(repositoryName=R, lifecyclePolicyText=V['policy'])
start.pop('ResponseMetadata')
ecr.get_waiter('lifecycle_policy_preview_complete').wait(repositoryName=R)
full = ecr.get_lifecycle_policy_preview(repositoryName=R)
full.pop('ResponseMetadata')
pages = [p['previewResults'] for p in ecr.get_paginator('get_lifecycle_policy_preview').paginate(repositoryName=R, PaginationConfig={'PageSize': 1})]
tagged = ecr.get_lifecycle_policy_preview(repositoryName=R, filter={'tagStatus': 'TAGGED'})['previewResults']
untagged = ecr.get_lifecycle_policy_preview(repositoryName=R, filter={'tagStatus': 'UNTAGGED'})['previewResults']
byid = ecr.get_lifecycle_policy_preview(repositoryName=R, imageIds=[{'imageTag': 'v1'}, {'imageDigest': V['oldest']}])['previewResults']
try:
    ecr.get_lifecycle_policy(repositoryName=R); stored = True
except ClientError:
    stored = False
out = {'start': start, 'full': full, 'pages': pages, 'tagged': tagged, 'untagged': untagged, 'byid': byid, 'stored': stored}
`, { repo, policy: POLICY, oldest: images.untagged[0] });
    assert.deepEqual(out.start, { registryId: ACCOUNT, repositoryName: repo, lifecyclePolicyText: POLICY, status: 'IN_PROGRESS' });
    assert.equal(out.stored, false, 'a preview does not store the policy');
    const { full } = out;
    assert.equal(full.status, 'COMPLETE');
    assert.equal(full.lifecyclePolicyText, POLICY);
    assert.deepEqual(full.summary, { expiringImageTotalCount: 4 });
    const expected = [[images.tagged[0], ['v1'], 1], [images.tagged[1], ['v2'], 1], [images.untagged[0], undefined, 2], [images.untagged[1], undefined, 2]];
    assert.deepEqual(full.previewResults.map((r: any) => [r.imageDigest, r.imageTags, r.appliedRulePriority]), expected);
    for (const r of full.previewResults) {
      assert.deepEqual([r.action, r.storageClass, typeof r.imagePushedAt], [{ type: 'EXPIRE' }, 'STANDARD', 'number']);
    }
    assert.deepEqual(out.pages.map((p: any[]) => p.length), [1, 1, 1, 1]);
    assert.deepEqual(out.pages.flat(), full.previewResults, 'pages of one add up to the whole');
    assert.deepEqual(out.tagged.map((r: any) => r.imageDigest), images.tagged.slice(0, 2));
    assert.deepEqual(out.untagged.map((r: any) => r.imageDigest), images.untagged.slice(0, 2));
    assert.deepEqual(out.byid.map((r: any) => r.imageDigest), [images.tagged[0], images.untagged[0]]);

    const waited = await awsEcr(w, 'wait', 'lifecycle-policy-preview-complete', '--repository-name', repo);
    assert.equal(waited.code, 0, `aws ecr wait: ${waited.stderr}`);

    assert.equal((await awsEcr(w, 'put-lifecycle-policy', '--repository-name', repo, '--lifecycle-policy-text', POLICY)).code, 0);
    const run = await wharfCli(['lifecycle', 'run', '--repository', repo, '--data-dir', w.dataDir]);
    assert.equal(run.code, 0, run.stderr);
    const expired = run.stdout.split('\n').filter((l) => l.startsWith('expired ')).map((l) => l.split(' ')[1].split('@')[1]);
    assert.deepEqual(expired, full.previewResults.map((r: any) => r.imageDigest), 'the run expired exactly what the preview showed');
    assert.match(run.stdout, new RegExp(`^expired ${repo}@${images.tagged[0]} tags=v1 rule=1$`, 'm'));
    assert.match(run.stdout, new RegExp(`^evaluated ${repo}: 4 expired, 0 transitioned, 0 skipped$`, 'm'));

    const described = await awsEcr(w, 'describe-images', '--repository-name', repo);
    assert.deepEqual(described.json.imageDetails.map((d: any) => d.imageDigest).sort(), [images.untagged[2], images.tagged[2]].sort());
    const oci = new RegistryClient(w.url);
    for (const ref of [images.untagged[0], images.tagged[0], 'v1', 'v2']) {
      const r = await oci.getManifest(repo, ref);
      assert.equal(r.status, 404, r.describe());
      assert.equal(r.json.errors[0].code, 'MANIFEST_UNKNOWN');
    }
    assert.equal((await oci.getManifest(repo, 'v3')).status, 200);
    const policy = await awsEcr(w, 'get-lifecycle-policy', '--repository-name', repo);
    assert.equal(typeof policy.json.lastEvaluatedAt, 'number');
    assert.ok(Math.abs(policy.json.lastEvaluatedAt - Date.now() / 1000) < 60);
  });

  test('`wharf lifecycle run` without --repository runs every policy; a repository without one is an error', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const again = await wharfCli(['lifecycle', 'run', '--data-dir', w.dataDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'evaluated lc/preview: 0 expired, 0 transitioned, 0 skipped\n', 'only lc/preview has a policy, and it has nothing left to do');
    const none = await wharfCli(['lifecycle', 'run', '--repository', 'lc/errors', '--data-dir', w.dataDir]);
    assert.deepEqual([none.code, none.stderr.trim()], [2, `wharf: using data dir ${w.dataDir}\nwharf: ${notFound('lc/errors')}`]);
  });
});

describe('scheduled lifecycle runs inside wharf serve', () => {
  test('count rules run on lifecycleIntervalSeconds; each expiry is logged with its rule; lastEvaluatedAt is reported', async () => {
    const w = await startWharf({ repositories: ['lc/scheduled'], env: { WHARF_LIFECYCLE_INTERVAL_SECONDS: '1', WHARF_LOG_LEVEL: 'info' } });
    const ecr = ecrClient(w);
    try {
      const repo = 'lc/scheduled';
      const images = await pushSeries(w, repo, 2, 2);
      await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: repo, lifecyclePolicyText: POLICY }));
      const deadline = Date.now() + 20_000;
      let left: string[] = [];
      for (;;) {
        left = ((await ecr.send(new DescribeImagesCommand({ repositoryName: repo }))).imageDetails ?? []).map((d) => d.imageDigest!).sort();
        if (left.length === 2 || Date.now() > deadline) break;
        await sleep(200);
      }
      assert.deepEqual(left, [images.untagged[1], images.tagged[1]].sort());
      const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repo }));
      assert.ok(got.lastEvaluatedAt instanceof Date);
      // The server's stdout pipe and its HTTP answers are two channels: a line may arrive after the
      // answer that shows its delete. Wait for the lines (with a deadline), then check them exactly.
      const expiredLines = () => w.output().split('\n').filter((l) => l.includes('lifecycle policy expired an image'));
      for (const until = Date.now() + 10_000; expiredLines().length < 2 && Date.now() < until;) await sleep(20);
      const logged = expiredLines().map((l) => JSON.parse(l));
      assert.deepEqual(logged.map((l) => [l.level, l.repository, l.digest, l.tags, l.rulePriority]).sort(), [
        [30, repo, images.tagged[0], ['v1'], 1],
        [30, repo, images.untagged[0], [], 2],
      ].sort());
    } finally {
      ecr.destroy();
      await w.stop();
    }
  });
});
