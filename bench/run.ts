// `npm run bench`: runs every workload against CNCF Distribution and Wharf, prints the comparison, saves JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobSource, smallBlobs } from './data.ts';
import { buildLayout } from './oci-layout.ts';
import { ROOT, distributionVersion, removeDir, startDistribution, startWharf, type Kind, type Registry } from './registries.ts';
import { cpuSeconds } from './rss.ts';
import { BUSY_NOTE, failures, finishRow, fmt, markdownTable, textTable, type Cell, type Row } from './report.ts';
import { ALIASES, FULL, QUICK, WORKLOADS, type Shared, type Workload } from './workloads.ts';

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME...]] [--registries distribution,wharf] [--wait-idle [SECONDS]] [--keep]
  --wait-idle: before each timed step, wait (up to SECONDS, default 120) until the machine is under 20% busy
  workloads: ${WORKLOADS.map((w) => w.name).join(', ')}
  groups:    ${Object.entries(ALIASES).map(([k, v]) => `${k}=${v.join('+')}`).join(', ')}`;

function parseArgs(argv: string[]) {
  const opts = { quick: false, only: [] as string[], registries: ['distribution', 'wharf'] as Kind[], keep: false, waitIdle: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--wait-idle') opts.waitIdle = /^\d+$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 120;
    else if (a === '--only' || a === '--registries') {
      const vals: string[] = [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) vals.push(...argv[++i].split(',').filter(Boolean));
      if (a === '--only') opts.only.push(...vals);
      else opts.registries = vals as Kind[];
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  for (const r of opts.registries) if (r !== 'distribution' && r !== 'wharf') throw new Error(`unknown registry ${r}`);
  const names = opts.only.flatMap((n) => ALIASES[n] ?? [n]);
  for (const n of names) if (!WORKLOADS.some((w) => w.name === n)) throw new Error(`unknown workload ${n}\n${USAGE}`);
  const selected = names.length ? WORKLOADS.filter((w) => names.includes(w.name)) : WORKLOADS;
  return { ...opts, selected };
}

function machine() {
  const sh = (cmd: string) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  return {
    nproc: Number(sh('nproc')) || cpus().length,
    cpu,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    tmpFilesystem: sh(`df -hT ${tmpdir()} | tail -1`),
    kernel: sh('uname -r'),
    node: process.version,
    wharfCommit: `${sh(`git -C '${ROOT}' rev-parse --short HEAD`) || 'unknown'}${sh(`git -C '${ROOT}' status --porcelain -- src bin | head -1`) ? ' + uncommitted changes in src/ or bin/' : ''}`,
    distribution: distributionVersion(),
    hey: sh('command -v hey') ? 'installed' : 'missing',
    skopeo: sh('skopeo --version'),
    /** Other work on the machine skews everything: recorded at the start (and end, in the JSON). */
    loadavgAtStart: loadavg().map((x) => +x.toFixed(2)),
  };
}

/** Share of CPU time (all cores) spent busy over `ms`, from /proc/stat: other work on the machine skews figures. */
async function cpuBusy(ms = 1000): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const syncDisks = () => execFileSync('sync');
let cleanupOnError: (() => Promise<void>) | undefined;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sizes = opts.quick ? QUICK : FULL;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const tmpRoot = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const m = machine();
  log(`${opts.quick ? 'quick' : 'full'} run; workloads: ${opts.selected.map((w) => w.name).join(', ')}; tmp ${tmpRoot}`);
  log(`wharf ${m.wharfCommit}`);
  log(`machine: ${m.nproc} cores, ${m.cpu}, ${m.memoryGiB} GiB, load ${m.loadavgAtStart.join(' ')}; ${m.distribution}`);

  const regs: Partial<Record<Kind, Registry>> = {};
  const startErrors: Partial<Record<Kind, string>> = {};
  let stopping = false;
  const cleanup = async () => {
    for (const r of Object.values(regs)) await r?.stop().catch(() => undefined);
    if (!opts.keep) removeDir(tmpRoot);
  };
  cleanupOnError = cleanup;
  process.on('SIGINT', () => {
    if (stopping) return;
    stopping = true;
    log('interrupted: stopping registries');
    void cleanup().then(() => process.exit(130));
  });

  // Data shared by both registries, made once up front (digests computed by generating the streams).
  const t0 = performance.now();
  const shared: Shared = {
    sizes,
    mono: Array.from({ length: sizes.blobRuns }, (_, i) => new BlobSource(1 + 2 * i, sizes.bigBlob)),
    chunked: Array.from({ length: sizes.blobRuns }, (_, i) => new BlobSource(2 + 2 * i, sizes.bigBlob)),
    small: smallBlobs(sizes.smallBlobs, sizes.smallBlobSize),
    tiny: smallBlobs(1, 4096)[0],
    probe: smallBlobs(1, sizes.smallBlobSize)[0],
    tmpRoot,
  };
  const needs = (n: string) => opts.selected.some((w) => w.name === n);
  if (needs('push-mono')) shared.mono.forEach((b) => b.digest());
  else if (needs('pull')) shared.mono[0].digest();
  if (needs('push-chunked')) shared.chunked.forEach((b) => b.digest());
  if (needs('skopeo')) shared.layout = await buildLayout(join(tmpRoot, 'layout'), 'v1', sizes.image, sizes.imageLayers, 100);
  log(`test data ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const repos = [...new Set(opts.selected.flatMap((w) => w.repos(sizes)))];
  for (const kind of opts.registries) {
    const dir = join(tmpRoot, kind);
    mkdirSync(dir);
    const logFile = join(resultsDir, `${stamp}-${kind}.log`);
    try {
      regs[kind] = kind === 'distribution' ? await startDistribution(dir, logFile) : await startWharf(dir, logFile, repos);
      log(`${kind} up at ${regs[kind]!.url} (pid ${regs[kind]!.proc.pid}, log ${logFile})`);
    } catch (e) {
      startErrors[kind] = `could not start: ${(e as Error).message}`;
      log(`${kind} ${startErrors[kind]}`);
    }
  }

  const results: Record<string, Partial<Record<Kind, { values?: Record<string, number>; info?: unknown; error?: string; peakRssMB?: number; wallSeconds?: number; serverCpuSeconds?: number; benchClientCpuSeconds?: number; cpuBusyBefore?: number }>>> = {};
  const states: Record<Kind, Map<string, unknown>> = { distribution: new Map(), wharf: new Map() };
  for (const w of opts.selected) {
    results[w.name] = {};
    for (const kind of opts.registries) {
      const reg = regs[kind];
      const out: NonNullable<(typeof results)[string][Kind]> = {};
      results[w.name][kind] = out;
      if (!reg) { out.error = startErrors[kind]; continue; }
      if (!reg.alive()) { out.error = `${kind} process is gone (exit code ${reg.proc.exitCode}, signal ${reg.proc.signalCode}); see ${reg.logFile}`; continue; }
      syncDisks(); // earlier writes must not be flushed on the next registry's time
      out.cpuBusyBefore = +(await cpuBusy()).toFixed(2);
      if (opts.waitIdle && out.cpuBusyBefore > 0.2) {
        const until = Date.now() + opts.waitIdle * 1000;
        let quiet = 0;
        while (quiet < 2 && Date.now() < until) {
          out.cpuBusyBefore = +(await cpuBusy()).toFixed(2);
          quiet = out.cpuBusyBefore <= 0.2 ? quiet + 1 : 0;
        }
        log(`waited for the machine to quieten (now ${Math.round(out.cpuBusyBefore * 100)}% busy)`);
      }
      if (out.cpuBusyBefore > 0.25) log(`warning: machine ${Math.round(out.cpuBusyBefore * 100)}% busy before ${w.name} on ${kind}: other work will skew this figure`);
      reg.rss.mark();
      const cpu0 = cpuSeconds(reg.proc.pid!);
      const ownCpu0 = process.cpuUsage();
      const started = performance.now();
      try {
        const r = await w.run({ reg, shared, state: states[kind] });
        out.values = r.values;
        out.info = r.info;
      } catch (e) {
        out.error = (e as Error).message;
        if (!reg.alive()) out.error += ` [${kind} process exited: code ${reg.proc.exitCode}, signal ${reg.proc.signalCode}; see ${reg.logFile}]`;
      }
      out.wallSeconds = (performance.now() - started) / 1000;
      out.serverCpuSeconds = +(cpuSeconds(reg.proc.pid!) - cpu0).toFixed(2);
      const own = process.cpuUsage(ownCpu0);
      out.benchClientCpuSeconds = +((own.user + own.system) / 1e6).toFixed(2); // node client only, not hey/skopeo
      out.peakRssMB = reg.rss.mark() / 1e6;
      const shown = out.values ? Object.entries(out.values).map(([k, v]) => `${k}=${fmt(v)}`).join(' ') : `FAILED: ${out.error!.slice(0, 300)}`;
      log(`${w.name.padEnd(13)} ${kind.padEnd(12)} ${shown}  (${out.wallSeconds.toFixed(1)} s incl. setup, server CPU ${out.serverCpuSeconds.toFixed(1)} s, bench CPU ${out.benchClientCpuSeconds.toFixed(1)} s, peak RSS ${out.peakRssMB.toFixed(0)} MB)`);
    }
  }

  const peak: Partial<Record<Kind, number>> = {};
  const rssDetail: Partial<Record<Kind, Record<string, number>>> = {};
  for (const kind of opts.registries) {
    const reg = regs[kind];
    if (reg) {
      reg.rss.stop();
      peak[kind] = reg.rss.peak() / 1e6;
      rssDetail[kind] = { treePeakSampledMB: reg.rss.peakSampled / 1e6, mainProcessVmHWM_MB: reg.rss.hwm / 1e6 };
    }
  }
  const rows: Row[] = [];
  const cellOf = (w: Workload, kind: Kind, key: string): Cell => {
    const r = results[w.name][kind];
    if (!opts.registries.includes(kind)) return {};
    return r?.values?.[key] !== undefined ? { value: r.values[key] } : { error: r?.error ?? 'not run' };
  };
  for (const w of opts.selected) {
    const busy = Object.values(results[w.name]).some((r) => (r?.cpuBusyBefore ?? 0) > 0.25);
    for (const m of w.metrics) rows.push(finishRow({ workload: w.name, ...m, distribution: cellOf(w, 'distribution', m.key), wharf: cellOf(w, 'wharf', m.key), busy }));
  }
  const rssCell = (k: Kind): Cell => (peak[k] !== undefined ? { value: peak[k] } : opts.registries.includes(k) ? { error: startErrors[k] ?? 'not measured' } : {});
  rows.push(finishRow({ workload: 'rss', key: 'rss', label: 'peak RSS over the run', unit: 'MB', better: 'lower', distribution: rssCell('distribution'), wharf: rssCell('wharf') }));

  const notes = Object.fromEntries(opts.registries.map((k) => [k, [...new Set(regs[k]?.notes ?? [])]]));
  await cleanup();

  console.log(`\n${textTable(rows)}\n`);
  if (rows.some((r) => r.busy)) console.log(`${BUSY_NOTE}\n`);
  for (const [k, d] of Object.entries(rssDetail)) console.log(`rss (${k}): process tree peak (sampled every 100 ms) ${fmt(d.treePeakSampledMB)} MB, main process VmHWM ${fmt(d.mainProcessVmHWM_MB)} MB`);
  for (const [k, ns] of Object.entries(notes)) for (const n of ns) console.log(`note (${k}): ${n}`);
  const fails = failures(rows);
  if (fails.length) console.log(`\nFailures:\n${fails.map((f) => `- ${f}`).join('\n')}`);

  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify({ startedAt: stamp, mode: opts.quick ? 'quick' : 'full', argv: process.argv.slice(2), machine: { ...m, loadavgAtEnd: loadavg().map((x) => +x.toFixed(2)) }, sizes, rows, results, rss: rssDetail, notes, failures: fails }, null, 2));
  writeFileSync(join(resultsDir, `${stamp}.md`), `${markdownTable(rows)}\n${rows.some((r) => r.busy) ? `\n${BUSY_NOTE.replace('*', '\\*')}\n` : ''}`);
  console.log(`\nresults: ${file}`);
}

main().catch(async (e) => {
  console.error(e);
  await cleanupOnError?.().catch(() => undefined);
  process.exit(1);
});
