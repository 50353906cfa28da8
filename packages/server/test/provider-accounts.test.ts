/**
 * Each merchant's own provider accounts (the operator API): made, listed, read and deactivated;
 * bad input refused with a clear 4xx and nothing stored; a merchant with a Stripe account pays
 * through Stripe while another merchant on the same server pays on the sandbox; a deactivated
 * account takes no new payment but still captures and refunds what was paid there; a second
 * instance on the same database uses an account the first made; keys rolled and an account
 * reactivated through an update, which every instance follows; the keys are nowhere in clear.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { LogCapture, assertError, boot, request, tableCounts } from './helpers.js';
import type { Harness, Reply } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';
import { PayPalFake } from './fakes/paypal-fake.js';
import { openSecrets, sealSecrets } from '../src/provider-accounts.js';

const VISA = '4242424242424242';
const PUBLIC_URL = 'https://pay.shop.test';

const operator = (h: Harness, method: string, path: string, body?: unknown, key: string | null = h.kassa.operatorKey) =>
  request(`${h.url}/operator${path}`, method, body, key);

async function register(h: Harness, name = 'Shop B'): Promise<{ account: string; secretKey: string }> {
  const r = await operator(h, 'POST', '/merchants', { business_name: name, allowed_origins: ['http://localhost:3000'] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { account: r.body.merchant.id, secretKey: r.body.keys.secret_key };
}

/** A merchant's card payment from its backend and the widget; the confirm's answer. */
async function pay(h: Harness, secretKey: string, params: Record<string, unknown> = {}): Promise<{ id: string; confirm: Reply }> {
  const intent = await h.createIntent({ amount: 4200, currency: 'usd', ...params }, { key: secretKey });
  const token = await h.tokenize(intent.client_secret, { number: VISA });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
  return { id: intent.id, confirm };
}

const providerOf = (h: Harness, intentId: string) => (h.db().prepare('SELECT provider FROM payment_intents WHERE id = ?').get(intentId) as { provider: string }).provider;

async function withStripe(fn: (fake: StripeFake, h: Harness) => Promise<void>, options: Parameters<typeof boot>[0] = {}) {
  const fake = await StripeFake.start();
  const h = await boot({ publicUrl: PUBLIC_URL, ...options });
  try {
    await fn(fake, h);
  } finally {
    await h.close();
    await fake.close();
  }
}

const stripeAccount = (fake: StripeFake, extra: Record<string, unknown> = {}) => ({ type: 'stripe', mode: 'test', secretKey: fake.secretKey, apiBase: fake.url, ...extra });

describe("merchants' own provider accounts", () => {
  it('are made, listed, read and deactivated by the operator, and no answer shows a key', () =>
    withStripe(async (fake, h) => {
      const { account } = await register(h);
      const made = await operator(h, 'POST', `/merchants/${account}/provider_accounts`, stripeAccount(fake, { name: 'Stripe EU' }));
      assert.equal(made.status, 200, JSON.stringify(made.body));
      assert.match(made.body.id, /^pa_[A-Za-z0-9]{24}$/);
      assert.equal(made.body.object, 'provider_account');
      assert.equal(made.body.merchant, account);
      assert.equal(made.body.type, 'stripe');
      assert.equal(made.body.mode, 'test');
      assert.equal(made.body.name, 'Stripe EU');
      assert.equal(made.body.active, true);
      assert.deepEqual(made.body.config, { apiBase: fake.url });
      assert.deepEqual(made.body.secrets, { secretKey: { configured: true, last4: fake.secretKey.slice(-4) }, webhookSecret: { configured: false, last4: null } });

      const list = await operator(h, 'GET', `/merchants/${account}/provider_accounts`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.map((a: { id: string }) => a.id), [made.body.id]);
      const one = await operator(h, 'GET', `/merchants/${account}/provider_accounts/${made.body.id}`);
      assert.deepEqual(one.body, made.body);
      // Another merchant does not see it, even by id.
      const other = await register(h, 'Shop C');
      assertError(await operator(h, 'GET', `/merchants/${other.account}/provider_accounts/${made.body.id}`), 404, 'resource_missing');
      assert.deepEqual((await operator(h, 'GET', `/merchants/${other.account}/provider_accounts`)).body.data, []);

      const off = await operator(h, 'DELETE', `/merchants/${account}/provider_accounts/${made.body.id}`);
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.active, false);
      assert.equal(typeof off.body.deactivated_at, 'number');
      // Kept (its payments still go through it), and deactivating again changes nothing.
      const again = await operator(h, 'DELETE', `/merchants/${account}/provider_accounts/${made.body.id}`);
      assert.equal(again.body.deactivated_at, off.body.deactivated_at);
      for (const r of [made, list, one, off]) assert.ok(!JSON.stringify(r.body).includes(fake.secretKey), 'no answer holds the key');
    }));

  it('refuse bad input with a clear 4xx and store nothing', () =>
    withStripe(async (fake, h) => {
      const { account, secretKey } = await register(h);
      const path = `/merchants/${account}/provider_accounts`;
      const before = tableCounts(h);
      const cases: Array<[string, Reply, number, string, string | undefined]> = [
        ['unknown type', await operator(h, 'POST', path, { ...stripeAccount(fake), type: 'worldpay' }), 400, 'parameter_invalid', 'type'],
        ['the sandbox is nobody\'s account', await operator(h, 'POST', path, { type: 'sandbox', mode: 'test' }), 400, 'parameter_invalid', 'type'],
        ['missing key', await operator(h, 'POST', path, { type: 'stripe', mode: 'test' }), 400, 'parameter_missing', 'secretKey'],
        ['missing mode', await operator(h, 'POST', path, { type: 'stripe', secretKey: fake.secretKey }), 400, 'parameter_missing', 'mode'],
        ['unknown field', await operator(h, 'POST', path, { ...stripeAccount(fake), hmacKey: 'x' }), 400, 'parameter_unknown', 'hmacKey'],
        ['not a webhook secret', await operator(h, 'POST', path, { ...stripeAccount(fake), webhookSecret: 'sk_test_pasted_by_mistake' }), 400, 'parameter_invalid', 'webhookSecret'],
        ['a live key in test mode', await operator(h, 'POST', path, stripeAccount(fake, { secretKey: 'sk_live_0123456789abcdef' })), 400, 'parameter_invalid', 'secretKey'],
        ['a test key in live mode, not activated', await operator(h, 'POST', path, stripeAccount(fake, { mode: 'live' })), 400, 'account_not_live', 'mode'],
        ['unknown merchant', await operator(h, 'POST', '/merchants/acct_00000000/provider_accounts', stripeAccount(fake)), 404, 'resource_missing', undefined],
        ['a merchant key', await operator(h, 'POST', path, stripeAccount(fake), secretKey), 401, 'api_key_invalid', undefined],
        ['no key', await operator(h, 'POST', path, stripeAccount(fake), null), 401, 'api_key_invalid', undefined],
        ['unknown account id', await operator(h, 'GET', `${path}/pa_00000000`), 404, 'resource_missing', undefined],
        ['a bad account id', await operator(h, 'DELETE', `${path}/nope`), 404, 'resource_missing', undefined],
      ];
      for (const [label, reply, status, code, param] of cases) {
        assertError(reply, status, code, param, label);
        assert.ok(!JSON.stringify(reply.body).includes('sk_live_0123456789abcdef') && !JSON.stringify(reply.body).includes(fake.secretKey), `${label}: no key in the error`);
      }
      assert.match(cases[6]![1].body.error.message, /must start with sk_test_/);
      assert.match(cases[7]![1].body.error.message, /not activated for live mode/);
      assert.deepEqual(tableCounts(h), before, 'nothing stored');

      // Once activated, a live key in live mode is taken (and a test key there is not).
      assert.equal((await operator(h, 'POST', `/merchants/${account}/activate`, {})).status, 200);
      assertError(await operator(h, 'POST', path, stripeAccount(fake, { mode: 'live' })), 400, 'parameter_invalid', 'secretKey');
      const live = await operator(h, 'POST', path, stripeAccount(fake, { mode: 'live', secretKey: 'sk_live_0123456789abcdef' }));
      assert.equal(live.status, 200, JSON.stringify(live.body));
      assert.equal(live.body.livemode, true);
    }));

  it("a merchant with a Stripe account pays through Stripe; another merchant on the same server still pays on the sandbox", () =>
    withStripe(async (fake, h) => {
      const b = await register(h);
      const made = await operator(h, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake));
      assert.equal(made.status, 200, JSON.stringify(made.body));

      const atStripe = await pay(h, b.secretKey);
      assert.equal(atStripe.confirm.status, 200, JSON.stringify(atStripe.confirm.body));
      assert.equal(atStripe.confirm.body.status, 'succeeded');
      assert.equal(fake.intents().length, 1, 'the payment reached Stripe');
      assert.equal(fake.intents()[0]?.metadata?.['kassa_reference'], atStripe.id);
      assert.equal(providerOf(h, atStripe.id), made.body.id, "the intent records the account's id");

      const atSandbox = await pay(h, h.secretKey);
      assert.equal(atSandbox.confirm.body.status, 'succeeded');
      assert.equal(fake.intents().length, 1, 'the default merchant never reaches Stripe');
      assert.equal(providerOf(h, atSandbox.id), 'sandbox');

      // The refund follows the payment to Stripe.
      const refund = await h.v1('POST', '/refunds', { payment_intent: atStripe.id, amount: 1000 }, { key: b.secretKey });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      assert.equal(fake.acted('create_refund'), 1);
    }));

  it('deactivated: a new payment goes to the server default, an earlier hold is still captured and refunded through the account', () =>
    withStripe(async (fake, h) => {
      const b = await register(h);
      const made = await operator(h, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake));
      const held = await pay(h, b.secretKey, { capture_method: 'manual' });
      assert.equal(held.confirm.body.status, 'requires_capture', JSON.stringify(held.confirm.body));
      assert.equal((await operator(h, 'DELETE', `/merchants/${b.account}/provider_accounts/${made.body.id}`)).status, 200);

      const after = await pay(h, b.secretKey);
      assert.equal(after.confirm.body.status, 'succeeded');
      assert.equal(providerOf(h, after.id), 'sandbox', 'no new payment goes to a deactivated account');
      assert.equal(fake.intents().length, 1);

      const captured = await h.v1('POST', `/payment_intents/${held.id}/capture`, {}, { key: b.secretKey });
      assert.equal(captured.status, 200, JSON.stringify(captured.body));
      assert.equal(captured.body.status, 'succeeded');
      assert.equal(fake.acted('capture'), 1, 'captured at Stripe');
      const refund = await h.v1('POST', '/refunds', { payment_intent: held.id }, { key: b.secretKey });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      assert.equal(fake.acted('create_refund'), 1, 'refunded at Stripe');
    }));

  it('keys rolled at Stripe: the account takes the new key, and a hold made before is captured and refunded with it; a second instance follows', () =>
    withStripe(async (fake, a) => {
      const b = await register(a);
      const second = await boot({ publicUrl: PUBLIC_URL }, a.dataDir);
      try {
        const made = await operator(a, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake, { name: 'Stripe EU' }));
        const held = await pay(a, b.secretKey, { capture_method: 'manual' });
        assert.equal(held.confirm.body.status, 'requires_capture', JSON.stringify(held.confirm.body));
        const oldKey = fake.secretKey;
        const newKey = fake.rollKey();
        // Until the account has the new key, Stripe refuses the old one: a clear error, nothing captured.
        const refused = await a.v1('POST', `/payment_intents/${held.id}/capture`, {}, { key: b.secretKey });
        assert.ok(refused.status >= 400 && refused.status !== 500, JSON.stringify(refused.body));
        assert.equal(fake.acted('capture'), 0);

        const path = `/merchants/${b.account}/provider_accounts/${made.body.id}`;
        const rolled = await operator(a, 'POST', path, { secretKey: newKey });
        assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
        assert.deepEqual([rolled.body.id, rolled.body.name, rolled.body.active, rolled.body.config], [made.body.id, 'Stripe EU', true, { apiBase: fake.url }], 'the rest as it was');
        assert.equal(rolled.body.secrets.secretKey.last4, newKey.slice(-4));
        assert.ok(!JSON.stringify(rolled.body).includes(newKey) && !JSON.stringify(rolled.body).includes(oldKey));

        const captured = await a.v1('POST', `/payment_intents/${held.id}/capture`, {}, { key: b.secretKey });
        assert.deepEqual([captured.status, captured.body.status], [200, 'succeeded'], JSON.stringify(captured.body));
        // The other instance builds the account again when it sees the change (before it resolves the intent's provider).
        const refund = await second.v1('POST', '/refunds', { payment_intent: held.id, amount: 1000 }, { key: b.secretKey });
        assert.equal(refund.status, 200, JSON.stringify(refund.body));
        const paid = await pay(second, b.secretKey);
        assert.equal(paid.confirm.body.status, 'succeeded', JSON.stringify(paid.confirm.body));
        assert.equal(providerOf(second, paid.id), made.body.id, 'same account, same place in the order');
        // The stored secret is the new key, sealed: the row has neither key in clear.
        const row = a.db().prepare('SELECT * FROM provider_accounts WHERE id = ?').get(made.body.id) as Record<string, unknown>;
        assert.equal(row.revision, 1);
        assert.ok(!JSON.stringify(row).includes(newKey) && !(row.secrets_ciphertext as Buffer).includes(Buffer.from(newKey)));
      } finally {
        await second.close();
      }
    }));

  it('a change another instance cannot build (a tampered row) keeps the adapter it had: its hold is still captured there', () =>
    withStripe(async (fake, a) => {
      const b = await register(a);
      const second = await boot({ publicUrl: PUBLIC_URL }, a.dataDir);
      try {
        const made = await operator(a, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake));
        const held = await pay(second, b.secretKey, { capture_method: 'manual' });
        assert.equal(held.confirm.body.status, 'requires_capture', JSON.stringify(held.confirm.body));
        assert.equal(providerOf(second, held.id), made.body.id);
        // A change whose sealed keys do not open (a restored backup, a tampered row).
        const db = new Database(join(a.dataDir, 'kassa.sqlite'), { fileMustExist: true });
        db.prepare('UPDATE provider_accounts SET secrets_ciphertext = randomblob(length(secrets_ciphertext)), revision = revision + 1 WHERE id = ?').run(made.body.id);
        db.close();
        const captured = await second.v1('POST', `/payment_intents/${held.id}/capture`, {}, { key: b.secretKey });
        assert.deepEqual([captured.status, captured.body.status], [200, 'succeeded'], JSON.stringify(captured.body));
        assert.equal(fake.acted('capture'), 1, 'captured at Stripe, with the adapter built before the change');
      } finally {
        await second.close();
      }
    }));

  it('reactivated: new payments go there again; a change is checked as a create is, and a bad one stores nothing', () =>
    withStripe(async (fake, h) => {
      const b = await register(h);
      const made = await operator(h, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake, { name: 'Stripe EU' }));
      const path = `/merchants/${b.account}/provider_accounts/${made.body.id}`;
      assert.equal((await operator(h, 'DELETE', path)).body.active, false);
      assert.equal(providerOf(h, (await pay(h, b.secretKey)).id), 'sandbox');
      const back = await operator(h, 'POST', path, { active: true, name: null });
      assert.deepEqual([back.status, back.body.active, back.body.deactivated_at, back.body.name], [200, true, null, null], JSON.stringify(back.body));
      assert.equal(providerOf(h, (await pay(h, b.secretKey)).id), made.body.id, 'new payments go there again');

      const before = JSON.stringify(h.db().prepare('SELECT * FROM provider_accounts').all());
      const cases: Array<[string, Reply, number, string, string | undefined]> = [
        ['a live key in test mode', await operator(h, 'POST', path, { secretKey: 'sk_live_0123456789abcdef' }), 400, 'parameter_invalid', 'secretKey'],
        ['not a webhook secret', await operator(h, 'POST', path, { webhookSecret: 'sk_test_pasted' }), 400, 'parameter_invalid', 'webhookSecret'],
        ['another type', await operator(h, 'POST', path, { type: 'adyen' }), 400, 'parameter_invalid', 'type'],
        ['another mode', await operator(h, 'POST', path, { mode: 'live' }), 400, 'parameter_invalid', 'mode'],
        ["a field of another type", await operator(h, 'POST', path, { merchantAccount: 'ShopECOM' }), 400, 'parameter_unknown', 'merchantAccount'],
        ['active not a boolean', await operator(h, 'POST', path, { active: 'yes' }), 400, 'parameter_invalid', 'active'],
        ['a bad URL', await operator(h, 'POST', path, { apiBase: 'ftp://x' }), 400, 'parameter_invalid', 'apiBase'],
        ['an empty key', await operator(h, 'POST', path, { secretKey: '' }), 400, 'parameter_invalid', 'secretKey'],
        ['unknown account id', await operator(h, 'POST', `/merchants/${b.account}/provider_accounts/pa_00000000`, { name: 'x' }), 404, 'resource_missing', undefined],
        ['a merchant key', await operator(h, 'POST', path, { name: 'x' }, b.secretKey), 401, 'api_key_invalid', undefined],
        ["another merchant's account", await operator(h, 'POST', `/merchants/${(await register(h, 'Shop D')).account}/provider_accounts/${made.body.id}`, { name: 'x' }), 404, 'resource_missing', undefined],
        ['not JSON', await request(`${h.url}/operator${path}`, 'POST', undefined, h.kassa.operatorKey, { headers: { 'content-type': 'application/json' }, raw: '{"name":' }), 400, 'invalid_json', undefined],
      ];
      for (const [label, reply, status, code, param] of cases) {
        assertError(reply, status, code, param, label);
        assert.ok(!JSON.stringify(reply.body).includes('sk_live_0123456789abcdef'), `${label}: no key in the error`);
      }
      assert.match(cases[2]![1].body.error.message, /type is fixed/);
      assert.equal(JSON.stringify(h.db().prepare('SELECT * FROM provider_accounts').all()), before, 'nothing stored');
    }));

  it('a second instance on the same database uses an account the first one made after it started', () =>
    withStripe(async (fake, a) => {
      const b = await register(a);
      // Started after the merchant exists (merchants are loaded at start), before its account does.
      const second = await boot({ publicUrl: PUBLIC_URL }, a.dataDir);
      try {
        const made = await operator(a, 'POST', `/merchants/${b.account}/provider_accounts`, stripeAccount(fake));
        assert.equal(made.status, 200, JSON.stringify(made.body));
        const paid = await pay(second, b.secretKey);
        assert.equal(paid.confirm.body.status, 'succeeded', JSON.stringify(paid.confirm.body));
        assert.equal(fake.intents().length, 1, 'instance B paid through the account A made');
        assert.equal(providerOf(second, paid.id), made.body.id);
        // Deactivated through A: B sends the next payment to the default.
        await operator(a, 'DELETE', `/merchants/${b.account}/provider_accounts/${made.body.id}`);
        const next = await pay(second, b.secretKey);
        assert.equal(providerOf(second, next.id), 'sandbox');
        // And B still refunds the first through the account.
        const refund = await second.v1('POST', '/refunds', { payment_intent: paid.id }, { key: b.secretKey });
        assert.equal(refund.status, 200, JSON.stringify(refund.body));
        assert.equal(fake.acted('create_refund'), 1);
      } finally {
        await second.close();
      }
    }));

  it("a merchant's PayPal account takes its payments, and its notifications are verified with that account's own webhook id", async () => {
    const fake = await PayPalFake.start();
    const h = await boot({ publicUrl: PUBLIC_URL, actionPollIntervalMs: 0 });
    try {
      const b = await register(h);
      const made = await operator(h, 'POST', `/merchants/${b.account}/provider_accounts`, {
        type: 'paypal', mode: 'test', clientId: fake.clientId, clientSecret: fake.clientSecret, apiBase: fake.url, webhookId: fake.webhookId,
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      assert.deepEqual(made.body.secrets, { clientSecret: { configured: true, last4: fake.clientSecret.slice(-4) } });
      const intent = await h.createIntent({ amount: 4200, currency: 'usd' }, { key: b.secretKey });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      assert.equal(confirmed.body.status, 'requires_action', JSON.stringify(confirmed.body));
      const redirect = new URL(confirmed.body.next_action.redirect_to_url.url);
      const order = redirect.searchParams.get('token') ?? '';
      fake.approve(order);
      // The default merchant has no PayPal at all: the route knows the type through the account alone.
      assert.equal(await fake.notify(`${h.url}/providers/paypal/webhooks`, fake.orderEvent(order)), 200);
      let status = '';
      for (let i = 0; i < 50 && status !== 'succeeded'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await h.v1('GET', `/payment_intents/${intent.id}`, undefined, { key: b.secretKey })).body.status;
      }
      assert.equal(status, 'succeeded');
      const stored = h.db().prepare('SELECT provider, outcome FROM provider_notifications').all();
      assert.deepEqual(stored, [{ provider: made.body.id, outcome: 'completed:succeeded' }], "verified by the merchant's account, and applied");
      // Another merchant's payment still does not know PayPal.
      const other = await h.createIntent({ amount: 100, currency: 'usd' });
      const refused = await h.client('POST', `/payment_intents/${other.id}/confirm`, other.client_secret, { payment_method_data: { type: 'paypal' } });
      assertError(refused, 400, 'payment_method_unactivated');
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it("a notification for an account another instance made a moment ago is verified at once (no waiting for the periodic reload)", async () => {
    const fake = await PayPalFake.start();
    const a = await boot({ publicUrl: PUBLIC_URL, actionPollIntervalMs: 0 });
    const b0 = await register(a);
    // Started before the account exists; its periodic reload (every 2 s) has not run when the notification comes.
    const second = await boot({ publicUrl: PUBLIC_URL }, a.dataDir);
    try {
      const made = await operator(a, 'POST', `/merchants/${b0.account}/provider_accounts`, {
        type: 'paypal', mode: 'test', clientId: fake.clientId, clientSecret: fake.clientSecret, apiBase: fake.url, webhookId: fake.webhookId,
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const intent = await a.createIntent({ amount: 1900, currency: 'usd' }, { key: b0.secretKey });
      const confirmed = await a.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      const order = new URL(confirmed.body.next_action.redirect_to_url.url).searchParams.get('token') ?? '';
      fake.approve(order);
      assert.equal(await fake.notify(`${second.url}/providers/paypal/webhooks`, fake.orderEvent(order)), 200, 'verified by the account instance A made');
      let status = '';
      for (let i = 0; i < 50 && status !== 'succeeded'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await a.v1('GET', `/payment_intents/${intent.id}`, undefined, { key: b0.secretKey })).body.status;
      }
      assert.equal(status, 'succeeded');
    } finally {
      await second.close();
      await a.close();
      await fake.close();
    }
  });

  it('keep their keys out of the database files, the logs and the error answers', async () => {
    const logs = new LogCapture();
    const fake = await StripeFake.start({ secretKey: `sk_test_${randomBytes(16).toString('hex')}` });
    const h = await boot({ publicUrl: PUBLIC_URL, logLevel: 'debug', logDestination: logs });
    const adyenKey = `AQE${randomBytes(24).toString('hex')}`;
    const hmacKey = randomBytes(32).toString('hex').toUpperCase();
    try {
      const b = await register(h);
      const path = `/merchants/${b.account}/provider_accounts`;
      assert.equal((await operator(h, 'POST', path, stripeAccount(fake))).status, 200);
      const adyen = await operator(h, 'POST', path, { type: 'adyen', mode: 'test', apiKey: adyenKey, hmacKey, merchantAccount: 'ShopB', checkoutBase: 'http://127.0.0.1:9/v71' });
      assert.equal(adyen.status, 200, JSON.stringify(adyen.body));
      assert.deepEqual(Object.keys(adyen.body.secrets).sort(), ['apiKey', 'hmacKey']);
      const paid = await pay(h, b.secretKey);
      assert.equal(paid.confirm.body.status, 'succeeded');
      const refused = await operator(h, 'POST', path, stripeAccount(fake, { mode: 'live', secretKey: `sk_live_${'9'.repeat(24)}` }));
      assert.equal(refused.status, 400);
      const wrongPrefix = await operator(h, 'POST', path, stripeAccount(fake, { secretKey: `sk_live_${'8'.repeat(24)}` }));
      assert.equal(wrongPrefix.status, 400);
      const errors = JSON.stringify([refused.body, wrongPrefix.body]);
      const secrets = [fake.secretKey, adyenKey, hmacKey, '9'.repeat(24), '8'.repeat(24)];
      for (const s of secrets) assert.ok(!errors.includes(s), 'no key in an error answer');

      // Checkpoint-free: the WAL is read as it stands, beside the main file.
      const files = readdirSync(h.dataDir).filter((f) => f.startsWith('kassa.sqlite'));
      assert.ok(files.some((f) => f.endsWith('-wal')) || files.length >= 1);
      for (const f of files) {
        const bytes = readFileSync(join(h.dataDir, f));
        for (const s of secrets.slice(0, 3)) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${f} holds no key in clear`);
      }
      const row = h.db().prepare('SELECT config, secret_hints FROM provider_accounts WHERE type = ?').get('adyen') as { config: string; secret_hints: string };
      assert.deepEqual(JSON.parse(row.config), { merchantAccount: 'ShopB', checkoutBase: 'http://127.0.0.1:9/v71' });
      assert.deepEqual(JSON.parse(row.secret_hints), { apiKey: adyenKey.slice(-4), hmacKey: hmacKey.slice(-4) });
    } finally {
      await h.close();
      await fake.close();
    }
    assert.ok(logs.text.includes('provider_accounts'), 'the requests were logged');
    for (const s of [fake.secretKey, adyenKey, hmacKey]) assert.ok(!logs.text.includes(s), 'no key in the logs');
  });

  it("a sealed secret opens only for its own row and merchant", () => {
    const key = randomBytes(32);
    const sealed = sealSecrets(key, 'pa_one', 'acct_a', { secretKey: 'sk_test_x' });
    assert.deepEqual(openSecrets(key, 'pa_one', 'acct_a', sealed), { secretKey: 'sk_test_x' });
    assert.throws(() => openSecrets(key, 'pa_two', 'acct_a', sealed), 'copied to another row');
    assert.throws(() => openSecrets(key, 'pa_one', 'acct_b', sealed), "copied to another merchant's");
    assert.throws(() => openSecrets(randomBytes(32), 'pa_one', 'acct_a', sealed), 'under another key');
    assert.ok(!sealed.ciphertext.includes(Buffer.from('sk_test_x')));
  });
});
