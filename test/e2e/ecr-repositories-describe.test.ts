// DescribeRepositories end to end (aws CLI, boto3, SDK v3 against a listening Wharf): lookups by name
// in request order, the errors a client can trigger, and paging 25 repositories 7 at a time through
// each client's own paginator (CLI auto-pagination, --max-items/--starting-token, boto3 and SDK v3
// paginators): every repository exactly once, in name order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { closeSdkClient, ECR_CLIENTS, ecrErr, ecrOk, requireClient, sdkClient, type EcrClientName } from './ecr-clients.ts';
import { awsEcr, boto3, push, smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const notFound = (repo: string) => `The repository with name '${repo}' does not exist in the registry with id '${ACCOUNT}'`;
const EXCLUSIVE = 'Invalid parameter: repositoryNames cannot be used together with maxResults or nextToken.';
const BAD_TOKEN = "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'";

// 25 names whose separators ('-' < '.' < '/' < '0' < '_' in ASCII) make name order differ from
// creation order and from a naive per-component sort.
const NAMES = [
  'pg/a', 'pg/a-b', 'pg/a.b', 'pg/a/b', 'pg/a0', 'pg/a_b', 'pg/a__b', 'pg/a--b', 'pg/b', 'pg/b/c/d',
  'pg/images', 'pg/z', 'pg9', 'pga', 'qq', 'r0', 'r1', 'r10', 'r2', 'x.y', 'x-y', 'x_y', 'y/a', 'zz', 'zz/zz',
];
const SORTED = [...NAMES].sort();
const IMAGES_REPO = 'pg/images';

let w: RunningWharf;
/** A nextToken handed out by ListImages (a cursor of another kind). */
let listImagesToken: string;

before(async () => {
  w = await startWharf();
  // Created in an order unrelated to name order.
  for (const n of [...NAMES].reverse().filter((_, i) => i % 2 === 0).concat([...NAMES].reverse().filter((_, i) => i % 2 === 1))) {
    await ecrOk(w, 'sdk-v3', 'CreateRepository', { repositoryName: n });
  }
  await push(w, IMAGES_REPO, smallImage(), 'a');
  await push(w, IMAGES_REPO, smallImage(), 'b');
  const page = await ecrOk(w, 'sdk-v3', 'ListImages', { repositoryName: IMAGES_REPO, maxResults: 1 });
  listImagesToken = page.nextToken as string;
  assert.ok(listImagesToken);
});
after(async () => {
  if (!w) return;
  closeSdkClient(w);
  await w.stop();
});

const names = (out: Record<string, unknown>) => (out.repositories as { repositoryName: string }[]).map((r) => r.repositoryName);

async function expectError(client: EcrClientName, input: Record<string, unknown>, code: string, message: string): Promise<void> {
  const e = await ecrErr(w, client, 'DescribeRepositories', input);
  assert.deepEqual({ code: e.code, message: e.message }, { code, message }, `${client} ${JSON.stringify(input)}`);
}

for (const client of ECR_CLIENTS) {
  test(`${client}: DescribeRepositories by name answers in request order`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const asked = ['zz', 'pg/a', 'r10', 'pg/a/b'];
    const out = await ecrOk(w, client, 'DescribeRepositories', { repositoryNames: asked });
    assert.deepEqual(names(out), asked);
    assert.equal(out.nextToken, undefined);
    assert.deepEqual(names(await ecrOk(w, client, 'DescribeRepositories', { repositoryNames: [...asked].reverse() })), [...asked].reverse());
    assert.deepEqual(names(await ecrOk(w, client, 'DescribeRepositories', { registryId: ACCOUNT, repositoryNames: ['qq'] })), ['qq']);
  });

  test(`${client}: DescribeRepositories errors`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    // One unknown name fails the whole call.
    await expectError(client, { repositoryNames: ['pg/a', 'pg/missing', 'zz'] }, 'RepositoryNotFoundException', notFound('pg/missing'));
    await expectError(client, { repositoryNames: ['pg/a'], maxResults: 5 }, 'InvalidParameterException', EXCLUSIVE);
    await expectError(client, { repositoryNames: ['pg/a'], nextToken: listImagesToken }, 'InvalidParameterException', EXCLUSIVE);
    await expectError(client, { nextToken: 'not-a-token' }, 'InvalidParameterException', BAD_TOKEN);
    await expectError(client, { nextToken: listImagesToken }, 'InvalidParameterException', BAD_TOKEN);
    // Another registry: naming a repository in it is RepositoryNotFound; listing it shows nothing.
    await expectError(client, { registryId: '111122223333', repositoryNames: ['pg/a', 'zz'] }, 'RepositoryNotFoundException',
      "The repository with name 'pg/a' does not exist in the registry with id '111122223333'");
    assert.deepEqual(await ecrOk(w, client, 'DescribeRepositories', { registryId: '111122223333' }), { repositories: [] });
    await expectError(client, { maxResults: 1001 }, 'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'");
  });

  test(`${client}: DescribeRepositories pages by hand in name order`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    // The CLI would follow nextToken itself: one page at a time is the raw API.
    if (client === 'aws-cli') {
      const seen: string[] = [];
      let token: string | undefined;
      const sizes: number[] = [];
      do {
        const r = await awsEcr(w, 'describe-repositories', '--no-paginate', '--max-results', '7', ...(token ? ['--next-token', token] : []));
        assert.equal(r.code, 0, r.stderr);
        sizes.push(r.json.repositories.length);
        seen.push(...names(r.json));
        token = r.json.nextToken;
      } while (token);
      assert.deepEqual(sizes, [7, 7, 7, 4]);
      assert.deepEqual(seen, SORTED);
      return;
    }
    const all = await ecrOk(w, client, 'DescribeRepositories', {});
    assert.deepEqual(names(all), SORTED, 'the default page (100) holds all 25');
    assert.equal(all.nextToken, undefined);
    const exact = await ecrOk(w, client, 'DescribeRepositories', { maxResults: 25 });
    assert.deepEqual(names(exact), SORTED);
    assert.equal(exact.nextToken, undefined, 'no nextToken when the page ends exactly at the last repository');
    const first = await ecrOk(w, client, 'DescribeRepositories', { maxResults: 24 });
    assert.deepEqual(names(first), SORTED.slice(0, 24));
    const last = await ecrOk(w, client, 'DescribeRepositories', { maxResults: 24, nextToken: first.nextToken });
    assert.deepEqual(names(last), SORTED.slice(24));
    assert.equal(last.nextToken, undefined);
  });
}

test('aws-cli: describe-repositories auto-paginates with --page-size and resumes with --max-items/--starting-token', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'aws')) return;
  const auto = await awsEcr(w, 'describe-repositories', '--page-size', '7');
  assert.equal(auto.code, 0, auto.stderr);
  assert.deepEqual(names(auto.json), SORTED);
  assert.equal(auto.json.NextToken, undefined);
  assert.equal(auto.json.nextToken, undefined);
  // --max-items 10 over pages of 7: the CLI's resume token points into the middle of a page.
  const seen: string[] = [];
  let token: string | undefined;
  const chunks: number[] = [];
  do {
    const r = await awsEcr(w, 'describe-repositories', '--page-size', '7', '--max-items', '10', ...(token ? ['--starting-token', token] : []));
    assert.equal(r.code, 0, r.stderr);
    chunks.push(r.json.repositories.length);
    seen.push(...names(r.json));
    token = r.json.NextToken;
  } while (token);
  assert.deepEqual(chunks, [10, 10, 5]);
  assert.deepEqual(seen, SORTED);
  const bad = await awsEcr(w, 'describe-repositories', '--no-paginate', '--next-token', 'not-a-token');
  assert.match(bad.stderr, /An error occurred \(InvalidParameterException\) when calling the DescribeRepositories operation: Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'/);
});

test('boto3: the describe_repositories paginator', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'python3')) return;
  const out = await boto3(w, `
p = ecr.get_paginator('describe_repositories')
pages = list(p.paginate(PaginationConfig={'PageSize': 7}))
first = p.paginate(PaginationConfig={'PageSize': 7, 'MaxItems': 10}).build_full_result()
rest = p.paginate(PaginationConfig={'PageSize': 7, 'StartingToken': first['NextToken']}).build_full_result()
out = {
  'sizes': [len(x['repositories']) for x in pages],
  'names': [r['repositoryName'] for x in pages for r in x['repositories']],
  'tokens': ['nextToken' in x for x in pages],
  'first': [r['repositoryName'] for r in first['repositories']],
  'rest': [r['repositoryName'] for r in rest['repositories']],
  'restToken': rest.get('NextToken'),
}`);
  assert.deepEqual(out.sizes, [7, 7, 7, 4]);
  assert.deepEqual(out.tokens, [true, true, true, false]);
  assert.deepEqual(out.names, SORTED);
  assert.deepEqual(out.first, SORTED.slice(0, 10));
  assert.deepEqual(out.rest, SORTED.slice(10));
  assert.equal(out.restToken, null);
});

test('sdk-v3: paginateDescribeRepositories', { timeout: 60_000 }, async () => {
  const sizes: number[] = [];
  const seen: string[] = [];
  for await (const page of paginateDescribeRepositories({ client: sdkClient(w), pageSize: 7 }, {})) {
    sizes.push(page.repositories!.length);
    seen.push(...page.repositories!.map((r) => r.repositoryName!));
  }
  assert.deepEqual(sizes, [7, 7, 7, 4]);
  assert.deepEqual(seen, SORTED);
  // Resuming from a token handed out mid-way continues where it stopped.
  const it = paginateDescribeRepositories({ client: sdkClient(w), pageSize: 7, startingToken: undefined }, {});
  const one = (await it.next()).value!;
  const resumed: string[] = [];
  for await (const page of paginateDescribeRepositories({ client: sdkClient(w), pageSize: 7, startingToken: one.nextToken }, {})) {
    resumed.push(...page.repositories!.map((r) => r.repositoryName!));
  }
  assert.deepEqual(resumed, SORTED.slice(7));
});
