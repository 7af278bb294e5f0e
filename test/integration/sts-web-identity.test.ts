// AssumeRoleWithWebIdentity on an in-process app over a loopback socket, with keys and tokens made
// here (jose): @aws-sdk/client-sts sends it unsigned; a GitHub-style provider with an inline JWKS
// (RS256) and a Kubernetes-style one with a JWKS file (ES256); the answer's members and the session
// it makes; each refusal with STS's code (wrong issuer, no provider, audience, signature, alg none,
// HS256, expiry, a trust-policy sub condition); a token of 15,000 characters read past the 4 KiB
// unsigned cap while other unsigned requests stay capped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import pino from 'pino';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { TEST_CREDENTIALS } from '../helpers/server.ts';

const ACCOUNT = '000000000000';
const GH = 'https://token.actions.githubusercontent.com';
const K8S = 'https://k8s.example.internal/cluster-1';
const GH_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/gha`;

describe('STS AssumeRoleWithWebIdentity (in-process)', () => {
  let dir: string;
  let app: App;
  let url: string;
  let port: number;
  let rsa: CryptoKey;
  let otherRsa: CryptoKey;
  let ec: CryptoKey;

  /** A signed token: GitHub's claims by default, `claims` over them. */
  async function token(claims: Record<string, unknown> = {}, o: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: GH, aud: 'sts.amazonaws.com', sub: 'repo:org/app:ref:refs/heads/main', iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? 'gh-1', typ: 'JWT' })
      .sign(o.key ?? rsa);
  }

  async function assume(webIdentityToken: string, roleArn = ROLE) {
    const sts = new STSClient({ endpoint: url, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
    try {
      const { $metadata: _m, ...out } = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'run-1', WebIdentityToken: webIdentityToken }));
      return { ok: true as const, out };
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      if (!err.$metadata) throw e;
      return { ok: false as const, code: err.name, message: err.message, status: err.$metadata.httpStatusCode };
    } finally {
      sts.destroy();
    }
  }

  /** One raw unsigned POST / (no Authorization), over its own connection. */
  function post(body: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-wif-'));
    app = await buildApp(loadConfig({ env: {}, flags: { dataDir: dir, accountId: ACCOUNT, region: 'us-east-1' } }), { logger: pino({ level: 'silent' }) });
    await app.services.identity.ensureRootKey(TEST_CREDENTIALS);
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    port = (app.http.server.address() as { port: number }).port;
    url = `http://127.0.0.1:${port}`;
    const gh = await generateKeyPair('RS256');
    rsa = gh.privateKey;
    ({ privateKey: otherRsa } = await generateKeyPair('RS256'));
    const k8s = await generateKeyPair('ES256');
    ec = k8s.privateKey;
    const jwk = async (publicKey: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
    const iam = app.services.iam;
    await iam.createOpenIDConnectProvider(ACCOUNT, { url: GH, clientIdList: ['sts.amazonaws.com'], jwks: JSON.stringify({ keys: [await jwk(gh.publicKey, 'gh-1', 'RS256')] }) });
    const jwksFile = join(dir, 'k8s-jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [await jwk(k8s.publicKey, 'k8s-1', 'ES256')] }));
    await iam.createOpenIDConnectProvider(ACCOUNT, { url: K8S, clientIdList: ['sts.amazonaws.com'], jwksFile });
    await iam.createRole(ACCOUNT, {
      roleName: 'gha', assumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: GH_PROVIDER },
          Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/*' } },
        }],
      }),
    });
    await iam.createRole(ACCOUNT, {
      roleName: 'pod', assumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/k8s.example.internal/cluster-1` },
          Condition: { StringEquals: { 'k8s.example.internal/cluster-1:sub': 'system:serviceaccount:ci:builder' } },
        }],
      }),
    });
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an RS256 token of an inline-JWKS provider becomes a role session; its credentials are the session', async () => {
    const r = await assume(await token());
    assert.ok(r.ok, JSON.stringify(r));
    const roleId = (await app.services.iam.getRole(ACCOUNT, 'gha')).id;
    assert.deepEqual(r.out.AssumedRoleUser, { AssumedRoleId: `${roleId}:run-1`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/gha/run-1` });
    assert.equal(r.out.SubjectFromWebIdentityToken, 'repo:org/app:ref:refs/heads/main');
    assert.equal(r.out.Provider, GH_PROVIDER);
    assert.equal(r.out.Audience, 'sts.amazonaws.com');
    assert.match(r.out.Credentials!.AccessKeyId!, /^ASIA/);
    const c = r.out.Credentials!;
    const sts = new STSClient({ endpoint: url, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
    try {
      const me = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/gha/run-1`);
      assert.equal(me.UserId, `${roleId}:run-1`);
    } finally {
      sts.destroy();
    }
    const found = await app.services.identity.lookup(c.AccessKeyId!, c.SessionToken!);
    assert.equal(found?.principal.session?.federatedProvider, GH_PROVIDER);
  });

  test('an ES256 token of a provider whose JWKS is a file is verified offline', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ iss: K8S, aud: ['sts.amazonaws.com'], sub: 'system:serviceaccount:ci:builder', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k8s-1' }).sign(ec);
    const r = await assume(t, `arn:aws:iam::${ACCOUNT}:role/pod`);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/pod/run-1`);
  });

  const invalid = (message: string) => ({ ok: false, code: 'InvalidIdentityTokenException', status: 400, message });

  test('refusals carry STS\'s codes: issuer, audience, signature, algorithm, expiry, the trust policy', async () => {
    assert.deepEqual(await assume(await token({ iss: 'https://evil.example' })), invalid('No OpenIDConnect provider found in your account for https://evil.example'));
    assert.deepEqual(await assume(await token({ iss: 'http://token.actions.githubusercontent.com' })), invalid('No OpenIDConnect provider found in your account for http://token.actions.githubusercontent.com'));
    assert.deepEqual(await assume(await token({ aud: 'someone-else' })), invalid('Incorrect token audience'));
    assert.deepEqual(await assume(await token({ aud: undefined })), invalid('Missing a required claim: aud'));
    const forged = await assume(await token({}, { key: otherRsa }));
    assert.equal(!forged.ok && forged.code, 'InvalidIdentityTokenException');
    assert.deepEqual(await assume(await token({}, { kid: 'unknown-kid' })), invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"));
    // alg none: header and claims with an empty signature.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: GH, aud: 'sts.amazonaws.com', sub: 'repo:org/app:ref:refs/heads/main', iat: now, exp: now + 300 })}.`;
    const refusedNone = await assume(none);
    assert.equal(!refusedNone.ok && refusedNone.code, 'InvalidIdentityTokenException');
    assert.match(!refusedNone.ok ? refusedNone.message : '', /algorithm STS does not accept \(none\)/);
    const hs = await new SignJWT({ iss: GH, aud: 'sts.amazonaws.com', sub: 'repo:org/app:x', iat: now, exp: now + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'gh-1' }).sign(new TextEncoder().encode('a-shared-secret-of-32-bytes!!!!!'));
    assert.match((await assume(hs) as { message: string }).message, /algorithm STS does not accept \(HS256\)/);
    const expired = await assume(await token({ iat: now - 900, exp: now - 600 }));
    assert.equal(!expired.ok && expired.code, 'ExpiredTokenException');
    assert.match(!expired.ok ? expired.message : '', /^Token expired: current date\/time .+ must be before the expiration date\/time .+$/);
    assert.deepEqual(await assume('not-a-jwt'), invalid('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)'));
    assert.deepEqual(await assume(await token({ sub: 'repo:other/app:ref:refs/heads/main' })), { ok: false, code: 'AccessDenied', status: 403, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
    assert.deepEqual(await assume(await token(), `arn:aws:iam::${ACCOUNT}:role/pod`), { ok: false, code: 'AccessDenied', status: 403, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' }, 'a role that trusts another provider');
    const shortSub = await assume(await token({ sub: 'x' }));
    assert.equal(!shortSub.ok && shortSub.code, 'IDPRejectedClaimException');
    assert.equal(!shortSub.ok && shortSub.status, 403);
  });

  test('the unsigned cap is raised only for AssumeRoleWithWebIdentity: a 15,000-character token is read, other unsigned bodies over 4 KiB are not', async () => {
    const big = await token({ padding: 'p'.repeat(11_000) });
    assert.ok(big.length > 15_000);
    const body = `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=big&WebIdentityToken=${big}`;
    const ok = await post(body);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA/);
    assert.match(ok.text, /<\/Credentials><SubjectFromWebIdentityToken>repo:org\/app:ref:refs\/heads\/main<\/SubjectFromWebIdentityToken><AssumedRoleUser>.*<\/AssumedRoleUser><Provider>arn:aws:iam::000000000000:oidc-provider\/token\.actions\.githubusercontent\.com<\/Provider><Audience>sts\.amazonaws\.com<\/Audience><\/AssumeRoleWithWebIdentityResult>/);
    const other = await post(`Action=GetCallerIdentity&Version=2011-06-15&Padding=${'x'.repeat(8 * 1024)}`);
    assert.equal(other.status, 403);
    assert.equal(other.headers.connection, 'close');
    assert.match(other.text, /<Code>MissingAuthenticationToken<\/Code>/);
    const saml = await post('Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=x&PrincipalArn=y&SAMLAssertion=z');
    assert.equal(saml.status, 400);
    assert.match(saml.text, /<Code>InvalidAction<\/Code><Message>Wharf does not implement the STS operation &apos;AssumeRoleWithSAML&apos; yet\.<\/Message>/);
  });
});
