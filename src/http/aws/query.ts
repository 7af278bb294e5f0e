// The AWS Query protocol (IAM, STS): a form-encoded POST / (or a GET /?Action=…, as presigned STS
// GetCallerIdentity URLs are). Identifies the signer before reading the body, reads the body capped,
// picks the service by `Version`, verifies SigV4 for that service's scope, finds the Action in the
// service's table, authorizes, runs it, and renders the result or the error as XML. A request with
// no signature at all may call only the model's unsigned operations (AssumeRoleWithWebIdentity).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { errors, WharfError } from '../../domain/errors.ts';
import type { PendingSignature } from '../../services/authentication.ts';
import { answerAndClose, PREAUTH_READ_LIMIT, readBodyUpTo } from '../ecr/body.ts';
import { toWharfError } from '../errors.ts';
import { clientGone, noteOperation, notePrincipal } from '../observability/index.ts';
import { queryRoute } from '../observability/route-kind.ts';
import type { Services } from '../services.ts';
import { requestFacts } from '../request-facts.ts';
import { QueryParams } from './query-params.ts';
import type { QueryOperation } from './query-operations.ts';
import { IAM, QUERY_SERVICES, serviceBySigningName, serviceByVersion, type QueryService } from './query-services.ts';
import { renderQueryError, renderQueryResult } from './xml.ts';

const XML = 'text/xml';

/** The largest policy document IAM accepts, in characters (the model's policyDocumentType max). */
const MAX_POLICY_DOCUMENT = 131_072;
/** A form-encoded character of the Basic Multilingual Plane is at most 9 bytes (`%E2%82%AC`). */
const ENCODED_CHAR = 9;
/**
 * The most of a Query request body Wharf reads from a known signer: 64 KiB for names, ARNs, tags
 * and syntax, plus one policy document of the largest size with every character percent-encoded
 * (no IAM or STS operation takes two): 1,245,184 bytes. A larger body is RequestEntityTooLarge.
 */
export const QUERY_BODY_LIMIT = 64 * 1024 + ENCODED_CHAR * MAX_POLICY_DOCUMENT;
/** The longest WebIdentityToken STS takes (the model's clientTokenType). */
const MAX_WEB_IDENTITY_TOKEN = 20_000;
/**
 * The most of an unsigned request body Wharf reads when its first bytes name an unsigned operation
 * Wharf implements (AssumeRoleWithWebIdentity): 64 KiB for the other members, plus a token of the
 * largest size with every character percent-encoded (3 bytes; a JWT is ASCII): 125,536 bytes. Any
 * other unsigned request is refused after at most PREAUTH_READ_LIMIT (4 KiB).
 */
export const UNSIGNED_QUERY_BODY_LIMIT = 64 * 1024 + 3 * MAX_WEB_IDENTITY_TOKEN;

/** The implemented operation that may be called without a signature which `params` name, if any. */
function unsignedOperation(params: QueryParams, services: readonly QueryService[]): { service: QueryService; run: NonNullable<QueryOperation['unsigned']> } | undefined {
  const service = serviceByVersion(params.string('Version'), services);
  const action = params.string('Action');
  if (!service || action === undefined || !service.unsigned.has(action) || !Object.hasOwn(service.operations, action)) return undefined;
  const run = service.operations[action].unsigned;
  return run ? { service, run } : undefined;
}

/**
 * Whether the first bytes of a form body (cut anywhere) already name an implemented unsigned
 * operation: the complete parameters before the last `&` (the SDKs send Action and Version first).
 */
function namesUnsignedOperation(head: Buffer, services: readonly QueryService[]): boolean {
  const text = head.toString('latin1');
  const cut = text.lastIndexOf('&');
  return cut > 0 && unsignedOperation(QueryParams.parse(text.slice(0, cut)), services) !== undefined;
}

/** The service whose namespace an error carries when `Version` selects none: the scope's, else IAM's. */
function fallbackService(scopeService: string | undefined, services: readonly QueryService[]): QueryService {
  return serviceBySigningName(scopeService, services) ?? IAM;
}

/**
 * Answers one Query-protocol request (see the file header) among `services`; every refusal is a
 * catalogue error rendered as XML in the namespace of the service the request names, as far as known.
 */
export async function handleQuery(s: Services, config: Config, req: FastifyRequest, reply: FastifyReply, services: readonly QueryService[] = QUERY_SERVICES): Promise<void> {
  /** False while body bytes may still be unread; a refusal then closes the connection instead of draining it. */
  let bodyDone = false;
  /** Whose namespace the answer carries (once known). */
  let service: QueryService | undefined;
  try {
    const rawUrl = req.url;
    const q = rawUrl.indexOf('?');
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    // GET carries its parameters in the query string (with the presigned signature's); POST in the body.
    const fromQuery = req.method === 'GET';
    let pending: PendingSignature;
    try {
      pending = await s.authn.signer({ method: req.method, path: q < 0 ? rawUrl : rawUrl.slice(0, q), query, headers: req.headers });
    } catch (e) {
      // Refused before the body unless unsigned: at most PREAUTH_READ_LIMIT of it is read, to name the
      // service and Action; more only for an implemented operation the model allows without a signature.
      const noSignature = e instanceof WharfError && e.spec === errors.missingAuthenticationToken.spec;
      const more = noSignature && !fromQuery ? { upTo: UNSIGNED_QUERY_BODY_LIMIT, allow: (head: Buffer) => namesUnsignedOperation(head, services) } : undefined;
      const small = await readBodyUpTo(req.raw, PREAUTH_READ_LIMIT, more).catch(() => 'too-large' as const);
      bodyDone = small !== 'too-large';
      const params = fromQuery ? QueryParams.parse(query) : small === 'too-large' ? undefined : QueryParams.parse(small.toString('utf8'));
      service = serviceByVersion(params?.string('Version'), services);
      const action = params?.string('Action');
      noteOperation(req, service ? queryRoute(service.name, action) : 'unknown');
      // The model's unsigned operations (STS AssumeRoleWithWebIdentity, AssumeRoleWithSAML) are the
      // only ones a request without any signature may call.
      if (service && action !== undefined && service.unsigned.has(action) && noSignature) {
        const op = unsignedOperation(params!, services);
        if (!op) throw errors.notImplemented({ service: service.title, operation: action });
        const result = await op.run({ services: s, config, now: new Date() }, params!);
        reply.code(200).header('content-type', XML).send(Buffer.from(renderQueryResult(service.xmlns, action, result, req.id)));
        return;
      }
      throw e;
    }
    const body = await readBodyUpTo(req.raw, QUERY_BODY_LIMIT);
    if (body === 'too-large') {
      service = fallbackService(pending.sig.credential.service, services);
      throw errors.requestEntityTooLarge({ limit: QUERY_BODY_LIMIT });
    }
    bodyDone = true;
    const params = QueryParams.parse(fromQuery ? query : body.toString('utf8'));
    const action = params.string('Action');
    const version = params.string('Version');
    const chosen = serviceByVersion(version, services);
    service = chosen ?? fallbackService(pending.sig.credential.service, services);
    noteOperation(req, chosen ? queryRoute(chosen.name, action) : 'unknown');
    // Signed for the service the Version names (a Version for one service signed for another is
    // refused here); clients sign IAM and STS with their own region, so any region is accepted.
    const principal = s.authn.verify(pending, createHash('sha256').update(body).digest('hex'), { service: service.name, anyRegion: true });
    notePrincipal(req, principal.arn);
    if (action === undefined || action === '') throw errors.missingAction();
    if (version === undefined || version === '') throw errors.missingParameter({ name: 'Version' });
    if (!chosen || !chosen.actions.has(action)) throw errors.invalidAction({ action, version });
    // Own properties only: an Action like `__proto__` or `constructor` names no operation.
    const op = Object.hasOwn(chosen.operations, action) ? chosen.operations[action] : undefined;
    if (!op) throw errors.notImplemented({ service: chosen.title, operation: action });
    const ctx = { principal, services: s, config, now: new Date() };
    if (op.authorize !== false) await s.authz.authorize(principal, `${chosen.name}:${action}`, op.resource ? await op.resource(params, ctx) : '*', requestFacts(req));
    const result = await op.handler(ctx, params);
    // Buffers, not strings: fastify would append '; charset=utf-8' to the content type AWS sends bare.
    reply.code(200).header('content-type', XML).send(Buffer.from(renderQueryResult(chosen.xmlns, action, result, req.id)));
  } catch (e) {
    const err = toWharfError(e);
    // A client that went away mid-request is routine: its access-log line says so, at info.
    if (!(e instanceof WharfError) && !clientGone(req.raw, reply.raw)) req.log.error({ err: e, requestId: req.id }, 'unhandled error in a Query-protocol operation');
    const r = renderQueryError(err, (service ?? IAM).xmlns, req.id);
    if (!bodyDone) return answerAndClose(reply, r.status, { 'content-type': XML }, Buffer.from(r.body));
    reply.code(r.status).header('content-type', XML).send(Buffer.from(r.body));
  }
}
