/**
 * Refunds and charges (docs/API.md): money given back through the provider, all of it or in
 * parts, never more than was captured — checked by the issuer's own account, Kassa's ledger,
 * the charge Stripe code reads (`latest_charge`), and the official stripe SDK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import Stripe from 'stripe';
import type { PaymentProvider } from '../src/index.js';
import { CARDS, accountBalance, boot, outboxTypes, overriding, timingOutAfterActing, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';

const PLENTY = 100_000_000;

describe('refunds', () => {
  let h: Harness;
  const lose = new Set<string>();
  before(async () => {
    h = await boot({ wrapProvider: timingOutAfterActing(lose) });
  });
  after(async () => {
    await h.close();
  });

  /** A captured payment of `amount` with `card`; returns the intent as the merchant sees it. */
  async function paid(card: string, amount: number, params: Record<string, unknown> = {}) {
    const { intent, confirm } = await h.pay(card, { amount, ...params });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    return (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
  }

  it('a full refund by payment_intent gives the money back: the issuer credits the card, the ledger nets to zero, the charge says refunded', async () => {
    const pi = await paid(CARDS.jcb, 5200);
    assert.match(pi.latest_charge, /^ch_/);
    assert.equal(h.kassa.sandboxAccount(CARDS.jcb, 'cny')?.balance, PLENTY - 5200);

    const r = await h.v1('POST', '/refunds', { payment_intent: pi.id, reason: 'requested_by_customer', metadata: { ticket: 'T-1' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.id, /^re_/);
    assert.deepEqual(
      { amount: r.body.amount, status: r.body.status, charge: r.body.charge, payment_intent: r.body.payment_intent, reason: r.body.reason, metadata: r.body.metadata },
      { amount: 5200, status: 'succeeded', charge: pi.latest_charge, payment_intent: pi.id, reason: 'requested_by_customer', metadata: { ticket: 'T-1' } },
    );
    assert.equal(h.kassa.sandboxAccount(CARDS.jcb, 'cny')?.balance, PLENTY, 'the issuer gave it back');
    const db = h.db();
    assert.equal(accountBalance(db, pi.id, 'acquirer_receivable'), 0);
    assert.equal(accountBalance(db, pi.id, 'merchant_payable'), 0);
    assert.deepEqual(unbalancedTransactions(db), []);

    const charge = await h.v1('GET', `/charges/${pi.latest_charge}`);
    assert.equal(charge.status, 200);
    assert.deepEqual(
      { amount: charge.body.amount, amount_captured: charge.body.amount_captured, amount_refunded: charge.body.amount_refunded, refunded: charge.body.refunded, captured: charge.body.captured },
      { amount: 5200, amount_captured: 5200, amount_refunded: 5200, refunded: true, captured: true },
    );
    assert.equal((await h.v1('GET', `/refunds/${r.body.id}`)).body.status, 'succeeded');
    assert.deepEqual(outboxTypes(db, pi.id).slice(-3), ['refund.created', 'charge.refunded', 'refund.updated']);
    // The intent itself stays succeeded, as at Stripe.
    assert.equal((await h.v1('GET', `/payment_intents/${pi.id}`)).body.status, 'succeeded');
  });

  it('several partial refunds, by payment_intent or by charge, up to what was captured and not a unit more', async () => {
    const pi = await paid(CARDS.unionpay, 3000);
    const one = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 1000 });
    const two = await h.v1('POST', '/refunds', { charge: pi.latest_charge, amount: 1500 });
    assert.equal(one.body.status, 'succeeded');
    assert.equal(two.body.status, 'succeeded');
    const over = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 501 });
    assert.equal(over.status, 400);
    assert.equal(over.body.error.code, 'amount_too_large');
    assert.equal(over.body.error.param, 'amount');
    const rest = await h.v1('POST', '/refunds', { payment_intent: pi.id });
    assert.equal(rest.body.amount, 500, 'without an amount: what is left');
    const again = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 1 });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'charge_already_refunded');
    const charge = (await h.v1('GET', `/charges/${pi.latest_charge}`)).body;
    assert.equal(charge.amount_refunded, 3000);
    assert.equal(charge.refunded, true);
    assert.equal(accountBalance(h.db(), pi.id, 'acquirer_receivable'), 0);
  });

  it('a partial capture refunds the uncaptured rest on the charge; only the captured part can be refunded', async () => {
    const { intent } = await h.pay(CARDS.amex, { amount: 4000, capture_method: 'manual' });
    const held = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    const charge0 = (await h.v1('GET', `/charges/${held.latest_charge}`)).body;
    assert.deepEqual({ captured: charge0.captured, amount_captured: charge0.amount_captured, paid: charge0.paid }, { captured: false, amount_captured: 0, paid: true });
    const notYet = await h.v1('POST', '/refunds', { payment_intent: intent.id });
    assert.equal(notYet.status, 400);
    assert.equal(notYet.body.error.code, 'charge_not_refundable');
    assert.match(notYet.body.error.message, /cancel it/);

    await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1500 });
    const charge = (await h.v1('GET', `/charges/${held.latest_charge}`)).body;
    assert.deepEqual({ amount_captured: charge.amount_captured, amount_refunded: charge.amount_refunded }, { amount_captured: 1500, amount_refunded: 2500 });
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1501 })).body.error.code, 'amount_too_large');
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.id })).body.amount, 1500);
  });

  it('a void counts as a full refund of the charge, and there is nothing left to refund', async () => {
    const { intent } = await h.pay(CARDS.visa, { amount: 900, capture_method: 'manual' });
    await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
    const pi = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    const charge = (await h.v1('GET', `/charges/${pi.latest_charge}`)).body;
    assert.deepEqual({ refunded: charge.refunded, amount_refunded: charge.amount_refunded, captured: charge.captured }, { refunded: true, amount_refunded: 900, captured: false });
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.id })).body.error.code, 'charge_not_refundable');
  });

  it('a declined payment has a failed charge (issuer_declined); it cannot be refunded', async () => {
    const { intent, confirm } = await h.pay(CARDS.insufficientFunds, { amount: 700 });
    assert.equal(confirm.status, 402);
    const pi = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    const charge = (await h.v1('GET', `/charges/${pi.latest_charge}`)).body;
    assert.equal(charge.status, 'failed');
    assert.equal(charge.paid, false);
    assert.equal(charge.failure_code, 'card_declined');
    assert.deepEqual({ type: charge.outcome.type, reason: charge.outcome.reason }, { type: 'issuer_declined', reason: 'insufficient_funds' });
    assert.equal(charge.payment_method_details.card.last4, '9995');
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.id })).body.error.code, 'charge_not_refundable');
  });

  it('bad input is a 400 naming the parameter, unknown or foreign objects a 404, and nothing is refunded', async () => {
    const pi = await paid(CARDS.visa, 1100);
    const other = await h.kassa.createMerchant();
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [{}, 400, 'parameter_missing', 'payment_intent'],
      [{ payment_intent: pi.id, charge: pi.latest_charge }, 400, 'parameter_invalid', 'charge'],
      [{ payment_intent: pi.id, amount: 0 }, 400, 'parameter_invalid', 'amount'],
      [{ payment_intent: pi.id, amount: 1.5 }, 400, 'parameter_invalid', 'amount'],
      [{ payment_intent: pi.id, reason: 'because' }, 400, 'parameter_invalid', 'reason'],
      [{ payment_intent: pi.id, refund_application_fee: true }, 400, 'parameter_unknown', 'refund_application_fee'],
      [{ payment_intent: 'pi_doesnotexist0000000000' }, 404, 'resource_missing', 'payment_intent'],
      [{ payment_intent: 'not-an-id' }, 404, 'resource_missing', 'payment_intent'],
      [{ charge: 'ch_doesnotexist00000000000' }, 404, 'resource_missing', 'charge'],
    ];
    for (const [body, status, code, param] of cases) {
      const r = await h.v1('POST', '/refunds', body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, JSON.stringify(body));
      assert.equal(r.body.error.param, param, JSON.stringify(body));
    }
    // Another merchant's payment is as unknown as one that does not exist.
    const theirs = await h.v1('POST', '/refunds', { payment_intent: pi.id }, { key: other.secretKey });
    assert.equal(theirs.status, 404);
    assert.equal((await h.v1('GET', `/charges/${pi.latest_charge}`, undefined, { key: other.secretKey })).status, 404);
    assert.equal((await h.v1('GET', '/refunds/re_doesnotexist00000000000')).status, 404);
    assert.equal((await h.v1('GET', '/charges/whatever')).status, 404);
    assert.equal((await h.v1('GET', `/charges/${pi.latest_charge}?expand[]=refunds`)).status, 400);
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: pi.id }, { key: null })).status, 401);
    assert.equal((await h.v1('DELETE', '/refunds')).status, 405);
    assert.equal((await h.v1('GET', `/charges/${pi.latest_charge}`)).body.amount_refunded, 0, 'nothing was refunded');
  });

  it('the database refuses refunds past the capture, whatever the code above it does', async () => {
    const pi = await paid(CARDS.jcb, 600);
    const rw = new Database(join(h.dataDir, 'kassa.sqlite'));
    try {
      const charge = rw.prepare('SELECT id, merchant_id, attempt_id FROM charges WHERE id = ?').get(pi.latest_charge) as { id: string; merchant_id: string; attempt_id: string };
      const insert = rw.prepare(`INSERT INTO refunds (id, merchant_id, payment_intent_id, charge_id, attempt_id, amount, currency, status, metadata, created, updated)
        VALUES (?, ?, ?, ?, ?, ?, 'cny', 'pending', '{}', 0, 0)`);
      assert.throws(() => insert.run('re_forged1', charge.merchant_id, pi.id, charge.id, charge.attempt_id, 601), /refunds exceed the captured amount/);
    } finally {
      rw.close();
    }
  });

  it('a refund whose answer was lost is resumed by the retry with the same key: refunded once', async () => {
    const pi = await paid(CARDS.unionpay, 2600);
    const before = h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance ?? 0;
    lose.add('refund');
    try {
      const first = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 2000 }, { idem: 'refund-77' });
      assert.equal(first.status, 502, JSON.stringify(first.body));
    } finally {
      lose.delete('refund');
    }
    assert.equal(h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance, before + 2000, 'the issuer did refund');
    const retry = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 2000 }, { idem: 'refund-77' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.status, 'succeeded');
    assert.equal(h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance, before + 2000, 'and only once');
    const replay = await h.v1('POST', '/refunds', { payment_intent: pi.id, amount: 2000 }, { idem: 'refund-77' });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, retry.body);
    assert.equal(accountBalance(h.db(), pi.id, 'acquirer_receivable'), 600);
  });
});

describe('refunds the provider refuses', () => {
  it('are refunds with status failed and a failure_reason; nothing moves in the ledger', async () => {
    const refusing = (inner: PaymentProvider): PaymentProvider =>
      overriding(inner, { refund: async () => ({ status: 'failed', declineCode: 'processing_error', message: 'The card account is closed.' }) });
    const h = await boot({ wrapProvider: refusing });
    try {
      const { intent } = await h.pay(CARDS.visa, { amount: 1200 });
      const r = await h.v1('POST', '/refunds', { payment_intent: intent.id });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'failed');
      assert.equal(r.body.failure_reason, 'The card account is closed.');
      assert.equal(accountBalance(h.db(), intent.id, 'acquirer_receivable'), 1200);
      assert.deepEqual(outboxTypes(h.db(), intent.id).slice(-2), ['refund.created', 'refund.failed']);
      // A failed refund does not count against what is left.
      const pi = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.equal((await h.v1('GET', `/charges/${pi.latest_charge}`)).body.amount_refunded, 0);
    } finally {
      await h.close();
    }
  });
});

describe('refunds with the official stripe SDK', () => {
  it('stripe.refunds.create / retrieve and stripe.charges.retrieve work as in Stripe code', async () => {
    const h = await boot();
    try {
      const stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port: Number(new URL(h.url).port), protocol: 'http', maxNetworkRetries: 0 });
      const { intent } = await h.pay(CARDS.visa, { amount: 8800 });
      const pi = await stripe.paymentIntents.retrieve(intent.id);
      const latest = pi.latest_charge;
      assert.ok(typeof latest === 'string');
      const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 800, reason: 'duplicate', metadata: { by: 'sdk' } });
      assert.equal(refund.status, 'succeeded');
      assert.equal(refund.amount, 800);
      assert.equal((await stripe.refunds.retrieve(refund.id)).metadata?.by, 'sdk');
      const charge = await stripe.charges.retrieve(latest);
      assert.equal(charge.amount_refunded, 800);
      assert.equal(charge.refunded, false);
      assert.equal(charge.payment_method_details?.card?.last4, '4242');
      const tooMuch = await stripe.refunds.create({ payment_intent: pi.id, amount: 9000 }).catch((e: unknown) => e);
      assert.ok(tooMuch instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(tooMuch.code, 'amount_too_large');
    } finally {
      await h.close();
    }
  });
});
