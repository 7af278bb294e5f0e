// Authentication: SigV4-signed API requests and Basic "AWS:<token>" registry requests, each turned
// into a Principal or one of AWS's / ECR's refusals.
import { parseSignature, SigV4Error, verifySignature, type SignedRequest } from '../domain/aws/sigv4.ts';
import { errors } from '../domain/errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityService, Principal } from './identity.ts';
import type { TokenService } from './tokens.ts';

export class AuthenticationService {
  constructor(
    private readonly identity: IdentityService,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly region: string,
    private readonly service: string,
  ) {}

  /** Verifies a SigV4 signature (header or query form) and returns who signed. */
  async sigv4(req: SignedRequest): Promise<Principal> {
    try {
      const sig = parseSignature(req);
      const key = await this.identity.lookup(sig.credential.accessKeyId);
      if (!key) throw errors.unrecognizedClient();
      verifySignature(req, sig, key.secret, this.clock.now().getTime(), this.service, this.region);
      return key.principal;
    } catch (e) {
      if (!(e instanceof SigV4Error)) throw e;
      switch (e.kind) {
        case 'missing': throw errors.missingAuthenticationToken();
        case 'incomplete': throw errors.incompleteSignature({ reason: e.message });
        default: throw errors.invalidSignature({ reason: e.message });
      }
    }
  }

  /** The principal of a registry request's `Authorization: Basic base64(AWS:<token>)` header. */
  basic(header: string | undefined): Principal {
    if (!header) throw errors.unauthorized();
    const m = header.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
    if (!m) throw errors.unauthorized();
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0 || decoded.slice(0, i) !== 'AWS') throw errors.tokenInvalid();
    return this.tokens.verify(decoded.slice(i + 1), this.clock.now());
  }

  /** GetAuthorizationToken: a token for `principal` and the base64 "AWS:<token>" ECR returns. */
  issue(principal: Principal): { authorizationToken: string; expiresAt: Date } {
    const t = this.tokens.issue(principal, this.clock.now());
    return { authorizationToken: Buffer.from(`AWS:${t.token}`).toString('base64'), expiresAt: t.expiresAt };
  }
}
