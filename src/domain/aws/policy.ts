// IAM policy documents as ECR accepts them for repository and registry policies: the grammar check
// behind "Invalid repository policy provided" / "Invalid registry policy provided", and the lock-out
// test SetRepositoryPolicy runs unless `force` is set. Pure: text in, verdict out. Evaluating policies
// (who may do what) is policy-eval.ts's job.
import { actionMatches } from './arn-match.ts';

export { actionMatches };

/** Repository policies are about one repository (no Resource); registry policies name resources. */
export type PolicyKind = 'repository' | 'registry';

/** REGISTRY_POLICY_SCOPE: V1 honours only replication / pull-through-cache actions, V2 any ECR action. */
export type RegistryPolicyScope = 'V1' | 'V2';

/** The actions a V1-scoped registry policy may grant (ECR §8). */
export const V1_REGISTRY_ACTIONS = ['ecr:ReplicateImage', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'] as const;

export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: PrincipalValue;
  readonly NotPrincipal?: PrincipalValue;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export type PrincipalValue = '*' | Record<string, string | string[]>;

export interface PolicyDocument {
  readonly Version: (typeof POLICY_VERSIONS)[number];
  readonly Id?: string;
  readonly Statement: PolicyStatement[];
}

/** A policy text that is not an acceptable policy; `message` says why (for logs and tests, not the wire). */
export class PolicyError extends Error {}

const DOC_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACTION = /^(\*|[a-zA-Z0-9-]+:[A-Za-z0-9*?]+)$/;
const AWS_PRINCIPAL = [
  /^\*$/,
  /^[0-9]{12}$/,
  /^arn:aws[a-z-]*:iam::[0-9]{12}:(root|user\/.+|role\/.+|federated-user\/.+)$/,
  /^arn:aws[a-z-]*:sts::[0-9]{12}:(assumed-role\/.+|federated-user\/.+)$/,
  /^A[A-Z]{3}[A-Z0-9]{12,}$/, // unique ids (AIDA…, AROA…), what IAM shows for deleted principals
];
const CONDITION_OPERATOR = new RegExp('^(ForAllValues:|ForAnyValue:)?(' + [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike',
].join('|') + ')(IfExists)?$|^Null$');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty list of strings, each passing `ok`. */
function stringList(v: unknown, what: string, ok: (s: string) => boolean): string[] {
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
  if (!list || list.length === 0) throw new PolicyError(`${what} must be a string or a non-empty list of strings`);
  for (const s of list) {
    if (typeof s !== 'string' || !ok(s)) throw new PolicyError(`${what} has an invalid entry: ${JSON.stringify(s)}`);
  }
  return list as string[];
}

function checkPrincipal(v: unknown, what: string): void {
  if (v === '*') return;
  if (!isObject(v) || Object.keys(v).length === 0) throw new PolicyError(`${what} must be "*" or an object such as {"AWS": [...]}`);
  for (const [type, ids] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(type)) throw new PolicyError(`${what} has an unknown principal type '${type}'`);
    const ok = type === 'AWS' ? (s: string) => AWS_PRINCIPAL.some((re) => re.test(s))
      : type === 'Service' ? (s: string) => /^(\*|[a-z0-9.-]+)$/.test(s)
      : (s: string) => s.length > 0;
    stringList(ids, `${what}.${type}`, ok);
  }
}

function checkCondition(v: unknown): void {
  if (!isObject(v)) throw new PolicyError('Condition must be an object');
  for (const [op, block] of Object.entries(v)) {
    if (!CONDITION_OPERATOR.test(op)) throw new PolicyError(`Condition has an unknown operator '${op}'`);
    if (!isObject(block) || Object.keys(block).length === 0) throw new PolicyError(`Condition.${op} must be a non-empty object`);
    for (const [key, value] of Object.entries(block)) {
      const values = Array.isArray(value) ? value : [value];
      if (key.length === 0 || values.length === 0 || values.some((x) => !['string', 'number', 'boolean'].includes(typeof x))) {
        throw new PolicyError(`Condition.${op}.${key} must be a value or a non-empty list of values`);
      }
    }
  }
}

function checkStatement(st: unknown, i: number, kind: PolicyKind, scope: RegistryPolicyScope): void {
  const at = `Statement[${i}]`;
  if (!isObject(st)) throw new PolicyError(`${at} must be an object`);
  for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) throw new PolicyError(`${at} has an unknown element '${k}'`);
  if (st.Sid !== undefined && typeof st.Sid !== 'string') throw new PolicyError(`${at}.Sid must be a string`);
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicyError(`${at}.Effect must be Allow or Deny`);
  const one = (a: string, b: string) => {
    if ((st[a] === undefined) === (st[b] === undefined)) throw new PolicyError(`${at} needs exactly one of ${a} and ${b}`);
    return st[a] !== undefined ? a : b;
  };
  const p = one('Principal', 'NotPrincipal');
  checkPrincipal(st[p], `${at}.${p}`);
  const a = one('Action', 'NotAction');
  const actions = stringList(st[a], `${at}.${a}`, (s) => ACTION.test(s));
  if (kind === 'repository') {
    if (st.Resource !== undefined || st.NotResource !== undefined) throw new PolicyError(`${at}: a repository policy applies to its repository and takes no Resource`);
  } else {
    const r = one('Resource', 'NotResource');
    stringList(st[r], `${at}.${r}`, (s) => s === '*' || /^arn:aws[a-z-]*:ecr:[a-z0-9-]*:[0-9]{12}:.+$/.test(s));
    if (a === 'NotAction') throw new PolicyError(`${at}: a registry policy must list its actions (NotAction is not accepted)`);
    const allowed = scope === 'V1' ? V1_REGISTRY_ACTIONS.map((x) => x.toLowerCase()) : undefined;
    for (const act of actions) {
      const lower = act.toLowerCase();
      if (allowed && !allowed.includes(lower)) throw new PolicyError(`${at}: with REGISTRY_POLICY_SCOPE V1 only ${V1_REGISTRY_ACTIONS.join(', ')} are allowed, not '${act}'`);
      if (!allowed && lower !== '*' && !lower.startsWith('ecr:')) throw new PolicyError(`${at}: a registry policy may only name ecr: actions, not '${act}'`);
    }
  }
  if (st.Condition !== undefined) checkCondition(st.Condition);
}

/**
 * Parses and checks a repository or registry policy text. Throws PolicyError naming the first
 * problem; returns the document when it is acceptable. `scope` matters for registry policies only.
 */
export function parsePolicy(text: string, kind: PolicyKind, scope: RegistryPolicyScope = 'V2'): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyError('the policy is not valid JSON');
  }
  if (!isObject(doc)) throw new PolicyError('the policy must be a JSON object');
  for (const k of Object.keys(doc)) if (!DOC_KEYS.has(k)) throw new PolicyError(`unknown top-level element '${k}'`);
  if (!POLICY_VERSIONS.includes(doc.Version as never)) throw new PolicyError(`Version must be one of ${POLICY_VERSIONS.join(', ')}`);
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new PolicyError('Id must be a string');
  const statements = isObject(doc.Statement) ? [doc.Statement] : doc.Statement;
  if (!Array.isArray(statements) || statements.length === 0) throw new PolicyError('Statement must be an object or a non-empty list');
  statements.forEach((st, i) => checkStatement(st, i, kind, scope));
  return { ...(doc as unknown as PolicyDocument), Statement: statements as PolicyStatement[] };
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/** Whether a principal element names `arn` (exactly, by its account, or by "*"). */
function principalNames(p: PrincipalValue, arn: string, accountId: string): boolean {
  if (p === '*') return true;
  return asList(p.AWS).some((id) => id === '*' || id === arn || id === accountId || id === `arn:aws:iam::${accountId}:root`);
}

/**
 * True when `doc` unconditionally denies `ecr:SetRepositoryPolicy` to the caller `arn`: setting it
 * would lock the caller out of changing the policy again, which ECR only does with `force`.
 */
export function wouldLockOut(doc: PolicyDocument, arn: string, accountId: string): boolean {
  return doc.Statement.some((st) => {
    if (st.Effect !== 'Deny' || st.Condition !== undefined) return false;
    const who = st.Principal !== undefined ? principalNames(st.Principal, arn, accountId) : !principalNames(st.NotPrincipal!, arn, accountId);
    const what = st.Action !== undefined
      ? asList(st.Action).some((a) => actionMatches(a, 'ecr:SetRepositoryPolicy'))
      : !asList(st.NotAction).some((a) => actionMatches(a, 'ecr:SetRepositoryPolicy'));
    return who && what;
  });
}
