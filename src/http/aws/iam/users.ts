// IAM users over the Query protocol: CreateUser … DeleteUser, tags, access keys, permissions
// boundaries, and the empty answers Terraform reads before deleting a user (groups, SSH keys, MFA
// devices, signing certificates, service-specific credentials, login profiles).
import { errors } from '../../../domain/errors.ts';
import type { QueryOperationTable } from '../query-operations.ts';
import { struct } from '../xml.ts';
import { accountOf, byUserName, callerUserName, iamArn, keyOwnerResource, pageOf, pageParams, pagingMembers, tagsParam, userResource } from './common.ts';
import { ACCESS_KEY_LAST_USED, accessKeyMetadataShape, accessKeyShape, rootUserShape, tagListAlways, userShape } from './shapes.ts';

const USER_RESULT = struct('User');
const LIST_USERS = struct('Users', 'IsTruncated', 'Marker');
const TAGS_PAGE = struct('Tags', 'IsTruncated', 'Marker');
const ACCESS_KEY_RESULT = struct('AccessKey');
const LIST_ACCESS_KEYS = struct('AccessKeyMetadata', 'IsTruncated', 'Marker');
const LAST_USED_RESULT = struct('UserName', 'AccessKeyLastUsed');

/** A list answer of something Wharf does not have, for an existing user: `member` empty, not truncated. */
function emptyForUser(member: string): QueryOperationTable[string] {
  const shape = struct(member, 'IsTruncated', 'Marker');
  return {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.listNothingForUser(accountOf(ctx), params.requiredString('UserName'));
      return shape({ [member]: [], IsTruncated: false });
    },
  };
}

/**
 * As emptyForUser, for operations whose UserName is optional (the caller when absent): the root has
 * none of these either.
 */
function emptyForCaller(member: string): QueryOperationTable[string] {
  const shape = struct(member, 'IsTruncated', 'Marker');
  return {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      const name = params.string('UserName') ?? callerUserName(ctx);
      if (name !== undefined) await ctx.services.iam.listNothingForUser(accountOf(ctx), name);
      return shape({ [member]: [], IsTruncated: false });
    },
  };
}

const VIRTUAL_MFA = struct('VirtualMFADevices', 'IsTruncated', 'Marker');

/** GetLoginProfile / DeleteLoginProfile: Wharf keeps no console passwords, for users or the root. */
const noLoginProfile: QueryOperationTable[string]['handler'] = async (ctx, params) => {
  const name = params.string('UserName') ?? callerUserName(ctx);
  if (name === undefined) throw errors.iamNoSuchEntity({ kind: 'login-profile', name: 'root' });
  return ctx.services.iam.loginProfile(accountOf(ctx), name);
};

export const userOperations: QueryOperationTable = {
  CreateUser: {
    resource: (params, ctx) => iamArn(accountOf(ctx), 'user', params.string('Path') ?? '/', params.requiredString('UserName')),
    handler: async (ctx, params) => {
      const boundary = params.string('PermissionsBoundary');
      const user = await ctx.services.iam.createUser(accountOf(ctx), {
        userName: params.requiredString('UserName'), path: params.string('Path'), tags: tagsParam(params),
        ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}),
      });
      return USER_RESULT({ User: userShape(user) });
    },
  },
  GetUser: {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      const name = params.string('UserName') ?? callerUserName(ctx);
      if (name === undefined) return USER_RESULT({ User: rootUserShape(await ctx.services.iam.getRootUser(accountOf(ctx))) });
      return USER_RESULT({ User: userShape(await ctx.services.iam.getUser(accountOf(ctx), name)) });
    },
  },
  ListUsers: {
    handler: async (ctx, params) => {
      const page = await ctx.services.iam.listUsers(accountOf(ctx), pageParams(params));
      return LIST_USERS({ Users: page.items.map((u) => userShape(u, false)), ...pagingMembers(page) });
    },
  },
  UpdateUser: {
    resource: byUserName,
    handler: async (ctx, params) => {
      const newUserName = params.string('NewUserName');
      const newPath = params.string('NewPath');
      await ctx.services.iam.updateUser(accountOf(ctx), params.requiredString('UserName'), {
        ...(newUserName !== undefined ? { newUserName } : {}), ...(newPath !== undefined ? { newPath } : {}),
      });
      return undefined;
    },
  },
  DeleteUser: {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.deleteUser(accountOf(ctx), params.requiredString('UserName'));
      return undefined;
    },
  },
  TagUser: {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.tag(accountOf(ctx), { kind: 'user', name: params.requiredString('UserName') }, tagsParam(params, true));
      return undefined;
    },
  },
  UntagUser: {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.untag(accountOf(ctx), { kind: 'user', name: params.requiredString('UserName') }, params.requiredList('TagKeys'));
      return undefined;
    },
  },
  ListUserTags: {
    resource: byUserName,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listTags(accountOf(ctx), { kind: 'user', name: params.requiredString('UserName') }), params);
      return TAGS_PAGE({ Tags: tagListAlways(page.items), ...pagingMembers(page) });
    },
  },
  PutUserPermissionsBoundary: {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.setUserPermissionsBoundary(accountOf(ctx), params.requiredString('UserName'), params.requiredString('PermissionsBoundary'));
      return undefined;
    },
  },
  DeleteUserPermissionsBoundary: {
    resource: byUserName,
    handler: async (ctx, params) => {
      await ctx.services.iam.setUserPermissionsBoundary(accountOf(ctx), params.requiredString('UserName'), undefined);
      return undefined;
    },
  },

  CreateAccessKey: {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      const made = await ctx.services.iam.createAccessKey(accountOf(ctx), params.string('UserName') ?? callerUserName(ctx));
      return ACCESS_KEY_RESULT({ AccessKey: accessKeyShape(made.key, made.secretAccessKey) });
    },
  },
  ListAccessKeys: {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      const page = pageOf(await ctx.services.iam.listAccessKeys(accountOf(ctx), params.string('UserName') ?? callerUserName(ctx)), params);
      return LIST_ACCESS_KEYS({ AccessKeyMetadata: page.items.map(accessKeyMetadataShape), ...pagingMembers(page) });
    },
  },
  UpdateAccessKey: {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      await ctx.services.iam.updateAccessKey(accountOf(ctx), params.string('UserName') ?? callerUserName(ctx), params.requiredString('AccessKeyId'), params.requiredString('Status'));
      return undefined;
    },
  },
  DeleteAccessKey: {
    resource: keyOwnerResource,
    handler: async (ctx, params) => {
      await ctx.services.iam.deleteAccessKey(accountOf(ctx), params.string('UserName') ?? callerUserName(ctx), params.requiredString('AccessKeyId'));
      return undefined;
    },
  },
  GetAccessKeyLastUsed: {
    // The key's owner; a key that is not the account's is authorized on `*` and then NoSuchEntity.
    resource: async (params, ctx) => {
      const owner = await ctx.services.iam.getAccessKeyLastUsed(accountOf(ctx), params.requiredString('AccessKeyId')).catch(() => undefined);
      if (!owner) return '*';
      return owner.userName === undefined ? `arn:aws:iam::${accountOf(ctx)}:root` : userResource(ctx, owner.userName);
    },
    handler: async (ctx, params) => {
      const r = await ctx.services.iam.getAccessKeyLastUsed(accountOf(ctx), params.requiredString('AccessKeyId'));
      // A key never used: IAM answers N/A for the service and region, without a date.
      const used = r.lastUsed
        ? ACCESS_KEY_LAST_USED({ LastUsedDate: r.lastUsed.date, ServiceName: r.lastUsed.service, Region: r.lastUsed.region })
        : ACCESS_KEY_LAST_USED({ ServiceName: 'N/A', Region: 'N/A' });
      return LAST_USED_RESULT({ UserName: r.userName, AccessKeyLastUsed: used });
    },
  },

  ListGroupsForUser: emptyForUser('Groups'),
  ListSSHPublicKeys: emptyForCaller('SSHPublicKeys'),
  ListMFADevices: emptyForCaller('MFADevices'),
  ListSigningCertificates: emptyForCaller('Certificates'),
  ListServiceSpecificCredentials: emptyForCaller('ServiceSpecificCredentials'),
  ListVirtualMFADevices: {
    handler: async () => VIRTUAL_MFA({ VirtualMFADevices: [], IsTruncated: false }),
  },
  GetLoginProfile: { resource: keyOwnerResource, handler: noLoginProfile },
  DeleteLoginProfile: { resource: keyOwnerResource, handler: noLoginProfile },
};
