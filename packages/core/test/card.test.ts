import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkCard,
  checkCvc,
  checkExpiry,
  checkNumber,
  detectBrand,
  formatCardNumber,
  luhnValid,
  normalizeDigits,
  parseExpiry,
} from '../src/index.js';

const NOW = new Date(Date.UTC(2026, 10, 27));

test('detects the five brands from their leading digits', () => {
  assert.equal(detectBrand('4242424242424242'), 'visa');
  assert.equal(detectBrand('5555555555554444'), 'mastercard');
  assert.equal(detectBrand('2223003122003222'), 'mastercard');
  assert.equal(detectBrand('378282246310005'), 'amex');
  assert.equal(detectBrand('6200000000000005'), 'unionpay');
  assert.equal(detectBrand('3566002020360505'), 'jcb');
  assert.equal(detectBrand('6011111111111117'), 'unknown');
});

test('Luhn accepts the test cards and rejects any single-digit typo', () => {
  for (const n of ['4242424242424242', '6200000000000005', '378282246310005', '3566002020360505', '4000000000003220']) {
    assert.ok(luhnValid(n), n);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
      const digits = '4242424242424242'.split('');
      digits[pos] = String((Number(digits[pos]) + delta) % 10);
      assert.ok(!luhnValid(digits.join('')));
    }),
  );
});

test('full-width digits and spaces (IME input) are normalized; other characters are refused', () => {
  assert.equal(normalizeDigits('４２４２　４２４２ 4242-4242'), '4242424242424242');
  assert.equal(normalizeDigits('4242x'), null);
  assert.equal(checkNumber('６２００ ０００００００００００５').brand, 'unionpay');
  assert.equal(checkNumber('６２００ ０００００００００００５').error, undefined);
});

test('number errors say whether the shopper is still typing or got it wrong', () => {
  assert.equal(checkNumber('').error, 'incomplete_number');
  assert.equal(checkNumber('4242 4242').error, 'incomplete_number');
  assert.equal(checkNumber('4242424242424241').error, 'invalid_number');
  assert.equal(checkNumber('42424242424242424242').error, 'invalid_number');
  assert.equal(checkNumber('6011111111111117').error, 'unsupported_brand');
});

test('formats numbers in the brand grouping', () => {
  assert.equal(formatCardNumber('4242424242424242'), '4242 4242 4242 4242');
  assert.equal(formatCardNumber('378282246310005'), '3782 822463 10005');
});

test('expiry: MM/YY, MMYY, MM/YYYY and full-width all parse; past months are expired', () => {
  assert.deepEqual(parseExpiry('12/30'), { month: 12, year: 2030 });
  assert.deepEqual(parseExpiry('1230'), { month: 12, year: 2030 });
  assert.deepEqual(parseExpiry('０１／２０２７'), { month: 1, year: 2027 });
  assert.equal(parseExpiry('12-30'), null);
  assert.equal(checkExpiry(11, 2026, NOW), undefined, 'valid through the end of its month');
  assert.equal(checkExpiry(10, 2026, NOW), 'expired');
  assert.equal(checkExpiry(13, 2030, NOW), 'invalid_expiry_month');
  assert.equal(checkExpiry(1, 2099, NOW), 'invalid_expiry_year');
});

test('CVC length depends on the brand: four for Amex, three otherwise', () => {
  assert.equal(checkCvc('123', 'visa'), undefined);
  assert.equal(checkCvc('１２３', 'unionpay'), undefined);
  assert.equal(checkCvc('12', 'visa'), 'incomplete_cvc');
  assert.equal(checkCvc('1234', 'visa'), 'invalid_cvc');
  assert.equal(checkCvc('123', 'amex'), 'incomplete_cvc');
  assert.equal(checkCvc('1234', 'amex'), undefined);
  assert.equal(checkCvc('12a', 'visa'), 'invalid_cvc');
});

test('checkCard reports every field at once', () => {
  const ok = checkCard({ number: '4242 4242 4242 4242', expiry: '12/30', cvc: '123' }, NOW);
  assert.equal(ok.ok, true);
  assert.equal(ok.digits, '4242424242424242');
  const bad = checkCard({ number: '4242', expiry: '01/20', cvc: '1' }, NOW);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.errors, { number: 'incomplete_number', expiry: 'expired', cvc: 'incomplete_cvc' });
  const split = checkCard({ number: '3782 822463 10005', exp_month: 1, exp_year: 2031, cvc: '1234' }, NOW);
  assert.equal(split.ok, true);
});
