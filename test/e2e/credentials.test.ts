// `wharf credentials rotate-root` against a running server, checked with the real aws CLI: the old
// key is refused at once, the new one (printed once, written to root-credentials) works.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WHARF_BIN, freePort, outputMatching, wharfCli } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

interface Key { id: string; secret: string }

function parseKey(text: string): Key {
  const id = /aws_access_key_id = (\S+)/.exec(text)?.[1];
  const secret = /aws_secret_access_key = (\S+)/.exec(text)?.[1];
  assert.ok(id && secret, `no key in:\n${text}`);
  return { id, secret };
}

/** This process's environment without any AWS_* or WHARF_* variable. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('AWS_') && !k.startsWith('WHARF_'))) as Record<string, string>;
}

/** `wharf serve` on a free loopback port with no WHARF_ROOT_* (so it generates root-credentials). */
async function serveFresh(dataDir: string) {
  const port = await freePort();
  const proc = spawn(WHARF_BIN, ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], { env: { ...cleanEnv(), WHARF_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharf exited early:\n${out}`);
    try { await (await fetch(`${url}/v2/`)).arrayBuffer(); break; } catch {
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`wharf did not start:\n${out}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, output: () => out,
    async stop() { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; } },
  };
}

/** Runs `aws ecr <args>` against `url` with the given credential environment. */
function aws(url: string, creds: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...cleanEnv(), AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_ECR: url, ...creds };
  return new Promise((resolve) => {
    execFile('aws', ['ecr', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr }));
  });
}
const withKey = (k: Key) => ({ AWS_ACCESS_KEY_ID: k.id, AWS_SECRET_ACCESS_KEY: k.secret });

test('credentials rotate-root: the old root key is refused by the running server, the new one and the rewritten file work', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'aws')) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-rotate-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let server = await serveFresh(dataDir);
  t.after(() => server.stop());
  const file = join(dataDir, 'root-credentials');
  const profile = { AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: 'wharf' };
  const old = parseKey(readFileSync(file, 'utf8'));
  assert.match(await outputMatching(server.output, /generated the root access key/), /generated the root access key/);

  const before = await aws(server.url, profile, 'describe-repositories');
  assert.equal(before.code, 0, before.stderr);
  const token = await aws(server.url, withKey(old), 'get-login-password');
  assert.equal(token.code, 0, token.stderr);
  const basic = `Basic ${Buffer.from(`AWS:${token.stdout.trim()}`).toString('base64')}`;

  const rotated = await wharfCli(['credentials', 'rotate-root', '--data-dir', dataDir]);
  assert.equal(rotated.code, 0, rotated.stderr);
  const fresh = parseKey(rotated.stdout);
  assert.notEqual(fresh.id, old.id);
  assert.match(fresh.id, /^AKIA[A-Z2-7]{16}$/);
  assert.match(rotated.stderr, /1 old root key\(s\) deactivated/);
  assert.ok(rotated.stderr.includes(`rewrote ${file}`), rotated.stderr);
  assert.ok(!rotated.stderr.includes(fresh.secret), 'the secret is printed once, on stdout only');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(parseKey(readFileSync(file, 'utf8')), fresh);

  const refused = await aws(server.url, withKey(old), 'describe-repositories');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /UnrecognizedClientException/);
  const viaEnv = await aws(server.url, withKey(fresh), 'create-repository', '--repository-name', 'after/rotation');
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const viaFile = await aws(server.url, profile, 'describe-repositories', '--query', 'repositories[].repositoryName');
  assert.equal(viaFile.code, 0, viaFile.stderr);
  assert.deepEqual(JSON.parse(viaFile.stdout), ['after/rotation']);

  // Documented choice: a registry token issued before the rotation lives out its 12 hours.
  const stillValid = await fetch(`${server.url}/v2/after/rotation/tags/list`, { headers: { authorization: basic } });
  await stillValid.arrayBuffer();
  assert.equal(stillValid.status, 200);

  // A restart neither revives the old key nor generates another one.
  await server.stop();
  server = await serveFresh(dataDir);
  assert.doesNotMatch(server.output(), /generated the root access key/);
  assert.deepEqual(parseKey(readFileSync(file, 'utf8')), fresh);
  assert.match((await aws(server.url, withKey(old), 'describe-repositories')).stderr, /UnrecognizedClientException/);
  assert.equal((await aws(server.url, profile, 'describe-repositories')).code, 0);
});
