// What a Query-protocol operation handler (IAM, STS) receives and returns, and how a service's
// handlers are registered: adding an operation is one entry in its service's table.
import type { Config } from '../../config/schema.ts';
import type { Principal } from '../../services/identity.ts';
import type { Services } from '../services.ts';
import type { QueryParams } from './query-params.ts';
import type { Ordered } from './xml.ts';

export interface QueryContext {
  /** Who signed the request (verified). */
  readonly principal: Principal;
  readonly services: Services;
  readonly config: Config;
  readonly now: Date;
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
}

/** A service's implemented operations by Action name. */
export type QueryOperationTable = Readonly<Record<string, QueryOperation>>;
