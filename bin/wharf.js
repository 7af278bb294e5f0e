#!/usr/bin/env node
// Entry point for the `wharf` command. Bundles the TypeScript sources with esbuild at start (a few
// hundredths of a second; always current, nothing to build by hand) and runs the bundle, which keeps
// the process free of a TypeScript loader (about 25 MB less memory). Stack traces then point into the
// bundle; WHARF_TSX=1 runs the sources through tsx instead, for debugging.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'main.ts');
let main;
if (process.env.WHARF_TSX === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(entry).href));
} else {
  // esbuild runs as its own short-lived process, so none of it stays in this one.
  const dir = join(root, 'node_modules', '.cache', 'wharf');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `wharf-${process.pid}-${Date.now()}.mjs`);
  execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), [
    entry, `--outfile=${out}`, '--bundle', '--platform=node', '--format=esm', '--target=node20',
    '--packages=external', '--log-level=error',
  ], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    ({ main } = await import(pathToFileURL(out).href));
  } finally {
    rmSync(out, { force: true });
  }
}
await main(process.argv);
