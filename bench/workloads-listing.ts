// Listing workloads (tags, catalog, each after an untimed setup) and the skopeo image copy in and out.
import { readFileSync, rmSync } from 'node:fs';
import { pool } from './http.ts';
import { listAll, pushMonolithic, pushSmallImage, putManifest } from './oci.ts';
import { skopeoCopy } from './tools.ts';
import { R, median, secs, type Ctx, type Workload } from './workload-kit.ts';

/** Times `iterations` full listings of each variant (alternating), keeps the median; checks the count each time. */
async function timeListings(ctx: Ctx, variants: Record<string, string>, key: 'tags' | 'repositories', check: (items: string[]) => string | undefined) {
  const times: Record<string, number[]> = {};
  const requests: Record<string, number> = {};
  for (let i = 0; i < ctx.shared.sizes.listIterations; i++) {
    for (const [name, path] of Object.entries(variants)) {
      const t0 = performance.now();
      const l = await listAll(ctx.reg.client, path, key);
      (times[name] ??= []).push(secs(t0));
      requests[name] = l.requests;
      const bad = check(l.items);
      if (bad) throw new Error(`GET ${path} (following Link, ${l.requests} requests): ${bad}`);
    }
  }
  const med: Record<string, number> = {};
  for (const [name, ts] of Object.entries(times)) med[name] = median(ts);
  return { med, times, requests };
}

export const tags: Workload = {
  name: 'tags',
  metrics: [
    { key: 'tags.paginated', label: 'list tags, n=1000 + Link', unit: 's', better: 'lower' },
    { key: 'tags.unpaginated', label: 'list tags, unpaginated', unit: 's', better: 'lower' },
  ],
  repos: () => [R.tags],
  async run(ctx) {
    const { reg, shared } = ctx;
    const n = shared.sizes.tags;
    const names = Array.from({ length: n }, (_, i) => `t${String(i).padStart(5, '0')}`);
    const t0 = performance.now();
    const img = await pushSmallImage(reg.client, R.tags, shared.tiny, names[0]);
    await pool(names.slice(1), shared.sizes.setupConcurrency, (t) => putManifest(reg.client, R.tags, t, img.manifest).then(() => undefined));
    const setup = secs(t0);
    const want = new Set(names);
    const { med, times, requests } = await timeListings(ctx, {
      paginated: `/v2/${R.tags}/tags/list?n=1000`,
      unpaginated: `/v2/${R.tags}/tags/list`,
    }, 'tags', (items) => {
      const got = new Set(items);
      if (items.length !== n || got.size !== n || ![...want].every((t) => got.has(t))) return `got ${items.length} tags (${got.size} distinct), expected the ${n} pushed`;
      return undefined;
    });
    return { values: { 'tags.paginated': med.paginated, 'tags.unpaginated': med.unpaginated }, info: { tags: n, setupSeconds: setup, times, requests } };
  },
};

export const catalog: Workload = {
  name: 'catalog',
  metrics: [
    { key: 'catalog.paginated', label: 'list repositories, n=100 + Link', unit: 's', better: 'lower' },
    { key: 'catalog.unpaginated', label: 'list repositories, unpaginated', unit: 's', better: 'lower' },
  ],
  repos: (s) => R.catalog(s.repos),
  async run(ctx) {
    const { reg, shared } = ctx;
    const repos = R.catalog(shared.sizes.repos);
    const t0 = performance.now();
    const tiny = shared.tiny;
    await pool(repos, shared.sizes.setupConcurrency, (r) => pushMonolithic(reg.client, r, tiny.digest, tiny.data.length, tiny.data));
    const setup = secs(t0);
    let count = 0;
    const { med, times, requests } = await timeListings(ctx, {
      paginated: '/v2/_catalog?n=100',
      unpaginated: '/v2/_catalog',
    }, 'repositories', (items) => {
      count = items.length;
      const got = new Set(items);
      const missing = repos.filter((r) => !got.has(r));
      if (missing.length) return `${missing.length} of the ${repos.length} repositories missing (e.g. ${missing.slice(0, 3).join(', ')}); got ${items.length} names`;
      if (got.size !== items.length) return `${items.length - got.size} duplicate names`;
      return undefined;
    });
    return { values: { 'catalog.paginated': med.paginated, 'catalog.unpaginated': med.unpaginated }, info: { repositories: count, setupSeconds: setup, times, requests } };
  },
};

export const skopeo: Workload = {
  name: 'skopeo',
  metrics: [
    { key: 'skopeo.in', label: 'skopeo copy oci: -> registry', unit: 's', better: 'lower' },
    { key: 'skopeo.out', label: 'skopeo copy registry -> oci:', unit: 's', better: 'lower' },
  ],
  repos: () => [R.image],
  async run({ reg, shared }) {
    const layout = shared.layout;
    if (!layout) throw new Error('OCI layout was not built');
    const ref = `docker://${reg.hostPort}/${R.image}:${layout.tag}`;
    const creds = reg.client.credentials;
    const tin = await skopeoCopy(`oci:${layout.dir}:${layout.tag}`, ref, { destCreds: creds });
    const outDir = `${shared.tmpRoot}/skopeo-out-${reg.kind}`;
    const tout = await skopeoCopy(ref, `oci:${outDir}:${layout.tag}`, { srcCreds: creds });
    const index = JSON.parse(readFileSync(`${outDir}/index.json`, 'utf8')) as { manifests: { digest: string }[] };
    rmSync(outDir, { recursive: true, force: true });
    const roundTrip = index.manifests[0]?.digest === layout.manifestDigest;
    if (!roundTrip) reg.notes.push(`skopeo: manifest came back as ${index.manifests[0]?.digest}, pushed ${layout.manifestDigest}`);
    return { values: { 'skopeo.in': tin, 'skopeo.out': tout }, info: { bytes: layout.bytes, manifestRoundTrip: roundTrip } };
  },
};
