// The HTTP layer's own answers over raw sockets: a malformed request line, oversized headers, a
// URL that cannot be decoded, unknown paths and GET / all carry catalogue JSON with the right status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { after, before, describe, test } from 'node:test';
import { startWharf, type RunningWharf } from '../helpers/server.ts';

/** Resolves once `cond` holds, checking every 20 ms (fails the test after 20 s). */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await cond());) {
    if (Date.now() > deadline) throw new Error('condition not reached in 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a TCP connection to `port` is accepted. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

interface Answer { status: number; head: string; json: any }

/** Writes `raw` on a fresh connection and reads until the server closes it or one answer is complete. */
function exchange(port: number, raw: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const finish = () => {
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete answer: ${JSON.stringify(text)}`));
      const head = text.slice(0, end);
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
      const body = buf.subarray(end + 4).toString('utf8');
      let json: any;
      try { json = JSON.parse(body); } catch { return reject(new Error(`body is not JSON: ${JSON.stringify(body)} (head ${head})`)); }
      s.destroy();
      resolve({ status, head, json });
    };
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && len !== undefined && buf.length >= end + 4 + Number(len)) finish();
    });
    s.on('end', finish);
    s.on('error', (e) => (buf.length ? finish() : reject(e)));
    s.write(raw);
  });
}

describe('HTTP framework answers come from the error catalogue', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf(); });
  after(async () => { await w?.stop(); });

  test('a malformed request line is 400 with an OCI error body', async () => {
    const r = await exchange(w.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.equal(r.status, 400, r.head);
    assert.match(r.head, /\r\ncontent-type: application\/json/i);
    assert.deepEqual(r.json, { errors: [{ code: 'UNSUPPORTED', message: r.json.errors[0].message }] });
    assert.match(r.json.errors[0].message, /^malformed HTTP request \(HPE_[A-Z_]+\)$/);
  });

  test('a 20 KiB header is 431 HeadersTooLarge', async () => {
    const r = await exchange(w.port, `GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    assert.equal(r.status, 431, r.head);
    assert.deepEqual(r.json, { errors: [{ code: 'UNSUPPORTED', message: 'request header fields too large: the request line and headers exceed 16384 bytes' }] });
  });

  test('an unknown path and GET / are 404 RouteNotFound', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/'], ['DELETE', '/nope/deeper?x=1'], ['PUT', '/']]) {
      const r = await exchange(w.port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 404, `${method} ${path}: ${r.head}`);
      assert.match(r.head, /\r\ncontent-type: application\/json/i);
      assert.deepEqual(r.json, { errors: [{ code: 'NOT_FOUND', message: `no route for ${method} ${path.split('?')[0]}` }] });
    }
  });

  test('an Expect header other than 100-continue is 417 ExpectationFailed', async () => {
    const r = await exchange(w.port, 'GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\n\r\n');
    assert.equal(r.status, 417, r.head);
    assert.deepEqual(r.json, { errors: [{ code: 'UNSUPPORTED', message: "unsupported Expect header 'teapot': only 100-continue is understood" }] });
  });

  test('a URL that cannot be percent-decoded is a catalogue 400, not fastify\'s body', async () => {
    const r = await exchange(w.port, 'GET /v2/a/%zz/tags/list HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(r.status, 400, r.head);
    assert.deepEqual(r.json, { errors: [{ code: 'UNSUPPORTED', message: "'/v2/a/%zz/tags/list' is not a valid url component" }] });
  });
});

test('a request arriving on an open connection during shutdown is 503 ShuttingDown from the catalogue', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-closing-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = await buildApp(loadConfig({ env: {}, flags: { dataDir } }), { logger: pino({ level: 'silent' }) });
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.http.server.address() as { port: number }).port;
  const s = connect(port, '127.0.0.1');
  let text = '';
  s.setEncoding('latin1').on('data', (d: string) => { text += d; });
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  // A request in flight (its 10-byte body not sent yet) keeps the connection from being idle; node's
  // "100 Continue" says the server has taken it up.
  s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n');
  await until(() => text.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
  const closing = app.close();
  // Shutdown has begun once the server refuses new connections.
  await until(async () => !(await connects(port)));
  // Then the body completes the first request, and a second one follows on the same connection.
  s.write('0123456789GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await closed;
  await closing;
  const answers = text.slice('HTTP/1.1 100 Continue\r\n\r\n'.length).split(/(?=HTTP\/1\.1 )/);
  assert.equal(answers.length, 2, text);
  assert.match(answers[0], /^HTTP\/1\.1 400 /);
  assert.match(answers[0], /"__type":"MissingAuthenticationTokenException"/);
  assert.match(answers[1], /^HTTP\/1\.1 503 /, answers[1]);
  assert.match(answers[1], /\r\nconnection: close\r\n/i);
  const body = JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4));
  assert.deepEqual(body, { errors: [{ code: 'UNAVAILABLE', message: 'the server is shutting down; retry on another connection' }] });
});
