// New credentials and IAM unique ids, made one way for the root key (services/identity.ts) and for
// IAM users, roles and policies (services/iam), and for STS sessions (services/sessions.ts): random
// upper-case base32 after AWS's prefixes.
import { createHash, randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Base32 characters of `bytes` (uniform for random bytes: 256 is a multiple of 32). */
function base32Of(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => BASE32[x % 32]).join('');
}

/** `n` random base32 characters. */
function base32(n: number): string {
  return base32Of(randomBytes(n));
}

/** A long-term access key id: AKIA + 16 characters (20 in all, as AWS's). */
export function newAccessKeyId(): string {
  return 'AKIA' + base32(16);
}

/** A temporary access key id (STS sessions): ASIA + 16 characters. */
export function newTemporaryAccessKeyId(): string {
  return 'ASIA' + base32(16);
}

/** A 40-character secret access key. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

/** An IAM unique id: `prefix` (AIDA user, AROA role, ANPA managed policy) + 17 characters. */
export function newIamId(prefix: 'AIDA' | 'AROA' | 'ANPA'): string {
  return prefix + base32(17);
}

/** The fixed id of a built-in policy: ANPA + 17 characters derived from its name (distinct per name, the same on every start). */
export function builtInPolicyId(name: string): string {
  return 'ANPA' + base32Of(createHash('sha256').update(name).digest().subarray(0, 17));
}
