// Blob and manifest workloads: big pushes (monolithic, chunked), pull, manifest HEAD/GET under hey, small-blob pushes.
import { pool } from './http.ts';
import {
  OCI_MANIFEST, probeSmallPushMode, pullBlob, pushChunked, pushMonolithic, pushSmall, pushSmallImage, type SmallImage,
} from './oci.ts';
import { assertAll, hey } from './tools.ts';
import { MB, R, freshPageCache, median, secs, syncDisks, type Ctx, type Workload } from './workload-kit.ts';

export const pushMono: Workload = {
  name: 'push-mono',
  metrics: [{ key: 'push.mono', label: 'blob push, monolithic (POST + PUT)', unit: 'MB/s', better: 'higher' }],
  repos: () => [R.mono],
  async run({ reg, shared, state }) {
    const runs: number[] = [];
    let dropped = true;
    for (const src of shared.mono) {
      dropped = freshPageCache() && dropped;
      const t0 = performance.now();
      await pushMonolithic(reg.client, R.mono, src.digest(), src.size, src.stream());
      runs.push(src.size / MB / secs(t0));
      state.set('mono', true);
    }
    return { values: { 'push.mono': median(runs) }, info: { runsMBps: runs, bytes: shared.mono[0].size, pageCacheDropped: dropped } };
  },
};

export const pushChunk: Workload = {
  name: 'push-chunked',
  metrics: [{ key: 'push.chunked', label: 'blob push, chunked (16 MiB PATCHes)', unit: 'MB/s', better: 'higher' }],
  repos: () => [R.chunked],
  async run({ reg, shared }) {
    const runs: number[] = [];
    let patches = 0;
    let dropped = true;
    for (const src of shared.chunked) {
      dropped = freshPageCache() && dropped;
      const t0 = performance.now();
      patches = await pushChunked(reg.client, R.chunked, src, shared.sizes.chunk);
      runs.push(src.size / MB / secs(t0));
    }
    return { values: { 'push.chunked': median(runs) }, info: { runsMBps: runs, bytes: shared.chunked[0].size, patches, pageCacheDropped: dropped } };
  },
};

export const pull: Workload = {
  name: 'pull',
  metrics: [{ key: 'pull', label: 'blob pull (GET)', unit: 'MB/s', better: 'higher' }],
  repos: () => [R.mono],
  async run({ reg, shared, state }) {
    const src = shared.mono[0];
    if (!state.get('mono')) {
      await pushMonolithic(reg.client, R.mono, src.digest(), src.size, src.stream()); // setup, untimed
      state.set('mono', true);
    }
    syncDisks();
    await pullBlob(reg.client, R.mono, src.digest()); // untimed warm-up: the blob is in the page cache for both registries
    const runs: number[] = [];
    for (let i = 0; i < shared.sizes.blobRuns; i++) {
      const t0 = performance.now();
      const bytes = await pullBlob(reg.client, R.mono, src.digest());
      runs.push(bytes / MB / secs(t0));
      if (bytes !== src.size) throw new Error(`GET /v2/${R.mono}/blobs/${src.digest()}: got ${bytes} bytes, expected ${src.size}`);
    }
    return { values: { pull: median(runs) }, info: { runsMBps: runs, bytes: src.size } };
  },
};

async function manifestImage(ctx: Ctx): Promise<SmallImage> {
  let img = ctx.state.get('manifestImage') as SmallImage | undefined;
  if (!img) {
    img = await pushSmallImage(ctx.reg.client, R.manifest, ctx.shared.tiny, 'v1');
    // Sanity: the registry serves back the same bytes with the OCI media type.
    const res = await ctx.reg.client.request('GET', `/v2/${R.manifest}/manifests/v1`, { headers: { Accept: OCI_MANIFEST }, expect: [200] });
    if (!res.body.equals(img.manifest) || !String(res.headers['content-type']).startsWith(OCI_MANIFEST)) {
      throw new Error(`GET /v2/${R.manifest}/manifests/v1: served ${res.headers['content-type']} ${res.body.toString().slice(0, 200)}, not the pushed manifest`);
    }
    ctx.state.set('manifestImage', img);
  }
  return img;
}

export function manifestWorkload(method: 'HEAD' | 'GET'): Workload {
  const k = method.toLowerCase();
  return {
    name: `manifest-${k}`,
    metrics: [
      { key: `${k}.rps`, label: `manifest ${method} by tag, c=32`, unit: 'req/s', better: 'higher' },
      { key: `${k}.p99`, label: `manifest ${method} p99 latency`, unit: 'ms', better: 'lower' },
    ],
    repos: () => [R.manifest],
    async run(ctx) {
      await manifestImage(ctx);
      const { reg, shared } = ctx;
      const url = `${reg.url}/v2/${R.manifest}/manifests/v1`;
      const headers = { Accept: OCI_MANIFEST, ...reg.client.authHeaders() };
      const c = shared.sizes.manifestConcurrency;
      // hey sends n/c requests per worker, so keep n a multiple of c to know exactly how many to expect.
      const warm = Math.floor(Math.min(1000, shared.sizes.manifestRequests) / c) * c;
      assertAll(method, url, await hey(method, url, c, warm, headers), warm, 200);
      const n = Math.floor(shared.sizes.manifestRequests / c) * c;
      const h = await hey(method, url, c, n, headers);
      assertAll(method, url, h, n, 200);
      return { values: { [`${k}.rps`]: h.rps, [`${k}.p99`]: h.p99Ms }, info: { requests: n, concurrency: c, p50Ms: h.p50Ms } };
    },
  };
}

export const smallBlobs: Workload = {
  name: 'small-blobs',
  metrics: [{ key: 'small.rate', label: 'small blob pushes (4 KiB, c=16)', unit: 'blobs/s', better: 'higher' }],
  repos: () => [R.small],
  async run({ reg, shared }) {
    const mode = await probeSmallPushMode(reg.client, R.small, shared.probe);
    const t0 = performance.now();
    await pool(shared.small, shared.sizes.smallConcurrency, (b) => pushSmall(reg.client, R.small, b, mode));
    const s = secs(t0);
    if (mode !== 'single-post') reg.notes.push(`small blobs: POST ?digest= with a body answered 202, so each push was POST + PUT (2 requests)`);
    return { values: { 'small.rate': shared.small.length / s }, info: { seconds: s, blobs: shared.small.length, mode } };
  },
};
