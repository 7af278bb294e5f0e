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
  | { readonly kind: 'variable'; readonly key: string; readonly name: string; readonly fallback?: string };

/** A policy string split into parts; `variables` lists the variable parts (empty for most strings). */
export interface Template {
  readonly parts: readonly TemplatePart[];
  readonly variables: readonly Extract<TemplatePart, { kind: 'variable' }>[];
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
  return { parts, variables: parts.filter((p): p is Extract<TemplatePart, { kind: 'variable' }> => p.kind === 'variable') };
}

/**
 * The value a variable stands for in this request: the key's single value, else the default; undefined
 * when the key is absent or has several values and no default is given (the statement then does not match).
 */
export function resolveVariable(part: Extract<TemplatePart, { kind: 'variable' }>, context: RequestContext): string | undefined {
  const values = context.values.get(part.key);
  if (values !== undefined && values.length === 1) return values[0];
  return part.fallback;
}

/** A policy string after substitution: `wildcard` parts keep `*` and `?` as wildcards, the others match as written. */
export interface ResolvedPart {
  readonly wildcard: boolean;
  readonly value: string;
}

/** Substitutes the template's variables; undefined when one cannot be resolved. */
export function resolveTemplate(template: Template, context: RequestContext): ResolvedPart[] | undefined {
  const out: ResolvedPart[] = [];
  for (const part of template.parts) {
    if (part.kind === 'variable') {
      const value = resolveVariable(part, context);
      if (value === undefined) return undefined;
      out.push({ wildcard: false, value });
    } else {
      out.push({ wildcard: part.kind === 'text', value: part.value });
    }
  }
  return out;
}

/** The template's text with variables substituted (wildcards have no meaning here); undefined when unresolvable. */
export function resolveText(template: Template, context: RequestContext): string | undefined {
  const parts = resolveTemplate(template, context);
  return parts?.map((p) => p.value).join('');
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
