// Shared by the IAM end-to-end tests: running a client program, the environment that points the aws
// CLI, boto3 and Terraform at a listening Wharf for IAM, STS and ECR (signing in a region that is not
// Wharf's, as clients do with an endpoint override), and the policy documents the tests send.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_CREDENTIALS, type RunningWharf } from '../helpers/server.ts';

export const ACCOUNT = '000000000000';
/** Not the server's region (us-east-1): clients sign IAM and STS with their own. */
export const CLIENT_REGION = 'eu-west-1';
export const RO_ARN = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';

/** An identity policy whose text holds '+' and '%', which a wrong encoding would corrupt. */
export const TRICKY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'PlusAndPercent', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: `arn:aws:ecr:${CLIENT_REGION}:${ACCOUNT}:repository/a+b%20c` }],
});
export const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` with `env` added to this process's environment (and `input` on stdin). */
export function run(cmd: string, args: string[], env: Record<string, string>, opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: opts.timeoutMs ?? 60_000, cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** The environment pointing the aws CLI and boto3 at `w` for IAM, STS and ECR, in CLIENT_REGION. */
export function iamEnv(w: RunningWharf): Record<string, string> {
  return {
    ...w.awsEnv, AWS_ENDPOINT_URL_IAM: w.url, AWS_ENDPOINT_URL_STS: w.url, AWS_ENDPOINT_URL_ECR: w.url,
    AWS_DEFAULT_REGION: CLIENT_REGION, AWS_REGION: CLIENT_REGION, AWS_MAX_ATTEMPTS: '1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
}

/** `aws <args>` with JSON output, parsed ({} for commands without output); fails the test on an error. */
export async function awsJson(env: Record<string, string>, ...args: string[]): Promise<Record<string, any>> {
  const r = await run('aws', [...args, '--output', 'json'], env);
  assert.equal(r.code, 0, `aws ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim() === '' ? {} : JSON.parse(r.stdout);
}

/** The error code and message the CLI reports for `aws <args>` (which must fail). */
export async function awsError(env: Record<string, string>, ...args: string[]): Promise<{ code: string; message: string }> {
  const r = await run('aws', args, env);
  assert.notEqual(r.code, 0, `aws ${args.join(' ')} succeeded:\n${r.stdout}`);
  const m = /An error occurred \((\w+)\) when calling the (\w+) operation: (.*)$/s.exec(r.stderr.trim());
  assert.ok(m, `no AWS error in:\n${r.stderr}`);
  return { code: m[1], message: m[3] };
}

/** Writes `text` to `<dir>/<name>` and returns its `file://` argument. */
export function fileArg(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return `file://${p}`;
}
