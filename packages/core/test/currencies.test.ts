/**
 * The currency table: generated from ISO 4217 List One (never typed by hand), the rule for what
 * Kassa charges, the exponent every part of Kassa uses, and the refusals' messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OUTPUTS, generate, parseListOne, readListOne } from '../scripts/generate-currencies.js';
import { CURRENCIES, ISO_4217, currencyInfo, currencyRefusal, isCurrency } from '../src/currencies.js';
import { MAX_AMOUNT, currencyExponent, formatAmount } from '../src/money.js';
import { MINOR_UNITS_NOT_2 } from '../src/minor-units.js';
import { createPaymentIntentSchema } from '../src/wire.js';

test('the committed tables are exactly what the generator makes from the pinned ISO 4217 List One', () => {
  const fresh = generate(readListOne());
  assert.equal(readFileSync(OUTPUTS.iso4217, 'utf8'), fresh.iso4217, 'src/iso4217.ts is stale: run pnpm --filter @kassa/core generate:currencies');
  assert.equal(readFileSync(OUTPUTS.minorUnits, 'utf8'), fresh.minorUnits, 'src/minor-units.ts is stale: run pnpm --filter @kassa/core generate:currencies');
});

test('List One of 2024-06-25: 179 codes, of which Kassa charges 157', () => {
  const { published, rows } = parseListOne(readListOne());
  assert.equal(published, '2024-06-25');
  assert.equal(rows.length, 179);
  assert.equal(ISO_4217.length, 179);
  // 179 − 13 without minor units − 8 fund codes − UYW.
  assert.equal(ISO_4217.filter((r) => r.minorUnits === null).length, 13);
  assert.equal(ISO_4217.filter((r) => r.fund).length, 8);
  assert.equal(CURRENCIES.length, 157);
  assert.deepEqual([...CURRENCIES].sort(), [...CURRENCIES], 'sorted');
});

test('the generator refuses XML it does not understand instead of guessing', () => {
  const entry = (units: string) =>
    `<ISO_4217 Pblshd="2024-06-25"><CcyTbl><CcyNtry><CtryNm>X</CtryNm><CcyNm>Test</CcyNm><Ccy>TST</Ccy><CcyNbr>999</CcyNbr><CcyMnrUnts>${units}</CcyMnrUnts></CcyNtry></CcyTbl></ISO_4217>`;
  assert.deepEqual(parseListOne(entry('2')).rows, [{ code: 'tst', number: '999', name: 'Test', minorUnits: 2, fund: false }]);
  assert.throws(() => parseListOne(entry('two')), /unexpected minor units/);
  assert.throws(() => parseListOne(entry('2').replace('<CcyNbr>999</CcyNbr>', '')), /unexpected ISO 4217 entry/);
  assert.throws(() => parseListOne('<list/>'), /not ISO 4217 List One/);
  const twice = entry('2').replace('</CcyTbl>', '<CcyNtry><CtryNm>Y</CtryNm><CcyNm>Test</CcyNm><Ccy>TST</Ccy><CcyNbr>999</CcyNbr><CcyMnrUnts>3</CcyMnrUnts></CcyNtry></CcyTbl>');
  assert.throws(() => parseListOne(twice), /twice with different data/);
});

test('the widget\'s small table gives every currency its ISO exponent', () => {
  for (const code of CURRENCIES) assert.equal(currencyExponent(code), currencyInfo(code).minorUnits, code);
  // Nothing in the small table that ISO does not say, and nothing of 2 (the default).
  for (const [code, units] of Object.entries(MINOR_UNITS_NOT_2)) {
    assert.equal(ISO_4217.find((r) => r.code === code)?.minorUnits, units, code);
    assert.notEqual(units, 2);
  }
});

test('the exponents that matter: JPY and KRW 0, USD and CNY 2, KWD and BHD 3', () => {
  assert.deepEqual(
    (['jpy', 'krw', 'usd', 'cny', 'kwd', 'bhd', 'iqd', 'isk', 'mga'] as const).map((c) => [c, currencyExponent(c)]),
    [['jpy', 0], ['krw', 0], ['usd', 2], ['cny', 2], ['kwd', 3], ['bhd', 3], ['iqd', 3], ['isk', 0], ['mga', 2]],
  );
});

test('refused: metals, bond units, SDR, testing and no-currency codes, funds, UYW, unknown codes', () => {
  for (const code of ['xau', 'xag', 'xpt', 'xpd', 'xba', 'xbb', 'xbc', 'xbd', 'xdr', 'xsu', 'xua', 'xts', 'xxx']) {
    assert.ok(!isCurrency(code), code);
    assert.match(currencyRefusal(code) ?? '', /has no minor unit in ISO 4217/, code);
  }
  for (const code of ['clf', 'cou', 'mxv', 'bov', 'che', 'chw', 'usn', 'uyi']) {
    assert.ok(!isCurrency(code), code);
    assert.match(currencyRefusal(code) ?? '', /is an ISO 4217 fund code/, code);
  }
  assert.match(currencyRefusal('uyw') ?? '', /unit of account/);
  assert.match(currencyRefusal('xyz') ?? '', /not an active ISO 4217 currency code/);
  assert.match(currencyRefusal('hrk') ?? '', /not an active ISO 4217/, 'the kuna was withdrawn when Croatia took the euro');
  assert.match(currencyRefusal('USD') ?? '', /lower case: usd, not USD/);
  assert.match(currencyRefusal('XAU') ?? '', /not a currency Kassa charges/);
  assert.equal(currencyRefusal('usd'), null);
  for (const odd of ['toString', '__proto__', 'constructor', '', 12, null, '4242424242424242']) {
    assert.ok(!isCurrency(odd), String(odd));
    // Anything that is not three letters is never echoed back.
    assert.equal(currencyRefusal(odd), 'must be a three-letter ISO 4217 currency code in lower case, such as usd');
  }
});

test('the wire schema takes every currency Kassa charges and explains each refusal', () => {
  for (const currency of CURRENCIES) assert.ok(createPaymentIntentSchema.safeParse({ amount: 100, currency }).success, currency);
  const refused = createPaymentIntentSchema.safeParse({ amount: 100, currency: 'xau' });
  assert.ok(!refused.success);
  assert.deepEqual(refused.error.issues.map((i) => [i.path.join('.'), i.message]), [['currency', currencyRefusal('xau')]]);
  assert.ok(!createPaymentIntentSchema.safeParse({ amount: 1.5, currency: 'usd' }).success, 'minor units are integers');
  assert.ok(!createPaymentIntentSchema.safeParse({ amount: MAX_AMOUNT + 1, currency: 'jpy' }).success);
});

test('the limit is worth at least 99,999 major units in every currency Kassa charges', () => {
  for (const code of CURRENCIES) {
    const exponent = currencyExponent(code);
    assert.ok(exponent <= 3, `${code} has ${exponent} decimals: MAX_AMOUNT would be worth less than 99,999 of it`);
    assert.ok(Math.floor(MAX_AMOUNT / 10 ** exponent) >= 99_999, code);
    // And the display of the largest amount keeps every digit.
    assert.equal(formatAmount(MAX_AMOUNT, code, 'en-US').replace(/[^0-9]/g, ''), String(MAX_AMOUNT), code);
  }
});
