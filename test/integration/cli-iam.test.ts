// `wharf iam set-oidc-jwks`: sets, points at and clears an OIDC provider's JWKS in the store while a
// server runs on it; refuses (exit 2, one line) an unknown provider, a file that is not a JWKS, an
// unreadable file, and a command line without exactly one of --file, --path, --clear.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CreateOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import { startWharf, TEST_CREDENTIALS, TEST_REGION, wharfCli } from '../helpers/server.ts';

const ARN = 'arn:aws:iam::000000000000:oidc-provider/oidc.example.internal';
const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });

test('wharf iam set-oidc-jwks stores, points at and clears a provider\'s keys; refusals are one line, exit 2', async () => {
  const w = await startWharf();
  const files = mkdtempSync(join(tmpdir(), 'wharf-jwks-'));
  const iam = new IAMClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://oidc.example.internal', ClientIDList: ['sts.amazonaws.com'] }));
    const good = join(files, 'jwks.json');
    writeFileSync(good, JWKS);
    const bad = join(files, 'bad.json');
    writeFileSync(bad, '{"not":"a jwks"}');
    const cli = (...args: string[]) => wharfCli(['iam', 'set-oidc-jwks', ...args, '--data-dir', w.dataDir]);
    const stored = () => {
      const db = new Database(join(w.dataDir, 'wharf.db'), { readonly: true });
      try {
        return db.prepare('SELECT jwks, jwks_file FROM iam_oidc_providers WHERE arn = ?').get(ARN);
      } finally {
        db.close();
      }
    };

    const set = await cli('--arn', ARN, '--file', good);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, new RegExp(`wharf: set the JWKS of ${ARN}\\n$`));
    assert.deepEqual(stored(), { jwks: JWKS, jwks_file: null });

    const pointed = await cli('--arn', ARN, '--path', good);
    assert.equal(pointed.code, 0, pointed.stderr);
    assert.deepEqual(stored(), { jwks: null, jwks_file: good });

    const cleared = await cli('--arn', ARN, '--clear');
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.deepEqual(stored(), { jwks: null, jwks_file: null });

    const refusals: Array<[string[], RegExp]> = [
      [['--arn', 'arn:aws:iam::000000000000:oidc-provider/nobody.example', '--file', good], /^wharf: OpenIDConnect Provider not found for arn arn:aws:iam::000000000000:oidc-provider\/nobody.example$/],
      [['--arn', ARN, '--file', bad], /^wharf: The JWKS must be a JSON object with a "keys" list \(RFC 7517\)\.$/],
      [['--arn', ARN, '--file', join(files, 'missing.json')], /^wharf: cannot read the JWKS file .*missing\.json: ENOENT$/],
      [['--arn', ARN], /^wharf: give exactly one of --file, --path and --clear$/],
    ];
    for (const [args, message] of refusals) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('wharf: using data dir'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], message);
    }
    assert.deepEqual(stored(), { jwks: null, jwks_file: null }, 'no refusal changed anything');
  } finally {
    iam.destroy();
    await w.stop();
    rmSync(files, { recursive: true, force: true });
  }
});
