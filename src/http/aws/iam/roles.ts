// IAM roles over the Query protocol: CreateRole … DeleteRole, trust policies, tags, permissions
// boundaries, and the empty ListInstanceProfilesForRole Terraform reads before deleting a role.
import type { QueryOperationTable } from '../query-operations.ts';
import { Ordered, struct } from '../xml.ts';
import { accountOf, byRoleName, iamArn, pageOf, pageParams, pagingMembers, tagsParam } from './common.ts';
import { roleShape, tagListAlways } from './shapes.ts';

const ROLE_RESULT = struct('Role');
const LIST_ROLES = struct('Roles', 'IsTruncated', 'Marker');
const TAGS_PAGE = struct('Tags', 'IsTruncated', 'Marker');
const INSTANCE_PROFILES = struct('InstanceProfiles', 'IsTruncated', 'Marker');

export const roleOperations: QueryOperationTable = {
  CreateRole: {
    resource: (params, ctx) => iamArn(accountOf(ctx), 'role', params.string('Path') ?? '/', params.requiredString('RoleName')),
    handler: async (ctx, params) => {
      const description = params.string('Description');
      const maxSessionDuration = params.integer('MaxSessionDuration');
      const boundary = params.string('PermissionsBoundary');
      const role = await ctx.services.iam.createRole(accountOf(ctx), {
        roleName: params.requiredString('RoleName'), assumeRolePolicyDocument: params.requiredString('AssumeRolePolicyDocument'),
        path: params.string('Path'), tags: tagsParam(params),
        ...(description !== undefined ? { description } : {}),
        ...(maxSessionDuration !== undefined ? { maxSessionDuration } : {}),
        ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}),
      });
      return ROLE_RESULT({ Role: roleShape(role) });
    },
  },
  GetRole: {
    resource: byRoleName,
    handler: async (ctx, params) => ROLE_RESULT({ Role: roleShape(await ctx.services.iam.getRole(accountOf(ctx), params.requiredString('RoleName'))) }),
  },
  ListRoles: {
    handler: async (ctx, params) => {
      const page = await ctx.services.iam.listRoles(accountOf(ctx), pageParams(params));
      return LIST_ROLES({ Roles: page.items.map((r) => roleShape(r, false)), ...pagingMembers(page) });
    },
  },
  UpdateRole: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      const description = params.string('Description');
      const maxSessionDuration = params.integer('MaxSessionDuration');
      await ctx.services.iam.updateRole(accountOf(ctx), params.requiredString('RoleName'), {
        ...(description !== undefined ? { description } : {}), ...(maxSessionDuration !== undefined ? { maxSessionDuration } : {}),
      });
      // The model gives UpdateRole an output without members: an empty <UpdateRoleResult>.
      return new Ordered([]);
    },
  },
  UpdateAssumeRolePolicy: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.updateAssumeRolePolicy(accountOf(ctx), params.requiredString('RoleName'), params.requiredString('PolicyDocument'));
      return undefined;
    },
  },
  DeleteRole: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.deleteRole(accountOf(ctx), params.requiredString('RoleName'));
      return undefined;
    },
  },
  TagRole: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.tag(accountOf(ctx), { kind: 'role', name: params.requiredString('RoleName') }, tagsParam(params, true));
      return undefined;
    },
  },
  UntagRole: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.untag(accountOf(ctx), { kind: 'role', name: params.requiredString('RoleName') }, params.requiredList('TagKeys'));
      return undefined;
    },
  },
  ListRoleTags: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listTags(accountOf(ctx), { kind: 'role', name: params.requiredString('RoleName') }), params);
      return TAGS_PAGE({ Tags: tagListAlways(page.items), ...pagingMembers(page) });
    },
  },
  PutRolePermissionsBoundary: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.setRolePermissionsBoundary(accountOf(ctx), params.requiredString('RoleName'), params.requiredString('PermissionsBoundary'));
      return undefined;
    },
  },
  DeleteRolePermissionsBoundary: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.setRolePermissionsBoundary(accountOf(ctx), params.requiredString('RoleName'), undefined);
      return undefined;
    },
  },
  ListInstanceProfilesForRole: {
    resource: byRoleName,
    handler: async (ctx, params) => {
      await ctx.services.iam.listInstanceProfilesForRole(accountOf(ctx), params.requiredString('RoleName'));
      return INSTANCE_PROFILES({ InstanceProfiles: [], IsTruncated: false });
    },
  },
};
