// What a Query-protocol operation handler (IAM, STS) receives and returns, and how a service's
// handlers are registered: adding an operation is one entry in its service's table.
import type { Config } from '../../config/schema.ts';
import type { Principal } from '../../services/identity.ts';
import type { Services } from '../services.ts';
import type { QueryParams } from './query-params.ts';
import type { Ordered } from './xml.ts';

/** What an operation the model allows without a signature receives when called without one. */
export interface UnsignedQueryContext {
  readonly services: Services;
  readonly config: Config;
  readonly now: Date;
}

export interface QueryContext extends UnsignedQueryContext {
  /** Who signed the request (verified). */
  readonly principal: Principal;
}

/**
 * An operation: reads its parameters, returns its result as an ordered structure (rendered inside
 * `<OpResult>`), or undefined for operations whose model has no output (only `<ResponseMetadata>`).
 * It throws catalogue errors; a missing required parameter is the reader's ValidationError.
 */
export type QueryHandler = (ctx: QueryContext, params: QueryParams) => Promise<Ordered | undefined>;

export interface QueryOperation {
  readonly handler: QueryHandler;
  /**
   * The resource ARN the request acts on, for authorization (default `*`), e.g. the user ARN of
   * `UserName` (with the user's path, which may take a store read). Reading parameters here and again
   * in the handler is cheap (a map lookup).
   */
  readonly resource?: (params: QueryParams, ctx: QueryContext) => string | Promise<string>;
  /**
   * Authorized as `<service>:<Action>` on `resource` unless false: for operations AWS answers
   * without any permission (sts:GetCallerIdentity, which even an explicit deny does not block).
   */
  readonly authorize?: false;
  /**
   * For the model's unsigned operations (STS AssumeRoleWithWebIdentity): the entry point of a request
   * without any signature (a signed request still goes to `handler`). Only operations of the
   * service's `unsigned` list may have one.
   */
  readonly unsigned?: (ctx: UnsignedQueryContext, params: QueryParams) => Promise<Ordered | undefined>;
}

/** A service's implemented operations by Action name. */
export type QueryOperationTable = Readonly<Record<string, QueryOperation>>;
