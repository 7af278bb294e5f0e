// loggingStorageHealth (src/services/storage-health.ts): one error line when a store fills up, debug
// lines while it stays full, one info line when it writes again; each store on its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggingStorageHealth } from '../../src/services/storage-health.ts';

test('a full store is logged once at error, then at debug, and its recovery once at info', () => {
  const lines: string[] = [];
  const at = (level: string) => (fields: object, msg: string) => lines.push(`${level} ${JSON.stringify(fields)} ${msg}`);
  const h = loggingStorageHealth({ error: at('error'), info: at('info'), debug: at('debug') });
  h.writable('blob store');
  assert.equal(lines.length, 0, 'a write while nothing was full logs nothing');
  h.full('blob store', 'ENOSPC');
  h.full('blob store', 'ENOSPC');
  h.full('metadata store', 'SQLITE_FULL');
  assert.equal(h.isFull('blob store'), true);
  h.writable('metadata store');
  h.writable('metadata store');
  assert.equal(h.isFull('blob store'), true, 'the metadata store recovering says nothing of the blob store');
  h.writable('blob store');
  assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), [
    'error {"store":"blob', 'debug {"store":"blob', 'error {"store":"metadata', 'info {"store":"metadata', 'info {"store":"blob',
  ]);
  assert.match(lines[0], /storage full: the blob store cannot write \(ENOSPC\)/);
  assert.match(lines[4], /storage space is back: the blob store writes again/);
  assert.equal(h.isFull('blob store'), false);
});
