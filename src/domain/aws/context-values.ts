// The request context an IAM decision is made against: condition keys and their values as callers
// supply them, read case-insensitively, each value seen as a list of strings.

/** One context value: a string, a list (multi-valued keys such as aws:TagKeys), a boolean or a number. */
export type ContextValue = string | readonly string[] | boolean | number;

/**
 * Request context keys and values (§2.4 of the identity reference lists the ones Wharf supplies).
 * Key names are case-insensitive (`aws:SourceIp` = `AWS:sourceip`); binary values are given base64-encoded,
 * dates as ISO-8601 text or epoch seconds, IP addresses as text.
 */
export type ContextValues = Readonly<Record<string, ContextValue>>;

/**
 * The context as the evaluator reads it. Keys are looked up lower-cased; the caller's spelling is tried
 * first and a lower-cased index is built only when that misses (most policies spell keys as AWS does).
 */
export class RequestContext {
  private index?: Map<string, ContextValue>;
  /** lower-cased key → its values (null: absent), for keys already asked for */
  private readonly seen = new Map<string, readonly string[] | null>();

  /**
   * `defaults` fill keys the caller left out (the evaluator derives aws:PrincipalArn and
   * aws:PrincipalAccount from the principal this way). A key given twice in different cases keeps one
   * of the values, unspecified which.
   */
  constructor(private readonly given: ContextValues, private readonly defaults?: ContextValues) {}

  private lookup(key: string, spelling: string): ContextValue | undefined {
    const direct = Object.hasOwn(this.given, spelling) ? this.given[spelling] : undefined;
    if (direct !== undefined) return direct;
    if (!this.index) {
      const index = new Map<string, ContextValue>();
      for (const k in this.defaults) index.set(k.toLowerCase(), this.defaults[k]);
      for (const k in this.given) index.set(k.toLowerCase(), this.given[k]);
      this.index = index;
    }
    return this.index.get(key);
  }

  /**
   * The values of the key (`key` lower-cased; `spelling` as the policy writes it, tried first), as
   * strings; undefined when absent. An empty list counts as absent.
   */
  get(key: string, spelling: string = key): readonly string[] | undefined {
    let values = this.seen.get(key);
    if (values === undefined) {
      const v = this.lookup(key, spelling);
      values = v === undefined ? null
        : typeof v === 'string' ? [v]
        : typeof v === 'boolean' || typeof v === 'number' ? [String(v)]
        : v.length === 0 ? null : v;
      this.seen.set(key, values);
    }
    return values ?? undefined;
  }

  /** Whether the key is present (see get()). */
  has(key: string, spelling: string = key): boolean {
    return this.get(key, spelling) !== undefined;
  }
}
