// What access logging and metrics cost: two Wharf servers on the same data shape, one with the
// access log (info, JSON to a file) and Prometheus metrics on, one with both off, answer the same
// manifest HEAD by tag at the same time. Both servers (every thread) share the last core, and one
// ApacheBench (`ab -i -k`, keep-alive HEADs) per server runs on the first core for the same seconds.
// The kernel's scheduler gives two busy processes on one core equal CPU time, so the ratio of the
// requests each answered is the inverse ratio of their CPU cost per request, and whatever else the
// machine does falls on both at the same instant. (Running the servers one after the other instead
// measured swings of +-30% between rounds even with both servers alike.) Each round also checks
// that the servers' core was saturated (otherwise the load, not the server, set the pace).
// Run: node --import tsx bench/observability.ts [--rounds N] [--seconds S] [--concurrency C]
// Needs `ab` (Debian apache2-utils) and `taskset` (util-linux). Prints a table; writes
// bench/results/<time>-observability.json.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallBlobs } from './data.ts';
import { OCI_MANIFEST, pushSmallImage } from './oci.ts';
import { ROOT, removeDir, startWharf, type Registry } from './registries.ts';
import { cpuSeconds } from './rss.ts';
import { ab, need, pinToLastCore, writeCalls } from './paired.ts';

const REPO = 'bench/obs';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ROUNDS = option('rounds', 10);
const CONCURRENCY = option('concurrency', 32);
const SECONDS = option('seconds', 8);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (msg: string) => console.log(`[bench-obs ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Round { onWritesPerRequest: number; offWritesPerRequest: number; onRequests: number; offRequests: number; ratio: number; onP99Ms: number; offP99Ms: number; coreBusy: number; onCpuUs: number; offCpuUs: number }

async function main() {
  need('ab', 'apache2-utils');
  need('taskset', 'util-linux');
  const tmp = mkdtempSync(join(tmpdir(), 'wharf-bench-obs-'));
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const regs: Registry[] = [];
  try {
    const start = async (name: string, env: Record<string, string>) => {
      mkdirSync(join(tmp, name));
      const r = await startWharf(join(tmp, name), join(tmp, `${name}.log`), [REPO], { WHARF_LOG_LEVEL: 'info', WHARF_LOG_FORMAT: 'json', ...env }, true);
      regs.push(r);
      return r;
    };
    // BENCH_OBS_ON_ENV='{"WHARF_METRICS":"false"}' measures one feature alone; with both off it is an A/A run.
    const on = await start('on', { WHARF_ACCESS_LOG: 'true', WHARF_METRICS: 'true', ...JSON.parse(process.env.BENCH_OBS_ON_ENV ?? '{}') });
    const off = await start('off', { WHARF_ACCESS_LOG: 'false', WHARF_METRICS: 'false' });
    if (!pinToLastCore([on.proc.pid!, off.proc.pid!])) throw new Error('bench:obs needs two cores and taskset: both servers share one core, the load runs on another');
    log('pinned both servers to the last core; ab runs on the first');
    const layer = smallBlobs(1, 4096)[0];
    for (const r of [on, off]) await pushSmallImage(r.client, REPO, layer, 'v1');
    const target = (r: Registry) => ({ url: `${r.url}/v2/${REPO}/manifests/v1`, headers: { Accept: OCI_MANIFEST, ...r.client.authHeaders() } });
    const both = async (seconds: number) => {
      const cpu0 = [cpuSeconds(on.proc.pid!), cpuSeconds(off.proc.pid!)];
      const w0 = [writeCalls(on.proc.pid!), writeCalls(off.proc.pid!)];
      const t0 = performance.now();
      const [a, b] = await Promise.all([on, off].map((r) => ab(target(r).url, target(r).headers, CONCURRENCY, seconds)));
      const wall = (performance.now() - t0) / 1000;
      const cpu = [cpuSeconds(on.proc.pid!) - cpu0[0], cpuSeconds(off.proc.pid!) - cpu0[1]];
      const writes = [writeCalls(on.proc.pid!) - w0[0], writeCalls(off.proc.pid!) - w0[1]];
      for (const x of [a, b]) if (x.failed || x.non2xx) throw new Error(`ab saw ${x.failed} failed and ${x.non2xx} non-2xx answers`);
      return { a, b, coreBusy: (cpu[0] + cpu[1]) / wall, cpu, writes };
    };
    log(`warming up; then ${ROUNDS} rounds of ${SECONDS} s of manifest HEADs (c=${CONCURRENCY} per server) on both servers at once; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    await both(Math.max(2, Math.ceil(SECONDS / 2)));

    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { a, b, coreBusy, cpu, writes } = await both(SECONDS);
      const round: Round = {
        onRequests: a.requests, offRequests: b.requests, ratio: a.requests / b.requests, onP99Ms: a.p99Ms, offP99Ms: b.p99Ms, coreBusy,
        onCpuUs: (cpu[0] / a.requests) * 1e6, offCpuUs: (cpu[1] / b.requests) * 1e6,
        onWritesPerRequest: writes[0] / a.requests, offWritesPerRequest: writes[1] / b.requests,
      };
      rounds.push(round);
      log(`round ${i + 1}/${ROUNDS}: on ${a.requests}, off ${b.requests} HEADs, on/off ${(round.ratio * 100).toFixed(1)}%; server core busy ${(coreBusy * 100).toFixed(0)}%; CPU on ${round.onCpuUs.toFixed(0)} µs/req, off ${round.offCpuUs.toFixed(0)} µs/req; write calls per request on ${round.onWritesPerRequest.toFixed(3)}, off ${round.offWritesPerRequest.toFixed(3)}`);
    }

    // Sanity: the "on" server really logged and counted every request; the "off" one did neither.
    const onLines = readFileSync(join(tmp, 'on.log'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    const offLines = readFileSync(join(tmp, 'off.log'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    const metrics = await on.client.request('GET', '/metrics', { expect: [200, 404] });
    const counted = metrics.status === 404 ? -1 : [...metrics.body.toString().matchAll(/^wharf_http_requests_total\{route="manifest",method="HEAD",status="200"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const offMetrics = await off.client.request('GET', '/metrics', { expect: [404] });

    const ratio = median(rounds.map((r) => r.ratio));
    const summary = {
      rounds: ROUNDS, secondsPerRound: SECONDS, concurrency: CONCURRENCY,
      medianOnRps: median(rounds.map((r) => r.onRequests / SECONDS)), medianOffRps: median(rounds.map((r) => r.offRequests / SECONDS)),
      medianRatio: ratio, costPercent: (1 - ratio) * 100, minRatio: Math.min(...rounds.map((r) => r.ratio)), maxRatio: Math.max(...rounds.map((r) => r.ratio)),
      medianCoreBusy: median(rounds.map((r) => r.coreBusy)),
      medianOnCpuUsPerRequest: median(rounds.map((r) => r.onCpuUs)), medianOffCpuUsPerRequest: median(rounds.map((r) => r.offCpuUs)),
      accessLinesOn: onLines, accessLinesOff: offLines, manifestHeadsCountedOn: counted, offMetricsStatus: offMetrics.status,
      onEnv: process.env.BENCH_OBS_ON_ENV ?? '{}', loadavgAtEnd: loadavg(),
    };
    console.log('\n| round | on HEADs | off HEADs | on/off | on p99 ms | off p99 ms | core busy | on CPU µs/req | off CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    rounds.forEach((r, i) => console.log(`| ${i + 1} | ${r.onRequests} | ${r.offRequests} | ${(r.ratio * 100).toFixed(1)}% | ${r.onP99Ms} | ${r.offP99Ms} | ${(r.coreBusy * 100).toFixed(0)}% | ${r.onCpuUs.toFixed(0)} | ${r.offCpuUs.toFixed(0)} |`));
    console.log(`\nmedian on/off ${(ratio * 100).toFixed(1)}% (cost ${summary.costPercent.toFixed(1)}%; rounds ${(summary.minRatio * 100).toFixed(1)}-${(summary.maxRatio * 100).toFixed(1)}%); on ${summary.medianOnRps.toFixed(0)} req/s, off ${summary.medianOffRps.toFixed(0)} req/s sharing one core (busy ${(summary.medianCoreBusy * 100).toFixed(0)}%)`);
    if (summary.medianCoreBusy < 0.9) console.log('warning: the servers\' core was not saturated, so the load may have set the pace and the ratio understates the cost');
    console.log(`sanity: ${onLines} access lines and ${counted} counted manifest HEADs on the "on" server; ${offLines} lines and /metrics ${offMetrics.status} on the "off" one`);
    const file = join(resultsDir, `${stamp}-observability.json`);
    writeFileSync(file, JSON.stringify({ summary, rounds }, null, 2));
    log(`wrote ${file}`);
  } finally {
    for (const r of regs) await r.stop().catch(() => undefined);
    removeDir(tmp);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
