// Repository operations: CreateRepository, DescribeRepositories, DeleteRepository.
import { errors } from '../../../domain/errors.ts';
import type { Repository } from '../../../ports/metadata-store.ts';
import { registryHost, repositoryArn, type EcrContext, type OperationTable } from '../context.ts';
import { checkExclusive, decodeToken, encodeToken } from '../pagination.ts';

/** ECR's Repository shape. */
export function repositoryShape(ctx: EcrContext, r: Repository): Record<string, unknown> {
  return {
    repositoryArn: repositoryArn(ctx.config, r.name, ctx.registryId), registryId: ctx.registryId, repositoryName: r.name,
    repositoryUri: `${registryHost(ctx.config, ctx.registryId)}/${r.name}`, createdAt: r.createdAt, imageTagMutability: r.imageTagMutability,
    imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: r.encryptionType, kmsKey: r.kmsKey },
  };
}

export const repositoryOperations: OperationTable = {
  CreateRepository: {
    async handler(ctx, input) {
      const enc = input.encryptionConfiguration;
      if (enc && enc.encryptionType === 'AES256' && enc.kmsKey) {
        throw errors.invalidParameter({ field: 'encryptionConfiguration.kmsKey', reason: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE' });
      }
      const tags: Record<string, string> = {};
      for (const t of input.tags ?? []) tags[t.Key] = t.Value;
      const r = await ctx.services.repositories.create(input.repositoryName, {
        ...(input.imageTagMutability ? { imageTagMutability: input.imageTagMutability } : {}),
        ...(input.imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters } : {}),
        ...(input.imageScanningConfiguration ? { scanOnPush: !!input.imageScanningConfiguration.scanOnPush } : {}),
        ...(enc ? {
          encryptionType: enc.encryptionType,
          ...(enc.encryptionType !== 'AES256' ? { kmsKey: enc.kmsKey ?? `arn:aws:kms:${ctx.config.region}:${ctx.registryId}:alias/aws/ecr` } : {}),
        } : {}),
      }, tags);
      return { repository: repositoryShape(ctx, r) };
    },
  },

  DescribeRepositories: {
    resource: () => undefined,
    async handler(ctx, input) {
      checkExclusive(input.repositoryNames, input, 'repositoryNames');
      if (input.repositoryNames) {
        const repos = [];
        for (const n of input.repositoryNames as string[]) repos.push(await ctx.services.repositories.require(n));
        return { repositories: repos.map((r) => repositoryShape(ctx, r)) };
      }
      const after = decodeToken<unknown>(input.nextToken);
      // A token of another operation (e.g. ListImages' {digest, tag}) is no repository-name cursor.
      if (after !== undefined && typeof after !== 'string') throw errors.invalidParameter({ field: 'nextToken', reason: 'Invalid NextToken' });
      const page = await ctx.services.repositories.listRecords(after, input.maxResults ?? 100);
      return {
        repositories: page.repos.map((r) => repositoryShape(ctx, r)),
        nextToken: page.more ? encodeToken(page.repos[page.repos.length - 1].name) : undefined,
      };
    },
  },

  DeleteRepository: {
    async handler(ctx, input) {
      const r = await ctx.services.repositories.require(input.repositoryName);
      await ctx.services.repositories.delete(input.repositoryName, !!input.force);
      return { repository: repositoryShape(ctx, r) };
    },
  },
};
