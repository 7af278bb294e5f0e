// Compiles an already-parsed IAM policy document into matchers, once per document object (cached in
// a WeakMap): lower-cased action sets and regexes, Resource patterns as per-segment ARN regexes,
// Principal elements as lookup sets, Condition elements as compiled entries. Pure.
import { anyOf, arnSource, compileActions, renderSource, type ActionMatcher } from './arn-match.ts';
import { compileCondition, conditionHolds, type CompiledCondition, type ConditionResult } from './conditions.ts';
import type { RequestContext } from './context-values.ts';
import type { PolicyDocument, PolicyStatement, PrincipalValue } from './policy.ts';
import { ByValues, parseArnTemplate, type VariablePart } from './policy-variables.ts';

/** How a resource policy's Principal names the caller: the caller itself, its role (for a session), or its account. */
export type PrincipalMatch = 'direct' | 'role' | 'account';

/** The caller as principal matching sees it (a subset of EvalPrincipal). */
export interface PrincipalIdentity {
  readonly arn: string;
  readonly sessionArn?: string;
  readonly accountId: string;
  readonly kind: 'root' | 'user' | 'assumed-role' | 'anonymous' | 'federated' | 'service';
}

/** A Principal / NotPrincipal element as lookup sets. */
interface CompiledPrincipal {
  readonly everyone: boolean;
  readonly arns: ReadonlySet<string>;
  readonly accounts: ReadonlySet<string>;
  readonly federated: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;
}

/** A Resource / NotResource element; `static` is the compiled regex when no pattern holds variables. */
interface CompiledResources {
  readonly static?: RegExp | null;
  /** the regex per combination of variable values, when some pattern holds variables */
  readonly byValues?: ByValues<RegExp | null>;
  readonly variables: readonly VariablePart[];
}

/** One compiled statement; `index` is its position in the document, `keys` the context keys it reads. */
export interface CompiledStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: ActionMatcher;
  readonly notAction: boolean;
  /** undefined: no Resource element (the statement is about the resource its policy is attached to) */
  readonly resources?: CompiledResources;
  readonly notResource: boolean;
  /** undefined: no Principal element (identity-based policies) */
  readonly principal?: CompiledPrincipal;
  readonly notPrincipal: boolean;
  readonly condition?: CompiledCondition;
  readonly keys: readonly { readonly key: string; readonly name: string }[];
}

/** A compiled policy document. */
export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
  /** lower-cased action → the statements whose Action / NotAction covers it (filled as actions are asked for) */
  readonly byAction: Map<string, readonly CompiledStatement[]>;
}

/** Bound on byAction entries per policy; actions are a small set, a flood of invented ones is cut off. */
const BY_ACTION_LIMIT = 512;

const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
const ROOT_ARN = /^arn:[^:]+:iam::(\d{12}):root$/;
const ACCOUNT_ID = /^\d{12}$/;

function compilePrincipal(p: PrincipalValue): CompiledPrincipal {
  const arns = new Set<string>();
  const accounts = new Set<string>();
  let everyone = p === '*';
  const record = p === '*' ? {} : p;
  for (const id of list(record.AWS)) {
    const root = ROOT_ARN.exec(id);
    if (id === '*') everyone = true;
    else if (ACCOUNT_ID.test(id)) accounts.add(id);
    else if (root) accounts.add(root[1]);
    else arns.add(id);
  }
  return { everyone, arns, accounts, federated: new Set(list(record.Federated)), services: new Set(list(record.Service)) };
}

function compileResources(patterns: readonly string[], variables: boolean): CompiledResources {
  const sources = patterns.map((p) => arnSource(parseArnTemplate(p, variables).parts, true));
  const used = sources.flatMap((pieces) => pieces.flatMap((piece) => (typeof piece === 'string' ? [] : [piece.variable])));
  const regex = (resolve: (v: VariablePart) => string | undefined) => anyOf(sources.map((pieces) => renderSource(pieces, resolve)!));
  if (used.length > 0) return { byValues: new ByValues(used, regex), variables: used };
  return { static: regex(() => undefined), variables: [] };
}

function compileStatement(st: PolicyStatement, index: number, variables: boolean): CompiledStatement {
  const resourcePatterns = st.Resource !== undefined ? list(st.Resource) : st.NotResource !== undefined ? list(st.NotResource) : undefined;
  const resources = resourcePatterns && compileResources(resourcePatterns, variables);
  const condition = compileCondition(st.Condition, variables);
  const keys = new Map<string, string>();
  for (const k of condition?.keys ?? []) keys.set(k.key, k.name);
  for (const v of resources?.variables ?? []) if (!keys.has(v.key)) keys.set(v.key, v.name);
  const principal = st.Principal !== undefined ? st.Principal : st.NotPrincipal;
  return {
    index,
    ...(st.Sid !== undefined ? { sid: st.Sid } : {}),
    effect: st.Effect,
    actions: compileActions(list(st.Action ?? st.NotAction)),
    notAction: st.Action === undefined && st.NotAction !== undefined,
    ...(resources ? { resources } : {}),
    notResource: st.Resource === undefined && st.NotResource !== undefined,
    ...(principal !== undefined ? { principal: compilePrincipal(principal) } : {}),
    notPrincipal: st.Principal === undefined && st.NotPrincipal !== undefined,
    ...(condition ? { condition } : {}),
    keys: [...keys].map(([key, name]) => ({ key, name })),
  };
}

const cache = new WeakMap<PolicyDocument, CompiledPolicy>();

/**
 * The compiled form of `doc`, built on first use and kept as long as the document object lives.
 * Documents must not be changed after they are first evaluated. Policy variables are read only with
 * Version 2012-10-17; with 2008-10-17 (or none) `${…}` is literal text.
 */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  let compiled = cache.get(doc);
  if (!compiled) {
    const variables = doc.Version === '2012-10-17';
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as unknown as PolicyStatement];
    compiled = { statements: statements.map((st, i) => compileStatement(st, i, variables)), byAction: new Map() };
    cache.set(doc, compiled);
  }
  return compiled;
}

/** Whether the statement's Action / NotAction covers the lower-cased `action`. */
export function actionApplies(st: CompiledStatement, action: string): boolean {
  return st.actions.test(action) !== st.notAction;
}

/** The statements of `policy` whose Action / NotAction covers the lower-cased `action`, in document order. */
export function statementsFor(policy: CompiledPolicy, action: string): readonly CompiledStatement[] {
  let list = policy.byAction.get(action);
  if (list === undefined) {
    list = policy.statements.filter((st) => actionApplies(st, action));
    if (policy.byAction.size >= BY_ACTION_LIMIT) policy.byAction.clear();
    policy.byAction.set(action, list);
  }
  return list;
}

/**
 * Whether the statement's Resource / NotResource covers `resource` (in normalizeResource() form);
 * 'unresolved' when a pattern's variable has no value. A statement without either element covers it.
 */
export function resourceApplies(st: CompiledStatement, resource: string, context: RequestContext): ConditionResult {
  const r = st.resources;
  if (!r) return true;
  const re = r.byValues ? r.byValues.get(context) : r.static;
  if (re === undefined) return 'unresolved';
  const hit = re !== null && re.test(resource);
  return hit !== st.notResource;
}

function named(p: CompiledPrincipal, who: PrincipalIdentity): PrincipalMatch | undefined {
  if (p.everyone) return 'direct';
  switch (who.kind) {
    case 'anonymous':
      return undefined;
    case 'service':
      return p.services.has(who.arn) ? 'direct' : undefined;
    case 'federated':
      return p.federated.has(who.arn) ? 'direct' : undefined;
    case 'assumed-role':
      if (who.sessionArn !== undefined && p.arns.has(who.sessionArn)) return 'direct';
      if (p.arns.has(who.arn)) return 'role';
      return p.accounts.has(who.accountId) ? 'account' : undefined;
    default:
      if (p.arns.has(who.arn)) return 'direct';
      return p.accounts.has(who.accountId) ? 'account' : undefined;
  }
}

/**
 * Whether a NotPrincipal element exempts the caller. AWS may check each level of the caller in turn
 * (account, then role, then session or user) and deny at the first level not listed
 * (reference_policies_elements_notprincipal.md), so the caller is exempt only when every level is listed.
 */
function exempts(p: CompiledPrincipal, who: PrincipalIdentity): boolean {
  if (p.everyone) return true;
  switch (who.kind) {
    case 'anonymous':
      return false;
    case 'service':
      return p.services.has(who.arn);
    case 'federated':
      return p.federated.has(who.arn);
    case 'root':
      return p.accounts.has(who.accountId);
    case 'user':
      return p.arns.has(who.arn) && p.accounts.has(who.accountId);
    case 'assumed-role':
      return who.sessionArn !== undefined && p.arns.has(who.sessionArn) && p.arns.has(who.arn) && p.accounts.has(who.accountId);
  }
}

/**
 * How a resource-policy statement's Principal / NotPrincipal covers the caller, or undefined when it
 * does not. NotPrincipal covers everyone it does not exempt (counted as 'direct'), and a Deny with
 * NotPrincipal always covers a caller with a permissions boundary (current IAM User Guide page
 * reference_policies_elements_notprincipal). A statement without either element covers no one.
 */
export function principalApplies(st: CompiledStatement, who: PrincipalIdentity, hasBoundary: boolean): PrincipalMatch | undefined {
  if (!st.principal) return undefined;
  if (!st.notPrincipal) return named(st.principal, who);
  if (st.effect === 'Deny' && hasBoundary) return 'direct';
  return exempts(st.principal, who) ? undefined : 'direct';
}

/** Whether the statement's Condition holds ('unresolved' when a variable has no value). */
export function conditionApplies(st: CompiledStatement, context: RequestContext): ConditionResult {
  return st.condition ? conditionHolds(st.condition, context) : true;
}
