/**
 * Saved cards: a customer who chose to keep their card pays next time in one click, with
 * no CVC. A saved card belongs to one customer of one merchant.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, boot } from './helpers.js';
import type { Harness } from './helpers.js';

describe('saved cards and one-click pay', () => {
  let h: Harness;
  const c: Record<'alice' | 'bob' | 'carol' | 'dave' | 'eve', string> = { alice: '', bob: '', carol: '', dave: '', eve: '' };
  before(async () => {
    h = await boot();
    for (const name of Object.keys(c) as Array<keyof typeof c>) c[name] = await h.customer({ name });
  });
  after(async () => {
    await h.close();
  });

  it('when an intent with customer and setup_future_usage succeeds, then the card is saved and offered next time', async () => {
    const first = await h.pay(CARDS.unionpay, { customer: c.alice, setup_future_usage: 'on_session' });
    assert.equal(first.confirm.status, 200);
    assert.equal(first.confirm.body.status, 'succeeded');
    const merchantView = await h.v1('GET', `/payment_intents/${first.intent.id}`);
    assert.match(merchantView.body.payment_method, /^pm_/);

    const list = await h.v1('GET', `/customers/${c.alice}/payment_methods`);
    assert.equal(list.status, 200);
    assert.equal(list.body.object, 'list');
    assert.equal(list.body.data.length, 1);
    const pm = list.body.data[0];
    assert.equal(pm.id, merchantView.body.payment_method);
    assert.deepEqual(pm.card, { brand: 'unionpay', last4: '0005', exp_month: 12, exp_year: pm.card.exp_year });

    const next = await h.createIntent({ customer: c.alice, amount: 3000 });
    const view = await h.client('GET', `/payment_intents/${next.id}`, next.client_secret);
    assert.equal(view.body.can_save_card, true);
    assert.equal(view.body.saved_payment_method.id, pm.id);
    assert.equal(view.body.saved_payment_method.brand, 'unionpay');
    assert.equal(view.body.saved_payment_method.last4, '0005');

    // One click: no token, no CVC.
    const before = h.kassa.sandboxAccount(CARDS.unionpay, 'cny')!.balance;
    const paid = await h.client('POST', `/payment_intents/${next.id}/confirm`, next.client_secret, { payment_method: pm.id });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.status, 'succeeded');
    assert.equal(h.kassa.sandboxAccount(CARDS.unionpay, 'cny')!.balance, before - 3000);

    // Paying again with the same card does not save a duplicate.
    await h.pay(CARDS.unionpay, { customer: c.alice, setup_future_usage: 'on_session' });
    assert.equal((await h.v1('GET', `/customers/${c.alice}/payment_methods`)).body.data.length, 1);
  });

  it('the shopper can choose to save at confirm time', async () => {
    const { confirm } = await h.pay(CARDS.jcb, { customer: c.bob }, { setup_future_usage: 'on_session' });
    assert.equal(confirm.body.status, 'succeeded');
    const list = await h.v1('GET', `/customers/${c.bob}/payment_methods`);
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.data[0].card.brand, 'jcb');
  });

  it('a card is not saved without consent, nor when the payment fails', async () => {
    await h.pay(CARDS.visa, { customer: c.carol });
    await h.pay(CARDS.genericDecline, { customer: c.carol, setup_future_usage: 'on_session' });
    assert.deepEqual((await h.v1('GET', `/customers/${c.carol}/payment_methods`)).body.data, []);
  });

  it('saving needs a customer: setup_future_usage alone is refused', async () => {
    const r = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', setup_future_usage: 'on_session' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.param, 'customer');
    const { confirm } = await h.pay(CARDS.visa, {}, { setup_future_usage: 'on_session' });
    assert.equal(confirm.status, 400);
    assert.equal(confirm.body.error.param, 'setup_future_usage');
  });

  it("another customer's saved card is unknown to this intent (404), and so is another merchant's", async () => {
    await h.pay(CARDS.amex, { customer: c.dave, setup_future_usage: 'off_session' });
    const pm = (await h.v1('GET', `/customers/${c.dave}/payment_methods`)).body.data[0].id as string;

    const eve = await h.createIntent({ customer: c.eve });
    const stolen = await h.client('POST', `/payment_intents/${eve.id}/confirm`, eve.client_secret, { payment_method: pm });
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body.error.code, 'resource_missing');
    assert.equal(stolen.body.error.param, 'payment_method');
    assert.equal((await h.v1('GET', `/payment_intents/${eve.id}`)).body.status, 'requires_payment_method');

    const anonymous = await h.createIntent();
    const noCustomer = await h.client('POST', `/payment_intents/${anonymous.id}/confirm`, anonymous.client_secret, { payment_method: pm });
    assert.equal(noCustomer.status, 404);

    // Another merchant knows neither the customer nor the card.
    const other = await h.kassa.createMerchant();
    const theirIntent = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', customer: c.dave }, { key: other.secretKey });
    assert.equal(theirIntent.status, 404);
    assert.equal(theirIntent.body.error.param, 'customer');
    const theirs = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: other.secretKey });
    const crossMerchant = await h.client('POST', `/payment_intents/${theirs.body.id}/confirm`, theirs.body.client_secret, { payment_method: pm });
    assert.equal(crossMerchant.status, 404);
    const theirList = await h.v1('GET', `/customers/${c.dave}/payment_methods`, undefined, { key: other.secretKey });
    assert.equal(theirList.status, 404);
  });

  it('a token of another merchant cannot pay this merchant’s intent', async () => {
    const other = await h.kassa.createMerchant();
    const theirs = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: other.secretKey });
    const theirToken = await h.tokenize(theirs.body.client_secret);
    const mine = await h.createIntent();
    const r = await h.client('POST', `/payment_intents/${mine.id}/confirm`, mine.client_secret, { payment_method: theirToken.body.id });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.param, 'payment_method');
  });
});
