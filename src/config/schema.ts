// The one configuration schema: every key, its type, its default. Config comes from (lowest first)
// a JSON file, WHARF_* environment variables, then command-line flags; it is validated once here
// and frozen. docs/configuration.md lists every key (a test checks).
import { z } from 'zod';

/** A boolean that also accepts the strings environment variables carry: true/false, 1/0. */
const flag = () => z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

export const configSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address to listen on. Loopback by default; set 0.0.0.0 to serve other machines.'),
  port: z.coerce.number().int().min(0).max(65535).default(5000).describe('TCP port for both /v2/ and the ECR API (0 = any free port).'),
  dataDir: z.string().min(1).default('./wharf-data').describe('Directory holding the embedded store: wharf.db (SQLite) and blobs/.'),
  publicUrl: z.url({ protocol: /^https?$/ }).optional().describe('Base URL clients use to reach Wharf (ECR repositoryUri, proxyEndpoint, download URLs, auth realm). Default http(s)://<host>:<bound port>.'),
  registryDomain: z.string().regex(/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a lower-case DNS name such as wharf.example.com')
    .optional().describe('Domain of the per-account registry hosts <account>.dkr.ecr.<region>.<registryDomain> (requests are routed by Host). Default: the domain of an ECR-shaped publicUrl, else none (every /v2/ request goes to the default account).'),
  tlsCertFile: z.string().min(1).optional().describe('PEM certificate chain to serve https with (set together with tlsKeyFile; reloaded when it changes).'),
  tlsKeyFile: z.string().min(1).optional().describe('PEM private key of tlsCertFile.'),
  tlsReloadSeconds: z.coerce.number().int().min(0).default(5).describe('How often the TLS files are checked for a new certificate (0 = only on SIGHUP).'),
  accountId: z.string().regex(/^[0-9]{12}$/, 'must be 12 digits').default('000000000000').describe('The AWS account id this installation answers as (registryId in messages and ARNs).'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/, 'must look like an AWS region, e.g. us-east-1').default('us-east-1').describe('The AWS region this installation answers as.'),
  masterKeyFile: z.string().min(1).optional().describe('File holding the master key that seals access-key secrets and registry tokens and signs download URLs (made on first start). Default <dataDir>/master.key; keep it out of database backups.'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level (pino).'),
  logFormat: z.enum(['auto', 'text', 'json']).default('auto').describe('Log output: json (one JSON object per line), text (for a terminal), or auto (text when stdout is a TTY, else json).'),
  accessLog: flag().default(true).describe('One info line per HTTP request (method, redacted path, status, bytes, duration, principal, request id).'),
  metrics: flag().default(true).describe('Prometheus metrics on the unauthenticated GET /metrics; false removes the route and the per-request counting.'),
  metricsCacheSeconds: z.coerce.number().int().min(0).default(10).describe('How long one per-repository statistics query (image counts, stored bytes) serves /metrics scrapes.'),
  uploadTtlSeconds: z.coerce.number().int().min(60).default(86_400).describe('Upload sessions untouched for longer than this are abandoned and deleted.'),
  uploadSweepSeconds: z.coerce.number().int().min(1).default(600).describe('How often abandoned uploads are looked for.'),
  lifecycleIntervalSeconds: z.coerce.number().int().min(0).default(3600).describe('How often `wharf serve` runs every repository\'s lifecycle policy (0 = never; `wharf lifecycle run` still works).'),
  gcGraceSeconds: z.coerce.number().int().min(0).default(86_400).describe('Garbage collection keeps an unreferenced blob until this long after it was last pushed, linked or released by a deleted manifest (0 only for tests: pushes in flight may then fail).'),
  gcIntervalSeconds: z.coerce.number().int().min(0).default(3600).describe('How often `wharf serve` collects garbage (0 = never; `wharf gc` still works).'),
  gcBatchSize: z.coerce.number().int().min(1).max(10_000).default(500).describe('Blobs garbage collection decides and deletes per batch (one short transaction to mark them, one to forget them).'),
  shutdownTimeoutSeconds: z.coerce.number().int().min(1).default(30).describe('On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.'),
  sqliteSynchronous: z.enum(['FULL', 'NORMAL']).default('FULL').describe('SQLite PRAGMA synchronous: FULL survives power loss, NORMAL only process crashes (faster).'),
});

export type Config = Readonly<z.infer<typeof configSchema>> & { readonly publicUrl: string };
export type ConfigKey = keyof z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** `dataDir` → `WHARF_DATA_DIR`: the documented env-var rule. */
export function envName(key: string): string {
  return 'WHARF_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** WHARF_* variables that are not configuration keys (read elsewhere, e.g. by tests or credentials). */
export const NON_CONFIG_ENV = new Set(['WHARF_REQUIRE_TOOLS', 'WHARF_TSX', 'WHARF_ROOT_ACCESS_KEY_ID', 'WHARF_ROOT_SECRET_ACCESS_KEY']);
