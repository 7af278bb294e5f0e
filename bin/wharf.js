#!/usr/bin/env -S node --initial-heap-size=64
// Entry point for the `wharf` command. Bundles the TypeScript sources with esbuild at start (a few
// hundredths of a second; always current, nothing to build by hand) and runs the bundle, which keeps
// the process free of a TypeScript loader (about 25 MB less memory). Stack traces then point into the
// bundle; WHARF_TSX=1 runs the sources through tsx instead, for debugging.
//
// --initial-heap-size=64 (in the line above; V8 reads it only at start): streaming blobs allocates
// a 64 KiB buffer per socket read, and V8 counts that memory against the old generation until a
// young collection frees it. With the default limit (about 16 MB above a 12 MB live heap), that
// started a full collection every ~16 MB streamed: about 55 per GiB pushed (--trace-gc), which
// made a push's CPU almost double and a pull's several times higher. Starting with a 64 MB limit
// leaves one or two per run (docs/performance.md). Run the file itself (`bin/wharf.js`,
// `npm start`, `npx wharf`), not `node bin/wharf.js`, to keep the flag.
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
