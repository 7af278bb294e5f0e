// Samples the resident memory of a registry process (and any children) every 100 ms, for the peak-RSS figure.
import { readFileSync, readdirSync } from 'node:fs';

function statusField(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** pid and all its descendants (through /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* process gone */
    }
  }
  return out;
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by pid and its live descendants. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      // Fields after the ")" of comm: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* process gone */
    }
  }
  return ticks / TICKS;
}

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  /** Highest sampled sum of VmRSS over the process tree, whole run. */
  peakSampled = 0;
  /** Highest sample since the last mark(). */
  windowPeak = 0;
  /** Last VmHWM (kernel-tracked peak RSS) seen for the main process: catches spikes between samples. */
  hwm = 0;

  constructor(readonly pid: number, readonly intervalMs = 100) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = processTree(this.pid).reduce((s, p) => s + statusField(p, 'VmRSS'), 0);
    if (rss > this.peakSampled) this.peakSampled = rss;
    if (rss > this.windowPeak) this.windowPeak = rss;
    const hwm = statusField(this.pid, 'VmHWM');
    if (hwm > this.hwm) this.hwm = hwm;
  }

  /** Starts a new window (per workload); returns the peak of the window just closed. */
  mark(): number {
    this.sample();
    const p = this.windowPeak;
    this.windowPeak = 0;
    this.sample();
    return p;
  }

  /** Peak RSS in bytes over the run: the larger of the sampled tree peak and the main process's VmHWM. */
  peak(): number {
    return Math.max(this.peakSampled, this.hwm);
  }

  stop(): void {
    if (this.timer) this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
