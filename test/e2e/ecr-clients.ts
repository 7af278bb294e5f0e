// Calls one ECR operation through each real client — aws CLI v1, boto3, @aws-sdk/client-ecr — with
// the same input, and normalises answers and errors, so a test can assert that every client sees the
// same wire output. Blob members (layerPartBlob) are given as Buffers.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import * as sdk from '@aws-sdk/client-ecr';
import { TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

export const ECR_CLIENTS = ['aws-cli', 'boto3', 'sdk-v3'] as const;
export type EcrClientName = (typeof ECR_CLIENTS)[number];

export interface EcrError {
  code: string;
  message: string;
  /** Extra members of the error shape (not visible through the CLI, which prints code and message only). */
  fields: Record<string, unknown>;
}

export type EcrResult = { ok: true; out: Record<string, unknown> } | { ok: false; error: EcrError };

/** Skips (or fails under CI) when the program behind `client` is missing. */
export function requireClient(t: TestContext, client: EcrClientName): boolean {
  if (client === 'aws-cli') return requireTools(t, 'aws');
  if (client === 'boto3') return requireTools(t, 'python3');
  return true;
}

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const kebab = (op: string) => op.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
const snake = (op: string) => op.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

function splitBlobs(input: Record<string, unknown>): { plain: Record<string, unknown>; blobs: Record<string, Buffer> } {
  const plain: Record<string, unknown> = {};
  const blobs: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(input)) (Buffer.isBuffer(v) ? blobs : plain)[k] = v as never;
  return { plain, blobs };
}

async function viaCli(w: RunningWharf, op: string, input: Record<string, unknown>): Promise<EcrResult> {
  const { plain, blobs } = splitBlobs(input);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-cli-blob-'));
  try {
    const args = ['ecr', kebab(op), '--cli-input-json', JSON.stringify(plain), '--output', 'json'];
    for (const [k, v] of Object.entries(blobs)) {
      const f = join(dir, k);
      writeFileSync(f, v);
      args.push(`--${kebab(k)}`, `fileb://${f}`);
    }
    const r = await run('aws', args, w.awsEnv);
    if (r.code === 0) return { ok: true, out: r.stdout.trim() ? JSON.parse(r.stdout) : {} };
    const m = /An error occurred \((\w+)\) when calling the \w+ operation: ([\s\S]*)$/.exec(r.stderr.trim());
    if (!m) throw new Error(`aws ecr ${kebab(op)} failed without an AWS error (exit ${r.code}):\n${r.stderr}`);
    return { ok: false, error: { code: m[1], message: m[2], fields: {} } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BOTO3 = `
import base64, datetime, json, sys, boto3
from botocore.exceptions import ClientError
req = json.loads(sys.stdin.read())
params = req['input']
for k, v in req['blobs'].items():
    params[k] = base64.b64decode(v)
ecr = boto3.client('ecr')
def enc(o):
    if isinstance(o, datetime.datetime): return o.timestamp()
    if isinstance(o, bytes): return base64.b64encode(o).decode()
    return str(o)
try:
    out = getattr(ecr, req['op'])(**params)
    out.pop('ResponseMetadata', None)
    print(json.dumps({'ok': True, 'out': out}, default=enc))
except ClientError as e:
    fields = {k: v for k, v in e.response.items() if k not in ('Error', 'ResponseMetadata', 'message', 'Message')}
    print(json.dumps({'ok': False, 'error': {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'], 'fields': fields}}, default=enc))
`;

async function viaBoto3(w: RunningWharf, op: string, input: Record<string, unknown>): Promise<EcrResult> {
  const { plain, blobs } = splitBlobs(input);
  const req = { op: snake(op), input: plain, blobs: Object.fromEntries(Object.entries(blobs).map(([k, v]) => [k, v.toString('base64')])) };
  const r = await run('python3', ['-c', BOTO3], w.awsEnv, JSON.stringify(req));
  if (r.code !== 0) throw new Error(`boto3 ${snake(op)} crashed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const clients = new WeakMap<RunningWharf, sdk.ECRClient>();

/** The SDK v3 client of a running server (no retries, so error tests stay fast); destroyed on stop. */
export function sdkClient(w: RunningWharf): sdk.ECRClient {
  let c = clients.get(w);
  if (!c) {
    c = new sdk.ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    clients.set(w, c);
  }
  return c;
}

/** Releases the SDK v3 client of `w` (call before stopping the server). */
export function closeSdkClient(w: RunningWharf): void {
  clients.get(w)?.destroy();
  clients.delete(w);
}

const SDK_NOISE = new Set(['name', 'message', '$fault', '$metadata', '$response', '$retryable', '__type', 'Message', 'stack']);

async function viaSdk(w: RunningWharf, op: string, input: Record<string, unknown>): Promise<EcrResult> {
  const Command = (sdk as unknown as Record<string, (new (i: unknown) => Parameters<sdk.ECRClient['send']>[0]) | undefined>)[`${op}Command`];
  if (!Command) throw new Error(`no ${op}Command in @aws-sdk/client-ecr`);
  try {
    const out = (await sdkClient(w).send(new Command(input))) as unknown as Record<string, unknown>;
    const { $metadata: _m, ...rest } = out;
    return { ok: true, out: JSON.parse(JSON.stringify(rest, (_k, v) => (v instanceof Date ? v.getTime() / 1000 : v))) };
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    if (!err.$metadata) throw e;
    const fields = Object.fromEntries(Object.entries(err).filter(([k, v]) => !SDK_NOISE.has(k) && v !== undefined));
    return { ok: false, error: { code: err.name, message: err.message, fields } };
  }
}

/** Runs `op` with `input` through `client` against `w`. */
export function callEcr(w: RunningWharf, client: EcrClientName, op: string, input: Record<string, unknown>): Promise<EcrResult> {
  switch (client) {
    case 'aws-cli': return viaCli(w, op, input);
    case 'boto3': return viaBoto3(w, op, input);
    case 'sdk-v3': return viaSdk(w, op, input);
  }
}

/** The output of a call that must succeed. */
export async function ecrOk(w: RunningWharf, client: EcrClientName, op: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await callEcr(w, client, op, input);
  if (!r.ok) throw new Error(`${client} ${op} failed: ${r.error.code}: ${r.error.message}`);
  return r.out;
}

/** The error of a call that must fail. */
export async function ecrErr(w: RunningWharf, client: EcrClientName, op: string, input: Record<string, unknown>): Promise<EcrError> {
  const r = await callEcr(w, client, op, input);
  if (r.ok) throw new Error(`${client} ${op} succeeded but should have failed: ${JSON.stringify(r.out)}`);
  return r.error;
}
