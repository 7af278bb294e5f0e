// Image operations: DescribeImages, ListImages, BatchGetImage, BatchDeleteImage, PutImage,
// ListImageReferrers — the ECR shapes over services/images.ts (the images /v2/ pushes and serves).
import { errors } from '../../../domain/errors.ts';
import type { ImageIdRow, ImageRecord } from '../../../ports/metadata-store.ts';
import type { ImageFailure, ImageId } from '../../../services/images.ts';
import type { EcrContext, OperationTable } from '../context.ts';
import { checkExclusive, decodeToken, encodeToken } from '../pagination.ts';

/** ECR's ImageDetail (scan status and findings summary are left out until scanning exists). */
function imageDetail(ctx: EcrContext, repo: string, i: ImageRecord): Record<string, unknown> {
  return {
    registryId: ctx.registryId, repositoryName: repo, imageDigest: i.digest,
    imageTags: i.tags.length > 0 ? i.tags : undefined,
    imageSizeInBytes: i.size, imagePushedAt: i.pushedAt, imageManifestMediaType: i.mediaType,
    artifactMediaType: i.configMediaType, lastRecordedPullTime: i.lastPulledAt, subjectManifestDigest: i.subject,
    imageStatus: i.imageStatus, lastArchivedAt: i.lastArchivedAt, lastActivatedAt: i.lastActivatedAt,
  };
}

/** The identifiers as the client sent them (only the two known members). */
function imageIds(input: { imageIds?: ImageId[] }): ImageId[] {
  return (input.imageIds ?? []).map((id) => ({
    ...(id.imageDigest !== undefined ? { imageDigest: id.imageDigest } : {}),
    ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
  }));
}

function failuresShape(fs: ImageFailure[]): Record<string, unknown>[] {
  return fs.map((f) => ({ imageId: f.imageId, failureCode: f.failureCode, failureReason: f.failureReason }));
}

/** A nextToken cursor of the expected kind, or InvalidParameterException (a token from another call). */
function cursor<T>(token: string | undefined, ok: (c: unknown) => boolean): T | undefined {
  const c = decodeToken<unknown>(token);
  if (c !== undefined && !ok(c)) throw errors.invalidParameter({ field: 'nextToken', reason: 'Invalid NextToken' });
  return c as T | undefined;
}

const isString = (c: unknown) => typeof c === 'string';
const isRow = (c: unknown) => !!c && typeof c === 'object' && typeof (c as ImageIdRow).digest === 'string'
  && ((c as ImageIdRow).tag === undefined || typeof (c as ImageIdRow).tag === 'string');

export const imageOperations: OperationTable = {
  DescribeImages: {
    async handler(ctx, input) {
      checkExclusive(input.imageIds, input, 'imageIds');
      const repo: string = input.repositoryName;
      if (input.imageIds) {
        const images = await ctx.services.images.describe(repo, imageIds(input));
        return { imageDetails: images.map((i) => imageDetail(ctx, repo, i)) };
      }
      const after = cursor<string>(input.nextToken, isString);
      const page = await ctx.services.images.describePage(repo, after, input.maxResults ?? 100, input.filter?.tagStatus, input.filter?.imageStatus);
      return {
        imageDetails: page.items.map((i) => imageDetail(ctx, repo, i)),
        nextToken: page.next !== undefined ? encodeToken(page.next) : undefined,
      };
    },
  },

  ListImages: {
    async handler(ctx, input) {
      const after = cursor<ImageIdRow>(input.nextToken, isRow);
      const page = await ctx.services.images.listIds(input.repositoryName, after, input.maxResults ?? 100, input.filter?.tagStatus, input.filter?.imageStatus);
      return {
        imageIds: page.items.map((r) => ({ imageDigest: r.digest, imageTag: r.tag })),
        nextToken: page.next !== undefined ? encodeToken(page.next) : undefined,
      };
    },
  },

  BatchGetImage: {
    async handler(ctx, input) {
      const repo: string = input.repositoryName;
      const r = await ctx.services.images.batchGet(repo, imageIds(input), input.acceptedMediaTypes, ctx.principal.arn);
      return {
        images: r.images.map((g) => ({
          registryId: ctx.registryId, repositoryName: repo, imageId: g.imageId,
          imageManifest: g.manifest.bytes.toString('utf8'), imageManifestMediaType: g.manifest.mediaType,
        })),
        failures: failuresShape(r.failures),
      };
    },
  },

  BatchDeleteImage: {
    async handler(ctx, input) {
      const r = await ctx.services.images.batchDelete(input.repositoryName, imageIds(input));
      return { imageIds: r.imageIds, failures: failuresShape(r.failures) };
    },
  },

  PutImage: {
    async handler(ctx, input) {
      const repo: string = input.repositoryName;
      const r = await ctx.services.images.put(repo, {
        manifest: input.imageManifest, mediaType: input.imageManifestMediaType, tag: input.imageTag, digest: input.imageDigest,
      });
      return {
        image: {
          registryId: ctx.registryId, repositoryName: repo,
          imageId: { imageDigest: r.digest, imageTag: input.imageTag },
          imageManifest: input.imageManifest, imageManifestMediaType: r.mediaType,
        },
      };
    },
  },

  ListImageReferrers: {
    action: 'ecr:BatchGetImage',
    async handler(ctx, input) {
      const after = cursor<string>(input.nextToken, isString);
      const page = await ctx.services.images.referrers(input.repositoryName, input.subjectId.imageDigest, input.filter ?? {}, after, input.maxResults ?? 20);
      return {
        referrers: page.items.map((r) => ({
          digest: r.digest, mediaType: r.mediaType, artifactType: r.artifactType, size: r.size,
          annotations: r.annotations, artifactStatus: r.status,
        })),
        nextToken: page.next !== undefined ? encodeToken(page.next) : undefined,
      };
    },
  },
};
