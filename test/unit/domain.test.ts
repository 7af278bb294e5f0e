// Pure domain rules: digests, names, tags and manifest parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDigest, parseDigest } from '../../src/domain/digest.ts';
import { WharfError } from '../../src/domain/errors.ts';
import { parseManifest, sha256Digest } from '../../src/domain/manifest.ts';
import { MT } from '../../src/domain/media-types.ts';
import { isRepositoryName, isTag } from '../../src/domain/names.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const code = (fn: () => unknown) => {
  try { fn(); } catch (e) { return (e as WharfError).spec.oci; }
  return 'no error';
};

test('digests: sha256 and sha512 with lowercase hex of the right length', () => {
  assert.ok(isDigest(d('a')));
  assert.ok(isDigest(`sha512:${'b'.repeat(128)}`));
  assert.ok(!isDigest(`sha256:${'A'.repeat(64)}`));
  assert.ok(!isDigest('sha256:abc'));
  assert.ok(!isDigest('sha256:../../etc/passwd'));
  assert.match(String(code(() => parseDigest(`md5:${'a'.repeat(32)}`))), /DIGEST_INVALID/);
});

test('names follow the distribution grammar with ECR length limits', () => {
  for (const ok of ['ab', 'a/b', 'my-app/front_end', 'a__b', 'a--b', 'x.y/z']) assert.ok(isRepositoryName(ok), ok);
  for (const bad of ['a', 'A/b', 'a//b', 'a/../b', '..', 'a/', '/a', '%2e%2e', 'a_', 'a' + 'b'.repeat(256)]) assert.ok(!isRepositoryName(bad), bad);
});

test('tags follow the distribution grammar', () => {
  assert.ok(isTag('v1.0.0'));
  assert.ok(isTag('_x'));
  assert.ok(!isTag('-bad'));
  assert.ok(!isTag('a'.repeat(129)));
});

const image = (extra: object = {}) => Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: MT.ociManifest,
  config: { mediaType: MT.ociConfig, digest: d('c'), size: 2 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('1'), size: 10 },
    { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d('2'), size: 10, urls: ['https://x'] },
  ],
  ...extra,
}));

test('an OCI image manifest references its config and distributable layers only', () => {
  const bytes = image();
  const m = parseManifest(bytes, MT.ociManifest);
  assert.equal(m.digest, sha256Digest(bytes));
  assert.deepEqual(m.blobs.map((b) => b.digest), [d('c'), d('1')]);
  assert.equal(m.artifactType, MT.ociConfig);
});

test('artifactType and subject are read from artifacts', () => {
  const m = parseManifest(image({ artifactType: 'application/x.sbom', subject: { mediaType: MT.ociManifest, digest: d('f'), size: 5 } }), undefined);
  assert.equal(m.artifactType, 'application/x.sbom');
  assert.equal(m.subject?.digest, d('f'));
});

test('an index references its children as manifests', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex,
    manifests: [{ mediaType: MT.ociManifest, digest: d('e'), size: 3, platform: { os: 'linux', architecture: 'arm64' } }] })), MT.ociIndex);
  assert.deepEqual(m.children.map((c) => c.digest), [d('e')]);
  assert.deepEqual(m.blobs, []);
});

test('schema 1, bad JSON, contradictory media types and bad descriptors are MANIFEST_INVALID', () => {
  assert.equal(code(() => parseManifest(Buffer.from('{"schemaVersion":1}'), MT.dockerSchema1Signed)), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from('{'), MT.ociManifest)), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(image(), MT.dockerManifest)), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: 'x', digest: 'bad', size: 1 }, layers: [] })), undefined)), 'MANIFEST_INVALID');
  assert.equal(code(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-unknown' })), undefined)), 'MANIFEST_INVALID');
});
