// Background jobs on a full disk: the store logs the full disk once, so a lifecycle run that fails on
// StorageFull is a debug line without a stack, while any other failure stays an error with its stack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { errors } from '../../src/domain/errors.ts';
import { isStorageFull } from '../../src/domain/errors.ts';
import { lifecycleLogger } from '../../src/jobs/scheduler.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines };
}

test('a lifecycle run failing on StorageFull logs at debug without a stack; another failure logs an error', () => {
  const { log, lines } = capture();
  const onEvent = lifecycleLogger(log);
  onEvent({ kind: 'failed', repository: 'a/b', error: errors.storageFull({ store: 'metadata store' }) });
  onEvent({ kind: 'failed', repository: 'c/d', error: new Error('boom') });
  assert.equal(lines.length, 2);
  assert.equal(lines[0].level, 20);
  assert.equal(lines[0].msg, 'lifecycle policy run skipped: storage full');
  assert.equal(lines[0].err, undefined, 'no error object, so no stack');
  assert.equal(lines[1].level, 50);
  assert.match(String((lines[1].err as { stack?: string }).stack), /boom/);
});

test('isStorageFull tells StorageFull from other registered and unregistered errors', () => {
  assert.equal(isStorageFull(errors.storageFull({ store: 'blob store' })), true);
  assert.equal(isStorageFull(errors.internal()), false);
  assert.equal(isStorageFull(new Error('ENOSPC')), false);
});
