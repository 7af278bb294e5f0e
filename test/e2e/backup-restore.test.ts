// The backup procedure of docs/operations.md, followed step by step against a running Wharf: an online
// SQLite backup, then the blob tree and the master key; a Wharf started on the copy serves exactly what
// the backup saw, byte-identical, and nothing pushed after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from '../helpers/tools.ts';
import { buildImage, writeLayout, readLayout, reachable } from '../helpers/oci-layout.ts';
import { startWharf } from '../helpers/server.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { run, skopeo, tempDir } from './support.ts';

test('an online backup (sqlite3 .backup, then blobs/ and master.key) restores to a Wharf that serves what it saw', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'skopeo', 'sqlite3')) return;
  const repo = 'backup/app';
  const work = tempDir(t, 'backup');
  const live = await startWharf({ repositories: [repo] });
  t.after(() => live.stop());
  const creds = `AWS:${live.password}`;

  const before = buildImage({ layers: ['gzip', 'none'], layerBytes: 64 * 1024 });
  const after = buildImage({ layers: ['gzip'], layerBytes: 32 * 1024 });
  writeLayout(join(work, 'src'), { before, after });
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', `oci:${join(work, 'src')}:before`, `docker://${live.hostPort}/${repo}:before`]);

  // The procedure: database first (online, consistent), then the immutable blobs, then the key.
  const backup = join(work, 'backup');
  await run('mkdir', ['-p', backup]);
  await run('sqlite3', [join(live.dataDir, 'wharf.db'), `.backup '${join(backup, 'wharf.db')}'`]);
  cpSync(join(live.dataDir, 'blobs'), join(backup, 'blobs'), { recursive: true });
  copyFileSync(join(live.dataDir, 'master.key'), join(backup, 'master.key'));
  assert.ok(existsSync(join(backup, 'wharf.db')));

  // Pushed after the backup: must not be in the restored registry.
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', `oci:${join(work, 'src')}:after`, `docker://${live.hostPort}/${repo}:after`]);
  await live.stop({ keepData: true });

  const restored = await startWharf({ dataDir: backup });
  t.after(() => restored.stop());
  const out = join(work, 'out');
  await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `AWS:${restored.password}`, '--preserve-digests', `docker://${restored.hostPort}/${repo}:before`, `oci:${out}:before`]);
  const got = readLayout(out);
  const root = got.resolve('before');
  assert.equal(root.digest, before.descriptor.digest, 'the restored registry serves the same manifest');
  const want = readLayout(join(work, 'src'));
  assert.deepEqual([...reachable(got, root)].sort(), [...reachable(want, want.resolve('before'))].sort(), 'every blob comes back digest-identical');

  const client = new RegistryClient(restored.url);
  const missing = await client.getManifest(repo, 'after');
  assert.equal(missing.status, 404, `a tag pushed after the backup is not restored: ${missing.describe()}`);
});
