// IAM policies (second layer of IamService): managed policies and their versions, inline policies of
// users and roles, and attachments. The built-in AWS-managed policies (domain/aws/managed-policies.ts)
// can be read and attached, never changed. Documents are checked with IAM's rules and sizes.
import { errors } from '../../domain/errors.ts';
import { IAM_POLICY_SIZE, iamPolicySize, parseIamPolicy } from '../../domain/aws/iam-policy.ts';
import { AWS_MANAGED_POLICIES, isAwsManagedArn, type AwsManagedPolicy } from '../../domain/aws/managed-policies.ts';
import { IAM_LIMITS, checkArn, checkDescription, checkDocumentLength, checkEnum, checkLength, checkName, checkPath, checkRange, checkTags } from '../../domain/aws/iam-input.ts';
import type { InlinePolicy, ManagedPolicyRecord, PolicyOwner, PolicyVersionRecord, Tag } from '../../ports/identity-store.ts';
import { builtInPolicyId, newIamId } from '../credentials.ts';
import { IamUsers, type Page, type PageRequest } from './users.ts';

/** A managed policy as GetPolicy shows it: customer-managed (stored) or AWS-managed (built in). */
export type ManagedPolicyView = ManagedPolicyRecord & { readonly isAttachable: true };

const BUILT_IN_DATE = new Date(Date.UTC(2015, 11, 21));

/** A built-in policy as the account sees it: `attachmentCount` counts the account's users and roles. */
function builtInView(p: AwsManagedPolicy, attachmentCount: number): ManagedPolicyView {
  return {
    accountId: 'aws', name: p.name, path: '/', id: builtInPolicyId(p.name), arn: p.arn,
    description: p.description, defaultVersionId: p.defaultVersionId, attachmentCount, createdAt: BUILT_IN_DATE, updatedAt: BUILT_IN_DATE, tags: [], isAttachable: true,
  };
}

/** ListPolicies' Scope: AWS-managed, the account's own (Local), or both. */
export type PolicyScope = 'All' | 'AWS' | 'Local';

/** The Marker of a ListPolicies page that ends among the AWS-managed policies (names never hold '/'). */
const AWS_MARKER = 'aws/';

/** Names compare as the store orders them: without regard to ASCII case. */
function byName(a: { name: string }, b: { name: string }): number {
  const x = a.name.toLowerCase(), y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export class IamPolicies extends IamUsers {
  /** The user/role owner's name member, for validation messages. */
  private member(o: PolicyOwner): string {
    return o.kind === 'user' ? 'userName' : 'roleName';
  }

  /** NoSuchEntity for the owner itself. */
  protected noOwner(o: PolicyOwner): never {
    throw errors.iamNoSuchEntity({ kind: o.kind, name: o.name });
  }

  /** Checks an ARN the caller may name as a policy: its own account's, or AWS's. */
  private policyArn(account: string, arn: string): { aws: boolean } {
    checkArn(arn, 'policyArn');
    const aws = isAwsManagedArn(arn);
    if (!aws && arn.split(':')[4] !== account) throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    return { aws };
  }

  /** A customer-managed policy ARN of the account; UnmodifiableEntity for AWS's. */
  private writablePolicy(account: string, arn: string): void {
    if (this.policyArn(account, arn).aws) throw errors.iamUnmodifiableEntity({ arn });
  }

  private checkManagedDocument(text: string): void {
    checkDocumentLength(text, 'policyDocument');
    parseIamPolicy(text, 'identity');
    if (iamPolicySize(text) > IAM_POLICY_SIZE.managed) throw errors.iamLimitExceeded({ kind: 'quota', quota: 'PolicySize', max: IAM_POLICY_SIZE.managed });
  }

  /** CreatePolicy: version v1 is the default. EntityAlreadyExists when the account has that name. */
  async createPolicy(account: string, input: { policyName: string; path?: string; policyDocument: string; description?: string; tags?: readonly Tag[] }): Promise<ManagedPolicyView> {
    checkName(input.policyName, 'policyName', 128);
    const path = input.path ?? '/';
    checkPath(path);
    if (input.description !== undefined) checkDescription(input.description);
    const tags = input.tags ?? [];
    checkTags(tags);
    this.checkManagedDocument(input.policyDocument);
    const made = await this.store.createPolicy({
      accountId: account, name: input.policyName, path, id: newIamId('ANPA'), document: input.policyDocument, createdAt: this.clock.now(), tags,
      ...(input.description ? { description: input.description } : {}),
    });
    if (!made) throw errors.iamEntityAlreadyExists({ kind: 'policy', name: input.policyName });
    return { ...made, isAttachable: true };
  }

  /** GetPolicy of a policy of the account or a built-in AWS one. */
  async getPolicy(account: string, arn: string): Promise<ManagedPolicyView> {
    if (this.policyArn(account, arn).aws) {
      const p = AWS_MANAGED_POLICIES.get(arn);
      if (!p) throw errors.iamNoSuchEntity({ kind: 'policy', arn });
      return builtInView(p, (await this.store.awsManagedAttachments(account)).get(arn) ?? 0);
    }
    const p = await this.store.getPolicy(arn);
    if (!p) throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    return { ...p, isAttachable: true };
  }

  /**
   * ListPolicies: with Scope All (the default) the built-in AWS-managed policies come first, then the
   * account's own, each part in name order; AWS lists the policies of both in one unspecified order.
   * OnlyAttached keeps the ones attached to a user or role of the account. A page that ends among the
   * AWS-managed ones has the Marker `aws/<name>`, one that ends among the account's the last name.
   */
  async listPolicies(account: string, req: PageRequest & { scope?: string; onlyAttached?: boolean } = {}): Promise<Page<ManagedPolicyView>> {
    const scope = req.scope ?? 'All';
    checkEnum<PolicyScope>(scope, 'scope', ['All', 'AWS', 'Local']);
    const limit = req.maxItems ?? 100;
    checkRange(limit, 'maxItems', 1, 1000);
    if (req.pathPrefix !== undefined) checkPath(req.pathPrefix, 'pathPrefix');
    if (req.marker !== undefined) checkLength(req.marker, 'marker', 1, 320);
    const prefix = req.pathPrefix ?? '/';
    const inAws = req.marker?.startsWith(AWS_MARKER) ?? false;
    let builtIn: ManagedPolicyView[] = [];
    if (scope !== 'Local' && (req.marker === undefined || inAws)) {
      const counts = await this.store.awsManagedAttachments(account);
      const after = inAws ? req.marker!.slice(AWS_MARKER.length).toLowerCase() : '';
      builtIn = [...AWS_MANAGED_POLICIES.values()].map((p) => builtInView(p, counts.get(p.arn) ?? 0))
        .filter((p) => p.path.startsWith(prefix) && (!req.onlyAttached || p.attachmentCount > 0) && p.name.toLowerCase() > after)
        .sort(byName);
    }
    if (builtIn.length > limit) {
      const items = builtIn.slice(0, limit);
      return { items, isTruncated: true, marker: AWS_MARKER + items[limit - 1].name };
    }
    const room = limit - builtIn.length;
    const local = scope === 'AWS' ? [] : await this.store.listPolicies(account, {
      pathPrefix: prefix, after: req.marker === undefined || inAws ? undefined : req.marker, limit: room + 1, onlyAttached: req.onlyAttached ?? false,
    });
    const items = [...builtIn, ...local.slice(0, room).map((p) => ({ ...p, isAttachable: true as const }))];
    if (local.length <= room) return { items, isTruncated: false };
    const last = items[items.length - 1];
    return { items, isTruncated: true, marker: room === 0 ? AWS_MARKER + last.name : last.name };
  }

  /** GetPolicyVersion. */
  async getPolicyVersion(account: string, arn: string, versionId: string): Promise<PolicyVersionRecord> {
    if (this.policyArn(account, arn).aws) {
      const p = AWS_MANAGED_POLICIES.get(arn);
      if (!p) throw errors.iamNoSuchEntity({ kind: 'policy', arn });
      if (versionId !== p.defaultVersionId) throw errors.iamNoSuchEntity({ kind: 'policy-version', arn, versionId });
      return { versionId, document: p.document, createdAt: BUILT_IN_DATE, isDefault: true };
    }
    const v = await this.store.getPolicyVersion(arn, versionId);
    if (v === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    if (v === 'no-version') throw errors.iamNoSuchEntity({ kind: 'policy-version', arn, versionId });
    return v;
  }

  /** ListPolicyVersions, newest first. */
  async listPolicyVersions(account: string, arn: string): Promise<PolicyVersionRecord[]> {
    if (this.policyArn(account, arn).aws) {
      const p = AWS_MANAGED_POLICIES.get(arn);
      return [await this.getPolicyVersion(account, arn, p?.defaultVersionId ?? 'v1')];
    }
    const list = await this.store.listPolicyVersions(arn);
    if (list === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    return list;
  }

  /** CreatePolicyVersion: at most 5 versions (LimitExceeded); SetAsDefault makes it the default. */
  async createPolicyVersion(account: string, arn: string, document: string, setAsDefault = false): Promise<PolicyVersionRecord> {
    this.writablePolicy(account, arn);
    this.checkManagedDocument(document);
    const v = await this.store.createPolicyVersion(arn, document, setAsDefault, this.clock.now(), IAM_LIMITS.policyVersions);
    if (v === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    if (v === 'limit') throw errors.iamLimitExceeded({ kind: 'policy-versions' });
    return v;
  }

  /** DeletePolicyVersion: never the default (DeleteConflict). */
  async deletePolicyVersion(account: string, arn: string, versionId: string): Promise<void> {
    this.writablePolicy(account, arn);
    const r = await this.store.deletePolicyVersion(arn, versionId);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    if (r === 'no-version') throw errors.iamNoSuchEntity({ kind: 'policy-version', arn, versionId });
    if (r === 'default') throw errors.iamDeleteConflict({ reason: 'default-version' });
  }

  /** SetDefaultPolicyVersion. */
  async setDefaultPolicyVersion(account: string, arn: string, versionId: string): Promise<void> {
    this.writablePolicy(account, arn);
    const r = await this.store.setDefaultPolicyVersion(arn, versionId, this.clock.now());
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    if (r === 'no-version') throw errors.iamNoSuchEntity({ kind: 'policy-version', arn, versionId });
  }

  /** DeletePolicy: DeleteConflict while attached or while versions other than the default remain. */
  async deletePolicy(account: string, arn: string): Promise<void> {
    this.writablePolicy(account, arn);
    const r = await this.store.deletePolicy(arn);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
    if (r === 'attached') throw errors.iamDeleteConflict({ reason: 'policy-attached' });
    if (r === 'has-versions') throw errors.iamDeleteConflict({ reason: 'policy-versions' });
  }

  /**
   * PutUserPolicy / PutRolePolicy: creates or replaces an inline policy. The owner's inline policies
   * together may hold 2048 (user) or 10240 (role) characters without white space (LimitExceeded).
   */
  async putInlinePolicy(owner: PolicyOwner, policyName: string, document: string): Promise<void> {
    checkName(owner.name, this.member(owner));
    checkName(policyName, 'policyName', 128);
    checkDocumentLength(document, 'policyDocument');
    parseIamPolicy(document, 'identity');
    const max = owner.kind === 'user' ? IAM_POLICY_SIZE.userInline : IAM_POLICY_SIZE.roleInline;
    const r = await this.store.putInlinePolicy(owner, { name: policyName, document }, iamPolicySize(document), max);
    if (r === 'no-owner') this.noOwner(owner);
    if (r === 'limit') throw errors.iamLimitExceeded({ kind: 'inline-size', entity: owner.kind, name: owner.name, max });
  }

  /** GetUserPolicy / GetRolePolicy. */
  async getInlinePolicy(owner: PolicyOwner, policyName: string): Promise<InlinePolicy> {
    checkName(owner.name, this.member(owner));
    checkName(policyName, 'policyName', 128);
    const r = await this.store.getInlinePolicy(owner, policyName);
    if (r === 'no-owner') this.noOwner(owner);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: owner.kind === 'user' ? 'user-policy' : 'role-policy', name: policyName });
    return r;
  }

  /** ListUserPolicies / ListRolePolicies: names in order. */
  async listInlinePolicies(owner: PolicyOwner): Promise<string[]> {
    checkName(owner.name, this.member(owner));
    const r = await this.store.listInlinePolicies(owner);
    return r === 'no-owner' ? this.noOwner(owner) : r;
  }

  /** DeleteUserPolicy / DeleteRolePolicy. */
  async deleteInlinePolicy(owner: PolicyOwner, policyName: string): Promise<void> {
    checkName(owner.name, this.member(owner));
    checkName(policyName, 'policyName', 128);
    const r = await this.store.deleteInlinePolicy(owner, policyName);
    if (r === 'no-owner') this.noOwner(owner);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: owner.kind === 'user' ? 'user-policy' : 'role-policy', name: policyName });
  }

  /** AttachUserPolicy / AttachRolePolicy: a policy of the account or a built-in AWS one; at most 10 each. */
  async attachPolicy(owner: PolicyOwner, arn: string): Promise<void> {
    checkName(owner.name, this.member(owner));
    checkArn(arn, 'policyArn');
    const aws = isAwsManagedArn(arn);
    if (aws ? !AWS_MANAGED_POLICIES.has(arn) : arn.split(':')[4] !== owner.accountId) throw errors.iamNoSuchEntity({ kind: 'attachable-policy', arn });
    const r = await this.store.attachPolicy(owner, arn, { awsManaged: aws, max: IAM_LIMITS.attachedPerPrincipal });
    if (r === 'no-owner') this.noOwner(owner);
    if (r === 'no-policy') throw errors.iamNoSuchEntity({ kind: 'attachable-policy', arn });
    if (r === 'limit') throw errors.iamLimitExceeded({ kind: 'quota', quota: owner.kind === 'user' ? 'PoliciesPerUser' : 'PoliciesPerRole', max: IAM_LIMITS.attachedPerPrincipal });
  }

  /** DetachUserPolicy / DetachRolePolicy: NoSuchEntity when it was not attached. */
  async detachPolicy(owner: PolicyOwner, arn: string): Promise<void> {
    checkName(owner.name, this.member(owner));
    checkArn(arn, 'policyArn');
    const r = await this.store.detachPolicy(owner, arn);
    if (r === 'no-owner') this.noOwner(owner);
    if (r === 'not-attached') throw errors.iamNoSuchEntity({ kind: 'policy', arn });
  }

  /** ListAttachedUserPolicies / ListAttachedRolePolicies, in attach order. */
  async listAttachedPolicies(owner: PolicyOwner): Promise<{ policyName: string; policyArn: string }[]> {
    checkName(owner.name, this.member(owner));
    const r = await this.store.listAttachedPolicies(owner);
    if (r === 'no-owner') this.noOwner(owner);
    return r.map((arn) => ({ policyName: arn.slice(arn.lastIndexOf('/') + 1), policyArn: arn }));
  }
}
