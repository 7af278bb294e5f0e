// The per-operation body caps derived from the ECR model: room for the largest legitimate input of
// each operation (a 20 MiB layer part, a 4 MiB manifest escaped, a 30 KiB lifecycle text escaped), little for the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyLimit, DEFAULT_BODY_LIMIT } from '../../src/http/ecr/body.ts';
import { ECR_MODEL } from '../../src/http/ecr/model.ts';

const MiB = 1024 * 1024;

test('UploadLayerPart fits a 20 MiB part in base64 with room to spare, and stays under 28 MiB', () => {
  const part = JSON.stringify({ repositoryName: 'a'.repeat(256), uploadId: '0'.repeat(36), partFirstByte: 0, partLastByte: 20 * MiB - 1, layerPartBlob: Buffer.alloc(20 * MiB).toString('base64') });
  const limit = bodyLimit(ECR_MODEL, 'UploadLayerPart');
  assert.ok(limit > part.length + 16 * 1024, `${limit} vs ${part.length}`);
  // Also when an encoder writes every '/' of the base64 as '\/' (1 in 64 characters on average).
  assert.ok(limit > part.length * (1 + 1 / 64), `${limit} vs ${part.length}`);
  assert.ok(limit <= 28 * MiB);
});

test('PutImage fits a 4 MiB manifest even if every character is sent as \\uXXXX', () => {
  assert.ok(bodyLimit(ECR_MODEL, 'PutImage') >= 6 * 4 * MiB + DEFAULT_BODY_LIMIT);
  assert.ok(bodyLimit(ECR_MODEL, 'PutImage') < bodyLimit(ECR_MODEL, 'UploadLayerPart'));
});

test('policy and lifecycle texts get six bytes per character of their model maximum', () => {
  assert.equal(bodyLimit(ECR_MODEL, 'PutLifecyclePolicy'), DEFAULT_BODY_LIMIT + 6 * 30720);
  assert.equal(bodyLimit(ECR_MODEL, 'StartLifecyclePolicyPreview'), DEFAULT_BODY_LIMIT + 6 * 30720);
  assert.equal(bodyLimit(ECR_MODEL, 'SetRepositoryPolicy'), DEFAULT_BODY_LIMIT + 6 * 10240);
  assert.equal(bodyLimit(ECR_MODEL, 'PutRegistryPolicy'), DEFAULT_BODY_LIMIT + 6 * 10240);
});

test('every other operation, an unknown one and a missing target get the small default', () => {
  for (const op of ['DescribeRepositories', 'BatchGetImage', 'GetAuthorizationToken', 'CompleteLayerUpload', 'NoSuchOperation', '__proto__', 'constructor', undefined]) {
    assert.equal(bodyLimit(ECR_MODEL, op), DEFAULT_BODY_LIMIT, String(op));
  }
});
