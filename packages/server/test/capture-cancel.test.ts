/**
 * Manual capture: authorization holds funds at the issuer; capture takes all or part (the
 * rest is released); cancel releases the hold. Only the transitions in core's table happen.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, accountBalance, boot, outboxTypes, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';

describe('manual capture and cancel', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('when a manual-capture intent is confirmed, then funds are held, not charged', async () => {
    const { intent, confirm } = await h.pay(CARDS.mastercardLimited, { amount: 15000, capture_method: 'manual' });
    assert.equal(confirm.status, 200);
    assert.equal(confirm.body.status, 'requires_capture');
    const view = await h.v1('GET', `/payment_intents/${intent.id}`);
    assert.equal(view.body.amount_capturable, 15000);
    assert.equal(view.body.amount_received, 0);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 20000, held: 15000 });
    const db = h.db();
    assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 15000);
    assert.deepEqual(outboxTypes(db, intent.id), ['payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated']);

    // Partial capture: ¥100.00 of ¥150.00 is taken, the remaining ¥50.00 is released.
    const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 10000 });
    assert.equal(captured.status, 200);
    assert.equal(captured.body.status, 'succeeded');
    assert.equal(captured.body.amount_received, 10000);
    assert.equal(captured.body.amount_capturable, 0);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 10000, held: 0 });
    assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
    assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 10000);
    assert.deepEqual(unbalancedTransactions(db), []);
    assert.deepEqual(outboxTypes(db, intent.id).slice(-1), ['payment_intent.succeeded']);

    // Captured intents cannot be captured or canceled again.
    const again = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'payment_intent_unexpected_state');
    const cancel = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
    assert.equal(cancel.status, 400);
  });

  it('capturing without an amount takes the whole hold (form-encoded, empty body, as stripe-node sends it)', async () => {
    const { intent } = await h.pay(CARDS.visa, { amount: 5000, capture_method: 'manual' });
    const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, undefined, {
      raw: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(captured.status, 200, JSON.stringify(captured.body));
    assert.equal(captured.body.amount_received, 5000);
  });

  it('when more than the hold is captured, then 400 amount_too_large and the hold stays', async () => {
    const { intent } = await h.pay(CARDS.visa, { amount: 5000, capture_method: 'manual' });
    const r = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 5001 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'amount_too_large');
    assert.equal(r.body.error.param, 'amount_to_capture');
    const view = await h.v1('GET', `/payment_intents/${intent.id}`);
    assert.equal(view.body.status, 'requires_capture');
    assert.equal(view.body.amount_capturable, 5000);
  });

  it('when a held intent is canceled, then the hold is released and the ledger reversed', async () => {
    const card = '5200828282828210';
    const { intent } = await h.pay(card, { amount: 7000, capture_method: 'manual' });
    assert.equal(h.kassa.sandboxAccount(card, 'cny')?.held, 7000);
    const canceled = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, { cancellation_reason: 'requested_by_customer' });
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal(canceled.body.cancellation_reason, 'requested_by_customer');
    assert.equal(typeof canceled.body.canceled_at, 'number');
    assert.equal(canceled.body.amount_capturable, 0);
    assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: 100_000_000, held: 0 });
    const db = h.db();
    assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
    assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 0);
    assert.deepEqual(outboxTypes(db, intent.id).slice(-1), ['payment_intent.canceled']);

    const capture = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
    assert.equal(capture.status, 400);
    const confirm = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method: 'tok_whatever123' });
    assert.equal(confirm.status, 400);
  });

  it('an intent nobody paid can be canceled; a succeeded one cannot', async () => {
    const fresh = await h.createIntent();
    const canceled = await h.v1('POST', `/payment_intents/${fresh.id}/cancel`, {});
    assert.equal(canceled.body.status, 'canceled');
    assert.deepEqual(outboxTypes(h.db(), fresh.id), ['payment_intent.created', 'payment_intent.canceled']);

    const { intent } = await h.pay(CARDS.visa);
    const r = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'payment_intent_unexpected_state');
    assert.match(r.body.error.message, /succeeded/);
  });

  it('an intent waiting for 3-D Secure can be canceled, and the challenge is then void', async () => {
    const { intent, confirm } = await h.pay(CARDS.threeDS);
    assert.equal(confirm.body.status, 'requires_action');
    const canceled = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
    assert.equal(canceled.body.status, 'canceled');
    assert.equal(canceled.body.next_action, null);
  });

  it('capture before confirmation is a 400 payment_intent_unexpected_state, as Stripe answers', async () => {
    const intent = await h.createIntent({ capture_method: 'manual' });
    const r = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
    assert.equal(r.status, 400);
    assert.equal(r.body.error.payment_intent?.id ?? intent.id, intent.id);
  });
});
