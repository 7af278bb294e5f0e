// IAM managed policies over the Query protocol: CreatePolicy … DeletePolicy, their versions, tags, and
// ListPolicies (the account's own and the built-in AWS-managed ones).
import type { QueryOperationTable } from '../query-operations.ts';
import { struct } from '../xml.ts';
import { accountOf, byPolicyArn, iamArn, pageOf, pageParams, pagingMembers, tagsParam } from './common.ts';
import { policyShape, policyVersionShape, tagListAlways } from './shapes.ts';

const POLICY_RESULT = struct('Policy');
const VERSION_RESULT = struct('PolicyVersion');
const LIST_POLICIES = struct('Policies', 'IsTruncated', 'Marker');
const LIST_VERSIONS = struct('Versions', 'IsTruncated', 'Marker');
const TAGS_PAGE = struct('Tags', 'IsTruncated', 'Marker');

export const policyOperations: QueryOperationTable = {
  CreatePolicy: {
    resource: (params, ctx) => iamArn(accountOf(ctx), 'policy', params.string('Path') ?? '/', params.requiredString('PolicyName')),
    handler: async (ctx, params) => {
      const description = params.string('Description');
      const made = await ctx.services.iam.createPolicy(accountOf(ctx), {
        policyName: params.requiredString('PolicyName'), path: params.string('Path'), policyDocument: params.requiredString('PolicyDocument'),
        tags: tagsParam(params), ...(description !== undefined ? { description } : {}),
      });
      return POLICY_RESULT({ Policy: policyShape(made) });
    },
  },
  GetPolicy: {
    resource: byPolicyArn,
    handler: async (ctx, params) => POLICY_RESULT({ Policy: policyShape(await ctx.services.iam.getPolicy(accountOf(ctx), params.requiredString('PolicyArn'))) }),
  },
  ListPolicies: {
    handler: async (ctx, params) => {
      const scope = params.string('Scope');
      const onlyAttached = params.boolean('OnlyAttached');
      const page = await ctx.services.iam.listPolicies(accountOf(ctx), {
        ...pageParams(params), ...(scope !== undefined ? { scope } : {}), ...(onlyAttached !== undefined ? { onlyAttached } : {}),
      });
      return LIST_POLICIES({ Policies: page.items.map((p) => policyShape(p, false)), ...pagingMembers(page) });
    },
  },
  DeletePolicy: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.deletePolicy(accountOf(ctx), params.requiredString('PolicyArn'));
      return undefined;
    },
  },
  GetPolicyVersion: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      const v = await ctx.services.iam.getPolicyVersion(accountOf(ctx), params.requiredString('PolicyArn'), params.requiredString('VersionId'));
      return VERSION_RESULT({ PolicyVersion: policyVersionShape(v) });
    },
  },
  CreatePolicyVersion: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      const v = await ctx.services.iam.createPolicyVersion(accountOf(ctx), params.requiredString('PolicyArn'), params.requiredString('PolicyDocument'),
        params.boolean('SetAsDefault') ?? false);
      // CreatePolicyVersion's answer carries no document (IAM's neither).
      return VERSION_RESULT({ PolicyVersion: policyVersionShape(v, false) });
    },
  },
  ListPolicyVersions: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listPolicyVersions(accountOf(ctx), params.requiredString('PolicyArn')), params);
      return LIST_VERSIONS({ Versions: page.items.map((v) => policyVersionShape(v, false)), ...pagingMembers(page) });
    },
  },
  DeletePolicyVersion: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.deletePolicyVersion(accountOf(ctx), params.requiredString('PolicyArn'), params.requiredString('VersionId'));
      return undefined;
    },
  },
  SetDefaultPolicyVersion: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.setDefaultPolicyVersion(accountOf(ctx), params.requiredString('PolicyArn'), params.requiredString('VersionId'));
      return undefined;
    },
  },
  TagPolicy: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.tag(accountOf(ctx), { kind: 'policy', arn: params.requiredString('PolicyArn') }, tagsParam(params, true));
      return undefined;
    },
  },
  UntagPolicy: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      await ctx.services.iam.untag(accountOf(ctx), { kind: 'policy', arn: params.requiredString('PolicyArn') }, params.requiredList('TagKeys'));
      return undefined;
    },
  },
  ListPolicyTags: {
    resource: byPolicyArn,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listTags(accountOf(ctx), { kind: 'policy', arn: params.requiredString('PolicyArn') }), params);
      return TAGS_PAGE({ Tags: tagListAlways(page.items), ...pagingMembers(page) });
    },
  },
};
