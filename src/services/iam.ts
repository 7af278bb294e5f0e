// IamService: IAM's semantics below HTTP, for the Query-protocol front door, STS and the authorizer.
// Split by entity across src/services/iam/ (users and keys → policies → roles and OIDC providers,
// each layer extending the one before); this file adds tags and what the authorizer reads. Every
// method takes the caller's account id; checks that IAM makes atomic run inside one store call.
import { errors } from '../domain/errors.ts';
import { parseIamPolicy } from '../domain/aws/iam-policy.ts';
import { IAM_LIMITS, checkArn, checkName, checkTagKeys, checkTags } from '../domain/aws/iam-input.ts';
import { AWS_MANAGED_POLICIES, isAwsManagedArn } from '../domain/aws/managed-policies.ts';
import type { PolicyDocument } from '../domain/aws/policy.ts';
import type { PolicyOwner, Tag, TaggedRef } from '../ports/identity-store.ts';
import { IamRoles } from './iam/roles.ts';

export type { Page, PageRequest, NewAccessKey } from './iam/users.ts';
export type { ManagedPolicyView } from './iam/policies.ts';

/** What tags hang on, as a request names it (users and roles by name, the others by ARN). */
export type TagTarget = { kind: 'user' | 'role'; name: string } | { kind: 'policy' | 'oidc-provider'; arn: string };

/** An identity policy of a principal, parsed, with where it came from (an ARN, or `inline:<name>`). */
export interface SourcedPolicy {
  readonly source: string;
  readonly document: PolicyDocument;
  /** The document's text as stored (the policy simulator reports statement positions in it). */
  readonly text: string;
}

/** Everything the authorizer needs about a user's or role's own policies. */
export interface PrincipalPolicySet {
  /** Inline policies, then attached managed policies (default versions), in attach order. */
  readonly identity: readonly SourcedPolicy[];
  /** The permissions boundary, when one is set (an ARN whose policy no longer exists yields none). */
  readonly boundary?: SourcedPolicy;
}

const TAG_QUOTA: Record<TagTarget['kind'], string> = {
  user: 'TagsPerUser', role: 'TagsPerRole', policy: 'TagsPerPolicy', 'oidc-provider': 'TagsPerOpenIdConnectProvider',
};

export class IamService extends IamRoles {
  /** Checks a tag target of the account and turns it into the store's reference. */
  private async tagRef(account: string, t: TagTarget): Promise<TaggedRef> {
    if (!('arn' in t)) {
      checkName(t.name, `${t.kind}Name`);
      return { kind: t.kind, accountId: account, name: t.name };
    }
    checkArn(t.arn, t.kind === 'policy' ? 'policyArn' : 'openIDConnectProviderArn');
    if (t.kind === 'policy' && isAwsManagedArn(t.arn)) throw errors.iamUnmodifiableEntity({ arn: t.arn });
    if (t.arn.split(':')[4] !== account) this.noTarget(t);
    return { kind: t.kind, arn: t.arn };
  }

  private noTarget(t: TagTarget): never {
    if (!('arn' in t)) throw errors.iamNoSuchEntity({ kind: t.kind, name: t.name });
    throw errors.iamNoSuchEntity({ kind: t.kind, arn: t.arn });
  }

  /** TagUser / TagRole / TagPolicy / TagOpenIDConnectProvider: at most 50 tags per resource. */
  async tag(account: string, target: TagTarget, tags: readonly Tag[]): Promise<void> {
    checkTags(tags);
    const r = await this.store.tagResource(await this.tagRef(account, target), tags, IAM_LIMITS.tagsPerResource);
    if (r === 'missing') this.noTarget(target);
    if (r === 'limit') throw errors.iamLimitExceeded({ kind: 'quota', quota: TAG_QUOTA[target.kind], max: IAM_LIMITS.tagsPerResource });
  }

  /** UntagUser / UntagRole / UntagPolicy / UntagOpenIDConnectProvider. */
  async untag(account: string, target: TagTarget, keys: readonly string[]): Promise<void> {
    checkTagKeys(keys);
    if ((await this.store.untagResource(await this.tagRef(account, target), keys)) === 'missing') this.noTarget(target);
  }

  /** ListUserTags / ListRoleTags / ListPolicyTags / ListOpenIDConnectProviderTags, in order. */
  async listTags(account: string, target: TagTarget): Promise<Tag[]> {
    if ('arn' in target && target.kind === 'policy' && AWS_MANAGED_POLICIES.has(target.arn)) return [];
    const r = await this.store.listTags(await this.tagRef(account, target));
    return r === 'missing' ? this.noTarget(target) : r;
  }

  /**
   * The identity policies and permissions boundary of a user or role (a role session's role), read in
   * one snapshot; undefined when the principal no longer exists (the authorizer then denies).
   */
  async policiesFor(owner: PolicyOwner): Promise<PrincipalPolicySet | undefined> {
    const p = await this.store.principalPolicies(owner);
    if (p === 'no-owner') return undefined;
    const identity: SourcedPolicy[] = [
      ...p.inline.map((i) => ({ source: `inline:${i.name}`, document: parseIamPolicy(i.document, 'identity'), text: i.document })),
      ...p.managed.map((m) => ({ source: m.arn, document: parseIamPolicy(m.document, 'identity'), text: m.document })),
      ...p.awsManaged.flatMap((arn) => {
        const builtIn = AWS_MANAGED_POLICIES.get(arn);
        return builtIn ? [{ source: arn, document: parseIamPolicy(builtIn.document, 'identity'), text: builtIn.document }] : [];
      }),
    ];
    const boundary = p.permissionsBoundary === undefined ? undefined : await this.boundaryPolicy(p.permissionsBoundary);
    return { identity, ...(boundary ? { boundary } : {}) };
  }

  private async boundaryPolicy(arn: string): Promise<SourcedPolicy | undefined> {
    const text = isAwsManagedArn(arn) ? AWS_MANAGED_POLICIES.get(arn)?.document : await this.defaultDocument(arn);
    return text === undefined ? undefined : { source: arn, document: parseIamPolicy(text, 'boundary'), text };
  }

  /**
   * The default version's text of a customer-managed policy of `account` (session PolicyArns), or
   * undefined when the account has no such policy.
   */
  async defaultPolicyDocument(account: string, arn: string): Promise<string | undefined> {
    return arn.split(':')[4] === account ? this.defaultDocument(arn) : undefined;
  }

  private async defaultDocument(arn: string): Promise<string | undefined> {
    const policy = await this.store.getPolicy(arn);
    const v = policy && (await this.store.getPolicyVersion(arn, policy.defaultVersionId));
    return typeof v === 'object' ? v.document : undefined;
  }
}
