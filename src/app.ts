// Composition root: builds adapters, services and the HTTP server from a frozen config. Nothing
// listens here; main.ts (or a test) decides when to.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openFsBlobStore } from './adapters/blob-fs/index.ts';
import { openSqlite } from './adapters/metadata-sqlite/index.ts';
import { openLocalSecretBox } from './adapters/secret-box-local/index.ts';
import type { IdentityStore } from './ports/identity-store.ts';
import type { SecretBox } from './ports/secret-box.ts';
import { AuthenticationService } from './services/authentication.ts';
import { AuthorizationService, type Denial } from './services/authorization.ts';
import { IdentityService } from './services/identity.ts';
import { IamService } from './services/iam.ts';
import { PolicySimulator } from './services/iam/simulate.ts';
import { TokenService } from './services/tokens.ts';
import { SessionTokens } from './services/sessions.ts';
import { StsService } from './services/sts.ts';
import { WebIdentityVerifier } from './services/web-identity.ts';
import { localJwksFiles } from './adapters/jwks-file/index.ts';
import type { Config } from './config/schema.ts';
import { ConfigError } from './config/load.ts';
import { buildHttpServer } from './http/server.ts';
import type { BoundServer } from './http/listen.ts';
import { createLogger } from './http/observability/logger.ts';
import { openPrometheusMetrics } from './adapters/metrics-prometheus/index.ts';
import { noMetrics, type Metrics, type RegistryRepositoryStats } from './ports/metrics.ts';
import { ReadinessProbe } from './services/readiness.ts';
import type { Services } from './http/services.ts';
import { startJobs, type Jobs } from './jobs/scheduler.ts';
import type { BlobStore } from './ports/blob-store.ts';
import { systemClock, type Clock } from './ports/clock.ts';
import type { MetadataStore } from './ports/metadata-store.ts';
import { BlobService } from './services/blobs.ts';
import { DownloadUrlService } from './services/download-urls.ts';
import type { ServiceDeps } from './services/context.ts';
import { ImageService } from './services/images.ts';
import { ManifestService } from './services/manifests.ts';
import { RepositoryService } from './services/repositories.ts';
import { PolicyService } from './services/policies.ts';
import { GarbageCollector } from './services/gc.ts';
import { LifecycleService } from './services/lifecycle.ts';
import { ArchiveService } from './services/archive.ts';
import { PullExclusionService } from './services/pull-exclusions.ts';
import { registryView } from './services/registry-view.ts';
import { registryPrefix, splitRepositoryKey } from './domain/registries.ts';
import { loggingStorageHealth } from './services/storage-health.ts';
import type { StorageHealth } from './ports/storage-health.ts';

export interface Stores {
  meta: MetadataStore;
  blobs: BlobStore;
  identity: IdentityStore;
  box: SecretBox;
}

/** A data directory Wharf cannot use (not a directory, not writable), or no store where one must be. */
export class DataDirError extends Error {}

const hint = '(--data-dir, WHARF_DATA_DIR)';

/** True when `dir` is a directory, false when it does not exist; DataDirError when it is something else. */
export function directoryOrMissing(dir: string): boolean {
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return false; // below a file: missing, and cannot be made
    throw new DataDirError(`cannot use data dir ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} ${hint}`);
  }
  if (st && !st.isDirectory()) throw new DataDirError(`data dir ${dir} is not a directory ${hint}`);
  return !!st;
}

/**
 * Makes sure `dir` is a directory this process can write, creating it (and its parents) when missing.
 * Throws DataDirError naming the directory otherwise. Writability is probed by creating and removing
 * a file, so it also holds for root, read-only mounts and ACLs, where permission bits say little.
 */
export function prepareDataDir(dir: string): void {
  if (!directoryOrMissing(dir)) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new DataDirError(`cannot create data dir ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} ${hint}`);
    }
  }
  const probe = join(dir, `.wharf-write-check-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (e) {
    throw new DataDirError(`data dir ${dir} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} ${hint}`);
  }
}

/** True when `dir` holds an embedded store (wharf.db), i.e. a server or `--create` made one there. */
export function hasStore(dir: string): boolean {
  return existsSync(join(dir, 'wharf.db'));
}

/** Where the master key is: `masterKeyFile`, or `<dataDir>/master.key`. */
export function masterKeyFile(config: Config): string {
  return config.masterKeyFile ?? join(config.dataDir, 'master.key');
}

/**
 * Opens the embedded stores under config.dataDir: wharf.db (SQLite), the blob tree, the master key.
 * The directory is made when missing; DataDirError when it is not a writable directory.
 * `clock` is the time the metadata store records on its own (tests pass their fake clock); `shared`
 * (admin commands) means a server may be running on the same directory, so its in-flight files stay.
 * `health` hears when a store runs out of space and when it writes again (the server logs it).
 */
export async function openStores(config: Config, opts: { clock?: Clock; shared?: boolean; health?: StorageHealth } = {}): Promise<Stores> {
  prepareDataDir(config.dataDir);
  const { meta, identity } = openSqlite({ path: join(config.dataDir, 'wharf.db'), synchronous: config.sqliteSynchronous, clock: opts.clock, health: opts.health });
  const blobs = await openFsBlobStore(config.dataDir, { keepTmp: opts.shared, health: opts.health });
  const box = openLocalSecretBox(masterKeyFile(config));
  return { meta, blobs, identity, box };
}

/** `onDenied` hears every access denial (the server logs each with the statement that decided). */
export function buildServices(config: Config, stores: Stores, clock: Clock = systemClock, onDenied?: (d: Denial) => void): Services {
  const sessions = new SessionTokens(stores.box.derive('sts-session-token'), config.accountId);
  const identity = new IdentityService(stores.identity, stores.box, clock, config.accountId, sessions);
  const iam = new IamService(stores.identity, stores.box, clock);
  const tokens = new TokenService(stores.box.derive('registry-token'), config.accountId);
  const shared = {
    identity, iam, simulator: new PolicySimulator(iam), sts: new StsService(iam, sessions, new WebIdentityVerifier(iam, localJwksFiles, clock), clock, config.region),
    authn: new AuthenticationService(identity, tokens, clock, config.region),
    authz: new AuthorizationService({ meta: stores.meta, iam, clock, region: config.region, defaultAccount: config.accountId, ...(onDenied ? { onDenied } : {}) }),
  };
  /** Previews in flight in every registry, so that close() waits for all of them. */
  const previews = new Set<Promise<void>>();
  const downloadKey = stores.box.derive('blob-download-url');
  const registry = (registryId: string, meta: MetadataStore) => {
    const deps: ServiceDeps = { meta, blobs: stores.blobs, clock, registryId, newId: randomUUID };
    const repositories = new RepositoryService(deps);
    const manifests = new ManifestService(deps, repositories);
    const images = new ImageService(deps, repositories, manifests);
    const archive = new ArchiveService(deps, repositories, images);
    const blobs = new BlobService(deps, repositories);
    return {
      deps, repositories, blobs, manifests, images, archive,
      lifecycle: new LifecycleService(deps, repositories, images, { pending: previews, archive: (repo, digest, expect) => archive.archive(repo, digest, undefined, expect) }),
      pullExclusions: new PullExclusionService(deps),
      downloadUrls: new DownloadUrlService(downloadKey, clock, registryId),
      policies: new PolicyService(deps, repositories),
    };
  };
  const whole = registry(config.accountId, stores.meta);
  const gc = new GarbageCollector(whole.deps, whole.blobs, { graceSeconds: config.gcGraceSeconds, batchSize: config.gcBatchSize, uploadTtlSeconds: config.uploadTtlSeconds });
  const views = new Map<string, Services>();
  const forRegistry = (account: string): Services => {
    let s = views.get(account);
    if (!s) {
      const { deps: _deps, ...scoped } = registry(account, registryView(stores.meta, registryPrefix(account, config.accountId)));
      s = Object.freeze({ ...shared, ...scoped, gc, forRegistry });
      views.set(account, s);
    }
    return s;
  };
  const { deps: _deps, ...all } = whole;
  return Object.freeze({ ...shared, ...all, gc, forRegistry });
}

/** <dataDir>/root-credentials: the root key in AWS shared-credentials format, profile [wharf]. */
export function rootCredentialsFile(config: Config): string {
  return join(config.dataDir, 'root-credentials');
}

/** (Re)writes the root-credentials file with mode 0600, replacing it atomically when it exists. */
export function writeRootCredentials(config: Config, key: { accessKeyId: string; secretAccessKey: string }): string {
  const file = rootCredentialsFile(config);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `[wharf]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/**
 * The root key WHARF_ROOT_ACCESS_KEY_ID / WHARF_ROOT_SECRET_ACCESS_KEY name, or undefined when neither
 * is set. ConfigError when only one is (every `wharf` command checks this before it touches the data dir).
 */
export function rootKeyFromEnv(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } | undefined {
  const id = env.WHARF_ROOT_ACCESS_KEY_ID;
  const secret = env.WHARF_ROOT_SECRET_ACCESS_KEY;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret };
  if (id) throw new ConfigError('WHARF_ROOT_ACCESS_KEY_ID is set but WHARF_ROOT_SECRET_ACCESS_KEY is not: set both, or neither');
  if (secret) throw new ConfigError('WHARF_ROOT_SECRET_ACCESS_KEY is set but WHARF_ROOT_ACCESS_KEY_ID is not: set both, or neither');
  return undefined;
}

/**
 * Makes sure the root access key exists: from WHARF_ROOT_ACCESS_KEY_ID / WHARF_ROOT_SECRET_ACCESS_KEY,
 * or generated once and written to <dataDir>/root-credentials (mode 0600) in AWS credentials format.
 * Returns the path of that file when it was just written. The secret is never logged. ConfigError
 * when only one of the two variables is set.
 */
export async function bootstrapRootKey(config: Config, services: Services, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const made = await services.identity.ensureRootKey(rootKeyFromEnv(env));
  if (!made) return undefined;
  return writeRootCredentials(config, made);
}

export interface App {
  readonly config: Config;
  readonly http: FastifyInstance;
  readonly services: Services;
  readonly log: Logger;
  /** Request, job and per-repository metrics (noMetrics when `metrics` is off). */
  readonly metrics: Metrics;
  /** Starts background jobs (abandoned-upload sweeps). */
  startJobs(): void;
  /** Stops jobs, closes the server (waiting for in-flight requests) and the stores. */
  close(): Promise<void>;
}

/**
 * Every repository's statistics with its registry's account, read a page at a time so a large
 * registry never blocks the loop long.
 */
async function allRepositoryStats(meta: MetadataStore, defaultAccount: string): Promise<RegistryRepositoryStats[]> {
  const out: RegistryRepositoryStats[] = [];
  for (let after: string | undefined; ;) {
    const page = await meta.repositoryStats(after, 500);
    for (const r of page) {
      const { account, name } = splitRepositoryKey(r.name);
      out.push({ ...r, name, registryId: account ?? defaultAccount });
    }
    if (page.length < 500) return out;
    after = page[page.length - 1].name;
    await new Promise((r) => setImmediate(r));
  }
}

/** `bound`: the listening server `wharf serve` bound first (see buildHttpServer); tests leave it out. */
export async function buildApp(config: Config, opts: { logger?: Logger; clock?: Clock; bound?: BoundServer } = {}): Promise<App> {
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const stores = await openStores(config, { clock: opts.clock, health: loggingStorageHealth(log) });
  const services = buildServices(config, stores, opts.clock, (d) => log.info({ ...d }, 'access denied'));
  const rootFile = await bootstrapRootKey(config, services, process.env);
  if (rootFile) log.warn({ file: rootFile }, 'generated the root access key; its id and secret are in this file (shown once, keep it safe)');
  const metrics = config.metrics
    ? openPrometheusMetrics({ repositoryStats: () => allRepositoryStats(stores.meta, config.accountId), statsCacheMs: config.metricsCacheSeconds * 1000 })
    : noMetrics;
  const readiness = new ReadinessProbe(stores.meta, stores.blobs, randomUUID);
  const http = buildHttpServer(services, config, log, { metrics, ready: () => readiness.check(), bound: opts.bound });
  let jobs: Jobs | undefined;
  return {
    config, http, services, log, metrics,
    startJobs() {
      jobs = startJobs(config, services, log, metrics);
    },
    async close() {
      readiness.shuttingDown();
      jobs?.stop();
      await http.close();
      await services.gc.stop();
      await services.lifecycle.settled();
      await stores.meta.close();
      await stores.blobs.close();
    },
  };
}
