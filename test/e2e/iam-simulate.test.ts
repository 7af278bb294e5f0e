// The IAM policy simulator through the unmodified aws CLI against a listening Wharf: a user with
// AmazonEC2ContainerRegistryReadOnly (ecr:BatchGetImage allowed, ecr:PutImage implicitDeny), an inline
// Deny with a Sid reported in MatchedStatements and confirmed by the request it predicts, context
// entries that change decisions, the aws CLI's own documented examples answered as documented,
// paging, the context-key operations, IAM's errors, and who may simulate (iam:SimulatePrincipalPolicy
// on the principal's ARN, iam:SimulateCustomPolicy on `*`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { ACCOUNT, awsError, awsJson, fileArg, iamEnv, RO_ARN } from './iam-support.ts';

const REGION = 'us-east-1';
const READER = `arn:aws:iam::${ACCOUNT}:user/reader`;
const PUSHER = `arn:aws:iam::${ACCOUNT}:user/pusher`;
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const pretty = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement }, null, 2);
/** An inline Deny with a Sid, after an unrelated Allow (so the Deny is the second statement). */
const GUARD = pretty(
  { Sid: 'DescribeAnything', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' },
  { Sid: 'NoProdPulls', Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/prod/*` },
);
const CI_PUSH = pretty(
  { Sid: 'PushFromCi', Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.1.0.0/16' } } },
  { Sid: 'TlsOnly', Effect: 'Deny', Action: 'ecr:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
);
/** The policy of the aws CLI's examples/iam/simulate-custom-policy.rst. */
const DOC_EXAMPLE = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}';

/** The text between two 1-based line/column positions. */
function between(text: string, start: { Line: number; Column: number }, end: { Line: number; Column: number }): string {
  const lines = text.split('\n');
  const offset = (p: { Line: number; Column: number }) => lines.slice(0, p.Line - 1).reduce((n, l) => n + l.length + 1, 0) + p.Column - 1;
  return text.slice(offset(start), offset(end));
}

describe('the IAM policy simulator through the aws CLI', () => {
  let w: RunningWharf;
  let dir: string;
  let readerEnv: Record<string, string>;
  let ok = true;
  before(async () => {
    w = await startWharf();
    dir = mkdtempSync(join(tmpdir(), 'wharf-iam-simulate-'));
  });
  after(async () => {
    await w?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, text: string) => fileArg(dir, name, text);

  const iam = (...args: string[]) => awsJson(iamEnv(w), 'iam', ...args);
  const iamError = (...args: string[]) => awsError(iamEnv(w), 'iam', ...args);

  /** Skips without the aws CLI (fails under WHARF_REQUIRE_TOOLS=1), and skips the rest once a step failed. */
  function ready(t: TestContext): boolean {
    if (!requireTools(t, 'aws')) return false;
    if (!ok) { t.skip('an earlier step failed'); return false; }
    return true;
  }
  function step(name: string, fn: () => Promise<void>): void {
    test(name, { timeout: 120_000 }, async (t) => {
      if (!ready(t)) return;
      try { await fn(); } catch (e) { ok = false; throw e; }
    });
  }

  step('setup: user reader with AmazonEC2ContainerRegistryReadOnly and an inline Deny, user pusher with conditions, two repositories', async () => {
    await iam('create-user', '--user-name', 'reader');
    await Promise.all([
      iam('attach-user-policy', '--user-name', 'reader', '--policy-arn', RO_ARN),
      iam('create-user', '--user-name', 'pusher'),
      awsJson(w.awsEnv, 'ecr', 'create-repository', '--repository-name', 'prod/app', '--region', REGION),
      awsJson(w.awsEnv, 'ecr', 'create-repository', '--repository-name', 'dev/app', '--region', REGION),
    ]);
    await Promise.all([
      iam('put-user-policy', '--user-name', 'reader', '--policy-name', 'guard', '--policy-document', file('guard.json', GUARD)),
      iam('put-user-policy', '--user-name', 'pusher', '--policy-name', 'ci-push', '--policy-document', file('ci-push.json', CI_PUSH)),
    ]);
    const key = (await iam('create-access-key', '--user-name', 'reader')).AccessKey;
    readerEnv = { ...iamEnv(w), AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey };
  });

  step('simulate-principal-policy: ecr:BatchGetImage allowed by AmazonEC2ContainerRegistryReadOnly, ecr:PutImage implicitDeny', async () => {
    const out = await iam('simulate-principal-policy', '--policy-source-arn', READER, '--action-names', 'ecr:BatchGetImage', 'ecr:PutImage');
    const [get, put] = out.EvaluationResults;
    assert.deepEqual([get.EvalActionName, get.EvalResourceName, get.EvalDecision], ['ecr:BatchGetImage', '*', 'allowed']);
    assert.equal(get.MatchedStatements.length, 1);
    const [m] = get.MatchedStatements;
    assert.deepEqual([m.SourcePolicyId, m.SourcePolicyType], ['AmazonEC2ContainerRegistryReadOnly', 'IAM Policy']);
    const managed = (await iam('get-policy-version', '--policy-arn', RO_ARN, '--version-id', 'v1')).PolicyVersion.Document;
    const text = JSON.stringify(managed, null, 4);
    assert.deepEqual(JSON.parse(between(text, m.StartPosition, m.EndPosition)), managed.Statement[0], 'the positions cut the statement out of the policy');
    assert.deepEqual(get.MissingContextValues, []);
    assert.deepEqual(put, { EvalActionName: 'ecr:PutImage', EvalResourceName: '*', EvalDecision: 'implicitDeny', MatchedStatements: [], MissingContextValues: [] });
  });

  step('the inline Deny with its Sid is the matched statement of an explicitDeny; the request it predicts is refused in the same words', async () => {
    const out = await iam('simulate-principal-policy', '--policy-source-arn', READER, '--action-names', 'ecr:BatchGetImage', '--resource-arns', repoArn('prod/app'), repoArn('dev/app'));
    const [prod, dev] = out.EvaluationResults;
    assert.deepEqual([prod.EvalResourceName, prod.EvalDecision, dev.EvalResourceName, dev.EvalDecision], [repoArn('prod/app'), 'explicitDeny', repoArn('dev/app'), 'allowed']);
    assert.equal(prod.MatchedStatements.length, 1, 'the Deny alone, not the managed policy\'s Allow');
    const [deny] = prod.MatchedStatements;
    assert.deepEqual([deny.SourcePolicyId, deny.SourcePolicyType], ['user_reader_guard', 'IAM Policy']);
    const cut = between(GUARD, deny.StartPosition, deny.EndPosition);
    assert.deepEqual(JSON.parse(cut.replace(/^,/, '')), { Sid: 'NoProdPulls', Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/prod/*` });
    assert.deepEqual(prod.ResourceSpecificResults, [{ EvalResourceName: repoArn('prod/app'), EvalResourceDecision: 'explicitDeny', MatchedStatements: [deny], MissingContextValues: [] }]);
    // The user itself: refused on prod in the explicit-deny wording, served on dev.
    const refused = await awsError(readerEnv, 'ecr', 'batch-get-image', '--repository-name', 'prod/app', '--image-ids', 'imageTag=v1', '--region', REGION);
    assert.deepEqual(refused, { code: 'AccessDeniedException',
      message: `User: ${READER} is not authorized to perform: ecr:BatchGetImage on resource: ${repoArn('prod/app')} with an explicit deny in an identity-based policy` });
    const served = await awsJson(readerEnv, 'ecr', 'batch-get-image', '--repository-name', 'dev/app', '--image-ids', 'imageTag=v1', '--region', REGION);
    assert.deepEqual(served.failures.map((f: { failureCode: string }) => f.failureCode), ['ImageNotFound']);
  });

  step('--context-entries change decisions: the missing aws:SourceIp is reported, a CI address allows, plain HTTP denies', async () => {
    const simulate = async (...entries: string[]) => (await iam('simulate-principal-policy', '--policy-source-arn', PUSHER, '--action-names', 'ecr:PutImage',
      ...(entries.length > 0 ? ['--context-entries', ...entries] : []))).EvaluationResults[0];
    const bare = await simulate();
    assert.deepEqual([bare.EvalDecision, bare.MissingContextValues], ['implicitDeny', ['aws:SourceIp', 'aws:SecureTransport']]);
    const ci = 'ContextKeyName=aws:SourceIp,ContextKeyValues=10.1.2.3,ContextKeyType=ip';
    const fromCi = await simulate(ci);
    assert.deepEqual([fromCi.EvalDecision, fromCi.MatchedStatements.map((m: { SourcePolicyId: string }) => m.SourcePolicyId), fromCi.MissingContextValues],
      ['allowed', ['user_pusher_ci-push'], ['aws:SecureTransport']]);
    const plain = await simulate(ci, 'ContextKeyName=aws:SecureTransport,ContextKeyValues=false,ContextKeyType=boolean');
    assert.equal(plain.EvalDecision, 'explicitDeny');
    assert.match(between(CI_PUSH, plain.MatchedStatements[0].StartPosition, plain.MatchedStatements[0].EndPosition), /"Sid": "TlsOnly"/);
    assert.equal((await simulate('ContextKeyName=aws:SourceIp,ContextKeyValues=192.0.2.1,ContextKeyType=ip')).EvalDecision, 'implicitDeny');
  });

  step('simulate-custom-policy answers the aws CLI\'s documented examples as documented (positions to the column)', async () => {
    const simulate = (date: string) => iam('simulate-custom-policy', '--policy-input-list', DOC_EXAMPLE, '--action-names', 'dynamodb:CreateBackup',
      '--context-entries', `ContextKeyName='aws:CurrentTime',ContextKeyValues='${date}',ContextKeyType=date`);
    assert.deepEqual(await simulate('2019-04-25T11:00:00Z'), { EvaluationResults: [{
      EvalActionName: 'dynamodb:CreateBackup', EvalResourceName: '*', EvalDecision: 'allowed',
      MatchedStatements: [{ SourcePolicyId: 'PolicyInputList.1', SourcePolicyType: 'IAM Policy', StartPosition: { Line: 1, Column: 38 }, EndPosition: { Line: 1, Column: 167 } }],
      MissingContextValues: [],
    }] });
    assert.deepEqual(await simulate('2014-04-25T11:00:00Z'), { EvaluationResults: [{
      EvalActionName: 'dynamodb:CreateBackup', EvalResourceName: '*', EvalDecision: 'implicitDeny', MatchedStatements: [], MissingContextValues: [],
    }] });
  });

  step('simulate-custom-policy with a resource policy, a caller and a boundary: EvalDecisionDetails and the boundary\'s detail', async () => {
    const repoPolicy = JSON.stringify({ Version: '2008-10-17', Statement: [{ Sid: 'NoDevPulls', Effect: 'Deny', Principal: '*', Action: 'ecr:BatchGetImage' }] });
    const out = await iam('simulate-custom-policy', '--policy-input-list', pretty({ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }),
      '--permissions-boundary-policy-input-list', pretty({ Effect: 'Allow', Action: 'ecr:Batch*', Resource: '*' }),
      '--action-names', 'ecr:BatchGetImage', 'ecr:PutImage', '--resource-arns', repoArn('dev/app'), '--resource-policy', repoPolicy, '--caller-arn', READER);
    const [get, put] = out.EvaluationResults;
    assert.deepEqual([get.EvalDecision, get.EvalDecisionDetails, get.PermissionsBoundaryDecisionDetail], ['explicitDeny', { 'IAM Policy': 'allowed', 'Resource Policy': 'explicitDeny' }, { AllowedByPermissionsBoundary: true }]);
    assert.deepEqual(get.MatchedStatements.map((m: { SourcePolicyId: string; SourcePolicyType: string }) => [m.SourcePolicyId, m.SourcePolicyType]), [['ResourcePolicy', 'Resource Policy']]);
    assert.deepEqual([put.EvalDecision, put.EvalDecisionDetails, put.PermissionsBoundaryDecisionDetail], ['implicitDeny', { 'IAM Policy': 'allowed', 'Resource Policy': 'implicitDeny' }, { AllowedByPermissionsBoundary: false }]);
  });

  step('paging: --page-size walks every Marker in order; --max-items stops with a NextToken', async () => {
    const args = ['simulate-principal-policy', '--policy-source-arn', READER, '--action-names', 'ecr:BatchGetImage', 'ecr:PutImage', '--resource-arns', repoArn('prod/app'), repoArn('dev/app')];
    const all = (await iam(...args, '--page-size', '1')).EvaluationResults;
    assert.deepEqual(all.map((r: { EvalActionName: string; EvalResourceName: string; EvalDecision: string }) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]), [
      ['ecr:BatchGetImage', repoArn('prod/app'), 'explicitDeny'], ['ecr:BatchGetImage', repoArn('dev/app'), 'allowed'],
      ['ecr:PutImage', repoArn('prod/app'), 'implicitDeny'], ['ecr:PutImage', repoArn('dev/app'), 'implicitDeny'],
    ]);
    const first = await iam(...args, '--max-items', '3');
    assert.equal(first.EvaluationResults.length, 3);
    assert.ok(first.NextToken, 'more to come');
    const rest = await iam(...args, '--max-items', '3', '--starting-token', first.NextToken);
    assert.deepEqual(rest.EvaluationResults, all.slice(3));
  });

  step('get-context-keys-for-principal-policy and get-context-keys-for-custom-policy (the CLI\'s documented example)', async () => {
    assert.deepEqual(await iam('get-context-keys-for-principal-policy', '--policy-source-arn', PUSHER), { ContextKeyNames: ['aws:SourceIp', 'aws:SecureTransport'] });
    const example = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}';
    assert.deepEqual(await iam('get-context-keys-for-custom-policy', '--policy-input-list', example), { ContextKeyNames: ['aws:username', 'aws:CurrentTime'] });
  });

  step('IAM\'s errors: MalformedPolicyDocument, InvalidInput for a ContextKeyType, NoSuchEntity for an unknown or foreign principal', async () => {
    assert.deepEqual(await iamError('simulate-custom-policy', '--policy-input-list', '{"Version":"2012-10-17"}', '--action-names', 'ecr:ListImages'),
      { code: 'MalformedPolicyDocument', message: 'Syntax errors in policy.' });
    const badType = await iamError('simulate-custom-policy', '--policy-input-list', DOC_EXAMPLE, '--action-names', 'ecr:ListImages',
      '--context-entries', 'ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ipaddress');
    assert.equal(badType.code, 'InvalidInput');
    assert.match(badType.message, /^The ContextKeyType ipaddress of context key aws:SourceIp is not one of string, stringList, numeric/);
    assert.deepEqual(await iamError('simulate-principal-policy', '--policy-source-arn', `arn:aws:iam::${ACCOUNT}:user/nobody`, '--action-names', 'ecr:ListImages'),
      { code: 'NoSuchEntity', message: 'The user with name nobody cannot be found.' });
    assert.deepEqual(await iamError('simulate-principal-policy', '--policy-source-arn', 'arn:aws:iam::111111111111:user/reader', '--action-names', 'ecr:ListImages'),
      { code: 'NoSuchEntity', message: 'The user with name reader cannot be found.' });
  });

  step('who may simulate: iam:SimulatePrincipalPolicy on the principal\'s ARN, iam:SimulateCustomPolicy on *', async () => {
    const args = ['iam', 'simulate-principal-policy', '--policy-source-arn', READER, '--action-names', 'ecr:BatchGetImage', '--resource-arns', repoArn('prod/app')];
    assert.deepEqual(await awsError(readerEnv, ...args), { code: 'AccessDenied',
      message: `User: ${READER} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${READER} because no identity-based policy allows the iam:SimulatePrincipalPolicy action` });
    await iam('put-user-policy', '--user-name', 'reader', '--policy-name', 'why', '--policy-document',
      file('why.json', pretty({ Effect: 'Allow', Action: 'iam:SimulatePrincipalPolicy', Resource: '${aws:PrincipalArn}' })));
    const self = await awsJson(readerEnv, ...args);
    assert.deepEqual([self.EvaluationResults[0].EvalDecision, self.EvaluationResults[0].MatchedStatements[0].SourcePolicyId], ['explicitDeny', 'user_reader_guard']);
    assert.equal((await awsError(readerEnv, 'iam', 'simulate-principal-policy', '--policy-source-arn', PUSHER, '--action-names', 'ecr:PutImage')).code, 'AccessDenied', 'not on another user');
    assert.equal((await awsError(readerEnv, 'iam', 'simulate-custom-policy', '--policy-input-list', DOC_EXAMPLE, '--action-names', 'ecr:PutImage')).code, 'AccessDenied');
  });
});
