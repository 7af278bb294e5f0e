// The one authorization point: every ECR operation, every /v2/ request and every IAM/STS operation
// asks here whether a principal may perform an IAM action on a resource. The decision is the pure
// evaluator's (domain/aws/policy-eval.ts) over the principal's identity policies and boundary (the
// IAM records), the repository's policy and the registry policy (REGISTRY_POLICY_SCOPE V2: every
// ECR action; V1: only the actions it honours), with the request's context keys. What it reads from
// the stores is cached until the store's access version moves, so a repeated request costs one
// counter read and one evaluation.
import { denialMessage, evaluate, type ContextValues, type EvalResult, type PolicyInput } from '../domain/aws/policy-eval.ts';
import { parsePolicy, V1_REGISTRY_ACTIONS, type PolicyDocument, type RegistryPolicyScope } from '../domain/aws/policy.ts';
import { errors } from '../domain/errors.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { IamService } from './iam.ts';
import type { Principal } from './identity.ts';
import { evalPrincipalOf, principalContext, principalPolicies, type PrincipalPolicyInputs } from './principal-context.ts';
import { REGISTRY_POLICY_KEY } from './policies.ts';
import { registryPrefix, repositoryKey, splitRepositoryKey } from '../domain/registries.ts';

/** What the transport knows of the request beyond who signed it (context keys of §2.4). */
export interface RequestFacts {
  /** The client's address (the socket's; Wharf trusts no forwarding header). */
  readonly sourceIp?: string;
  /** TLS terminated at Wharf. */
  readonly secureTransport?: boolean;
  readonly userAgent?: string;
  /** Tags the request sets (CreateRepository, TagResource): aws:RequestTag/<k> and aws:TagKeys. */
  readonly requestTags?: Readonly<Record<string, string>>;
  /** Tag keys the request names without values (UntagResource): aws:TagKeys. */
  readonly tagKeys?: readonly string[];
}

/** A denied request, for the log: who, what, on what, and the statements (with their Sid) that decided. */
export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: EvalResult['decision'];
  readonly reason: EvalResult['reason'];
  readonly statements: readonly { policy: string; sid?: string }[];
}

export interface AuthorizationDeps {
  readonly meta: MetadataStore;
  readonly iam: IamService;
  readonly clock: Clock;
  readonly region: string;
  /** The account whose registry's repositories are stored under their bare names (domain/registries.ts). */
  readonly defaultAccount: string;
  /** Told of every denial (the server logs it at info). */
  readonly onDenied?: (d: Denial) => void;
}

/** A repository as decisions see it: its policy (none when it has none) and its resource tags. */
interface RepositorySide {
  readonly policy?: PolicyInput;
  readonly tags: Readonly<Record<string, string>>;
}

interface RegistrySide {
  readonly policy?: PolicyInput;
  readonly scope: RegistryPolicyScope;
}

/** Entries each cache keeps at most (a registry sees few distinct principals and hot repositories). */
const CACHE_MAX = 4096;
const V1_ACTIONS = new Set<string>(V1_REGISTRY_ACTIONS.map((a) => a.toLowerCase()));
/**
 * What the account's root may always do, whatever the resource policies say: read, replace and remove
 * them, so a policy that denies everyone (set with `force`) can be undone, as S3's root can always
 * delete a bucket policy (docs/access-control.md).
 */
const ROOT_RECOVERY = new Set(['ecr:getrepositorypolicy', 'ecr:setrepositorypolicy', 'ecr:deleterepositorypolicy',
  'ecr:getregistrypolicy', 'ecr:putregistrypolicy', 'ecr:deleteregistrypolicy']);
const REPOSITORY_ARN = /^arn:aws:ecr:([^:]*):([0-9]{12}):repository\/(.+)$/;

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= CACHE_MAX) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}

export class AuthorizationService {
  private version = -1;
  private readonly identities = new Map<string, Promise<PrincipalPolicyInputs | undefined>>();
  private readonly repositories = new Map<string, Promise<RepositorySide | undefined>>();
  private readonly registries = new Map<string, Promise<RegistrySide>>();

  constructor(private readonly d: AuthorizationDeps) {}

  /**
   * Throws AccessDenied (API) / DENIED (/v2/) with AWS's wording unless `principal` may perform
   * `action` on `resource` (an ARN, or `*` for actions without a resource type).
   */
  async authorize(principal: Principal, action: string, resource: string, facts: RequestFacts = {}): Promise<void> {
    const result = await this.decide(principal, action, resource, facts);
    if (result.decision === 'Allow') return;
    this.d.onDenied?.({
      principal: principal.arn, action, resource, decision: result.decision, reason: result.reason,
      statements: result.matched.map((m) => ({ policy: m.policyId, ...(m.sid !== undefined ? { sid: m.sid } : {}) })),
    });
    throw errors.denied({ reason: denialMessage(principal.arn, action, resource, result) });
  }

  /** The evaluator's decision, without throwing (IAM's simulate operations and tests use it). */
  async decide(principal: Principal, action: string, resource: string, facts: RequestFacts = {}): Promise<EvalResult> {
    await this.refresh();
    const repoMatch = REPOSITORY_ARN.exec(resource);
    if (principal.kind === 'root' && ROOT_RECOVERY.has(action.toLowerCase()) && (!repoMatch || repoMatch[2] === principal.accountId)) {
      return { decision: 'Allow', reason: 'root', matched: [], missingContextKeys: [] };
    }
    const ecr = action.toLowerCase().startsWith('ecr:');
    // The registry is the repository's account, or for registry-wide actions the caller's own.
    const account = repoMatch ? repoMatch[2] : principal.accountId;
    const prefix = registryPrefix(account, this.d.defaultAccount);
    const [identity, repository, registry] = await Promise.all([
      this.identityOf(principal),
      repoMatch ? this.repositoryOf(repositoryKey(prefix, repoMatch[3])) : undefined,
      ecr ? this.registryOf(prefix) : undefined,
    ]);
    const resourcePolicies: PolicyInput[] = [];
    if (repository?.policy) resourcePolicies.push(repository.policy);
    if (registry?.policy && (registry.scope === 'V2' || V1_ACTIONS.has(action.toLowerCase()))) resourcePolicies.push(registry.policy);
    if (identity === undefined) {
      // The user (or the session's role) is gone: nothing allows it any more.
      return { decision: 'ImplicitDeny', reason: 'identity', matched: [], missingContextKeys: [] };
    }
    return evaluate({
      principal: evalPrincipalOf(principal), action, resource,
      resourceAccount: account,
      context: this.context(principal, repository, facts),
      ...identity,
      resourcePolicies,
    });
  }

  /** The context keys of §2.4 that Wharf can supply for this request. */
  private context(p: Principal, repository: RepositorySide | undefined, facts: RequestFacts): ContextValues {
    const now = this.d.clock.now();
    const c: Record<string, string | boolean | number | readonly string[]> = {
      ...principalContext(p),
      'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': Math.floor(now.getTime() / 1000),
      'aws:RequestedRegion': this.d.region,
      'aws:SecureTransport': facts.secureTransport === true,
    };
    if (facts.sourceIp) c['aws:SourceIp'] = facts.sourceIp;
    if (facts.userAgent) c['aws:UserAgent'] = facts.userAgent;
    for (const [k, v] of Object.entries(repository?.tags ?? {})) {
      c[`aws:ResourceTag/${k}`] = v;
      c[`ecr:ResourceTag/${k}`] = v;
    }
    const keys = [...Object.keys(facts.requestTags ?? {}), ...(facts.tagKeys ?? [])];
    for (const [k, v] of Object.entries(facts.requestTags ?? {})) c[`aws:RequestTag/${k}`] = v;
    if (keys.length > 0) c['aws:TagKeys'] = keys;
    return c;
  }

  /** Drops every cached record once the store's access version has moved (a write by anyone). */
  private async refresh(): Promise<void> {
    const v = await this.d.meta.accessVersion();
    if (v === this.version) return;
    this.version = v;
    this.identities.clear();
    this.repositories.clear();
    this.registries.clear();
  }

  /** The principal's own policies (none for the root), cached per principal (a session per its key). */
  private identityOf(p: Principal): Promise<PrincipalPolicyInputs | undefined> {
    const key = `${p.arn}\n${p.accessKeyId ?? ''}`;
    const cached = this.identities.get(key);
    if (cached) return cached;
    const read = principalPolicies(this.d.iam, p);
    read.catch(() => this.identities.delete(key));
    return boundedSet(this.identities, key, read);
  }

  /** A repository by its store key (`<account>:<name>` outside the default registry). */
  private repositoryOf(key: string): Promise<RepositorySide | undefined> {
    const cached = this.repositories.get(key);
    if (cached) return cached;
    const read = (async (): Promise<RepositorySide | undefined> => {
      const [policy, tags] = await Promise.all([this.d.meta.getRepositoryPolicy(key), this.d.meta.getResourceTags(key)]);
      if (!policy) return undefined;
      const id = `repository/${splitRepositoryKey(key).name}`;
      return { ...(policy.text !== undefined ? { policy: { id, document: parseStored(policy.text, 'repository') } } : {}), tags: tags ?? {} };
    })();
    read.catch(() => this.repositories.delete(key));
    return boundedSet(this.repositories, key, read);
  }

  /** The registry policy and its scope of the registry whose settings are keyed with `prefix`. */
  private registryOf(prefix: string): Promise<RegistrySide> {
    const cached = this.registries.get(prefix);
    if (cached) return cached;
    const read = (async () => {
      const [text, scope] = await Promise.all([this.d.meta.getSetting(prefix + REGISTRY_POLICY_KEY), this.d.meta.getSetting(`${prefix}account-setting:REGISTRY_POLICY_SCOPE`)]);
      const s = (scope ?? 'V2') as RegistryPolicyScope;
      return { scope: s, ...(text !== undefined ? { policy: { id: 'registry-policy', document: parseStored(text, 'registry', s) } } : {}) };
    })();
    read.catch(() => this.registries.delete(prefix));
    return boundedSet(this.registries, prefix, read);
  }
}

/**
 * A stored repository or registry policy, parsed. It passed the same check when it was stored; a
 * registry policy stored under V2 and read under V1 may fail it, and then counts as no policy for
 * the V1 actions rather than refusing everything.
 */
function parseStored(text: string, kind: 'repository' | 'registry', scope?: RegistryPolicyScope): PolicyDocument {
  try {
    return parsePolicy(text, kind, scope);
  } catch {
    return parsePolicy(text, kind, 'V2');
  }
}
