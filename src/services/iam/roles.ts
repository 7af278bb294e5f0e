// IAM roles and OIDC identity providers (third layer of IamService): trust policies checked with
// IAM's trust rules, session limits, boundaries; providers with their client ids, thumbprints and an
// optional JWKS (text or file) for issuers Wharf cannot reach.
import { errors } from '../../domain/errors.ts';
import { IAM_POLICY_SIZE, iamPolicySize, parseIamPolicy } from '../../domain/aws/iam-policy.ts';
import {
  IAM_LIMITS, checkArn, checkDescription, checkDocumentLength, checkLength, checkName, checkOidcLists, checkOidcUrl, checkPath, checkRange, checkTags, oidcProviderArn,
} from '../../domain/aws/iam-input.ts';
import type { OidcProviderRecord, RoleRecord, Tag } from '../../ports/identity-store.ts';
import { newIamId } from '../credentials.ts';
import { IamPolicies } from './policies.ts';
import type { Page, PageRequest } from './users.ts';

const SESSION = { min: 3600, max: 43200, default: 3600 } as const;

function checkTrustDocument(text: string): void {
  checkDocumentLength(text, 'assumeRolePolicyDocument');
  parseIamPolicy(text, 'trust');
  if (iamPolicySize(text) > IAM_POLICY_SIZE.trust) throw errors.iamLimitExceeded({ kind: 'quota', quota: 'ACLSizePerRole', max: IAM_POLICY_SIZE.trust });
}

/** A JWKS text must be a JSON object with a `keys` list. */
function checkJwks(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw errors.iamInvalidInput({ reason: 'The JWKS must be a JSON object with a "keys" list (RFC 7517).' });
  }
}

export class IamRoles extends IamPolicies {
  /** CreateRole. MaxSessionDuration 3600-43200 (default 3600). EntityAlreadyExists when the name is taken. */
  async createRole(account: string, input: {
    roleName: string; assumeRolePolicyDocument: string; path?: string; description?: string; maxSessionDuration?: number;
    permissionsBoundary?: string; tags?: readonly Tag[];
  }): Promise<RoleRecord> {
    checkName(input.roleName, 'roleName');
    const path = input.path ?? '/';
    checkPath(path);
    if (input.description !== undefined) checkDescription(input.description);
    const maxSessionDuration = input.maxSessionDuration ?? SESSION.default;
    checkRange(maxSessionDuration, 'maxSessionDuration', SESSION.min, SESSION.max);
    const tags = input.tags ?? [];
    checkTags(tags);
    checkTrustDocument(input.assumeRolePolicyDocument);
    if (input.permissionsBoundary !== undefined) await this.requireAttachable(account, input.permissionsBoundary, 'permissionsBoundary');
    const made = await this.store.createRole({
      accountId: account, name: input.roleName, path, id: newIamId('AROA'), trustPolicy: input.assumeRolePolicyDocument, maxSessionDuration,
      createdAt: this.clock.now(), tags,
      ...(input.description ? { description: input.description } : {}),
      ...(input.permissionsBoundary !== undefined ? { permissionsBoundary: input.permissionsBoundary } : {}),
    });
    if (!made) throw errors.iamEntityAlreadyExists({ kind: 'role', name: input.roleName });
    return made;
  }

  /** GetRole: the role with its trust policy text (STS and the authorizer read it here too). */
  async getRole(account: string, roleName: string): Promise<RoleRecord> {
    checkName(roleName, 'roleName');
    const r = await this.store.getRole(account, roleName);
    if (!r) throw errors.iamNoSuchEntity({ kind: 'role', name: roleName });
    return r;
  }

  /** ListRoles. */
  listRoles(account: string, req: PageRequest = {}): Promise<Page<RoleRecord>> {
    return this.page(req, (q) => this.store.listRoles(account, q));
  }

  /** UpdateRole: description (empty clears it) and/or MaxSessionDuration. */
  async updateRole(account: string, roleName: string, change: { description?: string; maxSessionDuration?: number }): Promise<void> {
    checkName(roleName, 'roleName');
    if (change.description !== undefined) checkDescription(change.description);
    if (change.maxSessionDuration !== undefined) checkRange(change.maxSessionDuration, 'maxSessionDuration', SESSION.min, SESSION.max);
    if (!(await this.store.updateRole(account, roleName, change))) throw errors.iamNoSuchEntity({ kind: 'role', name: roleName });
  }

  /** UpdateAssumeRolePolicy. */
  async updateAssumeRolePolicy(account: string, roleName: string, document: string): Promise<void> {
    checkName(roleName, 'roleName');
    checkTrustDocument(document);
    if (!(await this.store.setTrustPolicy(account, roleName, document))) throw errors.iamNoSuchEntity({ kind: 'role', name: roleName });
  }

  /** PutRolePermissionsBoundary / DeleteRolePermissionsBoundary (`arn` undefined). */
  async setRolePermissionsBoundary(account: string, roleName: string, arn: string | undefined): Promise<void> {
    checkName(roleName, 'roleName');
    if (arn !== undefined) await this.requireAttachable(account, arn, 'permissionsBoundary');
    if (!(await this.store.setRoleBoundary(account, roleName, arn))) throw errors.iamNoSuchEntity({ kind: 'role', name: roleName });
  }

  /** DeleteRole: DeleteConflict while inline or attached policies remain. */
  async deleteRole(account: string, roleName: string): Promise<void> {
    checkName(roleName, 'roleName');
    const r = await this.store.deleteRole(account, roleName);
    if (r === 'missing') throw errors.iamNoSuchEntity({ kind: 'role', name: roleName });
    if (r === 'has-inline') throw errors.iamDeleteConflict({ reason: 'inline-policies' });
    if (r === 'has-attached') throw errors.iamDeleteConflict({ reason: 'attached-policies' });
  }

  /** Records that the role was assumed in `region` (STS calls this). */
  recordRoleUse(account: string, roleName: string, region: string): Promise<void> {
    return this.store.recordRoleUse(account, roleName, { date: this.clock.now(), region });
  }

  /** ListInstanceProfilesForRole: Wharf has no instance profiles; empty for an existing role. */
  async listInstanceProfilesForRole(account: string, roleName: string): Promise<never[]> {
    await this.getRole(account, roleName);
    return [];
  }

  /** NoSuchEntity unless `arn` names an OIDC provider ARN of the account (checked, then returned). */
  private providerArn(account: string, arn: string): string {
    checkArn(arn, 'openIDConnectProviderArn');
    if (!arn.startsWith(`arn:aws:iam::${account}:oidc-provider/`)) throw errors.iamNoSuchEntity({ kind: 'oidc-provider', arn });
    return arn;
  }

  private noProvider(arn: string): never {
    throw errors.iamNoSuchEntity({ kind: 'oidc-provider', arn });
  }

  /** CreateOpenIDConnectProvider; `jwks` / `jwksFile` are Wharf's way to verify tokens offline. */
  async createOpenIDConnectProvider(account: string, input: {
    url: string; clientIdList?: readonly string[]; thumbprintList?: readonly string[]; tags?: readonly Tag[]; jwks?: string; jwksFile?: string;
  }): Promise<OidcProviderRecord> {
    checkOidcUrl(input.url);
    const clientIds = [...new Set(input.clientIdList ?? [])];
    const thumbprints = input.thumbprintList ?? [];
    checkOidcLists(clientIds, thumbprints);
    if (clientIds.length > IAM_LIMITS.clientIdsPerProvider) throw errors.iamLimitExceeded({ kind: 'quota', quota: 'ClientIdsPerOpenIdConnectProvider', max: IAM_LIMITS.clientIdsPerProvider });
    const tags = input.tags ?? [];
    checkTags(tags);
    if (input.jwks !== undefined) checkJwks(input.jwks);
    if (input.jwksFile !== undefined) checkLength(input.jwksFile, 'jwksFile', 1, 4096);
    const made = await this.store.createOidcProvider({
      accountId: account, arn: oidcProviderArn(account, input.url), url: input.url, clientIds, thumbprints, createdAt: this.clock.now(), tags,
      ...(input.jwks !== undefined ? { jwks: input.jwks } : {}), ...(input.jwksFile !== undefined ? { jwksFile: input.jwksFile } : {}),
    });
    if (!made) throw errors.iamEntityAlreadyExists({ kind: 'oidc-provider', url: input.url });
    return made;
  }

  /** GetOpenIDConnectProvider. */
  async getOpenIDConnectProvider(account: string, arn: string): Promise<OidcProviderRecord> {
    return (await this.store.getOidcProvider(this.providerArn(account, arn))) ?? this.noProvider(arn);
  }

  /** ListOpenIDConnectProviders: the account's provider ARNs. */
  async listOpenIDConnectProviders(account: string): Promise<string[]> {
    return (await this.store.listOidcProviders(account)).map((p) => p.arn);
  }

  /** The account's provider for a token issuer (`iss`), for AssumeRoleWithWebIdentity; undefined when none. */
  findOpenIDConnectProvider(account: string, issuer: string): Promise<OidcProviderRecord | undefined> {
    return this.store.findOidcProvider(account, issuer);
  }

  /** DeleteOpenIDConnectProvider. */
  async deleteOpenIDConnectProvider(account: string, arn: string): Promise<void> {
    if (!(await this.store.deleteOidcProvider(this.providerArn(account, arn)))) this.noProvider(arn);
  }

  /** AddClientIDToOpenIDConnectProvider (no change when present; at most 100). */
  async addClientId(account: string, arn: string, clientId: string): Promise<void> {
    checkOidcLists([clientId], []);
    const r = await this.store.addOidcClientId(this.providerArn(account, arn), clientId, IAM_LIMITS.clientIdsPerProvider);
    if (r === 'missing') this.noProvider(arn);
    if (r === 'limit') throw errors.iamLimitExceeded({ kind: 'quota', quota: 'ClientIdsPerOpenIdConnectProvider', max: IAM_LIMITS.clientIdsPerProvider });
  }

  /** RemoveClientIDFromOpenIDConnectProvider (no change when absent). */
  async removeClientId(account: string, arn: string, clientId: string): Promise<void> {
    checkOidcLists([clientId], []);
    if ((await this.store.removeOidcClientId(this.providerArn(account, arn), clientId)) === 'missing') this.noProvider(arn);
  }

  /** UpdateOpenIDConnectProviderThumbprint: replaces the list. */
  async updateThumbprints(account: string, arn: string, thumbprints: readonly string[]): Promise<void> {
    checkOidcLists([], thumbprints);
    if (!(await this.store.setOidcThumbprints(this.providerArn(account, arn), thumbprints))) this.noProvider(arn);
  }

  /** Sets (or, with neither, clears) the JWKS text and/or file used to verify the issuer's tokens. */
  async setJwks(account: string, arn: string, keys: { jwks?: string; jwksFile?: string }): Promise<void> {
    if (keys.jwks !== undefined) checkJwks(keys.jwks);
    if (keys.jwksFile !== undefined) checkLength(keys.jwksFile, 'jwksFile', 1, 4096);
    if (!(await this.store.setOidcJwks(this.providerArn(account, arn), keys))) this.noProvider(arn);
  }
}
