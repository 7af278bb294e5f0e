// Turns the measured figures into rows with the Wharf/Distribution ratio and the targets, as a table and JSON.
import type { Better } from './workloads.ts';

/**
 * The targets, on the ratio Wharf/Distribution unless `abs` (then on Wharf's own figure).
 * `info` marks a row reported without a verdict: the two registries did not do the same work.
 */
interface Target {
  op: '>=' | '<=' | '<';
  value: number;
  abs?: boolean;
  text: string;
  info?: string;
}

export const TARGETS: Record<string, Target> = {
  'push.mono': { op: '>=', value: 2, text: '>= 2x' },
  'push.chunked': { op: '>=', value: 2, text: '>= 2x' },
  pull: { op: '>=', value: 1, text: '>= 1x' },
  'head.rps': { op: '>=', value: 5, text: '>= 5x' },
  'head.p99': { op: '<=', value: 0.25, text: '<= 0.25x' },
  'get.rps': { op: '>=', value: 5, text: '>= 5x' },
  'get.p99': { op: '<=', value: 0.25, text: '<= 0.25x' },
  'small.rate': { op: '>=', value: 3, text: '>= 3x' },
  // Listing targets apply where both registries answer with the same number of requests. Distribution
  // 2.8 ignores n on tags/list (all 10,000 tags in one answer, against Wharf's 10 pages of n=1000),
  // and pages _catalog at 100 even without n (11 answers against Wharf's 1).
  'tags.paginated': { op: '<=', value: 0.5, text: '<= 0.5x', info: 'info: 10 requests vs 1' },
  'tags.unpaginated': { op: '<=', value: 0.5, text: '<= 0.5x' },
  'catalog.paginated': { op: '<=', value: 0.5, text: '<= 0.5x' },
  'catalog.unpaginated': { op: '<=', value: 0.5, text: '<= 0.5x', info: 'info: 1 request vs 11' },
  rss: { op: '<', value: 150, abs: true, text: '< 150 MB' },
};

export interface Cell {
  value?: number;
  error?: string;
}

export interface Row {
  workload: string;
  key: string;
  label: string;
  unit: string;
  better: Better;
  distribution: Cell;
  wharf: Cell;
  ratio?: number;
  target?: string;
  met?: boolean;
  /** The machine was busy with other work just before this was measured: the figure is suspect. */
  busy?: boolean;
}

export const BUSY_NOTE = '* measured while the machine was more than 25% busy with other work just before: treat with caution';

export function finishRow(r: Omit<Row, 'ratio' | 'target' | 'met'>): Row {
  const row: Row = { ...r };
  const d = r.distribution.value, w = r.wharf.value;
  if (d !== undefined && w !== undefined && d > 0) row.ratio = w / d;
  const t = TARGETS[r.key];
  if (t?.info) {
    row.target = t.info;
  } else if (t) {
    row.target = t.text;
    const x = t.abs ? w : row.ratio;
    if (x !== undefined) row.met = t.op === '>=' ? x >= t.value : t.op === '<=' ? x <= t.value : x < t.value;
  }
  return row;
}

export function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toString();
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function cell(c: Cell): string {
  return c.error !== undefined ? 'FAILED' : fmt(c.value);
}

function ratioText(r: Row): string {
  return r.ratio === undefined ? '-' : `${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}x`;
}

function metText(r: Row): string {
  return r.met === undefined ? '' : r.met ? 'yes' : 'NO';
}

/** Plain-text table for the terminal. */
export function textTable(rows: Row[]): string {
  const head = ['Workload', 'Unit', 'Distribution', 'Wharf', 'Wharf/Dist', 'Target', 'Met'];
  const body = rows.map((r) => [r.busy ? `${r.label} *` : r.label, r.unit, cell(r.distribution), cell(r.wharf), ratioText(r), r.target ?? '', metText(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in Markdown, for docs/performance.md. */
export function markdownTable(rows: Row[]): string {
  const out = ['| Workload | Unit | Distribution | Wharf | Wharf/Dist | Target | Met |', '|---|---|--:|--:|--:|---|---|'];
  for (const r of rows) out.push(`| ${r.label}${r.busy ? ' \\*' : ''} | ${r.unit} | ${cell(r.distribution)} | ${cell(r.wharf)} | ${ratioText(r)} | ${r.target ?? ''} | ${metText(r)} |`);
  return out.join('\n');
}

/** Every distinct failure once (with the workloads it hit), so the lead can act on it. */
export function failures(rows: Row[]): string[] {
  const byError = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const side of ['distribution', 'wharf'] as const) {
      const e = r[side].error;
      if (e === undefined) continue;
      const k = `${side}\u0000${e}`;
      if (!byError.has(k)) byError.set(k, new Set());
      byError.get(k)!.add(r.workload);
    }
  }
  return [...byError].map(([k, ws]) => {
    const [side, e] = k.split('\u0000');
    return `${side} / ${[...ws].join(', ')}: ${e}`;
  });
}
