// What access control costs a pull: the same manifest HEAD and blob GET by the account's root and
// by an IAM user whose access comes from 10 attached managed policies with conditions (IP ranges,
// dates, regions, tags, ARN patterns), on two Wharf servers that share one data directory, measured
// at the same time on one shared core (bench/paired.ts). Reports user/root per workload; the issue
// asks for at least 90%. The evaluator alone has its own benchmark (npm run bench:policy).
// Run: node --import tsx bench/access-control.ts [--rounds N] [--seconds S] [--concurrency C]
// Needs ab (apache2-utils) and taskset. Writes bench/results/<time>-access-control.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { smallBlobs } from './data.ts';
import { ecrLogin, BENCH_REGION } from './ecr-login.ts';
import { OCI_MANIFEST, pushSmallImage } from './oci.ts';
import { ab, need, pinToLastCore } from './paired.ts';
import { ROOT, removeDir, startWharf, type Registry } from './registries.ts';

const REPO = 'bench/acl';
function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ROUNDS = option('rounds', 6);
const SECONDS = option('seconds', 5);
const CONCURRENCY = option('concurrency', 32);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const log = (msg: string) => console.log(`[bench-acl ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Ten policies, each granting part of what a pull needs (and more) under conditions that hold for this run. */
function policies(account: string): string[] {
  const repo = `arn:aws:ecr:${BENCH_REGION}:${account}:repository/`;
  const pull = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
  const st = (Sid: string, Action: string[], Resource: string, Condition?: object) => ({ Sid, Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });
  const docs = [
    [st('Token', ['ecr:GetAuthorizationToken'], '*', { Bool: { 'aws:SecureTransport': 'false' } })],
    [st('ByIp', pull, `${repo}bench/*`, { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } })],
    [st('ByDate', pull, `${repo}*`, { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2100-01-01T00:00:00Z' } })],
    [st('ByRegion', pull, '*', { StringEquals: { 'aws:RequestedRegion': [BENCH_REGION, 'eu-west-1'] } })],
    [st('ByTeam', ['ecr:*'], `${repo}*`, { StringEquals: { 'aws:PrincipalTag/team': 'platform' } })],
    [st('Others', ['ecr:DescribeImages', 'ecr:ListImages'], `${repo}other/*`)],
    [st('ByArn', pull, `${repo}*`, { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:user/bench*` } })],
    [st('NoDeleteNight', ['ecr:BatchDeleteImage'], `${repo}*`, { NumericLessThan: { 'aws:EpochTime': 1 } })],
    [st('ByAgent', pull, `${repo}*`, { StringLikeIfExists: { 'aws:UserAgent': ['ApacheBench*', 'aws-cli*', 'node*'] } })],
    [st('Wide', ['ecr:Describe*', 'ecr:List*', 'ecr:Get*'], '*', { Null: { 'aws:SourceIp': 'false' } }), { Sid: 'DenyOthers', Effect: 'Deny', Action: 'ecr:PutImage', Resource: `${repo}prod/*` }],
  ];
  return docs.map((Statement) => JSON.stringify({ Version: '2012-10-17', Statement }));
}

async function main() {
  need('ab', 'apache2-utils');
  need('taskset', 'util-linux');
  const tmp = mkdtempSync(join(tmpdir(), 'wharf-bench-acl-'));
  const regs: Registry[] = [];
  try {
    const env = { WHARF_ACCESS_LOG: 'false', WHARF_METRICS: 'false', WHARF_LOG_LEVEL: 'warn' };
    // Two servers on one data directory: one answers the root, the other the user.
    const root = await startWharf(tmp, join(tmp, 'root.log'), [REPO], env, true);
    regs.push(root);
    const asUser = await startWharf(tmp, join(tmp, 'user.log'), [], env, true);
    regs.push(asUser);
    const layer = smallBlobs(1, 4096)[0];
    await pushSmallImage(root.client, REPO, layer, 'v1');

    const account = '000000000000';
    const iam = new IAMClient({ endpoint: root.url, region: BENCH_REGION, credentials: root.rootKey!, maxAttempts: 1 });
    await iam.send(new CreateUserCommand({ UserName: 'bench-puller', Tags: [{ Key: 'team', Value: 'platform' }] }));
    for (const [i, doc] of policies(account).entries()) {
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: `bench-${i}`, PolicyDocument: doc }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'bench-puller', PolicyArn: p.Policy!.Arn! }));
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench-puller' }))).AccessKey!;
    iam.destroy();
    await ecrLogin(asUser.client, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    if (!pinToLastCore([root.proc.pid!, asUser.proc.pid!])) throw new Error('needs two cores and taskset');

    const workloads = [
      { name: 'manifest HEAD', method: 'HEAD' as const, path: `/v2/${REPO}/manifests/v1`, headers: { Accept: OCI_MANIFEST } as Record<string, string> },
      { name: 'blob GET (4 KiB)', method: 'GET' as const, path: `/v2/${REPO}/blobs/${layer.digest}`, headers: {} as Record<string, string> },
    ];
    const summary: Record<string, unknown>[] = [];
    log(`${ROUNDS} rounds of ${SECONDS} s per workload, c=${CONCURRENCY} per server; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const wl of workloads) {
      const go = (r: Registry) => ab(r.url + wl.path, { ...wl.headers, ...r.client.authHeaders() }, CONCURRENCY, SECONDS, wl.method);
      await Promise.all([go(root), go(asUser)]); // warm-up (and a check that both are allowed)
      const ratios: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const [r, u] = await Promise.all([go(root), go(asUser)]);
        for (const x of [r, u]) if (x.failed || x.non2xx) throw new Error(`${wl.name}: ${x.failed} failed, ${x.non2xx} non-2xx answers`);
        ratios.push(u.requests / r.requests);
        log(`${wl.name} round ${i + 1}: root ${r.requests}, user ${u.requests}, user/root ${(100 * u.requests / r.requests).toFixed(1)}%`);
      }
      const m = median(ratios);
      summary.push({ workload: wl.name, medianUserOverRoot: m, min: Math.min(...ratios), max: Math.max(...ratios) });
      console.log(`${wl.name}: user/root median ${(m * 100).toFixed(1)}% (rounds ${(Math.min(...ratios) * 100).toFixed(1)}-${(Math.max(...ratios) * 100).toFixed(1)}%)${m >= 0.9 ? '' : ' — below the 90% target'}`);
    }
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-access-control.json`);
    writeFileSync(file, JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY, summary, loadavgAtEnd: loadavg() }, null, 2));
    log(`wrote ${file}`);
  } finally {
    for (const r of regs) await r.stop().catch(() => undefined);
    removeDir(tmp);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
