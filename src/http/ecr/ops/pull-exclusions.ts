// Register/Deregister/ListPullTimeUpdateExclusions: the ECR shapes over services/pull-exclusions.ts.
// Registry-level operations (IAM resource `*`).
import { errors } from '../../../domain/errors.ts';
import type { OperationTable } from '../context.ts';
import { decodeToken, encodeToken } from '../pagination.ts';

export const pullExclusionOperations: OperationTable = {
  RegisterPullTimeUpdateExclusion: {
    resource: () => undefined,
    async handler(ctx, input: { principalArn: string }) {
      const r = await ctx.services.pullExclusions.register(input.principalArn);
      return { principalArn: r.principalArn, createdAt: r.createdAt };
    },
  },

  DeregisterPullTimeUpdateExclusion: {
    resource: () => undefined,
    async handler(ctx, input: { principalArn: string }) {
      await ctx.services.pullExclusions.deregister(input.principalArn);
      return { principalArn: input.principalArn };
    },
  },

  ListPullTimeUpdateExclusions: {
    resource: () => undefined,
    async handler(ctx, input: { maxResults?: number; nextToken?: string }) {
      const after = decodeToken<unknown>(input.nextToken);
      if (after !== undefined && typeof after !== 'string') throw errors.invalidParameter({ field: 'nextToken', reason: 'Invalid NextToken' });
      const page = await ctx.services.pullExclusions.list(after, input.maxResults ?? 100);
      return { pullTimeUpdateExclusions: page.items, nextToken: page.next !== undefined ? encodeToken(page.next) : undefined };
    },
  },
};
