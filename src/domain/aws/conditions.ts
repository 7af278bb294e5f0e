// The Condition element of an IAM statement, compiled once and tested per request: every operator
// family (String, Numeric, Date, Bool, Binary, IP, ARN, Null), the IfExists suffix, the ForAllValues /
// ForAnyValue set qualifiers, missing-key rules and policy variables in String/ARN values. Pure.
//
// Block semantics: operators AND, keys inside an operator AND, values of one key OR; a negated
// operator (StringNotEquals, NotIpAddress, …) is true when no policy value matches.
import { anyOf, arnSource, renderSource, spanSource, type SourcePiece } from './arn-match.ts';
import { cidrContains, parseBase64, parseCidr, parseDate, parseIp, parseNumber } from './condition-values.ts';
import type { RequestContext } from './context-values.ts';
import { ByValues, parseArnTemplate, parseTemplate, resolveText, type Resolver, type Template, type VariablePart } from './policy-variables.ts';

type Family = 'string' | 'stringIgnoreCase' | 'stringLike' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
type Compare = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface OperatorSpec {
  readonly family: Family;
  readonly compare: Compare;
  readonly negated: boolean;
}

const OPERATORS = new Map<string, OperatorSpec>();
function define(names: string[], family: Family, negated = false, compare: Compare = 'eq'): void {
  for (const n of names) OPERATORS.set(n.toLowerCase(), { family, compare, negated });
}
define(['StringEquals'], 'string');
define(['StringNotEquals'], 'string', true);
define(['StringEqualsIgnoreCase'], 'stringIgnoreCase');
define(['StringNotEqualsIgnoreCase'], 'stringIgnoreCase', true);
define(['StringLike'], 'stringLike');
define(['StringNotLike'], 'stringLike', true);
for (const [family, prefix] of [['numeric', 'Numeric'], ['date', 'Date']] as const) {
  define([`${prefix}Equals`], family);
  define([`${prefix}NotEquals`], family, true);
  define([`${prefix}LessThan`], family, false, 'lt');
  define([`${prefix}LessThanEquals`], family, false, 'lte');
  define([`${prefix}GreaterThan`], family, false, 'gt');
  define([`${prefix}GreaterThanEquals`], family, false, 'gte');
}
define(['Bool'], 'bool');
define(['BinaryEquals'], 'binary');
define(['IpAddress'], 'ip');
define(['NotIpAddress'], 'ip', true);
define(['ArnEquals', 'ArnLike'], 'arn');
define(['ArnNotEquals', 'ArnNotLike'], 'arn', true);
define(['Null'], 'null');

/** Families whose values may hold policy variables (IAM User Guide, reference_policies_variables.md). */
const VARIABLE_FAMILIES = new Set<Family>(['string', 'stringIgnoreCase', 'stringLike', 'arn']);

/** A test of one request value against the policy values (the positive operator). */
type ValueTest = (value: string) => boolean;

/** One operator-and-key entry of a Condition block. */
interface CompiledEntry {
  /** lower-cased context key, and as the policy spells it */
  readonly key: string;
  readonly name: string;
  readonly spec: OperatorSpec;
  readonly ifExists: boolean;
  readonly set: 'none' | 'any' | 'all';
  /** the positive test, when the values hold no variables */
  readonly test?: ValueTest;
  /** the test per combination of variable values, when some values hold variables */
  readonly tests?: ByValues<ValueTest>;
  /** Null: the presence each policy value asks for (true = absent) */
  readonly wantAbsent?: readonly boolean[];
}

/** A compiled Condition element; `keys` are the context keys it reads (policy spelling), for missing-key reports. */
export interface CompiledCondition {
  readonly entries: readonly CompiledEntry[];
  readonly keys: readonly { readonly key: string; readonly name: string }[];
}

/** The statement can never match (an operator IAM does not define). */
const NEVER: CompiledCondition = { entries: [{ key: '', name: '', spec: { family: 'null', compare: 'eq', negated: false }, ifExists: false, set: 'none', wantAbsent: [] }], keys: [] };

function compare(c: Compare, a: number, b: number): boolean {
  return c === 'eq' ? a === b : c === 'lt' ? a < b : c === 'lte' ? a <= b : c === 'gt' ? a > b : a >= b;
}

/** Builds the positive test of `family` from the policy's (resolved) values. */
function buildTest(spec: OperatorSpec, values: readonly string[]): ValueTest {
  switch (spec.family) {
    case 'string': {
      const set = new Set(values);
      return (v) => set.has(v);
    }
    case 'stringIgnoreCase': {
      const set = new Set(values.map((v) => v.toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case 'stringLike':
    case 'arn': {
      const re = anyOf(values);
      return re ? (v) => re.test(v) : () => false;
    }
    case 'numeric':
    case 'date': {
      const parse = spec.family === 'numeric' ? parseNumber : parseDate;
      const wanted = values.map(parse).filter((n): n is number => n !== undefined);
      return (v) => {
        const n = parse(v);
        return n !== undefined && wanted.some((w) => compare(spec.compare, n, w));
      };
    }
    case 'bool': {
      const set = new Set(values.map((v) => v.toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case 'binary': {
      const wanted = values.map(parseBase64).filter((b): b is Buffer => b !== undefined);
      return (v) => {
        const b = parseBase64(v);
        return b !== undefined && wanted.some((w) => w.equals(b));
      };
    }
    case 'ip': {
      const blocks = values.map(parseCidr).filter((b) => b !== undefined);
      return (v) => {
        const ip = parseIp(v);
        return ip !== undefined && blocks.some((b) => cidrContains(b, ip));
      };
    }
    case 'null':
      return () => false;
  }
}

/** A policy value ready for substitution: regex source pieces (Like and ARN families) or a text template. */
type ValueTemplate = { readonly source: readonly SourcePiece[] } | { readonly text: Template };

function valueTemplate(spec: OperatorSpec, raw: string, variables: boolean): ValueTemplate {
  if (spec.family === 'stringLike') return { source: spanSource(parseTemplate(raw, variables).parts) };
  if (spec.family === 'arn') return { source: arnSource(parseArnTemplate(raw, variables).parts, false) };
  return { text: parseTemplate(raw, variables) };
}

function templateVariables(t: ValueTemplate): VariablePart[] {
  if ('text' in t) return [...t.text.variables];
  return t.source.flatMap((piece) => (typeof piece === 'string' ? [] : [piece.variable]));
}

/** The value for this request: a regex source or text; undefined when a variable has no value. */
function renderValue(t: ValueTemplate, resolve: Resolver): string | undefined {
  return 'source' in t ? renderSource(t.source, resolve) : resolveText(t.text, resolve);
}

const noVariables: Resolver = () => undefined;

function valueList(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => String(x));
}

/**
 * Compiles a statement's Condition element. `variables` says whether policy variables are read
 * (Version 2012-10-17). An operator IAM does not define makes the statement never match.
 */
export function compileCondition(block: Record<string, Record<string, unknown>> | undefined, variables: boolean): CompiledCondition | undefined {
  if (!block) return undefined;
  const entries: CompiledEntry[] = [];
  const keys = new Map<string, string>();
  for (const [opName, byKey] of Object.entries(block)) {
    let rest = opName;
    let set: CompiledEntry['set'] = 'none';
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      const qualifier = rest.slice(0, colon).toLowerCase();
      if (qualifier !== 'forallvalues' && qualifier !== 'foranyvalue') return NEVER;
      set = qualifier === 'forallvalues' ? 'all' : 'any';
      rest = rest.slice(colon + 1);
    }
    let ifExists = false;
    if (/ifexists$/i.test(rest) && rest.toLowerCase() !== 'null') {
      ifExists = true;
      rest = rest.slice(0, -'IfExists'.length);
    }
    const spec = OPERATORS.get(rest.toLowerCase());
    if (!spec || (spec.family === 'null' && (ifExists || set !== 'none'))) return NEVER;
    for (const [name, raw] of Object.entries(byKey ?? {})) {
      const key = name.toLowerCase();
      if (!keys.has(key)) keys.set(key, name);
      const values = valueList(raw);
      if (spec.family === 'null') {
        entries.push({ key, name, spec, ifExists, set, wantAbsent: values.map((v) => v.toLowerCase() === 'true') });
        continue;
      }
      const withVariables = variables && VARIABLE_FAMILIES.has(spec.family);
      const templates = values.map((v) => valueTemplate(spec, v, withVariables));
      const used = templates.flatMap(templateVariables);
      for (const v of used) if (!keys.has(v.key)) keys.set(v.key, v.name);
      if (used.length > 0) entries.push({ key, name, spec, ifExists, set, tests: new ByValues(used, (resolve) => buildTest(spec, templates.map((t) => renderValue(t, resolve)!))) });
      else entries.push({ key, name, spec, ifExists, set, test: buildTest(spec, templates.map((t) => renderValue(t, noVariables)!)) });
    }
  }
  return { entries, keys: [...keys].map(([key, name]) => ({ key, name })) };
}

/** Condition outcome: true, false, or `unresolved` when a policy variable has no value (the statement does not match). */
export type ConditionResult = boolean | 'unresolved';

function entryHolds(e: CompiledEntry, context: RequestContext): ConditionResult {
  const present = context.get(e.key, e.name);
  if (e.wantAbsent) {
    for (const absent of e.wantAbsent) if (absent === (present === undefined)) return true;
    return false;
  }
  const test = e.test ?? e.tests!.get(context);
  if (test === undefined) return 'unresolved';
  if (present === undefined) {
    if (e.ifExists || e.set === 'all') return true;
    if (e.set === 'any') return false;
    return e.spec.negated;
  }
  // Each request value is "ok" when it matches some policy value (positive operators) or none (negated ones).
  const want = !e.spec.negated;
  if (e.set === 'all') {
    for (const v of present) if (test(v) !== want) return false;
    return true;
  }
  let anyMatch = false;
  let anyOk = false;
  for (const v of present) {
    const m = test(v);
    anyMatch ||= m;
    anyOk ||= m === want;
  }
  if (e.set === 'any') return anyOk;
  return want ? anyMatch : !anyMatch;
}

/** Whether every entry of the condition holds for `context`. */
export function conditionHolds(c: CompiledCondition, context: RequestContext): ConditionResult {
  for (const e of c.entries) {
    const r = entryHolds(e, context);
    if (r !== true) return r;
  }
  return true;
}
