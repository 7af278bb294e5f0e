// Verifies an OpenID Connect ID token for AssumeRoleWithWebIdentity (identity reference §1.6), offline:
// the issuer (`iss`) must be an OIDC provider of the role's account, the signature must verify with
// that provider's own JWKS (inline, or its JWKS file; Wharf never fetches keys over the network) under
// an asymmetric algorithm, the audience must be one of the provider's client ids, and exp/nbf/iat
// must hold within a small leeway. Refusals are STS's InvalidIdentityToken, ExpiredTokenException and
// IDPRejectedClaim.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as jose, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { errors } from '../domain/errors.ts';
import { oidcIssuerKey } from '../domain/aws/iam-input.ts';
import type { Clock } from '../ports/clock.ts';
import type { OidcProviderRecord } from '../ports/identity-store.ts';
import type { JwksFiles } from '../ports/jwks-files.ts';
import type { IamService } from './iam.ts';

/** Asymmetric JWS algorithms only: `none` and the HMAC family (HS*) are refused. */
export const WEB_IDENTITY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
/** Clock skew tolerated on exp, nbf and iat, in seconds. */
export const WEB_IDENTITY_LEEWAY_S = 60;

/** STS's text when it has no key to verify a token with (two spaces after the comma, as AWS sends it). */
export const NO_VERIFICATION_KEY = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

/** A token that verified. */
export interface WebIdentity {
  readonly provider: OidcProviderRecord;
  /** The issuer without `https://` (the prefix of the condition keys `<host/path>:sub` …). */
  readonly issuerKey: string;
  /** `sub`. */
  readonly subject: string;
  /** The client id the token was issued to (`azp` when present, else the `aud` that matched). */
  readonly audience: string;
  /** Every `aud` value of the token. */
  readonly audiences: readonly string[];
  /** `amr` values, when the token has them. */
  readonly amr?: readonly string[];
}

const invalid = (reason: string) => errors.invalidIdentityToken({ reason });
const NOT_A_JWT = 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)';

const strings = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

export class WebIdentityVerifier {
  constructor(private readonly iam: IamService, private readonly files: JwksFiles, private readonly clock: Clock) {}

  /** Verifies `token` for a role of `account`; throws the STS refusal otherwise. */
  async verify(account: string, token: string): Promise<WebIdentity> {
    let unverified: JWTPayload;
    let alg: unknown;
    try {
      unverified = decodeJwt(token);
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid(NOT_A_JWT);
    }
    const iss = unverified.iss;
    if (typeof iss !== 'string' || iss === '') throw invalid('Missing a required claim: iss');
    const provider = /^https:\/\//i.test(iss) ? await this.iam.findOpenIDConnectProvider(account, iss) : undefined;
    if (!provider) throw invalid(`No OpenIDConnect provider found in your account for ${iss}`);
    if (typeof alg !== 'string' || !(WEB_IDENTITY_ALGORITHMS as readonly string[]).includes(alg)) {
      throw invalid(`The token is signed with an algorithm STS does not accept (${String(alg)}); use an asymmetric one such as RS256 or ES256.`);
    }
    const keys = await this.keysOf(provider);
    const now = this.clock.now();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, createLocalJWKSet(keys), {
        algorithms: [...WEB_IDENTITY_ALGORITHMS], issuer: iss, currentDate: now, clockTolerance: WEB_IDENTITY_LEEWAY_S, requiredClaims: ['exp'],
      }));
    } catch (e) {
      throw this.refusal(e, now);
    }
    if (typeof claims.iat === 'number' && claims.iat > now.getTime() / 1000 + WEB_IDENTITY_LEEWAY_S) throw invalid('The token was issued in the future (iat).');
    const audiences = strings(claims.aud);
    if (claims.aud !== undefined && !audiences) throw invalid('Incorrect token audience');
    const azp = typeof claims.azp === 'string' ? claims.azp : undefined;
    const candidates = azp !== undefined ? [azp] : audiences ?? [];
    if (candidates.length === 0) throw invalid('Missing a required claim: aud');
    const audience = candidates.find((a) => provider.clientIds.includes(a));
    if (audience === undefined) throw invalid('Incorrect token audience');
    if (claims.sub === undefined) throw invalid('Missing a required claim: sub');
    if (typeof claims.sub !== 'string' || claims.sub.length < 6 || claims.sub.length > 255) {
      throw errors.idpRejectedClaim({ reason: 'The token\'s sub claim must be a string of 6 to 255 characters.' });
    }
    const amr = strings(claims.amr);
    return { provider, issuerKey: oidcIssuerKey(provider.url), subject: claims.sub, audience, audiences: audiences ?? [], ...(amr ? { amr } : {}) };
  }

  /** The provider's JWKS: inline, else from its file; NO_VERIFICATION_KEY when it has neither or it is unusable. */
  private async keysOf(p: OidcProviderRecord): Promise<JSONWebKeySet> {
    let text = p.jwks;
    if (text === undefined && p.jwksFile !== undefined) text = await this.files.read(p.jwksFile).catch(() => undefined);
    if (text === undefined) throw invalid(NO_VERIFICATION_KEY);
    try {
      const set = JSON.parse(text) as JSONWebKeySet;
      if (typeof set === 'object' && set !== null && Array.isArray(set.keys)) return set;
    } catch {
      // fall through
    }
    throw invalid(NO_VERIFICATION_KEY);
  }

  /** The STS refusal for a jose verification error. */
  private refusal(e: unknown, now: Date): Error {
    if (e instanceof jose.JWTExpired) {
      const exp = typeof e.payload.exp === 'number' ? new Date(e.payload.exp * 1000) : now;
      return errors.webIdentityTokenExpired({ now, expiresAt: exp });
    }
    if (e instanceof jose.JWTClaimValidationFailed) {
      if (e.reason === 'missing') return invalid(`Missing a required claim: ${e.claim}`);
      if (e.claim === 'nbf') return invalid('The token is not valid yet (nbf).');
      return invalid(`The token's ${e.claim} claim is invalid.`);
    }
    if (e instanceof jose.JWKSNoMatchingKey || e instanceof jose.JWKSInvalid || e instanceof jose.JWKSMultipleMatchingKeys || e instanceof jose.JWKInvalid) return invalid(NO_VERIFICATION_KEY);
    if (e instanceof jose.JWSSignatureVerificationFailed) return invalid('The signature of the token could not be verified with the identity provider\'s keys.');
    if (e instanceof jose.JOSEError) return invalid(NOT_A_JWT);
    return e instanceof Error ? e : new Error(String(e));
  }
}
