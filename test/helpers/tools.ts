// External programs used by tests (skopeo, podman, aws ...): find them, and decide what a test does
// when one is missing. Locally it skips with a clear reason; under CI (WHARF_REQUIRE_TOOLS=1, set by
// .ci/run) a missing tool is a failure, never a silent skip.
import { execFileSync } from 'node:child_process';
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
