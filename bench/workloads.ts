// The list of benchmark workloads, in the order they run, and the group names --only accepts.
import { manifestWorkload, pull, pushChunk, pushMono, smallBlobs } from './workloads-blobs.ts';
import { catalog, skopeo, tags } from './workloads-listing.ts';
import type { Workload } from './workload-kit.ts';

export { FULL, QUICK, type Shared, type Workload, type Better } from './workload-kit.ts';

export const WORKLOADS: Workload[] = [
  pushMono, pushChunk, pull, manifestWorkload('HEAD'), manifestWorkload('GET'), smallBlobs, tags, catalog, skopeo,
];

/** Names accepted by --only, with a few group aliases. */
export const ALIASES: Record<string, string[]> = {
  push: ['push-mono', 'push-chunked'],
  blobs: ['push-mono', 'push-chunked', 'pull'],
  manifest: ['manifest-head', 'manifest-get'],
  listing: ['tags', 'catalog'],
};
