// Validates a JSON input against an AWS service model shape (botocore's service-2.json), the way the
// AWS front end does before an operation runs: required members, types, lengths, ranges, patterns
// and enums. Type errors throw SerializationException; constraint failures are collected into one
// ValidationException with AWS's "N validation errors detected: ..." wording.
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

/** Validates `value` against shape `name`; throws SerializationException or ValidationException. */
export function validateInput(model: ServiceModel, name: string, value: unknown): void {
  const violations: string[] = [];
  walk(model, name, value, '', violations);
  if (violations.length > 0) throw errors.validation({ violations });
}

function walk(model: ServiceModel, name: string, value: unknown, path: string, out: string[]): void {
  const s = model.shapes[name];
  const fail = (constraint: string) => out.push(`Value '${show(value)}' at '${path}' failed to satisfy constraint: Member must ${constraint}`);
  switch (s.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeError(path || 'input', 'a structure');
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? []) {
        if (obj[r] === undefined || obj[r] === null) out.push(`Value null at '${path ? `${path}.` : ''}${r}' failed to satisfy constraint: Member must not be null`);
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
      if (s.enum && !s.enum.includes(value)) fail(`satisfy enum value set: [${s.enum.join(', ')}]`);
      if (s.min !== undefined && value.length < s.min) fail(`have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && value.length > s.max) fail(`have length less than or equal to ${s.max}`);
      if (s.pattern && compiled(s.pattern) && !compiled(s.pattern)!.test(value)) fail(`satisfy regular expression pattern: ${s.pattern}`);
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
      if (s.max !== undefined && bytes > s.max) out.push(`Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${s.max}`);
      return;
    }
  }
}
