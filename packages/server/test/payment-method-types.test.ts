/**
 * `payment_method_types` at create (Stripe's, and its newer name `allowed_payment_method_types`):
 * the intent keeps the list, shows it, and holds its confirms to it; a type no provider of the
 * mode takes is refused at create, as Stripe refuses a method not activated; bad lists are 400s
 * that store nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, assertError, boot, overriding, tableCounts } from './helpers.js';

describe('payment_method_types', () => {
  it('is kept, shown and enforced: a card confirm on an intent made for Alipay is refused, and changes nothing', async () => {
    // The test mode's provider takes Alipay too (as declared; the card path is what is exercised).
    const h = await boot({ wrapProvider: (inner) => overriding(inner, { capabilities: { ...inner.capabilities, paymentMethods: ['card', 'alipay'] } }) });
    try {
      const cards = await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: ['card'] });
      assert.equal(cards.status, 200, JSON.stringify(cards.body));
      assert.deepEqual(cards.body.payment_method_types, ['card']);
      const any = await h.createIntent({ amount: 1000 });
      assert.equal(any.payment_method_types, null, 'no list: any method the providers take');
      const same = await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: ['card', 'alipay'], allowed_payment_method_types: ['alipay', 'card'] });
      assert.deepEqual(same.body.payment_method_types, ['card', 'alipay']);

      const alipayOnly = await h.v1('POST', '/payment_intents', { amount: 2000, currency: 'cny', allowed_payment_method_types: ['alipay'] });
      assert.equal(alipayOnly.status, 200, JSON.stringify(alipayOnly.body));
      const token = await h.tokenize(alipayOnly.body.client_secret, { number: CARDS.visa });
      const refused = await h.client('POST', `/payment_intents/${alipayOnly.body.id}/confirm`, alipayOnly.body.client_secret, { payment_method: token.body.id });
      assertError(refused, 400, 'payment_intent_incompatible_payment_method', 'payment_method');
      assert.match(refused.body.error.message, /takes alipay/);
      const after = await h.v1('GET', `/payment_intents/${alipayOnly.body.id}`);
      assert.deepEqual([after.body.status, after.body.payment_method, after.body.latest_charge], ['requires_payment_method', null, null], 'nothing changed, nothing charged');

      // The card intent pays as ever.
      const paid = await h.client('POST', `/payment_intents/${cards.body.id}/confirm`, cards.body.client_secret, {
        payment_method: (await h.tokenize(cards.body.client_secret, { number: CARDS.visa })).body.id,
      });
      assert.equal(paid.body.status, 'succeeded');
      const wallet = await h.client('POST', `/payment_intents/${cards.body.id}/confirm`, cards.body.client_secret, { payment_method_data: { type: 'alipay' } });
      assert.equal(wallet.status, 400, 'a paid intent takes nothing more either way');
    } finally {
      await h.close();
    }
  });

  it('refuses a type no provider of the mode takes, an unknown type, and two lists that differ, storing nothing', async () => {
    const h = await boot();
    try {
      const before = tableCounts(h);
      assertError(await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: ['alipay'] }), 400, 'payment_method_unactivated', 'payment_method_types');
      assertError(await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: ['bitcoin'] }), 400, 'parameter_invalid', 'payment_method_types[0]');
      assertError(await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: [] }), 400, 'parameter_invalid', 'payment_method_types');
      assertError(
        await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'cny', payment_method_types: ['card'], allowed_payment_method_types: ['paypal'] }),
        400,
        'parameter_invalid',
        'allowed_payment_method_types',
      );
      assert.deepEqual(tableCounts(h), before, 'no partial write');
    } finally {
      await h.close();
    }
  });
});
