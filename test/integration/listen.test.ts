// Listening, through the real `bin/wharf.js serve`: the "listening" log line names the address and
// port really bound, WHARF_PORT=0 puts the bound port in every URI Wharf hands out, and a port that
// cannot be had (in use, privileged) is a one-line error with a non-zero exit, never a stack trace.
// In process: a request reaching the port bound before the app exists waits for it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ECRClient, CreateRepositoryCommand, GetAuthorizationTokenCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { TEST_CREDENTIALS, TEST_REGION, WHARF_BIN } from '../helpers/server.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig, withBoundPort } from '../../src/config/load.ts';
import { bindServer } from '../../src/http/listen.ts';

const rootEnv = { WHARF_ROOT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, WHARF_REGION: TEST_REGION };

/** Runs `wharf serve` and resolves with the parsed "wharf listening" log line (or rejects with the output). */
function serveUntilListening(args: string[], env: Record<string, string>): Promise<{ proc: ChildProcess; line: Record<string, any> }> {
  const proc = spawn(WHARF_BIN, ['serve', ...args], { env: { ...process.env, ...rootEnv, WHARF_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      for (const l of out.split('\n')) {
        if (!l.includes('"wharf listening"')) continue;
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        proc.stderr!.resume();
        return resolve({ proc, line: JSON.parse(l) });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', (code) => reject(new Error(`wharf exited (${code}) before listening:\n${out}`)));
  });
}

/** Runs `wharf serve` expecting it to fail; resolves with its exit code and stderr. */
function serveFailing(args: string[], opts: { env?: Record<string, string>; uid?: number; gid?: number } = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const proc = spawn(WHARF_BIN, ['serve', ...args], { env: { ...process.env, ...rootEnv, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid });
    let stdout = '', stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
  });
}

function stopByPid(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGTERM'); });
}

test('WHARF_PORT=0: the log names the bound port, and so do repositoryUri, proxyEndpoint, download URLs and the realm', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-listen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { proc, line } = await serveUntilListening(['--host', '127.0.0.1', '--data-dir', dir], { WHARF_PORT: '0' });
  t.after(() => stopByPid(proc));
  const port = line.port as number;
  assert.ok(Number.isInteger(port) && port > 0, JSON.stringify(line));
  const base = `http://127.0.0.1:${port}`;
  assert.equal(line.address, '127.0.0.1');
  assert.equal(line.url, base);
  assert.equal(line.publicUrl, base);

  const v2 = await fetch(`${base}/v2/`);
  await v2.arrayBuffer();
  assert.equal(v2.status, 401, 'the logged port is the one really serving');
  assert.equal(v2.headers.get('www-authenticate'), `Basic realm="${base}/",service="ecr.amazonaws.com"`);

  const ecr = new ECRClient({ endpoint: base, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  t.after(() => ecr.destroy());
  const repo = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'listen/zero' }));
  assert.equal(repo.repository?.repositoryUri, `127.0.0.1:${port}/listen/zero`);
  const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
  assert.equal(auth.authorizationData?.[0].proxyEndpoint, base);

  // Push one blob, then ask ECR for its download URL and follow it.
  const authorization = `Basic ${auth.authorizationData![0].authorizationToken}`;
  const data = Buffer.from('a layer that lives at a port chosen by the kernel');
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const start = await fetch(`${base}/v2/listen/zero/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { authorization, 'content-type': 'application/octet-stream' }, body: data });
  await start.arrayBuffer();
  assert.equal(start.status, 201);
  const dl = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'listen/zero', layerDigest: digest }));
  assert.ok(dl.downloadUrl?.startsWith(`${base}/v2/listen/zero/blobs/${digest}?`), dl.downloadUrl);
  const got = await fetch(dl.downloadUrl!);
  assert.equal(got.status, 200);
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
});

test('a port in use is a one-line error naming host:port and a non-zero exit', { timeout: 60_000 }, async (t) => {
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => holder.close(() => r())));
  const port = (holder.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-listen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await serveFailing(['--host', '127.0.0.1', '--port', String(port), '--data-dir', dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `wharf: cannot listen on 127.0.0.1:${port}: address already in use\n`);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
});

test('a privileged port without the privilege is a one-line error (EACCES)', { timeout: 60_000 }, async (t) => {
  // As root the bind would succeed, so run as nobody; otherwise as ourselves.
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-listen-'));
  chmodSync(dir, 0o777);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // WHARF_TSX=1: nobody cannot write the bundle cache under node_modules.
  const r = await serveFailing(['--host', '127.0.0.1', '--port', '1', '--data-dir', dir], asRoot ? { uid: 65534, gid: 65534, env: { WHARF_TSX: '1', HOME: dir, TMPDIR: dir } } : {});
  if (r.stderr.includes('already in use')) return t.skip('port 1 is taken on this machine');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, 'wharf: cannot listen on 127.0.0.1:1: permission denied (ports below 1024 need privileges)\n');
});

test('a request that reaches the bound port before the app is ready is answered once it is', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-listen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configured = loadConfig({ env: { WHARF_PORT: '0', WHARF_DATA_DIR: dir, WHARF_LOG_LEVEL: 'silent' } });
  const bound = await bindServer('127.0.0.1', 0);
  const config = withBoundPort(configured, bound.address.port);
  const arrived = new Promise<void>((r) => bound.server.once('request', () => r()));
  const early = fetch(`${config.publicUrl}/v2/`);
  await arrived; // the server has the request, and no app exists yet
  const app = await buildApp(config, { bound });
  t.after(() => app.close());
  await app.http.ready();
  const res = await early;
  await res.arrayBuffer();
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), `Basic realm="${config.publicUrl}/",service="ecr.amazonaws.com"`);
});
