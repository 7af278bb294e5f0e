// GetAuthorizationToken: the registry password for `docker login -u AWS`.
import type { OperationTable } from '../context.ts';

export const authOperations: OperationTable = {
  GetAuthorizationToken: {
    resource: () => undefined,
    async handler(ctx, input: { registryIds?: string[] }) {
      const ids = input.registryIds?.length ? input.registryIds : [ctx.config.accountId];
      const t = ctx.services.authn.issue(ctx.principal);
      return { authorizationData: ids.map(() => ({ authorizationToken: t.authorizationToken, expiresAt: t.expiresAt, proxyEndpoint: ctx.config.publicUrl })) };
    },
  },
};
