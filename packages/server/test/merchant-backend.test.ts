/**
 * The merchant backend the README shows, run as written: the operator registers the merchant,
 * the backend uses the official `stripe` SDK pointed at Kassa (an Express app with a checkout
 * route and a webhook handler verifying with `stripe.webhooks.constructEvent`), the shopper pays
 * through the widget's API, the merchant refunds. Then the rest of what an ordinary Stripe
 * backend calls — update, list with auto-paging, search, refunds, charges, payment methods,
 * events, balance — through the same SDK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import express from 'express';
import Stripe from 'stripe';
import { CARDS, FUTURE_YEAR, SHOP, boot, request } from './helpers.js';
import type { Harness } from './helpers.js';

describe("a merchant's whole backend, through the stripe SDK", () => {
  let h: Harness;
  let stripe: Stripe;
  let shop: Server;
  let shopUrl = '';
  /** What the webhook handler verified, in arrival order. */
  const verified: Stripe.Event[] = [];
  let refused = 0;
  const paidOrders = new Set<string>();
  const refundedCharges = new Set<string>();
  let webhookSecret = '';

  async function until(what: string, done: () => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}; verified: ${verified.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    h = await boot({ webhookPollMs: 50 });
    // Day one: the operator registers the merchant, who gets test keys at once.
    const registered = await request(`${h.url}/operator/merchants`, 'POST', {
      business_name: '茶馆 Tea House',
      country: 'CN',
      default_currency: 'cny',
      allowed_origins: [SHOP],
    }, h.kassa.operatorKey);
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const url = new URL(h.url);
    stripe = new Stripe(registered.body.keys.secret_key, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 2 });

    // The merchant's backend, as in the README.
    const app = express();
    app.post('/checkout', express.json(), async (req, res) => {
      const order = String((req.body as { order: string }).order);
      const intent = await stripe.paymentIntents.create(
        { amount: 12800, currency: 'cny', metadata: { order_id: order } },
        { idempotencyKey: `order-${order}` },
      );
      res.json({ clientSecret: intent.client_secret, id: intent.id });
    });
    app.post('/webhooks', express.raw({ type: 'application/json' }), (req, res) => {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(req.body as Buffer, req.header('stripe-signature') ?? '', webhookSecret);
      } catch {
        refused++;
        res.sendStatus(400);
        return;
      }
      verified.push(event);
      if (event.type === 'payment_intent.succeeded') paidOrders.add(event.data.object.metadata.order_id ?? '');
      if (event.type === 'charge.refunded') refundedCharges.add(event.data.object.id);
      res.sendStatus(200);
    });
    shop = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = shop.address();
    assert.ok(address && typeof address === 'object');
    shopUrl = `http://127.0.0.1:${address.port}`;
    const endpoint = await stripe.webhookEndpoints.create({ url: `${shopUrl}/webhooks`, enabled_events: ['payment_intent.succeeded', 'charge.refunded'] });
    assert.match(endpoint.secret ?? '', /^whsec_/);
    webhookSecret = endpoint.secret!;
  });
  after(async () => {
    await new Promise((resolve) => shop.close(resolve));
    await h.close();
  });

  it('checkout → the shopper pays → the handler learns it, verified; a refund → the handler learns that too', async () => {
    const checkout = (await (await fetch(`${shopUrl}/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":"1001"}' })).json()) as { clientSecret: string; id: string };
    // The same order twice is the same intent (the idempotency key the backend chose).
    const again = (await (await fetch(`${shopUrl}/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":"1001"}' })).json()) as { id: string };
    assert.equal(again.id, checkout.id);

    // What <kassa-checkout> does with the client secret: tokenize in the frame, confirm.
    const token = await h.tokenize(checkout.clientSecret, { number: CARDS.unionpay, exp_year: FUTURE_YEAR });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const paid = await h.client('POST', `/payment_intents/${checkout.id}/confirm`, checkout.clientSecret, { payment_method: token.body.id }, { idem: 'confirm-1001' });
    assert.equal(paid.body.status, 'succeeded', JSON.stringify(paid.body));

    await until('payment_intent.succeeded', () => paidOrders.has('1001'));
    const intent = await stripe.paymentIntents.retrieve(checkout.id);
    assert.equal(intent.amount_received, 12800);

    const refund = await stripe.refunds.create({ payment_intent: checkout.id, amount: 500 });
    assert.deepEqual([refund.status, refund.amount, refund.payment_intent], ['succeeded', 500, checkout.id]);
    await until('charge.refunded', () => refundedCharges.has(String(intent.latest_charge)));
    assert.equal(refused, 0, 'every delivery verified with the SDK');
    assert.deepEqual(verified.map((e) => e.type), ['payment_intent.succeeded', 'charge.refunded'], 'only the enabled events');
  });

  it('the rest of an ordinary backend: update, list with auto-paging, search, refunds, charges, payment methods, events, balance', async () => {
    const customer = await stripe.customers.create({ name: '李雷', email: 'li@example.com', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const pi = await stripe.paymentIntents.create({ amount: 1000 + i, currency: 'cny', customer: customer.id, metadata: { batch: 'b1' } });
      made.push(pi.id);
    }
    const updated = await stripe.paymentIntents.update(made[0]!, { amount: 2000, description: '两杯茶', metadata: { batch: 'b1', note: 'updated' } });
    assert.deepEqual([updated.amount, updated.description, updated.metadata.note], [2000, '两杯茶', 'updated']);

    const methods = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    assert.equal(methods.data.length, 1);
    const pm = await stripe.paymentMethods.retrieve(methods.data[0]!.id);
    assert.equal(pm.card?.last4, '4242');
    const charged = await stripe.paymentIntents.confirm(made[0]!, { payment_method: pm.id });
    assert.equal(charged.status, 'succeeded');

    const listed: string[] = [];
    for await (const pi of stripe.paymentIntents.list({ customer: customer.id, limit: 2 })) listed.push(pi.id);
    assert.deepEqual(listed, [...made].reverse(), 'newest first, over three pages');
    const found = await stripe.paymentIntents.search({ query: `metadata['batch']:'b1' AND status:'succeeded'` });
    assert.deepEqual(found.data.map((p) => p.id), [made[0]]);

    const full = await stripe.refunds.create({ payment_intent: made[0]!, reason: 'requested_by_customer' });
    assert.equal(full.amount, 2000);
    assert.deepEqual((await stripe.refunds.list({ payment_intent: made[0]! })).data.map((r) => r.id), [full.id]);
    const charges = await stripe.charges.list({ payment_intent: made[0]! });
    assert.deepEqual([charges.data.length, charges.data[0]?.refunded, charges.data[0]?.amount_refunded], [1, true, 2000]);

    const events = await stripe.events.list({ type: 'refund.created', limit: 100 });
    assert.ok(events.data.some((e) => (e.data.object as { id: string }).id === full.id));
    const balance = await stripe.balance.retrieve();
    // 12,800 captured − 500 refunded in the first test; 2,000 captured and refunded here.
    assert.deepEqual(balance.pending.map((b) => [b.currency, b.amount]), [['cny', 12300]]);
    assert.equal(await stripe.paymentIntents.cancel(made[4]!).then((p) => p.status), 'canceled');
  });
});
