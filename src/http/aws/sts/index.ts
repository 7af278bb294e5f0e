// The STS operations Wharf implements (Query protocol, Version 2011-06-15): GetCallerIdentity,
// AssumeRole and the unsigned AssumeRoleWithWebIdentity. Parameters are read here; the rules live in
// services/sts.ts (which authorizes AssumeRole with the role's trust policy itself, so the table's
// generic authorization is off for these).
import type { Tag } from '../../../ports/identity-store.ts';
import type { AssumedRole } from '../../../services/sts.ts';
import type { QueryParams } from '../query-params.ts';
import type { QueryOperationTable, UnsignedQueryContext } from '../query-operations.ts';
import { struct } from '../xml.ts';

/** GetCallerIdentityResponse's members, in the model's order (and the other results' below). */
const CALLER_IDENTITY = struct('UserId', 'Account', 'Arn');
const CREDENTIALS = struct('AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration');
const ASSUMED_ROLE_USER = struct('AssumedRoleId', 'Arn');
const ASSUME_ROLE = struct('Credentials', 'AssumedRoleUser', 'PackedPolicySize', 'SourceIdentity');
const ASSUME_ROLE_WITH_WEB_IDENTITY = struct('Credentials', 'SubjectFromWebIdentityToken', 'AssumedRoleUser', 'PackedPolicySize', 'Provider', 'Audience', 'SourceIdentity');

/** The members AssumeRole and AssumeRoleWithWebIdentity share. */
function sessionRequest(params: QueryParams) {
  const durationSeconds = params.integer('DurationSeconds');
  const policy = params.string('Policy');
  const policyArns = params.structList('PolicyArns', [], ['arn'])?.flatMap((p) => (p.arn !== undefined ? [p.arn] : []));
  return {
    roleArn: params.requiredString('RoleArn'), roleSessionName: params.requiredString('RoleSessionName'),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}), ...(policy !== undefined ? { policy } : {}), ...(policyArns ? { policyArns } : {}),
  };
}

/** The members every new session answers with. */
function sessionAnswer(made: AssumedRole) {
  const c = made.credentials;
  return {
    Credentials: CREDENTIALS({ AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration }),
    AssumedRoleUser: ASSUMED_ROLE_USER({ AssumedRoleId: made.assumedRoleId, Arn: made.arn }),
    PackedPolicySize: made.packedPolicySize, SourceIdentity: made.sourceIdentity,
  };
}

/** AssumeRoleWithWebIdentity, signed or not (STS ignores who signed it). */
async function assumeRoleWithWebIdentity({ services }: UnsignedQueryContext, params: QueryParams) {
  const made = await services.sts.assumeRoleWithWebIdentity({ ...sessionRequest(params), webIdentityToken: params.requiredString('WebIdentityToken') });
  return ASSUME_ROLE_WITH_WEB_IDENTITY({ ...sessionAnswer(made), SubjectFromWebIdentityToken: made.subjectFromWebIdentityToken, Provider: made.provider, Audience: made.audience });
}

export const stsOperations: QueryOperationTable = {
  // No permission needed, as in AWS: the same facts are in any AccessDenied message.
  GetCallerIdentity: {
    authorize: false,
    handler: async ({ principal }) => CALLER_IDENTITY({ UserId: principal.userId, Account: principal.accountId, Arn: principal.arn }),
  },
  AssumeRole: {
    authorize: false,
    async handler({ principal, services }, params) {
      const tags: Tag[] | undefined = params.structList('Tags', ['Key', 'Value'])?.map((t) => ({ key: t.Key, value: t.Value }));
      const transitiveTagKeys = params.list('TransitiveTagKeys');
      const externalId = params.string('ExternalId');
      const sourceIdentity = params.string('SourceIdentity');
      const made = await services.sts.assumeRole(principal, {
        ...sessionRequest(params), ...(tags ? { tags } : {}), ...(transitiveTagKeys ? { transitiveTagKeys } : {}),
        ...(externalId !== undefined ? { externalId } : {}), ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      });
      return ASSUME_ROLE(sessionAnswer(made));
    },
  },
  AssumeRoleWithWebIdentity: { authorize: false, handler: assumeRoleWithWebIdentity, unsigned: assumeRoleWithWebIdentity },
};
