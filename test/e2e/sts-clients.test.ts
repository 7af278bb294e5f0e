// STS through the real clients against a real listening Wharf: `aws sts get-caller-identity`, boto3
// and @aws-sdk/client-sts, signing in a region that is not Wharf's (as they do with an endpoint
// override), see the root's identity; a wrong secret and an unknown key are the Query-protocol
// errors each client names; and the Query body cap, over a real socket.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { QUERY_BODY_LIMIT } from '../../src/http/aws/query.ts';
import { startWharf, TEST_CREDENTIALS, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const ACCOUNT = '000000000000';
const ROOT = { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` };
/** Not the server's region (TEST_REGION, us-east-1): clients sign IAM/STS with their own. */
const CLIENT_REGION = 'eu-west-1';
const STRANGER = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever-secret' };
const WRONG_SECRET = { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' };

type Outcome = { ok: true; out: Record<string, unknown> } | { ok: false; code: string; message: string };

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** The environment that points the aws CLI and boto3 at `w` for STS, in CLIENT_REGION, with `credentials`. */
function stsEnv(w: RunningWharf, credentials = TEST_CREDENTIALS): Record<string, string> {
  return {
    ...w.awsEnv, AWS_ENDPOINT_URL_STS: w.url, AWS_DEFAULT_REGION: CLIENT_REGION, AWS_REGION: CLIENT_REGION, AWS_MAX_ATTEMPTS: '1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
}

async function viaCli(w: RunningWharf, credentials = TEST_CREDENTIALS): Promise<Outcome> {
  const r = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], stsEnv(w, credentials));
  if (r.code === 0) return { ok: true, out: JSON.parse(r.stdout) };
  const m = /An error occurred \((\w+)\) when calling the GetCallerIdentity operation: (.*)$/s.exec(r.stderr.trim());
  if (!m) throw new Error(`aws sts get-caller-identity failed without an AWS error (exit ${r.code}):\n${r.stderr}`);
  return { ok: false, code: m[1], message: m[2] };
}

const BOTO3 = `
import json, boto3
from botocore.exceptions import ClientError
try:
    out = boto3.client('sts').get_caller_identity()
    out.pop('ResponseMetadata', None)
    print(json.dumps({'ok': True, 'out': out}))
except ClientError as e:
    print(json.dumps({'ok': False, 'code': e.response['Error']['Code'], 'message': e.response['Error']['Message']}))
`;

async function viaBoto3(w: RunningWharf, credentials = TEST_CREDENTIALS): Promise<Outcome> {
  const r = await run('python3', ['-c', BOTO3], stsEnv(w, credentials));
  if (r.code !== 0) throw new Error(`boto3 get_caller_identity crashed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function viaSdk(w: RunningWharf, credentials = TEST_CREDENTIALS): Promise<Outcome> {
  const sts = new STSClient({ endpoint: w.url, region: CLIENT_REGION, credentials, maxAttempts: 1 });
  try {
    const { $metadata: _m, ...out } = await sts.send(new GetCallerIdentityCommand({}));
    return { ok: true, out };
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (!err.$metadata) throw e;
    return { ok: false, code: err.name, message: err.message };
  } finally {
    sts.destroy();
  }
}

const CLIENTS = { 'aws-cli': viaCli, boto3: viaBoto3, 'sdk-v3': viaSdk } as const;

describe('STS GetCallerIdentity through real clients', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf(); });
  after(async () => { await w?.stop(); });

  for (const [name, call] of Object.entries(CLIENTS)) {
    test(`${name}: the root's UserId, Account and Arn, signed in ${CLIENT_REGION}`, async (t) => {
      if (name === 'aws-cli' && !requireTools(t, 'aws')) return;
      if (name === 'boto3' && !requireTools(t, 'python3')) return;
      assert.deepEqual(await call(w), { ok: true, out: ROOT });
    });

    test(`${name}: a wrong secret is SignatureDoesNotMatch, an unknown key InvalidClientTokenId`, async (t) => {
      if (name === 'aws-cli' && !requireTools(t, 'aws')) return;
      if (name === 'boto3' && !requireTools(t, 'python3')) return;
      const wrong = await call(w, WRONG_SECRET);
      assert.equal(wrong.ok, false);
      assert.equal(!wrong.ok && wrong.code, 'SignatureDoesNotMatch');
      assert.match(!wrong.ok ? wrong.message : '', /^The request signature we calculated does not match the signature you provided\./);
      assert.deepEqual(await call(w, STRANGER), { ok: false, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
    });
  }
});

describe('Query request bodies over a real socket', () => {
  let w: RunningWharf;
  before(async () => { w = await startWharf(); });
  after(async () => { await w?.stop(); });

  /** Signed headers for `body` (STS scope, CLIENT_REGION), as SDK v3 signs a Query POST. */
  async function signed(body: string): Promise<Record<string, string>> {
    const u = new URL(w.url);
    const signer = new SignatureV4({ service: 'sts', region: CLIENT_REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
    const headers = { host: u.host, 'content-type': 'application/x-www-form-urlencoded' };
    const h = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body })).headers;
    const { host: _, ...send } = h;
    return send;
  }

  /** POSTs `body` (or, with `declare`, announces that many bytes and sends `body` only) and reads the answer. */
  function post(headers: Record<string, string>, body: string, declare?: number): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const u = new URL(w.url);
    return new Promise((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { ...headers, 'content-length': String(declare ?? Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.write(body);
      if (declare === undefined) req.end();
    });
  }

  test(`a body at the cap (${QUERY_BODY_LIMIT} bytes: one largest policy document, percent-encoded) is read; one declared larger is RequestEntityTooLarge and the connection closes`, async () => {
    const base = 'Action=GetCallerIdentity&Version=2011-06-15&Padding=';
    const full = base + 'x'.repeat(QUERY_BODY_LIMIT - base.length);
    const ok = await post(await signed(full), full);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /<Arn>arn:aws:iam::000000000000:root<\/Arn>/);

    const small = 'Action=GetCallerIdentity&Version=2011-06-15';
    const refused = await post(await signed(small), small, QUERY_BODY_LIMIT + 1);
    assert.equal(refused.status, 413, refused.text);
    assert.equal(refused.headers['content-type'], 'text/xml');
    assert.equal(refused.headers.connection, 'close');
    assert.match(refused.text, new RegExp(`<Code>RequestEntityTooLarge</Code><Message>Request body exceeds ${QUERY_BODY_LIMIT} bytes, the most a Query-protocol request accepts.</Message>`));
  });
});
