// Sealed claims: a JSON object encrypted and authenticated with AES-256-GCM under a purpose key, bound
// to associated data (the purpose and the account that minted it), written as strict base64url.
// Registry tokens (tokens.ts) and STS session tokens (sessions.ts) are made this way, so every Wharf
// node with the same master key can check them without a database.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE = 12;
const TAG = 16;
/** Sealed bytes, base64url: nonce ‖ ciphertext ‖ tag; nothing else is a sealed text. */
const TEXT = /^[A-Za-z0-9_-]+$/;

/**
 * Decodes base64url only when `text` is exactly what encoding the result gives back: no padding,
 * no other alphabet, and no unused low bits in the last character (which a lenient decoder ignores,
 * so that four spellings of the same bytes would all pass).
 */
export function strictBase64url(text: string): Buffer | undefined {
  if (!TEXT.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Seals and opens claims for one purpose and account. */
export class Sealer {
  private readonly aad: Buffer;

  /**
   * `key`: a dedicated 32-byte key (SecretBox.derive(purpose)); `purpose` and `accountId` form the
   * associated data, so a text sealed for another purpose or account never opens here, even under
   * the same key. `maxText`: longer texts are refused before any decoding.
   */
  constructor(private readonly key: Buffer, purpose: string, accountId: string, private readonly maxText: number) {
    this.aad = Buffer.from(`${purpose}\n${accountId}`);
  }

  /** The sealed text of `claims` (a fresh nonce each time). */
  seal(claims: object): string {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(this.aad);
    return Buffer.concat([nonce, cipher.update(JSON.stringify(claims), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  /** The claims object sealed in `text` with this key, purpose and account; undefined for anything else. */
  open(text: string): Record<string, unknown> | undefined {
    if (text.length > this.maxText) return undefined;
    const sealed = strictBase64url(text);
    if (!sealed || sealed.length <= NONCE + TAG) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE), { authTagLength: TAG }).setAAD(this.aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const plain = Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]).toString('utf8');
      const claims = JSON.parse(plain) as unknown;
      return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
}
