/**
 * A provider call that fails without an answer, as the adapter classifies it (ProviderFailure):
 * definite — the provider did not act — is settled at once as a processing error, so nothing is
 * left `unknown` and the shopper may simply try again; ambiguous — it may have acted — leaves
 * the intent `unknown` for the provider to be asked, as any other throw does. Both through the
 * real server, with the sandbox issuer's accounts as the witness of what moved.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderFailure } from '../src/domain/ports.js';
import { CARDS, boot, outboxTypes, overriding } from './helpers.js';

/** The sandbox issuer with some operations failing before they reach it. */
function failing(mode: Map<string, ProviderFailure>) {
  return (inner: Parameters<typeof overriding>[0]) =>
    overriding(inner, {
      authorize: async (r) => {
        const failure = mode.get('authorize');
        if (failure) throw failure;
        return inner.authorize(r);
      },
      capture: async (r) => {
        const failure = mode.get('capture');
        if (failure) throw failure;
        return inner.capture(r);
      },
      refund: async (r) => {
        const failure = mode.get('refund');
        if (failure) throw failure;
        return inner.refund(r);
      },
    });
}

describe('provider failures, definite and ambiguous', () => {
  it('a definite failure (the provider never acted) is a processing_error decline: nothing charged, nothing unknown, the same key answers the same, and a new try pays once', async () => {
    const mode = new Map<string, ProviderFailure>([['authorize', new ProviderFailure('definite', 'connect ECONNREFUSED 10.0.0.1:443', 'ECONNREFUSED')]]);
    const h = await boot({ wrapProvider: failing(mode) });
    try {
      const before = h.kassa.sandboxAccount(CARDS.amex, 'cny');
      const intent = await h.createIntent({ amount: 2700 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      const confirm = () => h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id }, { idem: 'definite-1' });
      const refused = await confirm();
      assert.equal(refused.status, 402, JSON.stringify(refused.body));
      assert.equal(refused.body.error.type, 'card_error');
      assert.equal(refused.body.error.code, 'processing_error');
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.status, 'requires_payment_method');
      assert.equal(view.body.last_payment_error.code, 'processing_error');
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.amex, 'cny'), before, 'the issuer saw nothing');
      const types = outboxTypes(h.db(), intent.id);
      assert.ok(types.includes('payment_intent.payment_failed'), types.join());
      assert.ok(!types.includes('payment_intent.outcome_unknown'), 'never unknown: the adapter was certain');
      const attempt = h.db().prepare("SELECT status, outcome FROM payment_attempts WHERE payment_intent_id = ? AND operation = 'authorize'").get(intent.id) as { status: string; outcome: string };
      assert.equal(attempt.status, 'failed');
      assert.equal(JSON.parse(attempt.outcome).rawCode, 'ECONNREFUSED', "the provider's own code is kept beside Kassa's");

      // The provider is back. The same key answers as before (an answered request is not redone)…
      mode.clear();
      const replay = await confirm();
      assert.equal(replay.status, 402);
      assert.deepEqual(replay.body, refused.body);
      // …and a new confirm pays, once.
      const again = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: again.body.id }, { idem: 'definite-2' });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.status, 'succeeded');
      const after = h.kassa.sandboxAccount(CARDS.amex, 'cny');
      assert.equal((before?.balance ?? 100_000_000) - (after?.balance ?? NaN), 2700);
    } finally {
      await h.close();
    }
  });

  it('an ambiguous failure (it may have acted) leaves the intent unknown — never settled as a decline — until the provider is asked', async () => {
    const mode = new Map<string, ProviderFailure>([['authorize', new ProviderFailure('ambiguous', 'socket hang up after the request was sent', 'ECONNRESET')]]);
    const h = await boot({ wrapProvider: failing(mode) });
    try {
      const intent = await h.createIntent({ amount: 2800 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      const r = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(r.body.error.type, 'api_error');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.ok(outboxTypes(h.db(), intent.id).includes('payment_intent.outcome_unknown'));
      // The sandbox can be asked: it never saw the call, so recovery makes it now, once.
      mode.clear();
      assert.equal(await h.kassa.recover(), 1);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
    } finally {
      await h.close();
    }
  });

  it('a definite failure of a capture or a refund leaves the money where it was: the hold stands, the payment is not refunded, and the next try works', async () => {
    const mode = new Map<string, ProviderFailure>();
    const h = await boot({ wrapProvider: failing(mode) });
    try {
      const intent = await h.createIntent({ amount: 5000, capture_method: 'manual' });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirmed.body.status, 'requires_capture');
      const held = h.kassa.sandboxAccount(CARDS.amex, 'cny');

      mode.set('capture', new ProviderFailure('definite', 'HTTP 422 validation error', '422'));
      const refused = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
      assert.equal(refused.status, 402, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'processing_error');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_capture', 'the hold stands');
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.amex, 'cny'), held);

      mode.clear();
      const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
      assert.equal(captured.status, 200, JSON.stringify(captured.body));
      assert.equal(captured.body.status, 'succeeded');

      mode.set('refund', new ProviderFailure('definite', 'HTTP 400 invalid request', '400'));
      const notRefunded = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      // As at Stripe, a refund the provider refused is a refund object with status failed.
      assert.equal(notRefunded.status, 200, JSON.stringify(notRefunded.body));
      assert.equal(notRefunded.body.status, 'failed');
      assert.equal(notRefunded.body.failure_reason, 'The payment provider could not process the request; no money moved.');
      const charge = (await h.v1('GET', `/charges/${captured.body.latest_charge}`)).body;
      assert.equal(charge.amount_refunded, 0, 'nothing went back');
      mode.clear();
      const refunded = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
      assert.equal((await h.v1('GET', `/charges/${captured.body.latest_charge}`)).body.amount_refunded, 1000);
    } finally {
      await h.close();
    }
  });
});
