import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAmount, isValidAmount, currencyExponent, looksLikeCurrency, MAX_AMOUNT } from '../src/index.js';
import { CURRENCIES, isCurrency } from '../src/currencies.js';

test('formats CNY for Chinese shoppers with the yuan sign, and distinguishes it where ¥ is shared', () => {
  assert.equal(formatAmount(12800, 'cny', 'zh-CN'), '¥128.00');
  assert.equal(formatAmount(12800, 'cny', 'en'), 'CN¥128.00');
  assert.equal(formatAmount(12800, 'cny', 'zh-TW'), 'CN¥128.00');
});

test('never shows a symbol two currencies share in that locale: CN¥ / JP¥ / US$ where needed', () => {
  assert.equal(formatAmount(1500, 'jpy', 'zh-CN'), 'JP¥1,500');
  assert.equal(formatAmount(4500, 'usd', 'zh-CN'), 'US$45.00');
  assert.equal(formatAmount(1500, 'jpy', 'ja'), '￥1,500');
  assert.equal(formatAmount(4500, 'usd', 'en'), '$45.00');
  // In each locale, CNY, JPY and USD read differently.
  for (const locale of ['en', 'zh-CN', 'zh-TW', 'ja', 'es', 'de', 'fr']) {
    const strip = (s: string) => s.replace(/[\d.,\s\u00a0\u202f]/g, '');
    const signs = (['cny', 'jpy', 'usd'] as const).map((c) => strip(formatAmount(100, c, locale)));
    assert.equal(new Set(signs).size, 3, `${locale}: ${signs.join(' ')}`);
  }
});

test('uses the currency exponent: JPY has none, KWD has three', () => {
  assert.equal(formatAmount(500, 'jpy', 'en'), '¥500');
  assert.equal(formatAmount(150000, 'jpy', 'en'), '¥150,000');
  assert.equal(formatAmount(1234, 'kwd', 'en').replace(/\s/g, ' '), 'KWD 1.234');
  assert.equal(formatAmount(5, 'usd', 'en-US'), '$0.05');
  assert.equal(formatAmount(100000000 - 1, 'usd', 'en-US'), '$999,999.99');
});

test('formatting never shows float error: every minor amount round-trips through the display', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_AMOUNT }), fc.constantFrom(...CURRENCIES), (amount, currency) => {
      const shown = formatAmount(amount, currency, 'en-US');
      const digits = shown.replace(/[^0-9]/g, '');
      assert.equal(Number(digits), amount, `${amount} ${currency} shown as ${shown}`);
    }),
  );
});

test('amounts must be positive safe integers within the limit', () => {
  assert.ok(isValidAmount(1));
  assert.ok(isValidAmount(MAX_AMOUNT));
  for (const bad of [0, -1, 1.5, MAX_AMOUNT + 1, Number.NaN, '100', null]) assert.ok(!isValidAmount(bad), String(bad));
});

test('currency codes are lower-case ISO 4217 codes Kassa knows', () => {
  assert.ok(isCurrency('cny'));
  assert.ok(!isCurrency('CNY'));
  assert.ok(!isCurrency('xxx'));
  assert.ok(!isCurrency('toString'));
  assert.equal(currencyExponent('jpy'), 0);
});

test('the widget\'s shape check takes three lower-case letters and nothing else', () => {
  assert.ok(looksLikeCurrency('cny'));
  for (const bad of ['CNY', 'cn', 'cnyy', '', 1, null, undefined, 'c y']) assert.ok(!looksLikeCurrency(bad), String(bad));
});
