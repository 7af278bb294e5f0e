// Repository and registry policies: Set/Get/DeleteRepositoryPolicy, Put/Get/DeleteRegistryPolicy.
// Texts are checked as IAM policy documents and stored; enforcement comes with access control.
import type { OperationTable } from '../context.ts';

export const policyOperations: OperationTable = {
  SetRepositoryPolicy: {
    async handler(ctx, input) {
      await ctx.services.policies.setRepositoryPolicy(input.repositoryName, input.policyText, !!input.force, ctx.principal);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, policyText: input.policyText };
    },
  },

  GetRepositoryPolicy: {
    async handler(ctx, input) {
      const policyText = await ctx.services.policies.getRepositoryPolicy(input.repositoryName);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, policyText };
    },
  },

  DeleteRepositoryPolicy: {
    async handler(ctx, input) {
      const policyText = await ctx.services.policies.deleteRepositoryPolicy(input.repositoryName);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, policyText };
    },
  },

  PutRegistryPolicy: {
    resource: () => undefined,
    async handler(ctx, input) {
      await ctx.services.policies.putRegistryPolicy(input.policyText);
      return { registryId: ctx.registryId, policyText: input.policyText };
    },
  },

  GetRegistryPolicy: {
    resource: () => undefined,
    async handler(ctx) {
      return { registryId: ctx.registryId, policyText: await ctx.services.policies.getRegistryPolicy() };
    },
  },

  DeleteRegistryPolicy: {
    resource: () => undefined,
    async handler(ctx) {
      return { registryId: ctx.registryId, policyText: await ctx.services.policies.deleteRegistryPolicy() };
    },
  },
};
