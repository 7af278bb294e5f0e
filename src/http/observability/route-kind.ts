// The low-cardinality route label of a request, for metrics: the /v2/ route kind, the ECR operation
// name, the IAM/STS Action (`sts:GetCallerIdentity`), or a fixed name; never anything taken from a
// repository name or other client-chosen text.
import { IAM_OPERATIONS, STS_OPERATIONS } from '../aws/operation-names.ts';
import { ECR_MODEL, TARGET_PREFIX } from '../ecr/model.ts';

const ECR_OPERATIONS = new Set(Object.keys(ECR_MODEL.operations));

/**
 * The route kind of `/v2/` path `path` (no query), matching what parseOciPath would route it to
 * (`base`, `catalog`, `tags`, `manifest`, `upload` for both upload URLs, `blob`, `referrers`), or
 * `other`. Looks only at the last path segments, without validating the repository name.
 */
export function ociRouteKind(path: string): string {
  if (path === '/v2' || path === '/v2/') return 'base';
  if (path === '/v2/_catalog') return 'catalog';
  const end = path.endsWith('/') ? path.length - 1 : path.length;
  const i = path.lastIndexOf('/', end - 1);
  const j = path.lastIndexOf('/', i - 1);
  if (j <= 3) return 'other'; // no repository name before the route segments
  const last = path.slice(i + 1, end);
  const prev = path.slice(j + 1, i);
  if (end !== path.length) return last === 'uploads' && prev === 'blobs' ? 'upload' : 'other';
  switch (prev) {
    case 'manifests': return 'manifest';
    case 'blobs': return last === 'uploads' ? 'upload' : 'blob';
    case 'referrers': return 'referrers';
    case 'tags': return last === 'list' ? 'tags' : 'other';
    case 'uploads': return path.slice(0, j).endsWith('/blobs') ? 'upload' : 'other';
    default: return 'other';
  }
}

/** The ECR operation an X-Amz-Target names (`AmazonEC2ContainerRegistry_V20150921.ListImages` → `ListImages`), or `unknown`. */
export function ecrOperation(target: string | string[] | undefined): string {
  if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX + '.')) return 'unknown';
  const op = target.slice(TARGET_PREFIX.length + 1);
  return ECR_OPERATIONS.has(op) ? op : 'unknown';
}

/** `<service>:<Action>` for every Action of each Query service's model, made once. */
const QUERY_ROUTES = new Map<string, ReadonlyMap<string, string>>(
  ([['iam', IAM_OPERATIONS], ['sts', STS_OPERATIONS]] as const).map(([service, ops]) => [service, new Map(ops.map((op) => [op, `${service}:${op}`]))]),
);

/**
 * The route label of a Query-protocol request: `iam:<Action>` / `sts:<Action>` when `action` is one
 * of that service's model, else `unknown`. Returns a string made at load time (nothing per request).
 */
export function queryRoute(service: string, action: string | undefined): string {
  return (action !== undefined && QUERY_ROUTES.get(service)?.get(action)) || 'unknown';
}
