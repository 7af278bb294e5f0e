// Small builders for IAM evaluator tests: principals of each kind, policy documents and requests with
// the defaults most cases share (account 111111111111, one ECR repository, no policies).
import type { EvalPrincipal, EvalRequest, PolicyInput } from '../../src/domain/aws/policy-eval.ts';
import type { PolicyDocument, PolicyStatement } from '../../src/domain/aws/policy.ts';

export const ACCOUNT = '111111111111';
export const OTHER = '222222222222';
export const REGION = 'us-east-1';

/** The ARN of repository `name` in `account`. */
export const repoArn = (name = 'app', account = ACCOUNT) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;

/** An IAM user principal. */
export const user = (name = 'alice', account = ACCOUNT): EvalPrincipal => ({ arn: `arn:aws:iam::${account}:user/${name}`, accountId: account, kind: 'user' });
/** A role session principal (aws:PrincipalArn is the role ARN). */
export const session = (roleName = 'ci', sessionName = 's1', account = ACCOUNT): EvalPrincipal => ({
  arn: `arn:aws:iam::${account}:role/${roleName}`,
  sessionArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
  accountId: account,
  kind: 'assumed-role',
});
/** The root user of `account`. */
export const root = (account = ACCOUNT): EvalPrincipal => ({ arn: `arn:aws:iam::${account}:root`, accountId: account, kind: 'root' });
/** An unsigned caller. */
export const anonymous: EvalPrincipal = { arn: '*', accountId: '', kind: 'anonymous' };

/** A 2012-10-17 document of `statements`. */
export const doc = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
/** A policy input with an id. */
export const policy = (id: string, ...statements: PolicyStatement[]): PolicyInput => ({ id, document: doc(...statements) });
/** Allow/Deny shorthand statements. */
export const allow = (extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
export const deny = (extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Deny', Action: '*', Resource: '*', ...extra });

/** A request for ecr:BatchGetImage on repository app of ACCOUNT by alice, with nothing attached. */
export function request(extra: Partial<EvalRequest> = {}): EvalRequest {
  return {
    principal: user(),
    action: 'ecr:BatchGetImage',
    resource: repoArn(),
    resourceAccount: ACCOUNT,
    context: {},
    identityPolicies: [],
    resourcePolicies: [],
    ...extra,
  };
}
