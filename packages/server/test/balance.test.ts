/**
 * The sandbox issuer keeps balances: authorization holds, capture debits, cancel releases.
 * The Mastercard 5555…4444 has ¥200.00, so two ¥128.00 purchases do not both fit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CARDS, accountBalance, boot, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';

describe('stateful balances', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('when the ¥200 Mastercard pays ¥128 twice, then the second is refused insufficient_funds and the first is charged exactly once', async () => {
    const first = await h.pay(CARDS.mastercardLimited, { amount: 12800, currency: 'cny' });
    assert.equal(first.confirm.status, 200);
    assert.equal(first.confirm.body.status, 'succeeded');

    const second = await h.pay(CARDS.mastercardLimited, { amount: 12800, currency: 'cny' });
    assert.equal(second.confirm.status, 402);
    assert.equal(second.confirm.body.error.code, 'card_declined');
    assert.equal(second.confirm.body.error.decline_code, 'insufficient_funds');
    assert.equal(second.confirm.body.error.payment_intent.status, 'requires_payment_method');

    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 20000 - 12800, held: 0 });

    const db = h.db();
    assert.deepEqual(unbalancedTransactions(db), []);
    assert.equal(accountBalance(db, first.intent.id, 'acquirer_receivable'), 12800);
    assert.equal(accountBalance(db, second.intent.id, 'acquirer_receivable'), 0);
    const charges = db.prepare("SELECT COUNT(DISTINCT txn_id) AS n FROM ledger_entries WHERE kind = 'charge' AND payment_intent_id = ?").get(first.intent.id) as { n: number };
    assert.equal(charges.n, 1);

    // The same card in another currency has its own ¥200-equivalent balance.
    const yen = await h.pay(CARDS.mastercardLimited, { amount: 150, currency: 'jpy' });
    assert.equal(yen.confirm.status, 200);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'jpy'), { balance: 50, held: 0 });
  });

  it('a hold counts against the balance until it is captured or released', async () => {
    const card = '5105105105105100'; // another Mastercard: default large balance, its own account
    const held = await h.pay(card, { amount: 99_999_999, currency: 'usd', capture_method: 'manual' });
    assert.equal(held.confirm.body.status, 'requires_capture');
    assert.deepEqual(h.kassa.sandboxAccount(card, 'usd'), { balance: 100_000_000, held: 99_999_999 });
    const tooMuch = await h.pay(card, { amount: 2, currency: 'usd' });
    assert.equal(tooMuch.confirm.status, 402);
    assert.equal(tooMuch.confirm.body.error.decline_code, 'insufficient_funds');
    const released = await h.v1('POST', `/payment_intents/${held.intent.id}/cancel`, {});
    assert.equal(released.body.status, 'canceled');
    const fits = await h.pay(card, { amount: 2, currency: 'usd' });
    assert.equal(fits.confirm.status, 200);
  });
});

describe('property: over any sequence of payments, captures and cancels', () => {
  it('holds never exceed the balance, the issuer and the ledger agree, and every ledger transaction balances', async () => {
    const card = CARDS.mastercardLimited;
    type Op =
      | { kind: 'pay'; amount: number; manual: boolean }
      | { kind: 'capture'; index: number; fraction: number }
      | { kind: 'cancel'; index: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 1, max: 15000 }), manual: fc.boolean() }),
      fc.record({ kind: fc.constant('capture' as const), index: fc.nat(), fraction: fc.double({ min: 0.01, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        // A fresh server per run: the ¥200.00 account starts full every time.
        const h = await boot();
        try {
          const intents: string[] = [];
          for (const o of ops) {
            if (o.kind === 'pay') {
              const { intent, confirm } = await h.pay(card, { amount: o.amount, currency: 'cny', capture_method: o.manual ? 'manual' : 'automatic' });
              assert.ok(confirm.status === 200 || confirm.status === 402, `confirm answered ${confirm.status}`);
              intents.push(intent.id);
            } else if (intents.length > 0) {
              const target = intents[o.index % intents.length]!;
              if (o.kind === 'capture') {
                const current = await h.v1('GET', `/payment_intents/${target}`);
                const amount = Math.max(1, Math.floor(current.body.amount_capturable * o.fraction));
                const r = await h.v1('POST', `/payment_intents/${target}/capture`, { amount_to_capture: amount });
                assert.ok(r.status === 200 || (r.status === 400 && r.body.error.code === 'payment_intent_unexpected_state'), `capture answered ${r.status}`);
              } else {
                const r = await h.v1('POST', `/payment_intents/${target}/cancel`, {});
                assert.ok(r.status === 200 || (r.status === 400 && r.body.error.code === 'payment_intent_unexpected_state'), `cancel answered ${r.status}`);
              }
            }
            const account = h.kassa.sandboxAccount(card, 'cny');
            if (account) {
              assert.ok(account.balance >= 0, 'balance never negative');
              assert.ok(account.held <= account.balance, 'holds never exceed the balance');
            }
          }
          // What the issuer debited is what Kassa's ledger received; what it holds, Kassa holds.
          const db = h.db();
          assert.deepEqual(unbalancedTransactions(db), []);
          const account = h.kassa.sandboxAccount(card, 'cny') ?? { balance: 20000, held: 0 };
          let received = 0;
          let held = 0;
          for (const id of intents) {
            const view = await h.v1('GET', `/payment_intents/${id}`);
            assert.ok(view.body.amount_received <= view.body.amount, 'never more captured than authorized');
            assert.equal(accountBalance(db, id, 'acquirer_receivable'), view.body.amount_received);
            assert.equal(accountBalance(db, id, 'acquirer_holds'), view.body.amount_capturable);
            received += view.body.amount_received;
            held += view.body.amount_capturable;
          }
          assert.equal(20000 - account.balance, received);
          assert.equal(account.held, held);
        } finally {
          await h.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
