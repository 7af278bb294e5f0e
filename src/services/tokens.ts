// Registry tokens (GetAuthorizationToken): stateless and sealed (AES-256-GCM, services/sealed.ts), so
// clients see only opaque base64url; bound to the account that minted them, naming inside who asked
// (the principal's ARN, the access key, and for temporary credentials the whole session without its
// secret) and when they expire. Free of ':' and whitespace, as the aws CLI requires.
import { errors } from '../domain/errors.ts';
import type { Principal, TokenSubject } from './identity.ts';
import { Sealer } from './sealed.ts';
import { sessionFactsFrom } from './sessions.ts';

/** ECR tokens live 12 hours (a session's tokens no longer than the session). */
export const TOKEN_TTL_MS = 12 * 3600 * 1000;

/** Verified tokens remembered at most (a registry sees few distinct tokens at a time). */
const VERIFIED_CACHE_SIZE = 4096;
/** Longer texts are refused before any decoding (a root or user token is about 250 characters, a session's up to a few KiB). */
const MAX_TOKEN_TEXT = 16 * 1024;

export class TokenService {
  /**
   * Tokens already verified, by their exact text: a repeated request skips the AEAD and the JSON.
   * Only a token that passed verify() is ever added, so a forged or altered one never matches; the
   * expiry is still checked on every use. Oldest entries go first when full.
   */
  private readonly verified = new Map<string, { subject: TokenSubject; expires: number }>();
  private readonly sealer: Sealer;

  /**
   * `key` is a dedicated 32-byte key (SecretBox.derive('registry-token')); `accountId` is this
   * registry's account: tokens are minted for it and every other account's token is refused, even
   * one sealed with the same master key.
   */
  constructor(key: Buffer, private readonly accountId: string) {
    this.sealer = new Sealer(key, 'wharf-registry-token', accountId, MAX_TOKEN_TEXT);
  }

  /** A token for `principal`: it expires in 12 hours, or with the principal's session if that is sooner. */
  issue(principal: Principal, now: Date): { token: string; expiresAt: Date } {
    const e = Math.min(now.getTime() + TOKEN_TTL_MS, principal.session?.expiresAt.getTime() ?? Infinity);
    const token = this.sealer.seal({
      v: 2, a: this.accountId, p: principal.arn, ...(principal.accessKeyId ? { k: principal.accessKeyId } : {}),
      ...(principal.session ? { s: principal.session.facts } : {}), i: now.getTime(), e,
    });
    return { token, expiresAt: new Date(e) };
  }

  /**
   * Who a token names (services/identity.ts then checks that they still exist); DENIED when forged,
   * altered, malformed, another account's or expired (ECR's messages).
   */
  verify(token: string, now: Date): TokenSubject {
    const known = this.verified.get(token);
    if (known) {
      if (now.getTime() >= known.expires) throw errors.tokenExpired();
      return known.subject;
    }
    const c = this.sealer.open(token);
    if (!c || c.v !== 2 || c.a !== this.accountId || typeof c.e !== 'number' || typeof c.p !== 'string' || (c.k !== undefined && typeof c.k !== 'string')) throw errors.tokenInvalid();
    const session = typeof c.s === 'object' && c.s !== null ? sessionFactsFrom(c.s as Record<string, unknown>) : undefined;
    if (c.s !== undefined && !session) throw errors.tokenInvalid();
    if (now.getTime() >= c.e) throw errors.tokenExpired();
    const subject: TokenSubject = { arn: c.p, ...(c.k !== undefined ? { accessKeyId: c.k as string } : {}), ...(session ? { session } : {}) };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { subject, expires: c.e });
    return subject;
  }
}
