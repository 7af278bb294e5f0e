// IAM evaluator benchmark: per-decision latency for a role session with 10 attached identity policies
// carrying conditions (IP, Bool, Date, String with variables, ForAnyValue), a permissions boundary,
// a repository policy and a registry policy. Documents are compiled on first use and reused, as the
// identity store's cached documents would be. Target: p99 under 20 µs.
// Run: node --import tsx bench/policy-eval.ts [--decisions N]   (npm run bench:policy)
import { evaluate, type EvalRequest, type PolicyInput } from '../src/domain/aws/policy-eval.ts';
import type { PolicyStatement } from '../src/domain/aws/policy.ts';

const i = process.argv.indexOf('--decisions');
const DECISIONS = i > 0 ? Number(process.argv[i + 1]) : 200_000;
const ACCOUNT = '111111111111';
const repo = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;
const doc = (id: string, ...statements: PolicyStatement[]): PolicyInput => ({ id, document: { Version: '2012-10-17', Statement: statements } });

const identityPolicies: PolicyInput[] = Array.from({ length: 10 }, (_, n) => doc(`arn:aws:iam::${ACCOUNT}:policy/p${n}`,
  { Sid: 'Pull', Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/team${n}/*`,
    Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] }, Bool: { 'aws:SecureTransport': 'true' } } },
  { Sid: 'Push', Effect: 'Allow', Action: ['ecr:Put*', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'], Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/\${aws:PrincipalTag/team}/*`,
    Condition: { StringEquals: { 'aws:PrincipalTag/env': 'ci' }, DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } },
  { Sid: 'NoSecrets', Effect: 'Deny', Action: 'ecr:*', Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/secret${n}/*`,
    Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['secret*'] }, StringNotEquals: { 'aws:PrincipalTag/clearance': 'high' } } },
));
const permissionsBoundary = doc('boundary', { Effect: 'Allow', Action: 'ecr:*', Resource: '*' }, { Effect: 'Deny', Action: 'ecr:Delete*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } });
const resourcePolicies = [
  doc('repository', { Sid: 'Org', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] },
    { Sid: 'NoHttp', Effect: 'Deny', Principal: '*', Action: 'ecr:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
  doc('registry', { Sid: 'Replication', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: ['ecr:ReplicateImage', 'ecr:CreateRepository'], Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*` }),
];

const actions = ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DeleteRepository'];
const repos = ['team3/web', 'team7/api', 'secret2/keys', 'other/app'];
const ips = ['10.1.2.3', '2001:db8::7', '198.51.100.4'];
const requests: EvalRequest[] = [];
for (const action of actions) for (const name of repos) for (const ip of ips) {
  requests.push({
    principal: { arn: `arn:aws:iam::${ACCOUNT}:role/ci`, sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci/build-42`, accountId: ACCOUNT, kind: 'assumed-role' },
    action, resource: repo(name), resourceAccount: ACCOUNT,
    context: {
      'aws:SourceIp': ip, 'aws:SecureTransport': true, 'aws:CurrentTime': '2026-03-01T12:00:00Z', 'aws:EpochTime': 1772366400,
      'aws:PrincipalTag/team': 'team7', 'aws:PrincipalTag/env': 'ci', 'aws:TagKeys': ['owner', 'secret-level'], 'aws:RequestedRegion': 'us-east-1',
      'aws:UserAgent': 'aws-cli/2.15', 'aws:userid': 'AROAEXAMPLE:build-42', 'aws:TokenIssueTime': '2026-03-01T11:00:00Z',
    },
    identityPolicies, permissionsBoundary, resourcePolicies,
  });
}

const tally: Record<string, number> = {};
for (const r of requests) tally[evaluate(r).decision] = (tally[evaluate(r).decision] ?? 0) + 1;
for (let n = 0; n < 20_000; n++) evaluate(requests[n % requests.length]); // warm-up

const samples = new Float64Array(DECISIONS);
for (let n = 0; n < DECISIONS; n++) {
  const req = requests[n % requests.length];
  const t0 = process.hrtime.bigint();
  evaluate(req);
  samples[n] = Number(process.hrtime.bigint() - t0) / 1000;
}
samples.sort();
const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))].toFixed(2);
console.log(`policy evaluation: ${DECISIONS} decisions over ${requests.length} requests (${JSON.stringify(tally)}), 10 identity policies × 3 statements + boundary + 2 resource policies`);
console.log(`per decision µs: p50 ${pct(50)}  p90 ${pct(90)}  p99 ${pct(99)}  p99.9 ${pct(99.9)}  max ${samples[samples.length - 1].toFixed(2)}`);
