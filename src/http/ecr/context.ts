// What an ECR operation handler receives, and how handlers are registered.
import type { Config } from '../../config/schema.ts';
import { accountOfHost, registryHostName } from '../../domain/registries.ts';
import type { Principal } from '../../services/identity.ts';
import type { Services } from '../services.ts';

export interface EcrContext {
  readonly principal: Principal;
  /** The services of the registry the request addresses (its registryId, else the caller's account). */
  readonly services: Services;
  /** That registry's account id. */
  readonly registryId: string;
  readonly config: Config;
  readonly now: Date;
}

/** An operation: validated input in, output shape out (Dates become epoch seconds on the wire). */
export type EcrHandler = (ctx: EcrContext, input: any) => Promise<Record<string, unknown>>;

/** The resource an operation acts on, for authorization: a repository name, or undefined (registry-wide). */
export type ResourceOf = (input: any) => string | undefined;

export interface EcrOperation {
  readonly handler: EcrHandler;
  /** Defaults to the input's repositoryName. */
  readonly resource?: ResourceOf;
  /** IAM action, default `ecr:<Operation>`. */
  readonly action?: string;
}

export type OperationTable = Record<string, EcrOperation>;

/** The repository ARN ECR uses in responses and policies (`account`: the registry's, default the configured one). */
export function repositoryArn(config: Config, name: string, account: string = config.accountId): string {
  return `arn:aws:ecr:${config.region}:${account}:repository/${name}`;
}

/**
 * The base URL of `account`'s registry (its proxyEndpoint): publicUrl for the default account,
 * publicUrl with the host `<account>.dkr.ecr.<region>.<domain>` for any other when a registry domain
 * is known, and publicUrl itself when none is (such a registry is then reachable only by the API).
 */
export function registryUrl(config: Config, account: string = config.accountId): string {
  const domain = config.registryDomain;
  if (account === config.accountId || domain === undefined) return config.publicUrl;
  const u = new URL(config.publicUrl);
  u.hostname = registryHostName(account, config.region, domain);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * host[:port] of the registry's URL, the prefix of every repositoryUri: no scheme, and no port when
 * it is the scheme's default, so `https://<account>.dkr.ecr.<region>.amazonaws.com` gives ECR's own form.
 */
export function registryHost(config: Config, account: string = config.accountId): string {
  return new URL(registryUrl(config, account)).host;
}

/** The account whose registry a /v2/ request's Host header names (the default account for any other host). */
export function accountOfRequestHost(config: Config, host: string | undefined): string {
  return accountOfHost(host, config.region, config.registryDomain) ?? config.accountId;
}
