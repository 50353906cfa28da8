/**
 * Money is always an integer count of minor units; the currency decides the exponent.
 * Nothing in Kassa stores or compares a float amount.
 */

/** ISO 4217 exponents for the currencies Kassa accepts. Keep lower-case codes, as Stripe does. */
export const CURRENCY_EXPONENTS = {
  usd: 2,
  eur: 2,
  gbp: 2,
  cny: 2,
  hkd: 2,
  sgd: 2,
  aud: 2,
  cad: 2,
  chf: 2,
  jpy: 0,
  krw: 0,
  kwd: 3,
  bhd: 3,
} as const;

export type Currency = keyof typeof CURRENCY_EXPONENTS;

export const CURRENCIES = Object.keys(CURRENCY_EXPONENTS) as Currency[];

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && Object.hasOwn(CURRENCY_EXPONENTS, value);
}

export function currencyExponent(currency: Currency): number {
  return CURRENCY_EXPONENTS[currency];
}

/** Largest amount Kassa accepts in one intent, like Stripe's 8-digit limit; keeps sums far from 2^53. */
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
