// The wharf command: admin commands on the embedded store, config and data-dir errors (one line, no
// stack trace, documented exit status), --version, graceful shutdown.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ROOT, WHARF_BIN, startWharf, wharfCli, authedFetch as fetch } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'wharf-cli-'));

/** Polls `cond` until it holds, failing after a deadline generous enough for a loaded machine. */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await cond());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The message of a failed command: exactly one `wharf: ...` line, no stack frames. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m);
  assert.match(lines[0], /^wharf: /);
  return lines[0];
}

test('repositories create, list and delete work on the embedded store', async () => {
  const dir = tmp();
  const c = await wharfCli(['repositories', 'create', 'team/b-app', 'team/a-app', '--data-dir', dir, '--create']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stderr, `wharf: using data dir ${dir}\n`);
  const l = await wharfCli(['repositories', 'list', '--data-dir', dir]);
  assert.deepEqual(l.stdout.trim().split('\n'), ['team/a-app', 'team/b-app']);
  const again = await wharfCli(['repositories', 'create', 'team/a-app', '--data-dir', dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /The repository with name 'team\/a-app' already exists in the registry with id '000000000000'/);
  const bad = await wharfCli(['repositories', 'create', 'Bad/../Name', '--data-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid repository name/);
  assert.equal((await wharfCli(['repositories', 'delete', 'team/a-app', '--data-dir', dir])).code, 0);
  assert.equal((await wharfCli(['repositories', 'list', '--data-dir', dir])).stdout.trim(), 'team/b-app');
  const gone = await wharfCli(['repositories', 'delete', 'team/a-app', '--data-dir', dir]);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /does not exist in the registry/);
});

test('admin commands refuse a data dir without a store, naming it; only repositories create offers --create', async () => {
  const parent = tmp();
  const missing = join(parent, 'typo');
  for (const args of [['repositories', 'list'], ['repositories', 'delete', 'a/b'], ['lifecycle', 'run'], ['gc'], ['gc', '--dry-run'], ['credentials', 'rotate-root']]) {
    const r = await wharfCli([...args, '--data-dir', missing]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const line = oneLine(r.stderr);
    assert.ok(line.includes(`data dir ${missing} does not exist`), line);
    assert.doesNotMatch(line, /--create/, `${args.join(' ')} does not offer --create`);
    assert.equal(r.stdout, '');
  }
  assert.equal(existsSync(missing), false, 'nothing was created');
  const empty = join(parent, 'empty');
  mkdirSync(empty);
  const refused = await wharfCli(['repositories', 'create', 'a/b', '--data-dir', empty]);
  assert.equal(refused.code, 2);
  assert.equal(oneLine(refused.stderr), `wharf: data dir ${empty} holds no Wharf store (no wharf.db): check --data-dir or WHARF_DATA_DIR (wharf serve makes the store on its first start); pass --create to make a new store there`);
  assert.deepEqual(readdirSync(empty), []);
  const made = await wharfCli(['repositories', 'create', 'a/b', '--data-dir', empty, '--create']);
  assert.equal(made.code, 0, made.stderr);
  const listed = await wharfCli(['repositories', 'list', '--data-dir', empty]);
  assert.equal(listed.stdout, 'a/b\n');
  assert.equal(listed.stderr, `wharf: using data dir ${empty}\n`);
});

test('admin commands refuse a store whose master key is elsewhere instead of making a new key', async () => {
  const dir = tmp();
  const keyDir = tmp();
  const env = { WHARF_MASTER_KEY_FILE: join(keyDir, 'master.key') };
  const made = await wharfCli(['repositories', 'create', 'a/b', '--data-dir', dir, '--create'], env);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(existsSync(join(dir, 'master.key')), false);
  for (const args of [['credentials', 'rotate-root'], ['repositories', 'list'], ['repositories', 'create', 'c/d', '--create']]) {
    const r = await wharfCli([...args, '--data-dir', dir]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(oneLine(r.stderr), `wharf: the master key ${join(dir, 'master.key')} of the store in ${dir} is missing: give the server's --config or WHARF_MASTER_KEY_FILE`);
  }
  assert.equal(existsSync(join(dir, 'master.key')), false, 'no new master key was made');
  assert.equal((await wharfCli(['repositories', 'list', '--data-dir', dir], env)).stdout, 'a/b\n');
});

test('wharf --version prints the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const r = await wharfCli([flag]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${version}\n`, '']);
  }
});

test('a data dir that is a file, or cannot be made, stops serve and the admin commands with one line', async () => {
  const parent = tmp();
  const file = join(parent, 'a-file');
  writeFileSync(file, 'not a directory');
  for (const args of [['serve', '--port', '0'], ['repositories', 'list'], ['repositories', 'create', 'a/b', '--create']]) {
    const r = await wharfCli([...args, '--data-dir', file]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(oneLine(r.stderr), `wharf: data dir ${file} is not a directory (--data-dir, WHARF_DATA_DIR)`);
  }
  const below = join(file, 'sub');
  const r = await wharfCli(['serve', '--port', '0', '--data-dir', below]);
  assert.equal(r.code, 2);
  assert.equal(oneLine(r.stderr), `wharf: cannot create data dir ${below}: ENOTDIR (--data-dir, WHARF_DATA_DIR)`);
});

test('a read-only data dir stops serve and the admin commands with one line', async (t) => {
  if (!requireTools(t, 'unshare', 'mount')) return;
  // The tests run as root, for whom permission bits do not stop writes: a read-only bind mount in a
  // private mount namespace (visible to that one process only) does.
  const dir = tmp();
  const made = await wharfCli(['repositories', 'create', 'a/b', '--data-dir', dir, '--create']);
  assert.equal(made.code, 0, made.stderr);
  for (const args of [['serve', '--port', '0'], ['gc'], ['repositories', 'create', 'c/d']]) {
    const r = readOnly(dir, [WHARF_BIN, ...args, '--data-dir', dir]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(oneLine(r.stderr.replace(/^wharf: using data dir .*\n/, '')), `wharf: data dir ${dir} is not writable: EROFS (--data-dir, WHARF_DATA_DIR)`);
  }
});

/** Runs argv in a private mount namespace where `dir` is mounted read-only over itself. */
function readOnly(dir: string, argv: string[]): { code: number; stderr: string } {
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', dir, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, stderr: err.stderr };
  }
}

test('half of WHARF_ROOT_* stops serve and the admin commands before they touch the data dir', async () => {
  const parent = tmp();
  const dir = join(parent, 'data');
  for (const [set, unset] of [['WHARF_ROOT_ACCESS_KEY_ID', 'WHARF_ROOT_SECRET_ACCESS_KEY'], ['WHARF_ROOT_SECRET_ACCESS_KEY', 'WHARF_ROOT_ACCESS_KEY_ID']]) {
    for (const args of [['serve', '--port', '0'], ['repositories', 'create', 'a/b', '--create'], ['credentials', 'rotate-root']]) {
      const r = await wharfCli([...args, '--data-dir', dir], { [set]: 'AKIAHALFSETKEY', [unset]: '' });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(oneLine(r.stderr), `wharf: configuration error: ${set} is set but ${unset} is not: set both, or neither`);
    }
  }
  assert.equal(existsSync(dir), false);
});

test('an unexpected error (a corrupt wharf.db) is one line and exit status 1, not a stack trace', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'wharf.db'), Buffer.alloc(8192, 0x5a));
  writeFileSync(join(dir, 'master.key'), `${Buffer.alloc(32, 1).toString('base64')}\n`, { mode: 0o600 });
  for (const args of [['serve', '--port', '0'], ['repositories', 'list']]) {
    const r = await wharfCli([...args, '--data-dir', dir]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(oneLine(r.stderr.replace(/^wharf: using data dir .*\n/, '')), 'wharf: unexpected error: file is not a database (SQLITE_NOTADB)');
  }
});

test('a wharf.db made by a newer Wharf stops serve and the admin commands with one line, exit 2', async () => {
  const dir = tmp();
  assert.equal((await wharfCli(['repositories', 'create', 'a/b', '--data-dir', dir, '--create'])).code, 0);
  const db = new Database(join(dir, 'wharf.db'));
  db.pragma('user_version = 9999');
  db.close();
  for (const args of [['serve', '--port', '0'], ['repositories', 'list']]) {
    const r = await wharfCli([...args, '--data-dir', dir]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneLine(r.stderr.replace(/^wharf: using data dir .*\n/, '')), /^wharf: the database was made by a newer Wharf \(schema version 9999; .*downgrades are not supported/);
  }
});

test('usage errors exit 2 with commander\'s message, help exits 0', async () => {
  const r = await wharfCli(['repositories', 'create']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing required argument 'names'/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  const h = await wharfCli(['credentials', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /rotate-root/);
});

test('a bad configuration value stops serve with a message naming the key', async () => {
  const r = await wharfCli(['serve', '--data-dir', tmp(), '--port', 'http'], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'port' \(WHARF_PORT\)/);
  const e = await wharfCli(['serve', '--data-dir', tmp()], { WHARF_LOG_LEVL: 'x' });
  assert.equal(e.code, 2);
  assert.match(e.stderr, /WHARF_LOG_LEVL/);
});

test('SIGTERM lets an in-flight upload finish, then exits cleanly; the session survives', async () => {
  const w = await startWharf({ repositories: ['shut/down'] });
  try {
    const post = await fetch(`${w.url}/v2/shut/down/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 202);
    const location = post.headers.get('location')!;
    // One part fills the store's write batch (1 MiB), so it reaches the session's file at once.
    const part = Buffer.alloc(1024 * 1024, 7);
    let req!: ReturnType<typeof request>;
    const done = new Promise<{ status: number; range: string }>((resolve, reject) => {
      req = request(`${w.url}${location}`, { method: 'PATCH', headers: { authorization: w.authorization, 'content-type': 'application/octet-stream', 'content-length': String(part.length * 4) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, range: String(res.headers.range) }));
      });
      req.on('error', reject);
    });
    req.write(part);
    // Conditions, not pauses (a busy machine is slow): the server is inside the upload ...
    const file = join(w.dataDir, 'uploads', location.slice(location.lastIndexOf('/') + 1));
    await until(async () => existsSync(file) && statSync(file).size > 0, 'the first part reached the session file');
    w.proc.kill('SIGTERM');
    // ... and shutting down (it refuses new requests) while the upload is still in flight.
    await until(async () => {
      try {
        const r = await fetch(`${w.url}/v2/`);
        await r.arrayBuffer();
        return r.status === 503;
      } catch {
        return true;
      }
    }, 'the server stopped taking new requests');
    req.write(part);
    req.write(part);
    req.end(part);
    const res = await done;
    assert.equal(res.status, 202);
    assert.equal(res.range, `0-${part.length * 4 - 1}`);
    const code = await new Promise((r) => w.proc.once('exit', (c) => r(c)));
    assert.equal(code, 0);
    const again = await startWharf({ dataDir: w.dataDir });
    assert.notEqual(again.authorization, '');
    try {
      const st = await fetch(`${again.url}${location}`);
      assert.equal(st.status, 204);
      assert.equal(st.headers.get('range'), `0-${part.length * 4 - 1}`);
    } finally {
      await again.stop();
    }
  } finally {
    await w.stop();
  }
});

test('wharf serve runs with the V8 heap flag of bin/wharf.js, and npm start runs that file directly', async () => {
  // The flag keeps full garbage collections rare while blobs stream (bin/wharf.js says why);
  // `node bin/wharf.js` would drop it, so npm start must execute the file through its first line.
  const firstLine = readFileSync(WHARF_BIN, 'utf8').split('\n')[0];
  assert.match(firstLine, /^#!\/usr\/bin\/env -S node .*--initial-heap-size=\d+/);
  const flag = /--initial-heap-size=\d+/.exec(firstLine)![0];
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.scripts.start, 'bin/wharf.js serve');
  const w = await startWharf();
  try {
    const argv = readFileSync(`/proc/${w.proc.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes(flag), `server argv: ${argv.join(' ')}`);
    assert.ok(argv.includes(WHARF_BIN), `server argv: ${argv.join(' ')}`);
  } finally {
    await w.stop();
  }
});
