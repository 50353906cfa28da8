/**
 * Test mode moved from the sandbox to Stripe by configuration alone (`providerSpecs`, what
 * `kassa serve` passes from its config file and environment), against the strict local fake of
 * Stripe's API: the shopper pays through the real server's client API, the merchant refunds
 * through /v1, and a charge whose answer was lost is settled by recovery exactly once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive } from '../src/domain/ports.js';
import { boot } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';

const VISA = '4242424242424242';

async function withStripe(fn: (fake: StripeFake, h: Awaited<ReturnType<typeof boot>>) => Promise<void>, options: Parameters<typeof boot>[0] = {}) {
  const fake = await StripeFake.start();
  const h = await boot({
    publicUrl: 'https://pay.shop.test',
    providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive(fake.secretKey), apiBase: fake.url } },
    ...options,
  });
  try {
    await fn(fake, h);
  } finally {
    await h.close();
    await fake.close();
  }
}

describe('test mode on Stripe, by configuration', () => {
  it("a shopper's payment goes to Stripe (card as payment_method_data, Kassa's idempotency keys), and a partial refund follows it there", () =>
    withStripe(async (fake, h) => {
      const intent = await h.createIntent({ amount: 4200, currency: 'usd' });
      const token = await h.tokenize(intent.client_secret, { number: VISA });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.status, 'succeeded');
      const [remote] = fake.intents();
      assert.equal(fake.intents().length, 1);
      assert.equal(remote?.status, 'succeeded');
      assert.equal(remote?.amount, 4200);
      assert.equal(remote?.metadata?.['kassa_reference'], intent.id, "Kassa's reference travels with the payment");
      assert.equal(fake.account(VISA, 'usd')?.balance, 1_000_000 - 4200);
      const confirm = fake.requests.find((r) => r.route === 'confirm');
      assert.ok(confirm?.idempotencyKey, 'the confirm carries an idempotency key');
      assert.ok(!JSON.stringify(fake.requests.filter((r) => r.route !== 'confirm').map((r) => r.rawBody)).includes(VISA), 'the card number goes in the confirm only');

      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1200 });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      assert.equal(refund.body.status, 'succeeded');
      assert.equal(fake.account(VISA, 'usd')?.balance, 1_000_000 - 3000, 'given back at Stripe');
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.latest_charge !== null, true);
    }));

  it("a charge whose answer was lost (Stripe acted, the connection dropped) is settled by recovery through Stripe's replay, once", () =>
    withStripe(async (fake, h) => {
      const intent = await h.createIntent({ amount: 3100, currency: 'usd' });
      const token = await h.tokenize(intent.client_secret, { number: VISA });
      fake.fault('confirm', 'drop-after');
      const lost = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(lost.status, 502, JSON.stringify(lost.body));
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.equal(fake.account(VISA, 'usd')?.balance, 1_000_000 - 3100, 'Stripe did charge');

      assert.equal(await h.kassa.recover(), 1);
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.status, 'succeeded');
      assert.equal(view.body.amount_received, 3100);
      assert.equal(fake.acted('confirm'), 1, 'confirmed at Stripe once');
      assert.equal(fake.account(VISA, 'usd')?.balance, 1_000_000 - 3100, 'charged once');
    }));

  it('a Stripe key of the wrong mode, or a real provider without a public URL, stops the server at start with a clear message', async () => {
    await assert.rejects(
      boot({ publicUrl: 'https://pay.shop.test', providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive('sk_live_abc') } } }),
      /Stripe secret key for test mode must start with sk_test_/,
    );
    await assert.rejects(
      boot({ providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive('sk_test_abc') } } }),
      /needs the server's public URL/,
    );
    await assert.rejects(boot({ providerSpecs: { live: { type: 'sandbox' } } }), /sandbox issuer cannot take live payments/);
  });
});
