/**
 * Customers and payment methods (docs/API.md), and Stripe's test payment methods, as a
 * merchant's Stripe code uses them: through HTTP, and through the official stripe SDK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { CARDS, boot } from './helpers.js';
import type { Harness } from './helpers.js';

describe('customers', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('create, retrieve, update (merge, unset with ""), delete, and a deleted customer is gone for payments', async () => {
    const created = await h.v1('POST', '/customers', {
      email: 'mei@example.com',
      name: 'Mei Lin',
      phone: '+86 21 5555 0100',
      description: 'VIP',
      metadata: { tier: 'gold', crm: 'c-1' },
      address: { line1: '1 Nanjing Rd', city: 'Shanghai', postal_code: '200000', country: 'CN' },
      shipping: { name: 'Mei Lin', address: { line1: '2 Huaihai Rd', city: 'Shanghai', country: 'CN' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.match(id, /^cus_/);
    assert.equal(created.body.object, 'customer');
    assert.equal(created.body.address.city, 'Shanghai');
    assert.equal(created.body.address.line2, null);
    assert.equal(created.body.shipping.address.line1, '2 Huaihai Rd');
    assert.deepEqual(created.body.invoice_settings, { default_payment_method: null });
    assert.deepEqual((await h.v1('GET', `/customers/${id}`)).body, created.body);

    const updated = await h.v1('POST', `/customers/${id}`, { name: 'Lin Mei', phone: '', metadata: { tier: '', note: 'prefers tea' } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'Lin Mei');
    assert.equal(updated.body.phone, null, "'' unsets");
    assert.equal(updated.body.email, 'mei@example.com', 'absent keeps');
    assert.deepEqual(updated.body.metadata, { crm: 'c-1', note: 'prefers tea' }, 'metadata merges; an empty value removes the key');

    const deleted = await h.v1('DELETE', `/customers/${id}`);
    assert.deepEqual(deleted.body, { id, object: 'customer', deleted: true });
    assert.deepEqual((await h.v1('GET', `/customers/${id}`)).body, { id, object: 'customer', deleted: true });
    assert.equal((await h.v1('POST', `/customers/${id}`, { name: 'x' })).status, 404);
    assert.equal((await h.v1('DELETE', `/customers/${id}`)).status, 404);
    const intent = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', customer: id });
    assert.equal(intent.status, 404);
    assert.deepEqual([intent.body.error.code, intent.body.error.param], ['resource_missing', 'customer']);
  });

  it('an intent may only name a customer that exists (of this merchant)', async () => {
    const r = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', customer: 'cus_nobody' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.param, 'customer');
    const other = await h.kassa.createMerchant();
    const theirs = await h.customer({}, { key: other.secretKey });
    assert.equal((await h.v1('GET', `/customers/${theirs}`)).status, 404);
    assert.equal((await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', customer: theirs })).status, 404);
    assert.equal((await h.v1('GET', `/customers/${theirs}/payment_methods`)).status, 404);
  });

  it('bad input is a 400 naming the parameter, and creates nothing', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ email: 'not-an-email' }, 'parameter_invalid', 'email'],
      [{ address: { country: 'China' } }, 'parameter_invalid', 'address[country]'],
      [{ address: { city: 'x', planet: 'Earth' } }, 'parameter_unknown', 'address[planet]'],
      [{ shipping: { address: {} } }, 'parameter_missing', 'shipping[name]'],
      [{ balance: 100 }, 'parameter_unknown', 'balance'],
      [{ metadata: { constructor: 'x' } }, 'parameter_invalid', 'metadata[constructor]'],
      [{ name: 'x'.repeat(257) }, 'parameter_invalid', 'name'],
      [{ payment_method: 'pm_doesnotexist0000000000' }, 'resource_missing', 'payment_method'],
      [{ invoice_settings: { default_payment_method: 'pm_doesnotexist0000000000' } }, 'parameter_invalid', 'invoice_settings[default_payment_method]'],
    ];
    const count = () => (h.db().prepare('SELECT COUNT(*) AS n FROM customers').get() as { n: number }).n;
    const before = count();
    for (const [body, code, param] of cases) {
      const r = await h.v1('POST', '/customers', body);
      assert.ok(r.status === 400 || r.status === 404, `${JSON.stringify(body)}: ${r.status}`);
      assert.equal(r.body.error.code, code, JSON.stringify(body));
      assert.equal(r.body.error.param, param, JSON.stringify(body));
    }
    assert.equal(count(), before, 'nothing was created');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    const full = await h.customer({ metadata: fifty });
    const tooMany = await h.v1('POST', `/customers/${full}`, { metadata: { one_more: 'v' } });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.param, 'metadata');
    assert.equal((await h.v1('GET', '/customers/not a customer id!')).status, 404);
    assert.equal((await h.v1('POST', '/customers', {}, { key: null })).status, 401);
    assert.equal((await h.v1('PUT', '/customers')).status, 405);
  });

  it('saved cards are payment methods: retrieve, list, set as default, detach (for good)', async () => {
    const customer = await h.customer({ name: 'Saver' });
    await h.pay(CARDS.unionpay, { customer, setup_future_usage: 'off_session', amount: 500 });
    const list = await h.v1('GET', `/payment_methods?customer=${customer}&type=card`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.data.length, 1);
    const pm = list.body.data[0];
    assert.deepEqual((await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data, list.body.data);
    const got = await h.v1('GET', `/payment_methods/${pm.id}`);
    assert.deepEqual(
      { object: got.body.object, type: got.body.type, customer: got.body.customer, last4: got.body.card.last4, brand: got.body.card.brand },
      { object: 'payment_method', type: 'card', customer, last4: '0005', brand: 'unionpay' },
    );
    const withMeta = await h.v1('POST', `/payment_methods/${pm.id}`, { metadata: { nickname: 'blue card' } });
    assert.deepEqual(withMeta.body.metadata, { nickname: 'blue card' });

    const asDefault = await h.v1('POST', `/customers/${customer}`, { invoice_settings: { default_payment_method: pm.id } });
    assert.equal(asDefault.body.invoice_settings.default_payment_method, pm.id);

    const detached = await h.v1('POST', `/payment_methods/${pm.id}/detach`, {});
    assert.equal(detached.status, 200);
    assert.equal(detached.body.customer, null);
    assert.equal((await h.v1('GET', `/customers/${customer}`)).body.invoice_settings.default_payment_method, null, 'no longer the default');
    assert.deepEqual((await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data, []);
    // Detached for good: it cannot pay, nor be attached again, nor detached twice.
    const next = await h.createIntent({ customer, amount: 300 });
    const pay = await h.v1('POST', `/payment_intents/${next.id}/confirm`, { payment_method: pm.id });
    assert.equal(pay.status, 400);
    assert.equal(pay.body.error.code, 'payment_method_unexpected_state');
    const reattach = await h.v1('POST', `/payment_methods/${pm.id}/attach`, { customer });
    assert.equal(reattach.status, 400);
    assert.equal(reattach.body.error.code, 'payment_method_unexpected_state');
    assert.equal((await h.v1('POST', `/payment_methods/${pm.id}/detach`, {})).status, 400);
  });

  it("another customer's payment method cannot be attached or made default; unknown ones are 404", async () => {
    const a = await h.customer();
    const b = await h.customer();
    await h.pay(CARDS.jcb, { customer: a, setup_future_usage: 'on_session', amount: 100 });
    const pm = (await h.v1('GET', `/customers/${a}/payment_methods`)).body.data[0].id as string;
    assert.equal((await h.v1('POST', `/payment_methods/${pm}/attach`, { customer: b })).status, 400);
    assert.equal((await h.v1('POST', `/customers/${b}`, { invoice_settings: { default_payment_method: pm } })).status, 400);
    assert.equal((await h.v1('POST', `/payment_methods/${pm}/attach`, { customer: 'cus_nobody' })).status, 404);
    assert.equal((await h.v1('GET', '/payment_methods/pm_doesnotexist0000000000')).status, 404);
    assert.equal((await h.v1('GET', '/payment_methods?customer=cus_nobody')).status, 404);
    assert.equal((await h.v1('GET', '/payment_methods')).status, 400, 'a customer is required to list');
    const other = await h.kassa.createMerchant();
    assert.equal((await h.v1('GET', `/payment_methods/${pm}`, undefined, { key: other.secretKey })).status, 404);
  });

  it("Stripe's test payment methods and tokens stand for sandbox cards, and become real ones of this merchant", async () => {
    const visa = await h.v1('POST', '/payment_intents', { amount: 1200, currency: 'cny', payment_method: 'pm_card_visa', confirm: true });
    assert.equal(visa.status, 200, JSON.stringify(visa.body));
    assert.equal(visa.body.status, 'succeeded');
    assert.match(visa.body.payment_method, /^pm_[A-Za-z0-9]{24}$/, 'a payment method of its own, not the test name');
    assert.equal((await h.v1('GET', `/charges/${visa.body.latest_charge}`)).body.payment_method_details.card.last4, '4242');

    const declined = await h.v1('POST', '/payment_intents', { amount: 1200, currency: 'cny', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true });
    assert.equal(declined.status, 402);
    assert.equal(declined.body.error.decline_code, 'insufficient_funds');
    const tds = await h.v1('POST', '/payment_intents', { amount: 1200, currency: 'cny', payment_method: 'pm_card_threeDSecure2Required', confirm: true });
    assert.equal(tds.body.status, 'requires_action');
    const token = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny', payment_method: 'tok_unionpay', confirm: true });
    assert.equal(token.body.status, 'succeeded');
    assert.match(token.body.payment_method, /^tok_/);

    // Created with it and confirmed later: made once, at the confirm.
    const later = await h.v1('POST', '/payment_intents', { amount: 800, currency: 'cny', payment_method: 'pm_card_amex' });
    assert.equal(later.body.status, 'requires_confirmation');
    assert.equal(later.body.payment_method, 'pm_card_amex');
    const confirmed = await h.v1('POST', `/payment_intents/${later.body.id}/confirm`, {});
    assert.equal(confirmed.body.status, 'succeeded');
    assert.match(confirmed.body.payment_method, /^pm_[A-Za-z0-9]{24}$/);

    // With a customer and setup_future_usage it is saved for that customer.
    const customer = await h.customer();
    const saved = await h.v1('POST', '/payment_intents', { amount: 900, currency: 'cny', customer, setup_future_usage: 'off_session', payment_method: 'pm_card_mastercard', confirm: true });
    assert.equal(saved.body.status, 'succeeded');
    const methods = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data;
    assert.equal(methods.length, 1);
    assert.equal(methods[0].id, saved.body.payment_method);
    assert.equal(methods[0].card.brand, 'mastercard');

    // Used once without a customer, a payment method is spent (Stripe's rule).
    const reuse = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', payment_method: visa.body.payment_method, confirm: true });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error.code, 'payment_method_unexpected_state');
    const unknownTest = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', payment_method: 'pm_card_doesnotexist', confirm: true });
    assert.equal(unknownTest.status, 404);
  });
});

describe('customers with the official stripe SDK', () => {
  it('runs the usual Stripe test setup unchanged: a customer with pm_card_visa as its default, then an off-session charge', async () => {
    const h = await boot();
    try {
      const stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port: Number(new URL(h.url).port), protocol: 'http', maxNetworkRetries: 0 });
      const customer = await stripe.customers.create({
        email: 'jenny@example.com',
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      assert.match(customer.id, /^cus_/);
      const pm = customer.invoice_settings.default_payment_method;
      assert.ok(typeof pm === 'string' && /^pm_/.test(pm) && pm !== 'pm_card_visa');
      const attached = await stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
      assert.equal(attached.customer, customer.id);
      const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
      assert.deepEqual(listed.data.map((m) => m.card?.brand).sort(), ['amex', 'visa']);

      const charge = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: customer.id, payment_method: pm, confirm: true });
      assert.equal(charge.status, 'succeeded');

      const renamed = await stripe.customers.update(customer.id, { name: 'Jenny Rosen', metadata: { plan: 'pro' } });
      assert.equal(renamed.name, 'Jenny Rosen');
      const detached = await stripe.paymentMethods.detach(attached.id);
      assert.equal(detached.customer, null);
      const gone = await stripe.customers.del(customer.id);
      assert.equal(gone.deleted, true);
      const missing = await stripe.customers.retrieve(customer.id);
      assert.equal(missing.deleted, true);
    } finally {
      await h.close();
    }
  });
});
