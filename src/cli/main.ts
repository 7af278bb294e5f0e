// The `wharf` command: serve, and admin commands that work on the embedded store directly.
import { SchemaTooNewError } from '../adapters/metadata-sqlite/index.ts';
import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { buildServices, DataDirError, directoryOrMissing, hasStore, masterKeyFile, openStores, rootCredentialsFile, rootKeyFromEnv, writeRootCredentials } from '../app.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { WharfError } from '../domain/errors.ts';
import type { GcReport } from '../services/gc.ts';
import type { LifecycleEvent } from '../services/lifecycle.ts';
import { StartupError, serve } from '../main.ts';
import { registryHost } from '../http/ecr/context.ts';
import type { Services } from '../http/services.ts';

interface CommonOpts { config?: string; dataDir?: string; create?: boolean }

/**
 * Exit statuses of every command: 0 done; 1 the command ran but part of it failed (a lifecycle run
 * of one repository), or an unexpected error; 2 refused before doing anything (bad usage, bad
 * configuration, unusable data dir, an ECR-style error such as an unknown repository).
 */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

/** The validated configuration of a command; ConfigError also when only half of WHARF_ROOT_* is set. */
function configFrom(opts: CommonOpts, extra: Record<string, unknown> = {}): Config {
  const config = loadConfig({ file: opts.config, env: process.env, flags: { dataDir: opts.dataDir, ...extra } });
  rootKeyFromEnv(process.env);
  return config;
}

/**
 * Runs `fn` against the embedded store of `opts`, closing it afterwards. Says on stderr which data dir
 * it uses, and refuses one without a store (wharf.db) unless `opts.create` (only `repositories create`
 * offers --create), so a mistyped --data-dir never leaves a new empty store behind.
 */
async function withServices<T>(opts: CommonOpts, fn: (s: ReturnType<typeof buildServices>, config: Config) => Promise<T>): Promise<T> {
  const config = configFrom(opts, { logLevel: 'silent' });
  const exists = directoryOrMissing(config.dataDir);
  const stored = hasStore(config.dataDir);
  if (!stored && !opts.create) {
    const what = exists ? 'holds no Wharf store (no wharf.db)' : 'does not exist';
    const offer = opts.create === false ? '; pass --create to make a new store there' : '';
    throw new DataDirError(`data dir ${config.dataDir} ${what}: check --data-dir or WHARF_DATA_DIR (wharf serve makes the store on its first start)${offer}`);
  }
  const keyFile = masterKeyFile(config);
  if (stored && !existsSync(keyFile)) {
    // A new master key would seal secrets the server cannot open: refuse instead of making one.
    throw new DataDirError(`the master key ${keyFile} of the store in ${config.dataDir} is missing: give the server's --config or WHARF_MASTER_KEY_FILE`);
  }
  console.error(`wharf: using data dir ${config.dataDir}`);
  const stores = await openStores(config, { shared: true });
  try {
    return await fn(buildServices(config, stores), config);
  } finally {
    await stores.meta.close();
    await stores.blobs.close();
  }
}

export function buildCli(): Command {
  const program = new Command('wharf').description('Wharf: a self-hosted container registry that speaks OCI and Amazon ECR')
    .version(pkg.version, '-v, --version', 'print the version of Wharf').showHelpAfterError().exitOverride();
  const common = (c: Command) => c
    .option('--config <file>', 'JSON configuration file')
    .option('--data-dir <dir>', 'data directory (WHARF_DATA_DIR)');

  common(program.command('serve').description('start the registry (OCI /v2/ and ECR API on one port)'))
    .option('--host <host>', 'address to listen on (WHARF_HOST)')
    .addOption(new Option('--port <port>', 'port to listen on (WHARF_PORT)'))
    .action(async (opts) => {
      await serve(configFrom(opts, { host: opts.host, port: opts.port }));
    });

  const repos = program.command('repositories').description('manage repositories in the embedded store');
  common(repos.command('create').argument('<names...>').description('create one or more repositories'))
    .option('--create', 'make a new store when the data dir has none')
    .option(ACCOUNT_FLAG, ACCOUNT_HELP)
    .action(async (names: string[], opts) => withServices({ ...opts, create: !!opts.create }, async (all) => {
      const s = await registryOf(all, opts.account);
      for (const n of names) {
        await s.repositories.create(n);
        console.log(`created ${n}`);
      }
    }));
  common(repos.command('list').description('list repositories'))
    .option(ACCOUNT_FLAG, ACCOUNT_HELP)
    .action(async (opts) => withServices(opts, async (all) => {
      const s = await registryOf(all, opts.account);
      let after: string | undefined;
      for (;;) {
        const page = await s.repositories.list(after, 1000);
        for (const n of page.names) console.log(n);
        if (!page.more) break;
        after = page.names[page.names.length - 1];
      }
    }));
  common(repos.command('delete').argument('<names...>').description('delete repositories with everything in them'))
    .option(ACCOUNT_FLAG, ACCOUNT_HELP)
    .action(async (names: string[], opts) => withServices(opts, async (all) => {
      const s = await registryOf(all, opts.account);
      for (const n of names) {
        await s.repositories.delete(n);
        console.log(`deleted ${n}`);
      }
    }));
  const lifecycle = program.command('lifecycle').description('lifecycle policies');
  common(lifecycle.command('run').description('run lifecycle policies now and print what they expired and archived'))
    .option('--repository <name>', 'only this repository (default: every repository with a policy)')
    .option(ACCOUNT_FLAG, 'the registry of --repository, or the only registry to run (default: every account\'s)')
    .action(async (opts) => withServices(opts, async (all) => {
      const s = opts.account !== undefined || opts.repository !== undefined ? await registryOf(all, opts.account) : all;
      const reports = opts.repository
        ? [await s.lifecycle.runRepository(opts.repository, printLifecycleEvent)]
        : await s.lifecycle.runAll(printLifecycleEvent);
      for (const r of reports) {
        console.log(r.error !== undefined
          ? `failed ${r.repository}: ${r.error instanceof Error ? r.error.message : String(r.error)}`
          : `evaluated ${r.repository}: ${r.expired.length} expired, ${r.transitioned.length} transitioned, ${r.skipped.length} skipped`);
      }
      if (reports.some((r) => r.error !== undefined)) process.exitCode = EXIT.failed;
    }));
  common(program.command('gc').description('delete blobs no manifest references (after gcGraceSeconds) and abandoned uploads; safe while a server runs'))
    .option('--dry-run', 'list what would be deleted and delete nothing')
    .action(async (opts) => withServices(opts, async (s) => {
      let last = performance.now();
      const r = await s.gc.run({
        dryRun: !!opts.dryRun,
        onBlob: opts.dryRun ? (b) => console.log(`would remove ${b.digest} ${b.size}`) : undefined,
        onProgress: (p) => {
          if (performance.now() - last < 10_000) return;
          last = performance.now();
          console.error(`wharf gc: ${p.blobs} blobs (${p.bytes} bytes) so far`);
        },
      });
      console.log(gcSummary(r));
    }));
  const credentials = program.command('credentials').description('access keys');
  common(credentials.command('rotate-root').description('replace the root access key: prints the new one once; the old one stops working at once'))
    .option(ACCOUNT_FLAG, 'the account whose root key to replace (default: the installation\'s account)')
    .action(async (opts) => withServices(opts, async (s, config) => {
      const account = (await registryAccount(s, opts.account));
      const key = await s.identity.rotateRootKey(account);
      const file = account === config.accountId && existsSync(rootCredentialsFile(config)) ? writeRootCredentials(config, key) : undefined;
      console.log(`aws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}`);
      console.error(`wharf: ${key.deactivated} old root key(s) deactivated; registry tokens issued before stay valid until they expire (12 hours at most)`);
      if (file) console.error(`wharf: rewrote ${file} (profile [wharf]) with the new key`);
      if (process.env.WHARF_ROOT_ACCESS_KEY_ID) console.error('wharf: WHARF_ROOT_ACCESS_KEY_ID is set: change it too, or the next wharf serve makes that key active again');
    }));
  const accounts = program.command('accounts').description('accounts, each with its own registry, IAM principals and root key');
  common(accounts.command('create').description('add an account: prints its root access key once'))
    .option('--id <account>', 'the 12-digit account id (default: a new random one)')
    .action(async (opts) => withServices(opts, async (s, config) => {
      if (opts.id !== undefined && !ACCOUNT_ID.test(opts.id)) throw new UsageError(`--id must be 12 digits, got '${opts.id}'`);
      const made = await s.identity.createAccount(opts.id);
      if (!made) throw new UsageError(`account ${opts.id} exists already`);
      console.log(`account_id = ${made.accountId}\naws_access_key_id = ${made.accessKeyId}\naws_secret_access_key = ${made.secretAccessKey}`);
      console.error(`wharf: created account ${made.accountId}; this is the only time its root secret is shown`);
      const host = registryHost(config, made.accountId);
      if (host === registryHost(config)) console.error('wharf: no registry domain is configured (registryDomain, or an ECR-shaped publicUrl): its /v2/ registry cannot be reached by host name until one is');
      else console.error(`wharf: its registry is ${host}`);
    }));
  common(accounts.command('list').description('list accounts: id, registry host, and which is the default'))
    .action(async (opts) => withServices(opts, async (s, config) => {
      for (const a of await s.identity.listAccounts()) {
        console.log(`${a.accountId}\t${registryHost(config, a.accountId)}${a.isDefault ? '\tdefault' : ''}`);
      }
    }));
  const iam = program.command('iam').description('IAM settings that the IAM API has no member for');
  common(iam.command('set-oidc-jwks').description('set the keys (JWKS) that verify an OIDC provider\'s tokens, so Wharf never has to reach the issuer'))
    .requiredOption('--arn <arn>', 'the provider\'s ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH)')
    .option('--account <id>', 'the account that owns the provider (default: the installation\'s account)')
    .addOption(new Option('--file <jwks.json>', 'store this file\'s JWKS in the store now').conflicts(['path', 'clear']))
    .addOption(new Option('--path <jwks.json>', 'store only the path: the file is read whenever a token is verified').conflicts('clear'))
    .option('--clear', 'forget the JWKS (tokens of the provider then cannot be verified: Wharf never fetches keys from the issuer)')
    .action(async (opts) => withServices(opts, async (s) => {
      const given = [opts.file, opts.path, opts.clear].filter((x) => x !== undefined).length;
      if (given !== 1) throw new UsageError('give exactly one of --file, --path and --clear');
      const account = opts.account ?? s.identity.accountId;
      if (opts.file !== undefined) await s.iam.setJwks(account, opts.arn, { jwks: readJwksFile(opts.file) });
      else if (opts.path !== undefined) {
        readJwksFile(opts.path);
        await s.iam.setJwks(account, opts.arn, { jwksFile: resolve(opts.path) });
      }
      else await s.iam.setJwks(account, opts.arn, {});
      console.error(`wharf: ${opts.clear ? 'cleared the JWKS of' : 'set the JWKS of'} ${opts.arn}`);
    }));
  return program;
}

/** The last line of `wharf gc`: what was (or would be) removed. */
export function gcSummary(r: GcReport): string {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const what = `${n(r.blobs, 'blob')} (${humanBytes(r.bytes)}) and ${n(r.uploads, 'abandoned upload')}`;
  if (r.dryRun) return `dry run: would remove ${what}; nothing was deleted`;
  const resumed = r.resumed > 0 ? ` (${n(r.resumed, 'deletion')} a stopped collection had left finished)` : '';
  return `removed ${what} in ${(r.durationMs / 1000).toFixed(2)} s${resumed}`;
}

function humanBytes(b: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u < 0 ? `${b} bytes` : `${v.toFixed(1)} ${units[u]}, ${b} bytes`;
}

/** One line per image a lifecycle run acted on (or had to skip). */
function printLifecycleEvent(e: LifecycleEvent): void {
  if (e.kind === 'failed') return;
  const a = e.action;
  const what = `${e.repository}@${a.digest} tags=${a.tags.join(',') || '-'} rule=${a.rulePriority}`;
  if (e.kind === 'expired') console.log(`expired ${what}`);
  else if (e.kind === 'transitioned') console.log(`transitioned ${what} to=${a.targetStorageClass ?? 'ARCHIVE'}`);
  else if (e.kind === 'skipped') console.log(`skipped ${what} action=${a.type}: ${e.reason}`);
}

/** A command line that parses but asks for something impossible (exit status 2, refused). */
class UsageError extends Error {}

const ACCOUNT_ID = /^[0-9]{12}$/;
const ACCOUNT_FLAG = '--account <id>';
const ACCOUNT_HELP = 'the account whose registry to use (default: the installation\'s account)';

/** `--account` checked: an account of this installation (default: the installation's own). */
async function registryAccount(s: Services, account: string | undefined): Promise<string> {
  if (account === undefined) return s.identity.accountId;
  if (!ACCOUNT_ID.test(account)) throw new UsageError(`--account must be 12 digits, got '${account}'`);
  if (!(await s.identity.hasAccount(account))) throw new UsageError(`no account ${account}: wharf accounts list shows them, wharf accounts create adds one`);
  return account;
}

/** The services of the registry `--account` names (default: the installation's account). */
async function registryOf(s: Services, account: string | undefined): Promise<Services> {
  return s.forRegistry(await registryAccount(s, account));
}

/** The text of a JWKS file named on the command line; an unreadable one is a UsageError. */
function readJwksFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the JWKS file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** One line for an error: what the operator reads instead of a stack trace. */
function describeError(e: unknown): { line: string; code: number } {
  if (e instanceof ConfigError) return { line: `configuration error: ${e.message}`, code: EXIT.refused };
  if (e instanceof DataDirError || e instanceof WharfError || e instanceof SchemaTooNewError || e instanceof UsageError) return { line: e.message, code: EXIT.refused };
  // Could not start: the port or the TLS files (src/main.ts).
  if (e instanceof StartupError) return { line: e.message, code: EXIT.failed };
  const err = e as NodeJS.ErrnoException;
  const msg = (err instanceof Error ? err.message : String(e)).split('\n')[0];
  return { line: `unexpected error: ${msg}${err?.code && !msg.includes(err.code) ? ` (${err.code})` : ''}`, code: EXIT.failed };
}

/** Runs the command line; every failure ends as one `wharf: ...` line on stderr and an EXIT status. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    // commander has already printed its own message (or the help / version) for these.
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.refused);
    const { line, code } = describeError(e);
    console.error(`wharf: ${line}`);
    process.exit(code);
  }
}
