// Starts a real Wharf process listening on a loopback port, for end-to-end tests with real clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WHARF_BIN = join(ROOT, 'bin', 'wharf.js');

export interface RunningWharf {
  /** e.g. http://127.0.0.1:40123 */
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
    const p = spawn(process.execPath, [WHARF_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Starts `wharf serve` on 127.0.0.1 and a free port with a fresh data dir (or `dataDir`), and waits
 * until GET /v2/ answers. `repositories` are created first with the admin CLI.
 */
export async function startWharf(opts: { dataDir?: string; env?: Record<string, string>; args?: string[]; repositories?: string[] } = {}): Promise<RunningWharf> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wharf-test-'));
  for (const r of opts.repositories ?? []) {
    const res = await wharfCli(['repositories', 'create', r, '--data-dir', dataDir], opts.env);
    if (res.code !== 0) throw new Error(`repositories create ${r} failed: ${res.stderr}`);
  }
  const port = await freePort();
  const proc = spawn(process.execPath, [WHARF_BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(opts.args ?? [])], {
    env: { ...process.env, WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharf exited early (${proc.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`wharf did not start:\n${out}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, port, dataDir, proc, hostPort: `127.0.0.1:${port}`,
    output: () => out,
    async stop(o = {}) {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; }
    },
  };
}
