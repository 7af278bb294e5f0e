// The Metrics port on prom-client: one Registry per app (never prom-client's global one, so several
// apps can live in one process), request series cached per label set so the request path does no
// label hashing, and per-repository gauges computed at scrape time from a cached stats query.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics, RepositoryStatsSource } from '../../ports/metrics.ts';

export interface PrometheusOptions {
  /** Per-repository image counts and stored bytes, read at most once per `statsCacheMs`. */
  readonly repositoryStats: RepositoryStatsSource;
  /** How long one repositoryStats answer serves scrapes (0: every scrape queries). */
  readonly statsCacheMs: number;
  /** Adds prom-client's standard process_* and nodejs_* metrics (CPU, memory, event loop, GC pauses); default true. */
  readonly processMetrics?: boolean;
}

/** Latency buckets (seconds): manifest HEADs take well under a millisecond, big blob transfers minutes. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface RequestSeries {
  count: Counter.Internal;
  latency: Histogram.Internal<string>;
  bytesIn: Counter.Internal;
  bytesOut: Counter.Internal;
}

/** Builds the Prometheus metrics of one app. */
export function openPrometheusMetrics(opts: PrometheusOptions): Metrics {
  const registers = [new Registry()];
  const [registry] = registers;
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({ name: 'wharf_http_requests_total', help: 'HTTP requests ended, by route kind (or ECR operation), method and status (499: the client went away).', labelNames: ['route', 'method', 'status'], registers });
  const latency = new Histogram({ name: 'wharf_http_request_duration_seconds', help: 'Time from request headers to the last byte of the answer (or the abort).', labelNames: ['route', 'method', 'status'], buckets: LATENCY_BUCKETS, registers });
  const received = new Counter({ name: 'wharf_http_received_bytes_total', help: 'Bytes read from clients (request line, headers and body).', labelNames: ['route', 'method'], registers });
  const sent = new Counter({ name: 'wharf_http_sent_bytes_total', help: 'Bytes written to clients (status line, headers and body).', labelNames: ['route', 'method'], registers });
  const uploads = new Gauge({ name: 'wharf_uploads_in_flight', help: 'Requests streaming blob bytes into the registry right now (PATCH/PUT/POST of uploads).', registers });
  const gcRuns = new Counter({ name: 'wharf_gc_runs_total', help: 'Garbage collections run by the scheduler, by outcome.', labelNames: ['outcome'], registers });
  const gcBlobs = new Counter({ name: 'wharf_gc_removed_blobs_total', help: 'Blobs garbage collection removed.', registers });
  const gcBytes = new Counter({ name: 'wharf_gc_removed_bytes_total', help: 'Recorded sizes of the blobs garbage collection removed.', registers });
  const gcUploads = new Counter({ name: 'wharf_gc_removed_uploads_total', help: 'Abandoned uploads garbage collection removed.', registers });
  const lcRuns = new Counter({ name: 'wharf_lifecycle_runs_total', help: 'Scheduled lifecycle passes over every repository with a policy, by outcome (failed: some repository failed).', labelNames: ['outcome'], registers });
  const lcExpired = new Counter({ name: 'wharf_lifecycle_expired_images_total', help: 'Images lifecycle policies expired (deleted).', registers });
  const lcArchived = new Counter({ name: 'wharf_lifecycle_archived_images_total', help: 'Images lifecycle policies moved to the archive storage class.', registers });

  const stats = cached(opts.repositoryStats, opts.statsCacheMs);
  const repoImages = new Gauge({
    name: 'wharf_repository_images', help: 'Images (manifests, index children included) in each repository.', labelNames: ['repository'], registers,
    async collect() { await stats.refresh(); },
  });
  const repoBytes = new Gauge({
    name: 'wharf_repository_stored_bytes', help: 'Sum of the sizes of the distinct blobs (layers, configs) the repository\'s images reference; a blob shared by two repositories counts in both.', labelNames: ['repository'], registers,
    // prom-client collects metrics concurrently: each gauge waits for the (shared) query itself.
    async collect() { await stats.refresh(); },
  });
  stats.onFresh((rows) => {
    repoImages.reset();
    repoBytes.reset();
    for (const r of rows) {
      repoImages.labels(r.name).set(r.images);
      repoBytes.labels(r.name).set(r.storedBytes);
    }
  });

  // One entry per (route, method, status) seen: bounded, since every label is.
  const series = new Map<string, RequestSeries>();
  const seriesFor = (route: string, method: string, status: number): RequestSeries => {
    const key = `${route} ${method} ${status}`;
    let s = series.get(key);
    if (!s) {
      const code = String(status);
      s = {
        count: requests.labels(route, method, code), latency: latency.labels(route, method, code),
        bytesIn: received.labels(route, method), bytesOut: sent.labels(route, method),
      };
      series.set(key, s);
    }
    return s;
  };

  return {
    request(route, method, status, seconds, bytesIn, bytesOut) {
      const s = seriesFor(route, method, status);
      s.count.inc();
      s.latency.observe(seconds);
      if (bytesIn > 0) s.bytesIn.inc(bytesIn);
      if (bytesOut > 0) s.bytesOut.inc(bytesOut);
    },
    uploadStarted() { uploads.inc(); },
    uploadEnded() { uploads.dec(); },
    gcRun(r) {
      gcRuns.labels(r.failed ? 'failed' : 'success').inc();
      gcBlobs.inc(r.blobs);
      gcBytes.inc(r.bytes);
      gcUploads.inc(r.uploads);
    },
    lifecycleRun(r) {
      lcRuns.labels(r.failed ? 'failed' : 'success').inc();
      lcExpired.inc(r.expired);
      lcArchived.inc(r.transitioned);
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

type StatsRows = Awaited<ReturnType<RepositoryStatsSource>>;

/**
 * Runs `source` at most once per `ttlMs` (concurrent scrapes share one query) and hands each fresh
 * answer to the listener; a failed query keeps the last values and is retried on the next scrape.
 */
function cached(source: RepositoryStatsSource, ttlMs: number) {
  let fetchedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let listener: (rows: StatsRows) => void = () => {};
  return {
    onFresh(fn: (rows: StatsRows) => void) { listener = fn; },
    refresh(): Promise<void> {
      if (performance.now() - fetchedAt < ttlMs) return Promise.resolve();
      inFlight ??= source().then((rows) => {
        fetchedAt = performance.now();
        listener(rows);
      }, () => {}).finally(() => { inFlight = undefined; });
      return inFlight;
    },
  };
}
