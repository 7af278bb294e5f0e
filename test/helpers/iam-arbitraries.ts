// fast-check generators of IAM evaluation requests over a small world: two accounts, a few users,
// role sessions and repositories, ECR actions, and statements drawn from pools of actions, resource
// patterns, principals and conditions chosen so that random requests often hit them.
import fc from 'fast-check';
import type { EvalPrincipal, EvalRequest, PolicyInput } from '../../src/domain/aws/policy-eval.ts';
import type { PolicyStatement } from '../../src/domain/aws/policy.ts';
import { ACCOUNT, anonymous, OTHER, repoArn, root, session, user } from './iam.ts';

export const ACTIONS = ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:GetDownloadUrlForLayer', 'ecr:ListImages', 'ecr:DeleteRepository'] as const;
export const REPOSITORIES = ['app', 'team/web', 'Team/api'] as const;

const alice = user('alice');
const bob = user('bob', OTHER);
const ci = session('ci', 's1');
const ciOther = session('ci', 's2', OTHER);

/** The principals requests are made by; `withRoot` adds the root users (the oracle does not model them). */
export function principalArb(opts: { withRoot?: boolean; withAnonymous?: boolean } = {}): fc.Arbitrary<EvalPrincipal> {
  const all: EvalPrincipal[] = [alice, bob, ci, ciOther];
  if (opts.withAnonymous !== false) all.push(anonymous);
  if (opts.withRoot) all.push(root(), root(OTHER));
  return fc.constantFrom(...all);
}

const actionPattern = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('*', 'ecr:*', 'ECR:*') },
  { weight: 4, arbitrary: fc.constantFrom(...ACTIONS, 'ecr:Batch*', 'ecr:*Image*', 'ecr:Get?ownloadUrlForLayer', 'ecr:batchgetimage') },
  { weight: 1, arbitrary: fc.constantFrom('s3:*', 'ecr:Describe*') },
);
const actionList = fc.array(actionPattern, { minLength: 1, maxLength: 3 });

const resourcePattern = fc.oneof({ weight: 1, arbitrary: fc.constant('*') }, { weight: 3, arbitrary: fc.constantFrom(
  repoArn('app'),
  repoArn('app', OTHER),
  `arn:aws:ecr:*:${ACCOUNT}:repository/*`,
  'arn:aws:ecr:us-east-1:*:repository/team/*',
  'arn:aws:ecr:*:*:repository/Team/*',
  `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/App`,
  'arn:aws:ecr:us-east-?:*:repository/*',
  'arn:aws:ecr:*:*:repository/${aws:PrincipalTag/repo}',
  'arn:aws:s3:::bucket/*',
) });
const resourceList = fc.array(resourcePattern, { minLength: 1, maxLength: 2 });

/** Context keys and the values requests draw from. */
const CONTEXT_POOL = {
  'aws:SourceIp': ['10.1.2.3', '192.168.0.7', '2001:db8::5', '203.0.113.9'],
  'aws:SecureTransport': ['true', 'false'],
  'aws:CurrentTime': ['2024-01-15T10:00:00Z', '2025-06-01T00:00:00Z'],
  'aws:PrincipalTag/team': ['blue', 'Blue', 'red'],
  'aws:PrincipalTag/repo': ['app', 'team/web'],
  'aws:MultiFactorAuthAge': ['30', '7200'],
  'aws:TagKeys': [['env'], ['env', 'team'], ['secret', 'team'], []],
  'aws:userid': ['AIDAEXAMPLE', 'AROAEXAMPLE:s1'],
} as const satisfies Record<string, readonly (string | readonly string[])[]>;
export type PoolKey = keyof typeof CONTEXT_POOL;

/** A request context drawing some of the pool's keys. */
export const contextArb: fc.Arbitrary<Record<string, string | string[]>> = fc.record(
  Object.fromEntries(Object.entries(CONTEXT_POOL).map(([k, vs]) => [k, fc.constantFrom(...vs.map((v) => (Array.isArray(v) ? [...v] : v)))])),
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string | string[]>>;

/** One condition operator with a key and values it is meaningful for. */
const conditionEntry: fc.Arbitrary<[string, string, string | string[]]> = fc.oneof(
  fc.tuple(fc.constantFrom('StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringEqualsIfExists', 'StringNotEqualsIfExists'),
    fc.constant('aws:PrincipalTag/team'), fc.constantFrom<string | string[]>('blue', ['blue', 'green'], 'BLUE')),
  fc.tuple(fc.constantFrom('StringLike', 'StringNotLike', 'StringLikeIfExists'), fc.constant('aws:PrincipalTag/team'), fc.constantFrom<string | string[]>('b*', '?ed', ['r*', 'x'])),
  fc.tuple(fc.constantFrom('IpAddress', 'NotIpAddress', 'IpAddressIfExists'), fc.constant('aws:SourceIp'), fc.constantFrom<string | string[]>('10.0.0.0/8', ['192.168.0.0/16', '2001:db8::/32'], '203.0.113.9')),
  fc.tuple(fc.constantFrom('Bool', 'BoolIfExists'), fc.constant('aws:SecureTransport'), fc.constantFrom('true', 'false')),
  fc.tuple(fc.constantFrom('DateGreaterThan', 'DateLessThan', 'DateNotEquals', 'DateLessThanEquals'), fc.constant('aws:CurrentTime'), fc.constantFrom('2024-06-01T00:00:00Z', '2025-06-01T00:00:00Z')),
  fc.tuple(fc.constantFrom('NumericLessThan', 'NumericGreaterThanEquals', 'NumericNotEquals', 'NumericLessThanIfExists'), fc.constant('aws:MultiFactorAuthAge'), fc.constantFrom('3600', '30')),
  fc.tuple(fc.constantFrom('ForAllValues:StringEquals', 'ForAnyValue:StringEquals', 'ForAllValues:StringNotEquals', 'ForAnyValue:StringLike'), fc.constant('aws:TagKeys'), fc.constantFrom<string | string[]>(['env', 'team'], 'secret', ['s*'])),
  fc.tuple(fc.constant('Null'), fc.constantFrom('aws:PrincipalTag/team', 'aws:TagKeys', 'aws:SourceIp'), fc.constantFrom('true', 'false')),
  fc.tuple(fc.constantFrom('ArnLike', 'ArnNotLike', 'ArnEquals'), fc.constant('aws:PrincipalArn'),
    fc.constantFrom<string | string[]>(`arn:aws:iam::${ACCOUNT}:role/*`, `arn:aws:iam::*:user/alice`, [`arn:aws:iam::${OTHER}:*`, `arn:aws:iam::${ACCOUNT}:user/*`])),
  fc.tuple(fc.constantFrom('StringEquals', 'StringLike'), fc.constant('aws:userid'), fc.constantFrom('AIDA*', 'AROAEXAMPLE:${aws:PrincipalTag/team}')),
);

/** A Condition element of one to two entries (or none). */
export const conditionArb: fc.Arbitrary<PolicyStatement['Condition'] | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.array(conditionEntry, { minLength: 1, maxLength: 2 }).map((entries) => {
      const block: Record<string, Record<string, unknown>> = {};
      for (const [op, key, value] of entries) (block[op] ??= {})[key] = value;
      return block;
    }),
  },
);

const effect = fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Allow', 'Allow', 'Deny');

/** An identity-policy statement (no Principal); one in four is a broad ECR Allow, so that requests often pass. */
const randomIdentityStatement: fc.Arbitrary<PolicyStatement> = fc.record({
  effect, notAction: fc.constantFrom(false, false, true), actions: actionList, notResource: fc.constantFrom(false, false, true), resources: resourceList, condition: conditionArb,
}).map(({ effect, notAction, actions, notResource, resources, condition }) => ({
  Effect: effect,
  ...(notAction ? { NotAction: actions } : { Action: actions }),
  ...(notResource ? { NotResource: resources } : { Resource: resources }),
  ...(condition ? { Condition: condition } : {}),
}));
export const identityStatementArb: fc.Arbitrary<PolicyStatement> = fc.oneof(
  { weight: 3, arbitrary: randomIdentityStatement },
  { weight: 1, arbitrary: conditionArb.map((condition): PolicyStatement => ({ Effect: 'Allow', Action: 'ecr:*', Resource: '*', ...(condition ? { Condition: condition } : {}) })) },
);

const principalEntry = fc.constantFrom(
  ACCOUNT, OTHER, `arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${OTHER}:root`, alice.arn, bob.arn, ci.arn, ci.sessionArn!, ciOther.arn, ciOther.sessionArn!, `arn:aws:iam::${ACCOUNT}:user/Alice`,
);
/** NotPrincipal lists that exempt whole callers (every level listed) or nobody in particular. */
const notPrincipalList = fc.constantFrom<string[]>(
  [alice.arn, ACCOUNT], [bob.arn, `arn:aws:iam::${OTHER}:root`], [ci.sessionArn!, ci.arn, ACCOUNT], [`arn:aws:iam::${ACCOUNT}:user/nobody`],
);

/** A resource-policy statement: Principal (or NotPrincipal with Deny), optional Resource. */
export const resourceStatementArb: fc.Arbitrary<PolicyStatement> = fc.record({
  effect, actions: actionList, condition: conditionArb,
  principal: fc.oneof(
    { weight: 1, arbitrary: fc.constant<PolicyStatement['Principal']>('*') },
    { weight: 4, arbitrary: fc.array(principalEntry, { minLength: 1, maxLength: 3 }).map((AWS) => ({ AWS })) },
  ),
  notPrincipal: fc.option(notPrincipalList, { freq: 6, nil: undefined }),
  resource: fc.option(resourceList, { nil: undefined }),
}).map(({ effect, actions, condition, principal, notPrincipal, resource }) => ({
  Effect: effect,
  ...(notPrincipal && effect === 'Deny' ? { NotPrincipal: { AWS: notPrincipal } } : { Principal: principal }),
  Action: actions,
  ...(resource ? { Resource: resource } : {}),
  ...(condition ? { Condition: condition } : {}),
}));

let counter = 0;
const asPolicy = (prefix: string) => (statements: PolicyStatement[]): PolicyInput => ({ id: `${prefix}-${++counter}`, document: { Version: '2012-10-17', Statement: statements } });

/** Options: which features requests may use. */
export interface RequestArbOptions {
  withRoot?: boolean;
  withSessionPolicies?: boolean;
  withTrustKinds?: boolean;
}

/** A whole request: principal, action, repository, context, identity/boundary/session/resource policies. */
export function requestArb(opts: RequestArbOptions = {}): fc.Arbitrary<EvalRequest> {
  return fc.record({
    principal: principalArb({ withRoot: opts.withRoot }),
    action: fc.constantFrom(...ACTIONS),
    repo: fc.constantFrom(...REPOSITORIES),
    resourceInOther: fc.constantFrom(false, false, true),
    context: contextArb,
    identity: fc.array(fc.array(identityStatementArb, { minLength: 1, maxLength: 3 }).map(asPolicy('identity')), { maxLength: 3 }),
    boundary: fc.option(fc.array(identityStatementArb, { minLength: 1, maxLength: 2 }).map(asPolicy('boundary')), { nil: undefined, freq: 3 }),
    session: opts.withSessionPolicies
      ? fc.option(fc.array(fc.array(identityStatementArb, { minLength: 1, maxLength: 2 }).map(asPolicy('session')), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 3 })
      : fc.constant(undefined),
    resource: fc.option(fc.array(resourceStatementArb, { minLength: 1, maxLength: 3 }).map(asPolicy('repo')), { nil: undefined, freq: 4 }),
    kind: opts.withTrustKinds ? fc.constantFrom<EvalRequest['resourcePolicyKind']>('ordinary', 'trust', 'key') : fc.constant(undefined),
  }).map(({ principal, action, repo, resourceInOther, context, identity, boundary, session: sessionPolicies, resource, kind }) => {
    const resourceAccount = resourceInOther ? OTHER : ACCOUNT;
    const signed = principal.kind !== 'anonymous';
    const ctx: Record<string, string | string[]> = { ...context };
    if (signed) {
      ctx['aws:PrincipalArn'] = principal.arn;
      ctx['aws:PrincipalAccount'] = principal.accountId;
    } else {
      for (const k of ['aws:PrincipalTag/team', 'aws:PrincipalTag/repo', 'aws:MultiFactorAuthAge', 'aws:userid']) delete ctx[k];
    }
    return {
      principal, action, resource: repoArn(repo, resourceAccount), resourceAccount, context: ctx,
      identityPolicies: signed ? identity : [],
      ...(signed && boundary && principal.kind !== 'root' ? { permissionsBoundary: boundary } : {}),
      ...(principal.kind === 'assumed-role' && sessionPolicies ? { sessionPolicies } : {}),
      resourcePolicies: resource ? [resource] : [],
      ...(kind ? { resourcePolicyKind: kind } : {}),
    };
  });
}
