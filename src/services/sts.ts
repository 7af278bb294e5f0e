// STS's use cases: AssumeRole (a signed caller becomes a role session) and AssumeRoleWithWebIdentity
// (an OpenID Connect token becomes one), identity reference §1.5-1.6. Authorization is the IAM
// evaluator with the role's trust policy as the resource policy (which must allow the caller itself:
// resourcePolicyKind 'trust') and, for a signed caller, its own identity policies, boundary and session
// policies, on both sides across accounts. Sessions are minted as sealed tokens (sessions.ts): no
// database write but the role's last use.
import { errors, WharfError } from '../domain/errors.ts';
import { iamPolicySize, parseIamPolicy } from '../domain/aws/iam-policy.ts';
import type { ContextValues } from '../domain/aws/context-values.ts';
import { evaluate, type EvalPrincipal } from '../domain/aws/policy-eval.ts';
import { AWS_MANAGED_POLICIES, isAwsManagedArn } from '../domain/aws/managed-policies.ts';
import type { PolicyDocument } from '../domain/aws/policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { RoleRecord, Tag } from '../ports/identity-store.ts';
import type { IamService } from './iam.ts';
import { assumedRoleArn, parseRoleArn, type Principal } from './identity.ts';
import { evalPrincipalOf, principalContext, principalPolicies, type PrincipalPolicyInputs } from './principal-context.ts';
import type { SessionFacts, SessionTokens, TemporaryCredentials } from './sessions.ts';
import type { WebIdentityVerifier } from './web-identity.ts';

/** Session lengths in seconds: STS's bounds, the default, and the cap for role chaining. */
export const SESSION_SECONDS = { min: 900, max: 43200, default: 3600, chained: 3600 } as const;
/** The space a session's policy, policy ARNs and tags may take together, in characters (Wharf's packing, see docs/access-control.md). */
export const PACKED_POLICY_SPACE = 2048;

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const POLICY_CHARS = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** What AssumeRole and AssumeRoleWithWebIdentity share. */
interface SessionRequest {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds?: number;
  /** Inline session policy (JSON text). */
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

export interface AssumeRoleInput extends SessionRequest {
  readonly tags?: readonly Tag[];
  readonly transitiveTagKeys?: readonly string[];
  readonly externalId?: string;
  readonly sourceIdentity?: string;
}

export interface WebIdentityInput extends SessionRequest {
  readonly webIdentityToken: string;
}

/** A new role session. */
export interface AssumedRole {
  readonly credentials: TemporaryCredentials;
  /** AROA…:<session name> */
  readonly assumedRoleId: string;
  /** arn:aws:sts::A:assumed-role/<role>/<session> */
  readonly arn: string;
  /** How much of the packed space the session policy, policy ARNs and tags use, in percent (when any were given). */
  readonly packedPolicySize?: number;
  readonly sourceIdentity?: string;
}

export interface AssumedWebIdentity extends AssumedRole {
  /** The token's `sub`. */
  readonly subjectFromWebIdentityToken: string;
  /** The OIDC provider's ARN. */
  readonly provider: string;
  /** The client id the token was issued to. */
  readonly audience: string;
}

function violation(value: unknown, member: string, constraint: string): WharfError {
  return errors.validation({ violations: [`Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`] });
}

function checkLength(value: string, member: string, min: number, max: number): void {
  if (value.length < min) throw violation(value, member, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw violation(value, member, `Member must have length less than or equal to ${max}`);
}

function checkPattern(value: string, member: string, re: RegExp, pattern: string): void {
  if (!re.test(value)) throw violation(value, member, `Member must satisfy regular expression pattern: ${pattern}`);
}

/** The model's constraints of the members both operations take; returns the role's account and name. */
function checkSessionRequest(input: SessionRequest, policyMax: number | undefined): { accountId: string; roleName: string } {
  checkLength(input.roleArn, 'roleArn', 20, 2048);
  checkLength(input.roleSessionName, 'roleSessionName', 2, 64);
  checkPattern(input.roleSessionName, 'roleSessionName', SESSION_NAME, '[\\w+=,.@-]*');
  const d = input.durationSeconds;
  if (d !== undefined && d < SESSION_SECONDS.min) throw violation(d, 'durationSeconds', `Member must have value greater than or equal to ${SESSION_SECONDS.min}`);
  if (d !== undefined && d > SESSION_SECONDS.max) throw violation(d, 'durationSeconds', `Member must have value less than or equal to ${SESSION_SECONDS.max}`);
  if (input.policy !== undefined) {
    checkLength(input.policy, 'policy', 1, policyMax ?? Infinity);
    checkPattern(input.policy, 'policy', POLICY_CHARS, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
  }
  (input.policyArns ?? []).forEach((arn, i) => checkLength(arn, `policyArns.${i + 1}.member.arn`, 20, 2048));
  const ref = parseRoleArn(input.roleArn);
  if (!ref) throw violation(input.roleArn, 'roleArn', 'Member must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)');
  return ref;
}

function checkTags(tags: readonly Tag[], transitive: readonly string[]): void {
  if (tags.length > 50) throw violation(`[${tags.length} tags]`, 'tags', 'Member must have length less than or equal to 50');
  tags.forEach((t, i) => {
    const at = `tags.${i + 1}.member`;
    checkLength(t.key, `${at}.key`, 1, 128);
    checkPattern(t.key, `${at}.key`, TAG_KEY, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    checkLength(t.value, `${at}.value`, 0, 256);
    checkPattern(t.value, `${at}.value`, TAG_VALUE, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  if (new Set(tags.map((t) => t.key.toLowerCase())).size !== tags.length) {
    throw errors.validation({ violations: ['Duplicate tag keys found. Please note that Tag keys are case insensitive.'] });
  }
  if (transitive.length > 50) throw violation(`[${transitive.length} keys]`, 'transitiveTagKeys', 'Member must have length less than or equal to 50');
  transitive.forEach((k, i) => {
    checkLength(k, `transitiveTagKeys.${i + 1}.member`, 1, 128);
    checkPattern(k, `transitiveTagKeys.${i + 1}.member`, TAG_KEY, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
  });
}

/** The percentage of PACKED_POLICY_SPACE a session's policy (without white space), policy ARNs and tags take. */
export function packedPolicyPercent(policy: string | undefined, policyArns: readonly string[], tags: readonly Tag[]): number {
  const used = (policy === undefined ? 0 : iamPolicySize(policy)) + policyArns.reduce((n, a) => n + a.length, 0) + tags.reduce((n, t) => n + t.key.length + t.value.length, 0);
  return Math.ceil((used * 100) / PACKED_POLICY_SPACE);
}

export class StsService {
  constructor(
    private readonly iam: IamService, private readonly sessions: SessionTokens, private readonly webIdentity: WebIdentityVerifier,
    private readonly clock: Clock, private readonly region: string,
  ) {}

  /**
   * AssumeRole for a signed `caller`. `transport`: request context keys the HTTP layer knows
   * (aws:SourceIp, aws:SecureTransport, aws:UserAgent …). AccessDenied with STS's text when the trust
   * policy (and, for a user or session, its own policies) do not allow sts:AssumeRole on the role,
   * sts:TagSession when tags are passed, or sts:SetSourceIdentity when a source identity is; a role
   * that does not exist is denied the same way (STS does not say which).
   */
  async assumeRole(caller: Principal, input: AssumeRoleInput, transport: ContextValues = {}): Promise<AssumedRole> {
    const ref = checkSessionRequest(input, undefined);
    const requestTags = input.tags ?? [];
    const requestTransitive = input.transitiveTagKeys ?? [];
    checkTags(requestTags, requestTransitive);
    if (input.externalId !== undefined) {
      checkLength(input.externalId, 'externalId', 2, 1224);
      checkPattern(input.externalId, 'externalId', EXTERNAL_ID, '[\\w+=,.@:\\/-]*');
    }
    if (input.sourceIdentity !== undefined) {
      checkLength(input.sourceIdentity, 'sourceIdentity', 2, 64);
      checkPattern(input.sourceIdentity, 'sourceIdentity', SESSION_NAME, '[\\w+=,.@-]*');
    }
    const denied = (action: string, roleArn = input.roleArn) => errors.denied({ reason: `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}` });
    const role = await this.roleOrUndefined(ref.accountId, ref.roleName);
    const own = await principalPolicies(this.iam, caller);
    if (!role || !own) throw denied('sts:AssumeRole');

    // Role chaining: at most an hour; the calling session's transitive tags and source identity carry on.
    const chained = caller.session;
    const duration = this.duration(input.durationSeconds, role, chained !== undefined);
    const carried = chained ? chained.tags.filter((t) => chained.transitiveTagKeys.some((k) => k.toLowerCase() === t.key.toLowerCase())) : [];
    const carriedKeys = new Set(carried.map((t) => t.key.toLowerCase()));
    const overridden = requestTags.find((t) => carriedKeys.has(t.key.toLowerCase()));
    if (overridden) throw errors.validation({ violations: [`Tag key ${overridden.key} is a transitive tag of the calling session and cannot be set again.`] });
    const tags = [...carried, ...requestTags];
    if (tags.length > 50) throw violation(`[${tags.length} tags]`, 'tags', 'Member must have length less than or equal to 50 (transitive tags of the calling session included)');
    const transitiveTagKeys = [...new Set([...carried.map((t) => t.key), ...requestTransitive])];
    const sourceIdentity = input.sourceIdentity ?? chained?.sourceIdentity;
    if (chained?.sourceIdentity !== undefined && input.sourceIdentity !== undefined && input.sourceIdentity !== chained.sourceIdentity) {
      throw errors.validation({ violations: ['SourceIdentity cannot be changed once set: the calling session has another one.'] });
    }
    const policyDocument = this.sessionPolicy(input.policy);
    await this.checkPolicyArns(role.accountId, input.policyArns ?? []);

    const context: ContextValues = {
      ...transport, ...principalContext(caller), ...this.requestContext(role, input.roleSessionName),
      ...(input.externalId !== undefined ? { 'sts:ExternalId': input.externalId } : {}),
      ...(input.sourceIdentity !== undefined ? { 'sts:SourceIdentity': input.sourceIdentity } : {}),
      ...Object.fromEntries(requestTags.map((t) => [`aws:RequestTag/${t.key}`, t.value])),
      ...(requestTags.length > 0 ? { 'aws:TagKeys': requestTags.map((t) => t.key) } : {}),
      ...(requestTransitive.length > 0 ? { 'sts:TransitiveTagKeys': requestTransitive } : {}),
    };
    const who = evalPrincipalOf(caller);
    const trust = parseIamPolicy(role.trustPolicy, 'trust');
    if (!this.allows('sts:AssumeRole', who, own, role, trust, context)) throw denied('sts:AssumeRole', role.arn);
    if (requestTags.length > 0 && !this.allows('sts:TagSession', who, own, role, trust, context)) throw denied('sts:TagSession', role.arn);
    if (input.sourceIdentity !== undefined && !this.allows('sts:SetSourceIdentity', who, own, role, trust, context)) throw denied('sts:SetSourceIdentity', role.arn);

    return this.mint(role, input, duration, policyDocument, {
      ...(tags.length > 0 ? { tags } : {}), ...(transitiveTagKeys.length > 0 ? { transitiveTagKeys } : {}),
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
    });
  }

  /**
   * AssumeRoleWithWebIdentity (unsigned): verifies the token against the role's account's OIDC
   * providers (web-identity.ts), then the trust policy must allow sts:AssumeRoleWithWebIdentity to
   * `{"Federated": <provider ARN>}` with the token's `<issuer>:sub`, `:aud` and `:amr` as context.
   */
  async assumeRoleWithWebIdentity(input: WebIdentityInput, transport: ContextValues = {}): Promise<AssumedWebIdentity> {
    const ref = checkSessionRequest(input, 2048);
    // The token is a credential: its length is checked without echoing it, as for any sensitive member.
    const n = input.webIdentityToken.length;
    if (n < 4 || n > 20000) {
      throw errors.validation({ violations: [`Value at 'webIdentityToken' failed to satisfy constraint: Member must have length ${n < 4 ? 'greater than or equal to 4' : 'less than or equal to 20000'}`] });
    }
    const id = await this.webIdentity.verify(ref.accountId, input.webIdentityToken);
    const denied = () => errors.denied({ reason: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
    const role = await this.roleOrUndefined(ref.accountId, ref.roleName);
    if (!role) throw denied();
    const duration = this.duration(input.durationSeconds, role, false);
    const policyDocument = this.sessionPolicy(input.policy);
    await this.checkPolicyArns(role.accountId, input.policyArns ?? []);
    const context: ContextValues = {
      ...transport, ...this.requestContext(role, input.roleSessionName),
      'aws:FederatedProvider': id.provider.arn,
      [`${id.issuerKey}:sub`]: id.subject, [`${id.issuerKey}:aud`]: id.audience,
      ...(id.amr ? { [`${id.issuerKey}:amr`]: id.amr } : {}),
    };
    const who: EvalPrincipal = { kind: 'federated', arn: id.provider.arn, accountId: '' };
    if (!this.allows('sts:AssumeRoleWithWebIdentity', who, { identityPolicies: [] }, role, parseIamPolicy(role.trustPolicy, 'trust'), context)) throw denied();
    const made = await this.mint(role, input, duration, policyDocument, { federatedProvider: id.provider.arn });
    return { ...made, subjectFromWebIdentityToken: id.subject, provider: id.provider.arn, audience: id.audience };
  }

  private async roleOrUndefined(account: string, name: string): Promise<RoleRecord | undefined> {
    try {
      return await this.iam.getRole(account, name);
    } catch (e) {
      if (e instanceof WharfError && e.spec === errors.iamNoSuchEntity.spec) return undefined;
      throw e;
    }
  }

  /** DurationSeconds within the role's MaxSessionDuration (and an hour when chaining), with STS's texts. */
  private duration(requested: number | undefined, role: RoleRecord, chained: boolean): number {
    const d = requested ?? SESSION_SECONDS.default;
    if (d > role.maxSessionDuration) throw errors.validation({ violations: ['The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'] });
    if (chained && d > SESSION_SECONDS.chained) throw errors.validation({ violations: ['The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'] });
    return d;
  }

  /** The inline session policy, checked as IAM checks session policies (MalformedPolicyDocument). */
  private sessionPolicy(text: string | undefined): PolicyDocument | undefined {
    return text === undefined ? undefined : parseIamPolicy(text, 'session');
  }

  /** At most 10 PolicyArns, each a built-in AWS managed policy or a managed policy of the role's account. */
  private async checkPolicyArns(account: string, arns: readonly string[]): Promise<void> {
    if (arns.length > 10) throw violation(`[${arns.length} policy ARNs]`, 'policyArns', 'Member must have length less than or equal to 10');
    for (const arn of arns) {
      const known = isAwsManagedArn(arn) ? AWS_MANAGED_POLICIES.has(arn) : (await this.iam.defaultPolicyDocument(account, arn)) !== undefined;
      if (!known) throw errors.validation({ violations: [`Policy ${arn} does not exist or is not attachable.`] });
    }
  }

  /** The context keys of the request itself: time, region, the session name and the role's tags. */
  private requestContext(role: RoleRecord, sessionName: string): ContextValues {
    const now = this.clock.now();
    return {
      'aws:CurrentTime': now.toISOString(), 'aws:EpochTime': Math.floor(now.getTime() / 1000), 'aws:RequestedRegion': this.region,
      'sts:RoleSessionName': sessionName,
      ...Object.fromEntries(role.tags.flatMap((t) => [[`iam:ResourceTag/${t.key}`, t.value], [`aws:ResourceTag/${t.key}`, t.value]])),
    };
  }

  /** One decision on the role: its trust policy (parsed), and the caller's own policies when it has any. */
  private allows(action: string, who: EvalPrincipal, own: PrincipalPolicyInputs, role: RoleRecord, trust: PolicyDocument, context: ContextValues): boolean {
    return evaluate({
      principal: who, action, resource: role.arn, resourceAccount: role.accountId, context,
      identityPolicies: own.identityPolicies,
      ...(own.permissionsBoundary ? { permissionsBoundary: own.permissionsBoundary } : {}),
      ...(own.sessionPolicies ? { sessionPolicies: own.sessionPolicies } : {}),
      resourcePolicies: [{ id: `${role.arn}/trust-policy`, document: trust }], resourcePolicyKind: 'trust',
    }).decision === 'Allow';
  }

  /** Seals the session, records the role's use, and builds STS's answer. */
  private async mint(role: RoleRecord, input: SessionRequest, seconds: number, policy: PolicyDocument | undefined, extra: Partial<SessionFacts>): Promise<AssumedRole> {
    const policyArns = input.policyArns ?? [];
    const given = policy !== undefined || policyArns.length > 0 || (extra.tags?.length ?? 0) > 0;
    const percent = packedPolicyPercent(input.policy, policyArns, extra.tags ?? []);
    if (percent > 100) throw errors.packedPolicyTooLarge({ percent });
    const now = this.clock.now().getTime();
    const facts: SessionFacts = {
      roleArn: role.arn, roleId: role.id, sessionName: input.roleSessionName, issuedAt: now, expiresAt: now + seconds * 1000,
      ...(input.policy !== undefined ? { policy: input.policy } : {}), ...(policyArns.length > 0 ? { policyArns } : {}), ...extra,
    };
    const credentials = this.sessions.mint(facts);
    await this.iam.recordRoleUse(role.accountId, role.name, this.region);
    return {
      credentials, assumedRoleId: `${role.id}:${input.roleSessionName}`, arn: assumedRoleArn(role.accountId, role.name, input.roleSessionName),
      ...(given ? { packedPolicySize: percent } : {}), ...(facts.sourceIdentity !== undefined ? { sourceIdentity: facts.sourceIdentity } : {}),
    };
  }
}
