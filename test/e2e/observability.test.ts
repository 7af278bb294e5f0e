// Logs, health and metrics of a live Wharf: skopeo pushes and pulls an OCI image and /metrics shows
// the requests, bytes and per-repository figures move as they should; access-log lines (JSON mode)
// carry exactly the documented fields and no secret (presigned blob URL, SigV4 query signing, the
// registry token); a client that drops an upload mid-body is one info line, no stack; /healthz and
// /readyz answer without credentials.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ECRClient, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildImage, writeLayout } from '../helpers/oci-layout.ts';
import { pushBlob, randomBlob, startUpload } from '../helpers/http.ts';
import { authedFetch, startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { skopeo, tempDir } from './support.ts';

const REPO = 'obs/app';
const ROOT_ARN = 'arn:aws:iam::000000000000:root';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCESS_FIELDS = ['level', 'time', 'pid', 'hostname', 'msg', 'method', 'path', 'status', 'bytesIn', 'bytesOut', 'durationMs', 'principal', 'requestId'];

/** Sum of the samples of `name` whose labels include every pair in `labels` (0 when none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

type Line = Record<string, unknown>;

describe('observability of a live Wharf (JSON logs, metrics)', () => {
  let w: RunningWharf;
  before(async () => {
    w = await startWharf({
      repositories: [REPO],
      env: { WHARF_LOG_LEVEL: 'info', WHARF_LOG_FORMAT: 'json', WHARF_METRICS_CACHE_SECONDS: '0' },
    });
  });
  after(async () => { await w?.stop(); });

  const scrape = async () => {
    const r = await fetch(`${w.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return r.text();
  };
  /** Every JSON line the server printed so far. */
  const lines = (): Line[] => w.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  /** The access-log line of the request with id `id`, once the server has written it. */
  async function accessLine(id: string): Promise<Line> {
    for (let i = 0; i < 200; i++) {
      const l = lines().find((x) => x.requestId === id && String(x.msg).startsWith('request'));
      if (l) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no access-log line for request ${id} in:\n${w.output()}`);
  }

  test('/healthz and /readyz answer without credentials; every answer carries a request id', async () => {
    const h = await fetch(`${w.url}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    const r = await fetch(`${w.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready' });
    const a = await authedFetch(`${w.url}/v2/`);
    const b = await authedFetch(`${w.url}/v2/`);
    await a.arrayBuffer(); await b.arrayBuffer();
    assert.match(a.headers.get('x-amzn-requestid') ?? '', UUID);
    assert.notEqual(a.headers.get('x-amzn-requestid'), b.headers.get('x-amzn-requestid'));
    const line = await accessLine(a.headers.get('x-amzn-requestid')!);
    assert.deepEqual(Object.keys(line).sort(), [...ACCESS_FIELDS].sort());
    assert.equal(line.level, 30);
    assert.deepEqual({ method: line.method, path: line.path, status: line.status, principal: line.principal }, { method: 'GET', path: '/v2/', status: 200, principal: ROOT_ARN });
    assert.ok(typeof line.durationMs === 'number' && line.durationMs >= 0);
    assert.ok(typeof line.bytesOut === 'number' && line.bytesOut > 0 && typeof line.bytesIn === 'number' && line.bytesIn > 0);
  });

  test('skopeo push and pull move the request, byte and per-repository metrics', { timeout: 120_000 }, async (t) => {
    if (!requireTools(t, 'skopeo')) return;
    const work = tempDir(t, 'obs');
    const image = buildImage({ layers: ['gzip', 'gzip'], layerBytes: 256 * 1024 });
    writeLayout(join(work, 'src'), { v1: image });
    const blobBytes = image.config.size + image.layers.reduce((n, l) => n + l.descriptor.size, 0);
    const creds = `AWS:${w.password}`;

    const m0 = await scrape();
    assert.equal(sample(m0, 'wharf_repository_images', { repository: REPO }), 0);
    assert.match(m0, new RegExp(`wharf_repository_images\\{registry_id="[0-9]{12}",repository="${REPO}"\\} 0`));
    await skopeo(['copy', '--dest-tls-verify=false', `--dest-creds=${creds}`, '--preserve-digests', `oci:${join(work, 'src')}:v1`, `docker://${w.hostPort}/${REPO}:v1`]);
    const m1 = await scrape();
    const d = (name: string, labels: Record<string, string>) => sample(m1, name, labels) - sample(m0, name, labels);
    assert.equal(d('wharf_http_requests_total', { route: 'manifest', method: 'PUT', status: '201' }), 1, 'one manifest PUT answered 201');
    assert.ok(d('wharf_http_requests_total', { route: 'upload', status: '201' }) >= 3, 'config and two layers uploaded (PUT or POST 201)');
    assert.ok(d('wharf_http_received_bytes_total', { route: 'upload' }) >= blobBytes, `upload bytes in ≥ ${blobBytes}`);
    assert.equal(sample(m1, 'wharf_repository_images', { repository: REPO }), 1);
    assert.equal(sample(m1, 'wharf_repository_stored_bytes', { repository: REPO }), blobBytes);
    assert.equal(sample(m1, 'wharf_uploads_in_flight'), 0);
    assert.ok(d('wharf_http_request_duration_seconds_count', { route: 'manifest', method: 'PUT' }) === 1);

    await skopeo(['copy', '--src-tls-verify=false', `--src-creds=${creds}`, `docker://${w.hostPort}/${REPO}:v1`, `oci:${join(work, 'out')}:v1`]);
    const m2 = await scrape();
    const e = (name: string, labels: Record<string, string>) => sample(m2, name, labels) - sample(m1, name, labels);
    assert.ok(e('wharf_http_requests_total', { route: 'manifest', method: 'GET', status: '200' }) >= 1);
    assert.ok(e('wharf_http_requests_total', { route: 'blob', method: 'GET', status: '200' }) >= 3, 'config and layers fetched');
    assert.ok(e('wharf_http_sent_bytes_total', { route: 'blob', method: 'GET' }) >= blobBytes, `blob bytes out ≥ ${blobBytes}`);
    assert.equal(e('wharf_http_requests_total', { route: 'manifest', method: 'PUT' }), 0, 'a pull writes nothing');
    // No repository name in any route label.
    assert.doesNotMatch(m2, /route="[^"]*obs/);
  });

  test('a presigned blob URL is logged with its signature redacted, without a principal', async () => {
    const layer = randomBlob(2048);
    const digest = await pushBlob(w.url, REPO, layer);
    const ecr = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    let url: string;
    try {
      url = (await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: REPO, layerDigest: digest }))).downloadUrl!;
    } finally {
      ecr.destroy();
    }
    const sig = new URL(url).searchParams.get('X-Wharf-Signature')!;
    assert.ok(sig.length > 10);
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), layer);
    const line = await accessLine(r.headers.get('x-amzn-requestid')!);
    assert.equal(line.path, `/v2/${REPO}/blobs/${digest}?X-Wharf-Expires=REDACTED&X-Wharf-Signature=REDACTED`);
    assert.equal(line.principal, null);
    assert.equal(line.bytesOut as number > 2048, true);
    assert.ok(!w.output().includes(sig), 'the signature appears nowhere in the output');
    // The GetDownloadUrlForLayer call itself: an ECR line with its operation.
    const ecrLine = lines().find((l) => l.operation === 'GetDownloadUrlForLayer');
    assert.ok(ecrLine, 'an access line for GetDownloadUrlForLayer');
    assert.deepEqual(Object.keys(ecrLine).sort(), [...ACCESS_FIELDS, 'operation'].sort());
    assert.equal(ecrLine.principal, ROOT_ARN);
  });

  test('a SigV4 query-signed ECR request is logged with signature and credential redacted', async () => {
    const u = new URL(w.url);
    const signer = new SignatureV4({ service: 'ecr', region: TEST_REGION, credentials: { ...TEST_CREDENTIALS, sessionToken: 'session-token-never-logged' }, sha256: Sha256 });
    const body = '{}';
    const signed = await signer.presign({
      method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, body,
      headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' },
    }, { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-target']) });
    const { host: _, ...headers } = signed.headers;
    const query = signed.query as Record<string, string>;
    const r = await fetch(`${w.url}/?${new URLSearchParams(query)}`, { method: 'POST', headers, body });
    await r.arrayBuffer();
    const line = await accessLine(r.headers.get('x-amzn-requestid')!);
    assert.equal(line.operation, 'DescribeRepositories');
    const path = String(line.path);
    for (const p of ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']) assert.ok(path.includes(`${p}=REDACTED`), `${p} redacted in ${path}`);
    const out = w.output();
    for (const secret of [query['X-Amz-Signature'], query['X-Amz-Credential'], encodeURIComponent(query['X-Amz-Credential']), 'session-token-never-logged', TEST_CREDENTIALS.secretAccessKey, w.password]) {
      assert.ok(!out.includes(secret), 'no signature, credential, session token, secret key or registry token in the output');
    }
  });

  test('a client dropping an upload mid-body is one info line (aborted, 499) and no stack', async () => {
    const location = await startUpload(w.url, REPO);
    const u = new URL(location, w.url);
    const before = await scrape();
    const id = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: u.hostname, port: u.port, method: 'PATCH', path: u.pathname + u.search,
        headers: { authorization: w.authorization, 'content-type': 'application/octet-stream', 'content-length': String(4 << 20) },
      });
      req.on('error', () => {});
      req.write(randomBlob(256 * 1024), () => {
        // Give the server time to start streaming into the session, then hang up.
        setTimeout(() => { req.destroy(); }, 200);
      });
      req.on('close', () => resolve(''));
      setTimeout(() => reject(new Error('client did not close')), 10_000);
    });
    assert.equal(id, '');
    let line: Line | undefined;
    for (let i = 0; i < 200 && !line; i++) {
      line = lines().find((l) => l.method === 'PATCH' && l.aborted === true);
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, `an aborted PATCH line in:\n${w.output()}`);
    assert.equal(line.level, 30);
    assert.equal(line.status, 499);
    assert.equal(line.msg, 'request aborted by the client');
    assert.deepEqual(Object.keys(line).sort(), [...ACCESS_FIELDS, 'aborted'].sort());
    assert.ok(line.bytesIn as number >= 256 * 1024, 'the bytes the client did send are counted');
    assert.equal(lines().filter((l) => l.requestId === line.requestId).length, 1, 'logged once');
    const out = w.output();
    assert.doesNotMatch(out, /unhandled error/);
    assert.doesNotMatch(out, /"stack"/);
    assert.deepEqual(lines().filter((l) => (l.level as number) >= 40), [], 'nothing at warn or error level');
    let after = '';
    for (let i = 0; i < 100; i++) {
      after = await scrape();
      if (sample(after, 'wharf_uploads_in_flight') === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(sample(after, 'wharf_uploads_in_flight'), 0);
    assert.equal(sample(after, 'wharf_http_requests_total', { route: 'upload', method: 'PATCH', status: '499' })
      - sample(before, 'wharf_http_requests_total', { route: 'upload', method: 'PATCH', status: '499' }), 1);
  });
});
