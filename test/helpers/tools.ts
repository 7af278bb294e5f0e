// External programs used by tests (skopeo, podman, aws ...): find them, and decide what a test does
// when one is missing. Locally it skips with a clear reason; under CI (WHARF_REQUIRE_TOOLS=1, set by
// .ci/run) a missing tool is a failure, never a silent skip. The one exception is Terraform with its
// hashicorp/aws provider (requireTerraform): neither is installable from the npm or Debian registries,
// so a machine without them skips the Terraform test with a message even under WHARF_REQUIRE_TOOLS.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when every tool is on PATH. Otherwise skips the test with a message naming the tool,
 * or throws when WHARF_REQUIRE_TOOLS=1 so that CI fails instead of skipping.
 */
export function requireTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const msg = `required program(s) not installed: ${missing.join(', ')} (see .ci/run for the packages)`;
  if (process.env.WHARF_REQUIRE_TOOLS === '1') throw new Error(msg);
  t.skip(msg);
  return false;
}

/** Where the Terraform test finds the hashicorp/aws provider: a filesystem mirror (no network). */
export const TERRAFORM_MIRROR = process.env.WHARF_TF_PLUGIN_MIRROR ?? '/opt/tf-plugins';
/** The provider version the Terraform test pins. */
export const TERRAFORM_AWS_PROVIDER = '5.100.0';

/**
 * True when `terraform` is on PATH and the mirror holds hashicorp/aws TERRAFORM_AWS_PROVIDER.
 * Otherwise skips the test with a message naming what is missing, also under WHARF_REQUIRE_TOOLS=1
 * (the documented exception: neither can be installed from the npm or Debian registries).
 */
export function requireTerraform(t: TestContext): boolean {
  const missing: string[] = [];
  if (!hasTool('terraform')) missing.push('terraform (not on PATH)');
  if (!existsSync(`${TERRAFORM_MIRROR}/registry.terraform.io/hashicorp/aws/${TERRAFORM_AWS_PROVIDER}`)) {
    missing.push(`the hashicorp/aws ${TERRAFORM_AWS_PROVIDER} provider (no filesystem mirror at ${TERRAFORM_MIRROR}; set WHARF_TF_PLUGIN_MIRROR)`);
  }
  if (missing.length === 0) return true;
  t.skip(`skipped even under WHARF_REQUIRE_TOOLS, as Terraform is not installable from the npm or Debian registries: missing ${missing.join(' and ')}`);
  return false;
}
