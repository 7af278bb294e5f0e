// Background jobs on timers: the abandoned-upload sweep, lifecycle policy runs and garbage collection.
// Timers are unref'd so they never keep the process alive, and a run never overlaps the previous one.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { noMetrics, type Metrics } from '../ports/metrics.ts';
import type { Services } from '../http/services.ts';
import type { GcReport } from '../services/gc.ts';
import type { LifecycleEvent } from '../services/lifecycle.ts';
// A job failing on StorageFull says so at debug, without a stack: the store already logged it once.
import { isStorageFull } from '../domain/errors.ts';

export interface Jobs {
  stop(): void;
}

function every(seconds: number, log: Logger, name: string, run: () => Promise<void>): NodeJS.Timeout {
  let running = false;
  const t = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await run();
    } catch (err) {
      if (isStorageFull(err)) log.debug({ job: name, reason: (err as Error).message }, 'background job skipped: storage full');
      else log.error({ err, job: name }, 'background job failed');
    } finally {
      running = false;
    }
  }, seconds * 1000);
  t.unref();
  return t;
}

/** Starts the timers; runs of garbage collection and lifecycle passes are counted into `metrics`. */
export function startJobs(config: Config, services: Services, log: Logger, metrics: Metrics = noMetrics): Jobs {
  const timers = [
    every(config.uploadSweepSeconds, log, 'upload-sweep', async () => {
      const removed = await services.blobs.sweepAbandonedUploads(config.uploadTtlSeconds * 1000);
      if (removed > 0) log.info({ removed }, 'removed abandoned uploads');
    }),
  ];
  if (config.lifecycleIntervalSeconds > 0) {
    timers.push(every(config.lifecycleIntervalSeconds, log, 'lifecycle', async () => {
      await runLifecycle(services, log, metrics);
    }));
  }
  if (config.gcIntervalSeconds > 0) {
    timers.push(every(config.gcIntervalSeconds, log, 'gc', async () => {
      await collectGarbage(services, log, metrics);
    }));
  }
  return { stop: () => timers.forEach(clearInterval) };
}

/** How often a long garbage collection logs its progress. */
const GC_PROGRESS_MS = 10_000;

/**
 * One garbage collection, logged: progress every 10 s while it runs, then one info line with the
 * counts; counted into `metrics` (a failed run with what it had removed before failing).
 */
export async function collectGarbage(services: Services, log: Logger, metrics: Metrics = noMetrics): Promise<GcReport> {
  let lastProgress = performance.now();
  let sofar = { blobs: 0, bytes: 0 };
  let r: GcReport;
  try {
    r = await services.gc.run({
      onProgress: (p) => {
        sofar = { blobs: p.blobs, bytes: p.bytes };
        if (performance.now() - lastProgress < GC_PROGRESS_MS) return;
        lastProgress = performance.now();
        log.info({ job: 'gc', blobs: p.blobs, bytes: p.bytes, batches: p.batches }, 'garbage collection in progress');
      },
    });
  } catch (e) {
    metrics.gcRun({ ...sofar, uploads: 0, failed: true });
    throw e;
  }
  metrics.gcRun({ blobs: r.blobs, bytes: r.bytes, uploads: r.uploads, failed: false });
  log.info({ job: 'gc', blobs: r.blobs, bytes: r.bytes, uploads: r.uploads, resumed: r.resumed, batches: r.batches, durationMs: Math.round(r.durationMs) },
    'garbage collection finished');
  return r;
}

/** One scheduled lifecycle pass over every repository with a policy: logged per image, counted into `metrics`. */
export async function runLifecycle(services: Services, log: Logger, metrics: Metrics = noMetrics): Promise<void> {
  let reports;
  try {
    reports = await services.lifecycle.runAll(lifecycleLogger(log));
  } catch (e) {
    metrics.lifecycleRun({ expired: 0, transitioned: 0, failed: true });
    throw e;
  }
  metrics.lifecycleRun({
    expired: reports.reduce((n, r) => n + r.expired.length, 0),
    transitioned: reports.reduce((n, r) => n + r.transitioned.length, 0),
    failed: reports.some((r) => r.error !== undefined),
  });
}

/** Logs every lifecycle decision: each expiry at info with the rule that caused it. */
export function lifecycleLogger(log: Logger): (e: LifecycleEvent) => void {
  return (e) => {
    if (e.kind === 'failed') {
      if (isStorageFull(e.error)) log.debug({ job: 'lifecycle', repository: e.repository, reason: (e.error as Error).message }, 'lifecycle policy run skipped: storage full');
      else log.error({ err: e.error, job: 'lifecycle', repository: e.repository }, 'lifecycle policy run failed');
      return;
    }
    const a = e.action;
    const fields = { job: 'lifecycle', repository: e.repository, digest: a.digest, tags: a.tags, rulePriority: a.rulePriority };
    if (e.kind === 'expired') log.info(fields, 'lifecycle policy expired an image');
    else if (e.kind === 'transitioned') log.info({ ...fields, targetStorageClass: a.targetStorageClass }, 'lifecycle policy archived an image');
    else if (e.kind === 'skipped') log.warn({ ...fields, action: a.type, reason: e.reason }, 'lifecycle policy skipped an image');
  };
}
