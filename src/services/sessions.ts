// STS role sessions as stateless sealed tokens (identity reference §1.5): AssumeRole and
// AssumeRoleWithWebIdentity mint an `ASIA…` access key id, a secret and a session token that seals
// both with everything the session is (role, name, expiry, session policy, tags, source identity).
// No database row is written; any node with the same master key opens the token, checks that the
// access key id inside is the one that signed, and rebuilds the session from it.
import { parseIamPolicy } from '../domain/aws/iam-policy.ts';
import type { PolicyDocument } from '../domain/aws/policy.ts';
import type { Tag } from '../ports/identity-store.ts';
import { newSecretAccessKey, newTemporaryAccessKeyId } from './credentials.ts';
import { Sealer } from './sealed.ts';

/** True for an access key id of temporary credentials (`ASIA…`), which need a session token. */
export function isTemporaryAccessKeyId(id: string): boolean {
  return id.startsWith('ASIA');
}

/** What a role session is, as sealed in its token (and, without the secret, in its registry tokens). */
export interface SessionFacts {
  /** arn:aws:iam::<account>:role<path><name> of the assumed role. */
  readonly roleArn: string;
  /** The role's unique id (AROA…) when the session began: a role deleted and made again is another role. */
  readonly roleId: string;
  /** RoleSessionName. */
  readonly sessionName: string;
  /** When the session was issued and when it ends (ms since the epoch). */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The inline session policy's text, when one was passed. */
  readonly policy?: string;
  /** Managed policies passed as session policies (PolicyArns). */
  readonly policyArns?: readonly string[];
  /** Session tags, in the order given (transitive ones carried from a chaining session first). */
  readonly tags?: readonly Tag[];
  /** Keys of `tags` that pass on to sessions this session assumes (role chaining). */
  readonly transitiveTagKeys?: readonly string[];
  readonly sourceIdentity?: string;
  /** The OIDC provider ARN for AssumeRoleWithWebIdentity sessions (aws:FederatedProvider). */
  readonly federatedProvider?: string;
}

/** Temporary credentials as STS returns them. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** An opened session token: the secret that signs with it and the session, its policy parsed once. */
export interface OpenedSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly facts: SessionFacts;
  /** `facts.policy` parsed (kept with the token, so its compiled form is reused across requests). */
  readonly policyDocument?: PolicyDocument;
}

/** Session tokens are at most this long (a 2,048-character packed policy and tags fit several times). */
const MAX_TOKEN_TEXT = 16 * 1024;
/** Opened tokens remembered at most (oldest go first). */
const OPENED_CACHE_SIZE = 4096;

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isTagList = (v: unknown): v is Tag[] => Array.isArray(v) && v.every((t) => typeof t === 'object' && t !== null && isString((t as Tag).key) && isString((t as Tag).value));

/** The session facts in `c`, checked member by member; undefined when any is missing or of another type. */
export function sessionFactsFrom(c: Record<string, unknown>): SessionFacts | undefined {
  if (!isString(c.roleArn) || !isString(c.roleId) || !isString(c.sessionName) || typeof c.issuedAt !== 'number' || typeof c.expiresAt !== 'number') return undefined;
  if ((c.policy !== undefined && !isString(c.policy)) || (c.policyArns !== undefined && !isStringList(c.policyArns))
    || (c.tags !== undefined && !isTagList(c.tags)) || (c.transitiveTagKeys !== undefined && !isStringList(c.transitiveTagKeys))
    || (c.sourceIdentity !== undefined && !isString(c.sourceIdentity)) || (c.federatedProvider !== undefined && !isString(c.federatedProvider))) return undefined;
  return {
    roleArn: c.roleArn, roleId: c.roleId, sessionName: c.sessionName, issuedAt: c.issuedAt, expiresAt: c.expiresAt,
    ...(c.policy !== undefined ? { policy: c.policy as string } : {}),
    ...(c.policyArns !== undefined ? { policyArns: c.policyArns as string[] } : {}),
    ...(c.tags !== undefined ? { tags: c.tags as Tag[] } : {}),
    ...(c.transitiveTagKeys !== undefined ? { transitiveTagKeys: c.transitiveTagKeys as string[] } : {}),
    ...(c.sourceIdentity !== undefined ? { sourceIdentity: c.sourceIdentity as string } : {}),
    ...(c.federatedProvider !== undefined ? { federatedProvider: c.federatedProvider as string } : {}),
  };
}

export class SessionTokens {
  private readonly sealer: Sealer;
  /** Tokens that opened, by exact text: a repeated request skips the AEAD, the JSON and the policy parse. */
  private readonly opened = new Map<string, OpenedSession>();

  /**
   * `key`: a dedicated 32-byte key (SecretBox.derive('sts-session-token')); `accountId`: the account
   * this Wharf serves, to which every token it mints is bound (another installation's tokens never
   * open here, even under the same master key).
   */
  constructor(key: Buffer, accountId: string) {
    this.sealer = new Sealer(key, 'wharf-sts-session', accountId, MAX_TOKEN_TEXT);
  }

  /** New temporary credentials for `facts`. */
  mint(facts: SessionFacts): TemporaryCredentials {
    const accessKeyId = newTemporaryAccessKeyId();
    const secretAccessKey = newSecretAccessKey();
    const sessionToken = this.sealer.seal({ v: 1, accessKeyId, secretAccessKey, ...facts });
    return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(facts.expiresAt) };
  }

  /**
   * The session sealed in `token`, or undefined when it is not one of this installation's tokens
   * (forged, altered, truncated, malformed). Expiry is the caller's to check.
   */
  open(token: string): OpenedSession | undefined {
    const known = this.opened.get(token);
    if (known) return known;
    const c = this.sealer.open(token);
    if (!c || c.v !== 1 || !isString(c.accessKeyId) || !isString(c.secretAccessKey)) return undefined;
    const facts = sessionFactsFrom(c);
    if (!facts) return undefined;
    let policyDocument: PolicyDocument | undefined;
    try {
      policyDocument = facts.policy === undefined ? undefined : parseIamPolicy(facts.policy, 'session');
    } catch {
      return undefined; // checked when minted: a policy that no longer parses is no token of ours
    }
    const session: OpenedSession = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, facts, ...(policyDocument ? { policyDocument } : {}) };
    if (this.opened.size >= OPENED_CACHE_SIZE) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(token, session);
    return session;
  }
}
