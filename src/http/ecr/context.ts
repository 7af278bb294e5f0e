// What an ECR operation handler receives, and how handlers are registered.
import type { Config } from '../../config/schema.ts';
import type { Principal } from '../../services/identity.ts';
import type { Services } from '../services.ts';

export interface EcrContext {
  readonly principal: Principal;
  readonly services: Services;
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

/** The repository ARN ECR uses in responses and policies. */
export function repositoryArn(config: Config, name: string): string {
  return `arn:aws:ecr:${config.region}:${config.accountId}:repository/${name}`;
}

/**
 * host[:port] of the public URL, the prefix of every repositoryUri: no scheme, and no port when it is
 * the scheme's default, so `https://<account>.dkr.ecr.<region>.amazonaws.com` gives ECR's own form.
 */
export function registryHost(config: Config): string {
  return new URL(config.publicUrl).host;
}
