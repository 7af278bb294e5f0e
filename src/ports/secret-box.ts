// SecretBox: seals secrets (access-key secrets) with a key kept outside the metadata database, so a
// database dump alone cannot reuse them, and derives purpose keys from the same root (the AEAD key
// that seals registry tokens, the MAC key of download URLs).
export interface SecretBox {
  /** Encrypts and authenticates `plaintext`; the result is opaque ASCII. */
  seal(plaintext: string): string;
  /** Reverses seal(); throws when `sealed` was not made with this box's key or was altered. */
  open(sealed: string): string;
  /** A 32-byte key derived for `purpose` (stable for the same master key and purpose). */
  derive(purpose: string): Buffer;
}
