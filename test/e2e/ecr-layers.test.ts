// The ECR layer API end to end (aws CLI, boto3, SDK v3 against a listening Wharf): layer pushes in
// parts, every error a client can trigger, upload sessions shared with /v2/, and download URLs that
// work without credentials and refuse tampering and expiry.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openLocalSecretBox } from '../../src/adapters/secret-box-local/index.ts';
import { presignedBlobUrl } from '../../src/http/oci/presigned.ts';
import { DownloadUrlService } from '../../src/services/download-urls.ts';
import { MT, descriptor, pushBlob, pushManifest, randomBlob, sha256 } from '../helpers/http.ts';
import { authedFetch, startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { closeSdkClient, ECR_CLIENTS, ecrErr, ecrOk, requireClient } from './ecr-clients.ts';

const ACCOUNT = '000000000000';
const MiB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO = `sha256:${'0'.repeat(64)}`;
const notFound = (repo: string, registryId = ACCOUNT) => `The repository with name '${repo}' does not exist in the registry with id '${registryId}'`;
const partMessage = (reason: string) => `The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload: ${reason}`;

let w: RunningWharf;
before(async () => {
  w = await startWharf({ repositories: [...ECR_CLIENTS.flatMap((c) => [`layers/${c}`, `layers/${c}-other`]), 'shared/api', 'dl/one', 'dl/two'] });
});
after(async () => {
  if (!w) return;
  closeSdkClient(w);
  await w.stop();
});

async function initiate(client: (typeof ECR_CLIENTS)[number], repo: string): Promise<string> {
  const out = await ecrOk(w, client, 'InitiateLayerUpload', { repositoryName: repo });
  assert.deepEqual(Object.keys(out).sort(), ['partSize', 'uploadId']);
  assert.equal(out.partSize, 10 * MiB);
  assert.match(String(out.uploadId), UUID);
  return String(out.uploadId);
}

for (const client of ECR_CLIENTS) {
  test(`${client}: pushes a layer in parts and /v2/ serves exactly those bytes`, { timeout: 180_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `layers/${client}`;
    const layer = randomBlob(10 * MiB + 777 * 1024);
    const digest = sha256(layer);
    const uploadId = await initiate(client, repo);
    const cuts = [0, 5 * MiB, 10 * MiB, layer.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const out = await ecrOk(w, client, 'UploadLayerPart', {
        repositoryName: repo, uploadId, partFirstByte: cuts[i], partLastByte: cuts[i + 1] - 1, layerPartBlob: layer.subarray(cuts[i], cuts[i + 1]),
      });
      assert.deepEqual(out, { registryId: ACCOUNT, repositoryName: repo, uploadId, lastByteReceived: cuts[i + 1] - 1 });
    }
    const done = await ecrOk(w, client, 'CompleteLayerUpload', { repositoryName: repo, uploadId, layerDigests: [digest] });
    assert.deepEqual(done, { registryId: ACCOUNT, repositoryName: repo, uploadId, layerDigest: digest });

    const head = await authedFetch(`${w.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(layer.length));
    assert.equal(head.headers.get('docker-content-digest'), digest);
    const get = await authedFetch(`${w.url}/v2/${repo}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(layer), 'GET /v2/ returns the uploaded bytes');

    const check = await ecrOk(w, client, 'BatchCheckLayerAvailability', { repositoryName: repo, layerDigests: [digest, ZERO, 'not-a-digest', '', digest] });
    assert.deepEqual(check, {
      layers: [
        { layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: layer.length },
        { layerDigest: ZERO, layerAvailability: 'UNAVAILABLE' },
      ],
      failures: [
        { layerDigest: 'not-a-digest', failureCode: 'InvalidLayerDigest', failureReason: "Invalid request parameters: layer digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'" },
        { layerDigest: '', failureCode: 'MissingLayerDigest', failureReason: 'Invalid request parameters: layer digest cannot be null or empty' },
      ],
    });
    // The same layer is not available in a repository it was never pushed to.
    const other = await ecrOk(w, client, 'BatchCheckLayerAvailability', { repositoryName: `${repo}-other`, layerDigests: [digest] });
    assert.deepEqual(other, { layers: [{ layerDigest: digest, layerAvailability: 'UNAVAILABLE' }], failures: [] });

    const url = await ecrOk(w, client, 'GetDownloadUrlForLayer', { repositoryName: repo, layerDigest: digest });
    assert.deepEqual(Object.keys(url).sort(), ['downloadUrl', 'layerDigest']);
    assert.equal(url.layerDigest, digest);
    assert.ok(String(url.downloadUrl).startsWith(`${w.url}/v2/${repo}/blobs/${digest}?`), String(url.downloadUrl));
    const plain = await fetch(String(url.downloadUrl));
    assert.equal(plain.status, 200);
    assert.ok(Buffer.from(await plain.arrayBuffer()).equals(layer), 'the download URL serves the bytes without credentials');
  });

  test(`${client}: BatchCheckLayerAvailability reports the media type the manifests give each layer`, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `layers/${client}`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', client }));
    const gz = randomBlob(300);
    const zstd = randomBlob(301);
    const loose = randomBlob(302);
    for (const b of [config, gz, zstd, loose]) await pushBlob(w.url, repo, b);
    // Before any manifest names them, no media type is known: the member is absent.
    const before = await ecrOk(w, client, 'BatchCheckLayerAvailability', { repositoryName: repo, layerDigests: [sha256(gz)] });
    assert.deepEqual(before, { layers: [{ layerDigest: sha256(gz), layerAvailability: 'AVAILABLE', layerSize: gz.length }], failures: [] });
    const oci = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, config),
      layers: [descriptor(MT.ociLayer, gz), descriptor('application/vnd.oci.image.layer.v1.tar+zstd', zstd)],
    });
    await pushManifest(w.url, repo, `media-${client}`, oci, MT.ociManifest);
    const check = await ecrOk(w, client, 'BatchCheckLayerAvailability', {
      repositoryName: repo, layerDigests: [sha256(gz), sha256(zstd), sha256(config), sha256(loose)],
    });
    assert.deepEqual(check, {
      layers: [
        { layerDigest: sha256(gz), layerAvailability: 'AVAILABLE', layerSize: gz.length, mediaType: MT.ociLayer },
        { layerDigest: sha256(zstd), layerAvailability: 'AVAILABLE', layerSize: zstd.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
        { layerDigest: sha256(config), layerAvailability: 'AVAILABLE', layerSize: config.length, mediaType: MT.ociConfig },
        { layerDigest: sha256(loose), layerAvailability: 'AVAILABLE', layerSize: loose.length },
      ],
      failures: [],
    });
  });

  test(`${client}: a misplaced part is InvalidLayerPartException naming the last valid byte; the upload resumes`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `layers/${client}`;
    const layer = randomBlob(150);
    const uploadId = await initiate(client, repo);
    // Nothing received yet: a part that does not start at 0.
    const early = await ecrErr(w, client, 'UploadLayerPart', { repositoryName: repo, uploadId, partFirstByte: 1, partLastByte: 100, layerPartBlob: layer.subarray(1, 101) });
    assert.equal(early.code, 'InvalidLayerPartException');
    assert.equal(early.message, partMessage('the upload holds 0 bytes, so the next part must start at byte 0, not 1'));
    await ecrOk(w, client, 'UploadLayerPart', { repositoryName: repo, uploadId, partFirstByte: 0, partLastByte: 99, layerPartBlob: layer.subarray(0, 100) });

    const fields = { registryId: ACCOUNT, repositoryName: repo, uploadId, lastValidByteReceived: 99 };
    const cases: [string, Record<string, unknown>, string][] = [
      ['overlap', { partFirstByte: 50, partLastByte: 149, layerPartBlob: layer.subarray(50, 150) }, 'the upload holds 100 bytes, so the next part must start at byte 100, not 50'],
      ['gap', { partFirstByte: 120, partLastByte: 149, layerPartBlob: layer.subarray(120, 150) }, 'the upload holds 100 bytes, so the next part must start at byte 100, not 120'],
      ['length', { partFirstByte: 100, partLastByte: 149, layerPartBlob: layer.subarray(100, 110) }, 'bytes 100-149 are 50 bytes but the part holds 10'],
      ['empty', { partFirstByte: 100, partLastByte: 99, layerPartBlob: Buffer.alloc(0) }, 'the layer part is empty'],
    ];
    for (const [what, part, reason] of cases) {
      const e = await ecrErr(w, client, 'UploadLayerPart', { repositoryName: repo, uploadId, ...part });
      assert.equal(e.code, 'InvalidLayerPartException', what);
      assert.equal(e.message, partMessage(reason), what);
      // The CLI prints code and message only; the SDKs expose the modeled members.
      if (client !== 'aws-cli') assert.deepEqual(e.fields, fields, what);
    }
    const resumed = await ecrOk(w, client, 'UploadLayerPart', { repositoryName: repo, uploadId, partFirstByte: 100, partLastByte: 149, layerPartBlob: layer.subarray(100) });
    assert.equal(resumed.lastByteReceived, 149);
    const done = await ecrOk(w, client, 'CompleteLayerUpload', { repositoryName: repo, uploadId, layerDigests: [sha256(layer)] });
    assert.equal(done.layerDigest, sha256(layer));
  });

  test(`${client}: completion and lookup errors (InvalidLayer, EmptyUpload, LayerAlreadyExists, UploadNotFound, RepositoryNotFound ...)`, { timeout: 180_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `layers/${client}`;
    const layer = randomBlob(64);
    const digest = sha256(layer);
    const put = async (id: string) => ecrOk(w, client, 'UploadLayerPart', { repositoryName: repo, uploadId: id, partFirstByte: 0, partLastByte: 63, layerPartBlob: layer });
    const expect = async (op: string, input: Record<string, unknown>, code: string, message: string) => {
      const e = await ecrErr(w, client, op, input);
      assert.deepEqual({ code: e.code, message: e.message }, { code, message }, `${op} ${JSON.stringify(input)}`);
    };

    const id = await initiate(client, repo);
    await put(id);
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: id, layerDigests: [ZERO] }, 'InvalidLayerException',
      `provided digest did not match uploaded content: expected ${ZERO}, computed ${digest}`);
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: id, layerDigests: [digest, ZERO] }, 'InvalidParameterException',
      "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'exactly one layer digest is required to complete a layer upload'");
    // The upload survives a wrong digest; the right one completes it, after which it is gone.
    await ecrOk(w, client, 'CompleteLayerUpload', { repositoryName: repo, uploadId: id, layerDigests: [digest] });
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: id, layerDigests: [digest] }, 'UploadNotFoundException', `blob upload unknown to registry: ${id}`);
    await expect('UploadLayerPart', { repositoryName: repo, uploadId: id, partFirstByte: 64, partLastByte: 127, layerPartBlob: layer }, 'UploadNotFoundException', `blob upload unknown to registry: ${id}`);

    const empty = await initiate(client, repo);
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: empty, layerDigests: [digest] }, 'EmptyUploadException',
      `The specified layer upload with id '${empty}' does not contain any layer parts.`);

    // Uploading a layer the repository already has: refused at completion, and the upload discarded.
    const again = await initiate(client, repo);
    await put(again);
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: again, layerDigests: [digest] }, 'LayerAlreadyExistsException',
      `Layer with digest '${digest}' already exists in the repository with name '${repo}' in registry with id '${ACCOUNT}'`);
    await expect('UploadLayerPart', { repositoryName: repo, uploadId: again, partFirstByte: 64, partLastByte: 127, layerPartBlob: layer }, 'UploadNotFoundException', `blob upload unknown to registry: ${again}`);

    // An upload belongs to the repository that opened it; unknown ids are unknown.
    const foreign = await initiate(client, `${repo}-other`);
    await expect('UploadLayerPart', { repositoryName: repo, uploadId: foreign, partFirstByte: 0, partLastByte: 63, layerPartBlob: layer }, 'UploadNotFoundException', `blob upload unknown to registry: ${foreign}`);
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect('CompleteLayerUpload', { repositoryName: repo, uploadId: unknown, layerDigests: [digest] }, 'UploadNotFoundException', `blob upload unknown to registry: ${unknown}`);

    // Missing repositories, and repositories of another registry.
    for (const op of ['InitiateLayerUpload', 'BatchCheckLayerAvailability', 'UploadLayerPart', 'CompleteLayerUpload', 'GetDownloadUrlForLayer']) {
      const input: Record<string, unknown> = {
        InitiateLayerUpload: {}, BatchCheckLayerAvailability: { layerDigests: [digest] }, GetDownloadUrlForLayer: { layerDigest: digest },
        UploadLayerPart: { uploadId: unknown, partFirstByte: 0, partLastByte: 63, layerPartBlob: layer }, CompleteLayerUpload: { uploadId: unknown, layerDigests: [digest] },
      }[op]!;
      await expect(op, { repositoryName: 'layers/missing', ...input }, 'RepositoryNotFoundException', notFound('layers/missing'));
      await expect(op, { registryId: '111122223333', repositoryName: repo, ...input }, 'RepositoryNotFoundException', notFound(repo, '111122223333'));
    }

    // GetDownloadUrlForLayer of a layer the repository does not have, or a digest Wharf cannot read.
    await expect('GetDownloadUrlForLayer', { repositoryName: `${repo}-other`, layerDigest: digest }, 'LayersNotFoundException', `blob unknown to registry: ${digest}`);
    await expect('GetDownloadUrlForLayer', { repositoryName: repo, layerDigest: 'sha256:abc' }, 'InvalidParameterException',
      "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'must be a sha256 or sha512 digest (algorithm:hex)'");
    // Model validation: the upload id must be a UUID.
    const bad = await ecrErr(w, client, 'CompleteLayerUpload', { repositoryName: repo, uploadId: 'nope', layerDigests: [digest] });
    assert.deepEqual({ code: bad.code, message: bad.message }, {
      code: 'InvalidParameterException',
      message: "Invalid parameter at 'uploadId' failed to satisfy constraint: 'must satisfy regular expression '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}''",
    });
  });
}

test('upload sessions are shared with /v2/: API parts after a PATCH, and an API part inside a /v2/ push', async () => {
  const repo = 'shared/api';
  const a = randomBlob(3000);
  // Initiated through the API, first chunk by PATCH, rest by UploadLayerPart, completed through the API.
  const id = await initiate('sdk-v3', repo);
  const patch = await authedFetch(`${w.url}/v2/${repo}/blobs/uploads/${id}`, {
    method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-range': '0-999' }, body: a.subarray(0, 1000),
  });
  assert.equal(patch.status, 202, await patch.text());
  assert.equal(patch.headers.get('range'), '0-999');
  const part = await ecrOk(w, 'sdk-v3', 'UploadLayerPart', { repositoryName: repo, uploadId: id, partFirstByte: 1000, partLastByte: 2999, layerPartBlob: a.subarray(1000) });
  assert.equal(part.lastByteReceived, 2999);
  await ecrOk(w, 'sdk-v3', 'CompleteLayerUpload', { repositoryName: repo, uploadId: id, layerDigests: [sha256(a)] });
  const got = await authedFetch(`${w.url}/v2/${repo}/blobs/${sha256(a)}`);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(a));

  // Opened by POST /v2/, a part through the API, closed by PUT ?digest=.
  const b = randomBlob(2048);
  const start = await authedFetch(`${w.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const v2id = start.headers.get('docker-upload-uuid')!;
  await ecrOk(w, 'sdk-v3', 'UploadLayerPart', { repositoryName: repo, uploadId: v2id, partFirstByte: 0, partLastByte: 2047, layerPartBlob: b });
  const status = await authedFetch(`${w.url}/v2/${repo}/blobs/uploads/${v2id}`);
  assert.equal(status.headers.get('range'), '0-2047');
  const fin = await authedFetch(`${w.url}/v2/${repo}/blobs/uploads/${v2id}?digest=${sha256(b)}`, { method: 'PUT' });
  assert.equal(fin.status, 201, await fin.text());
  const check = await ecrOk(w, 'sdk-v3', 'BatchCheckLayerAvailability', { repositoryName: repo, layerDigests: [sha256(b)] });
  assert.deepEqual(check, { layers: [{ layerDigest: sha256(b), layerAvailability: 'AVAILABLE', layerSize: 2048 }], failures: [] });
});

/** A denied /v2/ answer: status and the OCI error envelope. */
async function denied(res: Response): Promise<{ status: number; errors: unknown }> {
  return { status: res.status, errors: (await res.json()).errors };
}
const INVALID = { status: 403, errors: [{ code: 'DENIED', message: 'The download URL is invalid: its signature does not match.' }] };

test('download URLs: no credentials needed; altered or expired URLs are refused; Range works', async () => {
  const layer = randomBlob(4096);
  const digest = await pushBlob(w.url, 'dl/one', layer);
  await pushBlob(w.url, 'dl/two', layer);
  const otherDigest = await pushBlob(w.url, 'dl/one', randomBlob(10));
  const { downloadUrl } = await ecrOk(w, 'sdk-v3', 'GetDownloadUrlForLayer', { repositoryName: 'dl/one', layerDigest: digest }) as { downloadUrl: string };
  const url = new URL(downloadUrl);

  const ok = await fetch(downloadUrl);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('docker-content-digest'), digest);
  assert.ok(Buffer.from(await ok.arrayBuffer()).equals(layer));
  const part = await fetch(downloadUrl, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(layer.subarray(100, 200)));

  const sig = url.searchParams.get('X-Wharf-Signature')!;
  const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
  const variants: [string, string][] = [
    ['altered signature', downloadUrl.replace(sig, flipped)],
    ['later expiry', downloadUrl.replace(/X-Wharf-Expires=(\d+)/, (_m, e) => `X-Wharf-Expires=${Number(e) + 3600}`)],
    ['no expiry', downloadUrl.replace(/X-Wharf-Expires=\d+&/, '')],
    ['another digest', downloadUrl.replace(digest, otherDigest)],
    ['another repository', downloadUrl.replace('/dl/one/', '/dl/two/')],
  ];
  for (const [what, u] of variants) assert.deepEqual(await denied(await fetch(u)), INVALID, what);

  // Signed for GET only: a HEAD (or a GET without the signature) needs credentials as usual.
  assert.equal((await fetch(downloadUrl, { method: 'HEAD' })).status, 401);
  assert.equal((await fetch(`${url.origin}${url.pathname}`)).status, 401);

  // A URL signed with this server's key two hours ago (it lives one hour).
  const key = openLocalSecretBox(join(w.dataDir, 'master.key')).derive('blob-download-url');
  const past = new DownloadUrlService(key, { now: () => new Date(Date.now() - 2 * 3600 * 1000) }, ACCOUNT);
  const expired = presignedBlobUrl(w.url, 'dl/one', digest, past.sign('dl/one', digest));
  assert.deepEqual(await denied(await fetch(expired)), {
    status: 403, errors: [{ code: 'DENIED', message: 'The download URL has expired. Ask GetDownloadUrlForLayer for a new one.' }],
  });
});

test('download URLs work with curl and no Authorization header', async (t) => {
  if (!requireTools(t, 'curl')) return;
  const layer = randomBlob(100_000);
  const digest = await pushBlob(w.url, 'dl/one', layer);
  const { downloadUrl } = await ecrOk(w, 'sdk-v3', 'GetDownloadUrlForLayer', { repositoryName: 'dl/one', layerDigest: digest }) as { downloadUrl: string };
  const body = await new Promise<Buffer>((resolve, reject) => {
    execFile('curl', ['-sS', '--fail', downloadUrl], { encoding: 'buffer', maxBuffer: 8 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.ok(body.equals(layer), 'curl downloads the exact bytes');
});

test('GetDownloadUrlForLayer: a layer whose bytes are gone is LayerInaccessibleException', async () => {
  const layer = randomBlob(512);
  const digest = await pushBlob(w.url, 'dl/two', layer);
  const hex = digest.slice('sha256:'.length);
  rmSync(join(w.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex));
  const e = await ecrErr(w, 'sdk-v3', 'GetDownloadUrlForLayer', { repositoryName: 'dl/two', layerDigest: digest });
  assert.deepEqual({ code: e.code, message: e.message }, { code: 'LayerInaccessibleException', message: `The specified layer '${digest}' is not accessible.` });
});

test('UploadLayerPart: a part over 20 MiB is an InvalidParameterException and writes nothing', async () => {
  const repo = 'shared/api';
  const id = await initiate('sdk-v3', repo);
  const e = await ecrErr(w, 'sdk-v3', 'UploadLayerPart', { repositoryName: repo, uploadId: id, partFirstByte: 0, partLastByte: 20 * MiB, layerPartBlob: Buffer.alloc(20 * MiB + 1) });
  assert.deepEqual({ code: e.code, message: e.message }, {
    code: 'InvalidParameterException',
    message: "Invalid parameter at 'layerPartBlob' failed to satisfy constraint: 'Member must have length less than or equal to 20971520'",
  });
  const ok = await ecrOk(w, 'sdk-v3', 'UploadLayerPart', { repositoryName: repo, uploadId: id, partFirstByte: 0, partLastByte: 20 * MiB - 1, layerPartBlob: Buffer.alloc(20 * MiB) });
  assert.equal(ok.lastByteReceived, 20 * MiB - 1);
});
