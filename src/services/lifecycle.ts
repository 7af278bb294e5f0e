// Lifecycle policy use cases: Put/Get/DeleteLifecyclePolicy, previews computed in the background, and
// runs that expire or archive what a policy selects. Previews and runs read the same image facts and
// call the same evaluator (plan()), so a preview shows exactly what a run at that instant would do.
import { errors } from '../domain/errors.ts';
import { evaluateLifecycle } from '../domain/lifecycle/evaluate.ts';
import { parseLifecyclePolicy } from '../domain/lifecycle/parse.ts';
import type { LifecycleAction, LifecycleImage, LifecyclePolicy } from '../domain/lifecycle/types.ts';
import type { ImageExpectation } from '../ports/metadata-store.ts';
import { IMAGE_CHANGED } from './archive.ts';
import type { ServiceDeps } from './context.ts';
import type { ImageService } from './images.ts';
import type { RepositoryService } from './repositories.ts';

/** A preview still IN_PROGRESS after this long was lost (the process stopped): reported FAILED, and a new one may start. */
export const PREVIEW_STALE_MS = 10 * 60 * 1000;
/** A COMPLETE preview older than this is reported EXPIRED, without results: the repository has moved on. */
export const PREVIEW_TTL_MS = 24 * 60 * 60 * 1000;

export type PreviewStatus = 'IN_PROGRESS' | 'COMPLETE' | 'EXPIRED' | 'FAILED';

/** A preview as GetLifecyclePolicyPreview reports it; `results` only when COMPLETE. */
export interface LifecyclePreview {
  readonly text: string;
  readonly status: PreviewStatus;
  readonly startedAt: Date;
  readonly results?: readonly LifecycleAction[];
}

/** What happened to one image during a run, or that a whole repository failed. */
export type LifecycleEvent =
  | { readonly kind: 'expired' | 'transitioned'; readonly repository: string; readonly action: LifecycleAction }
  | { readonly kind: 'skipped'; readonly repository: string; readonly action: LifecycleAction; readonly reason: string }
  | { readonly kind: 'failed'; readonly repository: string; readonly error: unknown };

/** The outcome of running one repository's policy. */
export interface LifecycleRunReport {
  readonly repository: string;
  /** Set when the run completed (also GetLifecyclePolicy's lastEvaluatedAt). */
  readonly evaluatedAt?: Date;
  readonly expired: LifecycleAction[];
  readonly transitioned: LifecycleAction[];
  readonly skipped: { action: LifecycleAction; reason: string }[];
  /** Why the repository could not be evaluated (runAll only; runRepository throws instead). */
  readonly error?: unknown;
}

export interface LifecycleOptions {
  /** Schedules a preview's computation (default setImmediate, so Start answers first). */
  readonly defer?: (fn: () => void) => void;
  /**
   * Moves an image to the archive storage class (UpdateImageStorageClass to ARCHIVED). Without it,
   * TRANSITION actions are skipped with a reason.
   */
  readonly archive?: (repo: string, digest: string, expect: ImageExpectation) => Promise<void>;
  /** Where previews in flight are tracked (shared by the services of every registry, so settled() waits for all). */
  readonly pending?: Set<Promise<void>>;
}

const PAGE = 1000;

export class LifecycleService {
  private readonly pending: Set<Promise<void>>;

  constructor(private readonly d: ServiceDeps, private readonly repos: RepositoryService, private readonly images: ImageService,
    private readonly opts: LifecycleOptions = {}) {
    this.pending = opts.pending ?? new Set();
  }

  private notFound(repo: string) {
    return errors.lifecyclePolicyNotFound({ repo, registryId: this.d.registryId });
  }

  /** PutLifecyclePolicy: validates the text (InvalidParameterException with ECR's wording) and stores it as sent. */
  async put(repo: string, text: string): Promise<void> {
    parseLifecyclePolicy(text);
    await this.repos.require(repo);
    if (!(await this.d.meta.putLifecyclePolicy(repo, text))) throw this.repos.notFound(repo);
  }

  /** GetLifecyclePolicy: the stored text and when it last ran (LifecyclePolicyNotFound when none). */
  async get(repo: string): Promise<{ text: string; evaluatedAt?: Date }> {
    await this.repos.require(repo);
    const r = await this.d.meta.getLifecyclePolicy(repo);
    if (!r) throw this.repos.notFound(repo);
    if (r.text === undefined) throw this.notFound(repo);
    return { text: r.text, ...(r.evaluatedAt ? { evaluatedAt: r.evaluatedAt } : {}) };
  }

  /** DeleteLifecyclePolicy: removes the policy, returning what it was (LifecyclePolicyNotFound when none). */
  async delete(repo: string): Promise<{ text: string; evaluatedAt?: Date }> {
    await this.repos.require(repo);
    const r = await this.d.meta.putLifecyclePolicy(repo, undefined);
    if (!r) throw this.repos.notFound(repo);
    if (r.text === undefined) throw this.notFound(repo);
    return { text: r.text, ...(r.evaluatedAt ? { evaluatedAt: r.evaluatedAt } : {}) };
  }

  /** Every image of `repo` as the evaluator sees it. Images being restored (ACTIVATING) are left alone. */
  async lifecycleImages(repo: string): Promise<LifecycleImage[]> {
    const out: LifecycleImage[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.d.meta.listLifecycleImages(repo, after, PAGE);
      for (const { imageStatus, ...img } of page) if (imageStatus !== 'ACTIVATING') out.push(img);
      if (page.length < PAGE) return out;
      after = page[page.length - 1].digest;
    }
  }

  /** What `policy` would do to `repo` at `now`: the one decision previews and runs share. */
  async plan(repo: string, policy: LifecyclePolicy, now: Date): Promise<LifecycleAction[]> {
    return evaluateLifecycle(policy, await this.lifecycleImages(repo), now);
  }

  /**
   * StartLifecyclePolicyPreview: validates `text` (or takes the stored policy; neither is
   * LifecyclePolicyNotFound), records an IN_PROGRESS preview and computes it in the background. The
   * policy is not stored. LifecyclePolicyPreviewInProgress while the previous preview still runs.
   */
  async startPreview(repo: string, text: string | undefined): Promise<{ text: string }> {
    if (text !== undefined) parseLifecyclePolicy(text);
    await this.repos.require(repo);
    const policyText = text ?? (await this.d.meta.getLifecyclePolicy(repo))?.text;
    if (policyText === undefined) throw this.notFound(repo);
    const at = this.d.clock.now();
    const r = await this.d.meta.startLifecyclePreview(repo, policyText, at, new Date(at.getTime() - PREVIEW_STALE_MS));
    if (r === undefined) throw this.repos.notFound(repo);
    if (r === 'in-progress') throw errors.lifecyclePolicyPreviewInProgress();
    const defer = this.opts.defer ?? ((fn: () => void) => void setImmediate(fn));
    this.track(new Promise<void>((resolve) => defer(() => resolve(this.computePreview(repo, policyText, at)))));
    return { text: policyText };
  }

  private async computePreview(repo: string, text: string, startedAt: Date): Promise<void> {
    let results: LifecycleAction[] | undefined;
    try {
      results = await this.plan(repo, parseLifecyclePolicy(text), this.d.clock.now());
    } catch {
      results = undefined;
    }
    await this.d.meta.finishLifecyclePreview(repo, startedAt, results ? 'COMPLETE' : 'FAILED', results);
  }

  private track(p: Promise<void>): void {
    const q = p.catch(() => {}).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  /** Resolves once every preview started so far has been computed (shutdown and tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** GetLifecyclePolicyPreview: the last preview (LifecyclePolicyPreviewNotFound when none was started). */
  async getPreview(repo: string): Promise<LifecyclePreview> {
    await this.repos.require(repo);
    const p = await this.d.meta.getLifecyclePreview(repo);
    if (!p) throw errors.lifecyclePolicyPreviewNotFound({ repo, registryId: this.d.registryId });
    const age = this.d.clock.now().getTime() - p.startedAt.getTime();
    if (p.status === 'IN_PROGRESS' && age > PREVIEW_STALE_MS) return { text: p.text, status: 'FAILED', startedAt: p.startedAt };
    if (p.status === 'COMPLETE' && age > PREVIEW_TTL_MS) return { text: p.text, status: 'EXPIRED', startedAt: p.startedAt };
    return p;
  }

  /**
   * Runs `repo`'s stored policy now: expires (deletes by digest, as BatchDeleteImage does) and archives
   * what plan() selects, reports each image to `observe` as it goes, and records lastEvaluatedAt. An
   * image that cannot be acted on (an index came to reference it, it is already gone) is skipped, and
   * so is one that changed after the evaluation: each action applies only while the image still has
   * the tags it was judged with and, for a sinceImagePulled rule, no pull recorded since (checked in
   * the transaction that acts, so a tag pushed meanwhile is never deleted with the image).
   * RepositoryNotFound / LifecyclePolicyNotFound when there is nothing to run.
   */
  async runRepository(repo: string, observe: (e: LifecycleEvent) => void = () => {}): Promise<LifecycleRunReport> {
    const { text } = await this.get(repo);
    const now = this.d.clock.now();
    const policy = parseLifecyclePolicy(text);
    const actions = await this.plan(repo, policy, now);
    const byPulls = new Set(policy.rules.filter((r) => r.selection.countType === 'sinceImagePulled').map((r) => r.rulePriority));
    const expectOf = (a: LifecycleAction): ImageExpectation => ({ tags: a.tags, ...(byPulls.has(a.rulePriority) ? { notPulledSince: now } : {}) });
    const report: LifecycleRunReport = { repository: repo, expired: [], transitioned: [], skipped: [] };
    const skip = (action: LifecycleAction, reason: string) => {
      report.skipped.push({ action, reason });
      observe({ kind: 'skipped', repository: repo, action, reason });
    };
    for (const action of actions) {
      if (action.type === 'EXPIRE') {
        const r = await this.images.deleteByDigest(repo, action.digest, expectOf(action));
        if (r === undefined) { skip(action, 'the image no longer exists.'); continue; }
        if (r === 'referenced') { skip(action, 'the image is referenced by a manifest list.'); continue; }
        if (r === 'changed') { skip(action, IMAGE_CHANGED); continue; }
        report.expired.push(action);
        observe({ kind: 'expired', repository: repo, action });
      } else {
        if (!this.opts.archive) { skip(action, 'the archive storage class is not available'); continue; }
        try {
          await this.opts.archive(repo, action.digest, expectOf(action));
        } catch (e) {
          skip(action, e instanceof Error ? e.message : String(e));
          continue;
        }
        report.transitioned.push(action);
        observe({ kind: 'transitioned', repository: repo, action });
      }
    }
    await this.d.meta.setLifecycleEvaluatedAt(repo, now);
    return { ...report, evaluatedAt: now };
  }

  /** Runs every repository that has a policy; a repository that fails is reported and the others still run. */
  async runAll(observe: (e: LifecycleEvent) => void = () => {}): Promise<LifecycleRunReport[]> {
    const reports: LifecycleRunReport[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.d.meta.listLifecyclePolicies(after, PAGE);
      for (const { repo } of page) {
        try {
          reports.push(await this.runRepository(repo, observe));
        } catch (error) {
          observe({ kind: 'failed', repository: repo, error });
          reports.push({ repository: repo, expired: [], transitioned: [], skipped: [], error });
        }
      }
      if (page.length < PAGE) return reports;
      after = page[page.length - 1].repo;
    }
  }
}
