// Lifecycle evaluation with a fake clock: every official ECR example (shared/reference/ecr.md §6.4) with
// its documented outcome, then ties, rule order, archive, pull times and index-referenced images.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateLifecycle } from '../../src/domain/lifecycle/evaluate.ts';
import { parseLifecyclePolicy } from '../../src/domain/lifecycle/parse.ts';
import { matchesTagLists, matchesTagPattern } from '../../src/domain/lifecycle/patterns.ts';
import type { LifecycleAction, LifecycleImage, StorageClass } from '../../src/domain/lifecycle/types.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
/** The instant `days` days before NOW (fractions allowed). */
const ago = (days: number, from = NOW) => new Date(from.getTime() - days * DAY);

interface ImageSpec {
  tags?: string[];
  pushed: number;
  pulled?: number;
  archived?: number;
  storageClass?: StorageClass;
  referencedByIndex?: boolean;
}
/** A repository fixture: image name → facts in days before NOW. The digest is `sha256:<name>`. */
function repo(specs: Record<string, ImageSpec>): LifecycleImage[] {
  return Object.entries(specs).map(([name, s]) => ({
    digest: `sha256:${name}`,
    tags: s.tags ?? [],
    pushedAt: ago(s.pushed),
    ...(s.pulled !== undefined && { lastPulledAt: ago(s.pulled) }),
    ...(s.archived !== undefined && { lastArchivedAt: ago(s.archived) }),
    storageClass: s.storageClass ?? 'STANDARD',
    referencedByIndex: s.referencedByIndex ?? false,
  }));
}
type Obj = Record<string, unknown>;
/** Rules go through the real validator, so every policy here is one ECR would accept. */
const policy = (...rules: Obj[]) => parseLifecyclePolicy(JSON.stringify({ rules }));
const expire = { type: 'expire' };
const transition = { type: 'transition', targetStorageClass: 'archive' };
/** Compact view of the decisions: `<name>:<type>@<rulePriority>` in output order. */
const decided = (actions: LifecycleAction[]) => actions.map((a) => `${a.digest.slice(7)}:${a.type}@${a.rulePriority}`);
const run = (p: ReturnType<typeof policy>, images: LifecycleImage[], now = NOW) => decided(evaluateLifecycle(p, images, now));

// --- official examples ---

test('official example "filtering on image age": prod* images older than 14 days expire', () => {
  const p = policy({ rulePriority: 1, description: 'Expire images older than 14 days',
    selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: expire });
  const images = repo({
    prodOld: { tags: ['prod-1'], pushed: 20 },
    prodBare: { tags: ['prod'], pushed: 15 },
    prodNew: { tags: ['prod-2'], pushed: 10 },
    prodEdge: { tags: ['prod-3'], pushed: 14 },
    devOld: { tags: ['dev-1'], pushed: 30 },
    notAnchored: { tags: ['myprod'], pushed: 30 },
    untaggedOld: { pushed: 30 },
  });
  assert.deepEqual(run(p, images), ['prodOld:EXPIRE@1', 'prodBare:EXPIRE@1'], 'exactly 14 days old is not older than 14 days');
});

test('official example "filtering on image count": the newest untagged image is kept, other untagged expire', () => {
  const p = policy({ rulePriority: 1, description: 'Keep only one untagged image, expire all others',
    selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });
  const images = repo({ u2: { pushed: 2 }, u3: { pushed: 1 }, u1: { pushed: 3 }, tagged: { tags: ['v1'], pushed: 10 } });
  assert.deepEqual(run(p, images), ['u1:EXPIRE@1', 'u2:EXPIRE@1']);
});

const multiRuleRepo = () => repo({
  A: { tags: ['beta-1', 'prod-1'], pushed: 10 },
  B: { tags: ['beta-2', 'prod-2'], pushed: 9 },
  C: { tags: ['beta-3'], pushed: 8 },
});
const keepOne = (priority: number, prefix: string) => ({ rulePriority: priority,
  selection: { tagStatus: 'tagged', tagPrefixList: [prefix], countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });

test('official example "multiple rules", prod first: only A expires (B is claimed by the prod rule)', () => {
  assert.deepEqual(run(policy(keepOne(1, 'prod'), keepOne(2, 'beta')), multiRuleRepo()), ['A:EXPIRE@1']);
});

test('official example "multiple rules", beta first: A and B expire', () => {
  assert.deepEqual(run(policy(keepOne(1, 'beta'), keepOne(2, 'prod')), multiRuleRepo()), ['A:EXPIRE@1', 'B:EXPIRE@1']);
});

test('official example "multiple tags in a single rule" by age: only C (has alpha and beta, old enough) expires', () => {
  const p = policy({ rulePriority: 1,
    selection: { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 }, action: expire });
  const images = repo({
    A: { tags: ['alpha-1'], pushed: 12 }, B: { tags: ['beta-1'], pushed: 11 }, C: { tags: ['alpha-2', 'beta-2'], pushed: 10 },
    D: { tags: ['alpha-3'], pushed: 4 }, E: { tags: ['beta-3'], pushed: 3 }, F: { tags: ['alpha-4', 'beta-4'], pushed: 2 },
  });
  assert.deepEqual(run(p, images), ['C:EXPIRE@1']);
});

test('official example "multiple tags in a single rule" by count: A and B expire, extra tags do not matter', () => {
  const p = policy({ rulePriority: 1,
    selection: { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });
  const images = repo({
    A: { tags: ['alpha-1', 'beta-1', 'gamma-1'], pushed: 10 }, B: { tags: ['alpha-2', 'beta-2'], pushed: 9 },
    C: { tags: ['alpha-3', 'beta-3', 'gamma-2'], pushed: 8 },
  });
  assert.deepEqual(run(p, images), ['A:EXPIRE@1', 'B:EXPIRE@1']);
});

// --- selection and ordering ---

test('tag patterns are anchored, * matches any run, and every pattern needs some matching tag', () => {
  assert.ok(matchesTagPattern('prod*', 'prod'));
  assert.ok(matchesTagPattern('*test*1*2*3', 'mytest-1-2-3'));
  assert.ok(matchesTagPattern('v*.*.*', 'v1.22.3'));
  assert.ok(matchesTagPattern('*', 'anything'));
  assert.ok(matchesTagPattern('a*b*c', 'aXbYbZc'));
  assert.ok(!matchesTagPattern('prod*', 'myprod'));
  assert.ok(!matchesTagPattern('prod', 'prod-1'));
  assert.ok(!matchesTagPattern('*prod', 'prod-1'));
  assert.ok(!matchesTagPattern('Prod*', 'prod'), 'case-sensitive');
  assert.ok(matchesTagLists(['alpha-1', 'beta-2'], undefined, ['alpha*', '*-2']));
  assert.ok(!matchesTagLists(['alpha-1'], undefined, ['alpha*', 'beta*']));
  assert.ok(matchesTagLists(['rel-1', 'v2'], ['rel'], ['v*']), 'prefixes and patterns together: all must match');
  assert.ok(!matchesTagLists(['rel-1'], ['rel'], ['v*']));
});

test('rules run by priority whatever their order in the text; output is by priority, then oldest first', () => {
  const p = policy(
    { rulePriority: 20, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: expire },
    { rulePriority: 10, selection: { tagStatus: 'tagged', tagPatternList: ['dev-*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: expire },
  );
  const images = repo({ u1: { pushed: 2 }, d3: { tags: ['dev-3'], pushed: 1 }, u0: { pushed: 5 }, d1: { tags: ['dev-1'], pushed: 9 }, d2: { tags: ['dev-2'], pushed: 4 } });
  assert.deepEqual(run(p, images), ['d1:EXPIRE@10', 'd2:EXPIRE@10', 'u0:EXPIRE@20', 'u1:EXPIRE@20']);
});

test('ties on push time are broken by digest (the smaller counts as older), whatever the input order', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });
  const images = repo({ bbb: { pushed: 3 }, aaa: { pushed: 3 }, ccc: { pushed: 3 } });
  assert.deepEqual(run(p, images), ['aaa:EXPIRE@1', 'bbb:EXPIRE@1']);
  assert.deepEqual(run(p, [...images].reverse()), ['aaa:EXPIRE@1', 'bbb:EXPIRE@1']);
});

test('the any rule goes last and still counts images claimed by earlier rules', () => {
  const p = policy(
    { rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, action: expire },
    { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }, action: expire },
  );
  const images = repo({
    prodNew: { tags: ['prod-2'], pushed: 1 }, prodMid: { tags: ['prod-1'], pushed: 2 },
    dev1: { tags: ['dev-1'], pushed: 3 }, dev2: { tags: ['dev-2'], pushed: 4 }, untagged: { pushed: 5 },
  });
  // The two prod images are the newest two: they fill the any rule's count of 2 although rule 1 owns them.
  assert.deepEqual(run(p, images), ['untagged:EXPIRE@2', 'dev2:EXPIRE@2', 'dev1:EXPIRE@2']);
  const oldProd = repo({ prodOld: { tags: ['prod-0'], pushed: 40 }, dev: { tags: ['dev'], pushed: 50 } });
  assert.deepEqual(run(p, [...images, ...oldProd]), ['prodOld:EXPIRE@1', 'dev:EXPIRE@2', 'untagged:EXPIRE@2', 'dev2:EXPIRE@2', 'dev1:EXPIRE@2']);
});

test('standard rules never touch archived images and count only standard ones', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });
  const images = repo({
    archivedNew: { tags: ['v3'], pushed: 1, archived: 1, storageClass: 'ARCHIVE' },
    s2: { tags: ['v2'], pushed: 5 }, s1: { tags: ['v1'], pushed: 6 },
  });
  assert.deepEqual(run(p, images), ['s1:EXPIRE@1']);
});

test('actions carry digest, tags, push time, type, target class, rule and the image class', () => {
  const p = policy(
    { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: transition },
    { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: expire },
  );
  const images = repo({ t: { tags: ['v1', 'latest'], pushed: 8 }, u: { pushed: 9 } });
  assert.deepEqual(evaluateLifecycle(p, images, NOW), [
    { digest: 'sha256:t', tags: ['v1', 'latest'], pushedAt: ago(8), type: 'TRANSITION', targetStorageClass: 'ARCHIVE', rulePriority: 1, storageClass: 'STANDARD' },
    { digest: 'sha256:u', tags: [], pushedAt: ago(9), type: 'EXPIRE', rulePriority: 2, storageClass: 'STANDARD' },
  ]);
});

// --- time-based criteria ---

test('sinceImagePulled measures from the last pull, or from the push when never pulled', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, action: expire });
  const images = repo({
    pulledLongAgo: { tags: ['a'], pushed: 100, pulled: 31 },
    pulledRecently: { tags: ['b'], pushed: 100, pulled: 29 },
    neverPulledOld: { tags: ['c'], pushed: 31 },
    neverPulledNew: { tags: ['d'], pushed: 29 },
  });
  assert.deepEqual(run(p, images), ['pulledLongAgo:EXPIRE@1', 'neverPulledOld:EXPIRE@1']);
});

test('ages are measured to the millisecond against the given clock', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: expire });
  const images = repo({ u: { pushed: 0 } });
  assert.deepEqual(run(p, images, new Date(NOW.getTime() + DAY)), []);
  assert.deepEqual(run(p, images, new Date(NOW.getTime() + DAY + 1)), ['u:EXPIRE@1']);
});

test('archive: transition after 90 days without pulls, then expire after 365 days in the archive', () => {
  const p = policy(
    { rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, action: transition },
    { rulePriority: 2, selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 }, action: expire },
  );
  const images = repo({
    stale: { tags: ['v1'], pushed: 200, pulled: 91 },
    used: { tags: ['v2'], pushed: 200, pulled: 10 },
    archivedLong: { tags: ['v0'], pushed: 900, archived: 366, storageClass: 'ARCHIVE' },
    archivedShort: { pushed: 900, archived: 100, storageClass: 'ARCHIVE' },
    archivedUnknown: { pushed: 900, storageClass: 'ARCHIVE' },
  });
  const actions = evaluateLifecycle(p, images, NOW);
  assert.deepEqual(decided(actions), ['stale:TRANSITION@1', 'archivedLong:EXPIRE@2'], 'no archive time recorded: never expired');
  assert.equal(actions[1].storageClass, 'ARCHIVE');

  // Apply the transition as a run would, then let time pass.
  const archived = images.filter((i) => i.digest === 'sha256:stale').map((i) => ({ ...i, storageClass: 'ARCHIVE' as const, lastArchivedAt: NOW }));
  assert.deepEqual(run(p, archived, new Date(NOW.getTime() + 365 * DAY)), []);
  assert.deepEqual(run(p, archived, new Date(NOW.getTime() + 366 * DAY)), ['stale:EXPIRE@2']);
});

// --- images referenced by an index ---

test('images referenced by an index are never expired but still count', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: expire });
  const images = repo({
    child1: { pushed: 10, referencedByIndex: true }, child2: { pushed: 9, referencedByIndex: true },
    u1: { pushed: 5 }, u2: { pushed: 1 },
  });
  assert.deepEqual(run(p, images), ['u1:EXPIRE@1'], 'the children take no slot from u2 and are not expired');
  const newestIsChild = repo({ child: { pushed: 1, referencedByIndex: true }, u1: { pushed: 5 } });
  assert.deepEqual(run(p, newestIsChild), ['u1:EXPIRE@1'], 'a referenced image counts as the one kept');
});

test('images referenced by an index are not transitioned either, and stay claimed by their rule', () => {
  const p = policy(
    { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: transition },
    { rulePriority: 2, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: expire },
  );
  const images = repo({ child: { pushed: 30, referencedByIndex: true }, loose: { pushed: 30 }, index: { tags: ['v1'], pushed: 30 } });
  assert.deepEqual(run(p, images), ['loose:TRANSITION@1', 'index:EXPIRE@2']);
});

test('an empty repository or a policy that matches nothing decides nothing', () => {
  const p = policy({ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 }, action: expire });
  assert.deepEqual(run(p, []), []);
  assert.deepEqual(run(p, repo({ a: { pushed: 1 }, b: { tags: ['x'], pushed: 2 } })), []);
});
