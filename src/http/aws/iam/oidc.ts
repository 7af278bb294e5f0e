// IAM OpenID Connect identity providers over the Query protocol: create, read, list, delete, client
// ids, thumbprints, tags. (Their JWKS, for verifying tokens without reaching the issuer, is set with
// the admin command `wharf iam set-oidc-jwks`: IAM's API has no member for it.)
import { oidcProviderArn } from '../../../domain/aws/iam-input.ts';
import type { QueryOperationTable } from '../query-operations.ts';
import { struct } from '../xml.ts';
import { accountOf, byProviderArn, pageOf, pagingMembers, tagsParam } from './common.ts';
import { tagList, tagListAlways } from './shapes.ts';

const CREATED = struct('OpenIDConnectProviderArn', 'Tags');
const PROVIDER = struct('Url', 'ClientIDList', 'ThumbprintList', 'CreateDate', 'Tags');
const LIST = struct('OpenIDConnectProviderList');
const LIST_ENTRY = struct('Arn');
const TAGS_PAGE = struct('Tags', 'IsTruncated', 'Marker');

/** The provider's URL as IAM answers it: without `https://`. */
function shownUrl(url: string): string {
  return url.replace(/^https:\/\//i, '');
}

export const oidcOperations: QueryOperationTable = {
  CreateOpenIDConnectProvider: {
    // The new provider's ARN; a Url that cannot name one is the handler's ValidationError, on `*`.
    resource: (params, ctx) => {
      const url = params.requiredString('Url');
      return /^https:\/\/[^\s]+$/i.test(url) ? oidcProviderArn(accountOf(ctx), url) : '*';
    },
    handler: async (ctx, params) => {
      const made = await ctx.services.iam.createOpenIDConnectProvider(accountOf(ctx), {
        url: params.requiredString('Url'), clientIdList: params.list('ClientIDList'), thumbprintList: params.list('ThumbprintList'), tags: tagsParam(params),
      });
      return CREATED({ OpenIDConnectProviderArn: made.arn, Tags: tagList(made.tags) });
    },
  },
  GetOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      const p = await ctx.services.iam.getOpenIDConnectProvider(accountOf(ctx), params.requiredString('OpenIDConnectProviderArn'));
      return PROVIDER({ Url: shownUrl(p.url), ClientIDList: [...p.clientIds], ThumbprintList: [...p.thumbprints], CreateDate: p.createdAt, Tags: tagList(p.tags) });
    },
  },
  ListOpenIDConnectProviders: {
    handler: async (ctx) => LIST({ OpenIDConnectProviderList: (await ctx.services.iam.listOpenIDConnectProviders(accountOf(ctx))).map((arn) => LIST_ENTRY({ Arn: arn })) }),
  },
  DeleteOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.deleteOpenIDConnectProvider(accountOf(ctx), params.requiredString('OpenIDConnectProviderArn'));
      return undefined;
    },
  },
  AddClientIDToOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.addClientId(accountOf(ctx), params.requiredString('OpenIDConnectProviderArn'), params.requiredString('ClientID'));
      return undefined;
    },
  },
  RemoveClientIDFromOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.removeClientId(accountOf(ctx), params.requiredString('OpenIDConnectProviderArn'), params.requiredString('ClientID'));
      return undefined;
    },
  },
  UpdateOpenIDConnectProviderThumbprint: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.updateThumbprints(accountOf(ctx), params.requiredString('OpenIDConnectProviderArn'), params.requiredList('ThumbprintList'));
      return undefined;
    },
  },
  TagOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.tag(accountOf(ctx), { kind: 'oidc-provider', arn: params.requiredString('OpenIDConnectProviderArn') }, tagsParam(params, true));
      return undefined;
    },
  },
  UntagOpenIDConnectProvider: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.untag(accountOf(ctx), { kind: 'oidc-provider', arn: params.requiredString('OpenIDConnectProviderArn') }, params.requiredList('TagKeys'));
      return undefined;
    },
  },
  ListOpenIDConnectProviderTags: {
    resource: byProviderArn,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listTags(accountOf(ctx), { kind: 'oidc-provider', arn: params.requiredString('OpenIDConnectProviderArn') }), params);
      return TAGS_PAGE({ Tags: tagListAlways(page.items), ...pagingMembers(page) });
    },
  },
};
