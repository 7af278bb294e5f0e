// The AWS-managed policies Wharf has built in: read-only, attachable to users and roles, at
// arn:aws:iam::aws:policy/<name>. These are the ECR ones Terraform configurations attach. Their
// documents follow the ECR User Guide page "AWS managed policies for Amazon ECR"
// (security-iam-awsmanpol, https://docs.aws.amazon.com/AmazonECR/latest/userguide/security-iam-awsmanpol.html).
// The real documents could not be read while this was written, so the action lists are the ones that
// page and Wharf's reference state (ecr: actions only; AWS's PowerUser and FullAccess documents also
// grant a few actions of other services that Wharf does not serve, e.g. FullAccess's
// iam:CreateServiceLinkedRole for replication).

/** One built-in AWS-managed policy. */
export interface AwsManagedPolicy {
  readonly name: string;
  readonly arn: string;
  readonly description: string;
  /** Always v1: Wharf ships one version of each. */
  readonly defaultVersionId: 'v1';
  readonly document: string;
}

const READ_ONLY = [
  'ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy',
  'ecr:DescribeRepositories', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:GetLifecyclePolicy',
  'ecr:GetLifecyclePolicyPreview', 'ecr:ListTagsForResource', 'ecr:DescribeImageScanFindings',
];
const PULL_ONLY = ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];
const POWER_USER = [...READ_ONLY, 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];

function managed(name: string, description: string, actions: string | string[]): AwsManagedPolicy {
  const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }, null, 4);
  return { name, arn: `arn:aws:iam::aws:policy/${name}`, description, defaultVersionId: 'v1', document };
}

/** The built-in policies by ARN. */
export const AWS_MANAGED_POLICIES: ReadonlyMap<string, AwsManagedPolicy> = new Map([
  managed('AmazonEC2ContainerRegistryReadOnly', 'Provides read-only access to Amazon EC2 Container Registry repositories.', READ_ONLY),
  managed('AmazonEC2ContainerRegistryPullOnly', 'Provides pull access to Amazon EC2 Container Registry repositories.', PULL_ONLY),
  managed('AmazonEC2ContainerRegistryPowerUser', 'Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.', POWER_USER),
  managed('AmazonEC2ContainerRegistryFullAccess', 'Provides administrative access to Amazon ECR resources', 'ecr:*'),
].map((p) => [p.arn, p]));

/** True for an ARN in AWS's managed-policy namespace (built in or not). */
export function isAwsManagedArn(arn: string): boolean {
  return arn.startsWith('arn:aws:iam::aws:policy/');
}
