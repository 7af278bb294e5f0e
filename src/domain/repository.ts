// Repository settings as ECR defines them, and the tag-mutability rule (ECR §5): whether a tag that
// already points at an image may be moved.
import { errors } from './errors.ts';

export const TAG_MUTABILITIES = ['MUTABLE', 'IMMUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'] as const;
export type TagMutability = (typeof TAG_MUTABILITIES)[number];

export interface MutabilityFilter {
  readonly filterType: 'WILDCARD';
  readonly filter: string;
}

export type EncryptionType = 'AES256' | 'KMS' | 'KMS_DSSE';

export interface RepositorySettings {
  readonly imageTagMutability: TagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly MutabilityFilter[];
  readonly scanOnPush: boolean;
  readonly encryptionType: EncryptionType;
  readonly kmsKey?: string;
}

export const DEFAULT_SETTINGS: RepositorySettings = { imageTagMutability: 'MUTABLE', scanOnPush: false, encryptionType: 'AES256' };

/** Anchored wildcard match: `*` is any run of characters (including none); nothing else is special. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

/** True when `tag` is immutable under these settings. */
export function isTagImmutable(s: Pick<RepositorySettings, 'imageTagMutability' | 'imageTagMutabilityExclusionFilters'>, tag: string): boolean {
  const matches = (s.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatch(f.filter, tag));
  switch (s.imageTagMutability) {
    case 'MUTABLE': return false;
    case 'IMMUTABLE': return true;
    case 'MUTABLE_WITH_EXCLUSION': return matches;
    case 'IMMUTABLE_WITH_EXCLUSION': return !matches;
  }
}

/**
 * The tag decision every push goes through (inside the metadata transaction): an immutable tag that
 * already exists may not be re-pointed — not even to the same digest, as ECR does.
 */
export function assertTagMayMove(repo: { name: string } & RepositorySettings, tag: string, current: string | undefined): void {
  if (current !== undefined && isTagImmutable(repo, tag)) throw errors.tagInvalid({ tag, repo: repo.name });
}
