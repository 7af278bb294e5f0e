// Tag matching for lifecycle rule selections: ECR's tagPrefixList (legacy prefixes) and tagPatternList
// (anchored wildcards where `*` stands for any run of characters, the empty run included).

/** ECR allows at most this many `*` in one tagPatternList entry. */
export const MAX_PATTERN_WILDCARDS = 4;

/** Number of `*` wildcards in a tag pattern. */
export function wildcardCount(pattern: string): number {
  let n = 0;
  for (const c of pattern) if (c === '*') n++;
  return n;
}

/**
 * True when `tag` matches `pattern` as a whole: every character but `*` must match itself, `*` matches
 * any run (possibly empty). Case-sensitive. Linear backtracking over the last `*` (no regular
 * expression), so no pattern can make matching slow.
 */
export function matchesTagPattern(pattern: string, tag: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // position in pattern just after the last `*` seen
  let resume = 0; // position in tag where that `*` currently ends
  while (t < tag.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = ++p;
      resume = t;
    } else if (p < pattern.length && pattern[p] === tag[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * ECR's list semantics: every prefix must be the prefix of some tag of the image, and every pattern
 * must match some tag (each entry may be satisfied by a different tag; extra tags do not matter).
 * Absent lists impose nothing.
 */
export function matchesTagLists(
  tags: readonly string[],
  prefixes: readonly string[] | undefined,
  patterns: readonly string[] | undefined,
): boolean {
  for (const prefix of prefixes ?? []) if (!tags.some((tag) => tag.startsWith(prefix))) return false;
  for (const pattern of patterns ?? []) if (!tags.some((tag) => matchesTagPattern(pattern, tag))) return false;
  return true;
}
