// Wildcard matching as IAM does it, compiled to regular expressions once per pattern: actions
// (case-insensitive, `*` any run, `?` one character), Resource ARNs (per segment, the first five
// case-insensitive, the resource part case-sensitive with `*` spanning ':' and '/') and the ARN
// condition operators (all six components case-sensitive). Pure.

import type { TemplatePart, VariablePart } from './policy-variables.ts';

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

/** `text` as a regular-expression source that matches it literally. */
export function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** Which regex stands for `*` and `?`: `span` crosses ':' (a whole string, an ARN's resource part), `segment` does not. */
export type GlobScope = 'span' | 'segment';

/** Regex source of an IAM wildcard pattern: `*` any run, `?` one character, everything else literal. */
export function globSource(pattern: string, scope: GlobScope): string {
  const star = scope === 'span' ? '[\\s\\S]*' : '[^:]*';
  const one = scope === 'span' ? '[\\s\\S]' : '[^:]';
  let out = '';
  for (const c of pattern) out += c === '*' ? star : c === '?' ? one : escapeRegex(c);
  return out;
}

/** Splits an ARN-shaped string at its fifth colon: the five leading segments and the resource part; undefined when it has fewer than five colons. */
export function splitArn(value: string): { prefix: string[]; rest: string } | undefined {
  const prefix: string[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const at = value.indexOf(':', from);
    if (at < 0) return undefined;
    prefix.push(value.slice(from, at));
    from = at + 1;
  }
  return { prefix, rest: value.slice(from) };
}

/**
 * The form of a request's resource that compiled Resource patterns are tested against: an ARN with its
 * first five segments lower-cased (they match case-insensitively), anything else unchanged.
 */
export function normalizeResource(resource: string): string {
  const arn = splitArn(resource);
  return arn ? arn.prefix.join(':').toLowerCase() + ':' + arn.rest : resource;
}

/**
 * A regex source with holes: strings are regex source, variables are substituted per request as
 * literal text (lower-cased when `fold`). Built once per policy string; see renderSource().
 */
export type SourcePiece = string | { readonly variable: VariablePart; readonly fold: boolean };

function pushSource(out: SourcePiece[], piece: SourcePiece): void {
  if (typeof piece === 'string' && typeof out[out.length - 1] === 'string') out[out.length - 1] += piece;
  else out.push(piece);
}

/** Pattern with wildcards spanning any characters (StringLike, whole strings): text keeps its wildcards, escapes and variables match as written. */
export function spanSource(parts: readonly TemplatePart[]): SourcePiece[] {
  const out: SourcePiece[] = [];
  for (const p of parts) pushSource(out, p.kind === 'text' ? globSource(p.value, 'span') : p.kind === 'literal' ? escapeRegex(p.value) : { variable: p, fold: false });
  return out;
}

/**
 * An ARN pattern, matched per segment: wildcards in the five leading segments stay inside their
 * segment, in the resource part they span ':' and '/'. The colons that delimit segments are those
 * written in the policy's text. With `foldCase` (Resource matching) the leading segments are
 * lower-cased, for comparison with normalizeResource(); ArnLike compares as written. A pattern with
 * fewer than six segments matches segment by segment too, its last segment standing for the rest of
 * the ARN (`arn:aws:*` covers every ARN of partition aws, `*` covers everything).
 */
export function arnSource(parts: readonly TemplatePart[], foldCase: boolean): SourcePiece[] {
  let colons = 0;
  for (const p of parts) if (p.kind === 'text') for (const c of p.value) if (c === ':') colons++;
  // The segment from which wildcards span ':'.
  const spanFrom = Math.min(colons, 5);
  let seen = 0;
  const out: SourcePiece[] = [];
  for (const p of parts) {
    const fold = seen < spanFrom && foldCase;
    if (p.kind === 'variable') pushSource(out, { variable: p, fold });
    else if (p.kind === 'literal') pushSource(out, escapeRegex(fold ? p.value.toLowerCase() : p.value));
    else {
      let chunk = '';
      for (const c of p.value) {
        if (seen >= spanFrom) chunk += globSource(c, 'span');
        else if (c === ':') {
          seen++;
          chunk += ':';
        } else chunk += globSource(foldCase ? c.toLowerCase() : c, 'segment');
      }
      pushSource(out, chunk);
    }
  }
  return out;
}

/** The regex source of `pieces` for this request; undefined when a variable cannot be resolved. */
export function renderSource(pieces: readonly SourcePiece[], resolve: (v: VariablePart) => string | undefined): string | undefined {
  if (pieces.length === 1 && typeof pieces[0] === 'string') return pieces[0];
  let out = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') out += piece;
    else {
      const value = resolve(piece.variable);
      if (value === undefined) return undefined;
      out += escapeRegex(piece.fold ? value.toLowerCase() : value);
    }
  }
  return out;
}

const regexCache = new Map<string, RegExp>();
const REGEX_CACHE_LIMIT = 4096;

/**
 * One anchored regex matching any of `alternatives` (regex sources), cached by source: policies with
 * variables build their sources per request, and the same few recur. `null` matches nothing.
 */
export function anyOf(alternatives: readonly string[]): RegExp | null {
  if (alternatives.length === 0) return null;
  const source = alternatives.length === 1 ? `^(?:${alternatives[0]})$` : `^(?:${alternatives.join('|')})$`;
  let re = regexCache.get(source);
  if (!re) {
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    re = new RegExp(source);
    regexCache.set(source, re);
  }
  return re;
}

/** A compiled list of action patterns: a test for lower-cased action names. */
export interface ActionMatcher {
  /** True when the lower-cased `action` matches one of the patterns. */
  test(action: string): boolean;
}

/** Compiles Action / NotAction patterns (`*`, `service:Name`, wildcards) into one matcher; names compare case-insensitively. */
export function compileActions(patterns: readonly string[]): ActionMatcher {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const p of patterns) {
    const lower = p.toLowerCase();
    if (lower === '*') return { test: () => true };
    if (lower.includes('*') || lower.includes('?')) globs.push(globSource(lower, 'span'));
    else exact.add(lower);
  }
  const re = anyOf(globs);
  if (!re) return { test: (a) => exact.has(a) };
  if (exact.size === 0) return { test: (a) => re.test(a) };
  return { test: (a) => exact.has(a) || re.test(a) };
}

/** IAM action matching: case-insensitive, `*` any run, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  return compileActions([pattern]).test(action.toLowerCase());
}
