// OCI 1.1 artifacts and the referrers API over plain HTTP: push an image, attach artifacts whose
// `subject` is that image, and list / filter them with GET /v2/<name>/referrers/<digest>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildImage, buildArtifact, jsonBytes, sha256, MEDIA, EMPTY_JSON, EMPTY_JSON_DIGEST, type Built } from '../helpers/oci-layout.ts';
import { RegistryClient, type Exchange } from '../helpers/registry-client.ts';
import { startRegistry } from './support.ts';

const SBOM = 'application/vnd.example.sbom.v1';
const SIG = 'application/vnd.example.signature.v1';

function assertIndex(r: Exchange) {
  assert.equal(r.status, 200, r.describe());
  // media type checked here; the exact header value (no parameters) has its own subtest
  assert.equal(r.headers.get('content-type')?.split(';')[0].trim(), MEDIA.ociIndex, r.describe());
  assert.equal(r.json?.schemaVersion, 2, r.describe());
  assert.equal(r.json?.mediaType, MEDIA.ociIndex, r.describe());
  assert.ok(Array.isArray(r.json?.manifests), r.describe());
}

/** The referrer descriptors by digest, keeping the fields the spec defines for them. */
function byDigest(manifests: any[]): Map<string, any> {
  return new Map(manifests.map((m) => [m.digest, {
    mediaType: m.mediaType, digest: m.digest, size: m.size, artifactType: m.artifactType, annotations: m.annotations,
  }]));
}

test('referrers: artifacts with a subject are listed and filtered by artifactType', { timeout: 60_000 }, async (t) => {
  const repo = 'e2e/referrers';
  const reg = await startRegistry(t, [repo]);
  if (reg.kind !== 'wharf') {
    t.skip(`${reg.kind} has no referrers API`);
    return;
  }
  const client = new RegistryClient(reg.url);

  // The subject: a plain image pushed by tag over HTTP (one layer over 1 MiB, pushed in one PUT).
  const image = buildImage({ layers: [{ compression: 'none', bytes: 400 * 1024 }] });
  await client.push(repo, image, 'v1');
  const subject = image.descriptor;

  const sbom = buildArtifact({
    artifactType: SBOM,
    subject,
    layers: [{ mediaType: 'application/spdx+json', data: JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'wharf-e2e' }) }],
    annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' },
  });
  const sig = buildArtifact({
    artifactType: SIG,
    subject,
    layers: [{ mediaType: 'application/vnd.example.signature.v1+octet-stream', data: randomBytes(64) }],
    annotations: { 'org.example.signature.fingerprint': 'abcd' },
  });
  // A referrer without artifactType: the referrers list must report its config mediaType instead.
  const cfgBytes = jsonBytes({ kind: 'attestation' });
  const attestationJson = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: 'application/vnd.example.attestation.config.v1+json', digest: sha256(cfgBytes), size: cfgBytes.length },
    layers: [{ mediaType: MEDIA.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const attBytes = jsonBytes(attestationJson);
  const attestation: Built = {
    descriptor: { mediaType: MEDIA.ociManifest, digest: sha256(attBytes), size: attBytes.length },
    bytes: attBytes, json: attestationJson,
    blobs: new Map([[sha256(cfgBytes), cfgBytes], [EMPTY_JSON_DIGEST, EMPTY_JSON]]),
    manifests: new Map(),
  };

  await t.test('the empty config blob {} has the well-known digest', async () => {
    await client.ensureBlob(repo, EMPTY_JSON);
    const b = await client.getBlob(repo, EMPTY_JSON_DIGEST);
    assert.equal(b.status, 200, b.describe());
    assert.equal(b.body.toString(), '{}');
  });

  await t.test('PUT of a manifest with subject answers 201 with OCI-Subject', async () => {
    for (const a of [sbom, sig, attestation]) {
      const r = await client.push(repo, a); // by digest
      assert.equal(r.status, 201, r.describe());
      assert.equal(r.headers.get('oci-subject'), subject.digest, r.describe());
      assert.equal(r.headers.get('docker-content-digest'), a.descriptor.digest, r.describe());
      assert.ok(r.headers.get('location'), r.describe());
      const g = await client.getManifest(repo, a.descriptor.digest, [MEDIA.ociManifest]);
      assert.equal(g.status, 200, g.describe());
      assert.equal(sha256(g.body), a.descriptor.digest, 'artifact manifest stored byte-identical');
    }
  });

  await t.test('GET referrers lists every referrer with artifactType and annotations', async () => {
    const r = await client.referrers(repo, subject.digest);
    assertIndex(r);
    const got = byDigest(r.json.manifests);
    assert.equal(got.size, 3, r.describe());
    assert.deepEqual(got.get(sbom.descriptor.digest), {
      mediaType: MEDIA.ociManifest, digest: sbom.descriptor.digest, size: sbom.descriptor.size,
      artifactType: SBOM, annotations: sbom.json.annotations,
    });
    assert.deepEqual(got.get(sig.descriptor.digest), {
      mediaType: MEDIA.ociManifest, digest: sig.descriptor.digest, size: sig.descriptor.size,
      artifactType: SIG, annotations: sig.json.annotations,
    });
    // no artifactType in the manifest: the config's mediaType stands in; no annotations to copy
    assert.deepEqual(got.get(attestation.descriptor.digest), {
      mediaType: MEDIA.ociManifest, digest: attestation.descriptor.digest, size: attestation.descriptor.size,
      artifactType: 'application/vnd.example.attestation.config.v1+json', annotations: undefined,
    });
    assert.equal(r.headers.get('oci-filters-applied'), null, 'no filter requested, none applied');
  });

  await t.test('?artifactType= filters and says so in OCI-Filters-Applied', async () => {
    const r = await client.referrers(repo, subject.digest, SBOM);
    assertIndex(r);
    assert.equal(r.headers.get('oci-filters-applied'), 'artifactType', r.describe());
    assert.deepEqual(r.json.manifests.map((m: any) => m.digest), [sbom.descriptor.digest], r.describe());
    assert.equal(r.json.manifests[0].artifactType, SBOM);

    const none = await client.referrers(repo, subject.digest, 'application/vnd.example.nothing');
    assertIndex(none);
    assert.deepEqual(none.json.manifests, []);
  });

  await t.test('a digest with no referrers gives 200 and an empty index', async () => {
    for (const d of [sbom.descriptor.digest, sha256(randomBytes(16))]) {
      const r = await client.referrers(repo, d);
      assertIndex(r);
      assert.deepEqual(r.json.manifests, [], r.describe());
    }
  });

  await t.test('an artifact may be pushed before its subject exists', async () => {
    const missing = { mediaType: MEDIA.ociManifest, digest: sha256(randomBytes(32)), size: 1234 };
    const early = buildArtifact({ artifactType: SBOM, subject: missing, annotations: { 'org.example.early': 'yes' } });
    const r = await client.push(repo, early);
    assert.equal(r.status, 201, r.describe());
    assert.equal(r.headers.get('oci-subject'), missing.digest, r.describe());
    const l = await client.referrers(repo, missing.digest);
    assertIndex(l);
    assert.deepEqual(l.json.manifests.map((m: any) => [m.digest, m.artifactType]), [[early.descriptor.digest, SBOM]], l.describe());
  });

  await t.test('the referrers Content-Type is exactly application/vnd.oci.image.index.v1+json', async () => {
    // distribution-spec: "The Content-Type header MUST be set to application/vnd.oci.image.index.v1+json"
    // (and for manifests: registries SHOULD NOT add parameters).
    const r = await client.referrers(repo, subject.digest);
    assert.equal(r.headers.get('content-type'), MEDIA.ociIndex, r.describe());
  });

  await t.test('an invalid digest is 400, not 404', async () => {
    const r = await client.request('GET', `/v2/${repo}/referrers/sha256:not-a-digest`);
    assert.equal(r.status, 400, r.describe());
  });
});
