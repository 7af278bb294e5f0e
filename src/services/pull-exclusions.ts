// Pull-time update exclusions (ECR Register/Deregister/ListPullTimeUpdateExclusions): principals whose
// pulls leave lastRecordedPullTime alone, so scanners and CI do not keep images "recently pulled". The
// list lives in the metadata store and is consulted by every recorded pull (MetadataStore.recordPull).
import { errors } from '../domain/errors.ts';
import type { PullTimeExclusion } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';
import type { Page } from './images.ts';

/** ECR allows 100 exclusions per registry. */
export const MAX_PULL_TIME_EXCLUSIONS = 100;

export class PullExclusionService {
  constructor(private readonly d: ServiceDeps) {}

  /**
   * Adds `principalArn` (an IAM user or role ARN; the model's pattern is checked before this runs);
   * ExclusionAlreadyExistsException when listed, LimitExceededException past 100. Takes effect for the
   * next pull on any node: nothing is cached.
   */
  async register(principalArn: string): Promise<PullTimeExclusion> {
    const r = await this.d.meta.addPullTimeExclusion(principalArn, this.d.clock.now(), MAX_PULL_TIME_EXCLUSIONS);
    if (r === 'exists') throw errors.exclusionAlreadyExists({ principalArn, registryId: this.d.registryId });
    if (r === 'limit') {
      throw errors.limitExceeded({ reason: `The pull time update exclusion list of the registry with id '${this.d.registryId}' already holds the maximum of ${MAX_PULL_TIME_EXCLUSIONS} principals.` });
    }
    return { principalArn, createdAt: r.createdAt };
  }

  /** Removes `principalArn`; ExclusionNotFoundException when it is not on the list. */
  async deregister(principalArn: string): Promise<void> {
    if (!(await this.d.meta.removePullTimeExclusion(principalArn))) throw errors.exclusionNotFound({ principalArn, registryId: this.d.registryId });
  }

  /** Excluded principals in ARN order after `after`, at most `limit`, with the cursor of the last when more follow. */
  async list(after: string | undefined, limit: number): Promise<Page<string, string>> {
    const rows = await this.d.meta.listPullTimeExclusions(after, limit + 1);
    const items = rows.slice(0, limit).map((r) => r.principalArn);
    return { items, next: rows.length > limit ? items[items.length - 1] : undefined };
  }
}
