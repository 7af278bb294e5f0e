// AWS Signature Version 4 verification (header and query-string forms), as the AWS SDKs and CLI
// sign requests. Pure: the caller supplies the request, the body's sha256, the secret and the time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type Headers = Record<string, string | string[] | undefined>;

export interface SignedRequest {
  method: string;
  /** Raw path as sent (percent-encoded), without the query. */
  path: string;
  /** Raw query string without '?', possibly empty. */
  query: string;
  /** Lowercased header names (as node gives them). */
  headers: Headers;
  /** Hex sha256 of the body bytes. */
  bodySha256: string;
}

export interface Credential {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

export interface ParsedSignature {
  form: 'header' | 'query';
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  /** ISO basic format, e.g. 20261127T070000Z */
  amzDate: string;
  /** Query form only: validity in seconds. */
  expires?: number;
  securityToken?: string;
}

/** Why a signature cannot be checked or does not verify; the transport maps these to AWS errors. */
export class SigV4Error extends Error {
  constructor(readonly kind: 'missing' | 'incomplete' | 'invalid' | 'expired' | 'scope', message: string) {
    super(message);
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseCredential(s: string): Credential {
  const parts = s.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^[0-9]{8}$/.test(parts[1])) {
    throw new SigV4Error('incomplete', `Credential should be scoped to a valid region. Malformed credential scope: ${parts.slice(1).join('/')}`);
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

/** Reads the signature from the Authorization header or the query string; throws when absent or malformed. */
export function parseSignature(req: SignedRequest): ParsedSignature {
  const auth = header(req.headers, 'authorization');
  if (auth !== undefined) {
    if (!auth.startsWith(ALGORITHM + ' ')) throw new SigV4Error('incomplete', `Authorization header requires the ${ALGORITHM} algorithm.`);
    const fields = new Map<string, string>();
    for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
      const i = part.indexOf('=');
      if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
    }
    for (const need of ['Credential', 'SignedHeaders', 'Signature']) {
      if (!fields.get(need)) throw new SigV4Error('incomplete', `Authorization header requires '${need}' parameter. Authorization=${ALGORITHM} ...`);
    }
    const amzDate = header(req.headers, 'x-amz-date');
    if (!amzDate) throw new SigV4Error('incomplete', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    return {
      form: 'header', credential: parseCredential(fields.get('Credential')!), signedHeaders: fields.get('SignedHeaders')!.split(';'),
      signature: fields.get('Signature')!, amzDate, securityToken: header(req.headers, 'x-amz-security-token'),
    };
  }
  const q = new URLSearchParams(req.query);
  if (q.get('X-Amz-Algorithm') === null && q.get('X-Amz-Signature') === null) throw new SigV4Error('missing', 'Missing Authentication Token');
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) throw new SigV4Error('incomplete', `X-Amz-Algorithm must be ${ALGORITHM}.`);
  for (const need of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!q.get(need)) throw new SigV4Error('incomplete', `AWS query-string parameters must include '${need}'.`);
  }
  const expires = Number(q.get('X-Amz-Expires') ?? '900');
  if (!Number.isInteger(expires) || expires < 1 || expires > 604800) throw new SigV4Error('incomplete', 'X-Amz-Expires must be between 1 and 604800 seconds.');
  return {
    form: 'query', credential: parseCredential(q.get('X-Amz-Credential')!), signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
    signature: q.get('X-Amz-Signature')!, amzDate: q.get('X-Amz-Date')!, expires, securityToken: q.get('X-Amz-Security-Token') ?? undefined,
  };
}

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX upper-case). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function canonicalUri(path: string): string {
  // Non-S3 services encode each (already encoded) segment once more.
  return path.split('/').map((seg) => rfc3986(seg)).join('/') || '/';
}

function canonicalQuery(query: string, dropSignature: boolean): string {
  if (!query) return '';
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = safeDecode(i < 0 ? part : part.slice(0, i));
    const v = safeDecode(i < 0 ? '' : part.slice(i + 1));
    if (dropSignature && k === 'X-Amz-Signature') continue;
    pairs.push([rfc3986(k), rfc3986(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export function canonicalRequest(req: SignedRequest, sig: ParsedSignature, payloadHash: string): string {
  const headers = sig.signedHeaders.map((name) => {
    const v = header(req.headers, name) ?? '';
    return `${name}:${v.trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  return [req.method, canonicalUri(req.path), canonicalQuery(req.query, sig.form === 'query'), headers, sig.signedHeaders.join(';'), payloadHash].join('\n');
}

export function signingKey(secret: string, c: Credential): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secret).update(c.date).digest();
  const kRegion = createHmac('sha256', kDate).update(c.region).digest();
  const kService = createHmac('sha256', kRegion).update(c.service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function computeSignature(req: SignedRequest, sig: ParsedSignature, secret: string, payloadHash: string): string {
  const c = sig.credential;
  const scope = `${c.date}/${c.region}/${c.service}/aws4_request`;
  const toSign = [ALGORITHM, sig.amzDate, scope, createHash('sha256').update(canonicalRequest(req, sig, payloadHash)).digest('hex')].join('\n');
  return createHmac('sha256', signingKey(secret, c)).update(toSign).digest('hex');
}

function parseAmzDate(s: string): number {
  const m = s.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  if (!m) throw new SigV4Error('incomplete', `Invalid X-Amz-Date '${s}': expected the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Largest accepted difference between the signer's clock and ours (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Verifies `sig` for `req` with `secret` at time `now`, for `service` in `region` (undefined: any
 * region, which stays covered by the signature since it is part of the signed scope). Throws
 * SigV4Error ('scope', 'expired' or 'invalid') with AWS's wording; returns normally when the
 * signature is good.
 */
export function verifySignature(req: SignedRequest, sig: ParsedSignature, secret: string, now: number, service: string, region: string | undefined): void {
  if (sig.credential.service !== service) throw new SigV4Error('scope', `Credential should be scoped to correct service: '${service}'. `);
  if (region !== undefined && sig.credential.region !== region) throw new SigV4Error('scope', `Credential should be scoped to a valid region, not '${sig.credential.region}'. This registry answers in '${region}'.`);
  if (!sig.signedHeaders.includes('host')) throw new SigV4Error('incomplete', "Signed headers must include 'host'.");
  const t = parseAmzDate(sig.amzDate);
  if (sig.amzDate.slice(0, 8) !== sig.credential.date) throw new SigV4Error('invalid', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.credential.date}' != '${sig.amzDate.slice(0, 8)}', from '${sig.amzDate}'.`);
  if (sig.form === 'header') {
    if (t < now - MAX_SKEW_MS) throw new SigV4Error('expired', `Signature expired: ${sig.amzDate} is now earlier than ${fmt(now - MAX_SKEW_MS)} (${fmt(now)} - 15 min.)`);
    if (t > now + MAX_SKEW_MS) throw new SigV4Error('expired', `Signature not yet current: ${sig.amzDate} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 15 min.)`);
  } else {
    if (t > now + MAX_SKEW_MS) throw new SigV4Error('expired', `Signature not yet current: ${sig.amzDate} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 15 min.)`);
    if (now > t + sig.expires! * 1000) throw new SigV4Error('expired', `Signature expired: ${sig.amzDate} is now earlier than ${fmt(now - sig.expires! * 1000)} (${fmt(now)} - ${sig.expires} sec.)`);
  }
  const declared = header(req.headers, 'x-amz-content-sha256');
  const candidates = declared && declared !== 'UNSIGNED-PAYLOAD'
    ? (declared === req.bodySha256 ? [declared] : [])
    : [declared === 'UNSIGNED-PAYLOAD' || sig.form === 'query' ? 'UNSIGNED-PAYLOAD' : req.bodySha256, req.bodySha256];
  const given = Buffer.from(sig.signature, 'utf8');
  for (const payloadHash of new Set(candidates)) {
    const expected = Buffer.from(computeSignature(req, sig, secret, payloadHash), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) return;
  }
  throw new SigV4Error('invalid', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
}
