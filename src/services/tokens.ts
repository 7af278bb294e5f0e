// Registry tokens (GetAuthorizationToken): stateless, HMAC-signed, naming the identity that asked
// and when they expire. Opaque to clients and free of ':' and whitespace, as the aws CLI requires.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import { principalFromArn, type Principal } from './identity.ts';

/** ECR tokens live 12 hours. */
export const TOKEN_TTL_MS = 12 * 3600 * 1000;

interface Claims {
  v: 1;
  /** principal ARN */
  p: string;
  /** access key id that asked, if any */
  k?: string;
  /** issued at, expires at (ms) */
  i: number;
  e: number;
}

/** Verified tokens remembered at most (a registry sees few distinct tokens at a time). */
const VERIFIED_CACHE_SIZE = 4096;

export class TokenService {
  /**
   * Tokens already verified, by their exact text: a repeated request skips the HMAC and the JSON.
   * Only a token that passed verify() is ever added, so a forged or altered one never matches; the
   * expiry is still checked on every use. Oldest entries go first when full.
   */
  private readonly verified = new Map<string, { principal: Principal; expires: number }>();

  constructor(private readonly key: Buffer) {}

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }

  issue(principal: Principal, now: Date): { token: string; expiresAt: Date } {
    const claims: Claims = { v: 1, p: principal.arn, ...(principal.accessKeyId ? { k: principal.accessKeyId } : {}), i: now.getTime(), e: now.getTime() + TOKEN_TTL_MS };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${this.mac(payload).toString('base64url')}`, expiresAt: new Date(claims.e) };
  }

  /** The principal a token names; DENIED when forged, malformed or expired (ECR's messages). */
  verify(token: string, now: Date): Principal {
    const known = this.verified.get(token);
    if (known) {
      if (now.getTime() >= known.expires) throw errors.tokenExpired();
      return known.principal;
    }
    const [payload, sig, extra] = token.split('.');
    if (!payload || !sig || extra !== undefined) throw errors.tokenInvalid();
    const given = Buffer.from(sig, 'base64url');
    const want = this.mac(payload);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw errors.tokenInvalid();
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw errors.tokenInvalid();
    }
    if (claims.v !== 1 || typeof claims.e !== 'number' || typeof claims.p !== 'string') throw errors.tokenInvalid();
    if (now.getTime() >= claims.e) throw errors.tokenExpired();
    let principal: Principal;
    try {
      principal = principalFromArn(claims.p, claims.k);
    } catch {
      throw errors.tokenInvalid();
    }
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expires: claims.e });
    return principal;
  }
}
