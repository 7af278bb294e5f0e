// Role sessions end to end on an in-process app with a fake clock, through @aws-sdk/client-sts and
// client-ecr over a loopback socket (the SDKs' clocks follow the fake one via systemClockOffset):
// user keys and GetCallerIdentity, AssumeRole's authorization (identity policy and trust policy,
// ExternalId, TagSession, role chaining), its answer, the session credentials on STS and ECR,
// expiry, tampering, deleting the role, registry tokens that live no longer than the session, and
// access-key last use written at most once a minute.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DescribeRegistryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import pino from 'pino';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { TEST_CREDENTIALS } from '../helpers/server.ts';

const ACCOUNT = '000000000000';
const T0 = new Date('2026-05-04T10:00:00Z');
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ci`;

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const trust = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] });
const allowAssume = (...actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', ...actions], Resource: '*' }] });

describe('STS role sessions (in-process, fake clock)', () => {
  let dir: string;
  let app: App;
  let url: string;
  let now = T0.getTime();
  const clock = { now: () => new Date(now) };
  let alice: Creds;
  let bob: Creds;

  const sts = (credentials: Creds) => new STSClient({ endpoint: url, region: 'eu-west-1', credentials, maxAttempts: 1, systemClockOffset: now - Date.now() });
  const ecr = (credentials: Creds) => new ECRClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1, systemClockOffset: now - Date.now() });

  /** Sends one STS command; the answer without metadata, or the error's name and message. */
  async function call<T>(credentials: Creds, command: { input: unknown } & object): Promise<{ ok: true; out: T } | { ok: false; code: string; message: string; status?: number }> {
    const client = sts(credentials);
    try {
      const { $metadata: _m, ...out } = (await client.send(command as never)) as unknown as Record<string, unknown>;
      return { ok: true, out: out as T };
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      if (!err.$metadata) throw e;
      return { ok: false, code: err.name, message: err.message, status: err.$metadata.httpStatusCode };
    } finally {
      client.destroy();
    }
  }

  async function assume(credentials: Creds, input: Partial<AssumeRoleCommandInput> = {}) {
    return call<{ Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date }; AssumedRoleUser: { AssumedRoleId: string; Arn: string }; PackedPolicySize?: number; SourceIdentity?: string }>(
      credentials, new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', ...input }));
  }

  async function session(credentials: Creds, input: Partial<AssumeRoleCommandInput> = {}): Promise<Creds> {
    const r = await assume(credentials, input);
    assert.ok(r.ok, JSON.stringify(r));
    const c = r.out.Credentials;
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }

  const whoAmI = (credentials: Creds) => call<{ UserId: string; Account: string; Arn: string }>(credentials, new GetCallerIdentityCommand({}));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-sts-'));
    app = await buildApp(loadConfig({ env: {}, flags: { dataDir: dir, accountId: ACCOUNT, region: 'us-east-1' } }), { logger: pino({ level: 'silent' }), clock });
    await app.services.identity.ensureRootKey(TEST_CREDENTIALS);
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`;
    const iam = app.services.iam;
    for (const name of ['alice', 'bob']) await iam.createUser(ACCOUNT, { userName: name, tags: [{ key: 'team', value: name === 'alice' ? 'build' : 'ops' }] });
    await iam.putInlinePolicy({ kind: 'user', accountId: ACCOUNT, name: 'alice' }, 'assume', allowAssume('sts:TagSession', 'sts:SetSourceIdentity'));
    const key = async (user: string) => {
      const k = await iam.createAccessKey(ACCOUNT, user);
      return { accessKeyId: k.key.accessKeyId, secretAccessKey: k.secretAccessKey };
    };
    alice = await key('alice');
    bob = await key('bob');
    // ci trusts the account (delegating to identity policies); the role may chain into itself.
    await iam.createRole(ACCOUNT, { roleName: 'ci', assumeRolePolicyDocument: trust({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }), tags: [{ key: 'env', value: 'prod' }] });
    await iam.putInlinePolicy({ kind: 'role', accountId: ACCOUNT, name: 'ci' }, 'chain', allowAssume());
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a user key is the user: GetCallerIdentity answers its AIDA id and ARN', async () => {
    const r = await whoAmI(alice);
    assert.ok(r.ok);
    assert.match(r.out.UserId, /^AIDA[A-Z2-7]{17}$/);
    assert.deepEqual({ ...r.out, UserId: 'x' }, { UserId: 'x', Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/alice` });
  });

  test('AssumeRole answers ASIA credentials, the session\'s ids and an expiry an hour away; they are the session on STS', async () => {
    const r = await assume(alice);
    assert.ok(r.ok, JSON.stringify(r));
    const roleId = (await app.services.iam.getRole(ACCOUNT, 'ci')).id;
    assert.match(r.out.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(r.out.Credentials.SecretAccessKey.length, 40);
    assert.equal(r.out.Credentials.Expiration.getTime(), now + 3600_000);
    assert.deepEqual(r.out.AssumedRoleUser, { AssumedRoleId: `${roleId}:s1`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci/s1` });
    assert.equal(r.out.PackedPolicySize, undefined, 'no policy or tags given');
    const c = r.out.Credentials;
    assert.deepEqual(await whoAmI({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }),
      { ok: true, out: { UserId: `${roleId}:s1`, Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci/s1` } });
    assert.ok((await app.services.iam.getRole(ACCOUNT, 'ci')).lastUsed, 'the role\'s last use is recorded');
  });

  test('a user without an identity policy allowing it is denied with STS\'s text; so is a role that does not exist', async () => {
    assert.deepEqual(await assume(bob), {
      ok: false, code: 'AccessDenied', status: 403, message: `User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
    });
    const missing = `arn:aws:iam::${ACCOUNT}:role/nope`;
    assert.deepEqual(await assume(alice, { RoleArn: missing }), {
      ok: false, code: 'AccessDenied', status: 403, message: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    });
  });

  test('a trust policy naming only another principal denies even an identity-policy Allow; ExternalId conditions hold', async () => {
    const iam = app.services.iam;
    await iam.createRole(ACCOUNT, { roleName: 'bob-only', assumeRolePolicyDocument: trust({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` } }) });
    const r = await assume(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/bob-only` });
    assert.equal(!r.ok && r.code, 'AccessDenied');
    await iam.createRole(ACCOUNT, { roleName: 'vendor', assumeRolePolicyDocument: trust({ Principal: { AWS: ACCOUNT }, Condition: { StringEquals: { 'sts:ExternalId': 'x-123' } } }) });
    const vendor = `arn:aws:iam::${ACCOUNT}:role/vendor`;
    assert.equal((await assume(alice, { RoleArn: vendor })).ok, false);
    assert.equal((await assume(alice, { RoleArn: vendor, ExternalId: 'wrong' })).ok, false);
    assert.equal((await assume(alice, { RoleArn: vendor, ExternalId: 'x-123' })).ok, true);
  });

  test('session tags need sts:TagSession in the trust policy; a session policy is packed and reported', async () => {
    const denied = await assume(alice, { Tags: [{ Key: 'project', Value: 'wharf' }] });
    assert.deepEqual(denied, { ok: false, code: 'AccessDenied', status: 403, message: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: sts:TagSession on resource: ${ROLE}` });
    const iam = app.services.iam;
    await iam.createRole(ACCOUNT, { roleName: 'tagged', assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { AWS: ACCOUNT } }] }), tags: [{ key: 'env', value: 'prod' }, { key: 'project', value: 'old' }] });
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: '*' }] });
    const r = await assume(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/tagged`, Tags: [{ Key: 'project', Value: 'wharf' }], TransitiveTagKeys: ['project'], Policy: policy, SourceIdentity: 'alice' });
    // SourceIdentity also needs sts:SetSourceIdentity.
    assert.equal(!r.ok && r.message, `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::${ACCOUNT}:role/tagged`);
    const ok = await assume(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/tagged`, Tags: [{ Key: 'project', Value: 'wharf' }], TransitiveTagKeys: ['project'], Policy: policy });
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.out.PackedPolicySize, Math.ceil(((policy.length) + 'project'.length + 'wharf'.length) * 100 / 2048));
    const c = ok.out.Credentials;
    const found = await app.services.identity.lookup(c.AccessKeyId, c.SessionToken);
    const p = found!.principal;
    assert.equal(p.kind, 'assumed-role');
    assert.deepEqual(p.principalTags, { env: 'prod', project: 'wharf' }, 'session tags over role tags');
    assert.deepEqual(p.session?.policy?.Statement, [{ Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: '*' }]);
    assert.deepEqual(p.session?.transitiveTagKeys, ['project']);
    assert.equal(p.session?.tokenIssueTime.getTime(), now);
  });

  test('malformed requests: session name, duration beyond the role\'s maximum, a malformed or too large session policy', async () => {
    const name = await assume(alice, { RoleSessionName: 'x' });
    assert.deepEqual(name, { ok: false, code: 'ValidationError', status: 400, message: "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2" });
    const long = await assume(alice, { DurationSeconds: 7200 });
    assert.deepEqual(long, { ok: false, code: 'ValidationError', status: 400, message: '1 validation error detected: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });
    const bad = await assume(alice, { Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}' });
    assert.deepEqual(bad, { ok: false, code: 'MalformedPolicyDocumentException', status: 400, message: 'Policy statement must contain resources.' });
    const tags = Array.from({ length: 20 }, (_, i) => ({ Key: `k${i}`, Value: 'v'.repeat(120) }));
    const huge = await assume(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/tagged`, Tags: tags });
    assert.equal(!huge.ok && huge.code, 'PackedPolicyTooLargeException', 'the model\'s error, so the wire code was PackedPolicyTooLarge');
    assert.match(!huge.ok ? huge.message : '', /^Packed policy consumes \d+% of allotted space, please use smaller policy\.$/);
  });

  test('role chaining: a session may assume a role for an hour at most', async () => {
    await app.services.iam.updateRole(ACCOUNT, 'ci', { maxSessionDuration: 7200 });
    const first = await session(alice, { DurationSeconds: 7200 });
    const chained = await assume(first, { RoleSessionName: 'chained', DurationSeconds: 3601 });
    assert.deepEqual(chained, { ok: false, code: 'ValidationError', status: 400, message: '1 validation error detected: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' });
    const ok = await assume(first, { RoleSessionName: 'chained' });
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/ci/chained`);
  });

  test('session credentials on ECR: the authorizer sees the session ARN', async () => {
    const creds = await session(alice);
    const client = ecr(creds);
    try {
      await assert.rejects(client.send(new DescribeRegistryCommand({})), (e: Error) => {
        assert.equal(e.name, 'AccessDeniedException');
        assert.match(e.message, new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/ci/s1 is not authorized to perform: ecr:DescribeRegistry`));
        return true;
      });
    } finally {
      client.destroy();
    }
  });

  test('expired session credentials are ExpiredToken on STS and ExpiredTokenException on ECR', async () => {
    const creds = await session(alice, { DurationSeconds: 900 });
    assert.equal((await whoAmI(creds)).ok, true);
    now += 900_000;
    assert.deepEqual(await whoAmI(creds), { ok: false, code: 'ExpiredToken', status: 400, message: 'The security token included in the request is expired' });
    const client = ecr(creds);
    try {
      await assert.rejects(client.send(new DescribeRegistryCommand({})), { name: 'ExpiredTokenException', message: 'The security token included in the request is expired' });
    } finally {
      client.destroy();
    }
  });

  test('a tampered, truncated, foreign or missing session token, or one for another key, is InvalidClientTokenId', async () => {
    const creds = await session(alice);
    const other = await session(alice, { RoleSessionName: 'other' });
    const t = creds.sessionToken!;
    const flipped = t.slice(0, 40) + (t[40] === 'A' ? 'B' : 'A') + t.slice(41);
    const invalid = { ok: false, code: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' };
    for (const sessionToken of [flipped, t.slice(0, -2), `${t}x`, 'not-a-token', other.sessionToken!]) {
      assert.deepEqual(await whoAmI({ ...creds, sessionToken }), invalid);
    }
    assert.deepEqual(await whoAmI({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }), invalid);
    assert.deepEqual(await whoAmI({ ...alice, sessionToken: t }), invalid, 'a long-term key with a session token');
    const client = ecr({ ...creds, sessionToken: flipped });
    try {
      await assert.rejects(client.send(new DescribeRegistryCommand({})), { name: 'UnrecognizedClientException' });
    } finally {
      client.destroy();
    }
  });

  test('registry tokens from session credentials expire with the session and die with the role', async () => {
    await app.services.iam.createRole(ACCOUNT, { roleName: 'short', assumeRolePolicyDocument: trust({ Principal: { AWS: ACCOUNT } }) });
    const creds = await session(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/short`, DurationSeconds: 1800 });
    const { principal } = (await app.services.identity.lookup(creds.accessKeyId, creds.sessionToken))!;
    const issued = app.services.authn.issue(principal);
    assert.equal(issued.expiresAt.getTime(), now + 1800_000, 'min(12 h, the session\'s expiry)');
    const v2 = () => fetch(`${url}/v2/`, { headers: { authorization: `Basic ${issued.authorizationToken}` } });
    assert.equal((await v2()).status, 200);
    const seen = await app.services.authn.basic(`Basic ${issued.authorizationToken}`);
    assert.equal(seen.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/short/s1`);
    assert.equal(seen.session?.expiresAt.getTime(), now + 1800_000);
    now += 1800_000 - 1000;
    assert.equal((await v2()).status, 200);
    now += 1000;
    const expired = await v2();
    assert.equal(expired.status, 403);
    assert.deepEqual(await expired.json(), { errors: [{ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' }] });

  });

  test('deleting the role ends its sessions at once (STS) and their registry tokens within 2 seconds', async () => {
    await app.services.iam.createRole(ACCOUNT, { roleName: 'doomed', assumeRolePolicyDocument: trust({ Principal: { AWS: ACCOUNT } }) });
    const creds = await session(alice, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/doomed` });
    const { principal } = (await app.services.identity.lookup(creds.accessKeyId, creds.sessionToken))!;
    const token = app.services.authn.issue(principal).authorizationToken;
    const v2 = () => fetch(`${url}/v2/`, { headers: { authorization: `Basic ${token}` } });
    assert.equal((await v2()).status, 200);
    assert.equal((await whoAmI(creds)).ok, true);
    await app.services.iam.deleteRole(ACCOUNT, 'doomed');
    assert.deepEqual(await whoAmI(creds), { ok: false, code: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' });
    // Made again under the same name, it is another role (another id): the old sessions stay dead.
    await app.services.iam.createRole(ACCOUNT, { roleName: 'doomed', assumeRolePolicyDocument: trust({ Principal: { AWS: ACCOUNT } }) });
    assert.equal((await whoAmI(creds)).ok, false);
    now += 2000;
    const r = await v2();
    assert.equal(r.status, 403);
    assert.deepEqual(await r.json(), { errors: [{ code: 'DENIED', message: 'Your Authorization Token is invalid.' }] });
  });

  test('a deleted user\'s registry token stops working; the user\'s key last use is written at most once a minute', async () => {
    const iam = app.services.iam;
    await iam.createUser(ACCOUNT, { userName: 'carol' });
    const k = await iam.createAccessKey(ACCOUNT, 'carol');
    const carol = { accessKeyId: k.key.accessKeyId, secretAccessKey: k.secretAccessKey };
    const lastUsed = async () => (await iam.getAccessKeyLastUsed(ACCOUNT, carol.accessKeyId)).lastUsed;
    const settle = () => new Promise((r) => setImmediate(r));
    assert.equal(await lastUsed(), undefined);
    assert.equal((await whoAmI(carol)).ok, true);
    await settle();
    const first = await lastUsed();
    assert.deepEqual(first && { date: first.date.getTime(), service: first.service, region: first.region }, { date: now, service: 'sts', region: 'eu-west-1' });
    now += 30_000;
    assert.equal((await whoAmI(carol)).ok, true);
    await settle();
    assert.equal((await lastUsed())?.date.getTime(), first!.date.getTime(), 'not written again within the minute');
    now += 31_000;
    assert.equal((await whoAmI(carol)).ok, true);
    await settle();
    assert.equal((await lastUsed())?.date.getTime(), now);

    const { principal } = (await app.services.identity.lookup(carol.accessKeyId))!;
    assert.equal(principal.userName, 'carol');
    const token = app.services.authn.issue(principal).authorizationToken;
    const v2 = () => fetch(`${url}/v2/`, { headers: { authorization: `Basic ${token}` } });
    assert.equal((await v2()).status, 200);
    await iam.deleteAccessKey(ACCOUNT, 'carol', carol.accessKeyId);
    await iam.deleteUser(ACCOUNT, 'carol');
    now += 2000;
    assert.equal((await v2()).status, 403);
  });
});
