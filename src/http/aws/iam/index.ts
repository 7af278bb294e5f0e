// The IAM operations Wharf implements (Query protocol, Version 2010-05-08), one table per entity:
// users with their access keys, managed policies, the policies of users and roles, roles, and
// OpenID Connect providers; and the policy simulator. Handlers parse, call services.iam (the simulator:
// services/iam/simulate.ts) and render the model's shapes.
import type { QueryOperationTable } from '../query-operations.ts';
import { oidcOperations } from './oidc.ts';
import { policyOperations } from './policies.ts';
import { principalPolicyOperations } from './principal-policies.ts';
import { roleOperations } from './roles.ts';
import { simulateOperations } from './simulate.ts';
import { userOperations } from './users.ts';

export const iamOperations: QueryOperationTable = {
  ...userOperations, ...policyOperations, ...principalPolicyOperations, ...roleOperations, ...oidcOperations, ...simulateOperations,
};
