// Pull-time update exclusions end to end. Register/Deregister/ListPullTimeUpdateExclusions with the aws
// CLI, boto3 and the JS SDK against `wharf serve` (shapes, errors, paging, the 100-principal limit);
// then the effect on lastRecordedPullTime of pulls by an excluded IAM user, over /v2/ and BatchGetImage.
//
// ECR only excludes IAM users and roles, and Wharf's only principal today is the account root, which
// may not pull as anyone else. So the second part runs Wharf in this process (buildServices +
// buildHttpServer, listening on a loopback port) with a test-only access key for the user
// `scanner` and an AuthorizationService that grants that user the pull actions — the stand-in for the
// IAM identity policy a real scanner role would have. Production authorization is unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  CreateRepositoryCommand, DeregisterPullTimeUpdateExclusionCommand, DescribeImagesCommand, ECRClient, ListPullTimeUpdateExclusionsCommand,
  RegisterPullTimeUpdateExclusionCommand,
} from '@aws-sdk/client-ecr';
import { bootstrapRootKey, buildServices, openStores, type Stores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { AuthorizationService } from '../../src/services/authorization.ts';
import type { Principal } from '../../src/services/identity.ts';
import { freePort, registryLogin, startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { RegistryClient, type Exchange } from '../helpers/registry-client.ts';
import { MEDIA } from '../helpers/oci-layout.ts';
import { ECR_CLIENTS, callEcr, closeSdkClient, ecrErr, ecrOk, requireClient, type EcrClientName } from './ecr-clients.ts';
import { smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const SCANNER_ARN = `arn:aws:iam::${ACCOUNT}:user/scanner`;
/** The IAM user `scanner`'s access key, made in before() (the user pulls through the AWS-managed pull-only policy). */
let SCANNER_CREDENTIALS = { accessKeyId: '', secretAccessKey: '' };
const role = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;
/** A timestamp as epoch seconds (the SDK client helper hands Dates over as numbers, nested ones as ISO strings). */
const secs = (v: unknown) => (typeof v === 'string' ? Date.parse(v) / 1000 : (v as number | undefined));

describe('Register/Deregister/ListPullTimeUpdateExclusions', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf(); });
  after(async () => { if (w) closeSdkClient(w); await w?.stop(); });

  for (const client of ECR_CLIENTS) {
    test(`${client}: register, list, deregister, with ECR's errors for a duplicate and an unknown principal`, async (t) => {
      if (!requireClient(t, client)) return;
      const arn = role(`scanner-${client}`);
      const t0 = Date.now() / 1000;
      const reg = await ecrOk(w, client, 'RegisterPullTimeUpdateExclusion', { principalArn: arn });
      assert.deepEqual(Object.keys(reg).sort(), ['createdAt', 'principalArn']);
      assert.equal(reg.principalArn, arn);
      assert.ok(Math.abs(secs(reg.createdAt)! - t0) < 60, `createdAt ${reg.createdAt} is now`);

      const dup = await ecrErr(w, client, 'RegisterPullTimeUpdateExclusion', { principalArn: arn });
      assert.deepEqual([dup.code, dup.message], ['ExclusionAlreadyExistsException',
        `The pull time update exclusion for principal '${arn}' already exists in the registry with id '${ACCOUNT}'`]);
      assert.deepEqual(await ecrOk(w, client, 'ListPullTimeUpdateExclusions', {}), { pullTimeUpdateExclusions: [arn] });

      assert.deepEqual(await ecrOk(w, client, 'DeregisterPullTimeUpdateExclusion', { principalArn: arn }), { principalArn: arn });
      assert.deepEqual(await ecrOk(w, client, 'ListPullTimeUpdateExclusions', {}), { pullTimeUpdateExclusions: [] });
      const gone = await ecrErr(w, client, 'DeregisterPullTimeUpdateExclusion', { principalArn: arn });
      assert.deepEqual([gone.code, gone.message], ['ExclusionNotFoundException',
        `The pull time update exclusion for principal '${arn}' does not exist in the registry with id '${ACCOUNT}'`]);
    });

    test(`${client}: only IAM user and role ARNs of at most 200 characters are accepted (ValidationException)`, async (t) => {
      if (!requireClient(t, client)) return;
      for (const principalArn of [`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:sts::${ACCOUNT}:assumed-role/r/s`, 'scanner', role('x'.repeat(200 - role('').length + 1))]) {
        const e = await ecrErr(w, client, 'RegisterPullTimeUpdateExclusion', { principalArn });
        assert.equal(e.code, 'ValidationException', principalArn);
        assert.match(e.message, /^1 validation error detected: Value '.*' at 'principalArn' failed to satisfy constraint: Member must (satisfy regular expression pattern|have length less than or equal to 200)/);
      }
      const longest = role('x'.repeat(200 - role('').length));
      assert.equal(longest.length, 200);
      assert.equal((await ecrOk(w, client, 'RegisterPullTimeUpdateExclusion', { principalArn: longest })).principalArn, longest);
      await ecrOk(w, client, 'DeregisterPullTimeUpdateExclusion', { principalArn: longest });
    });
  }

  test('boto3: ListPullTimeUpdateExclusions pages in ARN order with maxResults and an opaque nextToken', async (t) => {
    if (!requireClient(t, 'boto3')) return;
    const arns = ['e', 'a', 'd', 'c', 'b'].map((n) => role(`page-${n}`));
    for (const principalArn of arns) await ecrOk(w, 'sdk-v3', 'RegisterPullTimeUpdateExclusion', { principalArn });
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out = await ecrOk(w, 'boto3', 'ListPullTimeUpdateExclusions', { maxResults: 2, ...(nextToken ? { nextToken } : {}) });
      seen.push(...(out.pullTimeUpdateExclusions as string[]));
      nextToken = out.nextToken as string | undefined;
      pages++;
    } while (nextToken);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...arns].sort());
    const bad = await ecrErr(w, 'boto3', 'ListPullTimeUpdateExclusions', { nextToken: 'not-a-token' });
    assert.deepEqual([bad.code, bad.message], ['InvalidParameterException', "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'"]);
    for (const principalArn of arns) await ecrOk(w, 'sdk-v3', 'DeregisterPullTimeUpdateExclusion', { principalArn });
  });

  test('SDK v3: the list holds at most 100 principals (LimitExceededException)', async () => {
    const ecr = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const arns = Array.from({ length: 100 }, (_, i) => role(`limit-${String(i).padStart(3, '0')}`));
    try {
      for (const principalArn of arns) await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn }));
      await assert.rejects(ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: role('one-too-many') })), (e: any) => {
        assert.equal(e.name, 'LimitExceededException');
        assert.equal(e.message, `The pull time update exclusion list of the registry with id '${ACCOUNT}' already holds the maximum of 100 principals.`);
        return true;
      });
      const first = await ecr.send(new ListPullTimeUpdateExclusionsCommand({}));
      assert.equal(first.pullTimeUpdateExclusions!.length, 100, 'the default page is 100');
      assert.equal(first.nextToken, undefined);
    } finally {
      for (const principalArn of arns) await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn })).catch(() => {});
      ecr.destroy();
    }
  });
});

/** A RegistryClient sending one fixed Authorization header (the in-process server is not startWharf's). */
class LoggedIn extends RegistryClient {
  constructor(base: string, private readonly authorization: string) { super(base); }
  override request(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Exchange> {
    return super.request(method, path, { ...init, headers: { authorization: this.authorization, ...init.headers } });
  }
}

function awsEnvFor(url: string, credentials: { accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: TEST_REGION, AWS_REGION: TEST_REGION, AWS_ENDPOINT_URL_ECR: url, AWS_ENDPOINT_URL: url,
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
  };
}

describe('pulls by an excluded principal leave lastRecordedPullTime alone', () => {
  const REPO = 'scanned/app';
  let dataDir: string;
  let stores: Stores;
  let http: ReturnType<typeof buildHttpServer>;
  let url: string;
  let root: ECRClient;
  let asRoot: LoggedIn;
  let asScanner: LoggedIn;
  /** The in-process server as the aws CLI / boto3 helpers see it, with root's or the scanner's credentials (their SDK v3 client is always root's). */
  let rootW: RunningWharf;
  let scannerW: RunningWharf;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-exclusions-'));
    const port = await freePort();
    const config = loadConfig({ env: {}, flags: { dataDir, host: '127.0.0.1', port, logLevel: 'silent' } });
    stores = await openStores(config);
    const services = buildServices(config, stores);
    await bootstrapRootKey(config, services, { WHARF_ROOT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey });
    // A real IAM user whose only permission is the AWS-managed pull-only policy.
    await services.iam.createUser(ACCOUNT, { userName: 'scanner' });
    await services.iam.attachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'scanner' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly');
    const made = await services.iam.createAccessKey(ACCOUNT, 'scanner');
    SCANNER_CREDENTIALS = { accessKeyId: made.key.accessKeyId, secretAccessKey: made.secretAccessKey };
    http = buildHttpServer(services, config, pino({ level: 'silent' }));
    await http.listen({ host: '127.0.0.1', port });
    url = `http://127.0.0.1:${port}`;
    root = new ECRClient({ endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    await root.send(new CreateRepositoryCommand({ repositoryName: REPO }));
    asRoot = new LoggedIn(url, (await registryLogin(url)).authorization);
    asScanner = new LoggedIn(url, (await registryLogin(url, SCANNER_CREDENTIALS)).authorization);
    const fake = (creds: typeof TEST_CREDENTIALS) => ({ url, awsEnv: awsEnvFor(url, creds) }) as unknown as RunningWharf;
    rootW = fake(TEST_CREDENTIALS);
    scannerW = fake(SCANNER_CREDENTIALS);
  });
  after(async () => {
    root?.destroy();
    for (const x of [rootW, scannerW]) if (x) closeSdkClient(x);
    await http?.close();
    await stores?.meta.close();
    await stores?.blobs.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function pushed(tag: string): Promise<{ digest: string; bytes: Buffer }> {
    const img = smallImage();
    await asRoot.push(REPO, img, tag);
    return { digest: img.descriptor.digest, bytes: img.bytes };
  }

  async function lastPull(tag: string): Promise<Date | undefined> {
    const out = await root.send(new DescribeImagesCommand({ repositoryName: REPO, imageIds: [{ imageTag: tag }] }));
    return out.imageDetails![0].lastRecordedPullTime;
  }

  async function v2Pull(c: LoggedIn, tag: string, bytes: Buffer): Promise<void> {
    const r = await c.request('GET', `/v2/${REPO}/manifests/${tag}`, { headers: { accept: MEDIA.ociManifest } });
    assert.equal(r.status, 200, r.describe());
    assert.ok(r.body.equals(bytes));
  }

  /** BatchGetImage of `tag` as the scanner through `client` (the SDK v3 client gets the scanner's keys). */
  async function batchGetAsScanner(client: EcrClientName, tag: string): Promise<void> {
    const input = { repositoryName: REPO, imageIds: [{ imageTag: tag }] };
    if (client === 'sdk-v3') {
      const c = new ECRClient({ endpoint: url, region: TEST_REGION, credentials: SCANNER_CREDENTIALS, maxAttempts: 1 });
      try {
        const { BatchGetImageCommand } = await import('@aws-sdk/client-ecr');
        assert.equal((await c.send(new BatchGetImageCommand(input))).images!.length, 1);
      } finally { c.destroy(); }
      return;
    }
    const r = await callEcr(scannerW, client, 'BatchGetImage', input);
    assert.ok(r.ok && (r.out.images as unknown[]).length === 1, JSON.stringify(r));
  }

  test('the scanner is a real, separate principal: its pulls count until it is excluded, and it may not manage exclusions', async (t) => {
    if (!requireClient(t, 'boto3')) return;
    const a = await pushed('a');
    await v2Pull(asScanner, 'a', a.bytes);
    assert.ok(await lastPull('a'), 'an ordinary pull by the scanner is recorded');
    const denied = await callEcr(scannerW, 'boto3', 'RegisterPullTimeUpdateExclusion', { principalArn: SCANNER_ARN });
    assert.deepEqual(denied.ok ? denied.out : [denied.error.code, denied.error.message], ['AccessDeniedException',
      `User: ${SCANNER_ARN} is not authorized to perform: ecr:RegisterPullTimeUpdateExclusion on resource: * because no identity-based policy allows the ecr:RegisterPullTimeUpdateExclusion action`]);
  });

  for (const client of ECR_CLIENTS) {
    test(`${client}: once the scanner is registered (by root, with ${client}), its /v2/ and BatchGetImage pulls are not recorded; root's are; after deregistering, its pulls count again`, async (t) => {
      if (!requireClient(t, client)) return;
      const b = await pushed(`b-${client}`);
      const c = await pushed(`c-${client}`);
      await ecrOk(rootW, client, 'RegisterPullTimeUpdateExclusion', { principalArn: SCANNER_ARN });
      try {
        // Effective at once, for both ways of pulling.
        await v2Pull(asScanner, `b-${client}`, b.bytes);
        await batchGetAsScanner(client, `b-${client}`);
        assert.equal(await lastPull(`b-${client}`), undefined, 'excluded pulls leave no pull time');
        const t0 = Date.now();
        await v2Pull(asRoot, `b-${client}`, b.bytes);
        const byRoot = await lastPull(`b-${client}`);
        assert.ok(byRoot && Math.abs(byRoot.getTime() - t0) < 60_000, 'root is not excluded');
      } finally {
        await ecrOk(rootW, client, 'DeregisterPullTimeUpdateExclusion', { principalArn: SCANNER_ARN });
      }
      await batchGetAsScanner(client, `c-${client}`);
      assert.ok(await lastPull(`c-${client}`), 'after deregistering, the scanner\'s pulls are recorded again');
    });
  }
});
