// Shared plumbing for the ECR image API tests: small images pushed over /v2/, an SDK v3 client, and
// the aws CLI / boto3 run against a listening Wharf with JSON output.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { ECRClient } from '@aws-sdk/client-ecr';
import { TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { buildArtifact, buildImage, buildIndex, type Built, type BuiltImage, type Descriptor } from '../helpers/oci-layout.ts';

/** A small image (one gzip layer of a few hundred bytes), OCI unless `docker`. */
export function smallImage(opts: { docker?: boolean; arch?: string } = {}): BuiltImage {
  return buildImage({
    layers: ['gzip'], layerBytes: 64, format: opts.docker ? 'docker' : 'oci',
    ...(opts.arch ? { platform: { os: 'linux', architecture: opts.arch } } : {}),
  });
}

export { buildArtifact, buildIndex, type Built, type BuiltImage, type Descriptor };

/** Pushes `built` over /v2/ (blobs, children, then the manifest by tag or by digest). */
export async function push(w: RunningWharf, repo: string, built: Built, tag?: string): Promise<string> {
  await new RegistryClient(w.url).push(repo, built, tag ?? built.descriptor.digest);
  return built.descriptor.digest;
}

/** Pushes only the blobs of `built` (so PutImage can then store the manifest). */
export async function pushBlobs(w: RunningWharf, repo: string, built: Built): Promise<void> {
  const c = new RegistryClient(w.url);
  for (const data of built.blobs.values()) await c.ensureBlob(repo, data);
}

/** An SDK v3 client for this server (no retries, so error tests stay fast). */
export function ecrClient(w: RunningWharf): ECRClient {
  return new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

/** Asserts that `p` rejects with an SDK error of `name` (and exactly `message` when given). */
export async function rejectsWith(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e?.name, name, `expected ${name}, got ${e?.name}: ${e?.message}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

export interface CliResult { code: number; stdout: string; stderr: string; json: any }

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let json: any;
      try { json = stdout.trim() ? JSON.parse(stdout) : undefined; } catch { json = undefined; }
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr, json });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** `aws ecr <args> --output json` against the server. */
export function awsEcr(w: RunningWharf, ...args: string[]): Promise<CliResult> {
  return run('aws', ['ecr', ...args, '--output', 'json'], w.awsEnv);
}

/**
 * Runs a python3 snippet with `ecr` bound to boto3.client('ecr') for this server and `ClientError`
 * imported; the snippet sets `out`, printed as JSON (datetimes as epoch seconds).
 */
export async function boto3(w: RunningWharf, code: string, vars: Record<string, unknown> = {}): Promise<any> {
  const prog = [
    'import json, sys, datetime, boto3',
    'from botocore.exceptions import ClientError',
    "ecr = boto3.client('ecr')",
    'V = json.loads(sys.stdin.read())',
    'out = None',
    code,
    'print(json.dumps(out, default=lambda o: o.timestamp() if isinstance(o, datetime.datetime) else str(o)))',
  ].join('\n');
  const r = await run('python3', ['-c', prog], w.awsEnv, JSON.stringify(vars));
  assert.equal(r.code, 0, `python3 failed:\n${r.stderr}`);
  return r.json;
}
