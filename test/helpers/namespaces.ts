// End-to-end tests that need real host names and port 443 run a bash script in private network,
// mount and PID namespaces (unshare, as root): loopback up, a hosts file bind-mounted over /etc/hosts
// that maps the test's names to 127.0.0.1, Wharf serving TLS on 127.0.0.1:443. The machine's own
// /etc/hosts and ports stay untouched, and the namespace's init takes Wharf down whatever happens.
// Each step of the script writes <dir>/<step>.{out,err,rc}; the test reads them afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { WHARF_BIN } from './server.ts';

/** Skips (locally) or fails (WHARF_REQUIRE_TOOLS=1) when not root: unshare needs it for the namespaces. */
export function requireRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  const msg = 'needs root: unshare --net --mount (private /etc/hosts and port 443) is run as root in CI';
  if (process.env.WHARF_REQUIRE_TOOLS === '1') throw new Error(msg);
  t.skip(msg);
  return false;
}

/**
 * The script's start: `step NAME CMD...`, loopback up, `hosts` mapped to 127.0.0.1, Wharf on
 * 127.0.0.1:443 (data dir <dir>/data, log <dir>/wharf.log, stopped by PID on exit), and a wait until
 * `curl --cacert <caFile> <readyCurl>` answers.
 */
export function namespacePrelude(o: { dir: string; hosts: readonly string[]; caFile: string; readyCurl: string }): string {
  return `#!/bin/bash
set -u
D=${o.dir}
step() { local name=$1; shift; "$@" >"$D/$name.out" 2>"$D/$name.err"; echo $? >"$D/$name.rc"; }
ip link set lo up
cp /etc/hosts "$D/hosts"
echo "127.0.0.1 ${o.hosts.join(' ')}" >>"$D/hosts"
mount --bind "$D/hosts" /etc/hosts
"${WHARF_BIN}" serve --host 127.0.0.1 --port 443 --data-dir "$D/data" >"$D/wharf.log" 2>&1 &
WHARF_PID=$!
trap 'kill $WHARF_PID 2>/dev/null; wait $WHARF_PID' EXIT
for i in $(seq 1 200); do
  curl -s -o /dev/null --cacert ${o.caFile} ${o.readyCurl} && break
  kill -0 $WHARF_PID 2>/dev/null || break
  sleep 0.1
done
`;
}

export interface StepResult {
  readonly rc: string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NamespaceRun {
  /** What step `name` left ('(did not run)' as rc when it never ran). */
  result(name: string): StepResult;
  /** The stdout of step `name`, failing the test (with Wharf's log) unless it exited 0. */
  ok(name: string): string;
  /** Wharf's whole log. */
  wharfLog(): string;
}

/**
 * Writes `script` to <dir>/run.sh and runs it in the private namespaces with `env` added to this
 * process's environment; fails the test unless the script itself exits 0.
 */
export async function runInNamespaces(t: TestContext, dir: string, script: string, env: Record<string, string>): Promise<NamespaceRun> {
  writeFileSync(join(dir, 'run.sh'), script);
  // --pid --fork --kill-child: if unshare is killed (test timeout), the namespace's init dies and
  // takes Wharf with it; the script's trap stops Wharf by PID on a normal end.
  const proc = spawn('unshare', ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', join(dir, 'run.sh')], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  t.after(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  const wharfLog = () => read('wharf.log') || '(no log)';
  assert.equal(code, 0, `unshare script failed (${code}):\n${out}\nwharf:\n${wharfLog().slice(-8000)}`);
  const result = (name: string): StepResult => ({
    rc: read(`${name}.rc`).trim() || '(did not run)', stdout: read(`${name}.out`), stderr: read(`${name}.err`),
  });
  return {
    result, wharfLog,
    ok(name) {
      const r = result(name);
      assert.equal(r.rc, '0', `${name} failed (${r.rc}):\n${r.stdout}\n${r.stderr}\nwharf:\n${wharfLog().slice(-8000)}`);
      return r.stdout;
    },
  };
}
