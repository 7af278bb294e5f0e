// Registry tokens with a fake clock: what GetAuthorizationToken hands out, how long it lives, and the
// refusals `docker login` users see for forged, malformed and expired tokens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { WharfError } from '../../src/domain/errors.ts';
import { AuthenticationService } from '../../src/services/authentication.ts';
import type { IdentityService, TokenSubject } from '../../src/services/identity.ts';
import { rootPrincipal } from '../../src/services/identity.ts';
import { TOKEN_TTL_MS, TokenService } from '../../src/services/tokens.ts';

const ACCOUNT = '123456789012';
const ROOT = rootPrincipal(ACCOUNT, 'AKIAWHARFUNITTEST001');
const T0 = new Date('2026-03-01T10:00:00Z');
const HOUR = 3600_000;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Changes the character at `i` in its high bit, so the decoded bytes change (low bits of the last char may be padding). */
function flip(s: string, i: number): string {
  const c = B64URL.indexOf(s[i]);
  return s.slice(0, i) + (c < 0 ? 'A' : B64URL[c ^ 32]) + s.slice(i + 1);
}

function fakeClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => { now += ms; } };
}

function refusal(fn: () => unknown): { id: string; status: number; oci?: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WharfError, String(e));
    return { id: e.spec.id, status: e.status, oci: e.spec.oci, message: e.message };
  }
  assert.fail('expected a refusal');
}

async function refusalAsync(fn: () => Promise<unknown>): Promise<{ id: string; status: number; oci?: string; message: string }> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof WharfError, String(e));
    return { id: e.spec.id, status: e.status, oci: e.spec.oci, message: e.message };
  }
  assert.fail('expected a refusal');
}

const INVALID = { id: 'TokenInvalid', status: 403, oci: 'DENIED', message: 'Your Authorization Token is invalid.' };
const EXPIRED = { id: 'TokenExpired', status: 403, oci: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' };

describe('TokenService', () => {
  const key = randomBytes(32);
  const tokens = new TokenService(key, ACCOUNT);

  test('issues a token free of ":" and whitespace that expires 12 hours later and names the principal', () => {
    const t = tokens.issue(ROOT, T0);
    assert.equal(TOKEN_TTL_MS, 12 * HOUR);
    assert.equal(t.expiresAt.getTime(), T0.getTime() + 12 * HOUR);
    assert.match(t.token, /^[^\s:]+$/);
    assert.deepEqual(tokens.verify(t.token, T0), { arn: ROOT.arn, accessKeyId: ROOT.accessKeyId });
  });

  test('is valid until just before expiry and expired from then on', () => {
    const t = tokens.issue(ROOT, T0);
    assert.equal(tokens.verify(t.token, new Date(t.expiresAt.getTime() - 1)).arn, ROOT.arn);
    assert.deepEqual(refusal(() => tokens.verify(t.token, t.expiresAt)), EXPIRED);
    assert.deepEqual(refusal(() => tokens.verify(t.token, new Date(T0.getTime() + 13 * HOUR))), EXPIRED);
  });

  test('refuses a token with any character flipped, a token from another key, and junk', () => {
    const t = tokens.issue(ROOT, T0).token;
    for (const i of [0, Math.floor(t.length / 2), t.length - 1]) {
      const flipped = flip(t, i);
      assert.deepEqual(refusal(() => tokens.verify(flipped, T0)), INVALID, `flip at ${i}`);
    }
    const foreign = new TokenService(randomBytes(32), ACCOUNT).issue(ROOT, T0).token;
    assert.deepEqual(refusal(() => tokens.verify(foreign, T0)), INVALID);
    for (const junk of ['', 'abc', 'a.b.c', '.', `${t}.x`]) assert.deepEqual(refusal(() => tokens.verify(junk, T0)), INVALID, junk);
  });

  test('a token verified once (and so remembered) still expires, and altered copies of it stay refused', () => {
    const t = tokens.issue(ROOT, T0).token;
    for (let i = 0; i < 3; i++) assert.equal(tokens.verify(t, new Date(T0.getTime() + i * HOUR)).arn, ROOT.arn);
    for (const i of [0, Math.floor(t.length / 2), t.length - 1]) assert.deepEqual(refusal(() => tokens.verify(flip(t, i), T0)), INVALID, `flip at ${i}`);
    assert.deepEqual(refusal(() => tokens.verify(`${t}.x`, T0)), INVALID);
    assert.deepEqual(refusal(() => tokens.verify(t, new Date(T0.getTime() + 12 * HOUR))), EXPIRED);
    assert.equal(tokens.verify(t, T0).arn, ROOT.arn, 'the remembered token is still good before its expiry');
  });

  test('more distinct tokens than the cache holds all verify, the evicted ones again through the MAC', () => {
    const own = new TokenService(key, ACCOUNT);
    const many = Array.from({ length: 5000 }, (_, i) => own.issue(ROOT, new Date(T0.getTime() + i)).token);
    for (const t of many) assert.equal(own.verify(t, T0).arn, ROOT.arn);
    for (const t of many.slice(0, 10)) assert.equal(own.verify(t, T0).arn, ROOT.arn);
    assert.deepEqual(refusal(() => own.verify(flip(many[0], many[0].length - 1), T0)), INVALID);
  });

  test('every single-character change of a token, to every other base64url character, is refused', () => {
    const t = tokens.issue(ROOT, T0).token;
    assert.equal(tokens.verify(t, T0).arn, ROOT.arn, 'the original is good (and now remembered)');
    let tried = 0;
    for (let i = 0; i < t.length; i++) {
      for (const c of B64URL) {
        if (c === t[i]) continue;
        const altered = t.slice(0, i) + c + t.slice(i + 1);
        assert.deepEqual(refusal(() => tokens.verify(altered, T0)), INVALID, `position ${i} -> ${c}`);
        tried++;
      }
    }
    assert.equal(tried, t.length * 63);
    for (const extra of [`${t}=`, `${t}A`, t.slice(0, -1), `${t}\n`]) assert.deepEqual(refusal(() => tokens.verify(extra, T0)), INVALID);
  });

  test('a token minted for another account is refused, even sealed with the same key', () => {
    const other = new TokenService(key, '210987654321');
    const theirs = other.issue(rootPrincipal('210987654321', 'AKIAWHARFUNITTEST002'), T0).token;
    assert.equal(other.verify(theirs, T0).arn, 'arn:aws:iam::210987654321:root');
    assert.deepEqual(refusal(() => tokens.verify(theirs, T0)), INVALID);
    const ours = tokens.issue(ROOT, T0).token;
    assert.deepEqual(refusal(() => other.verify(ours, T0)), INVALID);
  });

  test('token text is opaque: no decoding of it shows the access key id, the ARN or the account', () => {
    const t = tokens.issue(ROOT, T0).token;
    const decodings = [t, Buffer.from(t, 'base64url').toString('latin1'), Buffer.from(t, 'base64url').toString('utf8'), Buffer.from(t, 'base64').toString('latin1')];
    // Also every shifted decoding (a claim could sit at any offset of a concatenated encoding).
    for (let skip = 1; skip < 4; skip++) decodings.push(Buffer.from(t.slice(skip), 'base64url').toString('latin1'));
    for (const d of decodings) {
      for (const secret of [ROOT.accessKeyId!, ROOT.arn, ACCOUNT, 'arn:aws', 'AKIA']) assert.ok(!d.includes(secret), `'${secret}' readable in a decoding`);
    }
    assert.notEqual(tokens.issue(ROOT, T0).token, t, 'two tokens for the same claims differ (random nonce)');
  });

  test('a forged expired token is invalid, not expired (authenticity is checked first)', () => {
    const t = tokens.issue(ROOT, T0).token;
    const forged = flip(t, t.length - 2);
    assert.deepEqual(refusal(() => tokens.verify(forged, new Date(T0.getTime() + 24 * HOUR))), INVALID);
  });
});

describe('AuthenticationService: registry login with a fake clock', () => {
  const clock = fakeClock(T0);
  // The store's side (does the principal still exist?) is IdentityService's, tested with the store; here every root exists.
  const identity = { tokenPrincipal: async (s: TokenSubject) => rootPrincipal(ACCOUNT, s.accessKeyId) } as unknown as IdentityService;
  const authn = new AuthenticationService(identity, new TokenService(randomBytes(32), ACCOUNT), clock, 'us-east-1');
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  test('authorizationToken is base64("AWS:" + password) and Basic with it logs in until it expires', async () => {
    const issued = authn.issue(ROOT);
    const decoded = Buffer.from(issued.authorizationToken, 'base64').toString('utf8');
    assert.ok(decoded.startsWith('AWS:'));
    assert.equal(decoded.split(':').length, 2, 'the aws CLI splits on ":" and wants exactly two parts');
    assert.equal(issued.expiresAt.getTime(), T0.getTime() + 12 * HOUR);
    assert.equal((await authn.basic(`Basic ${issued.authorizationToken}`)).arn, ROOT.arn);
    clock.advance(12 * HOUR - 1000);
    assert.equal((await authn.basic(`Basic ${issued.authorizationToken}`)).arn, ROOT.arn);
    clock.advance(1000);
    assert.deepEqual(await refusalAsync(() => authn.basic(`Basic ${issued.authorizationToken}`)), EXPIRED);
  });

  test('a username other than AWS, or a Basic value without a colon, is an invalid token', async () => {
    const password = Buffer.from(authn.issue(ROOT).authorizationToken, 'base64').toString('utf8').slice(4);
    assert.deepEqual(await refusalAsync(() => authn.basic(basic('aws', password))), INVALID);
    assert.deepEqual(await refusalAsync(() => authn.basic(basic('root', password))), INVALID);
    assert.deepEqual(await refusalAsync(() => authn.basic(`Basic ${Buffer.from('no-colon-here').toString('base64')}`)), INVALID);
  });

  test('every single-character change of the Basic value is refused (the last base64 character included)', async () => {
    const value = authn.issue(ROOT).authorizationToken;
    assert.equal((await authn.basic(`Basic ${value}`)).arn, ROOT.arn);
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
    for (let i = 0; i < value.length; i++) {
      for (const c of B64) {
        if (c === value[i]) continue;
        const altered = `Basic ${value.slice(0, i)}${c}${value.slice(i + 1)}`;
        const r = await refusalAsync(() => authn.basic(altered));
        assert.ok(r.status === 403 || r.status === 401, `position ${i} -> ${c}: ${r.id}`);
      }
    }
  });

  test('no Authorization header, or one that is not Basic, asks for credentials (401)', async () => {
    assert.equal((await refusalAsync(() => authn.basic(undefined))).status, 401);
    assert.equal((await refusalAsync(() => authn.basic('Bearer abc'))).status, 401);
  });
});
