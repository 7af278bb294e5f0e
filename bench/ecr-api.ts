// The ECR API row of the benchmark: DescribeImages and BatchGetImage requests per second and p99 at
// concurrency 32 on a repository holding 10,000 images. Wharf only (Distribution has no ECR API).
// Run: node --import tsx bench/ecr-api.ts [--images N] [--requests N]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newAccessKey, sign, BENCH_REGION } from './ecr-login.ts';
import { freePort, WHARF_BIN } from './registries.ts';
import { run } from './tools.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const IMAGES = arg('--images', 10_000);
const REQUESTS = arg('--requests', 10_000);
const REPO = 'bench/api';
const TARGET = 'AmazonEC2ContainerRegistry_V20150921.';
const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-api-'));
  const key = newAccessKey();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, WHARF_LOG_LEVEL: 'warn', WHARF_REGION: BENCH_REGION, WHARF_ROOT_ACCESS_KEY_ID: key.accessKeyId, WHARF_ROOT_SECRET_ACCESS_KEY: key.secretAccessKey };
  const proc = spawn(WHARF_BIN, ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data')], { env, stdio: 'inherit' });
  try {
    for (let i = 0; ; i++) {
      try { await fetch(`${url}/v2/`); break; } catch { if (i > 200) throw new Error('wharf did not start'); await new Promise((r) => setTimeout(r, 100)); }
    }
    const api = async (op: string, input: unknown) => {
      const body = JSON.stringify(input);
      const res = await fetch(`${url}/`, { method: 'POST', headers: sign(key, `127.0.0.1:${port}`, TARGET + op, body), body });
      if (res.status !== 200) throw new Error(`${op} -> ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    await api('CreateRepository', { repositoryName: REPO });
    const token = (await api('GetAuthorizationToken', {})).authorizationData[0].authorizationToken;
    const auth = { authorization: `Basic ${token}` };
    const put = async (method: string, path: string, body: Buffer | string, headers: Record<string, string>) => {
      const res = await fetch(`${url}${path}`, { method, headers: { ...auth, ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
      if (res.status !== 201) throw new Error(`${path} -> ${res.status} ${await res.text()}`);
    };
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = randomBytes(1024);
    for (const b of [config, layer]) await put('POST', `/v2/${REPO}/blobs/uploads/?digest=${sha(b)}`, b, { 'content-type': 'application/octet-stream' });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < IMAGES) {
        const i = next++;
        const m = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }], annotations: { n: String(i) } });
        await put('PUT', `/v2/${REPO}/manifests/t${i}`, m, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      }
    }));
    console.log(`setup: ${IMAGES} images pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const rows: string[] = [];
    const cases: [string, string, unknown][] = [
      ['DescribeImages (first page of 100)', 'DescribeImages', { repositoryName: REPO, maxResults: 100 }],
      ['DescribeImages (one image by tag)', 'DescribeImages', { repositoryName: REPO, imageIds: [{ imageTag: `t${Math.floor(IMAGES / 2)}` }] }],
      ['BatchGetImage (one image by tag)', 'BatchGetImage', { repositoryName: REPO, imageIds: [{ imageTag: `t${Math.floor(IMAGES / 2)}` }] }],
    ];
    for (const [label, op, input] of cases) {
      await api(op, input); // fails loudly (with the server's message) before the burst if the call is wrong
      const body = JSON.stringify(input);
      // One signature serves the whole burst: SigV4 signatures stay valid for 15 minutes.
      const headers = sign(key, `127.0.0.1:${port}`, TARGET + op, body);
      const args = ['-m', 'POST', '-c', '32', '-n', String(REQUESTS), '-t', '20', '-d', body, '-T', headers['content-type']];
      for (const [k, v] of Object.entries(headers)) if (k !== 'content-type' && k !== 'host') args.push('-H', `${k}: ${v}`);
      const r = await run('hey', [...args, `${url}/`], 10 * 60_000);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
      const p99 = Number(/99%+ in ([\d.]+) secs/.exec(r.stdout)?.[1]) * 1000;
      const ok = /\[200\]\s+(\d+) responses/.exec(r.stdout)?.[1];
      // hey splits -n evenly over its 32 workers, so it sends the largest multiple of 32 not above it.
      if (Number(ok) !== Math.floor(REQUESTS / 32) * 32) throw new Error(`${label}: not every request got 200:\n${r.stdout.slice(-800)}`);
      rows.push(`| ${label} | ${rps.toFixed(0)} | ${p99.toFixed(1)} |`);
    }
    console.log(`\n| ECR API on ${IMAGES} images, c=32 | req/s | p99 ms |\n|---|--:|--:|\n${rows.join('\n')}`);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
