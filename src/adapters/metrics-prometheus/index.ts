// The Metrics port on prom-client: one Registry per app (never prom-client's global one, so several
// apps can live in one process), request counts kept as plain numbers and exposed at scrape time,
// and per-repository gauges computed at scrape time from a cached stats query.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
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

/** One (route, method, status): plain numbers on the request path, turned into samples at scrape time. */
interface RequestSeries {
  readonly route: string;
  readonly method: string;
  readonly status: string;
  count: number;
  sum: number;
  /** Observations per latency bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: number[];
  bytesIn: number;
  bytesOut: number;
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/** A metric prom-client's Registry can expose, computed from `values()` at scrape time. */
function computed(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]) {
  return {
    name, help, type, aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset() {},
  };
}

/**
 * The HTTP request metrics without prom-client on the request path (its label hashing costs more
 * than the rest of the per-request work): counts kept in nested maps, exposed as the usual
 * counter and histogram series when scraped.
 */
function requestMetrics(registry: Registry) {
  const byRoute = new Map<string, Map<string, Map<number, RequestSeries>>>();
  const all: RequestSeries[] = [];
  const find = (route: string, method: string, status: number): RequestSeries => {
    let byMethod = byRoute.get(route);
    if (!byMethod) byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { route, method, status: String(status), count: 0, sum: 0, buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), bytesIn: 0, bytesOut: 0 };
      byStatus.set(status, s);
      all.push(s);
    }
    return s;
  };
  const labels = (s: RequestSeries) => ({ route: s.route, method: s.method, status: s.status });
  /** Bytes are labelled by route and method only: the series of every status added up. */
  const bytes = (field: 'bytesIn' | 'bytesOut') => (): Sample[] => {
    const sums = new Map<string, Sample>();
    for (const s of all) {
      const k = `${s.route} ${s.method}`;
      const e = sums.get(k);
      if (e) e.value += s[field];
      else sums.set(k, { labels: { route: s.route, method: s.method }, value: s[field] });
    }
    return [...sums.values()];
  };
  registry.registerMetric(computed('wharf_http_requests_total', 'HTTP requests ended, by route kind (or ECR operation), method and status (499: the client went away).', 'counter',
    () => all.map((s) => ({ labels: labels(s), value: s.count }))) as never);
  registry.registerMetric(computed('wharf_http_request_duration_seconds', 'Time from request headers to the last byte of the answer (or the abort).', 'histogram', () => {
    const out: Sample[] = [];
    for (const s of all) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i];
        out.push({ metricName: 'wharf_http_request_duration_seconds_bucket', labels: { le, ...labels(s) }, value: cumulative });
      });
      out.push({ metricName: 'wharf_http_request_duration_seconds_bucket', labels: { le: '+Inf', ...labels(s) }, value: s.count });
      out.push({ metricName: 'wharf_http_request_duration_seconds_sum', labels: labels(s), value: s.sum });
      out.push({ metricName: 'wharf_http_request_duration_seconds_count', labels: labels(s), value: s.count });
    }
    return out;
  }) as never);
  registry.registerMetric(computed('wharf_http_received_bytes_total', 'Bytes read from clients (request line, headers and body).', 'counter', bytes('bytesIn')) as never);
  registry.registerMetric(computed('wharf_http_sent_bytes_total', 'Bytes written to clients (status line, headers and body).', 'counter', bytes('bytesOut')) as never);
  return (route: string, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number) => {
    const s = find(route, method, status);
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    s.buckets[i]++;
    s.bytesIn += bytesIn;
    s.bytesOut += bytesOut;
  };
}

/** Builds the Prometheus metrics of one app. */
export function openPrometheusMetrics(opts: PrometheusOptions): Metrics {
  const registers = [new Registry()];
  const [registry] = registers;
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const request = requestMetrics(registry);
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
    name: 'wharf_repository_images', help: 'Images (manifests, index children included) in each repository.', labelNames: ['registry_id', 'repository'], registers,
    async collect() { await stats.refresh(); },
  });
  const repoBytes = new Gauge({
    name: 'wharf_repository_stored_bytes', help: 'Sum of the sizes of the distinct blobs (layers, configs) the repository\'s images reference; a blob shared by two repositories counts in both.', labelNames: ['registry_id', 'repository'], registers,
    // prom-client collects metrics concurrently: each gauge waits for the (shared) query itself.
    async collect() { await stats.refresh(); },
  });
  stats.onFresh((rows) => {
    repoImages.reset();
    repoBytes.reset();
    for (const r of rows) {
      repoImages.labels(r.registryId, r.name).set(r.images);
      repoBytes.labels(r.registryId, r.name).set(r.storedBytes);
    }
  });

  return {
    request,
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
