// Content digests: parsing and validation of `algorithm:hex` as the OCI image-spec defines them.
import { errors } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
/** Grammar from the OCI image spec (descriptor.md). */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest { readonly algorithm: DigestAlgorithm; readonly hex: string; readonly value: string }

/** True when `s` is a digest of a supported algorithm with a well-formed lowercase hex part. */
export function isDigest(s: string): boolean {
  return tryParseDigest(s) !== undefined;
}

export function tryParseDigest(s: string): Digest | undefined {
  if (!DIGEST_GRAMMAR.test(s)) return undefined;
  const i = s.indexOf(':');
  const algorithm = s.slice(0, i) as DigestAlgorithm;
  const hex = s.slice(i + 1);
  const len = HEX_LENGTH[algorithm];
  if (len === undefined || hex.length !== len || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex, value: s };
}

/** Parses a digest or throws DIGEST_INVALID naming what is wrong. */
export function parseDigest(s: string): Digest {
  const d = tryParseDigest(s);
  if (!d) {
    if (DIGEST_GRAMMAR.test(s) && !(s.slice(0, s.indexOf(':')) in HEX_LENGTH)) {
      throw errors.digestInvalid({ reason: `unsupported digest algorithm in '${s}' (sha256 and sha512 are supported)` });
    }
    throw errors.digestInvalid({ reason: `'${s}' is not a valid digest` });
  }
  return d;
}
