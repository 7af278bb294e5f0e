// Background jobs on timers: for now the abandoned-upload sweep. Timers are unref'd so they never
// keep the process alive, and a run never overlaps the previous one.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Services } from '../http/services.ts';

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
      log.error({ err, job: name }, 'background job failed');
    } finally {
      running = false;
    }
  }, seconds * 1000);
  t.unref();
  return t;
}

export function startJobs(config: Config, services: Services, log: Logger): Jobs {
  const timers = [
    every(config.uploadSweepSeconds, log, 'upload-sweep', async () => {
      const removed = await services.blobs.sweepAbandonedUploads(config.uploadTtlSeconds * 1000);
      if (removed > 0) log.info({ removed }, 'removed abandoned uploads');
    }),
  ];
  return { stop: () => timers.forEach(clearInterval) };
}
