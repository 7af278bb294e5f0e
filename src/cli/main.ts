// The `wharf` command: serve, and admin commands that work on the embedded store directly.
import { Command, Option } from 'commander';
import { buildServices, openStores } from '../app.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { WharfError } from '../domain/errors.ts';
import { serve } from '../main.ts';

interface CommonOpts { config?: string; dataDir?: string }

function configFrom(opts: CommonOpts, extra: Record<string, unknown> = {}): Config {
  return loadConfig({ file: opts.config, env: process.env, flags: { dataDir: opts.dataDir, ...extra } });
}

/** Runs `fn` against the embedded store of `opts`, closing it afterwards. */
async function withServices<T>(opts: CommonOpts, fn: (s: ReturnType<typeof buildServices>) => Promise<T>): Promise<T> {
  const config = configFrom(opts, { logLevel: 'silent' });
  const stores = await openStores(config);
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
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError) console.error(`wharf: configuration error: ${e.message}`);
    else if (e instanceof WharfError) console.error(`wharf: ${e.message}`);
    else throw e;
    process.exit(2);
  }
}
