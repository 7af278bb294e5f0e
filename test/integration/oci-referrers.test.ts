// OCI Distribution API v1.1: the referrers API (GET /v2/<name>/referrers/<digest>) and its filter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  MT, absentDigest, descriptor, expectOciError, expectStatus, makeImage, pushBlob, pushManifest, sha256,
} from '../helpers/http.ts';

const REPO = 'referrers/app';
const SBOM = 'application/vnd.example.sbom.v1+json';
const SIG = 'application/vnd.example.signature.v1';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }>;
}

describe('OCI referrers', () => {
  let w: RunningWharf;
  let base: string;
  let subject: { mediaType: string; digest: string; size: number };
  const expected = new Map<string, { mediaType: string; size: number; artifactType: string; annotations?: Record<string, string> }>();

  /** Pushes an artifact (empty config) with `artifactType` referring to the subject; returns its digest. */
  async function pushArtifact(artifactType: string, annotations?: Record<string, string>, subj = subject): Promise<string> {
    const payload = JSON.stringify({ kind: artifactType, at: Math.random() });
    await pushBlob(base, REPO, payload);
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest, artifactType,
      config: { mediaType: MT.ociEmpty, digest: sha256('{}'), size: 2 },
      layers: [descriptor('application/octet-stream', payload)],
      subject: subj,
      ...(annotations ? { annotations } : {}),
    });
    return pushManifest(base, REPO, sha256(body), body, MT.ociManifest).then((d) => {
      if (subj === subject) expected.set(d, { mediaType: MT.ociManifest, size: Buffer.byteLength(body), artifactType, annotations });
      return d;
    });
  }

  async function referrers(digest: string, query = ''): Promise<{ res: Response; index: Index }> {
    const res = await fetch(`${base}/v2/${REPO}/referrers/${digest}${query}`);
    await expectStatus(res, 200);
    assert.equal(res.headers.get('content-type')?.split(';')[0], MT.ociIndex);
    const index = (await res.json()) as Index;
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, MT.ociIndex);
    assert.ok(Array.isArray(index.manifests));
    return { res, index };
  }

  before(async () => {
    w = await startWharf({ repositories: [REPO] });
    base = w.url;
    await pushBlob(base, REPO, '{}');
    const img = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'v1', img.body, MT.ociManifest);
    subject = descriptor(MT.ociManifest, img.body);
    await pushArtifact(SBOM);
    await pushArtifact(SIG, { 'org.example.signer': 'alice' });
    await pushArtifact(SIG, { 'org.example.signer': 'bob' });
    // An image manifest without artifactType: its config media type is reported as artifactType.
    const plain = await makeImage(base, REPO, { subject });
    const d = await pushManifest(base, REPO, 'plain-referrer', plain.body, MT.ociManifest);
    expected.set(d, { mediaType: MT.ociManifest, size: Buffer.byteLength(plain.body), artifactType: MT.ociConfig });
  });
  after(async () => { await w?.stop(); });

  test('lists every manifest whose subject is the digest, as an OCI index with descriptors', async () => {
    const { index, res } = await referrers(subject.digest);
    assert.equal(res.headers.get('oci-filters-applied'), null);
    assert.equal(index.manifests.length, expected.size);
    for (const m of index.manifests) {
      const e = expected.get(m.digest);
      assert.ok(e, `unexpected referrer ${m.digest}`);
      assert.equal(m.mediaType, e.mediaType);
      assert.equal(m.size, e.size);
      assert.equal(m.artifactType, e.artifactType);
      if (e.annotations) assert.deepEqual(m.annotations, e.annotations);
    }
    assert.deepEqual(new Set(index.manifests.map((m) => m.digest)), new Set(expected.keys()));
  });

  test('filters by artifactType and reports OCI-Filters-Applied', async () => {
    const { res, index } = await referrers(subject.digest, `?artifactType=${encodeURIComponent(SIG)}`);
    assert.equal(res.headers.get('oci-filters-applied'), 'artifactType');
    assert.equal(index.manifests.length, 2);
    assert.ok(index.manifests.every((m) => m.artifactType === SIG));
    assert.deepEqual(index.manifests.map((m) => m.annotations?.['org.example.signer']).sort(), ['alice', 'bob']);
  });

  test('a filter that matches nothing gives an empty list', async () => {
    const { index } = await referrers(subject.digest, `?artifactType=${encodeURIComponent('application/vnd.example.none')}`);
    assert.deepEqual(index.manifests, []);
  });

  test('answers 200 with an empty list for a digest nothing refers to, even an absent one', async () => {
    assert.deepEqual((await referrers(absentDigest())).index.manifests, []);
    const lone = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'lone', lone.body, MT.ociManifest);
    assert.deepEqual((await referrers(lone.digest)).index.manifests, []);
  });

  test('lists referrers pushed before their subject exists', async () => {
    const later = await makeImage(base, REPO);
    const subj = descriptor(MT.ociManifest, later.body);
    const d = await pushArtifact(SBOM, undefined, subj);
    assert.deepEqual((await referrers(subj.digest)).index.manifests.map((m) => m.digest), [d]);
    await pushManifest(base, REPO, 'later', later.body, MT.ociManifest);
    assert.deepEqual((await referrers(subj.digest)).index.manifests.map((m) => m.digest), [d]);
  });

  test('drops a referrer once its manifest is deleted', async () => {
    const other = await makeImage(base, REPO);
    const subj = descriptor(MT.ociManifest, other.body);
    await pushManifest(base, REPO, 'other', other.body, MT.ociManifest);
    const d = await pushArtifact(SIG, undefined, subj);
    assert.equal((await referrers(subj.digest)).index.manifests.length, 1);
    const del = await fetch(`${base}/v2/${REPO}/manifests/${d}`, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    assert.deepEqual((await referrers(subj.digest)).index.manifests, []);
  });

  test('lists an index with a subject, reporting the index artifactType', async () => {
    const child = await makeImage(base, REPO);
    await pushManifest(base, REPO, child.digest, child.body, MT.ociManifest);
    const target = await makeImage(base, REPO);
    const subj = descriptor(MT.ociManifest, target.body);
    const index = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociIndex, artifactType: 'application/vnd.example.bundle',
      manifests: [descriptor(MT.ociManifest, child.body)], subject: subj, annotations: { 'org.example.kind': 'bundle' },
    });
    const d = await pushManifest(base, REPO, sha256(index), index, MT.ociIndex);
    const { index: got } = await referrers(subj.digest);
    assert.deepEqual(got.manifests, [{
      mediaType: MT.ociIndex, digest: d, size: Buffer.byteLength(index), artifactType: 'application/vnd.example.bundle',
      annotations: { 'org.example.kind': 'bundle' },
    }]);
  });

  test('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    for (const bad of ['sha256:123', 'latest', 'md5:d41d8cd98f00b204e9800998ecf8427e']) {
      await expectOciError(await fetch(`${base}/v2/${REPO}/referrers/${bad}`), 400, 'DIGEST_INVALID');
    }
  });

  test('answers 404 NAME_UNKNOWN for a repository that does not exist', async () => {
    await expectOciError(await fetch(`${base}/v2/referrers/missing/referrers/${subject.digest}`), 404, 'NAME_UNKNOWN');
  });
});
