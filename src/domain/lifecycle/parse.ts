// Validates a lifecycle policy text as ECR does (shared/reference/ecr.md §6.2): first the JSON schema,
// with ECR's JSON-schema wording, then the semantic rules, with Wharf's own wording (docs/lifecycle.md).
import { errors } from '../errors.ts';
import { MAX_PATTERN_WILDCARDS, wildcardCount } from './patterns.ts';
import type { CountType, LifecyclePolicy, LifecycleRule, LifecycleSelection } from './types.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const TAG_STATUSES = ['any', 'tagged', 'untagged'] as const;
const COUNT_TYPES = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'] as const;
const STORAGE_CLASSES = ['archive', 'standard'] as const;
const ACTION_TYPES = ['expire', 'transition'] as const;
/** ECR keeps archived images at least this long; a rule may not expire them sooner (§9). */
export const ARCHIVE_MINIMUM_DAYS = 90;

/**
 * Parses and validates a lifecycle policy text. Returns the policy with only the members ECR defines
 * (rules in text order). Throws `errors.invalidParameter` on field `LifecyclePolicyText` with the
 * reason `Lifecycle policy validation failure: <detail>` for the first problem found.
 */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    throw fail('Could not map policyString into LifecyclePolicy.');
  }
  if (!isObject(doc)) throw fail('Could not map policyString into LifecyclePolicy.');
  checkMembers(doc, ['rules'], ['rules']);
  const list = doc.rules;
  expectType(list, 'array');
  if ((list as Json[]).length === 0) throw fail('array is too short: must have at least 1 elements but instance has 0 elements');
  const rules = (list as Json[]).map(schemaRule);
  for (const rule of rules) checkRule(rule);
  checkAcrossRules(rules);
  return { rules };
}

/** The registered error with ECR's wording around `detail`. */
function fail(detail: string) {
  return errors.invalidParameter({ field: 'LifecyclePolicyText', reason: `Lifecycle policy validation failure: ${detail}` });
}

// --- JSON schema (ECR's json-schema-validator messages) ---

function has(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON-schema primitive type name of a value (`integer` for whole numbers). */
function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function expectType(v: Json, type: 'object' | 'array' | 'string' | 'integer'): void {
  if (typeName(v) !== type) throw fail(`instance type (${typeName(v)}) does not match any allowed primitive type (allowed: ["${type}"])`);
}

/** Required members first (all missing ones, sorted), then members the schema does not allow. */
function checkMembers(obj: JsonObject, required: readonly string[], allowed: readonly string[]): void {
  const missing = required.filter((k) => !has(obj, k)).sort();
  if (missing.length > 0) throw fail(`object has missing required properties (${JSON.stringify(missing)})`);
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length > 0) throw fail(`object instance has properties which are not allowed by the schema: (${JSON.stringify(unknown)})`);
}

function expectEnum<T extends string>(v: Json, values: readonly T[]): T {
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  const shown = typeof v === 'string' ? v : JSON.stringify(v);
  throw fail(`instance value (${shown}) not found in enum :(possible values: ${JSON.stringify(values)})`);
}

function expectInteger(v: Json, minimum: number): number {
  expectType(v, 'integer');
  if ((v as number) < minimum) throw fail(`numeric instance is lower than the required minimum (minimum: ${minimum}, found: ${v})`);
  return v as number;
}

function expectStringList(v: Json): string[] {
  expectType(v, 'array');
  const items = v as Json[];
  if (items.length === 0) throw fail('array is too short: must have at least 1 elements but instance has 0 elements');
  for (const item of items) {
    expectType(item, 'string');
    if ((item as string).length === 0) throw fail('string "" is too short (length: 0, required minimum: 1)');
  }
  return items as string[];
}

function schemaRule(v: Json): LifecycleRule {
  expectType(v, 'object');
  const r = v as JsonObject;
  checkMembers(r, ['action', 'rulePriority', 'selection'], ['action', 'description', 'rulePriority', 'selection']);
  const rulePriority = expectInteger(r.rulePriority, 1);
  if (has(r, 'description')) expectType(r.description, 'string');
  const selection = schemaSelection(r.selection);
  expectType(r.action, 'object');
  const a = r.action as JsonObject;
  checkMembers(a, ['type'], ['targetStorageClass', 'type']);
  const type = expectEnum(a.type, ACTION_TYPES);
  const action = has(a, 'targetStorageClass')
    ? { type, targetStorageClass: expectEnum(a.targetStorageClass, ['archive'] as const) }
    : { type };
  return has(r, 'description')
    ? { rulePriority, description: r.description as string, selection, action }
    : { rulePriority, selection, action };
}

function schemaSelection(v: Json): LifecycleSelection {
  expectType(v, 'object');
  const s = v as JsonObject;
  checkMembers(s, ['countNumber', 'countType', 'tagStatus'],
    ['countNumber', 'countType', 'countUnit', 'storageClass', 'tagPatternList', 'tagPrefixList', 'tagStatus']);
  const tagStatus = expectEnum(s.tagStatus, TAG_STATUSES);
  const countType = expectCountType(s.countType);
  const tagPatternList = has(s, 'tagPatternList') ? expectStringList(s.tagPatternList) : undefined;
  const tagPrefixList = has(s, 'tagPrefixList') ? expectStringList(s.tagPrefixList) : undefined;
  const storageClass = has(s, 'storageClass') ? expectEnum(s.storageClass, STORAGE_CLASSES) : undefined;
  const countUnit = has(s, 'countUnit') ? expectEnum(s.countUnit, ['days'] as const) : undefined;
  const countNumber = expectInteger(s.countNumber, 1);
  return {
    tagStatus,
    ...(tagPatternList && { tagPatternList }),
    ...(tagPrefixList && { tagPrefixList }),
    ...(storageClass && { storageClass }),
    countType,
    ...(countUnit && { countUnit }),
    countNumber,
  };
}

/** ECR's schema has one branch for imageCountMoreThan and one for the since* types. */
function expectCountType(v: Json): CountType {
  if (typeof v === 'string' && (COUNT_TYPES as readonly string[]).includes(v)) return v as CountType;
  throw fail('instance failed to match exactly one schema (matched 0 out of 2)');
}

// --- semantic rules (Wharf's wording; docs/lifecycle.md "Policy validation") ---

function checkRule(rule: LifecycleRule): void {
  const s = rule.selection;
  const at = `rule with rulePriority ${rule.rulePriority}: `;
  const hasList = s.tagPrefixList !== undefined || s.tagPatternList !== undefined;
  if (s.tagStatus === 'tagged' && !hasList) {
    throw fail(`${at}tagStatus "tagged" requires a tagPrefixList or a tagPatternList`);
  }
  if (s.tagStatus !== 'tagged' && hasList) {
    throw fail(`${at}tagStatus "${s.tagStatus}" must not have a tagPrefixList or a tagPatternList`);
  }
  for (const pattern of s.tagPatternList ?? []) {
    if (wildcardCount(pattern) > MAX_PATTERN_WILDCARDS) {
      throw fail(`${at}tagPatternList entry "${pattern}" has more than ${MAX_PATTERN_WILDCARDS} wildcards (*)`);
    }
  }
  if (s.countType === 'imageCountMoreThan' && s.countUnit !== undefined) {
    throw fail(`${at}countUnit must not be specified when countType is "imageCountMoreThan"`);
  }
  if (s.countType !== 'imageCountMoreThan' && s.countUnit === undefined) {
    throw fail(`${at}countUnit "days" is required when countType is "${s.countType}"`);
  }
  const action = rule.action;
  if (action.type === 'transition' && action.targetStorageClass === undefined) {
    throw fail(`${at}action "transition" requires targetStorageClass "archive"`);
  }
  if (action.type === 'expire' && action.targetStorageClass !== undefined) {
    throw fail(`${at}targetStorageClass is only allowed with action "transition"`);
  }
  if (action.type === 'transition' && s.storageClass === 'archive') {
    throw fail(`${at}a "transition" rule can only select images of storageClass "standard"`);
  }
  if (s.storageClass === 'archive' && s.countType !== 'sinceImageTransitioned') {
    throw fail(`${at}storageClass "archive" can only be used with countType "sinceImageTransitioned"`);
  }
  if (s.countType === 'sinceImageTransitioned' && s.storageClass !== 'archive') {
    throw fail(`${at}countType "sinceImageTransitioned" requires storageClass "archive"`);
  }
  if (s.countType === 'sinceImageTransitioned' && s.countNumber < ARCHIVE_MINIMUM_DAYS) {
    throw fail(`${at}archived images must stay archived for at least ${ARCHIVE_MINIMUM_DAYS} days, countNumber ${s.countNumber} is lower`);
  }
}

/**
 * Cross-rule checks. Standard and archive rules select disjoint images, so "one untagged rule" and
 * "the any rule goes last" apply within each storage class.
 */
function checkAcrossRules(rules: readonly LifecycleRule[]): void {
  const seen = new Set<number>();
  for (const r of rules) {
    if (seen.has(r.rulePriority)) throw fail(`rulePriority ${r.rulePriority} is used by more than one rule; each rule needs a unique rulePriority`);
    seen.add(r.rulePriority);
  }
  for (const cls of STORAGE_CLASSES) {
    const inClass = rules.filter((r) => (r.selection.storageClass ?? 'standard') === cls)
      .sort((a, b) => a.rulePriority - b.rulePriority);
    const untagged = inClass.filter((r) => r.selection.tagStatus === 'untagged');
    if (untagged.length > 1) {
      throw fail(`rules with rulePriority ${untagged[0].rulePriority} and ${untagged[1].rulePriority} both select untagged ${cls} images; only one rule may have tagStatus "untagged"`);
    }
    const last = inClass[inClass.length - 1];
    const misplaced = inClass.find((r) => r.selection.tagStatus === 'any' && r !== last);
    if (misplaced) {
      throw fail(`rule with rulePriority ${misplaced.rulePriority}: a rule with tagStatus "any" must have the highest rulePriority (be evaluated last) among the rules selecting ${cls} images, but rule ${last.rulePriority} comes after it`);
    }
  }
}
