// Registry tokens (GetAuthorizationToken): stateless and sealed (AES-256-GCM), so clients see only
// opaque base64url; bound to the account that minted them, naming inside who asked and when they
// expire. Free of ':' and whitespace, as the aws CLI requires.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import { principalFromArn, type Principal } from './identity.ts';

/** ECR tokens live 12 hours. */
export const TOKEN_TTL_MS = 12 * 3600 * 1000;

interface Claims {
  v: 2;
  /** account id that minted the token (also the AEAD's associated data) */
  a: string;
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
const NONCE = 12;
const TAG = 16;
/** Sealed bytes, base64url: nonce ‖ ciphertext ‖ tag; nothing else is a token. */
const TOKEN_TEXT = /^[A-Za-z0-9_-]+$/;
/** Longer texts are refused before any decoding (real tokens are about 250 characters). */
const MAX_TOKEN_TEXT = 4096;

/**
 * Decodes base64url only when `text` is exactly what encoding the result gives back: no padding,
 * no other alphabet, and no unused low bits in the last character (which a lenient decoder ignores,
 * so that four spellings of the same bytes would all pass).
 */
export function strictBase64url(text: string): Buffer | undefined {
  if (!TOKEN_TEXT.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

export class TokenService {
  /**
   * Tokens already verified, by their exact text: a repeated request skips the AEAD and the JSON.
   * Only a token that passed verify() is ever added, so a forged or altered one never matches; the
   * expiry is still checked on every use. Oldest entries go first when full.
   */
  private readonly verified = new Map<string, { principal: Principal; expires: number }>();
  private readonly aad: Buffer;

  /**
   * `key` is a dedicated 32-byte key (SecretBox.derive('registry-token')); `accountId` is this
   * registry's account: tokens are minted for it and every other account's token is refused, even
   * one sealed with the same master key.
   */
  constructor(private readonly key: Buffer, private readonly accountId: string) {
    this.aad = Buffer.from(`wharf-registry-token\n${accountId}`);
  }

  issue(principal: Principal, now: Date): { token: string; expiresAt: Date } {
    const claims: Claims = {
      v: 2, a: this.accountId, p: principal.arn, ...(principal.accessKeyId ? { k: principal.accessKeyId } : {}),
      i: now.getTime(), e: now.getTime() + TOKEN_TTL_MS,
    };
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(this.aad);
    const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(claims), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { token: sealed.toString('base64url'), expiresAt: new Date(claims.e) };
  }

  /** The principal a token names; DENIED when forged, altered, malformed, another account's or expired (ECR's messages). */
  verify(token: string, now: Date): Principal {
    const known = this.verified.get(token);
    if (known) {
      if (now.getTime() >= known.expires) throw errors.tokenExpired();
      return known.principal;
    }
    const claims = token.length <= MAX_TOKEN_TEXT ? this.open(token) : undefined;
    if (!claims || claims.v !== 2 || claims.a !== this.accountId || typeof claims.e !== 'number' || typeof claims.p !== 'string') throw errors.tokenInvalid();
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

  /** The claims sealed in `token` with this key and account, or undefined for anything else. */
  private open(token: string): Claims | undefined {
    const sealed = strictBase64url(token);
    if (!sealed || sealed.length <= NONCE + TAG) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE), { authTagLength: TAG }).setAAD(this.aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const text = Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]).toString('utf8');
      const claims = JSON.parse(text) as Claims;
      return typeof claims === 'object' && claims !== null ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
