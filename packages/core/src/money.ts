/**
 * Money is always an integer count of minor units; the currency decides the exponent.
 * Nothing in Kassa stores or compares a float amount.
 *
 * This module is what the widget's bundles get: the exponents it needs to format an amount,
 * from the few bytes of `minor-units.ts`. Which currencies exist and which Kassa charges is
 * `currencies.ts` (`@kassa/core/currencies`), with the whole ISO 4217 table: server and wire only.
 */
import { MINOR_UNITS_NOT_2 } from './minor-units.js';
import type { Currency } from './currencies.js';

export type { Currency } from './currencies.js';

/** ISO 4217's minor units of a currency: 0 for JPY and KRW, 3 for KWD and BHD, 2 for most. */
export function currencyExponent(currency: Currency): number {
  return Object.hasOwn(MINOR_UNITS_NOT_2, currency) ? (MINOR_UNITS_NOT_2[currency] ?? 2) : 2;
}

/**
 * A shape check for clients that take the currency from a Kassa server (which only sends
 * currencies it charges): three lower-case letters. The widget uses it to keep the full table
 * out of its bundle; the server checks with `isCurrency` from `@kassa/core/currencies`.
 */
export function looksLikeCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && /^[a-z]{3}$/.test(value);
}

/**
 * Largest amount in minor units Kassa accepts in one payment, capture or refund: Stripe's
 * eight-digit limit. What it is worth depends on the exponent — 99,999,999 in a zero-decimal
 * currency (JPY, KRW), 999,999.99 in a two-decimal one, 99,999.999 in a three-decimal one (KWD,
 * BHD); no currency Kassa charges has more than three decimals (the four-decimal ISO codes, CLF
 * and UYW, are index units it refuses), so the limit is at least 99,999 major units everywhere.
 * It also keeps balances exact: sums of 90 million such payments still fit in 2^53.
 */
export const MAX_AMOUNT = 99_999_999;

export function isValidAmount(amount: unknown): amount is number {
  return typeof amount === 'number' && Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_AMOUNT;
}

/**
 * Formats minor units for display, never ambiguously: the currency's symbol as the locale writes
 * it where that symbol is the locale's own ("¥128.00" in zh-CN, "$45.00" in en), and a
 * distinguishing one where a symbol is shared ("CN¥128.00" and "¥1,500" in en, "JP¥1,500" and
 * "US$45.00" in zh-CN), which is CLDR's `symbol` display; never the bare narrow sign. The number
 * is built from the integer with string arithmetic, so 0.1 + 0.2 style float error cannot appear.
 * The fraction digits are ISO 4217's (the amount's own), not the locale's habit: 1234 IQD minor
 * units show as 1.234, though CLDR would print Iraqi dinars without decimals.
 */
export function formatAmount(amount: number, currency: Currency, locale = 'en'): string {
  const exponent = currencyExponent(currency);
  const negative = amount < 0;
  const digits = Math.abs(amount).toString().padStart(exponent + 1, '0');
  const major = digits.slice(0, digits.length - exponent) || '0';
  const minor = exponent > 0 ? digits.slice(digits.length - exponent) : '';
  const decimal = `${negative ? '-' : ''}${major}${minor ? `.${minor}` : ''}`;
  const format = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: currency.toUpperCase(),
    currencyDisplay: 'symbol',
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // Intl accepts decimal strings exactly (ES2023 "Intl.NumberFormat v3"), so no float is created.
  return format.format(decimal as unknown as number);
}
