// Shared by the IAM end-to-end tests: running a client program, the environment that points the aws
// CLI, boto3 and Terraform at a listening Wharf for IAM, STS and ECR (signing in a region that is not
// Wharf's, as clients do with an endpoint override), and the policy documents the tests send.
import { execFile } from 'node:child_process';
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
