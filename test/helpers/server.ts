// Starts a real Wharf process listening on a loopback port, for end-to-end tests with real clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WHARF_BIN = join(ROOT, 'bin', 'wharf.js');

/** Root credentials every test server starts with (WHARF_ROOT_ACCESS_KEY_ID / _SECRET_ACCESS_KEY). */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIAWHARFTESTROOTKEY', secretAccessKey: 'wharf/test/secret+key0123456789abcdefghij' };
export const TEST_REGION = 'us-east-1';

/** Authorization headers of running test servers, by origin (see authedFetch). */
const authByOrigin = new Map<string, string>();

/**
 * fetch that logs in like docker does: requests to a Wharf started by startWharf() carry its
 * `Authorization: Basic base64(AWS:<token>)` unless the caller sets an Authorization header itself.
 */
export const authedFetch: typeof fetch = (input, init = {}) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const auth = authByOrigin.get(url.origin);
  const headers = new Headers(init.headers);
  if (auth && !headers.has('authorization')) headers.set('authorization', auth);
  return fetch(input, { ...init, headers });
};

/** The Authorization header for a test server's origin (for node:http requests). */
export function authHeaderFor(origin: string): string | undefined {
  return authByOrigin.get(origin);
}

/** Asks a running Wharf for a registry token with the AWS SDK (GetAuthorizationToken). */
export async function registryLogin(url: string, credentials = TEST_CREDENTIALS, caFile?: string): Promise<{ authorization: string; password: string; expiresAt?: Date; proxyEndpoint?: string }> {
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const requestHandler = caFile ? { httpsAgent: new HttpsAgent({ ca: readFileSync(caFile) }) } : undefined;
  const ecr = new ECRClient({ endpoint: url, region: TEST_REGION, credentials, maxAttempts: 1, requestHandler });
  try {
    const out = await ecr.send(new GetAuthorizationTokenCommand({}));
    const token = out.authorizationData![0].authorizationToken!;
    const password = Buffer.from(token, 'base64').toString('utf8').slice('AWS:'.length);
    return { authorization: `Basic ${token}`, password, expiresAt: out.authorizationData![0].expiresAt, proxyEndpoint: out.authorizationData![0].proxyEndpoint };
  } finally {
    ecr.destroy();
  }
}

export interface RunningWharf {
  /** `Authorization` header value for /v2/ (Basic base64("AWS:" + token)). */
  authorization: string;
  /** The registry password (token) for `docker login -u AWS` / skopeo --creds AWS:<password>. */
  password: string;
  /** Environment for the aws CLI / SDKs pointing at this server with the root credentials. */
  awsEnv: Record<string, string>;
  /** e.g. http://127.0.0.1:40123 (https://… when started with `tls`) */
  url: string;
  /** host:port, what docker/podman/skopeo take */
  hostPort: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  /** Output so far (stdout + stderr), for diagnostics. */
  output(): string;
  /** SIGTERM and wait; removes the data dir unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL and wait (data dir kept). */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `wharf <args>` to completion (admin commands), returning stdout; throws on non-zero exit. */
export async function wharfCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(WHARF_BIN, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** GET /v2/ once (over https trusting `caFile` when given); rejects when nothing answers. */
async function probe(url: string, caFile?: string): Promise<void> {
  if (!caFile) {
    const r = await fetch(`${url}/v2/`);
    await r.arrayBuffer();
    return;
  }
  const agent = new HttpsAgent({ ca: readFileSync(caFile), keepAlive: false });
  try {
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest(`${url}/v2/`, { agent }, (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      req.end();
    });
  } finally {
    agent.destroy();
  }
}

/** TLS for a test server: its certificate and key (WHARF_TLS_*), and the CA that signed them. */
export interface TestServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * Starts `wharf serve` on 127.0.0.1 and a free port with a fresh data dir (or `dataDir`), and waits
 * until GET /v2/ answers. `repositories` are created first with the admin CLI. With `tls` it serves
 * https (the url says so; authedFetch cannot be used then, as fetch does not trust the test CA).
 * `wrap` turns the command (program, arguments) into the one spawned, e.g. to run it in a private
 * mount namespace; it must exec the program in the end, so that the process signalled is Wharf itself.
 */
export async function startWharf(opts: {
  dataDir?: string; env?: Record<string, string>; args?: string[]; repositories?: string[]; tls?: TestServerTls;
  wrap?: (program: string, args: string[]) => [string, string[]];
} = {}): Promise<RunningWharf> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wharf-test-'));
  for (const r of opts.repositories ?? []) {
    const res = await wharfCli(['repositories', 'create', r, '--data-dir', dataDir, '--create'], opts.env);
    if (res.code !== 0) throw new Error(`repositories create ${r} failed: ${res.stderr}`);
  }
  const port = await freePort();
  const argv = ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(opts.args ?? [])];
  const [program, args] = opts.wrap ? opts.wrap(WHARF_BIN, argv) : [WHARF_BIN, argv];
  const proc = spawn(program, args, {
    env: {
      ...process.env, WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'warn',
      WHARF_ROOT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, WHARF_REGION: TEST_REGION,
      ...(opts.tls ? { WHARF_TLS_CERT_FILE: opts.tls.certFile, WHARF_TLS_KEY_FILE: opts.tls.keyFile } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharf exited early (${proc.exitCode}):\n${out}`);
    try {
      await probe(url, opts.tls?.caFile);
      break;
    } catch {
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`wharf did not start:\n${out}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const login = opts.env?.WHARF_ROOT_ACCESS_KEY_ID ? undefined : await registryLogin(url, TEST_CREDENTIALS, opts.tls?.caFile);
  if (login) authByOrigin.set(url, login.authorization);
  const awsEnv = {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: TEST_REGION, AWS_REGION: TEST_REGION, AWS_ENDPOINT_URL_ECR: url, AWS_ENDPOINT_URL: url,
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
  };
  return {
    url, port, dataDir, proc, hostPort: `127.0.0.1:${port}`,
    authorization: login?.authorization ?? '', password: login?.password ?? '', awsEnv,
    output: () => out,
    async stop(o = {}) {
      authByOrigin.delete(url);
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; }
    },
  };
}

/**
 * Waits until `output()` (a server's output so far) matches `re`, for at most `ms`, and returns it.
 * A server's log lines reach the test through a pipe, possibly after answers it sent later.
 */
export async function outputMatching(output: () => string, re: RegExp, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (!re.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return output();
}
