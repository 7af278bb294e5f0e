// Shared vocabulary of the workloads: sizes (full and --quick), the data shared by both registries, result types.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BlobSource, MiB, type SmallBlob } from './data.ts';
import type { Layout } from './oci-layout.ts';
import type { Registry } from './registries.ts';

export interface Sizes {
  bigBlob: number;
  chunk: number;
  smallBlobs: number;
  smallBlobSize: number;
  smallConcurrency: number;
  manifestConcurrency: number;
  manifestRequests: number;
  tags: number;
  repos: number;
  setupConcurrency: number;
  image: number;
  imageLayers: number;
  listIterations: number;
  /** Runs of each big-blob workload (distinct blobs for pushes); the median is reported. */
  blobRuns: number;
}

export const FULL: Sizes = {
  bigBlob: 1024 * MiB, chunk: 16 * MiB, smallBlobs: 2000, smallBlobSize: 4096, smallConcurrency: 16,
  manifestConcurrency: 32, manifestRequests: 50_000, tags: 10_000, repos: 1000, setupConcurrency: 16,
  image: 200 * MiB, imageLayers: 4, listIterations: 11, blobRuns: 5,
};

export const QUICK: Sizes = {
  ...FULL, bigBlob: 64 * MiB, smallBlobs: 200, manifestRequests: 2000, tags: 1000, repos: 100, image: 20 * MiB,
};

/** Data made once per run and used identically against both registries. */
export interface Shared {
  sizes: Sizes;
  /** One distinct big blob per run of push-mono / push-chunked; pull reads mono[0]. */
  mono: BlobSource[];
  chunked: BlobSource[];
  small: SmallBlob[];
  /** 4 KiB blob: the small image's layer, and the blob pushed into each catalog repository. */
  tiny: SmallBlob;
  probe: SmallBlob;
  layout?: Layout;
  tmpRoot: string;
}

export interface Ctx {
  reg: Registry;
  shared: Shared;
  /** Per-registry state carried between workloads (e.g. which blob is already pushed). */
  state: Map<string, unknown>;
}

export type Better = 'higher' | 'lower';
export interface MetricDef {
  key: string;
  label: string;
  unit: string;
  better: Better;
}
export interface WorkloadResult {
  values: Record<string, number>;
  info: Record<string, unknown>;
}
export interface Workload {
  name: string;
  metrics: MetricDef[];
  repos(s: Sizes): string[];
  run(ctx: Ctx): Promise<WorkloadResult>;
}
export const MB = 1e6;
export const secs = (t0: number) => (performance.now() - t0) / 1000;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Flushes dirty pages (untimed) so one run's writes are not written back on the next run's time. */
export const syncDisks = () => execFileSync('sync');

/**
 * sync, then drop the page cache (root only; false otherwise). Before each big push: with gigabytes of the
 * previous registry's blobs in the cache, whoever pushes second pays for reclaiming it (measured: Wharf's
 * 1 GiB push fell from ~440 to ~190 MB/s when it ran right after Distribution's five).
 */
export function freshPageCache(): boolean {
  syncDisks();
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

export const R = {
  mono: 'bench/blob-mono', chunked: 'bench/blob-chunked', manifest: 'bench/manifest', small: 'bench/small-blobs',
  tags: 'bench/tags', image: 'bench/img',
  catalog: (n: number) => Array.from({ length: n }, (_, i) => `cat/r${String(i).padStart(5, '0')}`),
};
