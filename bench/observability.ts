// What access logging and metrics cost: two Wharf servers, one with the access log (info, JSON to a
// file through a pipe, as to a collector) and Prometheus metrics on, one with both off, answer the
// same manifest HEAD by tag (c=32 keep-alive connections; a small node load loop, since hey may be
// missing) in interleaved rounds (on/off, then off/on, ...), so drift in
// the machine's load hits both alike. Reports each round's requests/s and the on/off ratio.
// Server CPU time per request (from /proc, less disturbed by other work on the machine than
// requests/s) is reported beside it.
// Run: node --import tsx bench/observability.ts [--rounds N] [--requests N] [--concurrency C]
// Prints a table; writes bench/results/<time>-observability.json.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { smallBlobs } from './data.ts';
import { OCI_MANIFEST, pushSmallImage } from './oci.ts';
import { ROOT, removeDir, startWharf, type Registry } from './registries.ts';
import { cpuSeconds } from './rss.ts';

const REPO = 'bench/obs';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ROUNDS = option('rounds', 10);
const CONCURRENCY = option('concurrency', 32);
const REQUESTS = Math.floor(option('requests', 20_000) / CONCURRENCY) * CONCURRENCY;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (msg: string) => console.log(`[bench-obs ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Load { rps: number; p99Ms: number; cpuUsPerRequest: number }

/**
 * `n` HEAD requests to `url` over `c` keep-alive connections, each connection sending its next request
 * when the previous answer is complete; every answer must be 200.
 */
async function load(pid: number, url: string, headers: Record<string, string>, c: number, n: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const latencies: number[] = [];
  let sent = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'HEAD', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        if (res.statusCode !== 200) reject(new Error(`HEAD ${url} -> ${res.statusCode}`));
        else resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (sent < n) {
      sent++;
      await one();
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: n / seconds, p99Ms: latencies[Math.floor(latencies.length * 0.99)], cpuUsPerRequest: (cpu / n) * 1e6 };
}

/** Pins `pids` (all their threads) to the last core and this process to the first; false if it cannot. */
function pinApart(pids: number[]): boolean {
  const cores = availableParallelism();
  if (cores < 2) return false;
  try {
    for (const pid of pids) execFileSync('taskset', ['-a', '-pc', String(cores - 1), String(pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Round { order: string; onRps: number; offRps: number; onP99Ms: number; offP99Ms: number; ratio: number; onCpuUs: number; offCpuUs: number }

async function main() {
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
    // BENCH_OBS_ON_ENV='{"WHARF_METRICS":"false"}' measures one feature alone.
    const on = await start('on', { WHARF_ACCESS_LOG: 'true', WHARF_METRICS: 'true', ...JSON.parse(process.env.BENCH_OBS_ON_ENV ?? '{}') });
    const off = await start('off', { WHARF_ACCESS_LOG: 'false', WHARF_METRICS: 'false' });
    // With two cores, the load loop (this process) and the server under load each get one: the
    // servers (every thread) on the last core, this process on the first, so neither steals the
    // other's core and the rounds vary less. Skipped where taskset is missing or there is one core.
    const pinned = pinApart([on.proc.pid!, off.proc.pid!]);
    log(pinned ? 'pinned the servers to the last core and this load loop to the first' : 'not pinned (no taskset or a single core)');
    const layer = smallBlobs(1, 4096)[0];
    for (const r of [on, off]) await pushSmallImage(r.client, REPO, layer, 'v1');
    const target = (r: Registry) => ({ url: `${r.url}/v2/${REPO}/manifests/v1`, headers: { Accept: OCI_MANIFEST, ...r.client.authHeaders() } });
    const run = (r: Registry, n: number) => {
      const t = target(r);
      return load(r.proc.pid!, t.url, t.headers, CONCURRENCY, n);
    };
    log(`warming up both servers; then ${ROUNDS} rounds of ${REQUESTS} manifest HEADs (c=${CONCURRENCY}) each; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const r of [on, off]) await run(r, Math.max(CONCURRENCY, Math.floor(REQUESTS / 4 / CONCURRENCY) * CONCURRENCY));

    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const first = i % 2 === 0 ? 'on' : 'off';
      const a = await run(first === 'on' ? on : off, REQUESTS);
      const b = await run(first === 'on' ? off : on, REQUESTS);
      const [hOn, hOff] = first === 'on' ? [a, b] : [b, a];
      const round = { order: `${first} first`, onRps: hOn.rps, offRps: hOff.rps, onP99Ms: hOn.p99Ms, offP99Ms: hOff.p99Ms, ratio: hOn.rps / hOff.rps,
        onCpuUs: hOn.cpuUsPerRequest, offCpuUs: hOff.cpuUsPerRequest };
      rounds.push(round);
      log(`round ${i + 1}/${ROUNDS} (${round.order}): on ${hOn.rps.toFixed(0)} req/s, off ${hOff.rps.toFixed(0)} req/s, on/off ${(round.ratio * 100).toFixed(1)}%; server CPU on ${round.onCpuUs.toFixed(0)} µs/req, off ${round.offCpuUs.toFixed(0)} µs/req`);
    }

    // Sanity: the "on" server really logged and counted every request; the "off" one did neither.
    const onLines = readFileSync(join(tmp, 'on.log'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    const offLines = readFileSync(join(tmp, 'off.log'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    const metrics = await on.client.request('GET', '/metrics', { expect: [200, 404] });
    const counted = metrics.status === 404 ? -1 : [...metrics.body.toString().matchAll(/^wharf_http_requests_total\{route="manifest",method="HEAD",status="200"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const offMetrics = await off.client.request('GET', '/metrics', { expect: [404] });

    const ratio = median(rounds.map((r) => r.ratio));
    const summary = {
      rounds: ROUNDS, requestsPerRound: REQUESTS, concurrency: CONCURRENCY,
      medianOnRps: median(rounds.map((r) => r.onRps)), medianOffRps: median(rounds.map((r) => r.offRps)),
      medianOnP99Ms: median(rounds.map((r) => r.onP99Ms)), medianOffP99Ms: median(rounds.map((r) => r.offP99Ms)),
      medianRatio: ratio, costPercent: (1 - ratio) * 100,
      medianOnCpuUsPerRequest: median(rounds.map((r) => r.onCpuUs)), medianOffCpuUsPerRequest: median(rounds.map((r) => r.offCpuUs)),
      medianCpuRatio: median(rounds.map((r) => r.onCpuUs / r.offCpuUs)),
      accessLinesOn: onLines, accessLinesOff: offLines, manifestHeadsCountedOn: counted, offMetricsStatus: offMetrics.status,
      loadavgAtEnd: loadavg(),
    };
    console.log('\n| round | order | on req/s | off req/s | on/off | on p99 ms | off p99 ms | on CPU µs/req | off CPU µs/req |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    rounds.forEach((r, i) => console.log(`| ${i + 1} | ${r.order} | ${r.onRps.toFixed(0)} | ${r.offRps.toFixed(0)} | ${(r.ratio * 100).toFixed(1)}% | ${r.onP99Ms.toFixed(1)} | ${r.offP99Ms.toFixed(1)} | ${r.onCpuUs.toFixed(0)} | ${r.offCpuUs.toFixed(0)} |`));
    console.log(`\nmedian: on ${summary.medianOnRps.toFixed(0)} req/s, off ${summary.medianOffRps.toFixed(0)} req/s; median on/off ratio ${(ratio * 100).toFixed(1)}% (cost ${summary.costPercent.toFixed(1)}%); server CPU per request: on ${summary.medianOnCpuUsPerRequest.toFixed(0)} µs, off ${summary.medianOffCpuUsPerRequest.toFixed(0)} µs (median ratio ${(summary.medianCpuRatio * 100).toFixed(1)}%)`);
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
