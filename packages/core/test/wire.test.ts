import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPaymentIntentSchema, confirmPaymentIntentSchema, createTokenSchema, capturePaymentIntentSchema, metadataSchema } from '../src/wire.js';

test('create intent: integer minor units, known currency, defaults to automatic capture', () => {
  const ok = createPaymentIntentSchema.parse({ amount: 12800, currency: 'cny' });
  assert.equal(ok.capture_method, 'automatic');
  for (const amount of [128.5, 0, -1, '12800', 100_000_000]) {
    assert.equal(createPaymentIntentSchema.safeParse({ amount, currency: 'cny' }).success, false, String(amount));
  }
  assert.equal(createPaymentIntentSchema.safeParse({ amount: 1, currency: 'CNY' }).success, false);
});

test('unknown fields are refused and the issue names the field', () => {
  const r = createPaymentIntentSchema.safeParse({ amount: 1, currency: 'usd', amont: 2 });
  assert.equal(r.success, false);
  assert.ok(!r.success && JSON.stringify(r.error.issues).includes('amont'));
  assert.equal(confirmPaymentIntentSchema.safeParse({ payment_method: 'tok_1', cvc: '123' }).success, false);
  assert.equal(capturePaymentIntentSchema.safeParse({ amount_to_capture: 1.5 }).success, false);
});

test('token body carries the card in a nested strict object', () => {
  assert.ok(createTokenSchema.safeParse({ card: { number: '4242', exp_month: 12, exp_year: 2030, cvc: '123' } }).success);
  assert.equal(createTokenSchema.safeParse({ card: { number: '4242', exp_month: 13, exp_year: 2030, cvc: '123' } }).success, false);
  assert.equal(createTokenSchema.safeParse({ card: { number: '4242', exp_month: 12, exp_year: 2030, cvc: '123', name: 'x' } }).success, false);
});

test('return_url must be http or https', () => {
  assert.ok(confirmPaymentIntentSchema.safeParse({ payment_method: 'tok_1', return_url: 'https://shop.example/done' }).success);
  for (const url of ['javascript:alert(1)', 'data:text/html,x', 'ftp://x.example/']) {
    assert.equal(confirmPaymentIntentSchema.safeParse({ payment_method: 'tok_1', return_url: url }).success, false, url);
  }
});

test('metadata refuses __proto__, constructor and prototype (zod\'s record alone would drop __proto__)', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    for (const value of ['"x"', '{"polluted":"yes"}']) {
      const r = metadataSchema.safeParse(JSON.parse(`{"order":"1","${key}":${value}}`));
      assert.equal(r.success, false, `${key}=${value}`);
      assert.ok(!r.success && r.error.issues.length === 1 && r.error.issues[0]?.path.join('.') === key, `${key}=${value}`);
    }
  }
  assert.deepEqual(metadataSchema.parse({ order: '1', toString: 'x', proto: 'y' }), { order: '1', toString: 'x', proto: 'y' });
});
