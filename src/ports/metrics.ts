// The metrics port: what Wharf counts, independent of how it is exported. The Prometheus adapter
// (adapters/metrics-prometheus) implements it; noMetrics is the "metrics off" implementation.
// Calls sit on the request path, so implementations must be cheap and must never throw.

import type { RepositoryStats } from './metadata-store.ts';

/** One repository's figures with the account of its registry (label `registry_id`). */
export interface RegistryRepositoryStats extends RepositoryStats {
  readonly registryId: string;
}

/** Per-repository facts exported at scrape time (MetadataStore.repositoryStats of every registry). */
export interface RepositoryStatsSource {
  (): Promise<readonly RegistryRepositoryStats[]>;
}

export interface Metrics {
  /**
   * One HTTP request that ended (answered or aborted by the client). `route` is a low-cardinality
   * route kind (`manifest`, `blob`, … or an ECR operation name), never a repository name; `status`
   * 499 means the client went away before an answer was sent; bytes are those read (request line,
   * headers, body) and written (status line, headers, body) on the connection for this request.
   */
  request(route: string, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void;
  /** A request started streaming blob bytes into an upload (uploads in flight + 1). */
  uploadStarted(): void;
  /** That request ended, whatever its outcome (uploads in flight - 1). */
  uploadEnded(): void;
  /** One garbage collection ended; `failed` when it threw (counts then are what it did before). */
  gcRun(r: { readonly blobs: number; readonly bytes: number; readonly uploads: number; readonly failed: boolean }): void;
  /** One pass of the lifecycle scheduler over every repository with a policy ended. */
  lifecycleRun(r: { readonly expired: number; readonly transitioned: number; readonly failed: boolean }): void;
  /** The current values in the exporter's text format (Prometheus exposition for /metrics). */
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** Metrics switched off: every call does nothing; scrape answers an empty body. */
export const noMetrics: Metrics = {
  request() {},
  uploadStarted() {},
  uploadEnded() {},
  gcRun() {},
  lifecycleRun() {},
  async scrape() { return { contentType: 'text/plain', body: '' }; },
};
