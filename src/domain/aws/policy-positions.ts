// Where each statement of a policy text lies, as IAM's policy simulator reports it in MatchedStatements
// (StartPosition, EndPosition). Pure; the text must already be valid JSON (parseIamPolicy checked it).
//
// Positions are 1-based lines and columns, in the convention AWS's answers follow (the position a
// streaming JSON parser is at, i.e. just after the character it last read; the aws CLI's own
// examples and answers quoted by users agree on it):
//
//   {"Version":"2012-10-17","Statement":[{"Sid":"A",...},{"Sid":"B",...}]}
//                                       ^               ^^              ^
//                               start of A      end of A, start of B    end of B
//
// - a statement in a list starts just after the `[` (the first) or just after the previous
//   statement's `}` (the others), and ends just after its own `}`;
// - a lone statement object (`"Statement": {...}`) starts just after its `{` and ends just after its `}`.
// Lines break at LF, CRLF or CR; columns count UTF-16 code units.

/** A place in a policy text: 1-based line and column. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** Where one statement starts and ends. */
export interface StatementSpan {
  readonly start: TextPosition;
  readonly end: TextPosition;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function skipSpace(t: string, i: number): number {
  while (isSpace(t[i])) i++;
  return i;
}

/** `t[i]` is the opening quote; the index after the closing one. */
function skipString(t: string, i: number): number {
  for (i++; i < t.length && t[i] !== '"'; i++) if (t[i] === '\\') i++;
  return i + 1;
}

/** The index just after the JSON value that starts at `i`. */
function skipValue(t: string, i: number): number {
  const c = t[i];
  if (c === '"') return skipString(t, i);
  if (c !== '{' && c !== '[') {
    while (i < t.length && !isSpace(t[i]) && t[i] !== ',' && t[i] !== '}' && t[i] !== ']') i++;
    return i;
  }
  let depth = 0;
  while (i < t.length) {
    const ch = t[i];
    if (ch === '"') { i = skipString(t, i); continue; }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** Offsets where each line starts (line 1 at 0). */
function lineStarts(t: string): number[] {
  const starts = [0];
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\n' || (t[i] === '\r' && t[i + 1] !== '\n')) starts.push(i + 1);
  }
  return starts;
}

function positionAt(starts: readonly number[], offset: number): TextPosition {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/**
 * The span of each statement of the policy text `text`, in the order of its Statement list (one
 * span for a lone statement object); undefined when the text is not an object with a Statement
 * member. When the top level names Statement more than once, the last counts (as JSON.parse reads it).
 */
export function statementSpans(text: string): StatementSpan[] | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  let value: { start: number; end: number } | undefined;
  i = skipSpace(text, i + 1);
  while (text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key: unknown = JSON.parse(text.slice(i, keyEnd));
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return undefined;
    const start = skipSpace(text, i + 1);
    const end = skipValue(text, start);
    if (key === 'Statement') value = { start, end };
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  if (!value) return undefined;
  const starts = lineStarts(text);
  const span = (from: number, to: number): StatementSpan => ({ start: positionAt(starts, from), end: positionAt(starts, to) });
  if (text[value.start] === '{') return [span(value.start + 1, value.end)];
  if (text[value.start] !== '[') return undefined;
  const spans: StatementSpan[] = [];
  let previous = value.start + 1;
  let j = skipSpace(text, previous);
  while (j < value.end && text[j] !== ']') {
    if (text[j] === ',') { j = skipSpace(text, j + 1); continue; }
    const end = skipValue(text, j);
    spans.push(span(previous, end));
    previous = end;
    j = skipSpace(text, end);
  }
  return spans;
}
