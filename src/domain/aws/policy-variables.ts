// IAM policy variables in Resource patterns and String/ARN condition values: `${aws:username}`,
// `${aws:PrincipalTag/team}`, defaults `${key, 'default'}` and the escapes `${*}` `${?}` `${$}`.
// Parsed once per policy string into parts; resolved per request against the context. Pure.
import type { RequestContext } from './context-values.ts';

/**
 * One piece of a policy string: `text` as written (wildcards keep their meaning), `literal` (an escape's
 * character, or a substituted value: never a wildcard) or `variable` (a context key, lower-cased, with
 * its spelling in the policy for reports and an optional default).
 */
export type TemplatePart =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'literal'; readonly value: string }
  | VariablePart;

/** A variable: the context key (lower-cased), its spelling in the policy, an optional default. */
export interface VariablePart {
  readonly kind: 'variable';
  readonly key: string;
  readonly name: string;
  readonly fallback?: string;
}

/** A policy string split into parts; `variables` lists the variable parts (empty for most strings). */
export interface Template {
  readonly parts: readonly TemplatePart[];
  readonly variables: readonly VariablePart[];
}

const ESCAPES = new Set(['*', '?', '$']);
const VARIABLE = /^([^\s,'{}$]+)\s*(?:,\s*'([^']*)')?$/;

/**
 * Splits `text` into parts. With `variables` false (policy Version 2008-10-17, or a place where
 * variables are not allowed) the whole string is text. A `${…}` that is neither an escape nor a
 * well-formed variable stays text, as does an unterminated `${`.
 */
export function parseTemplate(text: string, variables: boolean): Template {
  if (!variables || !text.includes('${')) return { parts: [{ kind: 'text', value: text }], variables: [] };
  const parts: TemplatePart[] = [];
  let buffered = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('${', i);
    const close = open < 0 ? -1 : text.indexOf('}', open + 2);
    if (open < 0 || close < 0) {
      buffered += text.slice(i);
      break;
    }
    buffered += text.slice(i, open);
    const inner = text.slice(open + 2, close).trim();
    const variable = VARIABLE.exec(inner);
    if (ESCAPES.has(inner) || variable) {
      if (buffered) parts.push({ kind: 'text', value: buffered });
      buffered = '';
      parts.push(ESCAPES.has(inner)
        ? { kind: 'literal', value: inner }
        : { kind: 'variable', key: variable![1].toLowerCase(), name: variable![1], ...(variable![2] !== undefined ? { fallback: variable![2] } : {}) });
    } else {
      buffered += text.slice(open, close + 1);
    }
    i = close + 1;
  }
  if (buffered) parts.push({ kind: 'text', value: buffered });
  return { parts, variables: parts.filter((p): p is VariablePart => p.kind === 'variable') };
}

/**
 * The value a variable stands for in this request: the key's single value, else the default; undefined
 * when the key is absent or has several values and no default is given (the statement then does not match).
 */
export function resolveVariable(part: VariablePart, context: RequestContext): string | undefined {
  const values = context.get(part.key, part.name);
  if (values !== undefined && values.length === 1) return values[0];
  return part.fallback;
}

/** Resolves a variable part to its value for this request, or undefined. */
export type Resolver = (part: VariablePart) => string | undefined;

/** The template's text with variables substituted (for operators without wildcards); undefined when unresolvable. */
export function resolveText(template: Template, resolve: Resolver): string | undefined {
  let out = '';
  for (const part of template.parts) {
    if (part.kind !== 'variable') out += part.value;
    else {
      const value = resolve(part);
      if (value === undefined) return undefined;
      out += value;
    }
  }
  return out;
}

const BY_VALUES_LIMIT = 256;

/**
 * What a policy string with variables builds (a regex, a test), cached per distinct combination of
 * the variables' values: requests by the same principal resolve them the same way.
 */
export class ByValues<T> {
  private readonly cache = new Map<string, T>();

  /** `build` gets a resolver that answers each of `variables` (never undefined for them). */
  constructor(private readonly variables: readonly VariablePart[], private readonly build: (resolve: Resolver) => T) {}

  /** The built value for this request; undefined when a variable cannot be resolved. */
  get(context: RequestContext): T | undefined {
    let key = '';
    for (const v of this.variables) {
      const value = resolveVariable(v, context);
      if (value === undefined) return undefined;
      key += value + '\u0000';
    }
    let built = this.cache.get(key);
    if (built === undefined) {
      if (this.cache.size >= BY_VALUES_LIMIT) this.cache.clear();
      built = this.build((part) => resolveVariable(part, context));
      this.cache.set(key, built);
    }
    return built;
  }
}

/**
 * Parses an ARN pattern: variables are read only in the resource part, after the fifth colon
 * (IAM User Guide, reference_policies_variables.md); a pattern with fewer colons is read whole.
 */
export function parseArnTemplate(text: string, variables: boolean): Template {
  let at = -1;
  for (let i = 0; i < 5 && (at = text.indexOf(':', at + 1)) >= 0; i++);
  if (at < 0) return parseTemplate(text, variables);
  const rest = parseTemplate(text.slice(at + 1), variables);
  return { parts: [{ kind: 'text', value: text.slice(0, at + 1) }, ...rest.parts], variables: rest.variables };
}
