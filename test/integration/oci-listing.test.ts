// OCI Distribution API: tags/list and _catalog, with n/last pagination and Link headers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import { MT, expectOciError, expectStatus, makeImage, nextLink, pushManifest } from '../helpers/http.ts';

const REPO = 'listing/app';
const EMPTY = 'listing/empty';
const REPOS = [REPO, EMPTY, 'zeta', 'alpha/one', 'alpha/two', 'listing/b-c'];
// Deliberately pushed out of order; the expected order is plain code-unit (byte) order.
const TAGS = ['v1.10', 'latest', 'v1.2', '1.0', 'Beta', 'alpha', '_private', 'v1.2-rc.1', 'zz'];
const SORTED = [...TAGS].sort();

describe('OCI listing', () => {
  let w: RunningWharf;
  let base: string;

  before(async () => {
    w = await startWharf({ repositories: REPOS });
    base = w.url;
    const a = await makeImage(base, REPO);
    const b = await makeImage(base, REPO);
    for (const [i, tag] of TAGS.entries()) await pushManifest(base, REPO, tag, i % 2 ? a.body : b.body, MT.ociManifest);
  });
  after(async () => { await w?.stop(); });

  async function getJson<T>(path: string): Promise<{ res: Response; body: T }> {
    const res = await fetch(new URL(path, base));
    await expectStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return { res, body: (await res.json()) as T };
  }

  test('tags/list returns the name and every tag sorted lexically', async () => {
    const { res, body } = await getJson<{ name: string; tags: string[] }>(`/v2/${REPO}/tags/list`);
    assert.deepEqual(body, { name: REPO, tags: SORTED });
    assert.equal(res.headers.get('link'), null);
  });

  test('tags/list?n=2 returns the first two and a Link to the next page', async () => {
    const { res, body } = await getJson<{ name: string; tags: string[] }>(`/v2/${REPO}/tags/list?n=2`);
    assert.deepEqual(body.tags, SORTED.slice(0, 2));
    assert.equal(res.headers.get('link'), `</v2/${REPO}/tags/list?n=2&last=${encodeURIComponent(SORTED[1])}>; rel="next"`);
  });

  test('following tags/list Link headers yields every tag exactly once, in order', async () => {
    for (const n of [1, 2, 4, SORTED.length - 1]) {
      const seen: string[] = [];
      let next: string | undefined = `/v2/${REPO}/tags/list?n=${n}`;
      for (let pages = 0; next; pages++) {
        assert.ok(pages <= SORTED.length, 'pagination does not terminate');
        const page: { res: Response; body: { name: string; tags: string[] } } = await getJson(next);
        const { res, body } = page;
        assert.equal(body.name, REPO);
        assert.ok(body.tags.length <= n, `page larger than n=${n}`);
        seen.push(...body.tags);
        next = nextLink(res);
      }
      assert.deepEqual(seen, SORTED, `pages of ${n}`);
    }
  });

  test('tags/list with n larger than the count returns everything and no Link', async () => {
    const { res, body } = await getJson<{ tags: string[] }>(`/v2/${REPO}/tags/list?n=100`);
    assert.deepEqual(body.tags, SORTED);
    assert.equal(res.headers.get('link'), null);
  });

  test('tags/list?n=0 returns an empty list', async () => {
    const { body } = await getJson<{ name: string; tags: string[] }>(`/v2/${REPO}/tags/list?n=0`);
    assert.equal(body.name, REPO);
    assert.deepEqual(body.tags, []);
  });

  test('tags/list?last=x starts after x, whether or not x is a tag', async () => {
    const { body } = await getJson<{ tags: string[] }>(`/v2/${REPO}/tags/list?last=latest`);
    assert.deepEqual(body.tags, SORTED.slice(SORTED.indexOf('latest') + 1));
    const { body: b2 } = await getJson<{ tags: string[] }>(`/v2/${REPO}/tags/list?last=m`);
    assert.deepEqual(b2.tags, SORTED.filter((t) => t > 'm'));
    const { body: b3 } = await getJson<{ tags: string[] }>(`/v2/${REPO}/tags/list?n=1&last=v1.10`);
    assert.deepEqual(b3.tags, ['v1.2']);
  });

  test('tags/list of a repository without tags is an empty list', async () => {
    const { body } = await getJson<{ name: string; tags: string[] }>(`/v2/${EMPTY}/tags/list`);
    assert.deepEqual(body, { name: EMPTY, tags: [] });
  });

  test('tags/list rejects a bad n with 400', async () => {
    for (const n of ['-1', 'abc', '1.5']) {
      const res = await fetch(`${base}/v2/${REPO}/tags/list?n=${n}`);
      const text = await res.text();
      assert.equal(res.status, 400, `n=${n}: ${text}`);
      assert.ok(Array.isArray(JSON.parse(text).errors), `n=${n}: error envelope expected, got ${text}`);
    }
  });

  test('tags/list of an unknown repository is 404 NAME_UNKNOWN', async () => {
    const errs = await expectOciError(await fetch(`${base}/v2/listing/missing/tags/list`), 404, 'NAME_UNKNOWN');
    assert.match(errs.find((e) => e.code === 'NAME_UNKNOWN')!.message, /does not exist in the registry/);
  });

  test('deleting a tag removes it from tags/list', async () => {
    const del = await fetch(`${base}/v2/${REPO}/manifests/zz`, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    const { body } = await getJson<{ tags: string[] }>(`/v2/${REPO}/tags/list`);
    assert.deepEqual(body.tags, SORTED.filter((t) => t !== 'zz'));
    await pushManifest(base, REPO, 'zz', (await makeImage(base, REPO)).body, MT.ociManifest);
  });

  test('_catalog lists every repository sorted', async () => {
    const { res, body } = await getJson<{ repositories: string[] }>('/v2/_catalog');
    assert.deepEqual(body, { repositories: [...REPOS].sort() });
    assert.equal(res.headers.get('link'), null);
  });

  test('_catalog?n=2 returns two repositories and a Link to the next page', async () => {
    const sorted = [...REPOS].sort();
    const { res, body } = await getJson<{ repositories: string[] }>('/v2/_catalog?n=2');
    assert.deepEqual(body.repositories, sorted.slice(0, 2));
    const link = res.headers.get('link') ?? '';
    const m = /^<([^>]+)>; rel="next"$/.exec(link);
    assert.ok(m, `Link header: ${link}`);
    const u = new URL(m[1], base);
    assert.equal(u.pathname, '/v2/_catalog');
    assert.equal(u.searchParams.get('n'), '2');
    assert.equal(u.searchParams.get('last'), sorted[1]);
  });

  test('following _catalog Link headers yields every repository exactly once', async () => {
    const sorted = [...REPOS].sort();
    for (const n of [1, 2, 5]) {
      const seen: string[] = [];
      let next: string | undefined = `/v2/_catalog?n=${n}`;
      for (let pages = 0; next; pages++) {
        assert.ok(pages <= sorted.length, 'pagination does not terminate');
        const page: { res: Response; body: { repositories: string[] } } = await getJson(next);
        const { res, body } = page;
        assert.ok(body.repositories.length <= n);
        seen.push(...body.repositories);
        next = nextLink(res);
      }
      assert.deepEqual(seen, sorted, `pages of ${n}`);
    }
  });

  test('_catalog honours last and n=0, and rejects a bad n with 400', async () => {
    const sorted = [...REPOS].sort();
    const { body } = await getJson<{ repositories: string[] }>(`/v2/_catalog?last=${encodeURIComponent('listing/app')}`);
    assert.deepEqual(body.repositories, sorted.filter((r) => r > 'listing/app'));
    const { body: none } = await getJson<{ repositories: string[] }>('/v2/_catalog?n=0');
    assert.deepEqual(none.repositories, []);
    for (const n of ['-1', 'abc']) {
      const res = await fetch(`${base}/v2/_catalog?n=${n}`);
      const text = await res.text();
      assert.equal(res.status, 400, `n=${n}: ${text}`);
    }
  });
});
