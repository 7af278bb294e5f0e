// Validates a JSON input against an AWS service model shape (botocore's service-2.json), the way the
// AWS front end does before an operation runs: required members, types, lengths, ranges, patterns
// and enums. Type errors throw SerializationException; constraint failures are collected into one
// ValidationException with AWS's "N validation errors detected: ..." wording, or, for an operation
// whose model lists no ValidationException, answered as ECR does: InvalidParameterException naming
// the first failing member (`Invalid parameter at 'm' failed to satisfy constraint: 'Member must ...'`).
import { errors } from '../errors.ts';

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'blob' | 'double' | 'float';
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
}

export interface ServiceModel {
  metadata: { targetPrefix: string; signingName: string };
  operations: Record<string, { name: string; input?: { shape: string }; output?: { shape: string }; errors?: { shape: string }[] }>;
  shapes: Record<string, Shape>;
}

/**
 * Enum sets whose order in ECR's own messages is known to differ from the model's (ecr.md §2.4):
 * the message lists them in this order. Every other set is listed in the model's order.
 */
const MESSAGE_ENUM_ORDER: Record<string, readonly string[]> = {
  ImageTagMutability: ['IMMUTABLE', 'MUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'],
};

function enumSet(shapeName: string, values: readonly string[]): string {
  const ordered = MESSAGE_ENUM_ORDER[shapeName];
  const list = ordered && ordered.length === values.length && values.every((v) => ordered.includes(v)) ? ordered : values;
  return `[${list.join(', ')}]`;
}

const patterns = new Map<string, RegExp | null>();

function compiled(p: string): RegExp | null {
  let re = patterns.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${p.replace(/^\^/, '').replace(/\$$/, '')})$`, 'u');
    } catch {
      re = null; // a Java-only construct: leave the check to the service
    }
    patterns.set(p, re);
  }
  return re;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function typeError(path: string, want: string): never {
  throw errors.serialization({ reason: `Unexpected value at '${path}': expected ${want}.` });
}

/** How constraint failures are answered: the AWS front end's ValidationException, or ECR's InvalidParameterException. */
export type ViolationStyle = 'validation' | 'invalid-parameter';

/** ValidationException for operations whose model lists it; InvalidParameterException for the others. */
export function violationStyleOf(op: { errors?: { shape: string }[] }): ViolationStyle {
  return op.errors?.some((e) => e.shape === 'ValidationException') ? 'validation' : 'invalid-parameter';
}

/** One failed constraint: where, the value (null for a missing member, undefined when not shown), and the rule. */
interface Violation {
  readonly path: string;
  readonly value: string | null | undefined;
  /** Coral's wording after "Member must ", e.g. `have length less than or equal to 256`. */
  readonly constraint: string;
  /** ECR's InvalidParameterException reason, when it differs from `Member must <constraint>`. */
  readonly reason?: string;
}

function validationText(v: Violation): string {
  const value = v.value === undefined ? 'Value' : v.value === null ? 'Value null' : `Value '${v.value}'`;
  return `${value} at '${v.path}' failed to satisfy constraint: Member must ${v.constraint}`;
}

/**
 * Validates `value` against shape `name`; throws SerializationException for a wrong type, then
 * ValidationException (all violations) or, with style 'invalid-parameter', InvalidParameterException
 * (the first violation).
 */
export function validateInput(model: ServiceModel, name: string, value: unknown, style: ViolationStyle = 'validation'): void {
  const violations: Violation[] = [];
  walk(model, name, value, '', violations);
  if (violations.length === 0) return;
  if (style === 'validation') throw errors.validation({ violations: violations.map(validationText) });
  const [first] = violations;
  throw errors.invalidParameter({ field: first.path, reason: first.reason ?? `Member must ${first.constraint}` });
}

function walk(model: ServiceModel, name: string, value: unknown, path: string, out: Violation[]): void {
  const s = model.shapes[name];
  const fail = (constraint: string, reason?: string) => out.push({ path, value: show(value), constraint, reason });
  switch (s.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeError(path || 'input', 'a structure');
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? []) {
        if (obj[r] === undefined || obj[r] === null) out.push({ path: path ? `${path}.${r}` : r, value: null, constraint: 'not be null' });
      }
      for (const [m, ref] of Object.entries(s.members ?? {})) {
        if (obj[m] !== undefined && obj[m] !== null) walk(model, ref.shape, obj[m], path ? `${path}.${m}` : m, out);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return typeError(path, 'a list');
      if (s.min !== undefined && value.length < s.min) fail(`have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && value.length > s.max) fail(`have length less than or equal to ${s.max}`);
      value.forEach((v, i) => walk(model, s.member!.shape, v, `${path}.${i + 1}.member`, out));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeError(path, 'a map');
      const entries = Object.entries(value);
      if (s.min !== undefined && entries.length < s.min) fail(`have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && entries.length > s.max) fail(`have length less than or equal to ${s.max}`);
      for (const [k, v] of entries) {
        walk(model, s.key!.shape, k, `${path}.${k}.key`, out);
        walk(model, s.value!.shape, v, `${path}.${k}.value`, out);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return typeError(path, 'a string');
      if (s.enum && !s.enum.includes(value)) fail(`satisfy enum value set: ${enumSet(name, s.enum)}`);
      if (s.min !== undefined && value.length < s.min) fail(`have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && value.length > s.max) fail(`have length less than or equal to ${s.max}`);
      if (s.pattern && compiled(s.pattern) && !compiled(s.pattern)!.test(value)) {
        fail(`satisfy regular expression pattern: ${s.pattern}`, `must satisfy regular expression '${s.pattern}'`);
      }
      return;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return typeError(path, 'an integer');
      if (s.min !== undefined && value < s.min) fail(`have value greater than or equal to ${s.min}`);
      if (s.max !== undefined && value > s.max) fail(`have value less than or equal to ${s.max}`);
      return;
    }
    case 'double':
    case 'float':
      if (typeof value !== 'number') typeError(path, 'a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(path, 'a boolean');
      return;
    case 'timestamp':
      if (typeof value !== 'number' && typeof value !== 'string') typeError(path, 'a timestamp');
      return;
    case 'blob': {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return typeError(path, 'base64 data');
      const bytes = Math.floor((value.length * 3) / 4) - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);
      if (s.max !== undefined && bytes > s.max) out.push({ path, value: undefined, constraint: `have length less than or equal to ${s.max}` });
      return;
    }
  }
}
