// The IAM operations Wharf implements (Query protocol, Version 2010-05-08): none yet; the identity
// store's operations (CreateUser, CreateAccessKey, PutUserPolicy …) are added here as entries.
import type { QueryOperationTable } from '../query-operations.ts';

export const iamOperations: QueryOperationTable = {};
