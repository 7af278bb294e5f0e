// Role sessions and web identity through the real clients against a real listening Wharf. The test
// sets up IAM (a user with a key and a policy, roles, an OIDC provider with an inline JWKS) on the
// server's own store over a second connection, as an operator tool on the same data directory would:
// `aws sts assume-role` by the user, the session credentials (AWS_SESSION_TOKEN) on
// `aws sts get-caller-identity` and `aws ecr get-login-password`, a token sealed with a past expiry,
// a tampered token, a deleted role; boto3 and the aws CLI with AWS_ROLE_ARN +
// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ENDPOINT_URL_STS, and SDK v3's AssumeRoleWithWebIdentityCommand.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { openSqlite } from '../../src/adapters/metadata-sqlite/index.ts';
import { openLocalSecretBox } from '../../src/adapters/secret-box-local/index.ts';
import type { MetadataStore } from '../../src/ports/metadata-store.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { IamService } from '../../src/services/iam.ts';
import { SessionTokens } from '../../src/services/sessions.ts';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const ACCOUNT = '000000000000';
const GH = 'https://token.actions.githubusercontent.com';
const GH_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

/** process.env without any AWS_ variable (no stray profile, key or region of the machine). */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('AWS_') && v !== undefined)) as Record<string, string>;
}

describe('STS sessions and web identity through real clients', () => {
  let w: RunningWharf;
  let meta: MetadataStore;
  let iam: IamService;
  let alice: Creds;
  let rsa: CryptoKey;

  /**
   * The environment for the aws CLI and boto3: STS and ECR at `w`, `creds` (with AWS_SESSION_TOKEN
   * for a session). HOME is the server's data directory: the aws CLI caches web-identity sessions
   * under ~/.aws/cli/cache by role and session name (not by token), which must not leak across tests.
   */
  const env = (creds?: Creds): Record<string, string> => ({
    ...cleanEnv(), HOME: w.dataDir, AWS_ENDPOINT_URL_STS: w.url, AWS_ENDPOINT_URL_ECR: w.url, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1',
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
    ...(creds ? { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey } : {}),
    ...(creds?.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
  });

  /** `aws <args>` as JSON, or the AWS error code and message it printed. */
  async function aws(args: string[], e: Record<string, string>): Promise<{ ok: true; out: any } | { ok: false; code: string; message: string }> {
    const r = await run('aws', [...args, '--output', 'json'], e);
    if (r.code === 0) return { ok: true, out: r.stdout.trim() ? JSON.parse(r.stdout) : {} };
    const m = /An error occurred \((\w+)\) when calling the \w+ operation: (.*)$/s.exec(r.stderr.trim());
    if (!m) throw new Error(`aws ${args.join(' ')} failed without an AWS error (exit ${r.code}):\n${r.stderr}`);
    return { ok: false, code: m[1], message: m[2] };
  }

  const githubToken = async (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: GH, aud: 'sts.amazonaws.com', sub: 'repo:org/app:ref:refs/heads/main', iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'gh-1' }).sign(rsa);
  };

  before(async () => {
    w = await startWharf();
    const stores = openSqlite({ path: join(w.dataDir, 'wharf.db') });
    meta = stores.meta;
    const box = openLocalSecretBox(join(w.dataDir, 'master.key'));
    iam = new IamService(stores.identity, box, systemClock);
    await iam.createUser(ACCOUNT, { userName: 'alice' });
    await iam.putInlinePolicy({ kind: 'user', accountId: ACCOUNT, name: 'alice' }, 'assume',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT}:role/*` }] }));
    const k = await iam.createAccessKey(ACCOUNT, 'alice');
    alice = { accessKeyId: k.key.accessKeyId, secretAccessKey: k.secretAccessKey };
    for (const name of ['ci', 'doomed']) {
      await iam.createRole(ACCOUNT, { roleName: name, assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: ACCOUNT } }] }) });
    }
    const gh = await generateKeyPair('RS256');
    rsa = gh.privateKey;
    await iam.createOpenIDConnectProvider(ACCOUNT, { url: GH, clientIdList: ['sts.amazonaws.com'], jwks: JSON.stringify({ keys: [{ ...(await exportJWK(gh.publicKey)), kid: 'gh-1', alg: 'RS256', use: 'sig' }] }) });
    await iam.createRole(ACCOUNT, {
      roleName: 'gha', assumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: GH_PROVIDER }, Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/*' } } }],
      }),
    });
  });
  after(async () => {
    await meta?.close();
    await w?.stop();
  });

  async function assumeWithCli(role: string, extra: string[] = []): Promise<Creds> {
    const r = await aws(['sts', 'assume-role', '--role-arn', `arn:aws:iam::${ACCOUNT}:role/${role}`, '--role-session-name', 'cli', ...extra], env(alice));
    assert.ok(r.ok, JSON.stringify(r));
    const c = r.out.Credentials;
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }

  test('aws sts assume-role by a user; the session credentials are the assumed role on STS and name the session on ECR', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const r = await aws(['sts', 'assume-role', '--role-arn', `arn:aws:iam::${ACCOUNT}:role/ci`, '--role-session-name', 'cli', '--duration-seconds', '900'], env(alice));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/ci/cli`);
    assert.match(r.out.Credentials.AccessKeyId, /^ASIA/);
    const expiresIn = new Date(r.out.Credentials.Expiration).getTime() - Date.now();
    assert.ok(expiresIn > 880_000 && expiresIn <= 900_000, `expires in ${expiresIn} ms`);
    const session = { accessKeyId: r.out.Credentials.AccessKeyId, secretAccessKey: r.out.Credentials.SecretAccessKey, sessionToken: r.out.Credentials.SessionToken };
    const me = await aws(['sts', 'get-caller-identity'], env(session));
    assert.ok(me.ok, JSON.stringify(me));
    assert.equal(me.out.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/ci/cli`);
    assert.equal(me.out.Account, ACCOUNT);
    assert.match(me.out.UserId, /^AROA[A-Z2-7]{17}:cli$/);
    // ECR's authorizer lets only the root act for now: the refusal names the session.
    const login = await aws(['ecr', 'get-login-password'], env(session));
    assert.equal(!login.ok && login.code, 'AccessDeniedException');
    assert.match(!login.ok ? login.message : '', new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/ci/cli is not authorized to perform: ecr:GetAuthorizationToken`));
  });

  test('a session token sealed with a past expiry is ExpiredToken; a tampered one InvalidClientTokenId', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const role = await iam.getRole(ACCOUNT, 'ci');
    const sessions = new SessionTokens(openLocalSecretBox(join(w.dataDir, 'master.key')).derive('sts-session-token'), ACCOUNT);
    const past = Date.now() - 60_000;
    const old = sessions.mint({ roleArn: role.arn, roleId: role.id, sessionName: 'old', issuedAt: past - 900_000, expiresAt: past });
    assert.deepEqual(await aws(['sts', 'get-caller-identity'], env(old)), { ok: false, code: 'ExpiredToken', message: 'The security token included in the request is expired' });
    const fresh = await assumeWithCli('ci');
    const t0 = fresh.sessionToken!;
    const tampered = { ...fresh, sessionToken: t0.slice(0, 30) + (t0[30] === 'A' ? 'B' : 'A') + t0.slice(31) };
    assert.deepEqual(await aws(['sts', 'get-caller-identity'], env(tampered)), { ok: false, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
    assert.equal((await aws(['sts', 'get-caller-identity'], env(fresh))).ok, true);
  });

  test('deleting the role stops its session on the next request', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const session = await assumeWithCli('doomed');
    assert.equal((await aws(['sts', 'get-caller-identity'], env(session))).ok, true);
    await iam.deleteRole(ACCOUNT, 'doomed');
    assert.deepEqual(await aws(['sts', 'get-caller-identity'], env(session)), { ok: false, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
  });

  /** The web-identity environment boto3 and the aws CLI read (EKS / GitHub Actions style), without any key. */
  async function webIdentityEnv(claims: Record<string, unknown> = {}, sessionName = 'gha-run'): Promise<Record<string, string>> {
    const file = join(w.dataDir, `token-${Math.random().toString(36).slice(2)}.jwt`);
    writeFileSync(file, await githubToken(claims));
    return { ...env(), AWS_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/gha`, AWS_WEB_IDENTITY_TOKEN_FILE: file, AWS_ROLE_SESSION_NAME: sessionName };
  }

  test('boto3 with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ENDPOINT_URL_STS is the assumed role', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const script = "import boto3, json; print(json.dumps(boto3.client('sts').get_caller_identity()['Arn']))";
    const r = await run('python3', ['-c', script], await webIdentityEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), `arn:aws:sts::${ACCOUNT}:assumed-role/gha/gha-run`);
  });

  test('the aws CLI with the same environment; a token whose sub the trust policy refuses is AccessDenied', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const me = await aws(['sts', 'get-caller-identity'], await webIdentityEnv());
    assert.ok(me.ok, JSON.stringify(me));
    assert.equal(me.out.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/gha/gha-run`);
    const refused = await aws(['sts', 'get-caller-identity'], await webIdentityEnv({ sub: 'repo:evil/app:ref:refs/heads/main' }, 'gha-evil'));
    assert.deepEqual(refused, { ok: false, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
    const audience = await aws(['sts', 'assume-role-with-web-identity', '--role-arn', `arn:aws:iam::${ACCOUNT}:role/gha`, '--role-session-name', 'x1',
      '--web-identity-token', await githubToken({ aud: 'other' })], env());
    assert.deepEqual(audience, { ok: false, code: 'InvalidIdentityToken', message: 'Incorrect token audience' });
  });

  test('SDK v3: AssumeRoleWithWebIdentityCommand (unsigned), then GetCallerIdentity with the session', async () => {
    const anonymous = new STSClient({ endpoint: w.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
    let creds: Creds;
    try {
      const out = await anonymous.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/gha`, RoleSessionName: 'sdk', WebIdentityToken: await githubToken() }));
      assert.equal(out.Provider, GH_PROVIDER);
      creds = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    } finally {
      anonymous.destroy();
    }
    const sts = new STSClient({ endpoint: w.url, region: 'us-east-1', maxAttempts: 1, credentials: creds });
    try {
      assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/gha/sdk`);
    } finally {
      sts.destroy();
    }
  });
});
