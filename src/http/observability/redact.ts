// Request URLs as the logs show them: query parameters that carry a signature, credential or token
// (presigned blob URLs, SigV4 query-signed requests) have their values replaced, so a log line can
// never be replayed as a grant. Paths never carry secrets; headers are never logged at all.

/** Query parameters whose values are secrets or grants (compared case-insensitively). */
export const REDACTED_PARAMS: readonly string[] = [
  'X-Wharf-Signature', 'X-Wharf-Expires', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token',
];
const REDACTED = new Set(REDACTED_PARAMS.map((p) => p.toLowerCase()));
const REDACTED_VALUE = 'REDACTED';

/** `url` (path and query, as received) with the values of REDACTED_PARAMS replaced by REDACTED. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1);
  if (!/x-(?:wharf|amz)|%/i.test(query)) return url;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    const name = eq < 0 ? parts[i] : parts[i].slice(0, eq);
    if (REDACTED.has(decodeName(name).toLowerCase())) parts[i] = `${name}=${REDACTED_VALUE}`;
  }
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
