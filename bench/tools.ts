// Runs the external load tools (hey, skopeo) as child processes and parses what they print.
import { spawn } from 'node:child_process';

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a program to completion (killed after timeoutMs), timing it. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<Exec> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${timeoutMs} ms`;
      p.kill('SIGKILL'); // our own child, by its pid
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${e.message}`, seconds: 0 });
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

export interface HeyResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
  errors: string;
}

function num(re: RegExp, s: string): number {
  const m = re.exec(s);
  return m ? Number(m[1]) : NaN;
}

/** `hey -m METHOD -c C -n N [-H ...] url`, parsed: requests/s, p50/p99 latency, status code counts. */
export async function hey(method: string, url: string, concurrency: number, n: number, headers: Record<string, string>): Promise<HeyResult> {
  const args = ['-m', method, '-c', String(concurrency), '-n', String(n), '-t', '20'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const r = await run('hey', args, 10 * 60_000);
  if (r.code !== 0) throw new Error(`hey ${args.join(' ')} -> exit ${r.code}: ${r.stderr.slice(0, 500)}`);
  const out = r.stdout;
  const statuses: Record<string, number> = {};
  for (const m of out.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) statuses[m[1]] = Number(m[2]);
  const errIdx = out.indexOf('Error distribution:');
  const res: HeyResult = {
    requests: Object.values(statuses).reduce((a, b) => a + b, 0),
    rps: num(/Requests\/sec:\s+([\d.]+)/, out),
    p50Ms: num(/50%+ in ([\d.]+) secs/, out) * 1000,
    p99Ms: num(/99%+ in ([\d.]+) secs/, out) * 1000,
    statuses,
    errors: errIdx >= 0 ? out.slice(errIdx, errIdx + 800).trim() : '',
  };
  if (!Number.isFinite(res.rps) || !Number.isFinite(res.p99Ms)) throw new Error(`could not parse hey output:\n${out.slice(0, 1500)}`);
  return res;
}

/** Checks that every hey request got `want`; otherwise throws with the status counts and hey's error lines. */
export function assertAll(method: string, url: string, h: HeyResult, n: number, want: number): void {
  if ((h.statuses[String(want)] ?? 0) !== n) {
    throw new Error(`${method} ${url} via hey: expected ${n} x ${want}, got statuses ${JSON.stringify(h.statuses)}${h.errors ? `; ${h.errors}` : ''}`);
  }
}

/** `skopeo copy` between an oci: layout and a plain-HTTP registry; returns seconds. */
export async function skopeoCopy(src: string, dest: string, opts: { srcCreds?: string; destCreds?: string }): Promise<number> {
  const args = ['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--retry-times', '0'];
  if (opts.srcCreds) args.push('--src-creds', opts.srcCreds);
  if (opts.destCreds) args.push('--dest-creds', opts.destCreds);
  args.push(src, dest);
  const r = await run('skopeo', args, 10 * 60_000);
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ').replace(/creds \S+/g, 'creds ***')} -> exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-1200)}`);
  return r.seconds;
}
