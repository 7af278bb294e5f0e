// Composition root: builds adapters, services and the HTTP server from a frozen config. Nothing
// listens here; main.ts (or a test) decides when to.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { openFsBlobStore } from './adapters/blob-fs/index.ts';
import { openSqliteMetadataStore } from './adapters/metadata-sqlite/index.ts';
import type { Config } from './config/schema.ts';
import { buildHttpServer } from './http/server.ts';
import type { Services } from './http/services.ts';
import { startJobs, type Jobs } from './jobs/scheduler.ts';
import type { BlobStore } from './ports/blob-store.ts';
import { systemClock, type Clock } from './ports/clock.ts';
import type { MetadataStore } from './ports/metadata-store.ts';
import { BlobService } from './services/blobs.ts';
import type { ServiceDeps } from './services/context.ts';
import { ManifestService } from './services/manifests.ts';
import { RepositoryService } from './services/repositories.ts';

export interface Stores {
  meta: MetadataStore;
  blobs: BlobStore;
}

/** Opens the embedded stores under config.dataDir: wharf.db (SQLite) and the blob tree. */
export async function openStores(config: Config): Promise<Stores> {
  mkdirSync(config.dataDir, { recursive: true });
  const meta = openSqliteMetadataStore({ path: join(config.dataDir, 'wharf.db'), synchronous: config.sqliteSynchronous });
  const blobs = await openFsBlobStore(config.dataDir);
  return { meta, blobs };
}

export function buildServices(config: Config, stores: Stores, clock: Clock = systemClock): Services {
  const deps: ServiceDeps = { ...stores, clock, registryId: config.accountId, newId: randomUUID };
  const repositories = new RepositoryService(deps);
  return { repositories, blobs: new BlobService(deps, repositories), manifests: new ManifestService(deps, repositories) };
}

export interface App {
  readonly config: Config;
  readonly http: FastifyInstance;
  readonly services: Services;
  readonly log: Logger;
  /** Starts background jobs (abandoned-upload sweeps). */
  startJobs(): void;
  /** Stops jobs, closes the server (waiting for in-flight requests) and the stores. */
  close(): Promise<void>;
}

export async function buildApp(config: Config, opts: { logger?: Logger; clock?: Clock } = {}): Promise<App> {
  const log = opts.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.secretAccessKey', '*.password', '*.token'] });
  const stores = await openStores(config);
  const services = buildServices(config, stores, opts.clock);
  const http = buildHttpServer(services, log);
  let jobs: Jobs | undefined;
  return {
    config, http, services, log,
    startJobs() {
      jobs = startJobs(config, services, log);
    },
    async close() {
      jobs?.stop();
      await http.close();
      await stores.meta.close();
      await stores.blobs.close();
    },
  };
}
