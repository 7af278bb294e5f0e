// A full disk, for real: Wharf runs in a private mount namespace on a 48 MiB tmpfs (the machine's
// disks are untouched), a filler file takes the last byte, and pushes must fail with StorageFull
// (507 / ServerException), store nothing, log it once, and work again once the filler is gone.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetImageCommand, CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { buildImage, sha256, writeLayout, type BuiltImage } from '../helpers/oci-layout.ts';
import { RegistryClient, type Exchange } from '../helpers/registry-client.ts';
import { startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { hasTool, requireTools } from '../helpers/tools.ts';
import { skopeo } from './support.ts';

const REPO = 'e2e/disk-full';

/**
 * Skips unless this process may mount a tmpfs in a private mount namespace (root, with the
 * capability: some containers refuse it), or fails under WHARF_REQUIRE_TOOLS=1 (CI runs as root).
 */
function requireMountNamespace(t: TestContext): boolean {
  let why: string | undefined;
  if (process.getuid?.() !== 0) why = 'needs root: the test mounts a tmpfs in a private mount namespace (unshare --mount)';
  else {
    try {
      execFileSync('unshare', ['--mount', '--', 'sh', '-c', 'mount -t tmpfs -o size=1m wharf-probe /mnt'], { stdio: 'pipe' });
    } catch (e) {
      why = `cannot mount a tmpfs in a private mount namespace here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    }
  }
  if (why === undefined) return true;
  if (process.env.WHARF_REQUIRE_TOOLS === '1') throw new Error(why);
  t.skip(why);
  return false;
}

/** Writes zeros to `path` until the filesystem refuses (ENOSPC); returns the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  let total = 0;
  try {
    for (;;) {
      try {
        total += writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return total;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

interface LogLine { level: number; msg: string; store?: string }

function logLines(w: RunningWharf): LogLine[] {
  return w.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/**
 * The log lines so far, once `count` of them match `pick` (or after a deadline): the server writes a
 * line before it answers, but its stdout pipe may reach this process after the HTTP response.
 */
async function linesOnce(w: RunningWharf, pick: (l: LogLine) => boolean, count: number): Promise<LogLine[]> {
  for (const deadline = Date.now() + 10_000; logLines(w).filter(pick).length < count && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return logLines(w);
}

/** Pulls `image` by `reference` and asserts manifest and every blob come back byte-identical. */
async function expectPullsBack(client: RegistryClient, image: BuiltImage, reference: string): Promise<void> {
  const m = await client.getManifest(REPO, reference);
  assert.equal(m.status, 200, m.describe());
  assert.equal(sha256(m.body), image.descriptor.digest, `manifest ${reference} byte-identical`);
  for (const [digest, bytes] of image.blobs) {
    const b = await client.getBlob(REPO, digest);
    assert.equal(b.status, 200, b.describe());
    assert.ok(b.body.equals(bytes), `blob ${digest} byte-identical`);
  }
}

function expectStorageFull(x: Exchange): void {
  assert.equal(x.status, 507, x.describe());
  assert.equal(x.json?.errors?.[0]?.code, 'UNAVAILABLE', x.describe());
  assert.match(x.json.errors[0].message, /^insufficient storage: the registry's (blob|metadata) store is out of space/, x.describe());
}

test('a full disk answers StorageFull, stores nothing, logs once, and pushes work again when space returns', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'unshare', 'mount') || !requireMountNamespace(t)) return;
  const mnt = mkdtempSync(join(tmpdir(), 'wharf-full-'));
  t.after(() => rmSync(mnt, { recursive: true, force: true }));
  const w = await startWharf({
    dataDir: join(mnt, 'data'),
    env: { WHARF_LOG_LEVEL: 'info' },
    // The tmpfs exists only in the namespace; it goes away with the process. `exec` keeps Wharf's pid.
    wrap: (program, args) => ['unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
      'mount -t tmpfs -o size=48m wharf-disk-full "$0" && exec "$@"', mnt, program, ...args]],
  });
  t.after(() => w.stop());
  // The namespace's view of the mount point, from this (host) process.
  const inside = `/proc/${w.proc.pid}/root${mnt}`;
  const ecr = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  t.after(() => ecr.destroy());
  const client = new RegistryClient(w.url);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));

  // Before: image A pushed; image B's blobs pushed (its manifest waits); a chunked session holds 1000 bytes.
  const a = buildImage({ layers: ['gzip', 'none'], layerBytes: 200 * 1024 });
  await client.push(REPO, a, 'a');
  const b = buildImage({ layers: ['gzip'], layerBytes: 100 * 1024 });
  for (const bytes of b.blobs.values()) await client.ensureBlob(REPO, bytes);
  const big = randomBytes(10 << 20); // past the 4 MiB the store has in flight: the failure comes mid-request
  const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  assert.equal(start.status, 202, start.describe());
  const session = start.headers.get('location')!;
  const first = await client.request('PATCH', session, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-999', 'Content-Length': '1000' }, body: big.subarray(0, 1000),
  });
  assert.equal(first.status, 202, first.describe());

  const filler = join(inside, 'filler');
  const filled = fillDisk(filler);
  assert.ok(filled > 0, 'the filler took the free space');
  let fillerGone = false;
  t.after(() => { if (!fillerGone) unlinkSync(filler); });
  const rest = big.subarray(1000);
  const patchRest = () => client.request('PATCH', session, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `1000-${big.length - 1}`, 'Content-Length': String(rest.length) }, body: rest,
  });

  await t.test('a chunk gets 507 UNAVAILABLE, twice, and the session keeps exactly its earlier bytes', async () => {
    for (let i = 0; i < 2; i++) expectStorageFull(await patchRest());
    const st = await client.request('GET', session);
    assert.equal(st.status, 204, st.describe());
    assert.equal(st.headers.get('range'), '0-999', 'the half-written chunk was cut back');
  });

  await t.test('a monolithic push gets 507 and leaves no blob', async () => {
    const blob = randomBytes(2 << 20);
    expectStorageFull(await client.postBlob(REPO, blob));
    assert.equal((await client.headBlob(REPO, sha256(blob))).status, 404);
    assert.deepEqual(readdirSync(join(inside, 'data', 'tmp')), [], 'no half-written file in tmp/');
  });

  await t.test('a manifest PUT gets 507, twice, and the tag does not appear', async () => {
    for (let i = 0; i < 2; i++) expectStorageFull(await client.putManifest(REPO, 'b', b.bytes, b.descriptor.mediaType));
    assert.equal((await client.getManifest(REPO, 'b')).status, 404);
  });

  await t.test('ECR writes answer ServerException (500) with the same message, and change nothing', async () => {
    for (const send of [
      () => ecr.send(new CreateRepositoryCommand({ repositoryName: `${REPO}-2` })),
      () => ecr.send(new PutImageCommand({ repositoryName: REPO, imageTag: 'b-ecr', imageManifest: b.bytes.toString('utf8'), imageManifestMediaType: b.descriptor.mediaType })),
    ]) {
      await assert.rejects(send(), (e: any) => {
        assert.equal(e.name, 'ServerException', String(e));
        assert.equal(e.$metadata?.httpStatusCode, 500);
        assert.match(e.message, /^insufficient storage: the registry's metadata store is out of space/);
        return true;
      });
    }
    await assert.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`${REPO}-2`] })), { name: 'RepositoryNotFoundException' });
    assert.equal((await client.getManifest(REPO, 'b-ecr')).status, 404);
  });

  // skopeo (a Go client, as docker and podman are) must see the registry's error, not a broken connection.
  const sk = buildImage({ layers: [{ compression: 'none', bytes: 2 << 20 }], layerBytes: 64 * 1024 });
  const layout = join(mkdtempSync(join(tmpdir(), 'wharf-full-src-')), 'oci');
  t.after(() => rmSync(join(layout, '..'), { recursive: true, force: true }));
  writeLayout(layout, { v1: sk });
  const skopeoPush = () => skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `AWS:${w.password}`, '--preserve-digests',
    `oci:${layout}:v1`, `docker://${w.hostPort}/${REPO}:sk`]);

  await t.test('skopeo copy fails naming the insufficient storage', async (t) => {
    if (!requireTools(t, 'skopeo')) return;
    await assert.rejects(skopeoPush(), (e: Error) => {
      // (skopeo prints the status line: "received unexpected HTTP status: 507 Insufficient Storage")
      assert.match(e.message, /507 Insufficient Storage|insufficient storage: the registry/i);
      t.diagnostic(e.message.split('\n').filter((l) => l.startsWith('stderr')).join(' '));
      return true;
    });
    assert.equal((await client.getManifest(REPO, 'sk')).status, 404);
  });

  await t.test('the image pushed before still pulls byte-identical, through /v2/ and BatchGetImage (its pull time is not recorded)', async () => {
    await expectPullsBack(client, a, 'a');
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: REPO, imageIds: [{ imageTag: 'a' }], acceptedMediaTypes: [a.descriptor.mediaType] }));
    assert.equal(got.images?.[0]?.imageManifest, a.bytes.toString('utf8'));
  });

  await t.test('the log says it once per store, as an error without a stack, and nothing per request', async (t) => {
    const lines = await linesOnce(w, (l) => l.msg.startsWith('storage full'), 2);
    const full = lines.filter((l) => l.msg.startsWith('storage full'));
    t.diagnostic(full.map((l) => l.msg).join(' | '));
    assert.deepEqual(full.map((l) => [l.level, l.store]).sort(), [[50, 'blob store'], [50, 'metadata store']], JSON.stringify(full));
    assert.ok(full.every((l) => !('err' in l)), 'no stack or error object in the line');
    assert.deepEqual(lines.filter((l) => l.level >= 40 && !l.msg.startsWith('storage full')), [], 'no other warning or error (a pull-time write failing after a pull included)');
  });

  await t.test('with the filler gone, the same pushes succeed and pull back byte-identical', async () => {
    unlinkSync(filler);
    fillerGone = true;
    const p = await patchRest();
    assert.equal(p.status, 202, p.describe());
    const done = await client.request('PUT', `${p.headers.get('location') ?? session}?digest=${encodeURIComponent(sha256(big))}`, { headers: { 'Content-Length': '0' } });
    assert.equal(done.status, 201, done.describe());
    const got = await client.getBlob(REPO, sha256(big));
    assert.ok(got.body.equals(big), 'the resumed upload is byte-identical');
    const blob = randomBytes(2 << 20);
    assert.equal((await client.postBlob(REPO, blob)).status, 201);
    assert.ok((await client.getBlob(REPO, sha256(blob))).body.equals(blob));
    const put = await client.putManifest(REPO, 'b', b.bytes, b.descriptor.mediaType);
    assert.equal(put.status, 201, put.describe());
    await expectPullsBack(client, b, 'b');
    await expectPullsBack(client, a, 'a');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: `${REPO}-2` }));
    if (hasTool('skopeo')) {
      await skopeoPush();
      await expectPullsBack(client, sk, 'sk');
    }
    const isBack = (l: LogLine) => l.msg.startsWith('storage space is back');
    const back = (await linesOnce(w, isBack, 2)).filter(isBack);
    assert.deepEqual(back.map((l) => [l.level, l.store]).sort(), [[30, 'blob store'], [30, 'metadata store']], JSON.stringify(back));
  });
});
