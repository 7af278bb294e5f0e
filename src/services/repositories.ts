// Repository use cases: create, look up, list, delete.
import { errors } from '../domain/errors.ts';
import { assertRepositoryName } from '../domain/names.ts';
import type { MutabilityFilter, RepositorySettings, TagMutability } from '../domain/repository.ts';
import type { Repository } from '../ports/metadata-store.ts';

/** ECR allows 50 resource tags per repository. */
export const MAX_RESOURCE_TAGS = 50;

/** Checks that exclusion filters are given exactly when the mode is *_WITH_EXCLUSION (ECR §5). */
export function checkMutability(mode: TagMutability, filters: readonly MutabilityFilter[] | undefined): void {
  const needs = mode.endsWith('_WITH_EXCLUSION');
  if (needs && !filters?.length) {
    throw errors.invalidParameter({ field: 'imageTagMutabilityExclusionFilters', reason: `ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${mode}` });
  }
  if (!needs && filters?.length) {
    throw errors.invalidParameter({ field: 'imageTagMutabilityExclusionFilters', reason: `ImageTagMutabilityExclusionFilters can only be used when imageTagMutability is set as MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION` });
  }
}

/** A resource tag key: 1-128 characters, not starting with the reserved 'aws:' (InvalidTagParameter). */
export function checkTagKey(k: string): void {
  if (k.length < 1 || k.length > 128 || k.startsWith('aws:')) throw errors.invalidTagParameter({ reason: `Invalid tag key '${k}': keys must be 1-128 characters and may not start with 'aws:'.` });
}

/** Validates resource tags as ECR does: keys 1-128, values 0-256 characters, at most 50. */
export function checkResourceTags(tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(tags)) {
    checkTagKey(k);
    if (v.length > 256) throw errors.invalidTagParameter({ reason: `Invalid value for tag key '${k}': values must be at most 256 characters.` });
  }
  if (Object.keys(tags).length > MAX_RESOURCE_TAGS) throw errors.tooManyTags({ max: MAX_RESOURCE_TAGS });
}
import type { ServiceDeps } from './context.ts';

export class RepositoryService {
  constructor(private readonly d: ServiceDeps) {}

  async create(name: string, settings: Partial<RepositorySettings> = {}, tags: Record<string, string> = {}): Promise<Repository> {
    assertRepositoryName(name);
    if (settings.imageTagMutability) checkMutability(settings.imageTagMutability, settings.imageTagMutabilityExclusionFilters);
    checkResourceTags(tags);
    const r = await this.d.meta.createRepository(name, this.d.clock.now(), settings, tags);
    if (!r) throw errors.repositoryAlreadyExists({ repo: name, registryId: this.d.registryId });
    return r;
  }

  /** The repository, or NAME_UNKNOWN / RepositoryNotFoundException with ECR's message. */
  async require(name: string): Promise<Repository> {
    assertRepositoryName(name);
    const r = await this.d.meta.getRepository(name);
    if (!r) throw this.notFound(name);
    return r;
  }

  notFound(name: string) {
    return errors.repositoryNotFound({ repo: name, registryId: this.d.registryId });
  }

  /** One page of names after `after`; `more` tells whether another page exists. */
  async list(after: string | undefined, limit: number): Promise<{ names: string[]; more: boolean }> {
    const names = await this.d.meta.listRepositories(after, limit + 1);
    return { names: names.slice(0, limit), more: names.length > limit };
  }

  /** Deletes a repository; without `force`, only when it holds no images (RepositoryNotEmpty). */
  async delete(name: string, force = true): Promise<void> {
    assertRepositoryName(name);
    const r = await this.d.meta.deleteRepository(name, { onlyIfEmpty: !force });
    if (r === 'not-empty') throw errors.repositoryNotEmpty({ repo: name, registryId: this.d.registryId });
    if (!r) throw this.notFound(name);
  }

  /** Full records, one page after `after`. */
  async listRecords(after: string | undefined, limit: number): Promise<{ repos: Repository[]; more: boolean }> {
    const repos = await this.d.meta.listRepositoryRecords(after, limit + 1);
    return { repos: repos.slice(0, limit), more: repos.length > limit };
  }

  /** The repository's resource tags (RepositoryNotFound when absent). */
  async resourceTags(name: string): Promise<Record<string, string>> {
    assertRepositoryName(name);
    const tags = await this.d.meta.getResourceTags(name);
    if (!tags) throw this.notFound(name);
    return tags;
  }

  /**
   * Adds or overwrites `add`, then removes the `remove` keys, in one transaction. InvalidTagParameter
   * for reserved or out-of-bounds keys, TooManyTags when more than 50 would remain.
   */
  async changeResourceTags(name: string, add: Record<string, string>, remove: readonly string[]): Promise<void> {
    assertRepositoryName(name);
    checkResourceTags(add);
    remove.forEach(checkTagKey);
    const r = await this.d.meta.changeResourceTags(name, add, remove, MAX_RESOURCE_TAGS);
    if (r === 'too-many') throw errors.tooManyTags({ max: MAX_RESOURCE_TAGS });
    if (!r) throw this.notFound(name);
  }

  async update(name: string, patch: Partial<RepositorySettings>): Promise<Repository> {
    assertRepositoryName(name);
    if (patch.imageTagMutability) checkMutability(patch.imageTagMutability, patch.imageTagMutabilityExclusionFilters);
    const r = await this.d.meta.updateRepository(name, patch);
    if (!r) throw this.notFound(name);
    return r;
  }
}
