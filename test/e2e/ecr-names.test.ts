// ECR-shaped registry names: with publicUrl https://<account>.dkr.ecr.<region>.amazonaws.com every URI
// Wharf hands out is ECR's (repositoryUri without scheme or :443, proxyEndpoint, download URLs, the
// WWW-Authenticate realm), whatever address and port Wharf really listens on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import {
  ECRClient, CreateRepositoryCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand, InitiateLayerUploadCommand, UploadLayerPartCommand, CompleteLayerUploadCommand,
} from '@aws-sdk/client-ecr';
import { startWharf, TEST_CREDENTIALS, TEST_REGION } from '../helpers/server.ts';
import { makeTestCa } from '../helpers/tls.ts';
import { requireTools } from '../helpers/tools.ts';

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.${TEST_REGION}.amazonaws.com`;

test('with an ECR-shaped publicUrl every URI Wharf returns is ECR\'s', { timeout: 60_000 }, async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const w = await startWharf({
    tls: { ...ca.issue('ecr', { names: [REGISTRY, `api.ecr.${TEST_REGION}.amazonaws.com`] }), caFile: ca.caFile },
    // written with a default port and a trailing slash, as people do; Wharf answers without them
    env: { WHARF_PUBLIC_URL: `https://${REGISTRY}:443/`, WHARF_ACCOUNT_ID: ACCOUNT },
  });
  t.after(() => w.stop());
  const agent = new Agent({ ca: readFileSync(ca.caFile) });
  t.after(() => agent.destroy());
  const ecr = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler: { httpsAgent: agent } });
  t.after(() => ecr.destroy());

  const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
  assert.equal(created.repository?.repositoryUri, `${REGISTRY}/team/app`);
  assert.equal(created.repository?.registryId, ACCOUNT);
  assert.equal(created.repository?.repositoryArn, `arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:repository/team/app`);
  const described = await ecr.send(new DescribeRepositoriesCommand({}));
  assert.deepEqual(described.repositories?.map((r) => r.repositoryUri), [`${REGISTRY}/team/app`]);

  const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
  assert.equal(auth.authorizationData?.[0].proxyEndpoint, `https://${REGISTRY}`);

  const data = Buffer.from('layer bytes behind an ECR-shaped name');
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const up = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'team/app' }));
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId: up.uploadId, partFirstByte: 0, partLastByte: data.length - 1, layerPartBlob: data }));
  await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'team/app', uploadId: up.uploadId, layerDigests: [digest] }));
  const dl = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'team/app', layerDigest: digest }));
  assert.ok(dl.downloadUrl?.startsWith(`https://${REGISTRY}/v2/team/app/blobs/${digest}?`), dl.downloadUrl);
  // The same path and query on the address Wharf really listens on gives the bytes.
  const local = new URL(dl.downloadUrl!);
  const got = await get(`${w.url}${local.pathname}${local.search}`, agent);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, data);

  const challenge = await get(`${w.url}/v2/`, agent);
  assert.equal(challenge.status, 401);
  assert.equal(challenge.headers['www-authenticate'], `Basic realm="https://${REGISTRY}/",service="ecr.amazonaws.com"`);
});

function get(url: string, agent: Agent): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
