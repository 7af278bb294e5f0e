// Built-in TLS: Wharf serves https with the configured certificate, every URI it hands out says
// https, a client that does not trust the CA is refused, and a replaced certificate is served on new
// connections without a restart (a broken replacement is logged and the old one kept).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { registryLogin, startWharf, TEST_CREDENTIALS, wharfCli } from '../helpers/server.ts';
import { makeTestCa, peerCertificate } from '../helpers/tls.ts';
import { requireTools } from '../helpers/tools.ts';

/** Resolves with the error a TLS client that trusts only the system CAs gets. */
function untrustedGet(url: string): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v2/`, (res) => { res.resume(); reject(new Error(`answered ${res.statusCode} without trusting the CA`)); });
    req.on('error', (e) => resolve(e));
    req.end();
  });
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile('curl', ['-sS', ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code) : 0, stdout, stderr })));
}

/** Polls `probe` until it returns true or `ms` pass (no timing is asserted, only the outcome). */
async function eventually(probe: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('serves https with the configured certificate, hands out https URIs, and a client not trusting the CA fails', { timeout: 60_000 }, async (t) => {
  if (!requireTools(t, 'openssl', 'curl')) return;
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const cert = ca.issue('server');
  const w = await startWharf({ tls: { ...cert, caFile: ca.caFile } });
  t.after(() => w.stop());
  assert.match(w.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const served = await peerCertificate(w.url, ca.caFile);
  assert.equal(served.serial, cert.serial);
  assert.equal(served.commonName, cert.commonName);
  assert.equal(served.status, 401, 'GET /v2/ without credentials asks for them');

  const login = await registryLogin(w.url, TEST_CREDENTIALS, ca.caFile);
  assert.equal(login.proxyEndpoint, w.url, 'the default publicUrl is https when TLS is on');

  const withCa = await curl(['--cacert', ca.caFile, '-o', '/dev/null', '-D', '-', `${w.url}/v2/`]);
  assert.equal(withCa.code, 0, withCa.stderr);
  assert.match(withCa.stdout, new RegExp(`www-authenticate: Basic realm="${w.url}/"`, 'i'));

  const err = await untrustedGet(w.url);
  assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
  const without = await curl(['-o', '/dev/null', `${w.url}/v2/`]);
  assert.equal(without.code, 60, `curl without the CA must fail certificate verification: ${without.stderr}`);
  // plain http on the https port is not served
  const plain = await curl(['-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${w.port}/v2/`]);
  assert.notEqual(plain.stdout, '401');
});

test('a replaced certificate is served on new connections without a restart; a broken one is logged and the old kept', { timeout: 90_000 }, async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const first = ca.issue('first');
  const second = ca.issue('second');
  // The server reads these two paths; the test swaps what is in them.
  const certFile = join(ca.dir, 'live.crt'), keyFile = join(ca.dir, 'live.key');
  copyFileSync(first.certFile, certFile);
  copyFileSync(first.keyFile, keyFile);
  const w = await startWharf({ tls: { certFile, keyFile, caFile: ca.caFile }, env: { WHARF_TLS_RELOAD_SECONDS: '1' } });
  t.after(() => w.stop());
  const pid = w.proc.pid;
  assert.equal((await peerCertificate(w.url, ca.caFile)).serial, first.serial);

  // Replace key then certificate, each atomically (a moment with a mismatched pair is tolerated).
  copyFileSync(second.keyFile, `${keyFile}.new`);
  renameSync(`${keyFile}.new`, keyFile);
  copyFileSync(second.certFile, `${certFile}.new`);
  renameSync(`${certFile}.new`, certFile);
  const switched = await eventually(async () => (await peerCertificate(w.url, ca.caFile)).serial === second.serial);
  assert.ok(switched, `the new certificate was never served:\n${w.output()}`);
  const now = await peerCertificate(w.url, ca.caFile);
  assert.equal(now.commonName, second.commonName);
  assert.equal(w.proc.exitCode, null, 'the same process still runs');
  assert.equal(w.proc.pid, pid);

  // A broken certificate: SIGHUP makes Wharf look now; it logs and keeps serving the second one.
  writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  w.proc.kill('SIGHUP');
  const logged = await eventually(async () => w.output().includes('new TLS certificate not loaded'));
  assert.ok(logged, `no log line about the broken certificate:\n${w.output()}`);
  assert.match(w.output(), /live\.crt/, 'the log names the file');
  assert.equal((await peerCertificate(w.url, ca.caFile)).serial, second.serial);
  assert.equal(w.proc.exitCode, null);
});

test('an unreadable, non-PEM or mismatched certificate stops start-up with one line and no stack', { timeout: 60_000 }, async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const a = ca.issue('a'), b = ca.issue('b');
  const notPem = join(ca.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  const serve = (cert: string, key: string) => wharfCli(['serve', '--port', '0', '--data-dir', join(ca.dir, 'data')], { WHARF_TLS_CERT_FILE: cert, WHARF_TLS_KEY_FILE: key });
  const cases: [string, string, RegExp][] = [
    [join(ca.dir, 'missing.crt'), a.keyFile, /^wharf: cannot read TLS certificate \S+missing\.crt: ENOENT\n$/],
    [notPem, a.keyFile, /^wharf: TLS certificate \S+not\.pem is not a PEM certificate: [^\n]+\n$/],
    [a.certFile, notPem, /^wharf: TLS key \S+not\.pem cannot be used with \S+a\.crt: [^\n]+\n$/],
    [a.certFile, b.keyFile, /^wharf: TLS key \S+b\.key cannot be used with \S+a\.crt: [^\n]*key values mismatch[^\n]*\n$/],
  ];
  for (const [cert, key, expected] of cases) {
    const r = await serve(cert, key);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, expected);
  }
  const half = await wharfCli(['serve', '--port', '0', '--data-dir', join(ca.dir, 'data')], { WHARF_TLS_CERT_FILE: a.certFile });
  assert.equal(half.code, 2);
  assert.equal(half.stderr, 'wharf: configuration error: set both tlsCertFile (WHARF_TLS_CERT_FILE) and tlsKeyFile (WHARF_TLS_KEY_FILE), or neither\n');
});
