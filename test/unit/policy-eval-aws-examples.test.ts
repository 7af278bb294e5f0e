// AWS's own worked examples of IAM evaluation as table tests. Each case cites the page of the IAM User
// Guide it comes from (archived repository awsdocs/iam-user-guide, doc_source/<file>.md, read for this
// test; the current docs.aws.amazon.com page where it is newer) and states the outcome that page gives.
// Policies are transcribed from the pages; S3/IAM/DynamoDB actions are fine here, the evaluator is
// service-agnostic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluate, type Decision, type DecisionReason, type EvalRequest } from '../../src/domain/aws/policy-eval.ts';
import type { PolicyStatement } from '../../src/domain/aws/policy.ts';
import { policy, request, session, user } from '../helpers/iam.ts';

interface Case {
  name: string;
  req: EvalRequest;
  decision: Decision;
  reason?: DecisionReason;
}

function table(source: string, cases: Case[]): void {
  describe(source, () => {
    for (const c of cases) {
      test(c.name, () => {
        const r = evaluate(c.req);
        assert.equal(r.decision, c.decision, `${c.name}: decision (reason ${r.reason})`);
        if (c.reason) assert.equal(r.reason, c.reason, `${c.name}: reason`);
      });
    }
  });
}

// --- reference_policies_evaluation-logic.md, "Example identity-based and resource-based policy evaluation"
const CARLOS_ACCOUNT = '123456789012';
const carlos = user('carlossalazar', CARLOS_ACCOUNT);
const carlosIdentity = policy('carlossalazar/inline',
  { Sid: 'AllowS3ListRead', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:GetAccountPublicAccessBlock', 's3:ListAccessPoints', 's3:ListAllMyBuckets'], Resource: 'arn:aws:s3:::*' },
  { Sid: 'AllowS3Self', Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'] },
  { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
);
const carlosBucketPolicy = policy('bucket/carlossalazar', {
  Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/carlossalazar' }, Action: 's3:*', Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'],
});
const carlosReq = (resource: string, extra: Partial<EvalRequest> = {}) => request({
  principal: carlos, action: 's3:PutObject', resource, resourceAccount: CARLOS_ACCOUNT, identityPolicies: [carlosIdentity], ...extra,
});

const interplay = policy('AllowGetListDenyReports',
  { Sid: 'AllowGetList', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
  { Sid: 'DenyReports', Effect: 'Deny', Action: 'iam:*Report', Resource: '*' },
);
const iamReq = (action: string, extra: Partial<EvalRequest> = {}) => request({ action, resource: '*', identityPolicies: [interplay], ...extra });

table('reference_policies_evaluation-logic.md: Carlos in one account, explicit and implicit denies', [
  { name: 'PutObject into carlossalazar-logs is denied by DenyS3Logs (the * in *log* spans the object key)', req: carlosReq('arn:aws:s3:::carlossalazar-logs/file.txt', { resourcePolicies: [] }), decision: 'ExplicitDeny', reason: 'explicit-identity' },
  { name: 'PutObject into carlossalazar is allowed by both policies', req: carlosReq('arn:aws:s3:::carlossalazar/file.txt', { resourcePolicies: [carlosBucketPolicy] }), decision: 'Allow' },
  { name: '"If one of the policy types allows the request and the other doesn\'t, the request is still allowed": bucket policy alone', req: carlosReq('arn:aws:s3:::carlossalazar/file.txt', { identityPolicies: [], resourcePolicies: [carlosBucketPolicy] }), decision: 'Allow', reason: 'resource' },
  { name: '… identity policy alone', req: carlosReq('arn:aws:s3:::carlossalazar/file.txt'), decision: 'Allow', reason: 'identity' },
  { name: 'AllowGetList allows iam:GetUser', req: iamReq('iam:GetUser'), decision: 'Allow' },
  { name: 'iam:CreatePolicy is implicitly denied', req: iamReq('iam:CreatePolicy'), decision: 'ImplicitDeny', reason: 'identity' },
  { name: 'iam:GetOrganizationsAccessReport is explicitly denied by DenyReports', req: iamReq('iam:GetOrganizationsAccessReport'), decision: 'ExplicitDeny' },
  { name: 'another policy granting iam:GenerateCredentialReport does not beat DenyReports', req: iamReq('iam:GenerateCredentialReport', { identityPolicies: [interplay, policy('reports', { Effect: 'Allow', Action: 'iam:GenerateCredentialReport', Resource: '*' })] }), decision: 'ExplicitDeny' },
  { name: 'by default requests are denied, except for the root user, which has full access', req: request({ principal: { arn: 'arn:aws:iam::111111111111:root', accountId: '111111111111', kind: 'root' } }), decision: 'Allow', reason: 'root' },
]);

// --- reference_policies_evaluation-logic-cross-account.md, "Example Cross-Account Policy Evaluation"
const carlosX = user('carlossalazar', '111111111111');
const carlosXIdentity = policy('carlossalazar/inline',
  { Sid: 'AllowS3ListRead', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
  { Sid: 'AllowS3ProductionObjectActions', Effect: 'Allow', Action: 's3:*Object*', Resource: 'arn:aws:s3:::Production/*' },
  { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::*log*', 'arn:aws:s3:::*log*/*'] },
);
const productionPolicy = policy('bucket/Production', {
  Effect: 'Allow', Action: ['s3:GetObject*', 's3:PutObject*', 's3:ReplicateObject', 's3:RestoreObject'],
  Principal: { AWS: 'arn:aws:iam::111111111111:user/carlossalazar' }, Resource: 'arn:aws:s3:::Production/*',
});
const crossReq = (action: string, resource: string, resourcePolicies = [productionPolicy]) => request({
  principal: carlosX, action, resource, resourceAccount: '222222222222', identityPolicies: [carlosXIdentity], resourcePolicies,
});

table('reference_policies_evaluation-logic-cross-account.md: Carlos in 111111111111, buckets in 222222222222', [
  { name: 'saving to Production-logs (no bucket policy) is denied by DenyS3Logs in the trusted account', req: crossReq('s3:PutObject', 'arn:aws:s3:::Production-logs/file.txt', []), decision: 'ExplicitDeny', reason: 'explicit-identity' },
  { name: 'saving to Production is allowed: both accounts allow', req: crossReq('s3:PutObject', 'arn:aws:s3:::Production/file.txt'), decision: 'Allow' },
  { name: 'he "can create and edit, but not delete the objects": the bucket policy does not allow DeleteObject', req: crossReq('s3:DeleteObject', 'arn:aws:s3:::Production/file.txt'), decision: 'ImplicitDeny', reason: 'resource' },
  { name: 'the bucket policy alone is not enough across accounts', req: request({ principal: carlosX, action: 's3:PutObject', resource: 'arn:aws:s3:::Production/file.txt', resourceAccount: '222222222222', resourcePolicies: [productionPolicy] }), decision: 'ImplicitDeny', reason: 'identity' },
]);

// --- access_policies_boundaries.md: ShirleyRodriguez, and "Evaluating Effective Permissions with Boundaries"
const shirley = user('ShirleyRodriguez');
const shirleyBoundary = policy('boundary', { Effect: 'Allow', Action: ['s3:*', 'cloudwatch:*', 'ec2:*'], Resource: '*' });
const shirleyReq = (action: string, identity: PolicyStatement, extra: Partial<EvalRequest> = {}) => request({
  principal: shirley, action, resource: '*', identityPolicies: [policy('perm', identity)], permissionsBoundary: shirleyBoundary, ...extra,
});
// The Zhang example: DelegatedUserBoundary (boundary) and the "IAM" statement of DelegatedUserPermissions.
const delegatedUserBoundary = policy('DelegatedUserBoundary',
  { Sid: 'CreateOrChangeOnlyWithBoundary', Effect: 'Allow', Action: ['iam:CreateUser', 'iam:DeleteUserPolicy', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:PutUserPermissionsBoundary'], Resource: '*',
    Condition: { StringEquals: { 'iam:PermissionsBoundary': 'arn:aws:iam::111122223333:policy/XCompanyBoundaries' } } },
  { Sid: 'CloudWatchAndOtherIAMTasks', Effect: 'Allow', Action: ['cloudwatch:*', 'iam:GetUser', 'iam:ListUsers', 'iam:DeleteUser', 'iam:UpdateUser', 'iam:*Group*'], Resource: '*' },
  { Sid: 'NoBoundaryPolicyEdit', Effect: 'Deny', Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
    Resource: ['arn:aws:iam::123456789012:policy/XCompanyBoundaries', 'arn:aws:iam::123456789012:policy/DelegatedUserBoundary'] },
  { Sid: 'NoBoundaryUserDelete', Effect: 'Deny', Action: 'iam:DeleteUserPermissionsBoundary', Resource: '*' },
);
const zhangReq = (action: string, resource: string, context = {}) => request({
  principal: user('Zhang', '123456789012'), action, resource, resourceAccount: '123456789012', context,
  identityPolicies: [policy('DelegatedUserPermissions', { Sid: 'IAM', Effect: 'Allow', Action: 'iam:*', Resource: '*' })], permissionsBoundary: delegatedUserBoundary,
});

table('access_policies_boundaries.md: boundaries limit identity policies, not same-account resource policies', [
  { name: 'Shirley may not iam:CreateUser although her permissions policy allows it', req: shirleyReq('iam:CreateUser', { Effect: 'Allow', Action: 'iam:CreateUser', Resource: '*' }), decision: 'ImplicitDeny', reason: 'boundary' },
  { name: 'an S3 action allowed by both her policy and the boundary is allowed', req: shirleyReq('s3:ListAllMyBuckets', { Effect: 'Allow', Action: 's3:*', Resource: '*' }), decision: 'Allow', reason: 'identity' },
  { name: 'the boundary alone grants nothing', req: request({ principal: shirley, action: 's3:ListAllMyBuckets', resource: '*', permissionsBoundary: shirleyBoundary }), decision: 'ImplicitDeny', reason: 'identity' },
  { name: 'within an account a resource policy naming the user is not reduced by the boundary', req: request({ principal: shirley, action: 'ecr:BatchGetImage', permissionsBoundary: shirleyBoundary,
    resourcePolicies: [policy('repo', { Effect: 'Allow', Principal: { AWS: shirley.arn }, Action: 'ecr:BatchGetImage' })] }), decision: 'Allow', reason: 'resource' },
  { name: 'Zhang may create users with the XCompanyBoundaries boundary', req: zhangReq('iam:CreateUser', 'arn:aws:iam::123456789012:user/new', { 'iam:PermissionsBoundary': 'arn:aws:iam::111122223333:policy/XCompanyBoundaries' }), decision: 'Allow' },
  { name: '… but not without it', req: zhangReq('iam:CreateUser', 'arn:aws:iam::123456789012:user/new'), decision: 'ImplicitDeny', reason: 'boundary' },
  { name: 'NoBoundaryUserDelete: he may not delete anyone\'s boundary', req: zhangReq('iam:DeleteUserPermissionsBoundary', 'arn:aws:iam::123456789012:user/Zhang'), decision: 'ExplicitDeny', reason: 'explicit-boundary' },
  { name: 'NoBoundaryPolicyEdit: he may not change the boundary policy', req: zhangReq('iam:CreatePolicyVersion', 'arn:aws:iam::123456789012:policy/XCompanyBoundaries'), decision: 'ExplicitDeny' },
]);

// --- reference_policies_evaluation-logic.md, "Resource-based policies and implicit denies in other policy types (same account)"
const ciSession = session('examplerole', 'examplerolesessionname');
const repoPolicyFor = (arn: string) => policy('repo', { Effect: 'Allow', Principal: { AWS: arn }, Action: 'ecr:BatchGetImage' });
const s3Only = policy('boundary', { Effect: 'Allow', Action: 's3:*', Resource: '*' });
table('reference_policies_evaluation-logic.md: which principal a resource policy names decides what limits it', [
  { name: 'IAM role ARN: limited by an implicit deny in a permissions boundary', req: request({ principal: ciSession, permissionsBoundary: s3Only, resourcePolicies: [repoPolicyFor(ciSession.arn)] }), decision: 'ImplicitDeny', reason: 'boundary' },
  { name: 'IAM role ARN: limited by an implicit deny in a session policy', req: request({ principal: ciSession, sessionPolicies: [s3Only], resourcePolicies: [repoPolicyFor(ciSession.arn)] }), decision: 'ImplicitDeny', reason: 'session' },
  { name: 'IAM role ARN without boundary or session policy: allowed', req: request({ principal: ciSession, resourcePolicies: [repoPolicyFor(ciSession.arn)] }), decision: 'Allow', reason: 'resource' },
  { name: 'role session ARN: not limited by identity policies, boundary or session policy', req: request({ principal: ciSession, permissionsBoundary: s3Only, sessionPolicies: [s3Only], resourcePolicies: [repoPolicyFor(ciSession.sessionArn!)] }), decision: 'Allow', reason: 'resource' },
  { name: 'IAM user ARN: not limited by an implicit deny in identity policies or boundary', req: request({ permissionsBoundary: s3Only, resourcePolicies: [repoPolicyFor(user().arn)] }), decision: 'Allow', reason: 'resource' },
  { name: 'session principal: a session policy that does not allow the action denies it', req: request({ principal: ciSession, identityPolicies: [policy('all', { Effect: 'Allow', Action: '*', Resource: '*' })], sessionPolicies: [s3Only] }), decision: 'ImplicitDeny', reason: 'session' },
  { name: 'role session with no session policy: allowed by its identity policies', req: request({ principal: ciSession, identityPolicies: [policy('all', { Effect: 'Allow', Action: '*', Resource: '*' })] }), decision: 'Allow', reason: 'identity' },
  { name: 'trust policies are an exception: the role\'s identity policies cannot allow sts:AssumeRole on it', req: request({ action: 'sts:AssumeRole', resource: 'arn:aws:iam::111111111111:role/target', resourcePolicyKind: 'trust',
    identityPolicies: [policy('all', { Effect: 'Allow', Action: '*', Resource: '*' })], resourcePolicies: [policy('trust', { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:user/bob' }, Action: 'sts:AssumeRole' })] }), decision: 'ImplicitDeny', reason: 'resource' },
  { name: 'KMS key policies are an exception: with no key policy statement for the account, IAM policies do not count', req: request({ action: 'kms:Decrypt', resource: 'arn:aws:kms:us-east-1:111111111111:key/k1', resourcePolicyKind: 'key',
    identityPolicies: [policy('all', { Effect: 'Allow', Action: 'kms:*', Resource: '*' })], resourcePolicies: [] }), decision: 'ImplicitDeny', reason: 'resource' },
  { name: 'a key policy naming the account delegates to IAM policies', req: request({ action: 'kms:Decrypt', resource: 'arn:aws:kms:us-east-1:111111111111:key/k1', resourcePolicyKind: 'key',
    identityPolicies: [policy('all', { Effect: 'Allow', Action: 'kms:*', Resource: '*' })], resourcePolicies: [policy('key', { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:*', Resource: '*' })] }), decision: 'Allow', reason: 'identity' },
]);

// --- reference_policies_elements_principal.md
table('reference_policies_elements_principal.md: account, user, "*" and anonymous principals', [
  { name: 'the account ARN and the account id both delegate to the account: no identity policy, no access', req: request({ resourcePolicies: [repoPolicyFor('111111111111')] }), decision: 'ImplicitDeny', reason: 'identity' },
  { name: '… with an identity policy, access (account id form)', req: request({ identityPolicies: [policy('p', { Effect: 'Allow', Action: 'ecr:*', Resource: '*' })], resourcePolicies: [repoPolicyFor('111111111111')] }), decision: 'Allow' },
  { name: '… with an identity policy, access (account ARN form; not only the root user)', req: request({ identityPolicies: [policy('p', { Effect: 'Allow', Action: 'ecr:*', Resource: '*' })], resourcePolicies: [repoPolicyFor('arn:aws:iam::111111111111:root')] }), decision: 'Allow' },
  { name: 'the user-name part of a user ARN is case-sensitive', req: request({ resourcePolicies: [repoPolicyFor('arn:aws:iam::111111111111:user/Alice')] }), decision: 'ImplicitDeny' },
  { name: '"*" with Allow: IAM users within the account need no other permission', req: request({ resourcePolicies: [repoPolicyFor('*')] }), decision: 'Allow', reason: 'resource' },
  { name: '"*" with Allow: principals in other accounts also need identity-based permission', req: request({ principal: user('bob', '222222222222'), resourcePolicies: [policy('repo', { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' })] }), decision: 'ImplicitDeny', reason: 'identity' },
  { name: '"Principal": "*" grants anonymous access', req: request({ principal: { arn: '*', accountId: '', kind: 'anonymous' }, resourcePolicies: [policy('repo', { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' })] }), decision: 'Allow' },
  { name: '{"AWS": "*"} is equivalent for anonymous users', req: request({ principal: { arn: '*', accountId: '', kind: 'anonymous' }, resourcePolicies: [repoPolicyFor('*')] }), decision: 'Allow' },
  { name: 'the ArnNotEquals aws:PrincipalArn alternative to NotPrincipal denies everyone else', req: request({ identityPolicies: [policy('p', { Effect: 'Allow', Action: '*', Resource: '*' })],
    resourcePolicies: [policy('repo', { Effect: 'Deny', Principal: '*', Action: 'ecr:*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:user/user-name' } } })] }), decision: 'ExplicitDeny', reason: 'explicit-resource' },
  { name: 'Service principals (trust policies) are matched by name', req: request({ principal: { arn: 'ecs.amazonaws.com', accountId: '', kind: 'service' }, action: 'sts:AssumeRole', resource: 'arn:aws:iam::111111111111:role/svc', resourcePolicyKind: 'trust',
    resourcePolicies: [policy('trust', { Effect: 'Allow', Principal: { Service: ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com'] }, Action: 'sts:AssumeRole' })] }), decision: 'Allow' },
]);

// --- reference_policies_elements_notprincipal.md (+ the current page's boundary rule,
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
const bob = user('Bob', '444455556666');
const notBob = policy('bucket', { Effect: 'Deny', NotPrincipal: { AWS: ['arn:aws:iam::444455556666:user/Bob', 'arn:aws:iam::444455556666:root'] }, Action: 's3:*', Resource: ['arn:aws:s3:::BUCKETNAME', 'arn:aws:s3:::BUCKETNAME/*'] });
const bucketAllow = policy('bucket-allow', { Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::BUCKETNAME/*' });
const bucketReq = (principal = bob, extra: Partial<EvalRequest> = {}) => request({ principal, action: 's3:GetObject', resource: 'arn:aws:s3:::BUCKETNAME/key', identityPolicies: [policy('p', { Effect: 'Allow', Action: 's3:*', Resource: '*' })], resourcePolicies: [notBob, bucketAllow], ...extra });
table('reference_policies_elements_notprincipal.md: Deny with NotPrincipal', [
  { name: 'Bob (and his account) are not denied; another statement allows him', req: bucketReq(), decision: 'Allow' },
  { name: 'everyone else is explicitly denied', req: bucketReq(user('Eve', '444455556666')), decision: 'ExplicitDeny', reason: 'explicit-resource' },
  { name: 'the NotPrincipal statement by itself does not grant Bob access', req: bucketReq(bob, { identityPolicies: [], resourcePolicies: [notBob] }), decision: 'ImplicitDeny' },
  { name: 'without the account ARN in the list, AWS may deny Bob at the account level: Wharf does', req: bucketReq(bob, { resourcePolicies: [bucketAllow,
    policy('bucket', { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::444455556666:user/Bob' }, Action: 's3:*', Resource: 'arn:aws:s3:::BUCKETNAME/*' })] }), decision: 'ExplicitDeny' },
  { name: 'a session is exempt when its session, role and account are all listed', req: bucketReq(session('cross-account-read-only-role', 'cross-account-audit-app', '444455556666'), { resourcePolicies: [bucketAllow,
    policy('audit', { Effect: 'Deny', NotPrincipal: { AWS: ['arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app', 'arn:aws:iam::444455556666:role/cross-account-read-only-role', 'arn:aws:iam::444455556666:root'] }, Action: 's3:*', Resource: 'arn:aws:s3:::BUCKETNAME/*' })] }), decision: 'Allow' },
  { name: '… and denied when the role is missing from the list', req: bucketReq(session('cross-account-read-only-role', 'cross-account-audit-app', '444455556666'), { resourcePolicies: [bucketAllow,
    policy('audit', { Effect: 'Deny', NotPrincipal: { AWS: ['arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app', 'arn:aws:iam::444455556666:root'] }, Action: 's3:*', Resource: 'arn:aws:s3:::BUCKETNAME/*' })] }), decision: 'ExplicitDeny' },
  { name: 'a principal with a permissions boundary is always denied, whatever NotPrincipal lists', req: bucketReq(bob, { permissionsBoundary: policy('b', { Effect: 'Allow', Action: '*', Resource: '*' }) }), decision: 'ExplicitDeny' },
]);

// --- reference_policies_multi-value-conditions.md (the page writes "Action": "GetItem"; dynamodb: added)
const threadArn = 'arn:aws:dynamodb:us-east-1:111111111111:table/Thread';
const forAll = policy('forAll', { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: threadArn, Condition: { 'ForAllValues:StringLike': { 'dynamodb:requestedAttributes': ['PostDateTime', 'Message', 'Tags'] } } });
const forAny = policy('forAny', { Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: threadArn, Condition: { 'ForAnyValue:StringLike': { 'dynamodb:requestedAttributes': ['ID', 'PostDateTime'] } } });
const allowPut = policy('put', { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: threadArn });
const ddb = (action: string, attrs: string[] | undefined, policies = [forAll]) => request({ action, resource: threadArn, identityPolicies: policies, context: attrs ? { 'dynamodb:requestedAttributes': attrs } : {} });
table('reference_policies_multi-value-conditions.md: ForAllValues and ForAnyValue', [
  { name: 'ForAllValues: PostDateTime and Message are all listed → allowed', req: ddb('dynamodb:GetItem', ['PostDateTime', 'Message']), decision: 'Allow' },
  { name: 'ForAllValues: PostDateTime and UserName → UserName matches nothing → not allowed', req: ddb('dynamodb:GetItem', ['PostDateTime', 'UserName']), decision: 'ImplicitDeny' },
  { name: 'ForAllValues: a request including ID fails', req: ddb('dynamodb:GetItem', ['ID', 'Message']), decision: 'ImplicitDeny' },
  { name: 'ForAllValues on an empty data set returns true', req: ddb('dynamodb:GetItem', []), decision: 'Allow' },
  { name: 'ForAnyValue Deny: UserName, Message, PostDateTime → PostDateTime matches → denied', req: ddb('dynamodb:PutItem', ['UserName', 'Message', 'PostDateTime'], [forAny, allowPut]), decision: 'ExplicitDeny' },
  { name: 'ForAnyValue Deny: only UserName → not denied by this policy', req: ddb('dynamodb:PutItem', ['UserName'], [forAny, allowPut]), decision: 'Allow' },
  { name: 'ForAnyValue on an empty data set returns false', req: ddb('dynamodb:PutItem', [], [forAny, allowPut]), decision: 'Allow' },
]);

// --- reference_policies_elements_condition_operators.md
const opReq = (condition: PolicyStatement['Condition'], context: Record<string, string | string[] | boolean | number>, effect: 'Allow' | 'Deny' = 'Allow') => request({
  action: 'iam:CreateAccessKey', resource: 'arn:aws:iam::111111111111:user/alice', context,
  identityPolicies: effect === 'Allow'
    ? [policy('p', { Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: 'arn:aws:iam::111111111111:user/*', Condition: condition })]
    : [policy('p', { Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: '*', Resource: '*', Condition: condition })],
});
const homeDir = policy('home',
  { Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 's3:GetBucketLocation'], Resource: 'arn:aws:s3:::*' },
  { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::BUCKET-NAME', Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/'] } } },
  { Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::BUCKET-NAME/home/${aws:username}', 'arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*'] },
);
const david = { 'aws:username': 'David' };
const notWorking = policy('ec2', { Sid: 'THISPOLICYDOESNOTWORK', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*', Condition: { StringLike: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } } });
const working = policy('ec2', { Sid: 'RunInstance', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*', Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } } });
const ec2 = (p: typeof working, context = {}) => request({ action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1:111111111111:security-group/sg-1', identityPolicies: [p], context });
const arnExample = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
table('reference_policies_elements_condition_operators.md: one example per operator family', [
  { name: 'StringEquals aws:PrincipalTag/job-category: a user with the tag may manage access keys', req: opReq({ StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } }, { 'aws:PrincipalTag/job-category': 'iamuser-admin' }), decision: 'Allow' },
  { name: '… a user without the tag is implicitly denied', req: opReq({ StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } }, {}), decision: 'ImplicitDeny' },
  { name: 'StringLike with ${aws:username}: David may list his home prefix', req: request({ action: 's3:ListBucket', resource: 'arn:aws:s3:::BUCKET-NAME', identityPolicies: [homeDir], context: { ...david, 's3:prefix': 'home/David/' } }), decision: 'Allow' },
  { name: '… but not another user\'s', req: request({ action: 's3:ListBucket', resource: 'arn:aws:s3:::BUCKET-NAME', identityPolicies: [homeDir], context: { ...david, 's3:prefix': 'home/Adele/' } }), decision: 'ImplicitDeny' },
  { name: '… and may read his own objects through the Resource variable', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::BUCKET-NAME/home/David/notes.txt', identityPolicies: [homeDir], context: david }), decision: 'Allow' },
  { name: 'NumericLessThanEquals s3:max-keys 10: 10 passes', req: request({ action: 's3:ListBucket', resource: 'arn:aws:s3:::example_bucket', context: { 's3:max-keys': '10' }, identityPolicies: [policy('p', { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket', Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })] }), decision: 'Allow' },
  { name: '… 11 does not', req: request({ action: 's3:ListBucket', resource: 'arn:aws:s3:::example_bucket', context: { 's3:max-keys': 11 }, identityPolicies: [policy('p', { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket', Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })] }), decision: 'ImplicitDeny' },
  { name: 'DateGreaterThan aws:TokenIssueTime: credentials issued in 2020 pass', req: opReq({ DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } }, { 'aws:TokenIssueTime': '2020-06-01T10:00:00Z' }), decision: 'Allow' },
  { name: '… an IAM user with access keys has no aws:TokenIssueTime and is denied', req: opReq({ DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } }, {}), decision: 'ImplicitDeny' },
  { name: 'Bool aws:SecureTransport false in a Deny: a request without TLS is denied', req: opReq({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': false }, 'Deny'), decision: 'ExplicitDeny' },
  { name: '… a TLS request is not', req: opReq({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': true }, 'Deny'), decision: 'Allow' },
  { name: 'BinaryEquals compares the bytes behind the base-64 value', req: opReq({ BinaryEquals: { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }, { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA' }), decision: 'Allow' },
  { name: 'IpAddress 203.0.113.0/24 admits 203.0.113.7', req: opReq({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.113.7' }), decision: 'Allow' },
  { name: '… not 198.51.100.7', req: opReq({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '198.51.100.7' }), decision: 'ImplicitDeny' },
  { name: 'mixed IPv4 and IPv6 blocks: 2001:DB8:1234:5678::/64 admits an address in it', req: opReq({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } }, { 'aws:SourceIp': '2001:db8:1234:5678:abcd::1' }), decision: 'Allow' },
  { name: 'an address without a prefix is a single address', req: opReq({ IpAddress: { 'aws:SourceIp': '203.0.113.9' } }, { 'aws:SourceIp': '203.0.113.10' }), decision: 'ImplicitDeny' },
  { name: 'StringLike arn:aws:someservice:*:111122223333:finance/* matches the store/abc value (* crosses colons)', req: opReq({ StringLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } }, { 'aws:SourceArn': arnExample }), decision: 'Allow' },
  { name: 'ArnLike with the same pattern fails: the * matches only us-east-2', req: opReq({ ArnLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } }, { 'aws:SourceArn': arnExample }), decision: 'ImplicitDeny' },
  { name: 'THISPOLICYDOESNOTWORK: StringLike fails on resources without ec2:InstanceType', req: ec2(notWorking), decision: 'ImplicitDeny' },
  { name: 'StringLikeIfExists: resources without the key pass', req: ec2(working), decision: 'Allow' },
  { name: '… and a t2 instance passes', req: ec2(working, { 'ec2:InstanceType': 't2.micro' }), decision: 'Allow' },
  { name: '… an m5 instance does not', req: ec2(working, { 'ec2:InstanceType': 'm5.large' }), decision: 'ImplicitDeny' },
  { name: 'Deny with StringNotEqualsIfExists still denies when the key is missing', req: opReq({ StringNotEqualsIfExists: { 'aws:ResourceTag/team': 'blue' } }, {}, 'Deny'), decision: 'ExplicitDeny' },
  { name: 'a missing key makes a negated operator (StringNotLike) true', req: opReq({ StringNotLike: { 'aws:ResourceTag/team': 'blue*' } }, {}), decision: 'Allow' },
  { name: 'Null aws:TokenIssueTime true: long-term credentials pass', req: request({ action: 'ec2:RunInstances', resource: '*', identityPolicies: [policy('p', { Effect: 'Allow', Action: 'ec2:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })] }), decision: 'Allow' },
  { name: '… temporary credentials do not', req: request({ action: 'ec2:RunInstances', resource: '*', context: { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }, identityPolicies: [policy('p', { Effect: 'Allow', Action: 'ec2:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })] }), decision: 'ImplicitDeny' },
]);

// --- reference_policies_variables.md
const ownKeys = (version: '2012-10-17' | '2008-10-17', resource: string, context = {}) => request({
  action: 'iam:UpdateAccessKey', resource, context,
  identityPolicies: [{ id: 'p', document: { Version: version, Statement: [{ Action: ['iam:*AccessKey*'], Effect: 'Allow', Resource: ['arn:aws:iam::111111111111:user/${aws:username}'] }] } }],
});
table('reference_policies_variables.md: policy variables, defaults, escapes and versions', [
  { name: '${aws:username}: David may change his own access key', req: ownKeys('2012-10-17', 'arn:aws:iam::111111111111:user/David', david), decision: 'Allow' },
  { name: '… not another user\'s', req: ownKeys('2012-10-17', 'arn:aws:iam::111111111111:user/Adele', david), decision: 'ImplicitDeny' },
  { name: 'without Version 2012-10-17 the variable is a literal string', req: ownKeys('2008-10-17', 'arn:aws:iam::111111111111:user/David', david), decision: 'ImplicitDeny' },
  { name: '… which then matches only itself', req: ownKeys('2008-10-17', 'arn:aws:iam::111111111111:user/${aws:username}', david), decision: 'Allow' },
  { name: 'a key that is not present makes the statement not match (roles have no aws:username)', req: ownKeys('2012-10-17', 'arn:aws:iam::111111111111:user/David', {}), decision: 'ImplicitDeny' },
  { name: 'sqs queues named after the user in us-east-2', req: request({ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-2:111111111111:David-queue', context: david,
    identityPolicies: [policy('q', { Sid: 'AllQueueActions', Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-2:*:${aws:username}-queue' })] }), decision: 'Allow' },
  { name: 'a tag as variable: bucket/${aws:PrincipalTag/department}', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/Human Resources', context: { 'aws:PrincipalTag/department': 'Human Resources' },
    identityPolicies: [policy('t', { Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:::bucket/${aws:PrincipalTag/department}'] })] }), decision: 'Allow' },
  { name: 'a variable in a Condition value (sns:endpoint with ${aws:username})', req: request({ action: 'sns:Subscribe', resource: '*', context: { ...david, 'sns:endpoint': 'https://example.com/David/', 'sns:Protocol': 'https' },
    identityPolicies: [policy('s', { Effect: 'Allow', Action: 'sns:*', Resource: '*', Condition: { StringLike: { 'sns:endpoint': 'https://example.com/${aws:username}/' }, StringEquals: { 'sns:Protocol': 'https' } } })] }), decision: 'Allow' },
  { name: 'a default value stands in for a missing key (${aws:userid, \'anonymous\'})', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/anonymous',
    identityPolicies: [policy('d', { Effect: 'Allow', Action: 's3:GetObject', Resource: "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}" })] }), decision: 'Allow' },
  { name: '${*} is a literal asterisk, not a wildcard', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/anything',
    identityPolicies: [policy('e', { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${*}' })] }), decision: 'ImplicitDeny' },
  { name: '… it matches a key named *', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/*',
    identityPolicies: [policy('e', { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${*}' })] }), decision: 'Allow' },
  { name: '${?} and ${$} are literal ? and $', req: request({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/why?$',
    identityPolicies: [policy('e', { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/why${?}${$}' })] }), decision: 'Allow' },
  { name: 'key names are case-insensitive: aws:CurrentTime = AWS:currenttime', req: request({ action: 's3:GetObject', resource: '*', context: { 'AWS:currenttime': '2024-05-01T00:00:00Z' },
    identityPolicies: [policy('t', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } } })] }), decision: 'Allow' },
]);

// --- reference_policies_elements_action.md: "iam:ListAccessKeys" = "IAM:listaccesskeys"
table('reference_policies_elements_action.md: action names are case-insensitive', [
  { name: 'IAM:listaccesskeys in the policy allows iam:ListAccessKeys', req: request({ action: 'iam:ListAccessKeys', resource: '*', identityPolicies: [policy('p', { Effect: 'Allow', Action: 'IAM:listaccesskeys', Resource: '*' })] }), decision: 'Allow' },
  { name: 'and the other way round', req: request({ action: 'IAM:listaccesskeys', resource: '*', identityPolicies: [policy('p', { Effect: 'Allow', Action: 'iam:ListAccessKeys', Resource: '*' })] }), decision: 'Allow' },
]);
