// Registry tokens and download URLs against real servers: every altered character of a download
// URL is refused, and a token or URL minted by one account is refused by another sharing the master key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ECRClient, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { pushBlob, randomBlob } from '../helpers/http.ts';
import { registryLogin, startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';

const REPO = 'creds/app';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Replacements tried at positions outside the signature and expiry (which get their whole alphabet). */
const SAMPLE = ['A', 'z', '0', '9', '-', '_', '.', '%', '/', '~'];

/** GET of `path` exactly as given (no URL normalisation), without credentials. */
function rawGet(base: string, path: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('registry credentials', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'wharf-shared-key-'));
  const masterKeyFile = join(keyDir, 'master.key');
  let a: RunningWharf;
  let b: RunningWharf;
  before(async () => {
    a = await startWharf({ repositories: [REPO], env: { WHARF_ACCOUNT_ID: '111111111111', WHARF_MASTER_KEY_FILE: masterKeyFile } });
    b = await startWharf({ repositories: [REPO], env: { WHARF_ACCOUNT_ID: '222222222222', WHARF_MASTER_KEY_FILE: masterKeyFile } });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  test('a token minted for one account is refused by a server of another account sharing the master key', async () => {
    const ownA = await fetch(`${a.url}/v2/${REPO}/tags/list`, { headers: { authorization: a.authorization } });
    assert.equal(ownA.status, 200, 'A accepts its own token');
    const ownB = await fetch(`${b.url}/v2/${REPO}/tags/list`, { headers: { authorization: b.authorization } });
    assert.equal(ownB.status, 200, 'B accepts its own token');
    for (const [server, foreign] of [[b, a.authorization], [a, b.authorization]] as const) {
      const r = await fetch(`${server.url}/v2/${REPO}/tags/list`, { headers: { authorization: foreign } });
      assert.equal(r.status, 403);
      assert.deepEqual(await r.json(), { errors: [{ code: 'DENIED', message: 'Your Authorization Token is invalid.' }] });
    }
    // A fresh login on A is still refused by B (not a property of one token).
    const again = await registryLogin(a.url);
    const r = await fetch(`${b.url}/v2/${REPO}/tags/list`, { headers: { authorization: again.authorization } });
    assert.equal(r.status, 403);
  });

  test('every single-character change of a download URL is refused, and so is the URL on another account',  { timeout: 240_000 }, async () => {
    const layer = randomBlob(1000);
    const digest = await pushBlob(a.url, REPO, layer);
    const ecr = new ECRClient({ endpoint: a.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    let url: string;
    try {
      url = (await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: REPO, layerDigest: digest }))).downloadUrl!;
    } finally {
      ecr.destroy();
    }
    const path = url.slice(a.url.length);
    const good = await rawGet(a.url, path);
    assert.equal(good.status, 200);
    assert.ok(good.body.equals(layer), 'the URL as issued serves the blob');
    // Another account's Wharf with the same master key, the same repository and the same blob refuses it.
    await pushBlob(b.url, REPO, layer);
    const elsewhere = await rawGet(b.url, path);
    assert.equal(elsewhere.status, 403, 'a download URL is bound to its account');
    assert.equal(JSON.parse(elsewhere.body.toString()).errors[0].code, 'DENIED');
    const sigAt = path.indexOf('X-Wharf-Signature=') + 'X-Wharf-Signature='.length;
    const expAt = path.indexOf('X-Wharf-Expires=') + 'X-Wharf-Expires='.length;
    const expEnd = path.indexOf('&', expAt);
    const variants: string[] = [];
    for (let i = 0; i < path.length; i++) {
      const alphabet = i >= sigAt ? B64URL : i >= expAt && i < expEnd ? '0123456789' : SAMPLE.join('');
      for (const c of alphabet) if (c !== path[i]) variants.push(path.slice(0, i) + c + path.slice(i + 1));
    }
    assert.ok(variants.length > 43 * 63, `${variants.length} variants`);
    for (let i = 0; i < variants.length; i += 16) {
      const batch = variants.slice(i, i + 16);
      const answers = await Promise.all(batch.map((p) => rawGet(a.url, p)));
      answers.forEach((r, j) => {
        assert.ok(r.status >= 400 && r.status < 500, `${batch[j]} answered ${r.status}`);
        assert.ok(!r.body.equals(layer), `${batch[j]} served the blob`);
      });
    }
  });
});
