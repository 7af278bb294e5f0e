// IAM's input constraints (the iam 2010-05-08 model's lengths, patterns and ranges, plus IAM's own
// rules on tags and ARNs), checked by the IAM service before it touches the store. A broken model
// constraint is ValidationError with AWS's "1 validation error detected: Value 'x' at 'member' failed
// to satisfy constraint: ..." text; IAM's own rules are InvalidInput.
import { errors } from '../errors.ts';

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const PATH_PREFIX = /^\/[\u0021-\u007E]*$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const DESCRIPTION = /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/;

/** IAM's limits that are not model constraints. */
export const IAM_LIMITS = {
  accessKeysPerUser: 2, policyVersions: 5, attachedPerPrincipal: 10, tagsPerResource: 50, clientIdsPerProvider: 100, thumbprintsPerProvider: 5,
} as const;

function fail(value: unknown, member: string, constraint: string): never {
  throw errors.iamValidation({ violations: [`Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`] });
}

/** Length `min`..`max` (characters), else ValidationError naming `member`. */
export function checkLength(value: string, member: string, min: number, max: number): void {
  if (value.length < min) fail(value, member, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) fail(value, member, `Member must have length less than or equal to ${max}`);
}

/** A user, role, policy or inline-policy name: `[\w+=,.@-]+`, 1..max characters. */
export function checkName(value: string, member: string, max = 64): void {
  checkLength(value, member, 1, max);
  if (!NAME.test(value)) fail(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

/** A path: `/` or `/…/` of printable ASCII, at most 512 characters. */
export function checkPath(value: string, member = 'path'): void {
  checkLength(value, member, 1, 512);
  if (!PATH.test(value)) fail(value, member, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
}

/** A path prefix of a list request. */
export function checkPathPrefix(value: string): void {
  checkLength(value, 'pathPrefix', 1, 512);
  if (!PATH_PREFIX.test(value)) fail(value, 'pathPrefix', 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007E]*');
}

/** A description (roles, policies): at most 1000 characters of the model's set. */
export function checkDescription(value: string): void {
  checkLength(value, 'description', 0, 1000);
  if (!DESCRIPTION.test(value)) fail(value, 'description', 'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*');
}

/** A whole-number value in min..max. */
export function checkRange(value: number, member: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min) fail(value, member, `Member must have value greater than or equal to ${min}`);
  if (value > max) fail(value, member, `Member must have value less than or equal to ${max}`);
}

/** A policy document's raw length (1..131072) before IAM's own checks. */
export function checkDocumentLength(text: string, member: string): void {
  checkLength(text, member, 1, 131072);
}

/** An IAM ARN as a request names one: arn:<partition>:iam::<account or aws>:<resource>. */
export function checkArn(arn: string, member: string): void {
  checkLength(arn, member, 20, 2048);
  if (!/^arn:aws[a-z-]*:iam::([0-9]{12}|aws):\S+$/.test(arn)) throw errors.iamInvalidInput({ reason: `ARN ${arn} is not valid.` });
}

/**
 * The tags of one request: at most 50, key 1-128 and value 0-256 characters of IAM's set, no key twice
 * (keys compare without regard to case). `member` is the request member (`tags`).
 */
export function checkTags(tags: readonly { key: string; value: string }[], member = 'tags'): void {
  if (tags.length > IAM_LIMITS.tagsPerResource) fail(`[${tags.length} tags]`, member, `Member must have length less than or equal to ${IAM_LIMITS.tagsPerResource}`);
  tags.forEach((t, i) => {
    const at = `${member}.${i + 1}.member`;
    checkLength(t.key, `${at}.key`, 1, 128);
    if (!TAG_KEY.test(t.key)) fail(t.key, `${at}.key`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    checkLength(t.value, `${at}.value`, 0, 256);
    if (!TAG_VALUE.test(t.value)) fail(t.value, `${at}.value`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  if (new Set(tags.map((t) => t.key.toLowerCase())).size !== tags.length) {
    throw errors.iamInvalidInput({ reason: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.' });
  }
}

/** Tag keys of an untag request: 1-128 characters each, at most 50. */
export function checkTagKeys(keys: readonly string[]): void {
  if (keys.length > IAM_LIMITS.tagsPerResource) fail(`[${keys.length} keys]`, 'tagKeys', `Member must have length less than or equal to ${IAM_LIMITS.tagsPerResource}`);
  keys.forEach((k, i) => checkLength(k, `tagKeys.${i + 1}.member`, 1, 128));
}

/** One of the model's enum values (e.g. ListPolicies' Scope: All, AWS, Local). */
export function checkEnum<T extends string>(value: string, member: string, allowed: readonly T[]): asserts value is T {
  if (!(allowed as readonly string[]).includes(value)) fail(value, member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
}

/** An access key status. */
export function checkKeyStatus(value: string): asserts value is 'Active' | 'Inactive' {
  if (value !== 'Active' && value !== 'Inactive') fail(value, 'status', 'Member must satisfy enum value set: [Active, Inactive, Expired]');
}

/** An OIDC issuer URL: https://host[/path], 1-255 characters. */
export function checkOidcUrl(url: string): void {
  checkLength(url, 'url', 1, 255);
  if (!/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(url)) throw errors.iamInvalidInput({ reason: 'Invalid Open ID Connect Provider URL' });
}

/** Client ids (1-255 characters each) and thumbprints (40 hexadecimal characters, at most 5). */
export function checkOidcLists(clientIds: readonly string[], thumbprints: readonly string[]): void {
  clientIds.forEach((c, i) => checkLength(c, `clientIDList.${i + 1}.member`, 1, 255));
  if (thumbprints.length > IAM_LIMITS.thumbprintsPerProvider) fail(`[${thumbprints.length} thumbprints]`, 'thumbprintList', 'Member must have length less than or equal to 5');
  thumbprints.forEach((t, i) => {
    checkLength(t, `thumbprintList.${i + 1}.member`, 40, 40);
    if (!/^[0-9a-fA-F]{40}$/.test(t)) throw errors.iamInvalidInput({ reason: `Thumbprint ${t} is not a 40-character hexadecimal string.` });
  });
}

/** An issuer URL as OIDC providers are compared and named: without https:// and a trailing slash. */
export function oidcIssuerKey(url: string): string {
  return url.replace(/^https:\/\//i, '').replace(/\/+$/, '');
}

/** The ARN of the account's OIDC provider for an issuer URL. */
export function oidcProviderArn(accountId: string, url: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${oidcIssuerKey(url)}`;
}
