// Starts and stops the two registries under test (Wharf and CNCF Distribution) on loopback ports with fresh data dirs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ecrLogin, newAccessKey, BENCH_REGION, type AccessKey } from './ecr-login.ts';
import { Client } from './http.ts';
import { RssSampler } from './rss.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WHARF_BIN = join(ROOT, 'bin', 'wharf.js');
export const DISTRIBUTION_BIN = process.env.DISTRIBUTION_BIN ?? '/usr/bin/docker-registry';

export type Kind = 'distribution' | 'wharf';

export interface Registry {
  kind: Kind;
  url: string;
  /** host:port, as skopeo wants it */
  hostPort: string;
  dataDir: string;
  logFile: string;
  proc: ChildProcess;
  client: Client;
  rss: RssSampler;
  /** Notes about how this registry was set up or behaved (shown in the report). */
  notes: string[];
  /** GET /v2/ answered 401 before login. */
  loginRequired: boolean;
  /** Wharf: the root access key the run gave it (for the AWS APIs). */
  rootKey?: AccessKey;
  alive(): boolean;
  stop(): Promise<void>;
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

export function distributionVersion(): string {
  try {
    return execFileSync(DISTRIBUTION_BIN, ['--version'], { encoding: 'utf8' }).trim();
  } catch (e) {
    return `unknown (${(e as Error).message})`;
  }
}

function tail(s: string, n = 2000): string {
  return s.length > n ? `...${s.slice(-n)}` : s;
}

/** Head and tail of a long output: the cause of a crash is usually at the top, the context at the bottom. */
function ends(s: string, n = 900): string {
  return s.length > n ? `${s.slice(0, Math.floor(n * 0.7))} [...] ${s.slice(-Math.floor(n * 0.3))}` : s;
}

/**
 * Spawns a server, logs its output to logFile, waits for GET /v2/ (200, or 401 once login is required).
 * With `direct`, the server writes its output into logFile itself (no pipe through this process,
 * whose reading would otherwise compete with the load it generates).
 */
async function launch(kind: Kind, cmd: string, args: string[], env: NodeJS.ProcessEnv, port: number, dataDir: string, logFile: string, notes: string[], direct = false): Promise<Registry> {
  const log: WriteStream | undefined = direct ? undefined : createWriteStream(logFile);
  const fd = direct ? openSync(logFile, 'w') : undefined;
  let recent = '';
  const proc = spawn(cmd, args, { env, stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd], cwd: ROOT });
  if (fd !== undefined) closeSync(fd);
  const onData = (d: Buffer) => {
    log?.write(d);
    recent = tail(recent + d.toString('utf8'), 4000);
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const output = () => (direct ? tail(readFileSync(logFile, 'utf8'), 4000) : recent);
  let spawnError: Error | undefined;
  proc.on('error', (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const client = new Client(url);

  const deadline = Date.now() + 30_000;
  let loginRequired = false;
  for (;;) {
    if (spawnError) throw new Error(`${kind}: cannot start ${cmd}: ${spawnError.message}`);
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${kind} exited early (code ${proc.exitCode}, signal ${proc.signalCode}); output:\n${ends(output(), 2500)}`);
    try {
      const r = await client.request('GET', '/v2/', { expect: [200, 401], timeoutMs: 2000 });
      loginRequired = r.status === 401;
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`${kind} did not answer GET /v2/ within 30 s (${(e as Error).message}); output:\n${ends(output(), 2500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const rss = new RssSampler(proc.pid!);
  rss.start();
  return {
    kind, url, hostPort: `127.0.0.1:${port}`, dataDir, logFile, proc, client, rss, notes, loginRequired,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async stop() {
      rss.stop();
      client.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM'); // our own child, by its pid
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      log?.end();
    },
  };
}

export async function startDistribution(workDir: string, logFile: string): Promise<Registry> {
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const config = join(workDir, 'config.yml');
  // The Debian package's stock settings (filesystem driver, in-memory blob descriptor cache), quiet logs.
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  cache:',
    '    blobdescriptor: inmemory',
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n'));
  return launch('distribution', DISTRIBUTION_BIN, ['serve', config], process.env, port, dataDir, logFile, []);
}

function runWharfCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(WHARF_BIN, [...args], { cwd: ROOT, env: { ...process.env, WHARF_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', (e) => resolve({ code: -1, out: e.message }));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/**
 * Creates repositories with `wharf repositories create a b c ... --data-dir D` in batches; if the CLI turns out
 * to take one name only, falls back to one call per name (slow: a node start each) and says so in notes.
 */
export async function createWharfRepositories(dataDir: string, names: string[], notes: string[]): Promise<void> {
  if (names.length === 0) return;
  const batch = 200;
  for (let i = 0; i < names.length; i += batch) {
    const part = names.slice(i, i + batch);
    const r = await runWharfCli(['repositories', 'create', ...part, '--data-dir', dataDir, '--create']);
    if (r.code === 0) continue;
    if (part.length > 1) {
      const one = await runWharfCli(['repositories', 'create', part[0], '--data-dir', dataDir, '--create']);
      if (one.code === 0) {
        notes.push(`\`wharf repositories create\` failed with ${part.length} names (exit ${r.code}: ${ends(r.out.trim(), 300)}) but worked with one; created one per call`);
        for (const n of [...part.slice(1), ...names.slice(i + batch)]) {
          const each = await runWharfCli(['repositories', 'create', n, '--data-dir', dataDir, '--create']);
          if (each.code !== 0) throw new Error(`wharf repositories create ${n} --data-dir ${dataDir} -> exit ${each.code}: ${ends(each.out.trim())}`);
        }
        return;
      }
    }
    throw new Error(`wharf repositories create ${part.slice(0, 3).join(' ')}${part.length > 3 ? ` ... (${part.length} names)` : ''} --data-dir ${dataDir} -> exit ${r.code}: ${ends(r.out.trim())}`);
  }
}

/** The node flags on bin/wharf.js's `#!/usr/bin/env -S node ...` line. */
function shebangFlags(): string[] {
  const first = readFileSync(WHARF_BIN, 'utf8').split('\n')[0];
  return first.replace(/^#!\S*env -S node\s*/, '').split(' ').filter(Boolean);
}

/**
 * Creates the repositories first (before the server opens the data dir), then starts `wharf serve`;
 * `extraEnv` (e.g. WHARF_ACCESS_LOG) goes on top of the environment; `direct`: see launch().
 */
export async function startWharf(workDir: string, logFile: string, repositories: string[], extraEnv: Record<string, string> = {}, direct = false): Promise<Registry> {
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const notes: string[] = [];
  const t0 = performance.now();
  await createWharfRepositories(dataDir, repositories, notes);
  if (repositories.length) notes.push(`created ${repositories.length} repositories with the CLI in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const port = await freePort();
  // A root access key of our own, so the run can log in (ECR GetAuthorizationToken) if /v2/ wants it.
  const key = newAccessKey();
  const env = {
    ...process.env, WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'warn', WHARF_REGION: BENCH_REGION,
    WHARF_ROOT_ACCESS_KEY_ID: key.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: key.secretAccessKey, ...extraEnv,
  };
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir];
  // BENCH_WHARF_NODE_ARGS adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) to the ones on bin/wharf.js's first line.
  const extra = process.env.BENCH_WHARF_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const reg = extra.length
    ? await launch('wharf', process.execPath, [...shebangFlags(), ...extra, WHARF_BIN, ...args], env, port, dataDir, logFile, notes, direct)
    : await launch('wharf', WHARF_BIN, args, env, port, dataDir, logFile, notes, direct);
  reg.rootKey = key;
  if (reg.loginRequired) {
    try {
      await ecrLogin(reg.client, key);
      notes.push('GET /v2/ answered 401; logged in with ECR GetAuthorizationToken (Basic AWS:<token> on every request)');
    } catch (e) {
      await reg.stop();
      throw new Error(`login failed: ${(e as Error).message}`);
    }
  }
  return reg;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
