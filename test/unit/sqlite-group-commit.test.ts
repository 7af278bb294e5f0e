// GroupCommit (src/adapters/metadata-sqlite/durable.ts): hot-path commits skip SQLite's own fsync and
// wait for a shared fsync of the WAL instead, which must start after their frames were written.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../src/adapters/metadata-sqlite/durable.ts';

function openDb(synchronous: 'FULL' | 'NORMAL') {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-gc-'));
  const db = new Database(join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
  return { db, dir, done: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** An fsync stand-in that records when each call started and finishes when released. */
function pacedFsync() {
  const calls: { path: string; startedAt: number; release: () => void }[] = [];
  let clock = 0;
  const fsync = (path: string) => new Promise<void>((resolve) => calls.push({ path, startedAt: ++clock, release: resolve }));
  return { calls, fsync, tick: () => ++clock };
}

test('a commit returns its result after a WAL fsync that started after it, and restores FULL', async () => {
  const { db, done } = openDb('FULL');
  try {
    const f = pacedFsync();
    const g = new GroupCommit(db, f.fsync);
    let settled = false;
    const p = g.commit(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('a').lastInsertRowid).then((r) => { settled = true; return r; });
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again right after the transaction');
    await new Promise((r) => setImmediate(r));
    assert.equal(f.calls.length, 1);
    assert.match(f.calls[0].path, /x\.db-wal$/);
    assert.equal(settled, false, 'not resolved before the fsync finished');
    f.calls[0].release();
    assert.equal(await p, 1);
  } finally {
    done();
  }
});

test('commits arriving during an fsync share the next one, which starts after the running one ends', async () => {
  const { db, done } = openDb('FULL');
  try {
    const f = pacedFsync();
    const g = new GroupCommit(db, f.fsync);
    const first = g.commit(() => 'first');
    await new Promise((r) => setImmediate(r));
    const arrivedAt = f.tick();
    let laterDone = 0;
    const later = Array.from({ length: 10 }, (_, i) => g.commit(() => i).then(() => { laterDone++; }));
    await new Promise((r) => setImmediate(r));
    assert.equal(f.calls.length, 1, 'no second fsync while the first runs');
    f.calls[0].release();
    assert.equal(await first, 'first');
    await new Promise((r) => setImmediate(r));
    assert.equal(laterDone, 0, 'the later commits wait for an fsync of their own frames');
    assert.equal(f.calls.length, 2, 'one shared fsync for the ten');
    assert.ok(f.calls[1].startedAt > arrivedAt, 'it started after they committed');
    f.calls[1].release();
    await Promise.all(later);
    assert.equal(laterDone, 10);
    assert.equal(f.calls.length, 2);
  } finally {
    done();
  }
});

test('a failed fsync fails the commits waiting for it, and the next one tries again', async () => {
  const { db, done } = openDb('FULL');
  try {
    let n = 0;
    const g = new GroupCommit(db, async () => { if (++n === 1) throw new Error('EIO'); });
    await assert.rejects(g.commit(() => 1), /EIO/);
    assert.equal(await g.commit(() => 2), 2);
  } finally {
    done();
  }
});

test('with synchronous = NORMAL configured, or in memory, commits do not fsync', async () => {
  const { db, done } = openDb('NORMAL');
  try {
    const f = pacedFsync();
    assert.equal(await new GroupCommit(db, f.fsync).commit(() => 'n'), 'n');
    const mem = new Database(':memory:');
    assert.equal(await new GroupCommit(mem, f.fsync).commit(() => 'm'), 'm');
    mem.close();
    assert.equal(f.calls.length, 0);
  } finally {
    done();
  }
});

test('the real fsync works on an on-disk WAL', async () => {
  const { db, done } = openDb('FULL');
  try {
    const g = new GroupCommit(db);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => g.commit(() => db.prepare('INSERT INTO t (v) VALUES (?)').run(String(i)).lastInsertRowid)));
    assert.equal(new Set(ids).size, 20);
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 20);
  } finally {
    done();
  }
});
