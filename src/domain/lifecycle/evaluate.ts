// Decides what a lifecycle policy does to a repository's images at a given instant: ECR's reference
// algorithm (shared/reference/ecr.md §6.3). Pure: previews and real runs call it with the same inputs.
import { matchesTagLists } from './patterns.ts';
import type { LifecycleAction, LifecycleImage, LifecyclePolicy, LifecycleRule, LifecycleSelection } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The actions `policy` takes on `images` at `now`, sorted by rule priority, then oldest push first.
 *
 * Rules run in ascending rulePriority. Each rule first *matches* images by tagStatus, tag lists and
 * storage class, then *targets* some of them: `imageCountMoreThan` targets all but the newest
 * countNumber matched images; a `since*` rule targets matched images whose age (push time, last pull
 * time or push time when never pulled, archive time) is more than countNumber days. A target is acted
 * on unless an earlier rule matched it (an image belongs to the first rule that matches it; later rules
 * still count it). Images referenced by an index are matched and counted but never acted on.
 * `images` are the repository's images, each digest once; the input is not modified.
 */
export function evaluateLifecycle(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: Date): LifecycleAction[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const claimed = new Set<string>();
  const actions: LifecycleAction[] = [];
  for (const rule of rules) {
    const matched = images.filter((img) => selects(rule.selection, img));
    for (const img of targets(rule, matched, now).sort(olderFirst)) {
      if (claimed.has(img.digest) || img.referencedByIndex) continue;
      actions.push(act(rule, img));
    }
    for (const img of matched) claimed.add(img.digest);
  }
  return actions;
}

/** Whether a rule's selection (tag status, tag lists, storage class) matches the image. */
function selects(sel: LifecycleSelection, img: LifecycleImage): boolean {
  const cls = sel.storageClass === 'archive' ? 'ARCHIVE' : 'STANDARD';
  if (img.storageClass !== cls) return false;
  if (sel.tagStatus === 'untagged') return img.tags.length === 0;
  if (sel.tagStatus === 'any') return true;
  return img.tags.length > 0 && matchesTagLists(img.tags, sel.tagPrefixList, sel.tagPatternList);
}

/** The matched images the rule's count criterion picks. */
function targets(rule: LifecycleRule, matched: readonly LifecycleImage[], now: Date): LifecycleImage[] {
  const { countType, countNumber } = rule.selection;
  if (countType === 'imageCountMoreThan') {
    return [...matched].sort(olderFirst).reverse().slice(countNumber);
  }
  const limit = countNumber * DAY_MS;
  return matched.filter((img) => {
    const since = referenceTime(countType, img);
    return since !== undefined && now.getTime() - since.getTime() > limit;
  });
}

/** The instant a since* rule measures age from; undefined means "never old enough". */
function referenceTime(countType: Exclude<LifecycleSelection['countType'], 'imageCountMoreThan'>, img: LifecycleImage): Date | undefined {
  switch (countType) {
    case 'sinceImagePushed': return img.pushedAt;
    case 'sinceImagePulled': return img.lastPulledAt ?? img.pushedAt;
    // Without a recorded archive time the 90-day minimum cannot be proven: keep the image.
    case 'sinceImageTransitioned': return img.lastArchivedAt;
  }
}

/** Total order by push time; images pushed at the same instant are ordered by digest (smaller is older). */
function olderFirst(a: LifecycleImage, b: LifecycleImage): number {
  return a.pushedAt.getTime() - b.pushedAt.getTime() || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0);
}

function act(rule: LifecycleRule, img: LifecycleImage): LifecycleAction {
  const base = { digest: img.digest, tags: [...img.tags], pushedAt: img.pushedAt, rulePriority: rule.rulePriority, storageClass: img.storageClass };
  return rule.action.type === 'transition'
    ? { ...base, type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }
    : { ...base, type: 'EXPIRE' };
}
