/**
 * Multiple capture (Stripe's `final_capture=false`): one hold captured in parts — an order shipped
 * in several parcels. A capture that is not the last leaves the intent `requires_capture` with the
 * rest still held (at the issuer and in the ledger); the last one releases what is left; a cancel
 * after some captures releases the rest and the payment ends `succeeded` at what was taken. A
 * provider that does not declare the flow is never asked: a clear 400 before any call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive } from '../src/domain/ports.js';
import { CARDS, accountBalance, boot, outboxTypes, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';
import { ADYEN_TEST_CARDS, AdyenFake } from './fakes/adyen-fake.js';

async function withSandbox(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await boot();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function withStripe(multicapture: boolean, fn: (fake: StripeFake, h: Harness) => Promise<void>): Promise<void> {
  const fake = await StripeFake.start();
  const h = await boot({
    publicUrl: 'https://pay.shop.test',
    providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive(fake.secretKey), apiBase: fake.url, ...(multicapture ? { multicapture: true } : {}) } },
  });
  try {
    await fn(fake, h);
  } finally {
    await h.close();
    await fake.close();
  }
}

/** A manual-capture card payment through the client API, held. */
async function hold(h: Harness, number: string, amount: number, currency: string, cvc?: string): Promise<{ id: string }> {
  const intent = await h.createIntent({ amount, currency, capture_method: 'manual' });
  const token = await h.tokenize(intent.client_secret, { number, ...(cvc ? { cvc } : {}) });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const held = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
  assert.equal(held.body.status, 'requires_capture', JSON.stringify(held.body));
  return intent;
}

describe('multiple capture', () => {
  it('at the sandbox: parts of one hold, each leaving the rest held, the last releasing what is left', () =>
    withSandbox(async (h) => {
      const card = CARDS.mastercardLimited; // ¥200.00 at the issuer
      const intent = await hold(h, card, 15000, 'cny');
      const db = h.db();

      const first = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 4000, final_capture: false });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.status, first.body.amount_received, first.body.amount_capturable], ['requires_capture', 4000, 11000]);
      assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: 16000, held: 11000 }, 'taken ¥40, the rest still held');
      assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 11000);
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 4000);
      assert.deepEqual(outboxTypes(db, intent.id).slice(-2), ['charge.captured', 'payment_intent.amount_capturable_updated']);
      // Not refundable while still being captured: the charge's money is settled by the last capture.
      for (const body of [{ payment_intent: intent.id }, { payment_intent: intent.id, amount: 1000 }]) {
        const early = await h.v1('POST', '/refunds', body);
        assert.deepEqual([early.status, early.body.error?.code], [400, 'charge_not_refundable'], JSON.stringify(early.body));
      }
      assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: 16000, held: 11000 }, 'nothing moved');

      // Form-encoded, as stripe-node sends it.
      const second = await h.v1('POST', `/payment_intents/${intent.id}/capture`, undefined, {
        raw: 'amount_to_capture=5000&final_capture=false',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.deepEqual([second.body.status, second.body.amount_received, second.body.amount_capturable], ['requires_capture', 9000, 6000]);

      const last = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 2000 });
      assert.equal(last.status, 200, JSON.stringify(last.body));
      assert.deepEqual([last.body.status, last.body.amount_received, last.body.amount_capturable], ['succeeded', 11000, 0]);
      assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: 9000, held: 0 }, 'taken ¥110 in all; the last ¥40 released');
      assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 11000);
      assert.deepEqual(unbalancedTransactions(db), []);
      assert.deepEqual(outboxTypes(db, intent.id).slice(-2), ['charge.captured', 'payment_intent.succeeded']);

      const charge = (await h.v1('GET', `/charges/${last.body.latest_charge}`)).body;
      assert.deepEqual([charge.amount, charge.amount_captured, charge.amount_refunded, charge.captured], [15000, 11000, 4000, true]);
      // Each capture is a balance transaction of its own.
      const captures = db.prepare("SELECT balance_transaction, balance_amount FROM ledger_transactions WHERE payment_intent_id = ? AND kind = 'capture' ORDER BY seq").all(intent.id) as Array<{ balance_transaction: string; balance_amount: number }>;
      assert.deepEqual(captures.map((c) => c.balance_amount), [4000, 5000, 2000]);
      assert.equal(new Set(captures.map((c) => c.balance_transaction)).size, 3);

      // What was captured can be refunded, and no more.
      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 11000 });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      const more = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1 });
      assert.equal(more.status, 400);
      const again = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 100, final_capture: false });
      assert.deepEqual([again.status, again.body.error?.code], [400, 'payment_intent_unexpected_state']);
    }));

  it('a cancel after some captures releases the rest: the payment ends succeeded at what was taken', () =>
    withSandbox(async (h) => {
      const card = '5200828282828210';
      const before = h.kassa.sandboxAccount(card, 'cny');
      const intent = await hold(h, card, 8000, 'cny');
      const taken = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 3000, final_capture: false });
      assert.equal(taken.body.status, 'requires_capture');
      const canceled = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, { cancellation_reason: 'requested_by_customer' });
      assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
      assert.deepEqual(
        [canceled.body.status, canceled.body.amount_received, canceled.body.amount_capturable, canceled.body.cancellation_reason],
        ['succeeded', 3000, 0, null],
      );
      const after = h.kassa.sandboxAccount(card, 'cny');
      assert.equal(after?.held, before?.held ?? 0, 'nothing held any more');
      const db = h.db();
      assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 3000);
      assert.deepEqual(unbalancedTransactions(db), []);
      const told = outboxTypes(db, intent.id);
      assert.deepEqual(told.slice(-1), ['payment_intent.succeeded']);
      assert.ok(!told.includes('payment_intent.canceled'), told.join(', '));
      const charge = (await h.v1('GET', `/charges/${canceled.body.latest_charge}`)).body;
      assert.deepEqual([charge.amount_captured, charge.amount_refunded], [3000, 5000]);
    }));

  it('final_capture=false for all that is left is the last capture; bad values are a 400 and nothing moves', () =>
    withSandbox(async (h) => {
      const intent = await hold(h, CARDS.visa, 5000, 'cny');
      for (const [body, param] of [
        [{ final_capture: 'maybe' }, 'final_capture'],
        [{ final_capture: 0 }, 'final_capture'],
        [{ amount_to_capture: 0, final_capture: false }, 'amount_to_capture'],
        [{ amount_to_capture: 5001, final_capture: false }, 'amount_to_capture'],
      ] as const) {
        const r = await h.v1('POST', `/payment_intents/${intent.id}/capture`, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.param, param, JSON.stringify(r.body));
      }
      assert.deepEqual([(await h.v1('GET', `/payment_intents/${intent.id}`)).body.amount_capturable], [5000]);
      const all = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { final_capture: false });
      assert.deepEqual([all.status, all.body.status, all.body.amount_received], [200, 'succeeded', 5000]);
    }));

  it('at Stripe with multicapture enabled: the hold is asked for it, each capture goes with final_capture, and Stripe ends where Kassa does', () =>
    withStripe(true, async (fake, h) => {
      const intent = await hold(h, '4242424242424242', 4000, 'usd');
      const confirm = fake.requests.find((r) => r.route === 'confirm');
      assert.match(confirm?.rawBody ?? '', /payment_method_options\[card\]\[request_multicapture\]=if_available/);
      const first = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1000, final_capture: false });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.status, first.body.amount_received, first.body.amount_capturable], ['requires_capture', 1000, 3000]);
      const [remote] = fake.intents();
      assert.deepEqual([remote?.status, remote?.amount_received, remote?.amount_capturable], ['requires_capture', 1000, 3000]);
      const captureCalls = fake.requests.filter((r) => r.route === 'capture');
      assert.match(captureCalls[0]?.rawBody ?? '', /final_capture=false/);

      const last = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1500 });
      assert.deepEqual([last.status, last.body.status, last.body.amount_received], [200, 'succeeded', 2500]);
      assert.deepEqual([fake.intents()[0]?.status, fake.intents()[0]?.amount_received, fake.intents()[0]?.amount_capturable], ['succeeded', 2500, 0]);
      assert.doesNotMatch(fake.requests.filter((r) => r.route === 'capture')[1]?.rawBody ?? '', /final_capture/, 'the last capture as a single one is sent');
      assert.deepEqual(fake.account('4242424242424242', 'usd'), { balance: 1_000_000 - 2500, held: 0 });

      // A release after a part: Stripe keeps what was captured.
      const other = await hold(h, '4242424242424242', 3000, 'usd');
      await h.v1('POST', `/payment_intents/${other.id}/capture`, { amount_to_capture: 1200, final_capture: false });
      const released = await h.v1('POST', `/payment_intents/${other.id}/cancel`, {});
      assert.deepEqual([released.status, released.body.status, released.body.amount_received], [200, 'succeeded', 1200], JSON.stringify(released.body));
      assert.deepEqual(fake.account('4242424242424242', 'usd'), { balance: 1_000_000 - 3700, held: 0 });
    }));

  it('at Adyen with multiple partial captures enabled: each part a capture of the payment, the last one releasing the rest by a cancel', async () => {
    const fake = await AdyenFake.start({ apiKey: 'AQE_multi', merchantAccount: 'KassaECOM', hmacKey: 'ab'.repeat(32), multiplePartialCaptures: true });
    const card = ADYEN_TEST_CARDS.visa;
    fake.setBalance(card, 100_000);
    const spec = { type: 'adyen', apiKey: new Sensitive('AQE_multi'), merchantAccount: 'KassaECOM', checkoutBase: fake.checkoutBase, multiplePartialCaptures: true } as const;
    const h = await boot({ publicUrl: 'https://pay.shop.test', providerSpecs: { test: spec } });
    try {
      const intent = await hold(h, card, 5000, 'eur', '737');
      const part = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 2000, final_capture: false });
      assert.deepEqual([part.status, part.body.status, part.body.amount_capturable], [200, 'requires_capture', 3000], JSON.stringify(part.body));
      assert.deepEqual(fake.account(card), { balance: 98_000, held: 3000 });
      const last = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1000 });
      assert.deepEqual([last.status, last.body.status, last.body.amount_received], [200, 'succeeded', 3000], JSON.stringify(last.body));
      assert.deepEqual(fake.account(card), { balance: 97_000, held: 0 }, 'the last €20 released');
      assert.deepEqual(fake.requests.filter((q) => /\/(captures|cancels)$/.test(q.path)).map((q) => q.path.split('/').at(-1)), ['captures', 'captures', 'cancels']);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it('a provider that does not declare multiple capture is never asked: 400 naming final_capture, the hold untouched', () =>
    withStripe(false, async (fake, h) => {
      const intent = await hold(h, '4242424242424242', 4000, 'usd');
      assert.doesNotMatch(fake.requests.find((r) => r.route === 'confirm')?.rawBody ?? '', /request_multicapture/, 'not asked of an account without it');
      const r = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1000, final_capture: false });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.deepEqual([r.body.error.type, r.body.error.param], ['invalid_request_error', 'final_capture']);
      assert.match(r.body.error.message, /stripe provider does not support capturing one authorization several times/);
      assert.equal(fake.requests.filter((q) => q.route === 'capture').length, 0, 'no call to Stripe');
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([view.body.status, view.body.amount_capturable], ['requires_capture', 4000]);
    }));
});
