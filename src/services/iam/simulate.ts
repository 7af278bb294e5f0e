// IAM's policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy answered by the evaluator
// that decides every request (domain/aws/policy-eval.ts), over a user's or role's own policies read
// as the authorizer reads them (IamService.policiesFor: inline, attached managed and AWS-managed
// policies, the permissions boundary); and GetContextKeysFor{Principal,Custom}Policy, the condition
// keys those policies name. As in IAM, nothing is fetched for the simulated resources (a resource
// policy takes part only when the request gives one) and the context is what the request gives.
import { errors } from '../../domain/errors.ts';
import { checkArn, checkLength } from '../../domain/aws/iam-input.ts';
import { parseIamPolicy, type IamPolicyKind } from '../../domain/aws/iam-policy.ts';
import { parseBase64, parseDate, parseIp, parseNumber } from '../../domain/aws/condition-values.ts';
import { compilePolicy, evaluate, policiesDecision, type ContextValue, type Decision, type EvalPrincipal, type EvalRequest, type MatchedStatement, type PolicyInput } from '../../domain/aws/policy-eval.ts';
import { statementSpans, type StatementSpan, type TextPosition } from '../../domain/aws/policy-positions.ts';
import type { PolicyDocument } from '../../domain/aws/policy.ts';
import type { IamService } from '../iam.ts';

/** The model's ContextKeyType values. */
export const CONTEXT_KEY_TYPES = ['string', 'stringList', 'numeric', 'numericList', 'boolean', 'booleanList', 'ip', 'ipList', 'binary', 'binaryList', 'date', 'dateList'] as const;

/** One ContextEntries member as the request gives it. */
export interface ContextEntry {
  readonly name?: string;
  readonly values: readonly string[];
  readonly type?: string;
}

/** What both simulations take (SimulatePrincipalPolicy adds its PolicySourceArn). */
export interface SimulationRequest {
  readonly actionNames: readonly string[];
  /** default (and when empty) `*` */
  readonly resourceArns?: readonly string[];
  /** identity policies: all of them for SimulateCustomPolicy, added to the principal's own for SimulatePrincipalPolicy */
  readonly policyInputList?: readonly string[];
  /** at most one; replaces the principal's own boundary */
  readonly permissionsBoundaryPolicyInputList?: readonly string[];
  readonly resourcePolicy?: string;
  /** the account owning resources whose ARN names none (`*`): an account id, or `arn:aws:iam::<id>:root` */
  readonly resourceOwner?: string;
  /** the IAM user the simulated requests come from (what resource policies match) */
  readonly callerArn?: string;
  readonly contextEntries?: readonly ContextEntry[];
}

/** Which results of the action × resource list (action-major) to compute: IAM pages them. */
export interface ResultWindow {
  readonly start: number;
  readonly count: number;
}

/** How IAM's simulator names the kind of policy a statement is in. */
export type PolicySourceType = 'IAM Policy' | 'Resource Policy';

/** A statement that decided a result, named as IAM names it. */
export interface SimulatedStatement {
  /** `PolicyInputList.N`, `PermissionsBoundaryPolicyInputList.1`, `ResourcePolicy`, `user_<user>_<inline policy>`, `role_<role>_<inline policy>` or a managed policy's name */
  readonly sourcePolicyId: string;
  readonly sourcePolicyType: PolicySourceType;
  readonly effect: 'Allow' | 'Deny';
  readonly sid?: string;
  /** where the statement lies in the policy's text (policy-positions.ts) */
  readonly start?: TextPosition;
  readonly end?: TextPosition;
}

/** The simulation of one action on one resource. */
export interface SimulationResult {
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  /** the evaluator's deciding statements: every applicable Deny for ExplicitDeny, the Allows an Allow rested on, none otherwise */
  readonly matched: readonly SimulatedStatement[];
  /** keys the applicable statements read that the context lacks */
  readonly missingContextValues: readonly string[];
  /** when a permissions boundary took part: whether an Allow of it applies and no Deny does */
  readonly allowedByPermissionsBoundary?: boolean;
  /** when a resource policy took part: what the identity policies alone, and the resource policy alone, say */
  readonly decisionDetails?: { readonly identity: Decision; readonly resource: Decision };
}

/** The results of a window, and how many the whole list holds. */
export interface Simulation {
  readonly results: SimulationResult[];
  readonly total: number;
}

/** Where a policy given to the evaluator came from. */
interface Source {
  readonly id: string;
  readonly type: PolicySourceType;
  readonly spans?: readonly StatementSpan[];
}

/** A simulation ready to evaluate: the evaluator's inputs except action and resource. */
interface Prepared {
  readonly principal: EvalPrincipal;
  readonly identity: PolicyInput[];
  readonly boundary?: PolicyInput;
  readonly resourcePolicy?: PolicyInput;
  readonly sources: ReadonlyMap<string, Source>;
  readonly context: Readonly<Record<string, ContextValue>>;
  /** owner of resources whose ARN names no account */
  readonly owner: string;
}

const USER_ARN = /^arn:aws[a-z-]*:iam::([0-9]{12}):user\/(?:.*\/)?[^/]+$/;
const invalid = (reason: string) => errors.iamInvalidInput({ reason });

/** Collects the evaluator's PolicyInputs with their sources (ids `#0`, `#1` … keep them apart). */
class Policies {
  readonly sources = new Map<string, Source>();

  add(document: PolicyDocument, text: string, id: string, type: PolicySourceType): PolicyInput {
    const key = `#${this.sources.size}`;
    const spans = statementSpans(text);
    this.sources.set(key, { id, type, ...(spans ? { spans } : {}) });
    return { id: key, document };
  }

  /** Checks and adds a document the request gives (`member` as validation messages name it). */
  given(text: string, member: string, id: string, kind: IamPolicyKind): PolicyInput {
    checkLength(text, member, 1, 131072);
    return this.add(parseIamPolicy(text, kind), text, id, kind === 'resource' ? 'Resource Policy' : 'IAM Policy');
  }
}

export class PolicySimulator {
  constructor(private readonly iam: IamService) {}

  /**
   * SimulatePrincipalPolicy in `account` (the caller's): the user's or role's own policies (plus
   * PolicyInputList, with PermissionsBoundaryPolicyInputList instead of its boundary), decided for
   * the user (or CallerArn), or for the role as its sessions are. NoSuchEntity unless
   * `policySourceArn` is a user or role of `account` (Wharf has no groups).
   */
  async simulatePrincipalPolicy(account: string, policySourceArn: string, req: SimulationRequest, window: ResultWindow): Promise<Simulation> {
    const source = await this.source(account, policySourceArn);
    const policies = new Policies();
    const identity = source.set.identity.map((p) => policies.add(p.document, p.text, policyId(source, p.source), 'IAM Policy'));
    const stored = source.set.boundary && policies.add(source.set.boundary.document, source.set.boundary.text, policyId(source, source.set.boundary.source), 'IAM Policy');
    const caller = req.callerArn === undefined ? undefined : callerPrincipal(req.callerArn);
    const principal: EvalPrincipal = caller ?? (source.kind === 'user'
      ? { kind: 'user', arn: source.arn, accountId: account }
      : { kind: 'assumed-role', arn: source.arn, accountId: account });
    if (req.resourcePolicy !== undefined && !caller && source.kind !== 'user') throw invalid('CallerArn is required with a ResourcePolicy when PolicySourceArn is not a user.');
    const prepared = this.prepare(req, policies, identity, stored, principal, account, false);
    return run(prepared, req, window);
  }

  /** SimulateCustomPolicy in `account`: only the policies the request gives, decided for CallerArn (or no one in particular). */
  async simulateCustomPolicy(account: string, req: SimulationRequest, window: ResultWindow): Promise<Simulation> {
    const caller = req.callerArn === undefined ? undefined : callerPrincipal(req.callerArn);
    if (req.resourcePolicy !== undefined && !caller) throw invalid('CallerArn is required with a ResourcePolicy.');
    // Without a caller the simulated requests come from no one: aws:PrincipalArn and aws:PrincipalAccount are absent.
    const principal: EvalPrincipal = caller ?? { kind: 'user', arn: '', accountId: account };
    const prepared = this.prepare(req, new Policies(), [], undefined, principal, account, !caller);
    return run(prepared, req, window);
  }

  /**
   * GetContextKeysForPrincipalPolicy: the context keys the user's or role's policies (inline,
   * attached, boundary) and `policyInputList` name, each once, in the order they name them.
   */
  async contextKeysForPrincipalPolicy(account: string, policySourceArn: string, policyInputList: readonly string[] = []): Promise<string[]> {
    const source = await this.source(account, policySourceArn);
    const stored = [...source.set.identity, ...(source.set.boundary ? [source.set.boundary] : [])].map((p) => p.document);
    return contextKeys([...stored, ...givenDocuments(policyInputList)]);
  }

  /** GetContextKeysForCustomPolicy: the context keys `policyInputList` names. */
  contextKeysForCustomPolicy(policyInputList: readonly string[]): string[] {
    return contextKeys(givenDocuments(policyInputList));
  }

  /** The user or role `arn` names, with its policies as the authorizer reads them. */
  private async source(account: string, arn: string) {
    checkArn(arn, 'policySourceArn');
    const [, owner, resource] = /^arn:[^:]+:iam::([^:]*):(.*)$/.exec(arn)!;
    const parts = resource.split('/');
    const kind = parts[0] as 'user' | 'role' | 'group';
    const name = parts[parts.length - 1];
    if (parts.length < 2 || name === '' || !['user', 'role', 'group'].includes(kind)) throw invalid(`ARN ${arn} is not the ARN of a user, group or role.`);
    if (kind === 'group' || owner !== account) throw errors.iamNoSuchEntity({ kind, name });
    const record = kind === 'user' ? await this.iam.getUser(account, name) : await this.iam.getRole(account, name);
    const set = record.arn === arn ? await this.iam.policiesFor({ kind, accountId: account, name }) : undefined;
    if (!set) throw errors.iamNoSuchEntity({ kind, name });
    return { kind, name, arn, set };
  }

  /** Checks the request and builds what every result is evaluated with. */
  private prepare(req: SimulationRequest, policies: Policies, own: PolicyInput[], ownBoundary: PolicyInput | undefined,
    principal: EvalPrincipal, account: string, anonymousCaller: boolean): Prepared {
    req.actionNames.forEach((a, i) => checkLength(a, `actionNames.${i + 1}.member`, 3, 128));
    (req.resourceArns ?? []).forEach((r, i) => checkLength(r, `resourceArns.${i + 1}.member`, 1, 2048));
    const identity = [...own, ...(req.policyInputList ?? []).map((t, i) => policies.given(t, `policyInputList.${i + 1}.member`, `PolicyInputList.${i + 1}`, 'identity'))];
    const boundaries = req.permissionsBoundaryPolicyInputList ?? [];
    if (boundaries.length > 1) throw invalid('PermissionsBoundaryPolicyInputList takes one policy: an entity has at most one permissions boundary.');
    const boundary = boundaries.length === 1
      ? policies.given(boundaries[0], 'permissionsBoundaryPolicyInputList.1.member', 'PermissionsBoundaryPolicyInputList.1', 'boundary')
      : ownBoundary;
    const resourcePolicy = req.resourcePolicy === undefined ? undefined : policies.given(req.resourcePolicy, 'resourcePolicy', 'ResourcePolicy', 'resource');
    const context = contextOf(req.contextEntries ?? []);
    if (anonymousCaller) {
      for (const key of ['aws:PrincipalArn', 'aws:PrincipalAccount']) if (!Object.keys(context).some((k) => k.toLowerCase() === key.toLowerCase())) context[key] = [];
    }
    return {
      principal, identity, sources: policies.sources, context,
      owner: req.resourceOwner === undefined ? principal.accountId : ownerAccount(req.resourceOwner),
      ...(boundary ? { boundary } : {}), ...(resourcePolicy ? { resourcePolicy } : {}),
    };
  }
}

/** How IAM names a principal's policy: `user_<user>_<name>` / `role_<role>_<name>` for inline ones, else the managed policy's name. */
function policyId(entity: { kind: string; name: string }, source: string): string {
  return source.startsWith('inline:') ? `${entity.kind}_${entity.name}_${source.slice('inline:'.length)}` : source.slice(source.lastIndexOf('/') + 1);
}

/** CallerArn as the evaluator's principal: an IAM user ARN only, as IAM accepts. */
function callerPrincipal(arn: string): EvalPrincipal {
  checkLength(arn, 'callerArn', 1, 2048);
  const m = USER_ARN.exec(arn);
  if (!m) throw invalid(`CallerArn ${arn} is not the ARN of an IAM user.`);
  return { kind: 'user', arn, accountId: m[1] };
}

/** ResourceOwner: an account id or its root ARN. */
function ownerAccount(owner: string): string {
  checkLength(owner, 'resourceOwner', 1, 2048);
  const m = /^(?:arn:aws[a-z-]*:iam::)?([0-9]{12})(?::root)?$/.exec(owner);
  if (!m || (owner.startsWith('arn:') !== owner.endsWith(':root'))) throw invalid(`ResourceOwner ${owner} is not an account id or an account's root ARN.`);
  return m[1];
}

/** The account an ARN names (its fifth field, when that is an account id). */
function arnAccount(resource: string): string | undefined {
  const account = resource.split(':')[4];
  return account !== undefined && /^[0-9]{12}$/.test(account) ? account : undefined;
}

const SCALAR_CHECKS: Record<string, (v: string) => boolean> = {
  string: () => true,
  numeric: (v) => parseNumber(v) !== undefined,
  boolean: (v) => /^(true|false)$/i.test(v),
  ip: (v) => parseIp(v) !== undefined,
  binary: (v) => parseBase64(v) !== undefined,
  date: (v) => parseDate(v) !== undefined,
};

/**
 * ContextEntries as the evaluator's context. A type not in the model, several values for a scalar
 * type, or a value its type cannot read is InvalidInput; without a type, one value is a string and
 * several a string list. A key given twice (names compare without regard to case): the later counts.
 */
function contextOf(entries: readonly ContextEntry[]): Record<string, ContextValue> {
  const byKey = new Map<string, [string, ContextValue]>();
  entries.forEach((e, i) => {
    if (e.name === undefined) throw invalid(`ContextEntries.member.${i + 1} has no ContextKeyName.`);
    checkLength(e.name, `contextEntries.${i + 1}.member.contextKeyName`, 5, 256);
    const type = e.type ?? (e.values.length === 1 ? 'string' : 'stringList');
    if (!(CONTEXT_KEY_TYPES as readonly string[]).includes(type)) throw invalid(`The ContextKeyType ${type} of context key ${e.name} is not one of ${CONTEXT_KEY_TYPES.join(', ')}.`);
    const list = type.endsWith('List');
    const base = list ? type.slice(0, -'List'.length) : type;
    if (!list && e.values.length > 1) throw invalid(`The context key ${e.name} of type ${type} takes one value (${type}List takes several).`);
    for (const v of e.values) if (!SCALAR_CHECKS[base](v)) throw invalid(`The value ${v} of context key ${e.name} is not a valid ${base}.`);
    byKey.delete(e.name.toLowerCase());
    byKey.set(e.name.toLowerCase(), [e.name, list ? [...e.values] : (e.values[0] ?? [])]);
  });
  return Object.fromEntries(byKey.values());
}

/** The results in `window` of every action on every resource, action-major. */
function run(p: Prepared, req: SimulationRequest, window: ResultWindow): Simulation {
  const resources = req.resourceArns && req.resourceArns.length > 0 ? req.resourceArns : ['*'];
  const total = req.actionNames.length * resources.length;
  const results: SimulationResult[] = [];
  for (let i = window.start; i < Math.min(total, window.start + window.count); i++) {
    results.push(simulateOne(p, req.actionNames[Math.floor(i / resources.length)], resources[i % resources.length]));
  }
  return { results, total };
}

function simulateOne(p: Prepared, action: string, resource: string): SimulationResult {
  const request: EvalRequest = {
    principal: p.principal, action, resource, resourceAccount: arnAccount(resource) ?? p.owner, context: p.context,
    identityPolicies: p.identity, resourcePolicies: p.resourcePolicy ? [p.resourcePolicy] : [],
    ...(p.boundary ? { permissionsBoundary: p.boundary } : {}),
  };
  const r = evaluate(request);
  return {
    action, resource, decision: r.decision,
    matched: r.matched.map((m) => simulatedStatement(p.sources.get(m.policyId)!, m)),
    missingContextValues: r.missingContextKeys,
    ...(p.boundary ? { allowedByPermissionsBoundary: policiesDecision(request, [p.boundary], false) === 'Allow' } : {}),
    ...(p.resourcePolicy ? { decisionDetails: { identity: policiesDecision(request, p.identity, false), resource: policiesDecision(request, [p.resourcePolicy], true) } } : {}),
  };
}

function simulatedStatement(source: Source, m: MatchedStatement): SimulatedStatement {
  const span = source.spans?.[m.index];
  return {
    sourcePolicyId: source.id, sourcePolicyType: source.type, effect: m.effect,
    ...(m.sid !== undefined ? { sid: m.sid } : {}), ...(span ? { start: span.start, end: span.end } : {}),
  };
}

/** PolicyInputList documents of a GetContextKeys request, checked as identity policies. */
function givenDocuments(texts: readonly string[]): PolicyDocument[] {
  return texts.map((t, i) => {
    checkLength(t, `policyInputList.${i + 1}.member`, 1, 131072);
    return parseIamPolicy(t, 'identity');
  });
}

/**
 * The context keys `documents` read, each once (without regard to case), in the order they name them:
 * per statement, the policy variables of its Resource, then its Condition's keys and variables.
 */
function contextKeys(documents: readonly PolicyDocument[]): string[] {
  const seen = new Map<string, string>();
  for (const doc of documents) {
    for (const st of compilePolicy(doc).statements) {
      for (const k of [...(st.resources?.variables ?? []), ...(st.condition?.keys ?? [])]) if (!seen.has(k.key)) seen.set(k.key, k.name);
    }
  }
  return [...seen.values()];
}
