// Paired load on one shared core: two servers pinned to the last core, one ApacheBench each on the
// first, at the same time. Two busy processes on one core get equal CPU time, so the ratio of the
// requests each answered is the inverse ratio of their CPU cost per request, and other work on the
// machine falls on both at once (bench/observability.ts and bench/access-control.ts use it).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Exits with a hint when `tool` (from Debian package `pkg`) is missing. */
export function need(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    console.error(`bench:obs needs ${tool} (Debian package ${pkg}): apt-get install ${pkg}`);
    process.exit(2);
  }
}

export interface Ab { requests: number; failed: number; non2xx: number; p99Ms: number }

/** ApacheBench on core 0: keep-alive HEADs (or GETs) of `url` for `seconds` over `c` connections. */
export function ab(url: string, headers: Record<string, string>, c: number, seconds: number, method: 'HEAD' | 'GET' = 'HEAD'): Promise<Ab> {
  const args = ['-c', '0', 'ab', '-q', ...(method === 'HEAD' ? ['-i'] : []), '-k', '-c', String(c), '-t', String(seconds), '-n', '100000000'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const num = (re: RegExp) => Number(out.match(re)?.[1] ?? NaN);
      const requests = num(/Complete requests:\s+(\d+)/);
      if (code !== 0 || !Number.isFinite(requests)) return reject(new Error(`ab failed (${code}): ${out.slice(-500)}`));
      resolve({ requests, failed: num(/Failed requests:\s+(\d+)/), non2xx: Number(out.match(/Non-2xx responses:\s+(\d+)/)?.[1] ?? 0), p99Ms: num(/ 99%\s+(\d+)/) });
    });
  });
}

/** write(2)-family system calls `pid` made so far (from /proc/<pid>/io), or NaN where unreadable. */
export function writeCalls(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/io`, 'utf8').match(/^syscw: (\d+)$/m)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Pins `pids` (all their threads) to the last core; false if it cannot. */
export function pinToLastCore(pids: number[]): boolean {
  const cores = availableParallelism();
  if (cores < 2) return false;
  try {
    for (const pid of pids) execFileSync('taskset', ['-a', '-pc', String(cores - 1), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

