// Every implemented ECR operation, by name. Operations of the model not listed here answer
// UnsupportedCommandException naming themselves.
import type { OperationTable } from '../context.ts';
import { authOperations } from './auth.ts';
import { imageOperations } from './images.ts';
import { repositoryOperations } from './repositories.ts';
import { layerOperations } from './layers.ts';
import { repositorySettingsOperations } from './repository-settings.ts';
import { policyOperations } from './policies.ts';
import { registryOperations } from './registry.ts';
import { lifecycleOperations } from './lifecycle.ts';
import { archiveOperations } from './archive.ts';
import { pullExclusionOperations } from './pull-exclusions.ts';

export const operations: OperationTable = {
  ...authOperations,
  ...imageOperations,
  ...repositoryOperations,
  ...layerOperations,
  ...repositorySettingsOperations,
  ...policyOperations,
  ...registryOperations,
  ...lifecycleOperations,
  ...archiveOperations,
  ...pullExclusionOperations,
};
