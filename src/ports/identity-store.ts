// IdentityStore: IAM's records (accounts, users, access keys, roles, managed and inline policies,
// attachments, OIDC providers, tags), every one scoped by the account that owns it. Each method is one
// store transaction; the ones that IAM guards with a check ("delete a user only when it has no keys",
// "a sixth policy version is refused") make the check inside that transaction and return the outcome
// as a string literal instead of throwing, so a service never checks then writes.
//
// Names of users, roles, managed and inline policies and tag keys are unique per scope without regard
// to ASCII case (IAM refuses "Admin" next to "admin") and are found without regard to case; records
// keep the spelling they were created (or renamed, or tagged) with. ARNs are matched exactly.

/** An IAM tag; a resource keeps its tags in the order they were first given. */
export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface AccountRecord {
  readonly id: string;
  readonly createdAt: Date;
}

export interface AccessKeyLastUsed {
  readonly date: Date;
  /** Signing name of the service the key was last used with, e.g. `ecr`. */
  readonly service: string;
  readonly region: string;
}

export interface AccessKeyRecord {
  readonly accessKeyId: string;
  /** The secret access key sealed by a SecretBox; never stored in clear. */
  readonly sealedSecret: string;
  /** e.g. arn:aws:iam::123456789012:root or arn:aws:iam::123456789012:user/alice (follows renames). */
  readonly principalArn: string;
  readonly status: 'Active' | 'Inactive';
  readonly createdAt: Date;
  /** The IAM user that owns the key; absent for the account root (and keys stored by putAccessKey). */
  readonly userName?: string;
  readonly lastUsed?: AccessKeyLastUsed;
}

/** Who owns access keys: a user of the account, or (no userName) the account root. */
export interface KeyOwner {
  readonly accountId: string;
  readonly userName?: string;
}

export interface NewUser {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** AIDA… */
  readonly id: string;
  readonly createdAt: Date;
  readonly permissionsBoundary?: string;
  readonly tags: readonly Tag[];
}

export interface UserRecord extends NewUser {
  /** arn:aws:iam::<account>:user<path><name> */
  readonly arn: string;
}

export interface NewRole {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** AROA… */
  readonly id: string;
  /** The assume-role (trust) policy text as given. */
  readonly trustPolicy: string;
  readonly description?: string;
  /** Seconds, 3600-43200. */
  readonly maxSessionDuration: number;
  readonly permissionsBoundary?: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
}

export interface RoleRecord extends NewRole {
  /** arn:aws:iam::<account>:role<path><name> */
  readonly arn: string;
  readonly lastUsed?: { readonly date: Date; readonly region: string };
}

export interface NewManagedPolicy {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** ANPA… */
  readonly id: string;
  readonly description?: string;
  /** The text of version v1, which becomes the default. */
  readonly document: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
}

export interface ManagedPolicyRecord {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly id: string;
  /** arn:aws:iam::<account>:policy<path><name> */
  readonly arn: string;
  readonly description?: string;
  readonly defaultVersionId: string;
  /** How many users and roles it is attached to. */
  readonly attachmentCount: number;
  readonly createdAt: Date;
  /** When the default version last changed (creation, then CreatePolicyVersion/SetDefault). */
  readonly updatedAt: Date;
  readonly tags: readonly Tag[];
}

export interface PolicyVersionRecord {
  /** v1, v2, …: numbers are never reused, also after a version is deleted. */
  readonly versionId: string;
  readonly document: string;
  readonly createdAt: Date;
  readonly isDefault: boolean;
}

/** A user or a role of an account, the two kinds of principal that hold policies. */
export interface PolicyOwner {
  readonly kind: 'user' | 'role';
  readonly accountId: string;
  readonly name: string;
}

export interface InlinePolicy {
  readonly name: string;
  readonly document: string;
}

/** Everything that decides what a user or role may do, read in one snapshot. */
export interface PrincipalPolicies {
  readonly inline: readonly InlinePolicy[];
  /** Attached customer-managed policies with the text of their default version. */
  readonly managed: readonly { readonly arn: string; readonly document: string }[];
  /** Attached AWS-managed policies (arn:aws:iam::aws:policy/…): built in, not stored. */
  readonly awsManaged: readonly string[];
  readonly permissionsBoundary?: string;
}

export interface NewOidcProvider {
  readonly accountId: string;
  /** arn:aws:iam::<account>:oidc-provider/<url without https://> */
  readonly arn: string;
  /** The issuer URL as given (https://…). */
  readonly url: string;
  readonly clientIds: readonly string[];
  readonly thumbprints: readonly string[];
  /** A JWKS document (JSON text) to verify tokens with, for issuers Wharf cannot reach. */
  readonly jwks?: string;
  /** A file holding the JWKS, read when tokens are verified. */
  readonly jwksFile?: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
}

export type OidcProviderRecord = NewOidcProvider;

/** What tags hang on: users and roles by name, managed policies and OIDC providers by ARN. */
export type TaggedRef =
  | { readonly kind: 'user' | 'role'; readonly accountId: string; readonly name: string }
  | { readonly kind: 'policy' | 'oidc-provider'; readonly arn: string };

/** A page request: names after `after` (in name order, case-insensitive), at most `limit`. */
export interface ListQuery {
  readonly pathPrefix?: string;
  readonly after?: string;
  readonly limit: number;
}

export interface AccountStore {
  /** Records an account; false (and no change) when it exists. */
  createAccount(id: string, at: Date): Promise<boolean>;
  /** The account, or undefined. */
  getAccount(id: string): Promise<AccountRecord | undefined>;
  /** Every account, by id. */
  listAccounts(): Promise<AccountRecord[]>;
}

export interface AccessKeyStore {
  /** The key with this id, whatever its status or account; undefined when there is none. Never cached. */
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Inserts or replaces the key with this id (its owner is its principalArn; no user is linked). */
  putAccessKey(key: AccessKeyRecord): Promise<void>;
  /** Keys whose principalArn is this, oldest first. */
  listAccessKeys(principalArn: string): Promise<AccessKeyRecord[]>;
  /**
   * In one transaction: marks every key of `key.principalArn` Inactive and inserts `key` (which must
   * be Active and have a new id). Afterwards getAccessKey() of an older key returns it Inactive, in
   * this process and in any other process on the same store. Returns how many keys were deactivated.
   */
  replaceAccessKeys(key: AccessKeyRecord): Promise<number>;
  /**
   * Adds an Active key for `owner` when it has fewer than `max` keys (any status). 'no-owner' when
   * the user does not exist, 'limit' when it has `max` keys already.
   */
  createOwnedAccessKey(owner: KeyOwner, key: { accessKeyId: string; sealedSecret: string; createdAt: Date }, max: number): Promise<AccessKeyRecord | 'no-owner' | 'limit'>;
  /** The owner's keys, oldest first; 'no-owner' when the user does not exist. */
  listOwnedAccessKeys(owner: KeyOwner): Promise<AccessKeyRecord[] | 'no-owner'>;
  /** Sets the status of the owner's key; 'no-owner', or 'missing' when the owner has no such key. */
  setAccessKeyStatus(owner: KeyOwner, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<'ok' | 'no-owner' | 'missing'>;
  /** Deletes the owner's key; 'no-owner', or 'missing' when the owner has no such key. */
  deleteOwnedAccessKey(owner: KeyOwner, accessKeyId: string): Promise<'ok' | 'no-owner' | 'missing'>;
  /** Records the latest use of a key (no-op when the key is gone). */
  recordAccessKeyUse(accessKeyId: string, used: AccessKeyLastUsed): Promise<void>;
}

export interface UserStore {
  /** Creates the user; undefined when the account has a user of that name. */
  createUser(user: NewUser): Promise<UserRecord | undefined>;
  /** The user, or undefined. */
  getUser(accountId: string, name: string): Promise<UserRecord | undefined>;
  /** Users in name order, filtered by path prefix. */
  listUsers(accountId: string, q: ListQuery): Promise<UserRecord[]>;
  /**
   * Renames and/or moves the user, keeping its id, keys, policies and tags (its keys' principalArn
   * follows). 'exists' when `newName` belongs to another user of the account.
   */
  updateUser(accountId: string, name: string, change: { newName?: string; newPath?: string }): Promise<'ok' | 'missing' | 'exists'>;
  /** Sets or (undefined) removes the permissions boundary; false when the user does not exist. */
  setUserBoundary(accountId: string, name: string, boundaryArn: string | undefined): Promise<boolean>;
  /** Deletes the user and its tags, only when it has no access keys, inline policies or attachments. */
  deleteUser(accountId: string, name: string): Promise<'ok' | 'missing' | 'has-keys' | 'has-inline' | 'has-attached'>;
}

export interface RoleStore {
  /** Creates the role; undefined when the account has a role of that name. */
  createRole(role: NewRole): Promise<RoleRecord | undefined>;
  /** The role (with its trust policy), or undefined. */
  getRole(accountId: string, name: string): Promise<RoleRecord | undefined>;
  /** Roles in name order, filtered by path prefix. */
  listRoles(accountId: string, q: ListQuery): Promise<RoleRecord[]>;
  /** Changes description (an empty string clears it) and/or max session duration; false when missing. */
  updateRole(accountId: string, name: string, change: { description?: string; maxSessionDuration?: number }): Promise<boolean>;
  /** Replaces the trust policy text; false when the role does not exist. */
  setTrustPolicy(accountId: string, name: string, text: string): Promise<boolean>;
  /** Sets or (undefined) removes the permissions boundary; false when the role does not exist. */
  setRoleBoundary(accountId: string, name: string, boundaryArn: string | undefined): Promise<boolean>;
  /** Records when and in which region the role was last assumed (no-op when missing). */
  recordRoleUse(accountId: string, name: string, used: { date: Date; region: string }): Promise<void>;
  /** Deletes the role and its tags, only when it has no inline policies or attachments. */
  deleteRole(accountId: string, name: string): Promise<'ok' | 'missing' | 'has-inline' | 'has-attached'>;
}

export interface PolicyStore {
  /** Creates the policy with version v1 as default; undefined when the account has a policy of that name. */
  createPolicy(policy: NewManagedPolicy): Promise<ManagedPolicyRecord | undefined>;
  /** The customer-managed policy with this ARN, or undefined. */
  getPolicy(arn: string): Promise<ManagedPolicyRecord | undefined>;
  /** The account's policies in name order, filtered by path prefix (and to attached ones). */
  listPolicies(accountId: string, q: ListQuery & { onlyAttached?: boolean }): Promise<ManagedPolicyRecord[]>;
  /**
   * Deletes the policy with its tags and default version, only when attached nowhere ('attached') and
   * when the default is its only version ('has-versions').
   */
  deletePolicy(arn: string): Promise<'ok' | 'missing' | 'attached' | 'has-versions'>;
  /**
   * Adds the next version when the policy has fewer than `max`, making it the default (and touching
   * updatedAt) when `setAsDefault`.
   */
  createPolicyVersion(arn: string, document: string, setAsDefault: boolean, at: Date, max: number): Promise<PolicyVersionRecord | 'missing' | 'limit'>;
  /** One version; 'missing' when there is no policy, 'no-version' when it lacks that version. */
  getPolicyVersion(arn: string, versionId: string): Promise<PolicyVersionRecord | 'missing' | 'no-version'>;
  /** The versions, newest first; 'missing' when there is no policy. */
  listPolicyVersions(arn: string): Promise<PolicyVersionRecord[] | 'missing'>;
  /** Deletes a version other than the default ('default' refuses that one). */
  deletePolicyVersion(arn: string, versionId: string): Promise<'ok' | 'missing' | 'no-version' | 'default'>;
  /** Makes a version the default and sets updatedAt. */
  setDefaultPolicyVersion(arn: string, versionId: string, at: Date): Promise<'ok' | 'missing' | 'no-version'>;
}

export interface PrincipalPolicyStore {
  /**
   * Creates or replaces an inline policy of `owner`. `size` is the document's size as IAM counts it;
   * 'limit' when the sizes of all the owner's inline policies (this one replacing its old text) would
   * exceed `maxTotal`.
   */
  putInlinePolicy(owner: PolicyOwner, policy: InlinePolicy, size: number, maxTotal: number): Promise<'ok' | 'no-owner' | 'limit'>;
  /** One inline policy; 'no-owner' when the user/role does not exist, 'missing' when it has no such policy. */
  getInlinePolicy(owner: PolicyOwner, name: string): Promise<InlinePolicy | 'no-owner' | 'missing'>;
  /** Names of the owner's inline policies, in name order. */
  listInlinePolicies(owner: PolicyOwner): Promise<string[] | 'no-owner'>;
  /** Deletes one inline policy. */
  deleteInlinePolicy(owner: PolicyOwner, name: string): Promise<'ok' | 'no-owner' | 'missing'>;
  /**
   * Attaches a managed policy (idempotent). A customer-managed ARN must name a stored policy
   * ('no-policy' otherwise); `awsManaged` ARNs are taken as they are (they are built in). 'limit' when
   * the owner already has `max` attachments and this one is new.
   */
  attachPolicy(owner: PolicyOwner, policyArn: string, opts: { awsManaged: boolean; max: number }): Promise<'ok' | 'no-owner' | 'no-policy' | 'limit'>;
  /** Detaches a managed policy; 'not-attached' when it was not. */
  detachPolicy(owner: PolicyOwner, policyArn: string): Promise<'ok' | 'no-owner' | 'not-attached'>;
  /** ARNs of the owner's attached policies, in the order they were attached. */
  listAttachedPolicies(owner: PolicyOwner): Promise<string[] | 'no-owner'>;
  /** The owner's inline policies, attached policies (default versions) and boundary, in one snapshot. */
  principalPolicies(owner: PolicyOwner): Promise<PrincipalPolicies | 'no-owner'>;
  /**
   * How many of the account's users and roles each AWS-managed policy (arn:aws:iam::aws:policy/…) is
   * attached to; policies attached nowhere in the account are absent. Other accounts' attachments
   * never count.
   */
  awsManagedAttachments(accountId: string): Promise<ReadonlyMap<string, number>>;
}

export interface OidcProviderStore {
  /** Creates the provider; undefined when one with that ARN (that is, that URL) exists. */
  createOidcProvider(p: NewOidcProvider): Promise<OidcProviderRecord | undefined>;
  /** The provider, or undefined. */
  getOidcProvider(arn: string): Promise<OidcProviderRecord | undefined>;
  /** The account's provider for this issuer URL (compared without `https://` and a trailing `/`), or undefined. */
  findOidcProvider(accountId: string, url: string): Promise<OidcProviderRecord | undefined>;
  /** The account's providers, by ARN. */
  listOidcProviders(accountId: string): Promise<OidcProviderRecord[]>;
  /** Deletes the provider with its tags; false when it did not exist. */
  deleteOidcProvider(arn: string): Promise<boolean>;
  /** Adds a client id (no change when present); 'limit' when it would be the (max+1)th. */
  addOidcClientId(arn: string, clientId: string, max: number): Promise<'ok' | 'missing' | 'limit'>;
  /** Removes a client id (no change when absent). */
  removeOidcClientId(arn: string, clientId: string): Promise<'ok' | 'missing'>;
  /** Replaces the thumbprint list; false when missing. */
  setOidcThumbprints(arn: string, thumbprints: readonly string[]): Promise<boolean>;
  /** Replaces the inline JWKS and JWKS file (undefined clears each); false when missing. */
  setOidcJwks(arn: string, keys: { jwks?: string; jwksFile?: string }): Promise<boolean>;
}

export interface TagStore {
  /**
   * Adds tags, replacing the value (and key spelling) of a key already there, which keeps its place;
   * new keys go last. 'limit' when the resource would have more than `max` tags (nothing changes).
   */
  tagResource(ref: TaggedRef, tags: readonly Tag[], max: number): Promise<'ok' | 'missing' | 'limit'>;
  /** Removes the tags with these keys (absent keys are ignored). */
  untagResource(ref: TaggedRef, keys: readonly string[]): Promise<'ok' | 'missing'>;
  /** The resource's tags in order; 'missing' when the resource does not exist. */
  listTags(ref: TaggedRef): Promise<Tag[] | 'missing'>;
}

/** Every identity record, in one store. */
export interface IdentityStore extends AccountStore, AccessKeyStore, UserStore, RoleStore, PolicyStore, PrincipalPolicyStore, OidcProviderStore, TagStore {}
