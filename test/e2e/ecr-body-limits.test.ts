// The ECR endpoint holds nothing of a body before the signer's access key is known, and caps each
// operation's body: floods of unsigned or unknown-key 31 MiB bodies leave the server's memory flat.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';

const PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const JSON_11 = 'application/x-amz-json-1.1';
const MiB = 1024 * 1024;
const FLOOD = 31 * MiB;
/** One MiB of the flood, written over and over (the client holds no more than this). */
const SLAB = Buffer.alloc(MiB, 0x20);

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; json: any; text: string }

/**
 * POSTs `size` bytes of spaces (declared with Content-Length, or chunked) with `headers`, and
 * resolves with the answer as soon as it is complete; the server may close the connection before
 * the body is sent, which is not an error here.
 */
function post(w: RunningWharf, headers: Record<string, string>, size: number, chunked: boolean): Promise<Answer> {
  const u = new URL(w.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: chunked ? headers : { ...headers, 'content-length': String(size) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = true;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
      res.on('error', (e) => { if (!answered) reject(e); });
    });
    req.on('error', (e) => { if (!answered) setTimeout(() => { if (!answered) reject(e); }, 2000); });
    let sent = 0;
    const pump = () => {
      while (sent < size && !req.destroyed) {
        const n = Math.min(SLAB.length, size - sent);
        sent += n;
        if (!req.write(n === SLAB.length ? SLAB : SLAB.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

function assertAwsError(r: Answer, type: string) {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.headers['content-type'], JSON_11);
  assert.equal(r.headers['x-amzn-errortype'], type);
  assert.equal(r.json?.__type, type, r.text);
}

/** Headers for `body` signed with the test root key (or `credentials`), as SDK v3 signs them. */
async function signed(w: RunningWharf, target: string, body: string | Buffer, credentials = TEST_CREDENTIALS): Promise<Record<string, string>> {
  const u = new URL(w.url);
  const signer = new SignatureV4({ service: 'ecr', region: TEST_REGION, credentials, sha256: Sha256 });
  const headers = { host: u.host, 'content-type': JSON_11, 'x-amz-target': `${PREFIX}.${target}` };
  const h = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body })).headers;
  const { host: _, ...send } = h;
  return send;
}

describe('ECR request bodies', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf(); });
  after(async () => { await w?.stop(); });

  test('sixteen concurrent 31 MiB bodies, unsigned or signed with an unknown key, are refused and the server stays within 64 MiB', { timeout: 300_000 }, async () => {
    const u = new URL(w.url);
    const unsigned = { host: u.host, 'content-type': JSON_11, 'x-amz-target': `${PREFIX}.UploadLayerPart` };
    // A syntactically complete signature by a key the server does not know (so only the lookup can refuse it).
    const unknownKey = await signed(w, 'UploadLayerPart', '{}', { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'not-a-real-secret' });
    // Warm up the paths, so lazy loading and JIT are in the baseline.
    assertAwsError(await post(w, unsigned, 10, false), 'MissingAuthenticationTokenException');
    assertAwsError(await post(w, unknownKey, 10, false), 'UnrecognizedClientException');
    const baseline = status(w.proc.pid!, 'VmRSS');
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => post(w, unsigned, FLOOD, i % 2 === 0).then((r) => ['MissingAuthenticationTokenException', r] as const)),
      ...Array.from({ length: 8 }, (_, i) => post(w, unknownKey, FLOOD, i % 2 === 0).then((r) => ['UnrecognizedClientException', r] as const)),
    ]);
    for (const [type, r] of answers) {
      assertAwsError(r, type);
      assert.equal(r.headers.connection, 'close', 'the rest of the body is not drained: the connection closes');
    }
    const grown = status(w.proc.pid!, 'VmHWM') - baseline;
    assert.ok(grown < 64 * MiB, `peak RSS grew by ${(grown / MiB).toFixed(1)} MiB over ${16 * FLOOD / MiB} MiB of bodies`);
    // The server still answers a good request afterwards.
    const ok = await post(w, await signed(w, 'DescribeRepositories', ''), 0, false);
    assert.equal(ok.status, 200, ok.text);
  });

  test('a signed target naming an Object property (__proto__, constructor) is UnknownOperationException, not a crash', async () => {
    for (const op of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const r = await fetch(`${w.url}/`, { method: 'POST', headers: await signed(w, op, '{}'), body: '{}' });
      const text = await r.text();
      assert.equal(r.status, 400, text);
      assert.deepEqual(JSON.parse(text), { __type: 'UnknownOperationException', message: `Unknown operation ${PREFIX}.${op}` });
    }
  });

  test('a small unsigned body is read whole, so its connection stays open', async () => {
    const u = new URL(w.url);
    const r = await post(w, { host: u.host, 'content-type': JSON_11, 'x-amz-target': `${PREFIX}.DescribeRepositories` }, 100, false);
    assertAwsError(r, 'MissingAuthenticationTokenException');
    assert.notEqual(r.headers.connection, 'close');
  });

  test('a correctly signed body over the operation\'s cap is a SerializationException, declared or chunked', async () => {
    // DescribeRepositories needs a few KiB at most; 1 MiB of JSON whitespace is valid JSON but over its 64 KiB cap.
    const body = Buffer.concat([Buffer.from('{'), Buffer.alloc(MiB, 0x20), Buffer.from('}')]);
    const headers = await signed(w, 'DescribeRepositories', body);
    for (const chunked of [false, true]) {
      const u = new URL(w.url);
      const r = await new Promise<Answer>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => { const text = Buffer.concat(chunks).toString('utf8'); resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text), text }); });
        });
        req.on('error', () => {});
        req.end(body);
        setTimeout(() => reject(new Error('no answer')), 60_000).unref();
      });
      assertAwsError(r, 'SerializationException');
      assert.equal(r.json.message, `Request body exceeds ${64 * 1024} bytes, the most DescribeRepositories accepts.`);
    }
    // The same operation with a body under its cap (still padded) goes through.
    const small = Buffer.concat([Buffer.from('{'), Buffer.alloc(32 * 1024, 0x20), Buffer.from('}')]);
    const res = await fetch(`${w.url}/`, { method: 'POST', headers: await signed(w, 'DescribeRepositories', small), body: small });
    assert.equal(res.status, 200, await res.text());
  });
});
