// Authentication: SigV4-signed API requests (long-term keys, and temporary keys with their session
// token) and Basic "AWS:<token>" registry requests, each turned into a Principal or one of AWS's /
// ECR's refusals.
import { parseSignature, SigV4Error, verifySignature, type ParsedSignature, type SignedRequest } from '../domain/aws/sigv4.ts';
import { errors } from '../domain/errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityService, Principal } from './identity.ts';
import type { TokenService } from './tokens.ts';

/**
 * A parsed signature whose access key exists; AuthenticationService.verify() with the body's hash
 * decides. Opaque: the key's secret is held in a private field (never enumerated, never logged).
 */
export class PendingSignature {
  readonly #secret: string;
  constructor(readonly req: Omit<SignedRequest, 'bodySha256'>, readonly sig: ParsedSignature, secret: string, readonly principal: Principal) {
    this.#secret = secret;
  }
  /** Verifies the signature over the body's hex sha256 (SigV4Error when it does not hold); `region` undefined: any. */
  check(bodySha256: string, now: number, service: string, region: string | undefined): void {
    verifySignature({ ...this.req, bodySha256 }, this.sig, this.#secret, now, service, region);
  }
}

/**
 * What a request's credential scope must name: the service's signing name, and Wharf's own region
 * unless `anyRegion` (IAM and STS: clients sign with their own region when their endpoint is
 * overridden; ECR keeps Wharf's region).
 */
export interface SigningScope {
  readonly service: string;
  readonly anyRegion?: boolean;
}

/** Rethrows a SigV4Error as the AWS refusal it stands for (anything else unchanged). */
function rethrowAsAws(e: unknown): never {
  if (!(e instanceof SigV4Error)) throw e;
  switch (e.kind) {
    case 'missing': throw errors.missingAuthenticationToken();
    case 'incomplete': throw errors.incompleteSignature({ reason: e.message });
    default: throw errors.invalidSignature({ reason: e.message });
  }
}

export class AuthenticationService {
  constructor(
    private readonly identity: IdentityService,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    /** Wharf's region, which scopes without `anyRegion` must name. */
    private readonly region: string,
  ) {}

  /**
   * SigV4 (header or query form) is checked in two halves, so that the body is read only for a
   * signer who exists. The first half, before any body byte is read: parses the signature and looks up its
   * access key (for an `ASIA…` key: opens the session token, `X-Amz-Security-Token` header or query
   * parameter). Throws MissingAuthenticationToken, IncompleteSignature, UnrecognizedClient or
   * SessionExpired, so a request nobody could have signed is refused without buffering its body.
   */
  async signer(req: Omit<SignedRequest, 'bodySha256'>): Promise<PendingSignature> {
    let sig: ParsedSignature;
    try {
      sig = parseSignature({ ...req, bodySha256: '' });
    } catch (e) {
      rethrowAsAws(e);
    }
    const key = await this.identity.lookup(sig.credential.accessKeyId, sig.securityToken);
    if (!key) throw errors.unrecognizedClient();
    return new PendingSignature(req, sig, key.secret, key.principal);
  }

  /**
   * The second half: checks `scope`, time and signature over the body's hex sha256; returns who
   * signed, and notes the key's use (written at most once a minute per key, off the request path).
   */
  verify(pending: PendingSignature, bodySha256: string, scope: SigningScope): Principal {
    try {
      pending.check(bodySha256, this.clock.now().getTime(), scope.service, scope.anyRegion ? undefined : this.region);
    } catch (e) {
      rethrowAsAws(e);
    }
    const c = pending.sig.credential;
    this.identity.noteKeyUse(c.accessKeyId, c.service, c.region);
    return pending.principal;
  }

  /**
   * The principal of a registry request's `Authorization: Basic base64(AWS:<token>)` header, as it is
   * now (TokenInvalid once its user or role is gone; see IdentityService.tokenPrincipal for the bound).
   */
  async basic(header: string | undefined): Promise<Principal> {
    if (!header) throw errors.unauthorized();
    const m = header.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
    if (!m) throw errors.unauthorized();
    // Strict: only the canonical (padded) spelling of the bytes, so no altered character decodes the same.
    const bytes = Buffer.from(m[1], 'base64');
    if (bytes.toString('base64') !== m[1]) throw errors.tokenInvalid();
    const decoded = bytes.toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0 || decoded.slice(0, i) !== 'AWS') throw errors.tokenInvalid();
    return this.identity.tokenPrincipal(this.tokens.verify(decoded.slice(i + 1), this.clock.now()));
  }

  /** GetAuthorizationToken: a token for `principal` and the base64 "AWS:<token>" ECR returns. */
  issue(principal: Principal): { authorizationToken: string; expiresAt: Date } {
    const t = this.tokens.issue(principal, this.clock.now());
    return { authorizationToken: Buffer.from(`AWS:${t.token}`).toString('base64'), expiresAt: t.expiresAt };
  }
}
