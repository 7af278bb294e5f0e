// IAM's checks of a policy document, with IAM's MalformedPolicyDocument texts, for the places a
// document goes: identity policies (inline and managed), role trust policies, permissions boundaries,
// STS session policies, and the resource policy IAM's policy simulator is given (ResourcePolicy). Pure: text in, PolicyDocument out, or WharfError. The order of the checks
// follows IAM's (syntax, version, legacy parsing, Sids, actions, principal, resources, ARNs, vendors);
// the texts are AWS's as moto's policy_validation.py records them, plus the trust-policy ones AWS users
// report. ECR repository/registry policies have their own grammar (policy.ts parsePolicy).
import { errors } from '../errors.ts';
import { POLICY_VERSIONS, type PolicyDocument, type PolicyStatement } from './policy.ts';

/**
 * `resource`: a resource-based policy as the policy simulator takes it (a repository, registry, bucket
 * or trust policy): every statement names a Principal; Resource is optional (a repository policy has
 * none: it is about its repository), and must be an ARN or "*" where given; any service's actions.
 */
export type IamPolicyKind = 'identity' | 'trust' | 'boundary' | 'session' | 'resource';

/**
 * IAM's size quotas, in characters without white space (IAM does not count it): the sum of a user's
 * or a role's inline policies, one managed policy version, one trust policy.
 */
export const IAM_POLICY_SIZE = { userInline: 2048, roleInline: 10240, managed: 6144, trust: 2048 } as const;

/** A document's size as IAM counts it against IAM_POLICY_SIZE: its characters other than white space. */
export function iamPolicySize(text: string): number {
  return text.replace(/\s/g, '').length;
}

const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);
/** The actions a trust policy may name (and sts: wildcards, which match only those). */
const TRUST_ACTION = /^sts:(AssumeRole|AssumeRoleWithSAML|AssumeRoleWithWebIdentity|TagSession|SetSourceIdentity|SetContext)$/i;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const malformed = (reason: string) => errors.iamMalformedPolicyDocument({ reason });

/** The bare condition operator: without ForAnyValue:/ForAllValues: and IfExists. */
export function conditionOperator(op: string): string {
  return op.replace(/^(ForAnyValue:|ForAllValues:)/, '').replace(/IfExists$/, '');
}

function stringOrList(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
}

function conditionValue(v: unknown): boolean {
  const scalar = (x: unknown) => ['string', 'number', 'boolean'].includes(typeof x);
  return scalar(v) || (Array.isArray(v) && v.every(scalar));
}

/** The grammar: any failure here is "Syntax errors in policy." */
function syntaxOk(doc: unknown): doc is Json {
  if (!isObject(doc) || Object.keys(doc).some((k) => !TOP_KEYS.has(k))) return false;
  if (doc.Version !== undefined && !POLICY_VERSIONS.includes(doc.Version as never)) return false;
  if (doc.Id !== undefined && typeof doc.Id !== 'string') return false;
  const list = isObject(doc.Statement) ? [doc.Statement] : doc.Statement;
  if (!Array.isArray(list) || list.length === 0) return false;
  return list.every((st) => isObject(st) && statementSyntaxOk(st));
}

function statementSyntaxOk(st: Json): boolean {
  if (Object.keys(st).some((k) => !STATEMENT_KEYS.has(k))) return false;
  for (const [a, b] of [['Action', 'NotAction'], ['Resource', 'NotResource'], ['Principal', 'NotPrincipal']]) if (a in st && b in st) return false;
  if (typeof st.Effect !== 'string' || !['allow', 'deny'].includes(st.Effect.toLowerCase())) return false;
  if (st.Sid !== undefined && typeof st.Sid !== 'string') return false;
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource']) if (k in st && !stringOrList(st[k])) return false;
  for (const k of ['Principal', 'NotPrincipal']) {
    const p = st[k];
    if (p === undefined || p === '*') continue;
    if (!isObject(p) || Object.entries(p).some(([type, ids]) => !PRINCIPAL_TYPES.has(type) || !stringOrList(ids))) return false;
  }
  if (st.Condition === undefined) return true;
  if (!isObject(st.Condition)) return false;
  return Object.entries(st.Condition).every(([op, block]) =>
    isObject(block) && Object.values(block).every(conditionValue) && (OPERATORS.has(conditionOperator(op)) || Object.keys(block).length === 0));
}

/** "Legacy parsing": exact Effect spelling and readable date values. */
function legacyOk(st: Json): boolean {
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return false;
  for (const [op, block] of Object.entries((st.Condition ?? {}) as Record<string, Json>)) {
    if (!conditionOperator(op).startsWith('Date')) continue;
    for (const v of Object.values(block).flat()) {
      if (!(typeof v === 'number' || /^[0-9]+$/.test(String(v)) || !Number.isNaN(Date.parse(String(v))))) return false;
    }
  }
  return true;
}

const list = (v: unknown): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : (v as string[]));

function checkAction(action: string): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (parts.length > 2) throw malformed('Actions/Condition can contain only one colon.');
  if (/[^a-zA-Z0-9.-]/.test(parts[0])) throw malformed(`Vendor ${parts[0]} is not valid`);
}

/**
 * Checks a policy document the way IAM does for `kind` and returns it with Statement as a list (and,
 * for a trust or resource policy without Version, Version 2008-10-17, which is what IAM assumes). Throws
 * MalformedPolicyDocument with IAM's text for the first problem. Sizes are not checked here (they are
 * LimitExceeded, not malformed: see IAM_POLICY_SIZE and iamPolicySize).
 */
export function parseIamPolicy(text: string, kind: IamPolicyKind): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  if (!syntaxOk(doc)) throw malformed('Syntax errors in policy.');
  const principals = kind === 'trust' || kind === 'resource';
  const version = (doc.Version ?? (principals ? '2008-10-17' : undefined)) as PolicyDocument['Version'] | undefined;
  if (version !== '2012-10-17' && !(principals && version === '2008-10-17')) throw malformed('Policy document must be version 2012-10-17 or greater.');
  const statements = (isObject(doc.Statement) ? [doc.Statement] : doc.Statement) as Json[];
  if (!statements.every(legacyOk)) throw malformed('The policy failed legacy parsing');
  const sids = statements.map((st) => st.Sid).filter((s): s is string => typeof s === 'string' && s !== '');
  if (new Set(sids).size !== sids.length) throw malformed('Statement IDs (SID) in a single policy must be unique.');
  if (statements.some((st) => list(st.Action ?? st.NotAction).length === 0)) throw malformed('Policy statement must contain actions.');
  if (principals) {
    if (statements.some((st) => st.Principal === undefined && st.NotPrincipal === undefined)) throw malformed('Missing required field Principal.');
    if (kind === 'trust' && statements.some((st) => 'Resource' in st || 'NotResource' in st)) throw malformed('Has prohibited field Resource.');
    for (const st of statements) {
      for (const r of list(st.Resource ?? st.NotResource)) if (r !== '*' && !r.includes(':')) throw malformed(`Resource ${r} must be in ARN format or "*".`);
    }
  } else {
    if (statements.some((st) => 'Principal' in st || 'NotPrincipal' in st)) throw malformed('Policy document should not specify a principal.');
    if (statements.some((st) => list(st.Resource ?? st.NotResource).length === 0)) throw malformed('Policy statement must contain resources.');
    for (const st of statements) {
      for (const r of list(st.Resource ?? st.NotResource)) if (r !== '*' && !r.includes(':')) throw malformed(`Resource ${r} must be in ARN format or "*".`);
    }
  }
  for (const st of statements) list(st.Action ?? st.NotAction).forEach(checkAction);
  if (kind === 'trust' && statements.some((st) => st.NotAction !== undefined || list(st.Action).some((a) => !trustAction(a)))) {
    throw malformed('AssumeRole policy may only specify STS AssumeRole actions.');
  }
  return { Version: version, ...(doc.Id !== undefined ? { Id: doc.Id as string } : {}), Statement: statements as unknown as PolicyStatement[] };
}

/** An sts: action a trust policy may name, or an sts: wildcard. */
function trustAction(a: string): boolean {
  return TRUST_ACTION.test(a) || (/^sts:/i.test(a) && /[*?]/.test(a));
}
