// Identities: who signed a request and who holds a registry token. The account root (its access key
// from the environment or generated on first start), IAM users (their access keys), and role sessions
// (temporary `ASIA…` keys with a sealed session token, services/sessions.ts), each as one Principal.
import { randomInt } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import type { PolicyDocument } from '../domain/aws/policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityStore, RoleRecord, Tag, UserRecord } from '../ports/identity-store.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import { newAccessKeyId, newSecretAccessKey as newSecret } from './credentials.ts';
import { isTemporaryAccessKeyId, type SessionFacts, type SessionTokens } from './sessions.ts';
import { parseIamPolicy } from '../domain/aws/iam-policy.ts';

/** A role session as the authorizer and GetCallerIdentity see it. */
export interface RoleSession {
  /** arn:aws:iam::<account>:role<path><name> (what aws:PrincipalArn is for a session). */
  readonly roleArn: string;
  readonly roleName: string;
  /** The role's unique id, AROA…. */
  readonly roleId: string;
  /** RoleSessionName. */
  readonly sessionName: string;
  /** The inline session policy, parsed (absent when none was passed). */
  readonly policy?: PolicyDocument;
  /** Managed policies passed as session policies (their documents are read when authorizing). */
  readonly policyArns: readonly string[];
  /** When the session was issued (aws:TokenIssueTime) and when it ends. */
  readonly tokenIssueTime: Date;
  readonly expiresAt: Date;
  /** SourceIdentity (aws:SourceIdentity), when set. */
  readonly sourceIdentity?: string;
  /** Session tags (also merged into the principal's tags). */
  readonly tags: readonly Tag[];
  /** Keys of `tags` that pass on when this session assumes another role. */
  readonly transitiveTagKeys: readonly string[];
  /** The OIDC provider ARN of a web-identity session (aws:FederatedProvider). */
  readonly federatedProvider?: string;
  /** The session as sealed (registry tokens minted for it carry this, without the secret). */
  readonly facts: SessionFacts;
}

/** Who a request is from. Immutable; built only by the functions below. */
export interface Principal {
  readonly kind: 'root' | 'user' | 'assumed-role';
  /** arn:aws:iam::A:root, arn:aws:iam::A:user<path><name> or arn:aws:sts::A:assumed-role/<role>/<session>. */
  readonly arn: string;
  /** The account the principal belongs to (for a session, the role's). */
  readonly accountId: string;
  /** AWS's aws:userid (GetCallerIdentity's UserId): the account id for the root, AIDA… for a user, AROA…:<session> for a session. */
  readonly userId: string;
  /** The access key that authenticated the request, when one did (AKIA… or ASIA…). */
  readonly accessKeyId?: string;
  /** A user's name and path (users only). */
  readonly userName?: string;
  readonly path?: string;
  /** The role session (assumed-role only). */
  readonly session?: RoleSession;
  /**
   * aws:PrincipalTag values by key: a user's tags, or a session's role tags with its session tags
   * over them (a session tag replaces a role tag whose key differs only in case).
   */
  readonly principalTags: Readonly<Record<string, string>>;
}

export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

const tagRecord = (tags: readonly Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.key, t.value]));

/** The account root of `accountId`. */
export function rootPrincipal(accountId: string, accessKeyId?: string): Principal {
  return Object.freeze({ kind: 'root', arn: rootArn(accountId), accountId, userId: accountId, ...(accessKeyId ? { accessKeyId } : {}), principalTags: {} });
}

/** An IAM user, as the store has it now. */
export function userPrincipal(user: UserRecord, accessKeyId?: string): Principal {
  return Object.freeze({
    kind: 'user', arn: user.arn, accountId: user.accountId, userId: user.id, ...(accessKeyId ? { accessKeyId } : {}),
    userName: user.name, path: user.path, principalTags: Object.freeze(tagRecord(user.tags)),
  });
}

/** The ARN of session `sessionName` of role `roleName` in `accountId`. */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** A role session of `role` (which the caller has checked is the session's role, as it is now). */
export function sessionPrincipal(facts: SessionFacts, role: RoleRecord, policy: PolicyDocument | undefined, accessKeyId?: string): Principal {
  const tags = facts.tags ?? [];
  const sessionKeys = new Set(tags.map((t) => t.key.toLowerCase()));
  const merged = { ...tagRecord(role.tags.filter((t) => !sessionKeys.has(t.key.toLowerCase()))), ...tagRecord(tags) };
  const session: RoleSession = Object.freeze({
    roleArn: role.arn, roleName: role.name, roleId: role.id, sessionName: facts.sessionName,
    ...(policy ? { policy } : {}), policyArns: facts.policyArns ?? [],
    tokenIssueTime: new Date(facts.issuedAt), expiresAt: new Date(facts.expiresAt),
    ...(facts.sourceIdentity !== undefined ? { sourceIdentity: facts.sourceIdentity } : {}),
    tags, transitiveTagKeys: facts.transitiveTagKeys ?? [],
    ...(facts.federatedProvider !== undefined ? { federatedProvider: facts.federatedProvider } : {}),
    facts,
  });
  return Object.freeze({
    kind: 'assumed-role', arn: assumedRoleArn(role.accountId, role.name, facts.sessionName), accountId: role.accountId,
    userId: `${role.id}:${facts.sessionName}`, ...(accessKeyId ? { accessKeyId } : {}), session, principalTags: Object.freeze(merged),
  });
}

/** The account and name in a role ARN (`arn:aws:iam::A:role/path/name`), or undefined. */
export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const m = /^arn:aws:iam::([0-9]{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  return m ? { accountId: m[1], roleName: m[2] } : undefined;
}

/** Who a registry token names, as sealed in it. */
export interface TokenSubject {
  /** The principal's ARN when the token was issued. */
  readonly arn: string;
  readonly accessKeyId?: string;
  /** The session, for a token minted with temporary credentials. */
  readonly session?: SessionFacts;
}

/** A random 12-digit account id that does not start with 0 (so it never reads as the default 000000000000). */
function randomAccountId(): string {
  return String(randomInt(1, 10)) + Array.from({ length: 11 }, () => String(randomInt(0, 10))).join('');
}

/** How long a registry token's principal is trusted without reading the store again (per node). */
export const TOKEN_PRINCIPAL_TTL_MS = 2000;
/** A key's last use is written at most this often (per key, per node). */
export const KEY_USE_INTERVAL_MS = 60_000;

export class IdentityService {
  /** When each access key's use was last written (in this process). */
  private readonly keyUseWritten = new Map<string, number>();
  /** Registry-token principals recently checked against the store, by token subject. */
  private readonly tokenPrincipals = new WeakMap<TokenSubject, { principal: Principal; until: number }>();

  constructor(
    private readonly store: IdentityStore, private readonly box: SecretBox, private readonly clock: Clock, readonly accountId: string,
    private readonly sessions: SessionTokens,
  ) {}

  /**
   * Makes sure the root principal has an access key. With `given` (from WHARF_ROOT_ACCESS_KEY_ID /
   * WHARF_ROOT_SECRET_ACCESS_KEY) that key is stored; otherwise one is generated once and returned
   * so the caller can hand it to the operator; later starts return undefined.
   */
  async ensureRootKey(given?: { accessKeyId: string; secretAccessKey: string }): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
    const arn = rootArn(this.accountId);
    if (given) {
      const existing = await this.store.getAccessKey(given.accessKeyId);
      if (!existing || existing.principalArn !== arn || this.box.open(existing.sealedSecret) !== given.secretAccessKey) {
        await this.store.putAccessKey({ accessKeyId: given.accessKeyId, sealedSecret: this.box.seal(given.secretAccessKey), principalArn: arn, status: 'Active', createdAt: this.clock.now() });
      }
      return undefined;
    }
    if ((await this.store.listAccessKeys(arn)).some((k) => k.status === 'Active')) return undefined;
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    await this.store.putAccessKey({ accessKeyId: key.accessKeyId, sealedSecret: this.box.seal(key.secretAccessKey), principalArn: arn, status: 'Active', createdAt: this.clock.now() });
    return key;
  }

  /**
   * Replaces the root principal's access keys with a new one (a lost or leaked key): every older root
   * key becomes Inactive at once, also for a server running on the same store, because lookup()
   * reads the store on every request. Registry tokens issued before keep working until they expire
   * (they are sealed with a key derived from the master key, not tied to the access key). Returns the new key, to show once.
   */
  async rotateRootKey(accountId: string = this.accountId): Promise<{ accessKeyId: string; secretAccessKey: string; deactivated: number }> {
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    const deactivated = await this.store.replaceAccessKeys({ accessKeyId: key.accessKeyId, sealedSecret: this.box.seal(key.secretAccessKey), principalArn: rootArn(accountId), status: 'Active', createdAt: this.clock.now() });
    return { ...key, deactivated };
  }

  /**
   * Adds an account (`id`, or a new random 12-digit id) with its registry and a root access key,
   * returned once to hand to the operator. Undefined when the account exists (the default included).
   */
  async createAccount(id: string = randomAccountId()): Promise<{ accountId: string; accessKeyId: string; secretAccessKey: string } | undefined> {
    if (id === this.accountId || !(await this.store.createAccount(id, this.clock.now()))) return undefined;
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    await this.store.putAccessKey({ accessKeyId: key.accessKeyId, sealedSecret: this.box.seal(key.secretAccessKey), principalArn: rootArn(id), status: 'Active', createdAt: this.clock.now() });
    return { accountId: id, ...key };
  }

  /** Every account: the default (configured) one first, then those `createAccount` added, by id. */
  async listAccounts(): Promise<{ accountId: string; isDefault: boolean; createdAt?: Date }[]> {
    const added = (await this.store.listAccounts()).filter((a) => a.id !== this.accountId);
    return [{ accountId: this.accountId, isDefault: true }, ...added.map((a) => ({ accountId: a.id, isDefault: false, createdAt: a.createdAt }))];
  }

  /** True for the default account and every account createAccount added. */
  async hasAccount(id: string): Promise<boolean> {
    return id === this.accountId || (await this.store.getAccount(id)) !== undefined;
  }

  /**
   * The secret and principal of a signing key, or undefined when nobody could have signed with it:
   * an unknown or Inactive long-term key (or one sent with a session token), a user key whose user is
   * gone, a temporary key without a session token, a token that is not ours or names another key, or
   * a session whose role was deleted (or deleted and made again). Reads the store every time, so a
   * change takes effect on the next request. Throws SessionExpired for a session past its expiry.
   */
  async lookup(accessKeyId: string, securityToken?: string): Promise<{ secret: string; principal: Principal } | undefined> {
    if (isTemporaryAccessKeyId(accessKeyId)) return securityToken === undefined ? undefined : this.lookupSession(accessKeyId, securityToken);
    if (securityToken !== undefined) return undefined;
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k || k.status !== 'Active') return undefined;
    const account = k.principalArn.split(':')[4];
    let principal: Principal;
    if (k.userName !== undefined) {
      const user = await this.store.getUser(account, k.userName);
      if (!user) return undefined;
      principal = userPrincipal(user, accessKeyId);
    } else if (k.principalArn === rootArn(account)) {
      principal = rootPrincipal(account, accessKeyId);
    } else {
      return undefined;
    }
    return { secret: this.box.open(k.sealedSecret), principal };
  }

  private async lookupSession(accessKeyId: string, token: string): Promise<{ secret: string; principal: Principal } | undefined> {
    const s = this.sessions.open(token);
    if (!s || s.accessKeyId !== accessKeyId) return undefined;
    if (this.clock.now().getTime() >= s.facts.expiresAt) throw errors.sessionExpired();
    const role = await this.currentRole(s.facts);
    return role && { secret: s.secretAccessKey, principal: sessionPrincipal(s.facts, role, s.policyDocument, accessKeyId) };
  }

  /** The session's role as it is now, or undefined when it no longer exists (by ARN and unique id). */
  private async currentRole(facts: SessionFacts): Promise<RoleRecord | undefined> {
    const ref = parseRoleArn(facts.roleArn);
    const role = ref && (await this.store.getRole(ref.accountId, ref.roleName));
    return role && role.id === facts.roleId && role.arn === facts.roleArn ? role : undefined;
  }

  /**
   * Notes that a long-term key signed a request for `service` in `region` (IAM's last-used
   * information): written at most once per KEY_USE_INTERVAL_MS per key, after the current request's
   * work (setImmediate), and a failed write is dropped: no request waits for it or fails with it.
   */
  noteKeyUse(accessKeyId: string, service: string, region: string): void {
    if (isTemporaryAccessKeyId(accessKeyId)) return;
    const now = this.clock.now();
    const last = this.keyUseWritten.get(accessKeyId);
    if (last !== undefined && now.getTime() - last < KEY_USE_INTERVAL_MS) return;
    this.keyUseWritten.set(accessKeyId, now.getTime());
    setImmediate(() => {
      this.store.recordAccessKeyUse(accessKeyId, { date: now, service, region }).catch(() => undefined);
    });
  }

  /**
   * The principal a verified registry token names, as it is now: TokenInvalid when its user or role
   * no longer exists (a deleted role ends its sessions' tokens too). The answer is reused for
   * TOKEN_PRINCIPAL_TTL_MS, so a HEAD of a manifest reads the store at most once per token every
   * 2 seconds; a deletion reaches tokens in use within that bound.
   */
  async tokenPrincipal(subject: TokenSubject): Promise<Principal> {
    const now = this.clock.now().getTime();
    const known = this.tokenPrincipals.get(subject);
    if (known && now < known.until) return known.principal;
    const principal = await this.resolveSubject(subject);
    if (!principal) throw errors.tokenInvalid();
    this.tokenPrincipals.set(subject, { principal, until: now + TOKEN_PRINCIPAL_TTL_MS });
    return principal;
  }

  private async resolveSubject(subject: TokenSubject): Promise<Principal | undefined> {
    if (subject.session) {
      const role = await this.currentRole(subject.session);
      if (!role) return undefined;
      let policy: PolicyDocument | undefined;
      try {
        policy = subject.session.policy === undefined ? undefined : parseIamPolicy(subject.session.policy, 'session');
      } catch {
        return undefined;
      }
      const principal = sessionPrincipal(subject.session, role, policy, subject.accessKeyId);
      return principal.arn === subject.arn ? principal : undefined;
    }
    const m = /^arn:aws:iam::([0-9]{12}):(root|user\/(?:.*\/)?([^/]+))$/.exec(subject.arn);
    if (!m) return undefined;
    if (m[2] === 'root') return rootPrincipal(m[1], subject.accessKeyId);
    const user = await this.store.getUser(m[1], m[3]);
    return user && user.arn === subject.arn ? userPrincipal(user, subject.accessKeyId) : undefined;
  }
}
