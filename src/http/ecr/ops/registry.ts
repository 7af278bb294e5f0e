// Registry-level operations: DescribeRegistry and the account settings (Get/PutAccountSetting).
import type { OperationTable } from '../context.ts';

export const registryOperations: OperationTable = {
  DescribeRegistry: {
    resource: () => undefined,
    async handler(ctx) {
      // Wharf does not replicate; the configuration is always the empty one.
      return { registryId: ctx.registryId, replicationConfiguration: { rules: [] } };
    },
  },

  GetAccountSetting: {
    resource: () => undefined,
    async handler(ctx, input: { name: string }) {
      return { name: input.name, value: await ctx.services.policies.getAccountSetting(input.name) };
    },
  },

  PutAccountSetting: {
    resource: () => undefined,
    async handler(ctx, input: { name: string; value: string }) {
      await ctx.services.policies.putAccountSetting(input.name, input.value);
      return { name: input.name, value: input.value };
    },
  },
};
