// Configuration: one schema, flags over env over file, unknown keys and bad values named.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, withBoundPort } from '../../src/config/load.ts';

function file(content: unknown): string {
  const p = join(mkdtempSync(join(tmpdir(), 'wharf-cfg-')), 'c.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

test('defaults bind to loopback on port 5000 with ./wharf-data', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 5000);
  assert.ok(c.dataDir.endsWith('wharf-data'));
  assert.equal(c.publicUrl, 'http://127.0.0.1:5000');
  assert.ok(Object.isFrozen(c));
});

test('flags beat env, env beats the file', () => {
  const f = file({ port: 6000, host: '127.0.0.2', region: 'eu-west-1' });
  const c = loadConfig({ file: f, env: { WHARF_PORT: '7000', WHARF_HOST: '127.0.0.3' }, flags: { port: '8000' } });
  assert.equal(c.port, 8000);
  assert.equal(c.host, '127.0.0.3');
  assert.equal(c.region, 'eu-west-1');
});

test('publicUrl defaults from host and port and loses a trailing slash', () => {
  assert.equal(loadConfig({ env: { WHARF_PORT: '5123' } }).publicUrl, 'http://127.0.0.1:5123');
  assert.equal(loadConfig({ env: { WHARF_PUBLIC_URL: 'https://reg.example.com/' } }).publicUrl, 'https://reg.example.com');
});

test('an unknown key in the file stops start-up naming the key', () => {
  assert.throws(() => loadConfig({ file: file({ prot: 1 }), env: {} }), (e: Error) => e instanceof ConfigError && /prot/.test(e.message));
});

test('an unknown WHARF_ variable stops start-up naming it', () => {
  assert.throws(() => loadConfig({ env: { WHARF_DATADIR: '/x' } }), /WHARF_DATADIR/);
});

test('bad values are named with their key and variable', () => {
  assert.throws(() => loadConfig({ env: { WHARF_PORT: '70000' } }), /'port' \(WHARF_PORT\)/);
  assert.throws(() => loadConfig({ env: { WHARF_ACCOUNT_ID: '123' } }), /'accountId' \(WHARF_ACCOUNT_ID\).*12 digits/);
  assert.throws(() => loadConfig({ env: { WHARF_PUBLIC_URL: 'ftp://x' } }), /publicUrl/);
  assert.throws(() => loadConfig({ file: file('{not json'), env: {} }), /not valid JSON/);
});

test('tlsCertFile and tlsKeyFile come together; with them the default publicUrl is https', () => {
  assert.throws(() => loadConfig({ env: { WHARF_TLS_CERT_FILE: '/x.crt' } }), /set both tlsCertFile \(WHARF_TLS_CERT_FILE\) and tlsKeyFile/);
  assert.throws(() => loadConfig({ env: { WHARF_TLS_KEY_FILE: '/x.key' } }), /set both/);
  const c = loadConfig({ env: { WHARF_TLS_CERT_FILE: '/x.crt', WHARF_TLS_KEY_FILE: '/x.key', WHARF_PORT: '8443' } });
  assert.equal(c.publicUrl, 'https://127.0.0.1:8443');
  assert.equal(loadConfig({ env: { WHARF_TLS_CERT_FILE: '/x.crt', WHARF_TLS_KEY_FILE: '/x.key', WHARF_PORT: '443' } }).publicUrl, 'https://127.0.0.1');
});

test('publicUrl loses a default port, as ECR writes its endpoints', () => {
  const c = loadConfig({ env: { WHARF_PUBLIC_URL: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com:443/' } });
  assert.equal(c.publicUrl, 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com');
});

test('withBoundPort names the bound port in a default publicUrl and keeps an explicit one', () => {
  const c = loadConfig({ env: { WHARF_PORT: '0' } });
  const b = withBoundPort(c, 41234);
  assert.equal(b.port, 41234);
  assert.equal(b.publicUrl, 'http://127.0.0.1:41234');
  assert.ok(Object.isFrozen(b));
  assert.equal(c.publicUrl, 'http://127.0.0.1:0', 'the loaded config is not changed');
  const explicit = loadConfig({ env: { WHARF_PORT: '0', WHARF_PUBLIC_URL: 'https://reg.example.com' } });
  assert.equal(withBoundPort(explicit, 41234).publicUrl, 'https://reg.example.com');
});
