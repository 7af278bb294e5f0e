// The request context an IAM decision is made against: condition keys and their values as callers
// supply them, and the normalized form the evaluator reads (names lower-cased, values as strings).

/** One context value: a string, a list (multi-valued keys such as aws:TagKeys), a boolean or a number. */
export type ContextValue = string | readonly string[] | boolean | number;

/**
 * Request context keys and values (§2.4 of the identity reference lists the ones Wharf supplies).
 * Key names are case-insensitive (`aws:SourceIp` = `AWS:sourceip`); binary values are given base64-encoded,
 * dates as ISO-8601 text or epoch seconds, IP addresses as text.
 */
export type ContextValues = Readonly<Record<string, ContextValue>>;

/** The context as the evaluator reads it: lower-cased key → its values as strings. Empty lists count as absent. */
export interface RequestContext {
  readonly values: ReadonlyMap<string, readonly string[]>;
}

function asStrings(v: ContextValue): readonly string[] {
  if (typeof v === 'string') return [v];
  if (typeof v === 'boolean' || typeof v === 'number') return [String(v)];
  return v.map(String);
}

/**
 * Normalizes caller-supplied values. `defaults` fill keys the caller left out (the evaluator derives
 * aws:PrincipalArn and aws:PrincipalAccount from the principal this way); a key given twice in different
 * cases keeps the last spelling's value.
 */
export function requestContext(values: ContextValues, defaults: ContextValues = {}): RequestContext {
  const map = new Map<string, readonly string[]>();
  for (const [k, v] of Object.entries(defaults)) {
    const list = asStrings(v);
    if (list.length > 0) map.set(k.toLowerCase(), list);
  }
  for (const [k, v] of Object.entries(values)) {
    const key = k.toLowerCase();
    const list = asStrings(v);
    if (list.length > 0) map.set(key, list);
    else map.delete(key);
  }
  return { values: map };
}
