// Authentication end to end: SigV4 on the ECR API (missing, unknown key, wrong secret, skewed clock,
// presigned query form), registry login with the real docker and podman clients, the registry
// token's shape and refusals on /v2/, and the root key generated on first start.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { openLocalSecretBox } from '../../src/adapters/secret-box-local/index.ts';
import { rootPrincipal } from '../../src/services/identity.ts';
import { TokenService } from '../../src/services/tokens.ts';
import { freePort, outputMatching, startWharf, TEST_CREDENTIALS, TEST_REGION, WHARF_BIN, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const JSON_11 = 'application/x-amz-json-1.1';
const ACCOUNT = '000000000000';
const MIN = 60_000;
const HOUR = 60 * MIN;

function exec(cmd: string, args: string[], env: Record<string, string>, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `aws ecr ...` with the error code and message parsed out of stderr. */
async function awsEcr(env: Record<string, string>, args: string[]) {
  const r = await exec('aws', ['ecr', ...args, '--output', 'json'], env);
  const m = r.stderr.match(/An error occurred \((\w+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/s);
  return { ...r, out: r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined, errCode: m?.[1], message: m?.[2].trim() };
}

interface SignOpts { credentials?: { accessKeyId: string; secretAccessKey: string }; date?: Date; presign?: number; target?: string; body?: string }

/** A raw ECR request signed by @smithy/signature-v4 (header form, or presigned query form). */
async function signedPost(w: RunningWharf, o: SignOpts = {}) {
  const u = new URL(w.url);
  const body = o.body ?? '{}';
  const signer = new SignatureV4({ service: 'ecr', region: TEST_REGION, credentials: o.credentials ?? TEST_CREDENTIALS, sha256: Sha256 });
  const request = {
    method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {},
    headers: { host: u.host, 'content-type': JSON_11, 'x-amz-target': `${PREFIX}.${o.target ?? 'DescribeRepositories'}` }, body,
  };
  const signed = o.presign !== undefined
    // X-Amz-Target stays a header (smithy would hoist every x-amz-* header into the query).
    ? await signer.presign(request, { expiresIn: o.presign, signingDate: o.date, unhoistableHeaders: new Set(['x-amz-target']) })
    : await signer.sign(request, { signingDate: o.date });
  const { host: _, ...headers } = signed.headers;
  const qs = new URLSearchParams(signed.query as Record<string, string>).toString();
  const r = await fetch(`${w.url}/${qs ? `?${qs}` : ''}`, { method: 'POST', headers, body });
  return { status: r.status, headers: r.headers, json: await r.json() as any };
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Flips the high bit of one token character so the decoded bytes really change. */
function flip(s: string, i: number): string {
  const c = B64URL.indexOf(s[i]);
  return s.slice(0, i) + (c < 0 ? 'A' : B64URL[c ^ 32]) + s.slice(i + 1);
}

describe('SigV4 on the ECR API', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf({ repositories: ['auth/app'] }); });
  after(async () => { await w?.stop(); });

  test('a request without any signature answers MissingAuthenticationTokenException', async () => {
    const r = await fetch(`${w.url}/`, { method: 'POST', headers: { 'content-type': JSON_11, 'x-amz-target': `${PREFIX}.DescribeRepositories` }, body: '{}' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.deepEqual(await r.json(), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  test('an unknown access key answers UnrecognizedClientException (aws CLI and SDK v3)', async (t) => {
    const stranger = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' };
    const sdk = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: stranger, maxAttempts: 1 });
    await assert.rejects(sdk.send(new DescribeRepositoriesCommand({})), (e: any) => {
      assert.equal(e.name, 'UnrecognizedClientException');
      assert.equal(e.message, 'The security token included in the request is invalid.');
      return true;
    });
    sdk.destroy();
    if (!requireTools(t, 'aws')) return;
    const r = await awsEcr({ ...w.awsEnv, AWS_ACCESS_KEY_ID: stranger.accessKeyId, AWS_SECRET_ACCESS_KEY: stranger.secretAccessKey, AWS_MAX_ATTEMPTS: '1' }, ['describe-repositories']);
    assert.equal(r.errCode, 'UnrecognizedClientException', r.stderr);
    assert.equal(r.message, 'The security token included in the request is invalid.');
  });

  test('the right key with a wrong secret answers InvalidSignatureException', async (t) => {
    const r = await signedPost(w, { credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
    assert.match(r.json.message, /^The request signature we calculated does not match the signature you provided\./);
    if (!requireTools(t, 'aws')) return;
    const cli = await awsEcr({ ...w.awsEnv, AWS_SECRET_ACCESS_KEY: 'not-the-secret', AWS_MAX_ATTEMPTS: '1' }, ['describe-repositories']);
    assert.equal(cli.errCode, 'InvalidSignatureException', cli.stderr);
  });

  test('a clock 20 minutes off either way answers InvalidSignatureException (Signature expired / not yet current)', async () => {
    const old = await signedPost(w, { date: new Date(Date.now() - 20 * MIN) });
    assert.equal(old.status, 400);
    assert.equal(old.json.__type, 'InvalidSignatureException');
    assert.match(old.json.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const future = await signedPost(w, { date: new Date(Date.now() + 20 * MIN) });
    assert.equal(future.json.__type, 'InvalidSignatureException');
    assert.match(future.json.message, /^Signature not yet current: /);
    const slightly = await signedPost(w, { date: new Date(Date.now() - 10 * MIN) });
    assert.equal(slightly.status, 200, JSON.stringify(slightly.json));
  });

  test('the presigned query-string form works, and expires', async () => {
    const ok = await signedPost(w, { presign: 300 });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.headers.get('x-amzn-errortype'), null);
    assert.deepEqual(ok.json.repositories.map((r: any) => r.repositoryName), ['auth/app']);
    const stale = await signedPost(w, { presign: 60, date: new Date(Date.now() - 5 * MIN) });
    assert.equal(stale.json.__type, 'InvalidSignatureException');
    assert.match(stale.json.message, /^Signature expired: .* - 60 sec\.\)$/);
  });
});

describe('registry login', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf({ repositories: ['auth/app'] }); });
  after(async () => { await w?.stop(); });

  test('GetAuthorizationToken: base64("AWS:" + password), 12 hours, proxyEndpoint = the server URL', async () => {
    const sdk = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const out = await sdk.send(new GetAuthorizationTokenCommand({}));
    sdk.destroy();
    assert.equal(out.authorizationData?.length, 1);
    const d = out.authorizationData![0];
    const decoded = Buffer.from(d.authorizationToken!, 'base64').toString('utf8');
    assert.match(decoded, /^AWS:[^\s:]+$/);
    assert.equal(b64(decoded), d.authorizationToken);
    assert.ok(Math.abs(d.expiresAt!.getTime() - (Date.now() + 12 * HOUR)) < MIN, String(d.expiresAt));
    assert.equal(d.proxyEndpoint, w.url);
  });

  test('aws ecr get-login-password | docker login prints "Login Succeeded"', async (t) => {
    if (!requireTools(t, 'aws', 'docker')) return;
    const dockerConfig = mkdtempSync(join(tmpdir(), 'wharf-docker-config-'));
    t.after(() => rmSync(dockerConfig, { recursive: true, force: true }));
    const r = await exec('sh', ['-c', `aws ecr get-login-password | docker login --username AWS --password-stdin ${w.hostPort}`], { ...w.awsEnv, DOCKER_CONFIG: dockerConfig });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
    const saved = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'));
    assert.match(Buffer.from(saved.auths[w.hostPort].auth, 'base64').toString('utf8'), /^AWS:/);
    const bad = await exec('docker', ['login', '--username', 'AWS', '--password', 'not-a-token', w.hostPort], { DOCKER_CONFIG: dockerConfig });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 403 Forbidden/);
  });

  test('aws ecr get-login-password | podman login --tls-verify=false prints "Login Succeeded!"', async (t) => {
    if (!requireTools(t, 'aws', 'podman')) return;
    const dir = mkdtempSync(join(tmpdir(), 'wharf-podman-auth-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const authFile = join(dir, 'auth.json');
    const r = await exec('sh', ['-c', `aws ecr get-login-password | podman login --tls-verify=false --username AWS --password-stdin ${w.hostPort}`], { ...w.awsEnv, REGISTRY_AUTH_FILE: authFile });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded!/);
    assert.ok(JSON.parse(readFileSync(authFile, 'utf8')).auths[w.hostPort]);
  });

  test('GET /v2/ without credentials is a 401 Basic challenge', async () => {
    const r = await fetch(`${w.url}/v2/`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"/);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const ok = await fetch(`${w.url}/v2/`, { headers: { authorization: w.authorization } });
    assert.equal(ok.status, 200);
  });

  const denied = async (authorization: string) => {
    const r = await fetch(`${w.url}/v2/auth/app/tags/list`, { headers: { authorization } });
    return { status: r.status, body: await r.json() as any };
  };

  test('a forged token, a Basic value without a colon, and a username other than AWS are 403 DENIED', async () => {
    const invalid = { errors: [{ code: 'DENIED', message: 'Your Authorization Token is invalid.' }] };
    for (const i of [0, Math.floor(w.password.length / 2), w.password.length - 2]) {
      assert.deepEqual(await denied(`Basic ${b64(`AWS:${flip(w.password, i)}`)}`), { status: 403, body: invalid }, `flip at ${i}`);
    }
    assert.deepEqual(await denied(`Basic ${b64('AWS-no-colon-at-all')}`), { status: 403, body: invalid });
    assert.deepEqual(await denied(`Basic ${b64(`root:${w.password}`)}`), { status: 403, body: invalid });
    assert.deepEqual(await denied(`Basic ${b64('AWS:')}`), { status: 403, body: invalid });
  });

  test('an expired token (made with the server\'s own key) is 403 DENIED with ECR\'s expiry message', async () => {
    const key = openLocalSecretBox(join(w.dataDir, 'master.key')).derive('registry-token');
    const tokens = new TokenService(key, ACCOUNT);
    const root = rootPrincipal(ACCOUNT, TEST_CREDENTIALS.accessKeyId);
    const expired = tokens.issue(root, new Date(Date.now() - 13 * HOUR)).token;
    assert.deepEqual(await denied(`Basic ${b64(`AWS:${expired}`)}`), {
      status: 403, body: { errors: [{ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' }] },
    });
    // The same key, a fresh date: accepted, which proves the expired one failed for its age alone.
    const fresh = tokens.issue(root, new Date()).token;
    const r = await fetch(`${w.url}/v2/auth/app/tags/list`, { headers: { authorization: `Basic ${b64(`AWS:${fresh}`)}` } });
    assert.equal(r.status, 200);
  });
});

describe('root key generated on first start', () => {
  test('is written to <dataDir>/root-credentials (0600), works with the aws CLI, and never appears in the logs', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-rootkey-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, WHARF_LOG_LEVEL: 'debug', WHARF_REGION: TEST_REGION };
    delete env.WHARF_ROOT_ACCESS_KEY_ID;
    delete env.WHARF_ROOT_SECRET_ACCESS_KEY;
    const start = async () => {
      const proc = spawn(WHARF_BIN, ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (d) => (output += d));
      proc.stderr.on('data', (d) => (output += d));
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`wharf exited early:\n${output}`);
        try { await (await fetch(`http://127.0.0.1:${port}/v2/`)).arrayBuffer(); break; } catch {
          if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`wharf did not start:\n${output}`); }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return { output: () => output, stop: async () => { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; } } };
    };

    const first = await start();
    let secret = '';
    try {
      const file = join(dataDir, 'root-credentials');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      const id = text.match(/^aws_access_key_id = (\S+)$/m)?.[1];
      secret = text.match(/^aws_secret_access_key = (\S+)$/m)?.[1] ?? '';
      assert.match(id ?? '', /^AKIA[A-Z2-7]{16}$/);
      assert.ok(secret.length >= 30);
      assert.match(text, /^\[wharf\]$/m);
      if (requireTools(t, 'aws')) {
        // The file is an AWS shared-credentials file: the CLI can use it as it is, by profile.
        const cli = await awsEcr({
          AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: 'wharf', AWS_CONFIG_FILE: '/dev/null', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '',
          AWS_DEFAULT_REGION: TEST_REGION, AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}`, AWS_PAGER: '',
        }, ['describe-repositories']);
        assert.equal(cli.code, 0, cli.stderr);
        assert.deepEqual(cli.out, { repositories: [] });
      }
      assert.match(await outputMatching(first.output, /root-credentials/), /root-credentials/, 'the log points at the file');
    } finally {
      await first.stop();
    }
    assert.ok(secret && !first.output().includes(secret), 'the secret is not in the server output');

    // A second start keeps the key and does not write the file again.
    const before = readFileSync(join(dataDir, 'root-credentials'), 'utf8');
    const second = await start();
    await second.stop();
    assert.equal(readFileSync(join(dataDir, 'root-credentials'), 'utf8'), before);
    assert.doesNotMatch(second.output(), /generated the root access key/);
    assert.ok(!second.output().includes(secret));
  });
});
