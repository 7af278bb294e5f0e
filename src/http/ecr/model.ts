// The ECR API model (botocore's service-2.json for 2015-09-21, documentation stripped; Apache-2.0,
// see NOTICE): the list of operations and the input shapes every request is validated against.
import type { ServiceModel } from '../../domain/aws/validate.ts';
import model from '../../domain/aws/ecr-2015-09-21.json' with { type: 'json' };

export const ECR_MODEL = model as unknown as ServiceModel;
export const TARGET_PREFIX = ECR_MODEL.metadata.targetPrefix;
export const SIGNING_NAME = ECR_MODEL.metadata.signingName;
