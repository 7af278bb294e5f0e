// Short-lived signed blob URLs (ECR GetDownloadUrlForLayer): whoever holds one may GET that one blob
// of that one repository without credentials until it expires, like ECR's presigned S3 URLs.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import { strictBase64url } from './sealed.ts';
import type { Clock } from '../ports/clock.ts';

/** ECR's presigned layer URLs carry X-Amz-Expires=3600; Wharf's live as long. */
export const DOWNLOAD_URL_TTL_MS = 3600 * 1000;

/** What a download URL carries besides the blob's path: the expiry and the MAC over both. */
export interface DownloadSignature {
  /** Expiry, epoch seconds. */
  readonly expires: number;
  /** base64url HMAC-SHA256 over (GET, account id, repository, digest, expires). */
  readonly signature: string;
}

export class DownloadUrlService {
  /**
   * `key` is a dedicated 32-byte key (SecretBox.derive('blob-download-url')); `accountId` is this
   * registry's account, part of what is signed, so a URL from another account's Wharf sharing the
   * master key is refused (it would otherwise open the same repository and digest here).
   */
  constructor(private readonly key: Buffer, private readonly clock: Clock, private readonly accountId: string) {}

  private mac(repo: string, digest: string, expires: string): Buffer {
    return createHmac('sha256', this.key).update(`GET\n${this.accountId}\n${repo}\n${digest}\n${expires}`).digest();
  }

  /** Signs a GET of `digest` in `repo`, valid for DOWNLOAD_URL_TTL_MS from now. */
  sign(repo: string, digest: string): DownloadSignature {
    const expires = Math.ceil((this.clock.now().getTime() + DOWNLOAD_URL_TTL_MS) / 1000);
    return { expires, signature: this.mac(repo, digest, String(expires)).toString('base64url') };
  }

  /**
   * Accepts a signature made by sign() for exactly this repository and digest, before its expiry.
   * Throws DownloadUrlInvalid for anything altered, malformed or spelled non-canonically (checked
   * first, so a changed expiry is "invalid", not "expired"), then DownloadUrlExpired once it passed.
   */
  verify(repo: string, digest: string, expires: string, signature: string): void {
    if (!/^[1-9]\d{0,11}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) throw errors.downloadUrlInvalid();
    // Only the canonical spelling: no altered character may spell the same MAC.
    const given = strictBase64url(signature);
    if (!given) throw errors.downloadUrlInvalid();
    const want = this.mac(repo, digest, expires);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw errors.downloadUrlInvalid();
    if (this.clock.now().getTime() >= Number(expires) * 1000) throw errors.downloadUrlExpired();
  }
}
