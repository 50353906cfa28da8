/**
 * Who may do what: secret keys for the merchant API, client secrets (HS256 JWT, pinned
 * algorithm, audience, issuer, short expiry) for the widget API, and nothing across merchants.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { readClientSecret } from '@kassa/core';
import { CARDS, boot } from './helpers.js';
import type { Harness } from './helpers.js';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('merchant API authentication', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('writes the test keys once, mode 0600, and stores only their hashes', () => {
    const keys = JSON.parse(readFileSync(h.kassa.keysFile, 'utf8')) as Record<string, string>;
    assert.match(keys.merchant!, /^acct_/);
    assert.match(keys.secret_key!, /^sk_test_[A-Za-z0-9]{32}$/);
    assert.match(keys.publishable_key!, /^pk_test_/);
    assert.equal(statSync(h.kassa.keysFile).mode & 0o777, 0o600);
    for (const file of ['secrets.json', 'kassa.sqlite', 'kassa.sqlite-wal', 'sandbox.sqlite', 'sandbox.sqlite-wal']) {
      assert.equal(statSync(join(h.dataDir, file)).mode & 0o777, 0o600, file);
    }
    assert.deepEqual(h.kassa.keys, { merchant: keys.merchant, secretKey: keys.secret_key, publishableKey: keys.publishable_key });
    const stored = h.db().prepare('SELECT hash FROM api_keys').all() as { hash: string }[];
    assert.ok(stored.length >= 2);
    for (const row of stored) assert.match(row.hash, /^[0-9a-f]{64}$/);
    const bytes = readFileSync(join(h.dataDir, 'kassa.sqlite')).toString('latin1');
    assert.ok(!bytes.includes(keys.secret_key!));
  });

  const routes: Array<[string, string]> = [
    ['POST', '/payment_intents'],
    ['GET', '/payment_intents/pi_abcdefghijklmnop'],
    ['POST', '/payment_intents/pi_abcdefghijklmnop/confirm'],
    ['POST', '/payment_intents/pi_abcdefghijklmnop/capture'],
    ['POST', '/payment_intents/pi_abcdefghijklmnop/cancel'],
    ['GET', '/customers/cus_1/payment_methods'],
  ];

  for (const [method, path] of routes) {
    it(`${method} /v1${path} without or with a wrong key is 401; with the publishable key 403`, async () => {
      const keys = JSON.parse(readFileSync(h.kassa.keysFile, 'utf8')) as Record<string, string>;
      const body = method === 'POST' ? {} : undefined;
      for (const key of [null, 'sk_test_wrongwrongwrongwrongwrongwrong', 'not-a-key', `${h.secretKey}x`, 'op_wrongwrongwrongwrongwrongwrongwrongwrong']) {
        const r = await h.v1(method, path, body, { key });
        assert.equal(r.status, 401, `${key}`);
        assert.equal(r.body.error.type, 'authentication_error');
        assert.equal(r.body.error.code, 'api_key_invalid');
        assert.ok(!JSON.stringify(r.body).includes(h.secretKey));
      }
      const publishable = await h.v1(method, path, body, { key: keys.publishable_key! });
      assert.equal(publishable.status, 403);
      assert.equal(publishable.body.error.code, 'permission_denied');
    });
  }

  it('accepts the key as Basic auth user name, as Stripe does', async () => {
    const res = await fetch(`${h.url}/v1/customers/${await h.customer()}/payment_methods`, {
      headers: { authorization: `Basic ${Buffer.from(`${h.secretKey}:`).toString('base64')}` },
    });
    assert.equal(res.status, 200);
  });

  it("another merchant's intents are 404 on every route, and its secret key sees none of ours", async () => {
    const other = await h.kassa.createMerchant();
    const mine = await h.createIntent({ capture_method: 'manual' });
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/confirm'],
      ['POST', '/capture'],
      ['POST', '/cancel'],
    ] as const) {
      const r = await h.v1(method, `/payment_intents/${mine.id}${suffix}`, method === 'POST' ? {} : undefined, { key: other.secretKey });
      assert.equal(r.status, 404, `${method} ${suffix}`);
      assert.equal(r.body.error.code, 'resource_missing');
    }
    assert.equal((await h.v1('GET', `/payment_intents/${mine.id}`)).body.status, 'requires_payment_method');
  });

  it('unknown and malformed intent ids are 404', async () => {
    assert.equal((await h.v1('GET', '/payment_intents/pi_doesnotexist000000')).status, 404);
    assert.equal((await h.v1('GET', '/payment_intents/nope')).status, 404);
    assert.equal((await h.v1('POST', '/payment_intents/pi_doesnotexist000000/confirm', { payment_method: 'tok_x' })).status, 404);
  });
});

describe('client secret (JWT)', () => {
  let h: Harness;
  let key: Buffer;
  before(async () => {
    h = await boot();
    const secrets = JSON.parse(readFileSync(join(h.dataDir, 'secrets.json'), 'utf8')) as { client_secret_key: string };
    key = Buffer.from(secrets.client_secret_key, 'base64');
  });
  after(async () => {
    await h.close();
  });

  const forge = (claims: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign(claims, key, { algorithm: 'HS256', ...options });

  it('is an HS256 JWT with sub, mid, iss, aud, jti and an expiry of at most 15 minutes that the widget can read', async () => {
    const intent = await h.createIntent();
    const [header] = (intent.client_secret as string).split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    const claims = jwt.decode(intent.client_secret) as Record<string, unknown>;
    assert.equal(claims.sub, intent.id);
    assert.equal(claims.mid, h.kassa.merchant);
    assert.equal(claims.aud, 'kassa:client');
    assert.equal(claims.iss, h.url);
    assert.equal(typeof claims.jti, 'string');
    assert.ok((claims.exp as number) - (claims.iat as number) <= 900);
    assert.deepEqual(readClientSecret(intent.client_secret), { sub: intent.id, iss: h.url, aud: 'kassa:client', exp: claims.exp });
    // Retrieving mints a fresh one.
    const again = await h.v1('GET', `/payment_intents/${intent.id}`);
    assert.notEqual(again.body.client_secret, intent.client_secret);
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, again.body.client_secret)).status, 200);
  });

  it('rejects forged and mis-issued secrets with 401 on every client route', async () => {
    const intent = await h.createIntent();
    const publishableKey = (JSON.parse(readFileSync(h.kassa.keysFile, 'utf8')) as { publishable_key: string }).publishable_key;
    const now = Math.floor(Date.now() / 1000);
    const base = { sub: intent.id, mid: h.kassa.merchant, iss: h.url, aud: 'kassa:client', jti: 'j1', iat: now, exp: now + 600 };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(base)}.`;
    const hs512 = jwt.sign(base, key, { algorithm: 'HS512' });
    const hs256Header = b64url({ alg: 'HS256', typ: 'JWT' });
    const tampered = `${hs256Header}.${b64url({ ...base, mid: 'acct_someoneelse000' })}.${createHmac('sha256', 'guess').update('x').digest('base64url')}`;
    const cases: Record<string, string> = {
      'alg none': unsigned,
      'alg HS512': hs512,
      'wrong key': jwt.sign(base, 'another-secret-another-secret-xx', { algorithm: 'HS256' }),
      // Algorithm confusion: an asymmetric signature, and HMAC keyed with what is public.
      'alg RS256': jwt.sign(base, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { algorithm: 'RS256' }),
      'alg ES256': jwt.sign(base, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { algorithm: 'ES256' }),
      'HS256 keyed with the publishable key': jwt.sign(base, publishableKey, { algorithm: 'HS256' }),
      'HS256 keyed with the secret key': jwt.sign(base, h.secretKey, { algorithm: 'HS256' }),
      'wrong audience': forge({ ...base, aud: 'kassa:merchant' }),
      'wrong issuer': forge({ ...base, iss: 'https://evil.example' }),
      expired: forge({ ...base, iat: now - 1000, exp: now - 60 }),
      'no expiry': forge({ sub: intent.id, mid: h.kassa.merchant, iss: h.url, aud: 'kassa:client', jti: 'j2', iat: now }),
      'lives an hour': forge({ ...base, exp: now + 3600 }),
      'no jti': forge({ sub: intent.id, mid: h.kassa.merchant, iss: h.url, aud: 'kassa:client', iat: now, exp: now + 600 }),
      tampered,
      garbage: 'not.a.jwt',
    };
    const token = await h.tokenize(intent.client_secret);
    for (const [name, secret] of Object.entries(cases)) {
      const get = await h.client('GET', `/payment_intents/${intent.id}`, secret);
      assert.equal(get.status, 401, name);
      assert.equal(get.body.error.code, 'client_secret_invalid', name);
      const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, secret, { payment_method: token.body.id });
      assert.equal(confirm.status, 401, name);
      const tok = await h.tokenize(secret);
      assert.equal(tok.status, 401, name);
    }
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, null)).status, 401);
    // Our own forge with the right key and claims works: the cases above fail for the reason named.
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, forge(base))).status, 200);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
  });

  it("a valid secret for one intent is 404 for another intent, and for another merchant's", async () => {
    const a = await h.createIntent();
    const b = await h.createIntent();
    const tokenA = await h.tokenize(a.client_secret);
    const get = await h.client('GET', `/payment_intents/${b.id}`, a.client_secret);
    assert.equal(get.status, 404);
    assert.equal(get.body.error.code, 'resource_missing');
    const confirm = await h.client('POST', `/payment_intents/${b.id}/confirm`, a.client_secret, { payment_method: tokenA.body.id });
    assert.equal(confirm.status, 404);
    assert.equal((await h.v1('GET', `/payment_intents/${b.id}`)).body.status, 'requires_payment_method');

    // A secret naming an intent under another merchant id than its own.
    const now = Math.floor(Date.now() / 1000);
    const other = await h.kassa.createMerchant();
    const wrongMerchant = forge({ sub: a.id, mid: other.merchant, iss: h.url, aud: 'kassa:client', jti: 'j3', iat: now, exp: now + 600 });
    assert.equal((await h.client('GET', `/payment_intents/${a.id}`, wrongMerchant)).status, 404);
  });

  it('refuses a secret issued in the future (beyond 30 s of clock skew) or not valid yet (nbf)', async () => {
    const intent = await h.createIntent();
    const now = Math.floor(Date.now() / 1000);
    const base = { sub: intent.id, mid: h.kassa.merchant, iss: h.url, aud: 'kassa:client', jti: 'j4' };
    const cases: Record<string, string> = {
      // Within the TTL from its own iat, but that iat is an hour away: it would live 75 minutes.
      'iat an hour ahead': forge({ ...base, iat: now + 3600, exp: now + 3600 + 600 }),
      'iat 2 minutes ahead': forge({ ...base, iat: now + 120, exp: now + 120 + 600 }),
      'nbf in 2 minutes': forge({ ...base, iat: now, nbf: now + 120, exp: now + 600 }),
    };
    for (const [name, secret] of Object.entries(cases)) {
      const get = await h.client('GET', `/payment_intents/${intent.id}`, secret);
      assert.equal(get.status, 401, name);
      assert.equal(get.body.error.code, 'client_secret_invalid', name);
      assert.equal((await h.tokenize(secret)).status, 401, name);
    }
    // A few seconds of skew between clocks is tolerated, and an nbf already passed is fine.
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, forge({ ...base, iat: now + 10, exp: now + 600 }))).status, 200);
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, forge({ ...base, iat: now, nbf: now - 5, exp: now + 600 }))).status, 200);
  });

  it('a validly signed secret naming no merchant is 401 client_secret_invalid, never a 500', async () => {
    const intent = await h.createIntent();
    const now = Math.floor(Date.now() / 1000);
    const ghost = forge({ sub: intent.id, mid: 'acct_doesnotexist', iss: h.url, aud: 'kassa:client', jti: 'j5', iat: now, exp: now + 600 });
    const tok = await h.tokenize(ghost);
    assert.equal(tok.status, 401, JSON.stringify(tok.body));
    assert.equal(tok.body.error.type, 'authentication_error');
    assert.equal(tok.body.error.code, 'client_secret_invalid');
    const get = await h.client('GET', `/payment_intents/${intent.id}`, ghost);
    assert.equal(get.status, 401);
    assert.equal(get.body.error.code, 'client_secret_invalid');
    const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, ghost, { payment_method: 'tok_abcdefghijklmnop' });
    assert.equal(confirm.status, 401);
    assert.equal(confirm.body.error.code, 'client_secret_invalid');
    // A merchant created after start is known at once.
    const other = await h.kassa.createMerchant();
    const pi = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: other.secretKey });
    assert.equal((await h.tokenize(pi.body.client_secret)).status, 200);
  });

  it('a client secret cannot be used as a merchant key, nor a secret key as a client secret', async () => {
    const intent = await h.createIntent();
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`, undefined, { key: intent.client_secret })).status, 401);
    assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, h.secretKey)).status, 401);
  });

  it('expires with the clock: a secret minted 16 minutes ago is refused', async () => {
    let now = Date.now();
    const timed = await boot({ now: () => now });
    try {
      const intent = await timed.createIntent();
      assert.equal((await timed.client('GET', `/payment_intents/${intent.id}`, intent.client_secret)).status, 200);
      now += 16 * 60 * 1000;
      assert.equal((await timed.client('GET', `/payment_intents/${intent.id}`, intent.client_secret)).status, 401);
      const fresh = await timed.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal((await timed.client('GET', `/payment_intents/${intent.id}`, fresh.body.client_secret)).status, 200);
    } finally {
      await timed.close();
    }
  });

  it('a paid intent still reads with its secret, and cannot be confirmed again', async () => {
    const { intent } = await h.pay(CARDS.visa);
    const view = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
    assert.equal(view.body.status, 'succeeded');
    const token = await h.tokenize(intent.client_secret);
    const again = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'payment_intent_unexpected_state');
    assert.equal(again.body.error.payment_intent.status, 'succeeded');
  });
});
