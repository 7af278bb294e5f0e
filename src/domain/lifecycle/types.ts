// Lifecycle policies as ECR defines them (shared/reference/ecr.md §6): the policy document, the
// facts about an image the evaluator needs, and the actions it decides. parse.ts validates a policy
// text; evaluate.ts decides actions. Both are pure; previews and real runs share them.

export type RuleTagStatus = 'tagged' | 'untagged' | 'any';
export type CountType = 'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned';

export interface LifecycleSelection {
  readonly tagStatus: RuleTagStatus;
  readonly tagPatternList?: readonly string[];
  readonly tagPrefixList?: readonly string[];
  /** Default 'standard'. */
  readonly storageClass?: 'standard' | 'archive';
  readonly countType: CountType;
  readonly countUnit?: 'days';
  readonly countNumber: number;
}

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: LifecycleSelection;
  readonly action: { readonly type: 'expire' | 'transition'; readonly targetStorageClass?: 'archive' };
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

/** Storage class of an image as the API reports it. */
export type StorageClass = 'STANDARD' | 'ARCHIVE';

/** What the evaluator knows about one image of the repository. */
export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly lastPulledAt?: Date;
  /** When the image was moved to the archive class (for sinceImageTransitioned). */
  readonly lastArchivedAt?: Date;
  readonly storageClass: StorageClass;
  /** True while an index (manifest list) in the repository references this image: never expired then. */
  readonly referencedByIndex: boolean;
}

/** One decision: what a run would do to one image, and which rule decided it. */
export interface LifecycleAction {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly type: 'EXPIRE' | 'TRANSITION';
  /** Present for TRANSITION. */
  readonly targetStorageClass?: 'ARCHIVE';
  readonly rulePriority: number;
  /** The image's class before the action. */
  readonly storageClass: StorageClass;
}
