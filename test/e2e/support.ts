// Shared plumbing for the end-to-end tests: which registry to run against, running external
// programs with bounded time, temporary directories, and a podman confined to a private store.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startWharf, freePort, authedFetch as fetch } from '../helpers/server.ts';

export interface Registry {
  url: string;
  hostPort: string;
  /** 'wharf', or 'distribution' when WHARF_E2E_AGAINST=distribution (differential runs against the CNCF registry). */
  kind: 'wharf' | 'distribution';
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the registry under test with the given repositories created. Always Wharf, unless
 * WHARF_E2E_AGAINST=distribution: then /usr/bin/docker-registry on a loopback port (it creates
 * repositories by itself and has no referrers API), to tell a client quirk from a Wharf bug.
 */
export async function startRegistry(t: TestContext, repositories: string[]): Promise<Registry> {
  let reg: Registry;
  if (process.env.WHARF_E2E_AGAINST === 'distribution') {
    reg = await startDistribution();
  } else {
    const w = await startWharf({ repositories });
    addRegistryLogin(w.hostPort, w.password);
    reg = { url: w.url, hostPort: w.hostPort, kind: 'wharf', output: w.output, stop: () => w.stop() };
  }
  t.after(async () => {
    await reg.stop();
  });
  return reg;
}

const logins: Record<string, { auth: string }> = {};

/**
 * Records `AWS:<password>` for host:port in a containers auth file (what `podman login` writes) and
 * points REGISTRY_AUTH_FILE at it, so skopeo and podman log in as the docs tell users to.
 */
function addRegistryLogin(hostPort: string, password: string): void {
  logins[hostPort] = { auth: Buffer.from(`AWS:${password}`).toString('base64') };
  const file = process.env.REGISTRY_AUTH_FILE ?? join(mkdtempSync(join(tmpdir(), 'wharf-e2e-auth-')), 'auth.json');
  writeFileSync(file, JSON.stringify({ auths: logins }), { mode: 0o600 });
  process.env.REGISTRY_AUTH_FILE = file;
}

async function startDistribution(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-e2e-distribution-'));
  const port = await freePort();
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, [
    'version: 0.1',
    'log:', '  level: warn',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`, '',
  ].join('\n'));
  const proc = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited early:\n${out}`);
    try { await (await fetch(`${url}/v2/`)).arrayBuffer(); break; } catch {
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`docker-registry did not start:\n${out}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, hostPort: `127.0.0.1:${port}`, kind: 'distribution', output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh directory under the system temp dir, removed when the test ends. Its name is lowercase:
 * podman names an image pulled from `oci:PATH` after PATH, and rejects upper case in names.
 */
export function tempDir(t: TestContext, prefix: string): string {
  const d = join(tmpdir(), `wharf-e2e-${prefix}-${randomBytes(6).toString('hex')}`);
  mkdirSync(d);
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs a program to completion with a time limit; rejects with the command line, exit status and both outputs. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      if (err) {
        const how = (err as any).killed ? `killed after ${opts.timeoutMs ?? 60_000} ms` : `exit ${(err as any).code}`;
        reject(new Error(`${cmd} ${args.join(' ')}\n-> ${how}\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else resolve({ stdout, stderr });
    });
  });
}

/** skopeo with the signature policy bypassed (so a machine without /etc/containers/policy.json works too). */
export function skopeo(args: string[], timeoutMs = 90_000) {
  return run('skopeo', ['--insecure-policy', ...args], { timeoutMs });
}

/**
 * podman confined to a private store under a temp dir: vfs driver, its own --root/--runroot/--tmpdir,
 * no events, so a test never reads or writes the machine's container storage.
 */
export function privatePodman(t: TestContext) {
  const dir = tempDir(t, 'podman');
  const global = [
    '--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'),
    '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs',
    '--network-config-dir', join(dir, 'net'),
  ];
  const env = { TMPDIR: dir };
  return {
    dir,
    /** The global flags that confine podman to this store (for callers composing their own command lines). */
    global,
    run: (args: string[], timeoutMs = 90_000) => run('podman', [...global, ...args], { timeoutMs, env }),
  };
}
