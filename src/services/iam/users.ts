// IAM users and access keys (the base of IamService, services/iam.ts): create, rename, boundary and
// delete users; create, list, activate, deactivate and delete keys, their last use; and the empty
// answers Terraform reads before it deletes a user. Every call names the caller's account.
import { errors } from '../../domain/errors.ts';
import { AWS_MANAGED_POLICIES, isAwsManagedArn } from '../../domain/aws/managed-policies.ts';
import { IAM_LIMITS, checkArn, checkKeyStatus, checkLength, checkName, checkPath, checkPathPrefix, checkRange, checkTags } from '../../domain/aws/iam-input.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AccessKeyLastUsed, AccessKeyRecord, IdentityStore, KeyOwner, ListQuery, Tag, UserRecord } from '../../ports/identity-store.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { newAccessKeyId, newIamId, newSecretAccessKey } from '../credentials.ts';

/** A list request: IAM's PathPrefix, Marker (from the previous page) and MaxItems (1-1000, default 100). */
export interface PageRequest {
  readonly pathPrefix?: string;
  readonly marker?: string;
  readonly maxItems?: number;
}

/** One page of a list answer; `marker` (present when truncated) asks for the next. */
export interface Page<T> {
  readonly items: T[];
  readonly isTruncated: boolean;
  readonly marker?: string;
}

/** A new access key with its secret, which IAM shows once. */
export interface NewAccessKey {
  readonly key: AccessKeyRecord;
  readonly secretAccessKey: string;
}

export class IamUsers {
  constructor(protected readonly store: IdentityStore, protected readonly box: SecretBox, protected readonly clock: Clock) {}

  /** Reads one page through `list` (names in order) with IAM's paging members. */
  protected async page<T extends { name: string }>(req: PageRequest, list: (q: ListQuery) => Promise<T[]>): Promise<Page<T>> {
    if (req.pathPrefix !== undefined) checkPathPrefix(req.pathPrefix);
    const limit = req.maxItems ?? 100;
    checkRange(limit, 'maxItems', 1, 1000);
    if (req.marker !== undefined) checkLength(req.marker, 'marker', 1, 320);
    const rows = await list({ pathPrefix: req.pathPrefix, after: req.marker, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return rows.length > limit ? { items, isTruncated: true, marker: items[items.length - 1].name } : { items, isTruncated: false };
  }

  /** NoSuchEntity unless `arn` is a built-in AWS policy or a managed policy of the account (for boundaries). */
  protected async requireAttachable(account: string, arn: string, member: string): Promise<void> {
    checkArn(arn, member);
    const known = isAwsManagedArn(arn) ? AWS_MANAGED_POLICIES.has(arn) : arn.split(':')[4] === account && !!(await this.store.getPolicy(arn));
    if (!known) throw errors.iamNoSuchEntity({ kind: 'attachable-policy', arn });
  }

  /** CreateUser. EntityAlreadyExists when the name is taken (in any case). */
  async createUser(account: string, input: { userName: string; path?: string; permissionsBoundary?: string; tags?: readonly Tag[] }): Promise<UserRecord> {
    checkName(input.userName, 'userName');
    const path = input.path ?? '/';
    checkPath(path);
    const tags = input.tags ?? [];
    checkTags(tags);
    if (input.permissionsBoundary !== undefined) await this.requireAttachable(account, input.permissionsBoundary, 'permissionsBoundary');
    const made = await this.store.createUser({
      accountId: account, name: input.userName, path, id: newIamId('AIDA'), createdAt: this.clock.now(), tags,
      ...(input.permissionsBoundary !== undefined ? { permissionsBoundary: input.permissionsBoundary } : {}),
    });
    if (!made) throw errors.iamEntityAlreadyExists({ kind: 'user', name: input.userName });
    return made;
  }

  /** GetUser (by name; the HTTP layer resolves an omitted name to the caller). */
  async getUser(account: string, userName: string): Promise<UserRecord> {
    checkName(userName, 'userName', 128);
    const u = await this.store.getUser(account, userName);
    if (!u) throw errors.iamNoSuchEntity({ kind: 'user', name: userName });
    return u;
  }

  /**
   * GetUser of the account root (a request without UserName signed by the root): AWS answers with the
   * account id as UserId, the root ARN and no name or path. CreateDate is the account's creation when
   * the store records one, else the creation of the root's oldest access key (the root signed with one).
   */
  async getRootUser(account: string): Promise<{ userId: string; arn: string; createdAt: Date }> {
    const arn = `arn:aws:iam::${account}:root`;
    const created = (await this.store.getAccount(account))?.createdAt ?? (await this.store.listAccessKeys(arn))[0]?.createdAt ?? this.clock.now();
    return { userId: account, arn, createdAt: created };
  }

  /** ListUsers. */
  listUsers(account: string, req: PageRequest = {}): Promise<Page<UserRecord>> {
    return this.page(req, (q) => this.store.listUsers(account, q));
  }

  /** UpdateUser: a new name and/or path; the id, keys, policies and tags stay. */
  async updateUser(account: string, userName: string, change: { newUserName?: string; newPath?: string }): Promise<void> {
    checkName(userName, 'userName');
    if (change.newUserName !== undefined) checkName(change.newUserName, 'newUserName');
    if (change.newPath !== undefined) checkPath(change.newPath, 'newPath');
    const r = await this.store.updateUser(account, userName, { newName: change.newUserName, newPath: change.newPath });
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'user', name: userName });
    if (r === 'exists') throw errors.iamEntityAlreadyExists({ kind: 'user', name: change.newUserName! });
  }

  /** PutUserPermissionsBoundary / DeleteUserPermissionsBoundary (`arn` undefined). */
  async setUserPermissionsBoundary(account: string, userName: string, arn: string | undefined): Promise<void> {
    checkName(userName, 'userName');
    if (arn !== undefined) await this.requireAttachable(account, arn, 'permissionsBoundary');
    if (!(await this.store.setUserBoundary(account, userName, arn))) throw errors.iamNoSuchEntity({ kind: 'user', name: userName });
  }

  /** DeleteUser: DeleteConflict while the user has access keys, inline policies or attached policies. */
  async deleteUser(account: string, userName: string): Promise<void> {
    checkName(userName, 'userName');
    const r = await this.store.deleteUser(account, userName);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'user', name: userName });
    if (r === 'has-keys') throw errors.iamDeleteConflict({ reason: 'access-keys' });
    if (r === 'has-inline') throw errors.iamDeleteConflict({ reason: 'inline-policies' });
    if (r === 'has-attached') throw errors.iamDeleteConflict({ reason: 'attached-policies' });
  }

  private owner(account: string, userName: string | undefined): KeyOwner {
    if (userName !== undefined) checkName(userName, 'userName', 128);
    return userName === undefined ? { accountId: account } : { accountId: account, userName };
  }

  private noUser(userName: string | undefined): never {
    throw errors.iamNoSuchEntity({ kind: 'user', name: userName ?? '' });
  }

  /**
   * CreateAccessKey for a user, or for the account root when `userName` is undefined (the HTTP layer
   * passes the caller's user name when the request names none). At most 2 keys, whatever their status.
   */
  async createAccessKey(account: string, userName: string | undefined): Promise<NewAccessKey> {
    const secretAccessKey = newSecretAccessKey();
    const made = await this.store.createOwnedAccessKey(this.owner(account, userName),
      { accessKeyId: newAccessKeyId(), sealedSecret: this.box.seal(secretAccessKey), createdAt: this.clock.now() }, IAM_LIMITS.accessKeysPerUser);
    if (made === 'no-owner') this.noUser(userName);
    if (made === 'limit') throw errors.iamLimitExceeded({ kind: 'quota', quota: 'AccessKeysPerUser', max: IAM_LIMITS.accessKeysPerUser });
    return { key: made, secretAccessKey };
  }

  /** ListAccessKeys of a user or (undefined) the root, oldest first. */
  async listAccessKeys(account: string, userName: string | undefined): Promise<AccessKeyRecord[]> {
    const keys = await this.store.listOwnedAccessKeys(this.owner(account, userName));
    return keys === 'no-owner' ? this.noUser(userName) : keys;
  }

  /** UpdateAccessKey: Active or Inactive; an inactive key no longer signs (lookups read the store). */
  async updateAccessKey(account: string, userName: string | undefined, accessKeyId: string, status: string): Promise<void> {
    checkLength(accessKeyId, 'accessKeyId', 16, 128);
    checkKeyStatus(status);
    const r = await this.store.setAccessKeyStatus(this.owner(account, userName), accessKeyId, status);
    if (r === 'no-owner') this.noUser(userName);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'access-key', id: accessKeyId });
  }

  /** DeleteAccessKey. */
  async deleteAccessKey(account: string, userName: string | undefined, accessKeyId: string): Promise<void> {
    checkLength(accessKeyId, 'accessKeyId', 16, 128);
    const r = await this.store.deleteOwnedAccessKey(this.owner(account, userName), accessKeyId);
    if (r === 'no-owner') this.noUser(userName);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'access-key', id: accessKeyId });
  }

  /** GetAccessKeyLastUsed of a key of the account: its user (absent for the root) and last use, if any. */
  async getAccessKeyLastUsed(account: string, accessKeyId: string): Promise<{ userName?: string; lastUsed?: AccessKeyLastUsed }> {
    checkLength(accessKeyId, 'accessKeyId', 16, 128);
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k || !k.principalArn.startsWith(`arn:aws:iam::${account}:`)) throw errors.iamNoSuchEntity({ kind: 'access-key', id: accessKeyId });
    return { ...(k.userName ? { userName: k.userName } : {}), ...(k.lastUsed ? { lastUsed: k.lastUsed } : {}) };
  }

  /** Records that a key signed a request for `service` in `region` (the authenticator calls this). */
  recordAccessKeyUse(accessKeyId: string, service: string, region: string): Promise<void> {
    return this.store.recordAccessKeyUse(accessKeyId, { date: this.clock.now(), service, region });
  }

  /**
   * The answers Terraform needs for what Wharf does not have (groups, SSH keys, MFA devices, signing
   * certificates, service-specific credentials): an empty list for an existing user, NoSuchEntity otherwise.
   */
  async listNothingForUser(account: string, userName: string): Promise<never[]> {
    await this.getUser(account, userName);
    return [];
  }

  /** GetLoginProfile / DeleteLoginProfile: Wharf has no console passwords, so never one to find. */
  async loginProfile(account: string, userName: string): Promise<never> {
    await this.getUser(account, userName);
    throw errors.iamNoSuchEntity({ kind: 'login-profile', name: userName });
  }
}
