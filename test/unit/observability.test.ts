// The pure parts of logs and metrics: URL redaction, the route label (against the real OCI router),
// the ECR operation label, and the text log format of real pino lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createLogger, formatText, urgent } from '../../src/http/observability/logger.ts';
import { REDACTED_PARAMS, redactUrl } from '../../src/http/observability/redact.ts';
import { ecrOperation, ociRouteKind, queryRoute } from '../../src/http/observability/route-kind.ts';
import { parseOciPath } from '../../src/http/oci/routes.ts';

test('redactUrl replaces the values of signature, expiry, credential and token parameters, whatever their case', () => {
  assert.equal(redactUrl('/v2/a/blobs/sha256:1?X-Wharf-Expires=1700000000&X-Wharf-Signature=abc%2Bdef'),
    '/v2/a/blobs/sha256:1?X-Wharf-Expires=REDACTED&X-Wharf-Signature=REDACTED');
  assert.equal(redactUrl('/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250101%2Fus-east-1&X-Amz-Date=20250101T000000Z&x-amz-signature=f00&X-Amz-Security-Token=tok&X-Amz-SignedHeaders=host'),
    '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&x-amz-signature=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host');
  // A percent-encoded name is the same parameter to the server, so it is redacted too.
  assert.equal(redactUrl('/?X%2DAmz%2DSignature=f00'), '/?X%2DAmz%2DSignature=REDACTED');
  for (const p of REDACTED_PARAMS) assert.ok(!redactUrl(`/x?${p}=secret-value`).includes('secret-value'), p);
});

test('redactUrl leaves URLs without secrets alone', () => {
  for (const u of ['/v2/', '/v2/a/tags/list?n=10&last=b', '/v2/a/blobs/uploads/?mount=sha256:1&from=b', '/?', '/v2/a/manifests/x%y']) assert.equal(redactUrl(u), u);
});

test('the route label matches the route the OCI router picks, and is never a repository name', () => {
  const kind: Record<string, string> = { base: 'base', catalog: 'catalog', tags: 'tags', manifest: 'manifest', uploads: 'upload', upload: 'upload', blob: 'blob', referrers: 'referrers' };
  const paths = [
    '/v2', '/v2/', '/v2/_catalog', '/v2/ab/tags/list', '/v2/ab/b/c/manifests/latest', '/v2/team/manifests/manifests/v1',
    '/v2/ab/blobs/uploads/', '/v2/ab/blobs/uploads', '/v2/ab/blobs/uploads/0b0e1f2a-1111-4222-8333-444455556666',
    '/v2/blobs/blobs/sha256:0', '/v2/ab/blobs/sha256:00', '/v2/xy/referrers/sha256:11', '/v2/tags/list/tags/list',
  ];
  for (const p of paths) {
    const route = parseOciPath(p);
    assert.ok(route, p);
    assert.equal(ociRouteKind(p), kind[route.kind], p);
  }
  for (const p of ['/v2/ab', '/v2/ab/cd', '/v2/manifests/x', '/v2/ab/tags/other', '/v2/ab/uploads/x', '/v2/ab/unknown/x']) {
    assert.equal(parseOciPath(p), undefined, `${p} routes nowhere`);
    assert.equal(ociRouteKind(p), 'other', p);
  }
});

test('ecrOperation names only operations of the ECR model', () => {
  assert.equal(ecrOperation('AmazonEC2ContainerRegistry_V20150921.ListImages'), 'ListImages');
  assert.equal(ecrOperation('AmazonEC2ContainerRegistry_V20150921.DropTables'), 'unknown');
  assert.equal(ecrOperation('Other.ListImages'), 'unknown');
  assert.equal(ecrOperation(undefined), 'unknown');
  assert.equal(ecrOperation(['a', 'b']), 'unknown');
});

test('queryRoute labels only Actions of the IAM and STS models, as service:Action', () => {
  assert.equal(queryRoute('sts', 'GetCallerIdentity'), 'sts:GetCallerIdentity');
  assert.equal(queryRoute('iam', 'CreateUser'), 'iam:CreateUser');
  assert.equal(queryRoute('iam', 'GetCallerIdentity'), 'unknown', 'an STS Action is not IAM\'s');
  assert.equal(queryRoute('sts', 'DropTables'), 'unknown');
  assert.equal(queryRoute('sts', '__proto__'), 'unknown');
  assert.equal(queryRoute('sts', undefined), 'unknown');
  assert.equal(queryRoute('kms', 'ListKeys'), 'unknown');
});

/** A pino logger writing text lines into an array. */
function textLogger(): { log: pino.Logger; out: string[] } {
  const out: string[] = [];
  const log = createLogger({ level: 'info', format: 'text', out: { write: (s: string) => { out.push(s); } } });
  return { log, out };
}

test('text format: access lines read METHOD PATH STATUS bytes duration principal id', () => {
  const { log, out } = textLogger();
  log.info({ method: 'GET', path: '/v2/', status: 200, bytesIn: 80, bytesOut: 300, durationMs: 1.25, principal: 'arn:aws:iam::000000000000:root', requestId: 'r-1' }, 'request');
  log.info({ method: 'POST', path: '/', status: 499, bytesIn: 10, bytesOut: 0, durationMs: 3, principal: null, requestId: 'r-2', operation: 'ListImages', aborted: true }, 'request aborted by the client');
  assert.equal(out.length, 2);
  assert.match(out[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  GET \/v2\/ 200 in=80 out=300 1\.25ms principal=arn:aws:iam::000000000000:root id=r-1\n$/);
  assert.match(out[1], / INFO  POST \/ 499 in=10 out=0 3ms principal=- id=r-2 op=ListImages aborted\n$/);
});

test('text format: other lines show message, fields and the error stack; secrets stay redacted', () => {
  const { log, out } = textLogger();
  const err = new Error('disk on fire');
  log.error({ err, job: 'gc', repository: 'a b', token: 'sekrit' }, 'background job failed');
  assert.equal(out.length, 1);
  const [first, ...rest] = out[0].trimEnd().split('\n');
  assert.match(first, / ERROR background job failed err="disk on fire" job=gc repository="a b" token=\[Redacted\]$/);
  assert.match(rest[0], /^    Error: disk on fire$/);
  assert.ok(rest.length > 1 && rest.slice(1).every((l) => l.startsWith('        at ') || l.startsWith('    ')));
  assert.ok(!out[0].includes('sekrit'));
});

test('json format writes the same record as one JSON object per line; non-JSON input passes through text formatting', () => {
  const out: string[] = [];
  const log = createLogger({ level: 'info', format: 'auto', isTTY: false, out: { write: (s: string) => { out.push(s); } } });
  log.info({ status: 200 }, 'hello');
  const rec = JSON.parse(out[0]);
  assert.equal(rec.msg, 'hello');
  assert.equal(rec.status, 200);
  assert.equal(formatText('not json\n'), 'not json\n');
  const onTty: string[] = [];
  createLogger({ level: 'info', format: 'auto', isTTY: true, out: { write: (s: string) => { onTty.push(s); } } }).info('x');
  assert.match(onTty[0], /^\S+Z INFO  x\n$/, 'auto is text on a terminal');
});

test('accessLog and metrics take booleans from files and true/false/1/0 from the environment', async () => {
  const { loadConfig, ConfigError } = await import('../../src/config/load.ts');
  const defaults = loadConfig({ env: {} });
  assert.deepEqual([defaults.accessLog, defaults.metrics, defaults.logFormat, defaults.metricsCacheSeconds], [true, true, 'auto', 10]);
  const off = loadConfig({ env: { WHARF_ACCESS_LOG: 'false', WHARF_METRICS: '0', WHARF_LOG_FORMAT: 'text' } });
  assert.deepEqual([off.accessLog, off.metrics, off.logFormat], [false, false, 'text']);
  assert.equal(loadConfig({ env: { WHARF_METRICS: '1' } }).metrics, true);
  assert.equal(loadConfig({ env: {}, flags: { accessLog: false } }).accessLog, false);
  assert.throws(() => loadConfig({ env: { WHARF_ACCESS_LOG: 'yes' } }), (e: unknown) => e instanceof ConfigError && /accessLog/.test((e as Error).message));
  assert.throws(() => loadConfig({ env: { WHARF_LOG_FORMAT: 'xml' } }), (e: unknown) => e instanceof ConfigError && /logFormat/.test((e as Error).message));
});

test('warn, error and fatal lines are urgent (written at once), info and below wait, in JSON and text alike', () => {
  const line = (level: number) => `{"level":${level},"time":1764806400000,"msg":"m"}\n`;
  assert.deepEqual([10, 20, 30, 40, 50, 60].map((l) => urgent(line(l))), [false, false, false, true, true, true]);
  assert.deepEqual([10, 20, 30, 40, 50, 60].map((l) => urgent(formatText(line(l)))), [false, false, false, true, true, true]);
});

test('a destination that takes many lines per write gets the access lines of a batch at once; text format splits them', async () => {
  const { MANY_LINES } = await import('../../src/http/observability/logger.ts');
  const { default: Fastify } = await import('fastify');
  const { installObservability } = await import('../../src/http/observability/index.ts');
  for (const format of ['json', 'text'] as const) {
    const writes: string[] = [];
    const log = createLogger({ level: 'info', format, out: { [MANY_LINES]: true, write: (s: string) => { writes.push(s); } } as never });
    const app = Fastify();
    installObservability(app, { log, accessLog: true, ready: async () => undefined });
    const seen: string[] = [];
    app.get('/*', async (req) => { seen.push(req.url); return 'x'; });
    await app.ready();
    // (inject percent-encodes what a real client could not send raw; the escaping of quotes,
    // backslashes and other characters is JSON.stringify's, used for any string that needs it)
    const paths = ['/a', '/b"quoted\\', '/caf%C3%A9?x=1', '/\u00e9t\u00e9', '/x?q=a"b'];
    for (const url of paths) await app.inject({ method: 'GET', url });
    await app.close(); // flushes what is queued
    const lines = writes.join('').split('\n').filter(Boolean);
    assert.equal(lines.length, paths.length, `${format}: one line per request`);
    if (format === 'json') {
      assert.equal(writes.length, 1, 'json: the batch is one write');
      assert.deepEqual(lines.map((l) => JSON.parse(l).path), seen, 'paths are JSON-escaped where needed');
    } else {
      assert.equal(writes.length, paths.length, 'text: one formatted line per write');
      lines.forEach((l, i) => assert.match(l, new RegExp(` INFO  GET ${seen[i].replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} 200 `)));
    }
  }
});

test('jsonString is JSON.stringify for every string (the plain ones skip it)', async () => {
  const { default: fc } = await import('fast-check');
  const { jsonString } = await import('../../src/http/observability/index.ts');
  for (const s of ['', 'plain', 'a"b', 'back\\slash', 'tab\there', '\u0000', '\u007f', 'é', '\u2028', '\ud800']) assert.equal(jsonString(s), JSON.stringify(s), JSON.stringify(s));
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => jsonString(s) === JSON.stringify(s)), { numRuns: 2000 });
});
