// Repository settings operations: PutImageTagMutability, PutImageScanningConfiguration, and the
// resource tags of repositories (TagResource, UntagResource, ListTagsForResource), addressed by ARN.
import type { MutabilityFilter, TagMutability } from '../../../domain/repository.ts';
import { errors } from '../../../domain/errors.ts';
import type { EcrContext, OperationTable } from '../context.ts';

const REPOSITORY_ARN = /^arn:aws:ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/;

/** ECR's answer to a resourceArn that names no repository it can tag. */
export function invalidArn() {
  return errors.invalidParameter({ field: 'resourceArn', reason: 'Invalid ARN' });
}

/**
 * The repository a resource ARN names, for authorization (before the handler runs, without the
 * config): any well-formed repository ARN; anything else is ECR's 'Invalid ARN'.
 */
function arnResource(input: { resourceArn: string }): string {
  const m = REPOSITORY_ARN.exec(input.resourceArn);
  if (!m) throw invalidArn();
  return m[3];
}

/**
 * The repository an ARN names: `arn:aws:ecr:<region>:<account>:repository/<name>` of this region, in
 * the registry the request addresses (the ARN's account); another region is 'Invalid ARN'.
 */
export function repositoryFromArn(ctx: EcrContext, arn: string): string {
  const m = REPOSITORY_ARN.exec(arn);
  if (!m || m[1] !== ctx.config.region || m[2] !== ctx.registryId) throw invalidArn();
  return m[3];
}

type Tag = { Key: string; Value: string };

export const repositorySettingsOperations: OperationTable = {
  PutImageTagMutability: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; imageTagMutability: TagMutability; imageTagMutabilityExclusionFilters?: MutabilityFilter[] }) {
      // An explicit undefined clears filters left over from a previous *_WITH_EXCLUSION mode.
      const r = await ctx.services.repositories.update(input.repositoryName, {
        imageTagMutability: input.imageTagMutability,
        imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters?.map((f) => ({ filterType: f.filterType, filter: f.filter })),
      });
      return {
        registryId: ctx.registryId, repositoryName: r.name,
        imageTagMutability: r.imageTagMutability, imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters,
      };
    },
  },

  PutImageScanningConfiguration: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; imageScanningConfiguration: { scanOnPush?: boolean } }) {
      const r = await ctx.services.repositories.update(input.repositoryName, { scanOnPush: !!input.imageScanningConfiguration.scanOnPush });
      return { registryId: ctx.registryId, repositoryName: r.name, imageScanningConfiguration: { scanOnPush: r.scanOnPush } };
    },
  },

  TagResource: {
    resource: arnResource,
    async handler(ctx, input: { resourceArn: string; tags: Tag[] }) {
      const add: Record<string, string> = {};
      for (const t of input.tags) add[t.Key] = t.Value;
      await ctx.services.repositories.changeResourceTags(repositoryFromArn(ctx, input.resourceArn), add, []);
      return {};
    },
  },

  UntagResource: {
    resource: arnResource,
    async handler(ctx, input: { resourceArn: string; tagKeys: string[] }) {
      await ctx.services.repositories.changeResourceTags(repositoryFromArn(ctx, input.resourceArn), {}, input.tagKeys);
      return {};
    },
  },

  ListTagsForResource: {
    resource: arnResource,
    async handler(ctx, input: { resourceArn: string }) {
      const tags = await ctx.services.repositories.resourceTags(repositoryFromArn(ctx, input.resourceArn));
      return { tags: Object.keys(tags).sort().map((k) => ({ Key: k, Value: tags[k] })) };
    },
  },
};
