// Lifecycle policy operations: Put/Get/DeleteLifecyclePolicy, StartLifecyclePolicyPreview and
// GetLifecyclePolicyPreview (results filtered by imageIds or tagStatus, paged, with a summary).
import { errors } from '../../../domain/errors.ts';
import type { LifecycleAction } from '../../../domain/lifecycle/types.ts';
import type { ImageId } from '../../../services/images.ts';
import type { OperationTable } from '../context.ts';
import { checkExclusive, decodeToken, encodeToken } from '../pagination.ts';

/** What Get/DeleteLifecyclePolicy report as lastEvaluatedAt before the first run: 0, as ECR does. */
const NEVER_EVALUATED = new Date(0);

/** ECR's LifecyclePolicyPreviewResult. */
function resultShape(a: LifecycleAction): Record<string, unknown> {
  return {
    ...(a.tags.length > 0 ? { imageTags: a.tags } : {}),
    imageDigest: a.digest, imagePushedAt: a.pushedAt,
    action: { type: a.type, ...(a.targetStorageClass ? { targetStorageClass: a.targetStorageClass } : {}) },
    appliedRulePriority: a.rulePriority, storageClass: a.storageClass,
  };
}

/** ECR's LifecyclePolicyPreviewSummary over every result of the preview. */
function summaryShape(results: readonly LifecycleAction[]): Record<string, unknown> {
  const transitioning = results.filter((a) => a.type === 'TRANSITION').length;
  return {
    expiringImageTotalCount: results.filter((a) => a.type === 'EXPIRE').length,
    ...(transitioning > 0 ? { transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: transitioning }] } : {}),
  };
}

function matchesId(a: LifecycleAction, id: ImageId): boolean {
  return (id.imageDigest === undefined || id.imageDigest === a.digest) && (id.imageTag === undefined || a.tags.includes(id.imageTag))
    && (id.imageDigest !== undefined || id.imageTag !== undefined);
}

/** The page cursor: the preview it belongs to (its start time) and the offset of the next result. */
type Cursor = [started: number, offset: number];

function decodeCursor(token: string | undefined, started: number): number {
  const c = decodeToken<Cursor>(token);
  if (c === undefined) return 0;
  if (!Array.isArray(c) || c.length !== 2 || c[0] !== started || !Number.isInteger(c[1]) || c[1] < 0) {
    throw errors.invalidParameter({ field: 'nextToken', reason: 'Invalid NextToken' });
  }
  return c[1];
}

export const lifecycleOperations: OperationTable = {
  PutLifecyclePolicy: {
    async handler(ctx, input) {
      await ctx.services.lifecycle.put(input.repositoryName, input.lifecyclePolicyText);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: input.lifecyclePolicyText };
    },
  },

  GetLifecyclePolicy: {
    async handler(ctx, input) {
      const p = await ctx.services.lifecycle.get(input.repositoryName);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: p.text, lastEvaluatedAt: p.evaluatedAt ?? NEVER_EVALUATED };
    },
  },

  DeleteLifecyclePolicy: {
    async handler(ctx, input) {
      const p = await ctx.services.lifecycle.delete(input.repositoryName);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: p.text, lastEvaluatedAt: p.evaluatedAt ?? NEVER_EVALUATED };
    },
  },

  StartLifecyclePolicyPreview: {
    async handler(ctx, input) {
      const p = await ctx.services.lifecycle.startPreview(input.repositoryName, input.lifecyclePolicyText);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: p.text, status: 'IN_PROGRESS' };
    },
  },

  GetLifecyclePolicyPreview: {
    async handler(ctx, input) {
      checkExclusive(input.imageIds, input, 'imageIds');
      const p = await ctx.services.lifecycle.getPreview(input.repositoryName);
      const head = { registryId: ctx.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: p.text, status: p.status };
      if (p.status !== 'COMPLETE' || !p.results) return head;
      const ids = input.imageIds as ImageId[] | undefined;
      const tagStatus = input.filter?.tagStatus as 'TAGGED' | 'UNTAGGED' | 'ANY' | undefined;
      const selected = p.results
        .filter((a) => !ids || ids.some((id) => matchesId(a, id)))
        .filter((a) => tagStatus === 'TAGGED' ? a.tags.length > 0 : tagStatus === 'UNTAGGED' ? a.tags.length === 0 : true);
      const started = p.startedAt.getTime();
      const from = decodeCursor(input.nextToken, started);
      const limit = ids ? selected.length : input.maxResults ?? 100;
      const page = selected.slice(from, from + limit);
      const next = from + limit < selected.length ? encodeToken([started, from + limit] satisfies Cursor) : undefined;
      return { ...head, previewResults: page.map(resultShape), nextToken: next, summary: summaryShape(p.results) };
    },
  },
};
