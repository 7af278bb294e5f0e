// The README walkthrough, verbatim: its sh block runs under bash against `bin/wharf.js serve` on the
// address the README names, in a directory whose wharf-data that server made on its first start.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { symlinkSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { outputMatching, ROOT, WHARF_BIN } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const HOST = '127.0.0.1';
const PORT = 5000;

/** The first ```sh block after the walkthrough's heading in README.md. */
function walkthroughBlock(readme: string, section = '## Walkthrough'): string {
  const at = readme.indexOf(section);
  assert.ok(at >= 0, `README.md has no "${section}" section`);
  const open = readme.indexOf('```sh\n', at);
  const close = readme.indexOf('\n```\n', open);
  assert.ok(open > at && close > open, 'the walkthrough has no ```sh block');
  return readme.slice(open + '```sh\n'.length, close + 1);
}

/** Fails with a clear message when something already listens where the README's server must. */
async function assertPortFree(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(
      `${HOST}:${PORT}, the address the README names, is busy (${e.code}): stop what listens there to run this test`)));
    s.listen(PORT, HOST, () => s.close(() => resolve()));
  });
}

/** An environment with nothing of this machine's HOME, credentials, registries logins or image stores. */
function isolatedEnv(dir: string): Record<string, string> {
  const d = (name: string) => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const storageConf = join(d('conf'), 'storage.conf');
  writeFileSync(storageConf, `[storage]\ngraphroot = "${d('containers/root')}"\nrunroot = "${d('containers/run')}"\n`);
  const containersConf = join(dir, 'conf', 'containers.conf');
  writeFileSync(containersConf, `[engine]\ntmp_dir = "${d('containers/tmp')}"\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n[network]\nnetwork_config_dir = "${d('containers/net')}"\n`);
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: d('home'), TMPDIR: d('tmp'),
    XDG_CONFIG_HOME: d('xdg/config'), XDG_DATA_HOME: d('xdg/data'), XDG_CACHE_HOME: d('xdg/cache'), XDG_RUNTIME_DIR: d('xdg/run'),
    DOCKER_CONFIG: d('docker'), REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    CONTAINERS_STORAGE_CONF: storageConf, CONTAINERS_CONF: containersConf,
    // The README's commented line, as the project's tests run podman (vfs, see privatePodman); the
    // test checks afterwards that containers/storage honoured it, as the README says it does.
    STORAGE_DRIVER: 'vfs',
  };
}

/** Waits until GET /v2/ answers (any status), or fails with the server's output. */
async function waitListening(proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharf serve exited early (${proc.exitCode}):\n${output()}`);
    try {
      await (await fetch(`http://${HOST}:${PORT}/v2/`)).arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`wharf serve did not start:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Step { cmd: string; out: string }

/**
 * Cuts a `bash -x` log into the commands it ran, each with the output that followed it. bash marks
 * each traced command with PS4, '+ ' (one '+' per nesting level); it ignores a PS4 from the
 * environment when run as root, so the default is the marker.
 */
function steps(log: string): Step[] {
  const out: Step[] = [];
  // The commands of one pipeline (`aws ecr get-login-password | docker login ...`) are traced together,
  // in either order, before any of their output: they form a group and each member gets its output.
  let group: Step[] = [];
  for (const line of log.split('\n')) {
    const m = /^\++ (.*)$/.exec(line);
    if (m) {
      const step = { cmd: m[1], out: '' };
      if (group.length === 0 || group.some((g) => g.out !== '')) group = [];
      group.push(step);
      out.push(step);
    } else for (const g of group) g.out += `${line}\n`;
  }
  return out;
}

test('README walkthrough runs verbatim: create, login, build, push, describe, pull, immutable tag, delete', { timeout: 600_000 }, async (t) => {
  if (!requireTools(t, 'bash', 'aws', 'docker', 'podman')) return;
  await assertPortFree();
  const dir = mkdtempSync(join(tmpdir(), 'wharf-walkthrough-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // `npm start` in `work`: the README's first start, so no WHARF_* (no root key from the environment).
  const serverEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHARF_') && !k.startsWith('AWS_')));
  const server = spawn(WHARF_BIN, ['serve'], { cwd: work, env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverOut = '';
  server.stdout!.on('data', (d) => (serverOut += d));
  server.stderr!.on('data', (d) => (serverOut += d));
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) { server.kill('SIGTERM'); await exited; }
  });
  await waitListening(server, () => serverOut);

  const credFile = join(work, 'wharf-data', 'root-credentials');
  assert.equal(statSync(credFile).mode & 0o777, 0o600);
  const creds = readFileSync(credFile, 'utf8');
  assert.match(creds, /^\[wharf\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n$/);
  const secret = /aws_secret_access_key = (\S+)/.exec(creds)![1];
  assert.match(await outputMatching(() => serverOut, /generated the root access key/), /generated the root access key/);

  // The lifecycle section runs "in the same shell as the walkthrough (its exports)", so after it.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = walkthroughBlock(readme) + walkthroughBlock(readme, '## Lifecycle policies');
  // "from the directory of npm start": there `npx wharf` finds the project's own bin; here, a link to it.
  mkdirSync(join(work, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(WHARF_BIN, join(work, 'node_modules', '.bin', 'wharf'));
  const script = join(dir, 'walkthrough.sh');
  writeFileSync(script, block);
  const logFile = join(dir, 'walkthrough.log');
  const fd = openSync(logFile, 'w');
  const started = Date.now();
  // -x only traces (to cut the log per command); the commands are the README's, unchanged.
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn('bash', ['-x', '-euo', 'pipefail', script], { cwd: work, env: isolatedEnv(join(dir, 'env')), stdio: ['ignore', fd, fd] });
    const timer = setTimeout(() => p.kill('SIGKILL'), 540_000);
    p.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  closeSync(fd);
  const log = readFileSync(logFile, 'utf8');
  assert.equal(code, 0, `the walkthrough failed:\n${log}\nserver:\n${serverOut}`);
  assert.ok(!log.includes(secret) && !serverOut.includes(secret), 'the root secret was printed');

  assert.ok(existsSync(join(dir, 'env', 'containers', 'root', 'vfs-images')), 'podman did not use STORAGE_DRIVER=vfs');
  assert.ok(!existsSync(join(dir, 'env', 'containers', 'root', 'overlay-images')), 'podman did not use STORAGE_DRIVER=vfs');

  const all = steps(log);
  const one = (prefix: string, nth = 0): Step => {
    const found = all.filter((s) => s.cmd.startsWith(prefix));
    assert.ok(found.length > nth, `the walkthrough did not run "${prefix}" (${nth + 1} times):\n${log}`);
    return found[nth];
  };
  const next = (s: Step) => all[all.indexOf(s) + 1];

  // 1. the repository, with the ARN and URI the README names
  const repo = JSON.parse(one('aws ecr create-repository').out).repository;
  assert.equal(repo.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/myapp/frontend');
  assert.equal(repo.repositoryUri, `${HOST}:${PORT}/myapp/frontend`);
  assert.equal(repo.imageTagMutability, 'IMMUTABLE');
  assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });

  // 2. both logins succeeded (docker's and podman's)
  assert.match(one('docker login').out, /Login Succeeded/);
  assert.match(one('podman login').out, /Login Succeeded/);

  // 3. the built image was pushed and is described with its tag
  const builtId = one('podman build').out.trim().split('\n').at(-1)!;
  assert.match(builtId, /^[0-9a-f]{64}$/);
  const described = JSON.parse(one('aws ecr describe-images').out).imageDetails;
  assert.equal(described.length, 1);
  assert.deepEqual(described[0].imageTags, ['v1.0.0']);
  assert.match(described[0].imageDigest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(described[0].imageSizeInBytes > 0);

  // 4. the pull downloaded the same image, and describe-images records when
  assert.equal(one('podman pull').out.trim().split('\n').at(-1), builtId);
  const pulledAt = JSON.parse(one('aws ecr describe-images', 1).out);
  assert.equal(typeof pulledAt, 'number');
  assert.ok(pulledAt * 1000 >= started - 5000 && pulledAt * 1000 <= Date.now() + 5000, `lastRecordedPullTime ${pulledAt}`);

  // 5. a different image as v1.0.0 is refused with ECR's message; the new tag is pushed
  assert.notEqual(one('podman build', 1).out.trim().split('\n').at(-1), builtId);
  const refused = one('podman push --tls-verify=false 127.0.0.1:5000/myapp/frontend:v1.0.0', 1);
  assert.match(refused.out, /The image tag 'v1\.0\.0' already exists in the 'myapp\/frontend' repository and cannot be overwritten because the tag is immutable/);
  assert.equal(next(refused).cmd, "echo 'refused, as expected'");
  const tags = JSON.parse(one('aws ecr describe-images', 2).out) as string[][];
  assert.deepEqual(tags.map((x) => x.join(',')).sort(), ['v1.0.0', 'v1.0.1']);

  // 6. delete needs --force
  const notEmpty = one('aws ecr delete-repository');
  assert.match(notEmpty.out, /RepositoryNotEmptyException/);
  assert.equal(next(notEmpty).cmd, "echo 'refused, as expected'");
  const deleted = JSON.parse(one('aws ecr delete-repository', 1).out).repository;
  assert.equal(deleted.repositoryName, 'myapp/frontend');

  // The lifecycle section: a policy, its preview, a run and a garbage-collection dry run.
  assert.equal(JSON.parse(one('aws ecr put-lifecycle-policy').out).repositoryName, 'myapp/backend');
  const preview = JSON.parse(one('aws ecr get-lifecycle-policy-preview').out);
  assert.equal(preview.status, 'COMPLETE');
  assert.deepEqual(preview.previewResults, []);
  assert.match(one('npx wharf lifecycle run').out, /evaluated myapp\/backend: 0 expired, 0 transitioned, 0 skipped/);
  assert.match(one('npx wharf gc --dry-run').out, /dry run: would remove \d+ blobs? .*nothing was deleted/);
});
