// SigV4 verification against signatures the real signers produce: the JS SDK's @smithy/signature-v4
// (header and presigned query forms) and botocore (SigV4Auth / SigV4QueryAuth, as the aws CLI and
// boto3 sign), plus every way a signature must be refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseSignature, SigV4Error, verifySignature, type SignedRequest } from '../../src/domain/aws/sigv4.ts';
import { requireTools } from '../helpers/tools.ts';

const CREDS = { accessKeyId: 'AKIDEXAMPLEWHARF0001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const HOST = '127.0.0.1:4567';
const REGION = 'us-east-1';
const SERVICE = 'ecr';
const TARGET = 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories';
const BODY = '{"maxResults":5}';
const MIN = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const queryString = (q: Record<string, string | string[] | null> = {}) => Object.entries(q)
  .flatMap(([k, v]) => (Array.isArray(v) ? v : [v ?? '']).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`)).join('&');

interface SdkOpts {
  secret?: string; region?: string; service?: string; date?: Date; body?: string; path?: string;
  query?: Record<string, string>; applyChecksum?: boolean; presign?: number;
}

/** Signs like the AWS SDK for JavaScript v3, and returns the request as Wharf's transport sees it. */
async function sdkSign(o: SdkOpts = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: o.service ?? SERVICE, region: o.region ?? REGION, sha256: Sha256, applyChecksum: o.applyChecksum ?? true,
    credentials: { accessKeyId: CREDS.accessKeyId, secretAccessKey: o.secret ?? CREDS.secretAccessKey },
  });
  const body = o.body ?? BODY;
  const request = {
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4567, path: o.path ?? '/', query: o.query ?? {},
    headers: { host: HOST, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGET }, body,
  };
  const signed = o.presign !== undefined
    ? await signer.presign(request, { expiresIn: o.presign, signingDate: o.date })
    : await signer.sign(request, { signingDate: o.date });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: 'POST', path: signed.path, query: queryString(signed.query as Record<string, string>), headers, bodySha256: sha256(body) };
}

/** Signs with botocore (what the aws CLI and boto3 use), in header or query form. */
function botocoreSign(o: { url?: string; body?: string; expires?: number } = {}): SignedRequest {
  const url = o.url ?? `http://${HOST}/`;
  const body = o.body ?? BODY;
  const script = `
import json, sys
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
creds = Credentials(a['key'], a['secret'])
req = AWSRequest(method='POST', url=a['url'], data=a['body'].encode(), headers={'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': a['target']})
auth = SigV4QueryAuth(creds, 'ecr', a['region'], expires=a['expires']) if a['expires'] else SigV4Auth(creds, 'ecr', a['region'])
auth.add_auth(req)
body = req.body if isinstance(req.body, (bytes, bytearray)) else (req.body or '').encode()
print(json.dumps({'url': req.url, 'headers': dict(req.headers.items()), 'body': body.decode()}))
`;
  const out = JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify({
    key: CREDS.accessKeyId, secret: CREDS.secretAccessKey, url, body, target: TARGET, region: REGION, expires: o.expires ?? 0,
  })], { encoding: 'utf8' }));
  const u = new URL(out.url);
  const headers: Record<string, string> = { host: u.host };
  for (const [k, v] of Object.entries(out.headers as Record<string, string>)) headers[k.toLowerCase()] = v;
  // SigV4QueryAuth moves a JSON body's members into the query string and sends an empty body.
  return { method: 'POST', path: u.pathname, query: u.search.slice(1), headers, bodySha256: sha256(out.body) };
}

function verify(req: SignedRequest, o: { secret?: string; now?: number; service?: string; region?: string } = {}): void {
  verifySignature(req, parseSignature(req), o.secret ?? CREDS.secretAccessKey, o.now ?? Date.now(), o.service ?? SERVICE, o.region ?? REGION);
}

function refused(fn: () => void, kind: SigV4Error['kind'], message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SigV4Error, `expected SigV4Error, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const MISMATCH = /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./;

describe('SigV4: signatures made by the JS SDK (@smithy/signature-v4)', () => {
  test('header form verifies, with and without x-amz-content-sha256', async () => {
    const withHash = await sdkSign();
    assert.match(withHash.headers['x-amz-content-sha256'] as string, /^[0-9a-f]{64}$/);
    verify(withHash);
    const noHash = await sdkSign({ applyChecksum: false });
    assert.equal(noHash.headers['x-amz-content-sha256'], undefined);
    verify(noHash);
    assert.equal(parseSignature(noHash).form, 'header');
  });

  test('header form with a path and a query string that need encoding verifies', async () => {
    verify(await sdkSign({ path: '/some path/x', query: { b: '2', a: 'x y/z', c: 'ü*~' } }));
  });

  test('presigned (query-string) form verifies', async () => {
    const req = await sdkSign({ presign: 300 });
    assert.equal(req.headers.authorization, undefined);
    assert.match(req.query, /X-Amz-Signature=[0-9a-f]{64}/);
    const sig = parseSignature(req);
    assert.equal(sig.form, 'query');
    assert.equal(sig.expires, 300);
    verify(req);
  });

  test('a clock up to 15 minutes off either way is accepted', async () => {
    const now = Date.now();
    verify(await sdkSign({ date: new Date(now - 14 * MIN) }), { now });
    verify(await sdkSign({ date: new Date(now + 14 * MIN) }), { now });
  });
});

describe('SigV4: signatures made by botocore (aws CLI, boto3)', () => {
  test('header form verifies (SigV4Auth)', (t) => {
    if (!requireTools(t, 'python3')) return;
    const req = botocoreSign();
    assert.match(req.headers.authorization as string, /SignedHeaders=content-type;host;x-amz-date/);
    verify(req);
  });

  test('header form on an encoded path with a query string verifies', (t) => {
    if (!requireTools(t, 'python3')) return;
    verify(botocoreSign({ url: `http://${HOST}/a%20b/c?b=2&a=x%20y` }));
  });

  test('query form verifies (SigV4QueryAuth)', (t) => {
    if (!requireTools(t, 'python3')) return;
    const req = botocoreSign({ expires: 300 });
    assert.equal(parseSignature(req).form, 'query');
    assert.match(req.query, /^maxResults=5&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    verify(req);
  });

  test('a botocore signature made with another secret is refused', (t) => {
    if (!requireTools(t, 'python3')) return;
    refused(() => verify(botocoreSign(), { secret: 'not-the-secret' }), 'invalid', MISMATCH);
  });
});

describe('SigV4: refusals', () => {
  test('wrong secret', async () => {
    const req = await sdkSign();
    refused(() => verify(req, { secret: CREDS.secretAccessKey + 'x' }), 'invalid', MISMATCH);
  });

  test('altered body (declared hash, and undeclared hash)', async () => {
    const withHash = await sdkSign();
    refused(() => verify({ ...withHash, bodySha256: sha256('{"maxResults":6}') }), 'invalid', MISMATCH);
    const noHash = await sdkSign({ applyChecksum: false });
    refused(() => verify({ ...noHash, bodySha256: sha256('{"maxResults":6}') }), 'invalid', MISMATCH);
  });

  test('altered header that was signed', async () => {
    const req = await sdkSign();
    refused(() => verify({ ...req, headers: { ...req.headers, 'x-amz-target': TARGET.replace('Describe', 'Delete') } }), 'invalid', MISMATCH);
    refused(() => verify({ ...req, headers: { ...req.headers, host: '127.0.0.1:4568' } }), 'invalid', MISMATCH);
  });

  test('altered query of a presigned request', async () => {
    const req = await sdkSign({ presign: 300 });
    refused(() => verify({ ...req, query: req.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=600') }), 'invalid', MISMATCH);
  });

  test('wrong service', async () => {
    const req = await sdkSign({ service: 'ecr-public' });
    refused(() => verify(req), 'scope', /Credential should be scoped to correct service: 'ecr'/);
  });

  test('wrong region', async () => {
    const req = await sdkSign({ region: 'eu-west-1' });
    refused(() => verify(req), 'scope', /Credential should be scoped to a valid region, not 'eu-west-1'/);
  });

  test('any region when none is required (IAM, STS): the region still counts in the signature, the service still must match', async () => {
    const req = await sdkSign({ region: 'eu-west-1', service: 'sts' });
    const check = (region: string | undefined, service = 'sts') => verifySignature(req, parseSignature(req), CREDS.secretAccessKey, Date.now(), service, region);
    check(undefined);
    refused(() => check('us-east-1'), 'scope', /not 'eu-west-1'/);
    refused(() => check(undefined, 'iam'), 'scope', /Credential should be scoped to correct service: 'iam'/);
    const altered = parseSignature(req);
    refused(() => verifySignature(req, { ...altered, credential: { ...altered.credential, region: 'us-west-2' } }, CREDS.secretAccessKey, Date.now(), 'sts', undefined), 'invalid', MISMATCH);
  });

  test('clock more than 15 minutes behind or ahead', async () => {
    const now = Date.now();
    const old = await sdkSign({ date: new Date(now - 16 * MIN) });
    refused(() => verify(old, { now }), 'expired', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const future = await sdkSign({ date: new Date(now + 16 * MIN) });
    refused(() => verify(future, { now }), 'expired', /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
  });

  test('expired presigned request (and one dated in the future)', async () => {
    const now = Date.now();
    const req = await sdkSign({ presign: 300, date: new Date(now - 6 * MIN) });
    refused(() => verify(req, { now }), 'expired', /^Signature expired: .* - 300 sec\.\)$/);
    verify(req, { now: now - 2 * MIN });
    const future = await sdkSign({ presign: 300, date: new Date(now + 16 * MIN) });
    refused(() => verify(future, { now }), 'expired', /^Signature not yet current/);
  });

  test('malformed Authorization headers', async () => {
    const req = await sdkSign();
    const parse = (authorization: string) => () => parseSignature({ ...req, headers: { ...req.headers, authorization } });
    refused(parse('Bearer abc'), 'incomplete', /requires the AWS4-HMAC-SHA256 algorithm/);
    refused(parse('AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecr/aws4_request'), 'incomplete', /requires 'SignedHeaders' parameter/);
    refused(parse('AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc'), 'incomplete', /requires 'Credential' parameter/);
    refused(parse('AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/ecr, SignedHeaders=host, Signature=abc'), 'incomplete', /Malformed credential scope/);
    const { 'x-amz-date': _, ...noDate } = req.headers;
    refused(() => parseSignature({ ...req, headers: noDate }), 'incomplete', /X-Amz-Date/);
  });

  test('no signature at all', () => {
    refused(() => parseSignature({ method: 'POST', path: '/', query: '', headers: { host: HOST }, bodySha256: sha256('') }), 'missing', /^Missing Authentication Token$/);
  });

  test('SignedHeaders without host', async () => {
    const req = await sdkSign();
    const authorization = (req.headers.authorization as string).replace(/SignedHeaders=([^,]*)/, (_m, h: string) => `SignedHeaders=${h.split(';').filter((x) => x !== 'host').join(';')}`);
    assert.doesNotMatch(authorization, /[=;]host[;,]/);
    refused(() => verify({ ...req, headers: { ...req.headers, authorization } }), 'incomplete', /Signed headers must include 'host'/);
  });

  test('a date in the credential scope that differs from X-Amz-Date', async () => {
    const req = await sdkSign();
    const authorization = (req.headers.authorization as string).replace(/Credential=([^/]+)\/(\d{8})/, (_m, k: string) => `Credential=${k}/20200101`);
    refused(() => verify({ ...req, headers: { ...req.headers, authorization } }), 'invalid', /Date in Credential scope does not match/);
  });
});
