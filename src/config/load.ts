// Loads configuration from file, environment and flags (flags beat env, env beats the file),
// validates it against the schema once, and returns it frozen.
import { registryDomainOfHost } from '../domain/registries.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_KEYS, NON_CONFIG_ENV, configSchema, envName, type Config } from './schema.ts';

export class ConfigError extends Error {}

export interface ConfigSources {
  /** Path of a JSON file with config keys (`--config`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by config key; undefined entries are ignored. */
  flags?: Record<string, unknown>;
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('top level must be an object');
    return v;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const byEnv = new Map(CONFIG_KEYS.map((k) => [envName(k), k]));
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('WHARF_') || value === undefined) continue;
    const key = byEnv.get(name);
    if (key) out[key] = value;
    else if (!NON_CONFIG_ENV.has(name) && !name.startsWith('WHARF_TEST_')) {
      throw new ConfigError(`unknown environment variable ${name} (known: ${[...byEnv.keys()].join(', ')})`);
    }
  }
  return out;
}

/** Merges, validates and freezes the configuration; throws ConfigError naming the offending key. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const merged: Record<string, unknown> = {
    ...(sources.file ? readFile(sources.file) : {}),
    ...fromEnv(sources.env ?? process.env),
  };
  for (const [k, v] of Object.entries(sources.flags ?? {})) if (v !== undefined) merged[k] = v;
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const msgs = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown configuration key(s): ${i.keys.join(', ')}`;
      const key = i.path.join('.');
      return `invalid value for '${key}' (${envName(key)}): ${i.message}`;
    });
    throw new ConfigError(msgs.join('; '));
  }
  const c = parsed.data;
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    throw new ConfigError(`set both tlsCertFile (${envName('tlsCertFile')}) and tlsKeyFile (${envName('tlsKeyFile')}), or neither`);
  }
  const publicUrl = c.publicUrl !== undefined ? normalizeUrl(c.publicUrl) : defaultPublicUrl(c);
  // Resolved once: the per-account registry hosts' domain (the port never changes it, withBoundPort keeps it).
  const registryDomain = c.registryDomain ?? registryDomainOfHost(new URL(publicUrl).hostname, c.region);
  return Object.freeze({
    ...c, dataDir: resolve(c.dataDir), publicUrl, ...(registryDomain !== undefined ? { registryDomain } : {}),
    ...(c.tlsCertFile !== undefined ? { tlsCertFile: resolve(c.tlsCertFile) } : {}),
    ...(c.tlsKeyFile !== undefined ? { tlsKeyFile: resolve(c.tlsKeyFile) } : {}),
  });
}

/** `https://h.example:443/` → `https://h.example`: no default port, no trailing slash (ECR's form). */
function normalizeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** The publicUrl when none is configured: http(s)://<host>:<port>, https when TLS files are set. */
function defaultPublicUrl(c: { host: string; port: number; tlsCertFile?: string }): string {
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return normalizeUrl(`${c.tlsCertFile !== undefined ? 'https' : 'http'}://${host}:${c.port}`);
}

/**
 * The configuration as served once the listening socket is bound: `port` is the port really bound
 * (differs from the configured one for port 0), and a default publicUrl names it. An explicitly
 * configured publicUrl is kept as it is. Returns a new frozen config; `config` is not changed.
 */
export function withBoundPort(config: Config, port: number): Config {
  if (port === config.port) return config;
  const publicUrl = config.publicUrl === defaultPublicUrl(config) ? defaultPublicUrl({ ...config, port }) : config.publicUrl;
  return Object.freeze({ ...config, port, publicUrl });
}
