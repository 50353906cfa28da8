/**
 * An authorization left uncaptured expires after 7 days, as Stripe's card authorizations do:
 * the housekeeping sweep releases the hold at the issuer and cancels the intent with
 * `cancellation_reason: 'automatic'`; a capture after that is refused, never taken. Time is
 * moved with the server's clock option (the test clock), not by waiting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CARDS, accountBalance, boot, outboxTypes, timingOutAfterActing, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';

const DAY = 24 * 60 * 60_000;

describe('authorization expiry', () => {
  let h: Harness;
  let now = Date.now();
  before(async () => {
    h = await boot({ now: () => now });
  });
  after(async () => {
    await h.close();
  });

  it('an uncaptured hold is kept for 7 days, then released and the intent canceled (automatic), with its event', async () => {
    const card = CARDS.mastercardLimited;
    const { intent, confirm } = await h.pay(card, { amount: 6000, capture_method: 'manual' });
    assert.equal(confirm.body.status, 'requires_capture');
    assert.equal(h.kassa.sandboxAccount(card, 'cny')?.held, 6000);

    now += 7 * DAY - 60_000; // a minute short of 7 days: nothing happens
    assert.equal((await h.kassa.housekeep()).authorizations, 0);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_capture');

    now += 2 * 60_000;
    assert.equal((await h.kassa.housekeep()).authorizations, 1);
    const view = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    assert.deepEqual([view.status, view.cancellation_reason, view.amount_capturable, view.amount_received], ['canceled', 'automatic', 0, 0]);
    assert.equal(view.canceled_at, Math.floor(now / 1000));
    assert.equal(h.kassa.sandboxAccount(card, 'cny')?.held, 0);
    const db = h.db();
    assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
    assert.deepEqual(unbalancedTransactions(db), []);
    assert.equal(outboxTypes(db, intent.id).at(-1), 'payment_intent.canceled');
    // Once released, the next sweep has nothing to do, and a capture is refused.
    assert.equal((await h.kassa.housekeep()).authorizations, 0);
    const late = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
    assert.equal(late.status, 400);
    assert.equal(late.body.error.code, 'payment_intent_unexpected_state');
  });

  it('a hold captured in part (final_capture=false) keeps what was taken when the rest expires: the intent ends succeeded', async () => {
    const card = CARDS.mastercardLimited;
    const { intent } = await h.pay(card, { amount: 6000, capture_method: 'manual' });
    const start = h.kassa.sandboxAccount(card, 'cny')!;
    const part = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 2000, final_capture: false });
    assert.equal(part.body.status, 'requires_capture', JSON.stringify(part.body));
    now += 7 * DAY + 60_000;
    assert.equal((await h.kassa.housekeep()).authorizations, 1);
    const view = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    assert.deepEqual([view.status, view.cancellation_reason, view.amount_capturable, view.amount_received], ['succeeded', null, 0, 2000]);
    assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: start.balance - 2000, held: start.held - 6000 });
    const db = h.db();
    assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
    assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 2000);
    assert.deepEqual(unbalancedTransactions(db), []);
    assert.equal(outboxTypes(db, intent.id).at(-1), 'payment_intent.succeeded');
  });

  it('a capture after 7 days, before any sweep, releases the hold then and is refused; nothing is charged', async () => {
    const card = CARDS.mastercardLimited;
    const { intent } = await h.pay(card, { amount: 5000, capture_method: 'manual' });
    const before = h.kassa.sandboxAccount(card, 'cny')!;
    assert.equal(before.held, 5000);
    now += 7 * DAY + 1000;
    const late = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 5000 });
    assert.equal(late.status, 400, JSON.stringify(late.body));
    assert.equal(late.body.error.code, 'payment_intent_unexpected_state');
    assert.match(late.body.error.message, /status of canceled/);
    assert.deepEqual([late.body.error.payment_intent.status, late.body.error.payment_intent.cancellation_reason], ['canceled', 'automatic']);
    assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: before.balance, held: 0 });
    assert.deepEqual(unbalancedTransactions(h.db()), []);
  });

  it('a hold captured in time is not touched by the sweep; a merchant cannot give the reason automatic', async () => {
    const { intent } = await h.pay(CARDS.visa, { amount: 3000, capture_method: 'manual' });
    now += 6 * DAY;
    assert.equal((await h.v1('POST', `/payment_intents/${intent.id}/capture`, {})).body.status, 'succeeded');
    now += 2 * DAY;
    assert.equal((await h.kassa.housekeep()).authorizations, 0);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
    const other = await h.pay(CARDS.visa, { amount: 3000, capture_method: 'manual' });
    const refused = await h.v1('POST', `/payment_intents/${other.intent.id}/cancel`, { cancellation_reason: 'automatic' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.param, 'cancellation_reason');
  });
});

describe('authorization expiry when the release is interrupted', () => {
  it('the issuer released the hold but the answer was lost: recovery after a restart settles it, released once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-expiry-'));
    let now = Date.now();
    const failing = new Set<string>();
    const card = CARDS.mastercardLimited;
    let h = await boot({ now: () => now, wrapProvider: timingOutAfterActing(failing) }, dir);
    try {
      const { intent } = await h.pay(card, { amount: 4000, capture_method: 'manual' });
      const start = h.kassa.sandboxAccount(card, 'cny')!;
      now += 8 * DAY;
      failing.add('cancel').add('lookup');
      assert.equal((await h.kassa.housekeep()).authorizations, 0, 'the sweep could not learn the outcome');
      const stuck = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.equal(stuck.status, 'requires_capture');
      assert.equal(h.kassa.sandboxAccount(card, 'cny')?.held, start.held - 4000, 'the issuer did release it');
      // Another sweep, or a capture, must not act on it while the provider call is unsettled.
      assert.equal((await h.kassa.housekeep()).authorizations, 0);
      assert.equal((await h.v1('POST', `/payment_intents/${intent.id}/capture`, {})).status, 400);
      await h.close();

      failing.clear();
      h = await boot({ now: () => now, wrapProvider: timingOutAfterActing(failing) }, dir);
      const view = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.deepEqual([view.status, view.cancellation_reason], ['canceled', 'automatic']);
      assert.deepEqual(h.kassa.sandboxAccount(card, 'cny'), { balance: start.balance, held: start.held - 4000 });
      const db = h.db();
      assert.equal(accountBalance(db, intent.id, 'acquirer_holds'), 0);
      assert.deepEqual(unbalancedTransactions(db), []);
      assert.equal(outboxTypes(db, intent.id).filter((t) => t === 'payment_intent.canceled').length, 1);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
