// GetAuthorizationToken: the registry password for `docker login -u AWS`.
import { registryUrl, type OperationTable } from '../context.ts';

export const authOperations: OperationTable = {
  GetAuthorizationToken: {
    resource: () => undefined,
    async handler(ctx, input: { registryIds?: string[] }) {
      // One token serves every registry (each registry's policies decide what it may do there); each
      // registry named gets its own proxyEndpoint.
      const ids = input.registryIds?.length ? input.registryIds : [ctx.principal.accountId];
      const t = ctx.services.authn.issue(ctx.principal);
      return { authorizationData: ids.map((id) => ({ authorizationToken: t.authorizationToken, expiresAt: t.expiresAt, proxyEndpoint: registryUrl(ctx.config, id) })) };
    },
  },
};
