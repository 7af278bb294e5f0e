// The STS operations Wharf implements (Query protocol, Version 2011-06-15).
import type { Principal } from '../../../services/identity.ts';
import type { QueryOperationTable } from '../query-operations.ts';
import { struct } from '../xml.ts';

/** GetCallerIdentityResponse's members, in the model's order. */
const CALLER_IDENTITY = struct('UserId', 'Account', 'Arn');

/**
 * The caller's unique id as AWS reports it (`aws:userid`): the account id for the root; a user's
 * `AIDA…` id once the identity store supplies it (until then undefined, and left out of answers).
 */
function userIdOf(p: Principal): string | undefined {
  return p.kind === 'root' ? p.accountId : p.userId;
}

export const stsOperations: QueryOperationTable = {
  // No permission needed, as in AWS: the same facts are in any AccessDenied message.
  GetCallerIdentity: {
    authorize: false,
    handler: async ({ principal }) => CALLER_IDENTITY({ UserId: userIdOf(principal), Account: principal.accountId, Arn: principal.arn }),
  },
};
