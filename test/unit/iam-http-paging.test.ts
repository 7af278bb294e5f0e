// Paging of the IAM lists the service answers whole (keys, inline policy names, attachments, versions,
// tags): MaxItems pages, Marker positions that walk the list once, IsTruncated always, refusals; and
// lists made one page at a time (the policy simulator) paging the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WharfError } from '../../src/domain/errors.ts';
import { pageOf, pageWindow, pagingMembers, windowPage } from '../../src/http/aws/iam/common.ts';
import { QueryParams } from '../../src/http/aws/query-params.ts';

const items = ['a', 'b', 'c', 'd', 'e'];
const params = (q: string) => QueryParams.parse(q);

test('pages of every size walk the list once; the last page is not truncated and has no Marker', () => {
  for (let size = 1; size <= 6; size++) {
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = pageOf(items, params(`MaxItems=${size}${marker ? `&Marker=${marker}` : ''}`));
      assert.ok(page.items.length <= size);
      seen.push(...page.items);
      if (!page.isTruncated) {
        assert.deepEqual(pagingMembers(page), { IsTruncated: false });
        break;
      }
      assert.deepEqual(pagingMembers(page), { IsTruncated: true, Marker: page.marker });
      marker = page.marker;
    }
    assert.deepEqual(seen, items, `MaxItems=${size}`);
  }
  assert.deepEqual(pageOf(items, params('')).items, items, 'default: up to 100');
});

test('a Marker Wharf did not give is InvalidInput; MaxItems outside 1-1000 is ValidationError', () => {
  const code = (q: string) => {
    try {
      pageOf(items, params(q));
    } catch (e) {
      assert.ok(e instanceof WharfError);
      return [e.spec.query, e.message];
    }
    return undefined;
  };
  assert.deepEqual(code('Marker=abc'), ['InvalidInput', 'Invalid Marker: abc']);
  assert.deepEqual(code('Marker=0'), ['InvalidInput', 'Invalid Marker: 0']);
  assert.deepEqual(code('MaxItems=0'), ['ValidationError', "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"]);
  assert.equal(code('MaxItems=1001')?.[0], 'ValidationError');
  assert.deepEqual(pageOf(items, params('Marker=9')).items, [], 'past the end: an empty last page');
});

test('a list made per page (the policy simulator\'s results) pages as pageOf would page it whole', () => {
  for (const q of ['', 'MaxItems=2', 'MaxItems=2&Marker=2', 'MaxItems=2&Marker=4', 'MaxItems=3&Marker=9']) {
    const w = pageWindow(params(q));
    assert.deepEqual(windowPage(items.slice(w.start, w.start + w.maxItems), items.length, w), pageOf(items, params(q)), q);
  }
  assert.throws(() => pageWindow(params('Marker=abc')), /Invalid Marker: abc/);
});
