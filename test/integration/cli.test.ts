// The wharf command: admin commands on the embedded store, config errors, graceful shutdown.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, WHARF_BIN, startWharf, wharfCli, authedFetch as fetch } from '../helpers/server.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'wharf-cli-'));

/** Polls `cond` until it holds, failing after a deadline generous enough for a loaded machine. */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await cond());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('repositories create, list and delete work on the embedded store', async () => {
  const dir = tmp();
  const c = await wharfCli(['repositories', 'create', 'team/b-app', 'team/a-app', '--data-dir', dir]);
  assert.equal(c.code, 0, c.stderr);
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
