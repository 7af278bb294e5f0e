// DELETE on /v2/ follows BatchDeleteImage's rules (ECR): the last tag takes the image with it, an
// index protects its children, and a digest delete of an index child is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MT, expectOciError, makeImage, pushManifest } from '../helpers/http.ts';
import { authedFetch as fetch, startWharf, type RunningWharf } from '../helpers/server.ts';

let w: RunningWharf;
const repo = 'del/rules';
before(async () => { w = await startWharf({ repositories: [repo] }); });
after(() => w.stop());

const manifest = (ref: string, method = 'GET') => fetch(`${w.url}/v2/${repo}/manifests/${ref}`, { method, headers: { accept: `${MT.ociManifest}, ${MT.ociIndex}` } });

test('deleting the last tag deletes the image; deleting one of two tags keeps it', async () => {
  const img = await makeImage(w.url, repo, { annotations: { n: 'one' } });
  await pushManifest(w.url, repo, 'a', img.body, MT.ociManifest);
  await pushManifest(w.url, repo, 'b', img.body, MT.ociManifest);
  assert.equal((await manifest('a', 'DELETE')).status, 202);
  assert.equal((await manifest(img.digest)).status, 200, 'tag b still holds the image');
  assert.equal((await manifest('b', 'DELETE')).status, 202);
  await expectOciError(await manifest(img.digest), 404, 'MANIFEST_UNKNOWN');
});

test('an index protects its child: untagging keeps it, deleting it by digest is refused until the index goes', async () => {
  const child = await makeImage(w.url, repo, { annotations: { n: 'child' } });
  await pushManifest(w.url, repo, 'child', child.body, MT.ociManifest);
  const index = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociManifest, digest: child.digest, size: Buffer.byteLength(child.body) }] });
  const indexDigest = await pushManifest(w.url, repo, 'multi', index, MT.ociIndex);
  assert.equal((await manifest('child', 'DELETE')).status, 202);
  assert.equal((await manifest(child.digest)).status, 200, 'the index still refers to the child');
  const refused = await expectOciError(await manifest(child.digest, 'DELETE'), 409, 'DENIED');
  assert.match(refused[0].message, /referenced by an index/);
  assert.equal((await manifest(child.digest)).status, 200, 'nothing was deleted');
  assert.equal((await manifest(indexDigest, 'DELETE')).status, 202);
  assert.equal((await manifest(child.digest, 'DELETE')).status, 202);
  await expectOciError(await manifest(child.digest), 404, 'MANIFEST_UNKNOWN');
});
