// Terraform's hashicorp/aws provider (5.100, from a filesystem mirror, no network) against a listening
// Wharf: `apply` of IAM users, keys, roles, policies, attachments, an OIDC provider and an ECR
// repository with a policy succeeds, `plan -detailed-exitcode` then finds no drift, and `destroy`
// leaves nothing, as the aws CLI sees. Skips (even under WHARF_REQUIRE_TOOLS) without Terraform or
// the provider mirror: see test/helpers/tools.ts.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startWharf } from '../helpers/server.ts';
import { requireTerraform, requireTools, TERRAFORM_MIRROR } from '../helpers/tools.ts';
import { ACCOUNT, iamEnv, run, type RunResult } from './iam-support.ts';

test('terraform apply, plan without drift, and destroy of IAM and ECR resources', { timeout: 600_000 }, async (t) => {
  if (!requireTerraform(t) || !requireTools(t, 'aws')) return;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-tf-'));
  const w = await startWharf();
  try {
    copyFileSync(join(ROOT, 'test', 'fixtures', 'terraform-iam', 'main.tf'), join(dir, 'main.tf'));
    const cliConfig = join(dir, 'cli.tfrc');
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror { path = ${JSON.stringify(TERRAFORM_MIRROR)} }\n}\n`);
    const env = {
      ...iamEnv(w), TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', TF_VAR_endpoint: w.url,
      TF_DATA_DIR: join(dir, '.terraform'),
    };
    const tf = (...args: string[]): Promise<RunResult> => run('terraform', [...args, '-no-color'], env, { cwd: dir, timeoutMs: 300_000 });
    const must = async (...args: string[]): Promise<RunResult> => {
      const r = await tf(...args);
      assert.equal(r.code, 0, `terraform ${args[0]} failed:\n${r.stdout}\n${r.stderr}\nwharf:\n${w.output()}`);
      return r;
    };
    const aws = async (...args: string[]): Promise<Record<string, any>> => {
      const r = await run('aws', [...args, '--output', 'json'], iamEnv(w));
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };

    await must('init', '-input=false');
    const applied = await must('apply', '-auto-approve', '-input=false');
    assert.match(applied.stdout, /Apply complete! Resources: 10 added, 0 changed, 0 destroyed\./);
    const [user, keys, attached, repo] = await Promise.all([
      aws('iam', 'get-user', '--user-name', 'tf-ci'), aws('iam', 'list-access-keys', '--user-name', 'tf-ci'),
      aws('iam', 'list-attached-user-policies', '--user-name', 'tf-ci'), aws('ecr', 'get-repository-policy', '--repository-name', 'tf/app', '--region', 'us-east-1'),
    ]);
    assert.deepEqual([user.User.Arn, user.User.Tags], [`arn:aws:iam::${ACCOUNT}:user/tf/tf-ci`, [{ Key: 'team', Value: 'platform' }]]);
    assert.equal(keys.AccessKeyMetadata.length, 1);
    assert.deepEqual(attached.AttachedPolicies.map((p: { PolicyName: string }) => p.PolicyName).sort(), ['AmazonEC2ContainerRegistryReadOnly', 'tf-pull']);
    assert.equal(JSON.parse(repo.policyText).Statement[0].Principal.AWS, `arn:aws:iam::${ACCOUNT}:user/tf/tf-ci`);

    const plan = await tf('plan', '-detailed-exitcode', '-input=false');
    assert.equal(plan.code, 0, `plan found drift (exit ${plan.code}):\n${plan.stdout}\n${plan.stderr}`);
    assert.match(plan.stdout, /No changes\./);

    const destroyed = await must('destroy', '-auto-approve', '-input=false');
    assert.match(destroyed.stdout, /Destroy complete! Resources: 10 destroyed\./);
    const [users, roles, policies, providers, repos] = await Promise.all([
      aws('iam', 'list-users'), aws('iam', 'list-roles'), aws('iam', 'list-policies', '--scope', 'Local'), aws('iam', 'list-open-id-connect-providers'),
      aws('ecr', 'describe-repositories', '--region', 'us-east-1'),
    ]);
    assert.deepEqual([users.Users, roles.Roles, policies.Policies, providers.OpenIDConnectProviderList, repos.repositories], [[], [], [], [], []]);
  } finally {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
