// What the IAM evaluator needs to know about a Principal: who it is as principal matching sees it
// (EvalPrincipal), the context keys that describe it (aws:userid, aws:PrincipalTag/…, aws:TokenIssueTime
// …, identity reference §2.4), and its policies (identity policies, boundary, session policies) read
// from the identity store. The authorizer of ECR and /v2/ requests and STS's AssumeRole share these.
import type { EvalPrincipal, PolicyInput } from '../domain/aws/policy-eval.ts';
import type { ContextValues } from '../domain/aws/context-values.ts';
import { parseIamPolicy } from '../domain/aws/iam-policy.ts';
import { AWS_MANAGED_POLICIES, isAwsManagedArn } from '../domain/aws/managed-policies.ts';
import type { IamService } from './iam.ts';
import type { Principal } from './identity.ts';

/** The principal as the evaluator matches it: a session is its role (aws:PrincipalArn) and its session ARN. */
export function evalPrincipalOf(p: Principal): EvalPrincipal {
  if (p.session) return { kind: 'assumed-role', arn: p.session.roleArn, sessionArn: p.arn, accountId: p.accountId };
  return { kind: p.kind, arn: p.arn, accountId: p.accountId };
}

const PRINCIPAL_TYPE = { root: 'Account', user: 'User', 'assumed-role': 'AssumedRole' } as const;

/**
 * The context keys a signed request carries about its principal: aws:PrincipalType, aws:userid,
 * aws:username (users), aws:PrincipalTag/<key>, and for sessions aws:TokenIssueTime,
 * aws:SourceIdentity and aws:FederatedProvider when set. (aws:PrincipalArn and aws:PrincipalAccount
 * the evaluator fills from evalPrincipalOf.)
 */
export function principalContext(p: Principal): ContextValues {
  const c: Record<string, string> = { 'aws:PrincipalType': PRINCIPAL_TYPE[p.kind], 'aws:userid': p.userId };
  if (p.userName !== undefined) c['aws:username'] = p.userName;
  for (const [k, v] of Object.entries(p.principalTags)) c[`aws:PrincipalTag/${k}`] = v;
  if (p.session) {
    c['aws:TokenIssueTime'] = p.session.tokenIssueTime.toISOString();
    if (p.session.sourceIdentity !== undefined) c['aws:SourceIdentity'] = p.session.sourceIdentity;
    if (p.session.federatedProvider !== undefined) c['aws:FederatedProvider'] = p.session.federatedProvider;
  }
  return c;
}

/** A principal's own policies, ready for EvalRequest. */
export interface PrincipalPolicyInputs {
  readonly identityPolicies: PolicyInput[];
  readonly permissionsBoundary?: PolicyInput;
  /** Present for sessions that were given session policies (inline and/or PolicyArns). */
  readonly sessionPolicies?: PolicyInput[];
}

/**
 * The identity policies and boundary of a user or of a session's role, and a session's session
 * policies (its inline policy, then its PolicyArns' current default versions; a managed policy deleted
 * since counts as none). The root has none (the evaluator lets it act). Undefined when the user or
 * role no longer exists: deny.
 */
export async function principalPolicies(iam: IamService, p: Principal): Promise<PrincipalPolicyInputs | undefined> {
  if (p.kind === 'root') return { identityPolicies: [] };
  const owner = p.session
    ? { kind: 'role' as const, accountId: p.accountId, name: p.session.roleName }
    : { kind: 'user' as const, accountId: p.accountId, name: p.userName! };
  const set = await iam.policiesFor(owner);
  if (!set) return undefined;
  const identityPolicies = set.identity.map((s) => ({ id: s.source, document: s.document }));
  const boundary = set.boundary ? { permissionsBoundary: { id: set.boundary.source, document: set.boundary.document } } : {};
  if (!p.session || (p.session.policy === undefined && p.session.policyArns.length === 0)) return { identityPolicies, ...boundary };
  const sessionPolicies: PolicyInput[] = p.session.policy ? [{ id: 'session-policy', document: p.session.policy }] : [];
  for (const arn of p.session.policyArns) {
    const text = isAwsManagedArn(arn) ? AWS_MANAGED_POLICIES.get(arn)?.document : await iam.defaultPolicyDocument(p.accountId, arn);
    if (text !== undefined) sessionPolicies.push({ id: arn, document: parseIamPolicy(text, 'session') });
  }
  return { identityPolicies, ...boundary, sessionPolicies };
}
