/**
 * The rest of the intent API as Stripe has it (docs/API.md): update, list, search, the create
 * parameters real backends send (receipt_email, statement_descriptor_suffix, shipping,
 * off_session, return_url), and the lists of refunds, charges and customers — through HTTP and
 * through the official stripe SDK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { CARDS, boot } from './helpers.js';
import type { Harness } from './helpers.js';

describe('intent API', () => {
  let h: Harness;
  let stripe: Stripe;
  before(async () => {
    h = await boot();
    stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port: Number(new URL(h.url).port), protocol: 'http', maxNetworkRetries: 0 });
  });
  after(async () => {
    await h.close();
  });

  describe('update', () => {
    it('changes amount, currency, customer, metadata (merged) and the payment method before confirmation; a new method needs a confirm', async () => {
      const customer = await h.customer();
      const intent = await h.createIntent({ amount: 1000, metadata: { order: 'A', keep: 'yes' } });
      const r = await h.v1('POST', `/payment_intents/${intent.id}`, {
        amount: 1250,
        currency: 'usd',
        customer,
        description: 'two teas',
        metadata: { order: 'B', keep: '' },
        receipt_email: 'buyer@example.com',
        shipping: { name: 'Mei', address: { line1: '1 Road', country: 'CN' } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(
        { amount: r.body.amount, currency: r.body.currency, customer: r.body.customer, description: r.body.description, metadata: r.body.metadata, status: r.body.status },
        { amount: 1250, currency: 'usd', customer, description: 'two teas', metadata: { order: 'B' }, status: 'requires_payment_method' },
      );
      assert.equal(r.body.receipt_email, 'buyer@example.com');
      assert.equal(r.body.shipping.address.line1, '1 Road');
      const withCard = await h.v1('POST', `/payment_intents/${intent.id}`, { payment_method: 'pm_card_unionpay' });
      assert.equal(withCard.body.status, 'requires_confirmation');
      const paid = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, {});
      assert.equal(paid.body.status, 'succeeded');
      assert.equal(paid.body.amount_received, 1250, 'the updated amount is what was charged');
    });

    it('after confirmation only metadata, description and receipt_email change; the rest is a 400 naming it', async () => {
      const { intent } = await h.pay(CARDS.visa, { amount: 700 });
      const amount = await h.v1('POST', `/payment_intents/${intent.id}`, { amount: 800 });
      assert.equal(amount.status, 400);
      assert.deepEqual([amount.body.error.code, amount.body.error.param], ['payment_intent_unexpected_state', 'amount']);
      const meta = await h.v1('POST', `/payment_intents/${intent.id}`, { metadata: { shipped: 'yes' }, description: 'sent' });
      assert.equal(meta.status, 200);
      assert.deepEqual(meta.body.metadata, { shipped: 'yes' });
      assert.equal(meta.body.amount_received, 700);
    });

    it('bad input: unknown fields, a customer that does not exist, another merchant', async () => {
      const intent = await h.createIntent();
      const cases: Array<[unknown, number, string, string]> = [
        [{ colour: 'red' }, 400, 'parameter_unknown', 'colour'],
        [{ amount: 0 }, 400, 'parameter_invalid', 'amount'],
        [{ receipt_email: 'nope' }, 400, 'parameter_invalid', 'receipt_email'],
        [{ statement_descriptor_suffix: '12345' }, 400, 'parameter_invalid', 'statement_descriptor_suffix'],
        [{ statement_descriptor_suffix: 'TEA <3' }, 400, 'parameter_invalid', 'statement_descriptor_suffix'],
        [{ customer: 'cus_nobody' }, 404, 'resource_missing', 'customer'],
        [{ payment_method: 'tok_doesnotexist0000' }, 404, 'resource_missing', 'payment_method'],
        [{ setup_future_usage: 'on_session' }, 400, 'parameter_missing', 'customer'],
      ];
      for (const [body, status, code, param] of cases) {
        const r = await h.v1('POST', `/payment_intents/${intent.id}`, body);
        assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual([r.body.error.code, r.body.error.param], [code, param], JSON.stringify(body));
      }
      const other = await h.kassa.createMerchant();
      assert.equal((await h.v1('POST', `/payment_intents/${intent.id}`, { description: 'x' }, { key: other.secretKey })).status, 404);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.description, null, 'nothing changed');
    });
  });

  describe('lists', () => {
    it("pages newest first with limit, starting_after, ending_before and has_more, filtered by customer and created; another merchant's cursor is 404", async () => {
      const customer = await h.customer();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await h.createIntent({ amount: 100 + i, customer })).id);
      const newestFirst = [...made].reverse();
      const first = await h.v1('GET', `/payment_intents?customer=${customer}&limit=2`);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.object, first.body.url, first.body.has_more], ['list', '/v1/payment_intents', true]);
      assert.deepEqual(first.body.data.map((i: { id: string }) => i.id), newestFirst.slice(0, 2));
      const second = await h.v1('GET', `/payment_intents?customer=${customer}&limit=2&starting_after=${newestFirst[1]}`);
      assert.deepEqual(second.body.data.map((i: { id: string }) => i.id), newestFirst.slice(2, 4));
      const last = await h.v1('GET', `/payment_intents?customer=${customer}&limit=2&starting_after=${newestFirst[3]}`);
      assert.deepEqual(last.body.data.map((i: { id: string }) => i.id), newestFirst.slice(4));
      assert.equal(last.body.has_more, false);
      const back = await h.v1('GET', `/payment_intents?customer=${customer}&limit=2&ending_before=${newestFirst[4]}`);
      assert.deepEqual(back.body.data.map((i: { id: string }) => i.id), newestFirst.slice(2, 4));
      const now = Math.floor(Date.now() / 1000);
      assert.equal((await h.v1('GET', `/payment_intents?customer=${customer}&created[gte]=${now - 60}&limit=100`)).body.data.length, 5);
      assert.equal((await h.v1('GET', `/payment_intents?customer=${customer}&created[lt]=${now - 60}`)).body.data.length, 0);

      for (const [q, status, param] of [
        ['limit=0', 400, 'limit'],
        ['limit=101', 400, 'limit'],
        ['colour=red', 400, 'colour'],
        [`starting_after=${made[0]}&ending_before=${made[1]}`, 400, 'ending_before'],
        ['starting_after=pi_doesnotexist0000000000', 404, 'starting_after'],
        ['created[gte]=yesterday', 400, 'created[gte]'],
      ] as const) {
        const r = await h.v1('GET', `/payment_intents?${q}`);
        assert.equal(r.status, status, `${q}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.param, param, q);
      }
      const other = await h.kassa.createMerchant();
      const theirs = await h.v1('GET', `/payment_intents?starting_after=${made[0]}`, undefined, { key: other.secretKey });
      assert.equal(theirs.status, 404);
      assert.deepEqual((await h.v1('GET', '/payment_intents', undefined, { key: other.secretKey })).body.data, []);
    });

    it('refunds, charges and customers list the same way, with their filters', async () => {
      const customer = await h.customer({ email: 'lister@example.com' });
      const { intent } = await h.pay(CARDS.jcb, { amount: 3000, customer });
      await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 500 });
      const refunds = await h.v1('GET', `/refunds?payment_intent=${intent.id}`);
      assert.deepEqual(refunds.body.data.map((r: { amount: number }) => r.amount), [500, 1000]);
      const charges = await h.v1('GET', `/charges?customer=${customer}`);
      assert.equal(charges.body.data.length, 1);
      assert.equal(charges.body.data[0].amount_refunded, 1500);
      assert.equal((await h.v1('GET', `/charges?payment_intent=${intent.id}`)).body.data[0].id, charges.body.data[0].id);
      const byEmail = await h.v1('GET', '/customers?email=lister@example.com');
      assert.deepEqual(byEmail.body.data.map((c: { id: string }) => c.id), [customer]);
      await h.v1('DELETE', `/customers/${customer}`);
      assert.deepEqual((await h.v1('GET', '/customers?email=lister@example.com')).body.data, [], 'deleted customers are not listed');
      assert.equal((await h.v1('GET', '/refunds?amount=5')).status, 400);
    });

    it('the stripe SDK auto-paginates a list', async () => {
      const customer = await stripe.customers.create();
      for (let i = 0; i < 7; i++) await stripe.paymentIntents.create({ amount: 500 + i, currency: 'cny', customer: customer.id });
      const seen: number[] = [];
      for await (const pi of stripe.paymentIntents.list({ customer: customer.id, limit: 3 })) seen.push(pi.amount);
      assert.deepEqual(seen, [506, 505, 504, 503, 502, 501, 500]);
    });
  });

  describe('search', () => {
    it("Stripe's query language: status, customer, metadata['k'], created, amount, AND / OR, negation, and next_page", async () => {
      const customer = await h.customer();
      const tag = `run-${Date.now()}`;
      const a = await h.createIntent({ amount: 1111, customer, metadata: { batch: tag, color: 'red' } });
      const b = await h.createIntent({ amount: 2222, metadata: { batch: tag, color: 'blue' } });
      await h.pay(CARDS.visa, { amount: 3333, metadata: { batch: tag, color: 'red' } });
      const ids = async (query: string) => {
        const r = await h.v1('GET', `/payment_intents/search?query=${encodeURIComponent(query)}&limit=100`);
        assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.object, 'search_result');
        return (r.body.data as Array<{ id: string; amount: number }>).map((i) => i.amount).sort();
      };
      assert.deepEqual(await ids(`metadata['batch']:'${tag}'`), [1111, 2222, 3333]);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND metadata["color"]:"red"`), [1111, 3333]);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND status:'succeeded'`), [3333]);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND -status:'succeeded'`), [1111, 2222]);
      assert.deepEqual(await ids(`customer:'${customer}' OR amount:2222`), [1111, 2222]);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND amount>=2222 AND amount<3333`), [2222]);
      const now = Math.floor(Date.now() / 1000);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND created>${now - 120}`), [1111, 2222, 3333]);
      assert.deepEqual(await ids(`metadata['batch']:'${tag}' AND created<${now - 120}`), []);
      assert.deepEqual(await ids(`metadata['color']~'lu' AND metadata['batch']:'${tag}'`), [2222]);

      const page1 = await h.v1('GET', `/payment_intents/search?query=${encodeURIComponent(`metadata['batch']:'${tag}'`)}&limit=2`);
      assert.equal(page1.body.has_more, true);
      assert.equal(typeof page1.body.next_page, 'string');
      const page2 = await h.v1('GET', `/payment_intents/search?query=${encodeURIComponent(`metadata['batch']:'${tag}'`)}&limit=2&page=${page1.body.next_page}`);
      assert.equal(page2.body.has_more, false);
      assert.equal(page2.body.next_page, null);
      const all = [...page1.body.data, ...page2.body.data].map((i: { id: string }) => i.id);
      assert.equal(new Set(all).size, 3);
      assert.ok(all.includes(a.id) && all.includes(b.id));
    });

    it('a query it does not understand is a 400 on param query saying what; another merchant sees none of these', async () => {
      for (const q of [
        '',
        "colour:'red'",
        "status:'succeeded' AND amount>1 OR amount<5",
        "amount:'many'",
        "status~'succ'",
        "metadata[batch]:'x'",
        "status:'unterminated",
        "status:'a' status:'b'",
        Array.from({ length: 11 }, (_, i) => `amount:${i}`).join(' OR '),
      ]) {
        const r = await h.v1('GET', `/payment_intents/search?query=${encodeURIComponent(q)}`);
        assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.param, 'query', q);
      }
      assert.equal((await h.v1('GET', "/payment_intents/search?query=amount:1&page=!!!")).body.error.param, 'page');
      const other = await h.kassa.createMerchant();
      const theirs = await h.v1('GET', `/payment_intents/search?query=${encodeURIComponent('amount>0')}`, undefined, { key: other.secretKey });
      assert.deepEqual(theirs.body.data, []);
    });

    it('stripe.paymentIntents.search works as in Stripe code', async () => {
      const tag = `sdk-${Date.now()}`;
      await stripe.paymentIntents.create({ amount: 4242, currency: 'cny', metadata: { sdk: tag } });
      const found = await stripe.paymentIntents.search({ query: `metadata['sdk']:'${tag}'` });
      assert.equal(found.object, 'search_result');
      assert.deepEqual(found.data.map((i) => i.amount), [4242]);
    });
  });

  describe('what real backends send', () => {
    it('receipt_email, statement_descriptor_suffix and shipping are kept and shown', async () => {
      const created = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'cny',
        receipt_email: 'mei@example.com',
        statement_descriptor_suffix: 'TEA SHOP',
        shipping: { name: 'Mei Lin', address: { line1: '1 Nanjing Rd', city: 'Shanghai', country: 'CN' }, phone: '+86 21 0000 0000' },
      });
      assert.equal(created.receipt_email, 'mei@example.com');
      assert.equal(created.statement_descriptor_suffix, 'TEA SHOP');
      assert.equal(created.shipping?.address?.city, 'Shanghai');
      assert.equal(created.shipping?.address?.line2, null);
    });

    it('off_session with a saved card: no shopper to authenticate, so a card that needs 3-D Secure is declined authentication_required', async () => {
      const customer = await stripe.customers.create({ payment_method: 'pm_card_threeDSecure2Required' });
      const pm = (await stripe.paymentMethods.list({ customer: customer.id })).data[0]?.id as string;
      const err = await stripe.paymentIntents
        .create({ amount: 1200, currency: 'cny', customer: customer.id, payment_method: pm, off_session: true, confirm: true })
        .catch((e: unknown) => e);
      assert.ok(err instanceof Stripe.errors.StripeCardError, String(err));
      assert.equal(err.code, 'authentication_required');
      assert.equal(err.decline_code, 'authentication_required');
      assert.equal(err.payment_intent?.status, 'requires_payment_method');
      const ok = await stripe.customers.create({ payment_method: 'pm_card_visa' });
      const okPm = (await stripe.paymentMethods.list({ customer: ok.id })).data[0]?.id as string;
      const charged = await stripe.paymentIntents.create({ amount: 1200, currency: 'cny', customer: ok.id, payment_method: okPm, off_session: 'recurring', confirm: true });
      assert.equal(charged.status, 'succeeded');
    });

    it('return_url: a server-side confirm of a 3-D Secure card answers redirect_to_url; the page sends the shopper back with the outcome', async () => {
      const created = await h.v1('POST', '/payment_intents', {
        amount: 2500,
        currency: 'cny',
        payment_method: 'pm_card_threeDSecure2Required',
        confirm: true,
        return_url: 'https://shop.example/after-payment?order=9',
      });
      assert.equal(created.body.status, 'requires_action');
      assert.equal(created.body.next_action.type, 'redirect_to_url');
      const { url, return_url: returnUrl } = created.body.next_action.redirect_to_url;
      assert.equal(returnUrl, 'https://shop.example/after-payment?order=9');
      const page = await fetch(url, { redirect: 'manual' });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'a whole page, not framable');
      const html = await page.text();
      const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const done = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `result=pass&token=${encodeURIComponent(token)}`,
      });
      assert.equal(done.status, 303);
      const back = new URL(done.headers.get('location') ?? '');
      assert.equal(`${back.origin}${back.pathname}`, 'https://shop.example/after-payment');
      assert.equal(back.searchParams.get('order'), '9');
      assert.equal(back.searchParams.get('payment_intent'), created.body.id);
      assert.equal(back.searchParams.get('redirect_status'), 'succeeded');
      const secret = back.searchParams.get('payment_intent_client_secret') ?? '';
      assert.equal((await h.client('GET', `/payment_intents/${created.body.id}`, secret)).body.status, 'succeeded');
      // Without a return_url there is no whole-page challenge for the intent.
      const framed = await h.pay(CARDS.threeDS);
      const framedUrl = `${framed.confirm.body.next_action.three_d_secure.url}/redirect`;
      assert.equal((await fetch(framedUrl)).status, 404);
    });
  });
});
