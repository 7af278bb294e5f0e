// The AWS front door on an in-process app listening on a loopback port (requests signed by
// @smithy/signature-v4, sent over a real socket; the root's key as the test servers have it): Query
// requests routed to STS or IAM by Version, GetCallerIdentity's exact XML, the Query protocol's
// refusals (signature, scope, Action, Version) with their XML codes and statuses, the unsigned
// operations (AssumeRoleWithWebIdentity reaches STS unsigned), ECR's JSON path unchanged, and the metrics / access-log labels of Query requests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import pino from 'pino';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { TEST_CREDENTIALS } from '../helpers/server.ts';

const ACCOUNT = '000000000000';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: false });

interface SignOpts {
  service?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string };
  contentType?: string; headers?: Record<string, string>;
}

interface Answer { status: number; type: string | undefined; requestId: string; body: string; doc: any }

interface Sent { statusCode: number; headers: Record<string, unknown>; body: string; json(): any }

describe('the AWS front door (in-process)', () => {
  let dir: string;
  let app: App;
  let logged: Record<string, unknown>[];
  let port: number;

  /** One request over a fresh loopback connection, headers exactly as given (the signed `host` included). */
  function send(o: { method: string; url: string; headers?: Record<string, string>; payload?: string }): Promise<Sent> {
    return new Promise((resolve, reject) => {
      const body = o.payload ?? '';
      const req = request({ host: '127.0.0.1', port, method: o.method, path: o.url, agent: false, headers: { 'content-length': String(Buffer.byteLength(body)), ...o.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-front-'));
    logged = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => { logged.push(JSON.parse(s)); } });
    app = await buildApp(loadConfig({ env: {}, flags: { dataDir: dir, accountId: ACCOUNT, region: 'us-east-1' } }), { logger });
    await app.services.identity.ensureRootKey(TEST_CREDENTIALS);
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    port = (app.http.server.address() as { port: number }).port;
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const answer = (r: { statusCode: number; headers: Record<string, unknown>; body: string }): Answer => ({
    status: r.statusCode, type: r.headers['content-type'] as string | undefined, requestId: String(r.headers['x-amzn-requestid']),
    body: r.body, doc: r.body.startsWith('<') ? xml.parse(r.body) : undefined,
  });

  /** POSTs `body` to / signed for `service` (default sts) in `region` (default eu-west-1, not Wharf's). */
  async function post(body: string, o: SignOpts = {}): Promise<Answer> {
    const signer = new SignatureV4({ service: o.service ?? 'sts', region: o.region ?? 'eu-west-1', credentials: o.credentials ?? TEST_CREDENTIALS, sha256: Sha256 });
    const headers = { host: 'localhost:80', 'content-type': o.contentType ?? FORM, ...o.headers };
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: 'localhost', path: '/', query: {}, headers, body });
    return answer(await send({ method: 'POST', url: '/', headers: signed.headers, payload: body }));
  }

  /** The Error element of an XML error answer, after checking its envelope. */
  function error(a: Answer, status: number, ns: string): { Type: string; Code: string; Message: string } {
    assert.equal(a.status, status, a.body);
    assert.equal(a.type, 'text/xml');
    assert.equal(a.doc.ErrorResponse['@xmlns'], ns, a.body);
    assert.equal(a.doc.ErrorResponse.RequestId, a.requestId);
    return a.doc.ErrorResponse.Error;
  }

  test('GetCallerIdentity signed in a region that is not Wharf\'s answers the root\'s identity, exactly', async () => {
    const a = await post('Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(a.status, 200, a.body);
    assert.equal(a.type, 'text/xml');
    assert.equal(a.body, `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><UserId>${ACCOUNT}</UserId>`
      + `<Account>${ACCOUNT}</Account><Arn>arn:aws:iam::${ACCOUNT}:root</Arn></GetCallerIdentityResult>`
      + `<ResponseMetadata><RequestId>${a.requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
  });

  test('a form Content-Type without charset is the Query protocol too; parameter order does not matter', async () => {
    const a = await post('Version=2011-06-15&Action=GetCallerIdentity', { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(a.status, 200, a.body);
    assert.equal(a.doc.GetCallerIdentityResponse.GetCallerIdentityResult.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  });

  test('a presigned GET /?Action=GetCallerIdentity (the EKS-token form) answers like the POST', async () => {
    const signer = new SignatureV4({ service: 'sts', region: 'eu-west-1', credentials: TEST_CREDENTIALS, sha256: Sha256 });
    const signed = await signer.presign({
      method: 'GET', protocol: 'http:', hostname: 'localhost', path: '/', headers: { host: 'localhost:80' },
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    }, { expiresIn: 60 });
    const qs = new URLSearchParams(signed.query as Record<string, string>).toString();
    const a = answer(await send({ method: 'GET', url: `/?${qs}`, headers: { host: 'localhost:80' } }));
    assert.equal(a.status, 200, a.body);
    assert.equal(a.doc.GetCallerIdentityResponse.GetCallerIdentityResult.UserId, ACCOUNT);
  });

  test('GET / without Action is still no route (OCI JSON, 404)', async () => {
    const r = await send({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 404);
    assert.deepEqual(r.json(), { errors: [{ code: 'NOT_FOUND', message: 'no route for GET /' }] });
  });

  test('an Action STS does not have answers InvalidAction "Could not find operation X for version V"', async () => {
    const e = error(await post('Action=MakeCoffee&Version=2011-06-15'), 400, STS_NS);
    assert.deepEqual(e, { Type: 'Sender', Code: 'InvalidAction', Message: 'Could not find operation MakeCoffee for version 2011-06-15' });
    const proto = error(await post('Action=__proto__&Version=2011-06-15'), 400, STS_NS);
    assert.equal(proto.Code, 'InvalidAction');
  });

  test('an Action of the model that Wharf lacks is a 4xx InvalidAction naming it (never a 500 the CLI would retry)', async () => {
    const sts = error(await post('Action=GetSessionToken&Version=2011-06-15'), 400, STS_NS);
    assert.deepEqual(sts, { Type: 'Sender', Code: 'InvalidAction', Message: "Wharf does not implement the STS operation 'GetSessionToken' yet." });
    const iam = error(await post('Action=CreateGroup&Version=2010-05-08&GroupName=g', { service: 'iam' }), 400, IAM_NS);
    assert.equal(iam.Message, "Wharf does not implement the IAM operation 'CreateGroup' yet.");
  });

  test('no Action is MissingAction; no Version is MissingParameter; another service\'s Version is InvalidAction', async () => {
    assert.deepEqual(error(await post('Version=2011-06-15'), 400, STS_NS), { Type: 'Sender', Code: 'MissingAction', Message: 'The request must contain the parameter Action.' });
    assert.deepEqual(error(await post('Action=GetCallerIdentity'), 400, STS_NS), { Type: 'Sender', Code: 'MissingParameter', Message: 'The request must contain the parameter Version.' });
    const ecr = error(await post('Action=GetCallerIdentity&Version=2015-09-21'), 400, STS_NS);
    assert.deepEqual(ecr, { Type: 'Sender', Code: 'InvalidAction', Message: 'Could not find operation GetCallerIdentity for version 2015-09-21' });
  });

  test('the Version\'s service must be the credential scope\'s: STS signed for iam, IAM signed for sts are SignatureDoesNotMatch', async () => {
    const asIam = error(await post('Action=GetCallerIdentity&Version=2011-06-15', { service: 'iam' }), 403, STS_NS);
    assert.deepEqual(asIam, { Type: 'Sender', Code: 'SignatureDoesNotMatch', Message: "Credential should be scoped to correct service: 'sts'. " });
    const asSts = error(await post('Action=ListUsers&Version=2010-05-08'), 403, IAM_NS);
    assert.equal(asSts.Message, "Credential should be scoped to correct service: 'iam'. ");
    const asEcr = error(await post('Action=GetCallerIdentity&Version=2011-06-15', { service: 'ecr', region: 'us-east-1' }), 403, STS_NS);
    assert.equal(asEcr.Code, 'SignatureDoesNotMatch');
  });

  test('signature refusals carry the Query codes and statuses', async () => {
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const wrong = error(await post(body, { credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } }), 403, STS_NS);
    assert.equal(wrong.Code, 'SignatureDoesNotMatch');
    assert.match(wrong.Message, /^The request signature we calculated does not match the signature you provided\./);
    const stranger = error(await post(body, { credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' } }), 403, STS_NS);
    assert.deepEqual(stranger, { Type: 'Sender', Code: 'InvalidClientTokenId', Message: 'The security token included in the request is invalid.' });
    const unsigned = answer(await send({ method: 'POST', url: '/', headers: { 'content-type': FORM }, payload: body }));
    assert.deepEqual(error(unsigned, 403, STS_NS), { Type: 'Sender', Code: 'MissingAuthenticationToken', Message: 'Missing Authentication Token' });
    const partial = answer(await send({
      method: 'POST', url: '/', payload: body,
      headers: { 'content-type': FORM, authorization: 'AWS4-HMAC-SHA256 Credential=AKIAWHARFTESTROOTKEY/20260101/eu-west-1/sts/aws4_request', 'x-amz-date': '20260101T000000Z' },
    }));
    assert.equal(error(partial, 400, STS_NS).Code, 'IncompleteSignature');
  });

  test('an unsigned AssumeRoleWithWebIdentity (the model\'s noAuth operation) reaches STS, unsigned AssumeRoleWithSAML is not implemented, others without signature are refused', async () => {
    const web = answer(await send({ method: 'POST', url: '/', headers: { 'content-type': FORM }, payload: 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fci&RoleSessionName=s1&WebIdentityToken=eyJhb' }));
    assert.deepEqual(error(web, 400, STS_NS), { Type: 'Sender', Code: 'InvalidIdentityToken', Message: 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)' });
    const saml = answer(await send({ method: 'POST', url: '/', headers: { 'content-type': FORM }, payload: 'Action=AssumeRoleWithSAML&Version=2011-06-15' }));
    assert.deepEqual(error(saml, 400, STS_NS), { Type: 'Sender', Code: 'InvalidAction', Message: "Wharf does not implement the STS operation 'AssumeRoleWithSAML' yet." });
    const other = answer(await send({ method: 'POST', url: '/', headers: { 'content-type': FORM }, payload: 'Action=AssumeRole&Version=2011-06-15' }));
    assert.equal(error(other, 403, STS_NS).Code, 'MissingAuthenticationToken');
  });

  test('ECR\'s JSON path is unchanged: a non-Wharf region is refused, an unknown target prefix is UnknownOperationException', async () => {
    const sign = async (target: string, region: string) => {
      const signer = new SignatureV4({ service: 'ecr', region, credentials: TEST_CREDENTIALS, sha256: Sha256 });
      const headers = { host: 'localhost:80', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
      const s = await signer.sign({ method: 'POST', protocol: 'http:', hostname: 'localhost', path: '/', query: {}, headers, body: '{}' });
      return send({ method: 'POST', url: '/', headers: s.headers, payload: '{}' });
    };
    const elsewhere = await sign('AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', 'eu-west-1');
    assert.equal(elsewhere.statusCode, 400);
    assert.equal(elsewhere.headers['x-amzn-errortype'], 'InvalidSignatureException');
    assert.match(elsewhere.json().message, /^Credential should be scoped to a valid region, not 'eu-west-1'\./);
    const unknown = await sign('TrentService.ListKeys', 'us-east-1');
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json(), { __type: 'UnknownOperationException', message: 'Unknown operation TrentService.ListKeys' });
    const ok = await sign('AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', 'us-east-1');
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('metrics label Query requests sts:<Action> for the model\'s Actions and unknown otherwise; the access log names the operation', async () => {
    await post('Action=GetCallerIdentity&Version=2011-06-15');
    await post('Action=ListUsers&Version=2010-05-08', { service: 'iam' });
    await post('Action=MakeTea&Version=2011-06-15');
    const text = (await send({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /wharf_http_requests_total\{route="sts:GetCallerIdentity",method="POST",status="200"\} \d+/);
    assert.match(text, /wharf_http_requests_total\{route="iam:ListUsers",method="POST",status="200"\} \d+/);
    assert.doesNotMatch(text, /MakeTea/);
    assert.match(text, /route="unknown",method="POST",status="400"/);
    const line = logged.find((l) => l.msg === 'request' && l.operation === 'sts:GetCallerIdentity');
    assert.ok(line, 'an access line names sts:GetCallerIdentity');
    assert.equal(line.principal, `arn:aws:iam::${ACCOUNT}:root`);
    assert.equal(line.status, 200);
  });
});
