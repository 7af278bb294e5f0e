// IAM's policy-document checks: each MalformedPolicyDocument text for identity, trust, boundary,
// session and (policy simulator) resource documents, the size rule (white space not counted), and that good documents come back
// with Statement as a list.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WharfError } from '../../src/domain/errors.ts';
import { iamPolicySize, parseIamPolicy, type IamPolicyKind } from '../../src/domain/aws/iam-policy.ts';

const allow = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: '*', ...extra });
const trustSt = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole', ...extra });
const doc = (statement: unknown, top: Record<string, unknown> = { Version: '2012-10-17' }) => JSON.stringify({ ...top, Statement: statement });

function rejects(text: string, kind: IamPolicyKind, message: string): void {
  assert.throws(() => parseIamPolicy(text, kind), (e: unknown) => {
    assert.ok(e instanceof WharfError, String(e));
    assert.equal(e.spec.query, 'MalformedPolicyDocument');
    assert.equal(e.status, 400);
    assert.equal(e.message, message);
    return true;
  });
}

describe('identity policies', () => {
  test('accepts a statement object or list, NotAction/NotResource, conditions with every operator form', () => {
    const d = parseIamPolicy(doc(allow()), 'identity');
    assert.deepEqual(d, { Version: '2012-10-17', Statement: [allow()] });
    parseIamPolicy(doc([allow({ Sid: 'a' }), { Effect: 'Deny', NotAction: ['ecr:Put*'], NotResource: 'arn:aws:ecr:*:*:repository/x', Sid: '' }, allow({ Sid: '' })]), 'identity');
    parseIamPolicy(doc([allow({ Condition: {
      StringEquals: { 'aws:username': '${aws:username}' }, 'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*', 'b'] }, BoolIfExists: { 'aws:SecureTransport': true },
      NumericLessThan: { 'aws:MultiFactorAuthAge': 3600 }, DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' }, Null: { 'aws:TokenIssueTime': 'false' },
    } })]), 'identity');
    assert.deepEqual(parseIamPolicy(doc(allow(), { Version: '2012-10-17', Id: 'x' }), 'session').Id, 'x');
  });

  test('Syntax errors in policy.', () => {
    for (const text of [
      'not json', '[]', doc([]), JSON.stringify({ Version: '2012-10-17' }), doc(allow(), { Version: '2012-10-17', Extra: 1 }),
      doc(allow(), { Version: '2013-01-01' }), doc(allow(), { Version: '2012-10-17', Id: 5 }), doc(['x']),
      doc(allow({ Foo: 1 })), doc(allow({ Effect: 'Maybe' })), doc({ Action: 'a:b', Resource: '*' }), doc(allow({ NotAction: 'a:b' })),
      doc(allow({ NotResource: '*' })), doc(allow({ Action: [1] })), doc(allow({ Resource: { a: 1 } })), doc(allow({ Sid: 3 })),
      doc(allow({ Condition: 'x' })), doc(allow({ Condition: { StringEquals: 'x' } })), doc(allow({ Condition: { StringEquals: { k: { nested: 1 } } } })),
      doc(allow({ Condition: { StringEqualz: { k: 'v' } } })), doc(trustSt({ Principal: { Nobody: 'x' } })), doc(trustSt({ Principal: 'me' })),
    ]) rejects(text, 'identity', 'Syntax errors in policy.');
  });

  test('an unknown condition operator with an empty block is accepted, as IAM does', () => {
    parseIamPolicy(doc(allow({ Condition: { StringEqualz: {} } })), 'identity');
  });

  test('Policy document must be version 2012-10-17 or greater.', () => {
    rejects(doc(allow(), {}), 'identity', 'Policy document must be version 2012-10-17 or greater.');
    rejects(doc(allow(), { Version: '2008-10-17' }), 'boundary', 'Policy document must be version 2012-10-17 or greater.');
    rejects(doc(allow(), { Version: '2008-10-17' }), 'session', 'Policy document must be version 2012-10-17 or greater.');
  });

  test('The policy failed legacy parsing (Effect spelled in another case, unreadable dates)', () => {
    rejects(doc(allow({ Effect: 'allow' })), 'identity', 'The policy failed legacy parsing');
    rejects(doc(allow({ Condition: { DateLessThan: { 'aws:CurrentTime': 'soon' } } })), 'identity', 'The policy failed legacy parsing');
  });

  test('Statement IDs (SID) in a single policy must be unique.', () => {
    rejects(doc([allow({ Sid: 'a' }), allow({ Sid: 'a' })]), 'identity', 'Statement IDs (SID) in a single policy must be unique.');
  });

  test('Policy statement must contain actions.', () => {
    rejects(doc({ Effect: 'Allow', Resource: '*' }), 'identity', 'Policy statement must contain actions.');
    rejects(doc(allow({ Action: [] })), 'identity', 'Policy statement must contain actions.');
  });

  test('Policy document should not specify a principal.', () => {
    rejects(doc(allow({ Principal: '*' })), 'identity', 'Policy document should not specify a principal.');
    rejects(doc(allow({ NotPrincipal: { AWS: '123456789012' } })), 'boundary', 'Policy document should not specify a principal.');
  });

  test('Policy statement must contain resources.', () => {
    rejects(doc({ Effect: 'Allow', Action: 'ecr:*' }), 'identity', 'Policy statement must contain resources.');
    rejects(doc(allow({ Resource: [] })), 'session', 'Policy statement must contain resources.');
  });

  test('Resource X must be in ARN format or "*".', () => {
    rejects(doc(allow({ Resource: ['*', 'my-repo'] })), 'identity', 'Resource my-repo must be in ARN format or "*".');
  });

  test('action vendors', () => {
    rejects(doc(allow({ Action: 'GetObject' })), 'identity', 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    rejects(doc(allow({ Action: 'ecr:a:b' })), 'identity', 'Actions/Condition can contain only one colon.');
    rejects(doc(allow({ Action: 'e cr:Get' })), 'identity', 'Vendor e cr is not valid');
  });
});

describe('trust policies', () => {
  test('accepts the usual service, account, OIDC and wildcard forms; Version 2008-10-17 or none', () => {
    parseIamPolicy(doc(trustSt()), 'trust');
    parseIamPolicy(doc([trustSt({ Principal: { AWS: ['arn:aws:iam::123456789012:root'] }, Action: ['sts:AssumeRole', 'sts:TagSession'] }),
      trustSt({ Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/*' } } }), trustSt({ Action: 'sts:*' })]), 'trust');
    assert.equal(parseIamPolicy(doc(trustSt(), { Version: '2008-10-17' }), 'trust').Version, '2008-10-17');
    assert.equal(parseIamPolicy(doc(trustSt(), {}), 'trust').Version, '2008-10-17');
  });

  test('Has prohibited field Resource.', () => {
    rejects(doc(trustSt({ Resource: '*' })), 'trust', 'Has prohibited field Resource.');
    rejects(doc(trustSt({ NotResource: '*' })), 'trust', 'Has prohibited field Resource.');
  });

  test('Missing required field Principal.', () => {
    rejects(doc({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', 'Missing required field Principal.');
  });

  test('AssumeRole policy may only specify STS AssumeRole actions.', () => {
    rejects(doc(trustSt({ Action: 'ecr:*' })), 'trust', 'AssumeRole policy may only specify STS AssumeRole actions.');
    rejects(doc(trustSt({ Action: '*' })), 'trust', 'AssumeRole policy may only specify STS AssumeRole actions.');
    rejects(doc(trustSt({ Action: undefined, NotAction: 'sts:AssumeRole' })), 'trust', 'AssumeRole policy may only specify STS AssumeRole actions.');
  });

  test('the shared checks apply too', () => {
    rejects('{', 'trust', 'Syntax errors in policy.');
    rejects(doc(trustSt(), { Version: '2007-01-01' }), 'trust', 'Syntax errors in policy.');
    rejects(doc(trustSt({ Action: [] })), 'trust', 'Policy statement must contain actions.');
  });
});

describe('resource policies (the policy simulator\'s ResourcePolicy)', () => {
  const repoSt = (extra: Record<string, unknown> = {}) => ({ Sid: 'Pull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'ecr:BatchGetImage', ...extra });
  test('a repository policy (no Resource, Version 2008-10-17 or none), a bucket-style one with Resource, NotPrincipal', () => {
    assert.equal(parseIamPolicy(doc(repoSt(), { Version: '2008-10-17' }), 'resource').Version, '2008-10-17');
    assert.equal(parseIamPolicy(doc([repoSt()], {}), 'resource').Version, '2008-10-17');
    parseIamPolicy(doc([repoSt({ Resource: 'arn:aws:s3:::bucket/*', Action: 's3:GetObject' }), repoSt({ Sid: 'Not', Effect: 'Deny', Principal: undefined, NotPrincipal: { AWS: '123456789012' } })]), 'resource');
  });
  test('Missing required field Principal.; Resource X must be in ARN format or "*".; the shared checks', () => {
    rejects(doc({ Effect: 'Allow', Action: 'ecr:*' }), 'resource', 'Missing required field Principal.');
    rejects(doc(repoSt({ Resource: 'bucket' })), 'resource', 'Resource bucket must be in ARN format or "*".');
    rejects(doc([repoSt(), repoSt()]), 'resource', 'Statement IDs (SID) in a single policy must be unique.');
    rejects('[]', 'resource', 'Syntax errors in policy.');
  });
});

test('iamPolicySize does not count white space', () => {
  assert.equal(iamPolicySize('{ "a" :\n\t"b c" }'), 10);
});
