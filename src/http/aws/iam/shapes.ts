// IAM's result shapes (iam 2010-05-08 model, member order as the model lists it) and how the
// service's records fill them: users, roles, managed policies and versions, access keys, tags.
// Policy documents are URL-encoded; empty tag lists are left out, as IAM leaves them out.
import type { AccessKeyRecord, PolicyVersionRecord, RoleRecord, Tag, UserRecord } from '../../../ports/identity-store.ts';
import type { ManagedPolicyView } from '../../../services/iam.ts';
import { encodePolicyDocument, struct, type Ordered } from '../xml.ts';

const TAG = struct('Key', 'Value');
const BOUNDARY = struct('PermissionsBoundaryType', 'PermissionsBoundaryArn');
const USER = struct('Path', 'UserName', 'UserId', 'Arn', 'CreateDate', 'PasswordLastUsed', 'PermissionsBoundary', 'Tags');
const ROLE = struct('Path', 'RoleName', 'RoleId', 'Arn', 'CreateDate', 'AssumeRolePolicyDocument', 'Description', 'MaxSessionDuration', 'PermissionsBoundary', 'Tags', 'RoleLastUsed');
const ROLE_LAST_USED = struct('LastUsedDate', 'Region');
const POLICY = struct('PolicyName', 'PolicyId', 'Arn', 'Path', 'DefaultVersionId', 'AttachmentCount', 'PermissionsBoundaryUsageCount', 'IsAttachable', 'Description', 'CreateDate', 'UpdateDate', 'Tags');
const POLICY_VERSION = struct('Document', 'VersionId', 'IsDefaultVersion', 'CreateDate');
const ACCESS_KEY = struct('UserName', 'AccessKeyId', 'Status', 'SecretAccessKey', 'CreateDate');
const ACCESS_KEY_METADATA = struct('UserName', 'AccessKeyId', 'Status', 'CreateDate');
/** AttachedPolicy: one entry of ListAttached{User,Role}Policies. */
export const ATTACHED_POLICY = struct('PolicyName', 'PolicyArn');
/** AccessKeyLastUsed of GetAccessKeyLastUsed. */
export const ACCESS_KEY_LAST_USED = struct('LastUsedDate', 'ServiceName', 'Region');

/** A tag list, or undefined (left out) when there are none. */
export function tagList(tags: readonly Tag[]): Ordered[] | undefined {
  return tags.length === 0 ? undefined : tags.map((t) => TAG({ Key: t.key, Value: t.value }));
}

/** A tag list that is always sent (List*Tags answers, where the model requires it). */
export function tagListAlways(tags: readonly Tag[]): Ordered[] {
  return tags.map((t) => TAG({ Key: t.key, Value: t.value }));
}

function boundary(arn: string | undefined): Ordered | undefined {
  return arn === undefined ? undefined : BOUNDARY({ PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn });
}

/**
 * A User. `full` for GetUser and CreateUser; ListUsers leaves out the boundary and the tags, as IAM's
 * listing operations do.
 */
export function userShape(u: UserRecord, full = true): Ordered {
  return USER({
    Path: u.path, UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: u.createdAt,
    ...(full ? { PermissionsBoundary: boundary(u.permissionsBoundary), Tags: tagList(u.tags) } : {}),
  });
}

/** The account root as GetUser answers it: the account id as UserId, the root ARN, no name or path. */
export function rootUserShape(root: { userId: string; arn: string; createdAt: Date }): Ordered {
  return USER({ UserId: root.userId, Arn: root.arn, CreateDate: root.createdAt });
}

/**
 * A Role with its URL-encoded trust policy. `full` for GetRole and CreateRole (boundary, tags and
 * RoleLastUsed, empty when never used); ListRoles leaves those three out, as IAM does.
 */
export function roleShape(r: RoleRecord, full = true): Ordered {
  return ROLE({
    Path: r.path, RoleName: r.name, RoleId: r.id, Arn: r.arn, CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodePolicyDocument(r.trustPolicy), Description: r.description, MaxSessionDuration: r.maxSessionDuration,
    ...(full ? {
      PermissionsBoundary: boundary(r.permissionsBoundary), Tags: tagList(r.tags),
      RoleLastUsed: ROLE_LAST_USED(r.lastUsed ? { LastUsedDate: r.lastUsed.date, Region: r.lastUsed.region } : {}),
    } : {}),
  });
}

/**
 * A managed Policy. `full` for GetPolicy and CreatePolicy (description and tags); ListPolicies leaves
 * both out, as IAM does. PermissionsBoundaryUsageCount is left out: Wharf does not count boundary uses.
 */
export function policyShape(p: ManagedPolicyView, full = true): Ordered {
  return POLICY({
    PolicyName: p.name, PolicyId: p.id, Arn: p.arn, Path: p.path, DefaultVersionId: p.defaultVersionId, AttachmentCount: p.attachmentCount,
    IsAttachable: p.isAttachable, CreateDate: p.createdAt, UpdateDate: p.updatedAt,
    ...(full ? { Description: p.description, Tags: tagList(p.tags) } : {}),
  });
}

/** A PolicyVersion with its URL-encoded document; ListPolicyVersions (`withDocument` false) leaves it out, as IAM does. */
export function policyVersionShape(v: PolicyVersionRecord, withDocument = true): Ordered {
  return POLICY_VERSION({ Document: withDocument ? encodePolicyDocument(v.document) : undefined, VersionId: v.versionId, IsDefaultVersion: v.isDefault, CreateDate: v.createdAt });
}

/** The AccessKey CreateAccessKey answers, with its secret (shown this once). */
export function accessKeyShape(k: AccessKeyRecord, secretAccessKey: string): Ordered {
  return ACCESS_KEY({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, SecretAccessKey: secretAccessKey, CreateDate: k.createdAt });
}

/** AccessKeyMetadata (ListAccessKeys): never the secret. */
export function accessKeyMetadataShape(k: AccessKeyRecord): Ordered {
  return ACCESS_KEY_METADATA({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createdAt });
}
