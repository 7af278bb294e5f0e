// Lifecycle policy validation: ECR's schema messages, Wharf's semantic-rule messages, and what a valid
// policy parses to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WharfError } from '../../src/domain/errors.ts';
import { parseLifecyclePolicy } from '../../src/domain/lifecycle/parse.ts';

/** The full ECR message for a validation detail. */
const ecrMessage = (detail: string) =>
  `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${detail}'`;

/** Parses `text` and returns the detail of the validation error, or 'ok'. */
function detailOf(text: string): string {
  try {
    parseLifecyclePolicy(text);
  } catch (e) {
    assert.ok(e instanceof WharfError, `not a WharfError: ${e}`);
    assert.equal(e.spec.ecr, 'InvalidParameterException');
    const prefix = ecrMessage('');
    assert.ok(e.message.startsWith(prefix.slice(0, -1)) && e.message.endsWith("'"), e.message);
    return e.message.slice(prefix.length - 1, -1);
  }
  return 'ok';
}

type Obj = Record<string, unknown>;
const selection = (extra: Obj = {}): Obj => ({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1, ...extra });
const rule = (extra: Obj = {}, sel: Obj = {}, action: Obj = { type: 'expire' }): Obj =>
  ({ rulePriority: 1, selection: selection(sel), action, ...extra });
const policy = (...rules: Obj[]) => JSON.stringify({ rules });
/** Detail for a one-rule policy. */
const ruleDetail = (extra: Obj = {}, sel: Obj = {}, action?: Obj) => detailOf(policy(rule(extra, sel, action)));
const tagged = (sel: Obj = {}) => ({ tagStatus: 'tagged', tagPatternList: ['v*'], ...sel });
const since = (countType: string, sel: Obj = {}) => ({ countType, countUnit: 'days', countNumber: 14, ...sel });

test('the error renders ECR InvalidParameterException wording on field LifecyclePolicyText', () => {
  assert.throws(() => parseLifecyclePolicy('nope'), (e: WharfError) =>
    e.message === ecrMessage('Could not map policyString into LifecyclePolicy.') && e.spec.ecr === 'InvalidParameterException');
});

test('text that is not a JSON object cannot be mapped', () => {
  for (const text of ['nope', '', '{"rules":', '[]', '"rules"', '42', 'null']) {
    assert.equal(detailOf(text), 'Could not map policyString into LifecyclePolicy.', text);
  }
});

test('the document needs a non-empty rules array and nothing else', () => {
  assert.equal(detailOf('{}'), 'object has missing required properties (["rules"])');
  assert.equal(detailOf('{"Rules":[]}'), 'object has missing required properties (["rules"])');
  assert.equal(detailOf(JSON.stringify({ rules: [rule()], foo: 1 })), 'object instance has properties which are not allowed by the schema: (["foo"])');
  assert.equal(detailOf(JSON.stringify({ rules: [rule()], foo: 1, bar: 2 })), 'object instance has properties which are not allowed by the schema: (["bar","foo"])');
  assert.equal(detailOf('{"rules":{}}'), 'instance type (object) does not match any allowed primitive type (allowed: ["array"])');
  assert.equal(detailOf('{"rules":[]}'), 'array is too short: must have at least 1 elements but instance has 0 elements');
});

test('a rule is an object with rulePriority, selection and action', () => {
  assert.equal(detailOf('{"rules":[1]}'), 'instance type (integer) does not match any allowed primitive type (allowed: ["object"])');
  assert.equal(detailOf('{"rules":[{"rulePriority":1}]}'), 'object has missing required properties (["action","selection"])');
  assert.equal(ruleDetail({ foo: 1 }), 'object instance has properties which are not allowed by the schema: (["foo"])');
  assert.equal(ruleDetail({ description: 5 }), 'instance type (integer) does not match any allowed primitive type (allowed: ["string"])');
  assert.equal(ruleDetail({ selection: [] }), 'instance type (array) does not match any allowed primitive type (allowed: ["object"])');
  assert.equal(ruleDetail({ action: 'expire' }), 'instance type (string) does not match any allowed primitive type (allowed: ["object"])');
});

test('rulePriority is an integer of at least 1', () => {
  assert.equal(ruleDetail({ rulePriority: 0 }), 'numeric instance is lower than the required minimum (minimum: 1, found: 0)');
  assert.equal(ruleDetail({ rulePriority: -3 }), 'numeric instance is lower than the required minimum (minimum: 1, found: -3)');
  assert.equal(ruleDetail({ rulePriority: '1' }), 'instance type (string) does not match any allowed primitive type (allowed: ["integer"])');
  assert.equal(ruleDetail({ rulePriority: 1.5 }), 'instance type (number) does not match any allowed primitive type (allowed: ["integer"])');
});

test('selection members: required, allowed, enums and types', () => {
  assert.equal(detailOf(policy({ rulePriority: 1, selection: { tagStatus: 'any' }, action: { type: 'expire' } })),
    'object has missing required properties (["countNumber","countType"])');
  assert.equal(ruleDetail({}, { foo: 1 }), 'object instance has properties which are not allowed by the schema: (["foo"])');
  assert.equal(ruleDetail({}, { tagStatus: 'foo' }), 'instance value (foo) not found in enum :(possible values: ["any","tagged","untagged"])');
  assert.equal(ruleDetail({}, { tagStatus: 'TAGGED' }), 'instance value (TAGGED) not found in enum :(possible values: ["any","tagged","untagged"])');
  assert.equal(ruleDetail({}, { tagStatus: 1 }), 'instance value (1) not found in enum :(possible values: ["any","tagged","untagged"])');
  assert.equal(ruleDetail({}, { countType: 'sinceImageCreated' }), 'instance failed to match exactly one schema (matched 0 out of 2)');
  assert.equal(ruleDetail({}, { countNumber: 0 }), 'numeric instance is lower than the required minimum (minimum: 1, found: 0)');
  assert.equal(ruleDetail({}, { countNumber: 2.5 }), 'instance type (number) does not match any allowed primitive type (allowed: ["integer"])');
  assert.equal(ruleDetail({}, { countNumber: '3' }), 'instance type (string) does not match any allowed primitive type (allowed: ["integer"])');
  assert.equal(ruleDetail({}, since('sinceImagePushed', { countUnit: 'hours' })), 'instance value (hours) not found in enum :(possible values: ["days"])');
  assert.equal(ruleDetail({}, { storageClass: 'glacier' }), 'instance value (glacier) not found in enum :(possible values: ["archive","standard"])');
});

test('tag lists are non-empty arrays of non-empty strings', () => {
  assert.equal(ruleDetail({}, tagged({ tagPatternList: [] })), 'array is too short: must have at least 1 elements but instance has 0 elements');
  assert.equal(ruleDetail({}, tagged({ tagPatternList: 'prod*' })), 'instance type (string) does not match any allowed primitive type (allowed: ["array"])');
  assert.equal(ruleDetail({}, tagged({ tagPrefixList: [1] })), 'instance type (integer) does not match any allowed primitive type (allowed: ["string"])');
  assert.equal(ruleDetail({}, tagged({ tagPrefixList: [''] })), 'string "" is too short (length: 0, required minimum: 1)');
  assert.equal(ruleDetail({}, tagged({ tagPrefixList: null })), 'instance type (null) does not match any allowed primitive type (allowed: ["array"])');
});

test('action members: type is required, enums, nothing else', () => {
  assert.equal(ruleDetail({}, {}, {}), 'object has missing required properties (["type"])');
  assert.equal(ruleDetail({}, {}, { type: 'expire', foo: 1 }), 'object instance has properties which are not allowed by the schema: (["foo"])');
  assert.equal(ruleDetail({}, {}, { type: 'delete' }), 'instance value (delete) not found in enum :(possible values: ["expire","transition"])');
  assert.equal(ruleDetail({}, {}, { type: 'EXPIRE' }), 'instance value (EXPIRE) not found in enum :(possible values: ["expire","transition"])');
  assert.equal(ruleDetail({}, {}, { type: 'transition', targetStorageClass: 'glacier' }),
    'instance value (glacier) not found in enum :(possible values: ["archive"])');
});

test('tagStatus and tag lists: tagged needs a list, untagged and any must have none', () => {
  assert.equal(ruleDetail({}, { tagStatus: 'tagged' }), 'rule with rulePriority 1: tagStatus "tagged" requires a tagPrefixList or a tagPatternList');
  assert.equal(ruleDetail({}, { tagPrefixList: ['v'] }), 'rule with rulePriority 1: tagStatus "untagged" must not have a tagPrefixList or a tagPatternList');
  assert.equal(ruleDetail({}, { tagStatus: 'any', tagPatternList: ['*'] }), 'rule with rulePriority 1: tagStatus "any" must not have a tagPrefixList or a tagPatternList');
  assert.equal(ruleDetail({}, tagged({ tagPatternList: undefined, tagPrefixList: ['v'] })), 'ok');
  assert.equal(ruleDetail({}, tagged({ tagPrefixList: ['v'] })), 'ok', 'both list kinds in one rule are accepted (all entries must match)');
});

test('at most four wildcards per tag pattern (the documented examples)', () => {
  assert.equal(ruleDetail({}, tagged({ tagPatternList: ['*test*1*2*3', 'test*1*2*3*'] })), 'ok');
  assert.equal(ruleDetail({}, tagged({ tagPatternList: ['test*1*2*3*4*5*6'] })),
    'rule with rulePriority 1: tagPatternList entry "test*1*2*3*4*5*6" has more than 4 wildcards (*)');
  assert.equal(ruleDetail({}, tagged({ tagPatternList: ['ok*', '*****'] })),
    'rule with rulePriority 1: tagPatternList entry "*****" has more than 4 wildcards (*)');
});

test('countUnit: only with since* count types, and required there', () => {
  assert.equal(ruleDetail({}, { countUnit: 'days' }), 'rule with rulePriority 1: countUnit must not be specified when countType is "imageCountMoreThan"');
  for (const countType of ['sinceImagePushed', 'sinceImagePulled']) {
    assert.equal(ruleDetail({}, { countType, countNumber: 14 }), `rule with rulePriority 1: countUnit "days" is required when countType is "${countType}"`);
    assert.equal(ruleDetail({}, since(countType)), 'ok');
  }
  assert.equal(ruleDetail({}, { countType: 'sinceImageTransitioned', storageClass: 'archive', countNumber: 100 }),
    'rule with rulePriority 1: countUnit "days" is required when countType is "sinceImageTransitioned"');
});

test('actions: transition needs targetStorageClass archive, expire must not have one', () => {
  assert.equal(ruleDetail({}, {}, { type: 'transition' }), 'rule with rulePriority 1: action "transition" requires targetStorageClass "archive"');
  assert.equal(ruleDetail({}, {}, { type: 'expire', targetStorageClass: 'archive' }), 'rule with rulePriority 1: targetStorageClass is only allowed with action "transition"');
  assert.equal(ruleDetail({}, {}, { type: 'transition', targetStorageClass: 'archive' }), 'ok');
});

test('storage classes: archive goes with sinceImageTransitioned (at least 90 days), transitions select standard images', () => {
  const archived = (sel: Obj = {}) => since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 90, ...sel });
  assert.equal(ruleDetail({}, archived()), 'ok');
  assert.equal(ruleDetail({}, since('sinceImagePushed', { storageClass: 'archive' })),
    'rule with rulePriority 1: storageClass "archive" can only be used with countType "sinceImageTransitioned"');
  assert.equal(ruleDetail({}, { storageClass: 'archive' }),
    'rule with rulePriority 1: storageClass "archive" can only be used with countType "sinceImageTransitioned"');
  assert.equal(ruleDetail({}, since('sinceImageTransitioned')), 'rule with rulePriority 1: countType "sinceImageTransitioned" requires storageClass "archive"');
  assert.equal(ruleDetail({}, since('sinceImageTransitioned', { storageClass: 'standard' })),
    'rule with rulePriority 1: countType "sinceImageTransitioned" requires storageClass "archive"');
  assert.equal(ruleDetail({}, archived({ countNumber: 89 })),
    'rule with rulePriority 1: archived images must stay archived for at least 90 days, countNumber 89 is lower');
  assert.equal(ruleDetail({}, archived(), { type: 'transition', targetStorageClass: 'archive' }),
    'rule with rulePriority 1: a "transition" rule can only select images of storageClass "standard"');
  assert.equal(ruleDetail({}, since('sinceImagePulled', { storageClass: 'standard' }), { type: 'transition', targetStorageClass: 'archive' }), 'ok');
});

test('rulePriority is unique across rules', () => {
  const t = (p: number, prefix: string) => rule({ rulePriority: p }, tagged({ tagPatternList: [`${prefix}*`] }));
  assert.equal(detailOf(policy(t(3, 'a'), t(1, 'b'), t(3, 'c'))), 'rulePriority 3 is used by more than one rule; each rule needs a unique rulePriority');
  assert.equal(detailOf(policy(t(3, 'a'), t(1, 'b'), t(7, 'c'))), 'ok', 'priorities need not be sequential');
});

test('at most one rule selects untagged images (per storage class)', () => {
  const untagged = (p: number, sel: Obj = {}) => rule({ rulePriority: p }, sel);
  assert.equal(detailOf(policy(untagged(2), untagged(1, since('sinceImagePushed')))),
    'rules with rulePriority 1 and 2 both select untagged standard images; only one rule may have tagStatus "untagged"');
  const archiveUntagged = untagged(3, since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 365 }));
  assert.equal(detailOf(policy(untagged(1, since('sinceImagePulled')), archiveUntagged)), 'ok');
  assert.equal(detailOf(policy(untagged(1), rule({ rulePriority: 2 }, { tagStatus: 'any' }))), 'ok', 'an any rule is not an untagged rule');
});

test('a tagStatus any rule must be evaluated last (per storage class)', () => {
  const any = (p: number, sel: Obj = {}, action?: Obj) => rule({ rulePriority: p }, { tagStatus: 'any', ...sel }, action);
  const prod = (p: number) => rule({ rulePriority: p }, tagged({ tagPatternList: ['prod*'] }));
  assert.equal(detailOf(policy(any(1), prod(2))),
    'rule with rulePriority 1: a rule with tagStatus "any" must have the highest rulePriority (be evaluated last) among the rules selecting standard images, but rule 2 comes after it');
  assert.equal(detailOf(policy(prod(5), any(10))), 'ok');
  assert.equal(detailOf(policy(any(10), prod(5))), 'ok', 'text order does not matter, priority does');
  // The archive illustration of shared/reference/ecr.md §6.4: a standard any rule, then an archive any rule.
  const transition = any(1, since('sinceImagePulled', { countNumber: 90 }), { type: 'transition', targetStorageClass: 'archive' });
  const expireArchived = any(2, since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 365 }));
  assert.equal(detailOf(policy(transition, expireArchived)), 'ok');
  assert.equal(detailOf(policy(any(1, since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 365 })), prod(2))), 'ok');
  assert.equal(detailOf(policy(any(1, since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 365 })),
    any(2, since('sinceImageTransitioned', { storageClass: 'archive', countNumber: 400 })))),
  'rule with rulePriority 1: a rule with tagStatus "any" must have the highest rulePriority (be evaluated last) among the rules selecting archive images, but rule 2 comes after it');
});

test('a valid policy parses to exactly the members ECR defines', () => {
  const text = JSON.stringify({ rules: [
    { rulePriority: 2, description: 'Keep only one untagged image, expire all others',
      selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    { rulePriority: 1, description: 'Expire images older than 14 days',
      selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' } },
    { rulePriority: 3, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 },
      action: { type: 'transition', targetStorageClass: 'archive' } },
    { rulePriority: 4, selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 },
      action: { type: 'expire' } },
  ] });
  assert.deepEqual(parseLifecyclePolicy(text), JSON.parse(text), 'rules stay in text order, nothing added or dropped');
});
