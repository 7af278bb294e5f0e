// What every IAM operation handler shares: reading tags and paging members, paging a list the service
// returns whole, the caller's account and user name, and the resource ARNs the authorizer is asked
// about (a user's or role's ARN carries its path, so it is read from the store when the entity exists).
import { errors, WharfError } from '../../../domain/errors.ts';
import { checkLength, checkRange } from '../../../domain/aws/iam-input.ts';
import type { Tag } from '../../../ports/identity-store.ts';
import type { Page, PageRequest } from '../../../services/iam.ts';
import type { QueryContext } from '../query-operations.ts';
import type { QueryParams } from '../query-params.ts';

/** The caller's account: every IAM operation acts inside it. */
export function accountOf(ctx: QueryContext): string {
  return ctx.principal.accountId;
}

/** The caller's IAM user name (the last segment of its ARN), or undefined for the account root. */
export function callerUserName(ctx: QueryContext): string | undefined {
  return ctx.principal.kind === 'user' ? ctx.principal.arn.slice(ctx.principal.arn.lastIndexOf('/') + 1) : undefined;
}

/** `Tags.member.N.Key` / `.Value` as the service's tags, or undefined when the request has none. */
export function tagsParam(params: QueryParams, required: true): Tag[];
export function tagsParam(params: QueryParams, required?: false): Tag[] | undefined;
export function tagsParam(params: QueryParams, required = false): Tag[] | undefined {
  const list = required ? params.requiredStructList('Tags', ['Key', 'Value']) : params.structList('Tags', ['Key', 'Value']);
  return list?.map((t) => ({ key: t.Key, value: t.Value }));
}

/** PathPrefix, Marker and MaxItems of a list request. */
export function pageParams(params: QueryParams, pathPrefix = true): PageRequest {
  const req: { pathPrefix?: string; marker?: string; maxItems?: number } = {};
  const prefix = pathPrefix ? params.string('PathPrefix') : undefined;
  const marker = params.string('Marker');
  const maxItems = params.integer('MaxItems');
  if (prefix !== undefined) req.pathPrefix = prefix;
  if (marker !== undefined) req.marker = marker;
  if (maxItems !== undefined) req.maxItems = maxItems;
  return req;
}

/**
 * One page of a list the service answers whole (access keys, inline policy names, attachments,
 * versions, tags): MaxItems 1-1000 (default 100); the Marker is the position of the next item, as
 * decimal text (markers are opaque to clients). A Marker that is not one Wharf gave is InvalidInput.
 */
export function pageOf<T>(items: readonly T[], params: QueryParams): Page<T> {
  const { start, maxItems } = pageWindow(params);
  return windowPage(items.slice(start, start + maxItems), items.length, { start, maxItems });
}

/** Where the page pageOf would answer starts, and its size, for a list whose items are made per page. */
export function pageWindow(params: QueryParams): { start: number; maxItems: number } {
  const { marker, maxItems = 100 } = pageParams(params, false);
  checkRange(maxItems, 'maxItems', 1, 1000);
  let start = 0;
  if (marker !== undefined) {
    checkLength(marker, 'marker', 1, 320);
    if (!/^[1-9][0-9]{0,8}$/.test(marker)) throw errors.iamInvalidInput({ reason: `Invalid Marker: ${marker}` });
    start = Number(marker);
  }
  return { start, maxItems };
}

/** The page of `window` holding `items`, of a list of `total` items (as pageOf answers it). */
export function windowPage<T>(items: T[], total: number, window: { start: number; maxItems: number }): Page<T> {
  const next = window.start + window.maxItems;
  return next < total ? { items, isTruncated: true, marker: String(next) } : { items, isTruncated: false };
}

/** The paging members of a list answer: IsTruncated always, Marker when there is more. */
export function pagingMembers(p: Page<unknown>): { IsTruncated: boolean; Marker?: string } {
  return p.isTruncated ? { IsTruncated: true, Marker: p.marker } : { IsTruncated: false };
}

function isNoSuchEntity(e: unknown): boolean {
  return e instanceof WharfError && e.spec === errors.iamNoSuchEntity.spec;
}

/** `arn:aws:iam::<account>:<kind><path><name>`. */
export function iamArn(account: string, kind: 'user' | 'role' | 'policy', path: string, name: string): string {
  return `arn:aws:iam::${account}:${kind}${path}${name}`;
}

/**
 * The ARN of user `name` for the authorizer: with its path when it exists, with `/` otherwise (the
 * operation then answers NoSuchEntity, once authorized). An invalid name is the ValidationError.
 */
export async function userResource(ctx: QueryContext, name: string): Promise<string> {
  try {
    return (await ctx.services.iam.getUser(accountOf(ctx), name)).arn;
  } catch (e) {
    if (isNoSuchEntity(e)) return iamArn(accountOf(ctx), 'user', '/', name);
    throw e;
  }
}

/** The ARN of role `name` for the authorizer (as userResource). */
export async function roleResource(ctx: QueryContext, name: string): Promise<string> {
  try {
    return (await ctx.services.iam.getRole(accountOf(ctx), name)).arn;
  } catch (e) {
    if (isNoSuchEntity(e)) return iamArn(accountOf(ctx), 'role', '/', name);
    throw e;
  }
}

/** The user an access-key operation acts on: `UserName`, else the caller (a user, or the root's own ARN). */
export async function keyOwnerResource(params: QueryParams, ctx: QueryContext): Promise<string> {
  const name = params.string('UserName') ?? callerUserName(ctx);
  return name === undefined ? ctx.principal.arn : userResource(ctx, name);
}

/** Resource of an operation on the user named by the required `UserName`. */
export const byUserName = (params: QueryParams, ctx: QueryContext): Promise<string> => userResource(ctx, params.requiredString('UserName'));
/** Resource of an operation on the role named by the required `RoleName`. */
export const byRoleName = (params: QueryParams, ctx: QueryContext): Promise<string> => roleResource(ctx, params.requiredString('RoleName'));
/** Resource of an operation on the policy `PolicyArn`. */
export const byPolicyArn = (params: QueryParams): string => params.requiredString('PolicyArn');
/** Resource of an operation on the OIDC provider `OpenIDConnectProviderArn`. */
export const byProviderArn = (params: QueryParams): string => params.requiredString('OpenIDConnectProviderArn');
