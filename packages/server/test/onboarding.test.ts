/**
 * Onboarding, keys, and test and live mode kept apart (docs/API.md, "Operator API"): the
 * operator registers a merchant, who gets a test key pair at once; the operator activates live
 * mode, which gives the account a live scope and live keys; restricted keys, rotation with an
 * overlap, revocation, and the operator key that no merchant key replaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import Stripe from 'stripe';
import { CARDS, FUTURE_YEAR, SHOP, boot, request } from './helpers.js';
import type { Harness } from './helpers.js';

describe('onboarding, keys and modes', () => {
  let h: Harness;
  let op = '';
  let now = Date.now();
  const operator = (method: string, path: string, body?: unknown, key: string | null = op) => request(`${h.url}/operator${path}`, method, body, key);

  before(async () => {
    h = await boot({ now: () => now });
    assert.ok(h.kassa.operatorKey, 'the operator key is made on first start');
    op = h.kassa.operatorKey;
  });
  after(async () => {
    await h.close();
  });

  it('the operator key: made once, kept hashed, in a private file; no merchant key works on /operator, nor it on /v1', async () => {
    assert.match(op, /^op_[A-Za-z0-9]{40}$/);
    assert.deepEqual(JSON.parse(readFileSync(h.kassa.operatorKeyFile, 'utf8')), { operator_key: op });
    assert.equal(statSync(h.kassa.operatorKeyFile).mode & 0o777, 0o600);
    const stored = h.db().prepare("SELECT value FROM settings WHERE key = 'operator_key_hash'").get() as { value: string };
    assert.match(stored.value, /^[0-9a-f]{64}$/);
    assert.ok(!readFileSync(`${h.dataDir}/kassa.sqlite`).toString('latin1').includes(op));
    for (const key of [null, h.secretKey, 'op_wrongwrongwrongwrongwrongwrongwrongwrong']) {
      const r = await operator('GET', '/merchants', undefined, key);
      assert.equal(r.status, 401, String(key));
      assert.equal(r.body.error.code, 'api_key_invalid');
    }
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: op })).status, 401);
  });

  it('registers a merchant with a test key pair at once, activates live mode, and the two modes never see each other', async () => {
    const reg = await operator('POST', '/merchants', {
      business_name: 'Tea House Ltd',
      country: 'CN',
      default_currency: 'cny',
      email: 'ops@teahouse.example',
      allowed_origins: [SHOP],
    });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    const account = reg.body.merchant.id as string;
    assert.match(account, /^acct_/);
    assert.equal(reg.body.merchant.livemode_enabled, false);
    const testKey = reg.body.keys.secret_key as string;
    assert.match(testKey, /^sk_test_/);
    assert.match(reg.body.keys.publishable_key, /^pk_test_/);

    const testIntent = await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny' }, { key: testKey });
    assert.equal(testIntent.body.livemode, false);
    assert.equal((await h.v1('POST', '/payment_intents', { amount: 1, currency: 'cny' }, { key: reg.body.keys.publishable_key })).status, 403);

    // No live keys before the operator approves.
    const early = await operator('POST', `/merchants/${account}/keys`, { type: 'secret', livemode: true });
    assert.equal(early.status, 400);
    assert.equal(early.body.error.code, 'account_not_live');

    const activated = await operator('POST', `/merchants/${account}/activate`, {});
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.equal(activated.body.merchant.livemode_enabled, true);
    const liveKey = activated.body.keys.secret_key as string;
    assert.match(liveKey, /^sk_live_/);
    assert.equal((await operator('POST', `/merchants/${account}/activate`, {})).body.error.code, 'account_already_live');

    const liveIntent = await h.v1('POST', '/payment_intents', { amount: 2000, currency: 'cny' }, { key: liveKey });
    assert.equal(liveIntent.status, 200);
    assert.equal(liveIntent.body.livemode, true);
    const liveCustomer = await h.v1('POST', '/customers', { name: 'Live shopper' }, { key: liveKey });
    assert.equal(liveCustomer.body.livemode, true);

    // Each mode sees only its own objects: by id, in lists, in search.
    assert.equal((await h.v1('GET', `/payment_intents/${liveIntent.body.id}`, undefined, { key: testKey })).status, 404);
    assert.equal((await h.v1('GET', `/payment_intents/${testIntent.body.id}`, undefined, { key: liveKey })).status, 404);
    assert.equal((await h.v1('GET', `/customers/${liveCustomer.body.id}`, undefined, { key: testKey })).status, 404);
    assert.equal((await h.v1('POST', `/payment_intents/${testIntent.body.id}/cancel`, {}, { key: liveKey })).status, 404);
    assert.deepEqual((await h.v1('GET', '/payment_intents', undefined, { key: liveKey })).body.data.map((i: { id: string }) => i.id), [liveIntent.body.id]);
    assert.deepEqual((await h.v1('GET', '/payment_intents', undefined, { key: testKey })).body.data.map((i: { id: string }) => i.id), [testIntent.body.id]);
    const live = new Stripe(liveKey, { host: '127.0.0.1', port: Number(new URL(h.url).port), protocol: 'http', maxNetworkRetries: 0 });
    assert.deepEqual((await live.customers.list()).data.map((c) => c.id), [liveCustomer.body.id]);

    // Live mode refuses the sandbox: test cards, Stripe's test ids, and (no live provider yet) confirms.
    const token = await h.client('POST', '/tokens', liveIntent.body.client_secret, { card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } });
    assert.equal(token.status, 400);
    assert.deepEqual([token.body.error.code, token.body.error.param], ['testmode_card_in_livemode', 'card[number]']);
    const testId = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', payment_method: 'pm_card_visa', confirm: true }, { key: liveKey });
    assert.equal(testId.status, 404);
    const real = await h.client('POST', '/tokens', liveIntent.body.client_secret, { card: { number: '4000056655665556', exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } });
    assert.equal(real.status, 400, 'a sandbox test card too');
    const other = await h.client('POST', '/tokens', liveIntent.body.client_secret, { card: { number: '5105105105105100', exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } });
    assert.equal(other.status, 200);
    const confirm = await h.v1('POST', `/payment_intents/${liveIntent.body.id}/confirm`, { payment_method: other.body.id }, { key: liveKey });
    assert.equal(confirm.status, 400);
    assert.equal(confirm.body.error.code, 'provider_not_configured');
    assert.equal((await h.v1('GET', `/payment_intents/${liveIntent.body.id}`, undefined, { key: liveKey })).body.status, 'requires_payment_method');

    // A live webhook endpoint gets the live SSRF policy: no loopback target.
    const hook = await h.v1('POST', '/webhook_endpoints', { url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] }, { key: liveKey });
    assert.equal(hook.status, 400);
    assert.equal(hook.body.error.code, 'url_invalid');

    const listed = await operator('GET', '/merchants');
    assert.ok(listed.body.data.some((m: { id: string; livemode_enabled: boolean }) => m.id === account && m.livemode_enabled));
  });

  it('restricted keys reach only what they are given: read, or write too, per resource', async () => {
    const { body } = await operator('POST', '/merchants', { business_name: 'Restricted', allowed_origins: [SHOP] });
    const account = body.merchant.id as string;
    const rk = await operator('POST', `/merchants/${account}/keys`, { type: 'restricted', name: 'reporting', permissions: { payment_intents: 'read', refunds: 'write' } });
    assert.equal(rk.status, 200, JSON.stringify(rk.body));
    const key = rk.body.secret as string;
    assert.match(key, /^rk_test_/);
    assert.deepEqual(rk.body.permissions, { payment_intents: 'read', refunds: 'write' });
    const intent = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: body.keys.secret_key });
    assert.equal((await h.v1('GET', `/payment_intents/${intent.body.id}`, undefined, { key })).status, 200);
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key })).status, 200);
    const write = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key });
    assert.equal(write.status, 403);
    assert.equal(write.body.error.code, 'permission_denied');
    assert.equal((await h.v1('GET', '/customers', undefined, { key })).status, 403);
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.body.id }, { key })).body.error.code, 'charge_not_refundable', 'refunds: write is allowed');
    for (const bad of [
      { type: 'restricted' },
      { type: 'restricted', permissions: { payouts: 'write' } },
      { type: 'restricted', permissions: { customers: 'admin' } },
      { type: 'secret', permissions: { customers: 'read' } },
      { type: 'superuser' },
    ]) {
      const r = await operator('POST', `/merchants/${account}/keys`, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
  });

  it('a rolled key keeps working until its overlap ends; a revoked key stops at once; last use is recorded', async () => {
    const { body } = await operator('POST', '/merchants', { business_name: 'Rolling', allowed_origins: [SHOP] });
    const account = body.merchant.id as string;
    const old = body.keys.secret_key as string;
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: old })).status, 200);
    const keys = (await operator('GET', `/merchants/${account}/keys`)).body.data as Array<{ id: string; type: string; last_used: number | null; prefix: string }>;
    const secret = keys.find((k) => k.type === 'secret');
    assert.ok(secret?.last_used, 'last use recorded');
    assert.ok(old.startsWith(secret.prefix.replace('…', '')), 'the prefix identifies the key without revealing it');
    assert.ok(!JSON.stringify(keys).includes(old), 'a key is never shown again');

    const rolled = await operator('POST', `/keys/${secret.id}/roll`, { expires_in: 3600 });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    const fresh = rolled.body.secret as string;
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: old })).status, 200, 'during the overlap both work');
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: fresh })).status, 200);
    now += 3601 * 1000;
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: old })).status, 401, 'after it, only the new one');
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: fresh })).status, 200);

    const revoked = await operator('POST', `/keys/${rolled.body.id}/revoke`, {});
    assert.notEqual(revoked.body.revoked_at, null);
    assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: fresh })).status, 401);
    assert.equal((await operator('POST', `/keys/${rolled.body.id}/roll`, {})).body.error.code, 'api_key_expired');
    assert.equal((await operator('POST', `/keys/${secret.id}/roll`, { expires_in: 8 * 24 * 3600 })).status, 400);
  });

  it('operator routes refuse bad input with a 4xx naming it, and unknown accounts and keys are 404', async () => {
    const cases: Array<[string, string, unknown, number, string | undefined]> = [
      ['POST', '/merchants', {}, 400, 'business_name'],
      ['POST', '/merchants', { business_name: 'x', allowed_origins: ['https://shop.example/path'] }, 400, 'allowed_origins[0]'],
      ['POST', '/merchants', { business_name: 'x', allowed_origins: [SHOP], plan: 'gold' }, 400, 'plan'],
      ['POST', '/merchants', { business_name: 'x', allowed_origins: [SHOP], country: 'China' }, 400, 'country'],
      ['GET', '/merchants/acct_doesnotexist0000000000', undefined, 404, undefined],
      ['POST', '/merchants/acct_doesnotexist0000000000/activate', {}, 404, undefined],
      ['POST', '/keys/key_doesnotexist0000000000/revoke', {}, 404, undefined],
      ['POST', '/merchants/not-an-id/keys', { type: 'secret' }, 404, undefined],
      ['DELETE', '/merchants', undefined, 405, undefined],
    ];
    for (const [method, path, body, status, param] of cases) {
      const r = await operator(method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.param, param, `${method} ${path}`);
    }
  });

  it('a restart does not show the operator key again, and the old key still works', async () => {
    const first = await boot();
    const dir = first.dataDir;
    const key = first.kassa.operatorKey;
    await first.kassa.close();
    const again = await boot({}, dir);
    try {
      assert.equal(again.kassa.operatorKey, null);
      assert.equal((await request(`${again.url}/operator/merchants`, 'GET', undefined, key)).status, 200);
    } finally {
      await again.close();
    }
  });
});
