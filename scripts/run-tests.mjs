#!/usr/bin/env node
// Runs the whole test suite with node's test runner (through tsx): every *.test.ts under test/.
// Extra arguments narrow the run to files whose path contains one of them: `npm test -- e2e`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(new URL('.', import.meta.url).pathname, '..');
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(join(root, 'test'));
const filters = process.argv.slice(2);
const chosen = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...chosen], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
