// The AWS services Wharf speaks over the Query protocol, told apart by the request's `Version`:
// 2010-05-08 IAM, 2011-06-15 STS. Each has its signing name, XML namespace, the operation names of
// its model, and the table of the operations Wharf implements.
import { iamOperations } from './iam/index.ts';
import { IAM_OPERATIONS, STS_OPERATIONS, STS_UNSIGNED_OPERATIONS } from './operation-names.ts';
import type { QueryOperationTable } from './query-operations.ts';
import { stsOperations } from './sts/index.ts';

export interface QueryService {
  /** Signing name (the credential scope's service), IAM action prefix and metrics label prefix. */
  readonly name: 'iam' | 'sts';
  /** How messages name the service. */
  readonly title: string;
  /** The `Version` parameter that selects it. */
  readonly version: string;
  /** The XML namespace of its answers. */
  readonly xmlns: string;
  /** Every Action of the service's model (implemented or not). */
  readonly actions: ReadonlySet<string>;
  /** Actions the model allows without a signature. */
  readonly unsigned: ReadonlySet<string>;
  /** The implemented ones. */
  readonly operations: QueryOperationTable;
}

export const IAM: QueryService = {
  name: 'iam', title: 'IAM', version: '2010-05-08', xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
  actions: new Set(IAM_OPERATIONS), unsigned: new Set(), operations: iamOperations,
};

export const STS: QueryService = {
  name: 'sts', title: 'STS', version: '2011-06-15', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  actions: new Set(STS_OPERATIONS), unsigned: new Set(STS_UNSIGNED_OPERATIONS), operations: stsOperations,
};

/** Every Query service. */
export const QUERY_SERVICES: readonly QueryService[] = [IAM, STS];

/** The service a `Version` selects, or undefined. */
export function serviceByVersion(version: string | undefined, services: readonly QueryService[] = QUERY_SERVICES): QueryService | undefined {
  return services.find((s) => s.version === version);
}

/** The service whose signing name is `name` (a credential scope's service), or undefined. */
export function serviceBySigningName(name: string | undefined, services: readonly QueryService[] = QUERY_SERVICES): QueryService | undefined {
  return services.find((s) => s.name === name);
}
