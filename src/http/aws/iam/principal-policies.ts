// The policies of users and roles over the Query protocol, one set of handlers for both kinds:
// Put/Get/Delete/List{User,Role}Policies (inline) and Attach/Detach/ListAttached{User,Role}Policies.
import { checkPathPrefix } from '../../../domain/aws/iam-input.ts';
import type { PolicyOwner } from '../../../ports/identity-store.ts';
import type { QueryContext, QueryOperationTable } from '../query-operations.ts';
import type { QueryParams } from '../query-params.ts';
import { encodePolicyDocument, struct } from '../xml.ts';
import { accountOf, byRoleName, byUserName, pageOf, pagingMembers } from './common.ts';
import { ATTACHED_POLICY } from './shapes.ts';

const LIST_NAMES = struct('PolicyNames', 'IsTruncated', 'Marker');
const LIST_ATTACHED = struct('AttachedPolicies', 'IsTruncated', 'Marker');
const GET_USER_POLICY = struct('UserName', 'PolicyName', 'PolicyDocument');
const GET_ROLE_POLICY = struct('RoleName', 'PolicyName', 'PolicyDocument');

/** The operations for `kind` (`User` or `Role`), named as IAM names them. */
function operationsFor(kind: 'User' | 'Role'): QueryOperationTable {
  const member = `${kind}Name`;
  const resource = kind === 'User' ? byUserName : byRoleName;
  const owner = (ctx: QueryContext, params: QueryParams): PolicyOwner => ({ kind: kind === 'User' ? 'user' : 'role', accountId: accountOf(ctx), name: params.requiredString(member) });
  const getShape = kind === 'User' ? GET_USER_POLICY : GET_ROLE_POLICY;
  return {
    [`Put${kind}Policy`]: {
      resource,
      handler: async (ctx, params) => {
        await ctx.services.iam.putInlinePolicy(owner(ctx, params), params.requiredString('PolicyName'), params.requiredString('PolicyDocument'));
        return undefined;
      },
    },
    [`Get${kind}Policy`]: {
      resource,
      handler: async (ctx, params) => {
        const o = owner(ctx, params);
        const p = await ctx.services.iam.getInlinePolicy(o, params.requiredString('PolicyName'));
        return getShape({ [member]: o.name, PolicyName: p.name, PolicyDocument: encodePolicyDocument(p.document) });
      },
    },
    [`Delete${kind}Policy`]: {
      resource,
      handler: async (ctx, params) => {
        await ctx.services.iam.deleteInlinePolicy(owner(ctx, params), params.requiredString('PolicyName'));
        return undefined;
      },
    },
    [`List${kind}Policies`]: {
      resource,
      handler: async (ctx, params) => {
        const page = pageOf(await ctx.services.iam.listInlinePolicies(owner(ctx, params)), params);
        return LIST_NAMES({ PolicyNames: page.items, ...pagingMembers(page) });
      },
    },
    [`Attach${kind}Policy`]: {
      resource,
      handler: async (ctx, params) => {
        await ctx.services.iam.attachPolicy(owner(ctx, params), params.requiredString('PolicyArn'));
        return undefined;
      },
    },
    [`Detach${kind}Policy`]: {
      resource,
      handler: async (ctx, params) => {
        await ctx.services.iam.detachPolicy(owner(ctx, params), params.requiredString('PolicyArn'));
        return undefined;
      },
    },
    [`ListAttached${kind}Policies`]: {
      resource,
      handler: async (ctx, params) => {
        const prefix = params.string('PathPrefix');
        if (prefix !== undefined) checkPathPrefix(prefix);
        const all = await ctx.services.iam.listAttachedPolicies(owner(ctx, params));
        // A policy's path is the part of its ARN between `policy` and its name.
        const kept = prefix === undefined ? all : all.filter((p) => p.policyArn.slice(p.policyArn.indexOf(':policy/') + 7).startsWith(prefix));
        const page = pageOf(kept, params);
        return LIST_ATTACHED({ AttachedPolicies: page.items.map((p) => ATTACHED_POLICY({ PolicyName: p.policyName, PolicyArn: p.policyArn })), ...pagingMembers(page) });
      },
    },
  };
}

export const principalPolicyOperations: QueryOperationTable = { ...operationsFor('User'), ...operationsFor('Role') };
