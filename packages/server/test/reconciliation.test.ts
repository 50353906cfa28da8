/**
 * The operator's reconciliation report (`/operator/reconciliation`): provider calls with no
 * known outcome that nobody is working on — with whether their provider can be asked — and
 * amounts a provider settled differently than asked. POST asks the providers now. Through the
 * real server, with the sandbox issuer's accounts as the witness of what moved.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PaymentProvider } from '../src/domain/ports.js';
import { CARDS, boot, overriding, request, timingOutAfterActing } from './helpers.js';
import type { Harness } from './helpers.js';

const report = (h: Harness, method: 'GET' | 'POST' = 'GET') =>
  request(`${h.url}/operator/reconciliation`, method, method === 'POST' ? {} : undefined, h.kassa.operatorKey ?? '');

/** A payment whose answer is lost after the issuer charged it: the intent is left unknown. */
async function lostPayment(h: Harness, amount: number, number: string) {
  const intent = await h.createIntent({ amount });
  const token = await h.tokenize(intent.client_secret, { number });
  const r = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
  assert.equal(r.status, 502, JSON.stringify(r.body));
  return intent as { id: string };
}

describe('reconciliation', () => {
  it('a lost answer is listed as an open call its provider can be asked about; POST asks, settles it once, and the report is empty', async () => {
    const lose = new Set(['authorize']);
    const h = await boot({ wrapProvider: timingOutAfterActing(lose) });
    try {
      const intent = await lostPayment(h, 2300, CARDS.amex);
      const before = await report(h);
      assert.equal(before.status, 200, JSON.stringify(before.body));
      assert.equal(before.body.object, 'reconciliation_report');
      assert.equal(before.body.settled, undefined, 'GET asks nobody');
      assert.equal(before.body.open_calls.length, 1);
      assert.deepEqual(
        { ...before.body.open_calls[0], since: undefined },
        {
          payment_intent: intent.id,
          merchant: h.kassa.merchant,
          livemode: false,
          provider: 'sandbox',
          operation: 'authorize',
          status: 'unknown',
          amount: 2300,
          currency: 'cny',
          since: undefined,
          provider_can_be_asked: true,
        },
      );
      assert.deepEqual(before.body.discrepancies, []);

      lose.clear();
      const run = await report(h, 'POST');
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.settled, 1);
      assert.deepEqual(run.body.open_calls, []);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, 100_000_000 - 2300, 'charged once');
    } finally {
      await h.close();
    }
  });

  it('a provider that cannot be asked: the call stays listed (provider_can_be_asked false) and POST settles nothing — never guessed', async () => {
    const lose = new Set(['authorize']);
    const blind = (inner: PaymentProvider): PaymentProvider => overriding(timingOutAfterActing(lose)(inner), { capabilities: { ...inner.capabilities, lookup: false } });
    const h = await boot({ wrapProvider: blind });
    try {
      const intent = await lostPayment(h, 2400, CARDS.jcb);
      const run = await report(h, 'POST');
      assert.equal(run.body.settled, 0);
      assert.deepEqual(
        run.body.open_calls.map((c: { payment_intent: string; provider_can_be_asked: boolean }) => [c.payment_intent, c.provider_can_be_asked]),
        [[intent.id, false]],
      );
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
    } finally {
      await h.close();
    }
  });

  it('a capture the provider settled for another amount is listed as a discrepancy, expected beside actual', async () => {
    const h = await boot({
      wrapProvider: (inner) =>
        overriding(inner, {
          capture: async (r) => {
            const done = await inner.capture(r);
            // The provider took less than asked (as a real acquirer may on a partial settlement).
            return done.status === 'captured' ? { status: 'captured', amount: r.amount - 100 } : done;
          },
        }),
    });
    try {
      const intent = await h.createIntent({ amount: 5000, capture_method: 'manual' });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
      // Not a 500: a 502 that says what happened, the intent held for reconciliation.
      assert.equal(captured.status, 502, JSON.stringify(captured.body));
      assert.match(captured.body.error.message, /settled a different amount/);
      const r = await report(h);
      assert.equal(r.body.discrepancies.length, 1);
      const [d] = r.body.discrepancies;
      assert.deepEqual([d.payment_intent, d.operation, d.currency, d.expected, d.actual], [intent.id, 'capture', 'cny', 5000, 4900]);
    } finally {
      await h.close();
    }
  });

  it('only the operator key reads it; a body parameter it does not take is a 400 that names it', async () => {
    const h = await boot();
    try {
      const asMerchant = await request(`${h.url}/operator/reconciliation`, 'GET', undefined, h.secretKey);
      assert.equal(asMerchant.status, 401);
      const bad = await request(`${h.url}/operator/reconciliation`, 'POST', { force: true }, h.kassa.operatorKey ?? '');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'parameter_unknown');
      assert.equal(bad.body.error.param, 'force');
    } finally {
      await h.close();
    }
  });
});
