// The IAM decision for one request: principal + action + resource + context against the principal's
// identity policies, its permissions boundary and session policies, and the resource's policies, in
// AWS's documented order (identity reference §2.1; docs/access-control.md "How policies are
// evaluated"). Pure and synchronous; documents are compiled once (policy-compile.ts).
import { normalizeResource } from './arn-match.ts';
import { RequestContext, type ContextValues } from './context-values.ts';
import { compilePolicy, conditionApplies, principalApplies, resourceApplies, statementsFor, type CompiledStatement, type PrincipalMatch } from './policy-compile.ts';
import type { PolicyDocument } from './policy.ts';

export type { ContextValue, ContextValues } from './context-values.ts';
export { compilePolicy } from './policy-compile.ts';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Who is asking. */
export interface EvalPrincipal {
  /**
   * What aws:PrincipalArn is: the root (`arn:aws:iam::A:root`), user or role ARN; '*' for anonymous;
   * the identity-provider ARN or name for `federated` (AssumeRoleWithWebIdentity callers); the service
   * name (`ecr.amazonaws.com`) for `service`.
   */
  arn: string;
  /** For role sessions: arn:aws:sts::A:assumed-role/R/S (matched by resource policies naming the session). */
  sessionArn?: string;
  /** The principal's account ('' for anonymous and service callers). */
  accountId: string;
  /**
   * `federated` and `service` callers have no identity policies: like `anonymous`, only a resource
   * policy naming them (Principal Federated / Service, or "*") can allow them.
   */
  kind: 'root' | 'user' | 'assumed-role' | 'anonymous' | 'federated' | 'service';
}

/** One policy to evaluate. */
export interface PolicyInput {
  /** e.g. a policy ARN or 'user/alice/inline/pull': for messages and logs */
  id: string;
  /** the parsed document; it must not change once evaluated (its compiled form is cached by object) */
  document: PolicyDocument;
}

/** Everything a decision depends on. */
export interface EvalRequest {
  principal: EvalPrincipal;
  /** e.g. 'ecr:BatchGetImage' (any case) */
  action: string;
  /** the resource ARN, or '*' for actions without a resource type */
  resource: string;
  /** account that owns the resource */
  resourceAccount: string;
  /**
   * Request context keys (case-insensitive names). aws:PrincipalArn and aws:PrincipalAccount are
   * filled from `principal` when absent (root, user and assumed-role callers).
   */
  context: ContextValues;
  /** inline and attached policies of the user or role */
  identityPolicies: PolicyInput[];
  /** absent = no boundary */
  permissionsBoundary?: PolicyInput;
  /** absent = not a session with session policies */
  sessionPolicies?: PolicyInput[];
  /** repository policy, registry policy (V2), trust policy, key policy */
  resourcePolicies: PolicyInput[];
  /** 'trust' and 'key': the resource policy itself must allow (a same-account identity Allow is not enough); default 'ordinary' */
  resourcePolicyKind?: 'ordinary' | 'trust' | 'key';
}

/**
 * Which policy type decided. Allow: 'identity' (identity policies, within boundary and session
 * policies), 'resource' (a resource policy alone), 'root' (the account's root user). ImplicitDeny:
 * the policy type that did not allow. ExplicitDeny: 'explicit-…' for the policy type holding the Deny
 * (identity before resource before boundary before session when several do).
 */
export type DecisionReason =
  | 'identity' | 'resource' | 'boundary' | 'session' | 'root'
  | 'explicit-identity' | 'explicit-resource' | 'explicit-boundary' | 'explicit-session';

/** A statement that applied to the request. */
export interface MatchedStatement {
  policyId: string;
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** its position in its policy's Statement list (0 for a lone statement object) */
  index: number;
}

/** The decision and why. */
export interface EvalResult {
  decision: Decision;
  /** why: which policy type decided (for the denial message) */
  reason: DecisionReason;
  /**
   * The statements that matched and decided: every applicable Deny for ExplicitDeny; for Allow the
   * Allow statements of the policy types the decision rested on; empty for ImplicitDeny.
   */
  matched: MatchedStatement[];
  /** context keys the policies asked for and the request did not have (policy spelling, each once) */
  missingContextKeys: string[];
}

/** An applicable statement: its policy, the compiled statement, how a resource policy named the caller. */
interface Hit {
  readonly policy: PolicyInput;
  readonly statement: CompiledStatement;
  readonly principal: PrincipalMatch;
}

/** What one scan of the request's policies found. */
interface Scan {
  readonly context: RequestContext;
  readonly action: string;
  readonly resource: string;
  readonly principal: EvalPrincipal;
  readonly hasBoundary: boolean;
  /** lower-cased key → policy spelling, of keys applicable statements read and the request lacks */
  missing?: Map<string, string>;
}

/** Pushes the applicable statements of `policies` onto `allows` / `denies`; resource policies also match their Principal element. */
function scan(policies: readonly PolicyInput[], resourceSide: boolean, s: Scan, allows: Hit[], denies: Hit[]): void {
  for (const policy of policies) {
    for (const st of statementsFor(compilePolicy(policy.document), s.action)) {
      let principal: PrincipalMatch | undefined = 'direct';
      if (resourceSide) {
        principal = principalApplies(st, s.principal, s.hasBoundary);
        if (principal === undefined) continue;
      }
      const onResource = resourceApplies(st, s.resource, s.context);
      if (onResource === false) continue;
      // The statement is about this request: report the keys it reads that the request lacks.
      for (const k of st.keys) {
        if (!s.context.has(k.key, k.name)) {
          s.missing ??= new Map();
          if (!s.missing.has(k.key)) s.missing.set(k.key, k.name);
        }
      }
      if (onResource === 'unresolved' || conditionApplies(st, s.context) !== true) continue;
      (st.effect === 'Deny' ? denies : allows).push({ policy, statement: st, principal });
    }
  }
}

function matchedOf(hits: readonly Hit[]): MatchedStatement[] {
  const out: MatchedStatement[] = [];
  for (const h of hits) {
    const { sid, effect, index } = h.statement;
    out.push(sid !== undefined ? { policyId: h.policy.id, sid, effect, index } : { policyId: h.policy.id, effect, index });
  }
  return out;
}

function decided(decision: Decision, reason: DecisionReason, hits: readonly Hit[], s: Scan): EvalResult {
  return { decision, reason, matched: matchedOf(hits), missingContextKeys: s.missing ? [...s.missing.values()] : [] };
}

function byMatch(hits: readonly Hit[], m: PrincipalMatch): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) if (h.principal === m) out.push(h);
  return out;
}

const isSigned = (p: EvalPrincipal): boolean => p.kind === 'root' || p.kind === 'user' || p.kind === 'assumed-role';

function scanOf(req: EvalRequest): Scan {
  const p = req.principal;
  return {
    context: new RequestContext(req.context, isSigned(p) ? { 'aws:PrincipalArn': p.arn, 'aws:PrincipalAccount': p.accountId } : {}),
    action: req.action.toLowerCase(),
    resource: normalizeResource(req.resource),
    principal: p,
    hasBoundary: req.permissionsBoundary !== undefined,
  };
}

/** Evaluates one request (see docs/access-control.md for the algorithm and every choice made). */
export function evaluate(req: EvalRequest): EvalResult {
  const p = req.principal;
  const signed = isSigned(p);
  const s = scanOf(req);
  const identityAllows: Hit[] = [];
  const identityDenies: Hit[] = [];
  const boundaryAllows: Hit[] = [];
  const boundaryDenies: Hit[] = [];
  const sessionAllows: Hit[] = [];
  const sessionDenies: Hit[] = [];
  const resourceAllows: Hit[] = [];
  const resourceDenies: Hit[] = [];
  const boundary = signed ? req.permissionsBoundary : undefined;
  const sessions = signed ? req.sessionPolicies : undefined;
  if (signed) scan(req.identityPolicies, false, s, identityAllows, identityDenies);
  if (boundary) scan([boundary], false, s, boundaryAllows, boundaryDenies);
  if (sessions) scan(sessions, false, s, sessionAllows, sessionDenies);
  scan(req.resourcePolicies, true, s, resourceAllows, resourceDenies);

  // 1. An applicable Deny in any policy wins.
  if (identityDenies.length + resourceDenies.length + boundaryDenies.length + sessionDenies.length > 0) {
    const reason: DecisionReason = identityDenies.length > 0 ? 'explicit-identity' : resourceDenies.length > 0 ? 'explicit-resource' : boundaryDenies.length > 0 ? 'explicit-boundary' : 'explicit-session';
    return decided('ExplicitDeny', reason, [...identityDenies, ...resourceDenies, ...boundaryDenies, ...sessionDenies], s);
  }

  const direct = byMatch(resourceAllows, 'direct');
  if (!signed) return direct.length > 0 ? decided('Allow', 'resource', direct, s) : decided('ImplicitDeny', 'resource', [], s);

  // 2. The principal's own side: identity policies (the root user of its account may do anything),
  //    intersected with the permissions boundary and the session policies when present.
  const root = p.kind === 'root';
  const boundaryOk = !boundary || boundaryAllows.length > 0;
  const sessionOk = !sessions || sessionAllows.length > 0;
  const identityOk = root || identityAllows.length > 0;
  const ownSide = identityOk && boundaryOk && sessionOk;
  const role = byMatch(resourceAllows, 'role');
  const account = byMatch(resourceAllows, 'account');
  // Why the own side failed; an Allow naming a session's role stands in for identity policies in the same account.
  const ownReason: DecisionReason = !identityOk && !(role.length > 0 && p.accountId === req.resourceAccount) ? 'identity' : !boundaryOk ? 'boundary' : 'session';
  const ownAllowHits = [...identityAllows, ...boundaryAllows, ...sessionAllows];

  if (p.accountId !== req.resourceAccount) {
    // 4. Cross account: the principal's account and the resource's account must both allow.
    if (!ownSide) return decided('ImplicitDeny', ownReason, [], s);
    if (resourceAllows.length === 0) return decided('ImplicitDeny', 'resource', [], s);
    return decided('Allow', root ? 'root' : 'identity', [...ownAllowHits, ...resourceAllows], s);
  }

  // 3. Same account. A resource policy naming the user or session itself suffices; naming the role of
  //    a session suffices within the boundary and session policies; naming the account delegates to
  //    the identity side. Trust and key policies must allow the principal themselves.
  if (direct.length > 0) return decided('Allow', 'resource', direct, s);
  if (role.length > 0 && boundaryOk && sessionOk) return decided('Allow', 'resource', [...role, ...boundaryAllows, ...sessionAllows], s);
  const ordinary = (req.resourcePolicyKind ?? 'ordinary') === 'ordinary';
  if (!ordinary && account.length === 0 && role.length === 0) return decided('ImplicitDeny', 'resource', [], s);
  if (ownSide && (ordinary || account.length > 0)) return decided('Allow', root ? 'root' : 'identity', [...ownAllowHits, ...account], s);
  return decided('ImplicitDeny', ownReason, [], s);
}

/**
 * What `policies` alone say of the request, for reports of each policy type's part in a decision (IAM's
 * policy simulator): ExplicitDeny when one of their statements that applies denies it, Allow when one
 * allows it, ImplicitDeny otherwise. With `resourceSide` they are resource policies, whose statements
 * apply only where their Principal names the caller (itself, its role or its account). The request's
 * own policies are not read, only its principal, action, resource and context; the decision of the
 * request is evaluate()'s.
 */
export function policiesDecision(req: EvalRequest, policies: readonly PolicyInput[], resourceSide: boolean): Decision {
  const allows: Hit[] = [];
  const denies: Hit[] = [];
  scan(policies, resourceSide, scanOf(req), allows, denies);
  return denies.length > 0 ? 'ExplicitDeny' : allows.length > 0 ? 'Allow' : 'ImplicitDeny';
}

const DENY_PHRASES: Record<DecisionReason, string | undefined> = {
  identity: 'because no identity-based policy allows the %s action',
  resource: 'because no resource-based policy allows the %s action',
  boundary: 'because no permissions boundary allows the %s action',
  session: 'because no session policy allows the %s action',
  'explicit-identity': 'with an explicit deny in an identity-based policy',
  'explicit-resource': 'with an explicit deny in a resource-based policy',
  'explicit-boundary': 'with an explicit deny in a permissions boundary',
  'explicit-session': 'with an explicit deny in a session policy',
  root: undefined,
};

/**
 * AWS's wording for a denied request, e.g. 'User: <arn> is not authorized to perform: <action> on
 * resource: <res> because no identity-based policy allows the <action> action', or '… with an explicit
 * deny in a resource-based policy'. `result` must be a denial.
 */
export function denialMessage(principalArn: string, action: string, resource: string, result: EvalResult): string {
  const phrase = DENY_PHRASES[result.reason];
  if (result.decision === 'Allow' || phrase === undefined) throw new Error('denialMessage needs a denied result');
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${phrase.replace('%s', action)}`;
}
