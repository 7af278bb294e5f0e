// Parses /v2/ request paths into routes. Names are validated by the grammar here, once, on the raw
// (undecoded) path: percent-encoding, `..`, `//` and friends never reach a service.
import { errors } from '../../domain/errors.ts';
import { assertRepositoryName } from '../../domain/names.ts';

export type OciRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

const PATTERNS: [RegExp, (m: RegExpMatchArray) => OciRoute][] = [
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] })],
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1], ref: m[2] })],
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1] })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1], id: m[2] })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1], digest: m[2] })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1], digest: m[2] })],
];

/** Returns the route for a raw path starting with /v2, or undefined when no route matches. */
export function parseOciPath(rawPath: string): OciRoute | undefined {
  if (rawPath === '/v2' || rawPath === '/v2/') return { kind: 'base' };
  if (rawPath === '/v2/_catalog') return { kind: 'catalog' };
  const rest = rawPath.slice('/v2/'.length);
  for (const [re, make] of PATTERNS) {
    const m = rest.match(re);
    if (!m) continue;
    const route = make(m);
    if ('name' in route) {
      if (route.name.includes('%')) throw errors.nameInvalid({ name: route.name, reason: 'percent-encoded characters are not allowed' });
      assertRepositoryName(route.name);
    }
    return route;
  }
  return undefined;
}

/** Methods each route kind answers; anything else is 405 UNSUPPORTED. */
export const ROUTE_METHODS: Record<OciRoute['kind'], readonly string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  tags: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  uploads: ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  referrers: ['GET'],
};
