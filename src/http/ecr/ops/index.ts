// Every implemented ECR operation, by name. Operations of the model not listed here answer
// UnsupportedCommandException naming themselves.
import type { OperationTable } from '../context.ts';
import { authOperations } from './auth.ts';
import { repositoryOperations } from './repositories.ts';

export const operations: OperationTable = {
  ...authOperations,
  ...repositoryOperations,
};
