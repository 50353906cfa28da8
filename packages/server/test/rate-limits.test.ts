/**
 * Limits a payment API owes its merchants and shoppers: request budgets per key and per
 * address (429 with Retry-After, nothing stored), lockout after failed authentications, card
 * testing caps (tokenizations per address and per payment, declines per payment, which survive
 * a restart), Stripe-Version, full-size metadata through the official SDK, and housekeeping
 * (what is forgotten after 24 hours, and what is never forgotten).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import type Database from 'better-sqlite3';
import { CARDS, UNLIMITED, boot, overriding, request } from './helpers.js';
import { SANDBOX_CARDS } from '../src/adapters/sandbox/cards.js';
import { DEFAULT_MAX_DECLINES } from '../src/domain/payment-intents.js';
import { NEWEST_STRIPE_VERSION, OLDEST_STRIPE_VERSION } from '../src/http/stripe-version.js';
import { IDEMPOTENCY_RETENTION_MS } from '../src/index.js';

const MINUTE = { seconds: 60 };
const APPROVE_IN_APP = Object.keys(SANDBOX_CARDS).find((n) => SANDBOX_CARDS[n]?.kind === 'approve_in_app')!;

/** One number from the database (`SELECT COUNT(*) AS n …`). */
function countOf(db: Database.Database, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

function assertLimited(reply: { status: number; body: any; headers: Headers }, what: RegExp): void {
  assert.equal(reply.status, 429, JSON.stringify(reply.body));
  assert.equal(reply.body.error.type, 'rate_limit_error');
  assert.equal(reply.body.error.code, 'rate_limit');
  assert.match(reply.body.error.message, what);
  const retryAfter = Number(reply.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${reply.headers.get('retry-after')}`);
}

describe('rate limits', () => {
  it('a key has a budget; past it, 429 with Retry-After, nothing stored under the idempotency key, other keys unaffected', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, perKey: { points: 3, ...MINUTE } } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await h.v1('GET', '/payment_intents')).status, 200);
      const refused = await h.v1('POST', '/payment_intents', { amount: 500, currency: 'cny' }, { idem: 'over-budget' });
      assertLimited(refused, /for this API key/);
      // Refused before idempotency: the key is free for the retry after the window.
      const db = h.db();
      assert.equal(countOf(db, "SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'over-budget'"), 0);
      assert.equal(countOf(db, 'SELECT COUNT(*) AS n FROM payment_intents'), 0);
      const other = await h.kassa.createMerchant();
      assert.equal((await h.v1('GET', '/payment_intents', undefined, { key: other.secretKey })).status, 200);
    } finally {
      await h.close();
    }
  });

  it('an address that keeps failing authentication is locked out, even with a good key, on /v1 and /operator', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, authFailuresPerIp: { points: 3, ...MINUTE } } });
    try {
      const wrong = ['sk_test_nope', 'sk_test_' + 'x'.repeat(40), 'Basic nonsense'];
      for (const key of wrong) assert.equal((await h.v1('GET', '/payment_intents', undefined, { key })).status, 401);
      assertLimited(await h.v1('GET', '/payment_intents', undefined, { key: 'sk_test_fourth' }), /failed authentications/);
      assertLimited(await h.v1('GET', '/payment_intents'), /failed authentications/);
      assertLimited(await request(`${h.url}/operator/merchants`, 'GET', undefined, 'op_guess'), /failed authentications/);
    } finally {
      await h.close();
    }
  });

  it('a good key never counts as a failure', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, authFailuresPerIp: { points: 2, ...MINUTE } } });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await h.v1('GET', '/payment_intents')).status, 200);
    } finally {
      await h.close();
    }
  });

  it('the widget API has a budget per address', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, clientPerIp: { points: 4, ...MINUTE } } });
    try {
      const intent = await h.createIntent();
      for (let i = 0; i < 4; i++) assert.equal((await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret)).status, 200);
      assertLimited(await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret), /from this address/);
      // The merchant API is not the widget's budget.
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe("the payment's pages and the providers' notifications", () => {
  it("a flood of a payment's page polls is refused per address before any provider is asked", async () => {
    let asked = 0;
    const h = await boot({
      rateLimits: { ...UNLIMITED, pagesPerIp: { points: 3, ...MINUTE } },
      wrapProvider: (inner) => overriding(inner, { completeAction: async (r) => (asked++, inner.completeAction(r)) }),
      actionPollIntervalMs: 1,
    });
    try {
      const { confirm } = await h.pay(APPROVE_IN_APP);
      const page = confirm.body.next_action.await_notification.hosted_instructions_url as string;
      for (let i = 0; i < 3; i++) assert.equal((await request(`${h.url}${page}/status`, 'GET', undefined, null)).status, 200);
      const seen = asked;
      assertLimited(await request(`${h.url}${page}/status`, 'GET', undefined, null), /payment's pages from this address/);
      assertLimited(await request(`${h.url}/providers/sandbox/return?kassa_reference=pi_x`, 'GET', undefined, null), /payment's pages/);
      assert.equal(asked, seen, 'a refused poll asks no provider');
      // The merchant's API has its own budget.
      assert.equal((await h.v1('GET', '/payment_intents')).status, 200);
    } finally {
      await h.close();
    }
  });

  it('provider notifications are limited per address, and a refused one is stored nowhere', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, notificationsPerIp: { points: 2, ...MINUTE } } });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await request(`${h.url}/providers/sandbox/webhooks`, 'POST', { x: i }, null)).status, 400, 'the sandbox sends no notifications: refused');
      assertLimited(await request(`${h.url}/providers/sandbox/webhooks`, 'POST', { x: 3 }, null), /provider notifications from this address/);
      assert.equal(countOf(h.db(), 'SELECT COUNT(*) AS n FROM provider_notifications'), 0);
    } finally {
      await h.close();
    }
  });
});

describe('card testing', () => {
  it('tokenizations are capped per payment, and per address across payments', async () => {
    const h = await boot({ rateLimits: { ...UNLIMITED, tokensPerIntent: { points: 2, ...MINUTE }, tokensPerIp: { points: 3, ...MINUTE } } });
    try {
      const a = await h.createIntent();
      assert.equal((await h.tokenize(a.client_secret)).status, 200);
      assert.equal((await h.tokenize(a.client_secret, { number: CARDS.unionpay })).status, 200);
      assertLimited(await h.tokenize(a.client_secret, { number: CARDS.jcb }), /tokenizations for this payment/);
      const b = await h.createIntent();
      // The refused one above consumed the address's budget too: 2 + 1 refused = 3.
      assertLimited(await h.tokenize(b.client_secret), /tokenizations from this address/);
      const db = h.db();
      assert.equal(countOf(db, 'SELECT COUNT(*) AS n FROM tokens'), 2, 'a refused tokenization seals nothing');
    } finally {
      await h.close();
    }
  });

  it(`after ${DEFAULT_MAX_DECLINES} declines a payment takes no more cards, across a restart, and the issuer is not asked again`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-declines-'));
    try {
      let h = await boot({}, dir);
      const intent = await h.createIntent();
      let secret = intent.client_secret as string;
      const confirmWith = async (number: string) => {
        const token = await h.tokenize(secret, { number });
        assert.equal(token.status, 200);
        return h.client('POST', `/payment_intents/${intent.id}/confirm`, secret, { payment_method: token.body.id });
      };
      for (let i = 0; i < DEFAULT_MAX_DECLINES; i++) {
        const declined = await confirmWith(i % 2 ? CARDS.insufficientFunds : CARDS.genericDecline);
        assert.equal(declined.status, 402);
      }
      await h.close();
      h = await boot({}, dir);
      // A client secret names the server's URL, and this one listens on a new port.
      secret = (await h.v1('GET', `/payment_intents/${intent.id}`)).body.client_secret;
      const attempts = () => countOf(h.db(), 'SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ?', intent.id);
      const before = attempts();
      const refused = await confirmWith(CARDS.visa);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'payment_intent_attempts_exceeded');
      assert.equal(refused.body.error.payment_intent.status, 'requires_payment_method');
      // The merchant's own confirm meets the same cap.
      const fromServer = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
      assert.equal(fromServer.body.error?.code, 'payment_intent_attempts_exceeded');
      assert.equal(attempts(), before, 'no attempt was made');
      assert.equal(h.kassa.sandboxAccount(CARDS.visa, 'cny')?.held ?? 0, 0);
      // A new payment is a fresh start.
      assert.equal((await h.pay(CARDS.visa)).confirm.body.status, 'succeeded');
      await h.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Stripe-Version', () => {
  it('is echoed when in range, answered with the newest when absent, and refused clearly otherwise', async () => {
    const h = await boot();
    try {
      const none = await h.v1('GET', '/payment_intents');
      assert.equal(none.headers.get('stripe-version'), NEWEST_STRIPE_VERSION);
      for (const v of [OLDEST_STRIPE_VERSION, '2024-06-20', '2025-03-31.basil', NEWEST_STRIPE_VERSION]) {
        const r = await h.v1('GET', '/payment_intents', undefined, { headers: { 'stripe-version': v } });
        assert.equal(r.status, 200, v);
        assert.equal(r.headers.get('stripe-version'), v);
      }
      for (const v of ['2020-08-27', '2099-01-01', 'latest', '2024-13-45', '2024-06-20; drop table']) {
        const r = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { headers: { 'stripe-version': v }, idem: `v-${v}` });
        assert.equal(r.status, 400, v);
        assert.equal(r.body.error.type, 'invalid_request_error');
        assert.equal(r.body.error.code, 'api_version_unsupported');
        assert.equal(r.body.error.param, 'Stripe-Version');
      }
      assert.equal(countOf(h.db(), 'SELECT COUNT(*) AS n FROM payment_intents'), 0);
    } finally {
      await h.close();
    }
  });

  it('the official SDK pinned to an old version is told so', async () => {
    const h = await boot();
    try {
      const stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port: h.kassa.port, protocol: 'http', maxNetworkRetries: 0, apiVersion: '2020-08-27' as never });
      await assert.rejects(stripe.paymentIntents.list(), (e: any) => e.type === 'StripeInvalidRequestError' && e.code === 'api_version_unsupported');
    } finally {
      await h.close();
    }
  });
});

describe('full-size metadata through the official SDK', () => {
  it('50 keys of 40 characters with 500-character Chinese values are kept exactly; one more key or character is refused', async () => {
    const h = await boot();
    try {
      const stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port: h.kassa.port, protocol: 'http', maxNetworkRetries: 0 });
      const metadata: Record<string, string> = {};
      for (let i = 0; i < 50; i++) metadata[`订单${String(i).padStart(2, '0')}`.padEnd(40, 'k')] = '支付宝微信银联'.repeat(72).slice(0, 500);
      const created = await stripe.paymentIntents.create({ amount: 12800, currency: 'cny', metadata });
      assert.deepEqual(created.metadata, metadata);
      assert.deepEqual((await stripe.paymentIntents.retrieve(created.id)).metadata, metadata);
      const customer = await stripe.customers.create({ name: '林美', metadata });
      assert.deepEqual(customer.metadata, metadata);

      await assert.rejects(stripe.paymentIntents.create({ amount: 100, currency: 'cny', metadata: { ...metadata, one_more: 'x' } }), (e: any) => e.statusCode === 400 && e.param === 'metadata');
      const long = { ...metadata, [Object.keys(metadata)[0]!]: '长'.repeat(501) };
      await assert.rejects(stripe.paymentIntents.create({ amount: 100, currency: 'cny', metadata: long }), (e: any) => e.statusCode === 400 && /^metadata\[/.test(e.param));
    } finally {
      await h.close();
    }
  });
});

describe('housekeeping', () => {
  it('forgets idempotent answers after 24 hours and unused cards after their token expires; keeps what is in use', async () => {
    let now = Date.now();
    const h = await boot({ now: () => now });
    try {
      const customer = await h.customer();
      const kept = await h.pay(CARDS.visa, { customer, setup_future_usage: 'off_session' });
      assert.equal(kept.confirm.body.status, 'succeeded');
      const first = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny' }, { idem: 'day-one' });
      const unused = await h.createIntent();
      assert.equal((await h.tokenize(unused.client_secret, { number: CARDS.unionpay })).status, 200);
      const db = h.db();
      const count = (table: string) => countOf(db, `SELECT COUNT(*) AS n FROM ${table}`);
      const cardsBefore = count('vault_cards');

      // Within the day: the answer is replayed and nothing is purged.
      now += IDEMPOTENCY_RETENTION_MS - 60_000;
      assert.deepEqual(await h.kassa.housekeep(), { authorizations: 0, idempotencyKeys: 0, tokens: 1, cards: 1 });
      const replay = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny' }, { idem: 'day-one' });
      assert.equal(replay.body.id, first.body.id);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(count('vault_cards'), cardsBefore - 1, 'the unused card is gone');

      // After it: the key is forgotten, as Stripe does, and a reuse is a new request.
      now += 2 * 60_000;
      const done = await h.kassa.housekeep();
      assert.ok(done.idempotencyKeys >= 1, JSON.stringify(done));
      assert.equal(countOf(db, "SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'day-one'"), 0);
      const reused = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny' }, { idem: 'day-one' });
      assert.notEqual(reused.body.id, first.body.id);

      // The saved card and the paid intent's card stay: they still pay.
      const pm = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id;
      const again = await h.v1('POST', '/payment_intents', { amount: 300, currency: 'cny', customer, payment_method: pm, confirm: true, off_session: true });
      assert.equal(again.body.status, 'succeeded', JSON.stringify(again.body));
      assert.equal((await h.v1('GET', `/payment_intents/${kept.intent.id}`)).body.status, 'succeeded');
    } finally {
      await h.close();
    }
  });
});
