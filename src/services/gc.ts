// Garbage collection: deletes blobs that no manifest in any repository references once their grace
// period is over, and abandoned uploads; online, in batches, safe against concurrent pushes in this or
// any other process through the mark → delete bytes → forget protocol (docs/lifecycle.md).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlobCursor, BlobRow, MarkedBlob } from '../ports/metadata-store.ts';
import type { BlobService } from './blobs.ts';
import type { ServiceDeps } from './context.ts';

export interface GcSettings {
  /** An unreferenced blob is kept until this long after it was last touched (pushed, linked, released). */
  readonly graceSeconds: number;
  /** Blobs decided and deleted per batch (one short transaction to mark, one to forget). */
  readonly batchSize: number;
  /** Upload sessions untouched for this long are abandoned. */
  readonly uploadTtlSeconds: number;
}

/** What one run did (in a dry run: would do). */
export interface GcReport {
  readonly dryRun: boolean;
  /** Blobs removed: rows, links and bytes. */
  blobs: number;
  /** Their recorded sizes added up. */
  bytes: number;
  /** Abandoned upload sessions (and session-less upload files) removed. */
  uploads: number;
  /** Deletions a stopped collector had left half done, finished by this run (included in blobs/bytes). */
  resumed: number;
  /** Pages of up to batchSize old blobs examined. */
  batches: number;
  durationMs: number;
}

export interface GcRunOptions {
  /** Decide and report, delete nothing. */
  readonly dryRun?: boolean;
  /** Called for every blob removed (or, in a dry run, that would be). */
  readonly onBlob?: (b: BlobRow) => void;
  /** Called after every batch with the totals so far. */
  readonly onProgress?: (r: GcReport) => void;
}

/** A mark whose collector is gone may be finished by anyone after this long (a live collector needs milliseconds). */
export const MARK_TIMEOUT_MS = 3600_000;
/**
 * Blob deletions in flight at once. The fs store's unlinks run on libuv's 4-thread pool, shared with
 * the server's own file I/O: more would queue pushes and pulls behind deletes (bench/gc.ts: 16 in
 * flight doubled push latency during a collection, 4 added ~10 ms).
 */
const DELETE_CONCURRENCY = 4;

/** Marks (owner ids) of runs in progress in this process, across GarbageCollector instances. */
const activeRuns = new Set<string>();
const HOST = hostname();

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure after all settle. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item).catch((e) => errors.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class GarbageCollector {
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(private readonly d: ServiceDeps, private readonly blobs: BlobService, private readonly settings: GcSettings) {}

  /** One collection; runs of this process never overlap (a second call waits for the first). */
  run(opts: GcRunOptions = {}): Promise<GcReport> {
    const next = this.queue.then(() => this.collect(opts));
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Ends the run in progress after its current batch (what is marked is still deleted and forgotten)
   * and refuses later runs; resolves when nothing runs any more. For shutdown.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue;
  }

  private async collect(opts: GcRunOptions): Promise<GcReport> {
    const started = performance.now();
    const dryRun = opts.dryRun ?? false;
    const report: GcReport = { dryRun, blobs: 0, bytes: 0, uploads: 0, resumed: 0, batches: 0, durationMs: 0 };
    const owner = `${HOST}:${process.pid}:${randomUUID()}`;
    const now = this.d.clock.now();
    const cutoff = new Date(now.getTime() - this.settings.graceSeconds * 1000);
    const count = (b: BlobRow) => {
      report.blobs++;
      report.bytes += b.size;
      opts.onBlob?.(b);
    };
    activeRuns.add(owner);
    try {
      if (!dryRun) {
        for (const b of await this.resume(now)) {
          count(b);
          report.resumed++;
        }
      }
      let after: BlobCursor | undefined;
      while (!this.stopping) {
        const page = await this.d.meta.listUnreferencedBlobs(cutoff, after, this.settings.batchSize);
        const batch = page.blobs;
        if (batch.length > 0) {
          const gone = dryRun ? batch : await this.delete(await this.d.meta.markBlobsForDeletion(batch.map((b) => b.digest), cutoff, this.d.clock.now(), owner));
          gone.forEach(count);
        }
        report.batches++;
        opts.onProgress?.({ ...report, durationMs: performance.now() - started });
        if (!page.next) break;
        after = page.next;
      }
      if (!this.stopping) report.uploads = await this.blobs.sweepAbandonedUploads(this.settings.uploadTtlSeconds * 1000, dryRun);
    } finally {
      activeRuns.delete(owner);
    }
    report.durationMs = performance.now() - started;
    return report;
  }

  /** Steps 2 and 3 for marked blobs: delete the bytes, then forget the rows. */
  private async delete<T extends BlobRow>(marked: T[]): Promise<T[]> {
    await eachLimited(marked, DELETE_CONCURRENCY, (b) => this.d.blobs.delete(b.digest));
    await this.d.meta.forgetMarkedBlobs(marked.map((b) => b.digest));
    return marked;
  }

  /**
   * Finishes deletions whose collector stopped between marking and forgetting (a crash, a failed
   * delete): marks of an earlier run of this process, of a dead process on this host, or older than
   * MARK_TIMEOUT_MS. Marks of a live collector are left alone: it may still be deleting bytes, and
   * forgetting its rows early would let a push install bytes that collector then deletes.
   */
  private async resume(now: Date): Promise<MarkedBlob[]> {
    const done: MarkedBlob[] = [];
    for (;;) {
      const stale = (await this.d.meta.listMarkedBlobs(this.settings.batchSize)).filter((m) => this.abandoned(m, now));
      if (stale.length === 0) return done;
      done.push(...(await this.delete(stale)));
    }
  }

  private abandoned(m: MarkedBlob, now: Date): boolean {
    if (now.getTime() - m.markedAt.getTime() > MARK_TIMEOUT_MS) return true;
    const [host, pid] = m.markedBy.split(':');
    if (host !== HOST) return false;
    if (Number(pid) === process.pid) return !activeRuns.has(m.markedBy);
    return !alive(Number(pid));
  }
}
