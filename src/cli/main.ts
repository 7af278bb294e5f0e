// The `wharf` command: serve, and admin commands that work on the embedded store directly.
import { Command, Option } from 'commander';
import { buildServices, openStores } from '../app.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { WharfError } from '../domain/errors.ts';
import type { GcReport } from '../services/gc.ts';
import type { LifecycleEvent } from '../services/lifecycle.ts';
import { StartupError, serve } from '../main.ts';

interface CommonOpts { config?: string; dataDir?: string }

function configFrom(opts: CommonOpts, extra: Record<string, unknown> = {}): Config {
  return loadConfig({ file: opts.config, env: process.env, flags: { dataDir: opts.dataDir, ...extra } });
}

/** Runs `fn` against the embedded store of `opts`, closing it afterwards. */
async function withServices<T>(opts: CommonOpts, fn: (s: ReturnType<typeof buildServices>) => Promise<T>): Promise<T> {
  const config = configFrom(opts, { logLevel: 'silent' });
  const stores = await openStores(config, { shared: true });
  try {
    return await fn(buildServices(config, stores));
  } finally {
    await stores.meta.close();
    await stores.blobs.close();
  }
}

export function buildCli(): Command {
  const program = new Command('wharf').description('Wharf: a self-hosted container registry that speaks OCI and Amazon ECR').showHelpAfterError();
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
    .action(async (names: string[], opts) => withServices(opts, async (s) => {
      for (const n of names) {
        await s.repositories.create(n);
        console.log(`created ${n}`);
      }
    }));
  common(repos.command('list').description('list repositories'))
    .action(async (opts) => withServices(opts, async (s) => {
      let after: string | undefined;
      for (;;) {
        const page = await s.repositories.list(after, 1000);
        for (const n of page.names) console.log(n);
        if (!page.more) break;
        after = page.names[page.names.length - 1];
      }
    }));
  common(repos.command('delete').argument('<names...>').description('delete repositories with everything in them'))
    .action(async (names: string[], opts) => withServices(opts, async (s) => {
      for (const n of names) {
        await s.repositories.delete(n);
        console.log(`deleted ${n}`);
      }
    }));
  const lifecycle = program.command('lifecycle').description('lifecycle policies');
  common(lifecycle.command('run').description('run lifecycle policies now and print what they expired and archived'))
    .option('--repository <name>', 'only this repository (default: every repository with a policy)')
    .action(async (opts) => withServices(opts, async (s) => {
      const reports = opts.repository
        ? [await s.lifecycle.runRepository(opts.repository, printLifecycleEvent)]
        : await s.lifecycle.runAll(printLifecycleEvent);
      for (const r of reports) {
        console.log(r.error !== undefined
          ? `failed ${r.repository}: ${r.error instanceof Error ? r.error.message : String(r.error)}`
          : `evaluated ${r.repository}: ${r.expired.length} expired, ${r.transitioned.length} transitioned, ${r.skipped.length} skipped`);
      }
      if (reports.some((r) => r.error !== undefined)) process.exitCode = 1;
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

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError) console.error(`wharf: configuration error: ${e.message}`);
    else if (e instanceof WharfError) console.error(`wharf: ${e.message}`);
    else if (e instanceof StartupError) console.error(`wharf: ${e.message}`);
    else throw e;
    process.exit(e instanceof StartupError ? 1 : 2);
  }
}
