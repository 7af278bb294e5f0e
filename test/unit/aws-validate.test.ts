// Model validation (domain/aws/validate.ts) against the real ECR model: which operations answer
// ValidationException and which InvalidParameterException, and the exact texts of each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateInput, violationStyleOf, type ServiceModel } from '../../src/domain/aws/validate.ts';
import { WharfError } from '../../src/domain/errors.ts';
import model from '../../src/domain/aws/ecr-2015-09-21.json' with { type: 'json' };

const ECR = model as unknown as ServiceModel;

/** The ECR error type and message validating `input` for operation `op` produces, or 'ok'. */
function outcome(op: string, input: unknown): [string, string] | 'ok' {
  const o = ECR.operations[op];
  try {
    validateInput(ECR, o.input!.shape, input, violationStyleOf(o));
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof WharfError, String(e));
    return [e.spec.ecr!, e.message];
  }
}

test('the style follows each operation\'s error list in the model', () => {
  assert.equal(violationStyleOf(ECR.operations.CreateRepository), 'invalid-parameter');
  assert.equal(violationStyleOf(ECR.operations.BatchCheckLayerAvailability), 'invalid-parameter');
  assert.equal(violationStyleOf(ECR.operations.GetLifecyclePolicy), 'validation');
  assert.equal(violationStyleOf(ECR.operations.PutAccountSetting), 'validation');
});

test('InvalidParameterException texts: enum (in ECR\'s order for imageTagMutability), length, range, pattern, required', () => {
  const ip = (m: string, r: string) => ['InvalidParameterException', `Invalid parameter at '${m}' failed to satisfy constraint: '${r}'`];
  assert.deepEqual(outcome('CreateRepository', { repositoryName: 'ok/name', imageTagMutability: 'NO' }),
    ip('imageTagMutability', 'Member must satisfy enum value set: [IMMUTABLE, MUTABLE, MUTABLE_WITH_EXCLUSION, IMMUTABLE_WITH_EXCLUSION]'));
  assert.deepEqual(outcome('CreateRepository', { repositoryName: 'ok/name', encryptionConfiguration: { encryptionType: 'RSA' } }),
    ip('encryptionConfiguration.encryptionType', 'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]'));
  assert.deepEqual(outcome('PutImage', { repositoryName: 'ok/name', imageManifest: '{}', imageTag: 't'.repeat(301) }),
    ip('imageTag', 'Member must have length less than or equal to 300'));
  assert.deepEqual(outcome('ListImages', { repositoryName: 'ok/name', maxResults: 0 }),
    ip('maxResults', 'Member must have value greater than or equal to 1'));
  assert.deepEqual(outcome('ListImages', { repositoryName: 'ok/name', registryId: '12' }),
    ip('registryId', "must satisfy regular expression '[0-9]{12}'"));
  assert.deepEqual(outcome('BatchGetImage', { repositoryName: 'ok/name' }), ip('imageIds', 'Member must not be null'));
  assert.equal(outcome('BatchGetImage', { repositoryName: 'ok/name', imageIds: [{ imageTag: 'v1' }] }), 'ok');
});

test('ValidationException keeps the AWS front end\'s wording and counts every violation', () => {
  assert.deepEqual(outcome('GetLifecyclePolicyPreview', { repositoryName: 'ok/name', registryId: 'abc', maxResults: 101 }), ['ValidationException',
    "2 validation errors detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100; "
    + "Value 'abc' at 'registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}"]);
});

test('a wrong JSON type is SerializationException whatever the style', () => {
  assert.equal((outcome('ListImages', { repositoryName: 'ok/name', maxResults: '5' }) as string[])[0], 'SerializationException');
  assert.equal((outcome('GetLifecyclePolicy', { repositoryName: 5 }) as string[])[0], 'SerializationException');
});
