/**
 * Kassa's integer minor units ↔ Alipay's decimal strings ("12.00" yuan), by string arithmetic on
 * the currency's ISO 4217 exponent from @kassa/core: no float is ever made of an amount, so
 * 0.1 + 0.2 style error cannot turn 1999 fen into "19.98".
 */
import { currencyExponent } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { ProviderFailure } from '../../domain/ports.js';

/** Alipay's range for total_amount and refund_amount, in fen: [0.01, 100000000] yuan. */
export const ALIPAY_MAX_MINOR = 10_000_000_000;

/** Minor units as Alipay writes the amount: 1200 cny → "12.00", 5 → "0.05". */
export function toAlipayAmount(minor: number, currency: Currency): string {
  if (!Number.isSafeInteger(minor) || minor < 1 || minor > ALIPAY_MAX_MINOR) {
    throw new ProviderFailure('definite', `amount ${String(minor)} is not a whole number of minor units Alipay can charge (1 to ${ALIPAY_MAX_MINOR})`, 'invalid_amount');
  }
  const exponent = currencyExponent(currency);
  const digits = String(minor).padStart(exponent + 1, '0');
  if (exponent === 0) return digits;
  return `${digits.slice(0, digits.length - exponent)}.${digits.slice(digits.length - exponent)}`;
}

/**
 * An amount Alipay reported ("12.00", "12.5", "12") as minor units; anything else (more decimals
 * than the currency has, a sign, an exponent, a float's noise) is an answer that cannot be read,
 * so the caller's call counts as ambiguous.
 */
export function fromAlipayAmount(value: unknown, currency: Currency): number {
  const exponent = currencyExponent(currency);
  const m = typeof value === 'string' ? /^(0|[1-9]\d{0,11})(?:\.(\d+))?$/.exec(value) : null;
  const fraction = m?.[2] ?? '';
  if (!m || fraction.length > exponent) {
    throw new ProviderFailure('ambiguous', `Alipay reported an amount Kassa cannot read exactly (${JSON.stringify(value)})`, 'unreadable_amount');
  }
  const minor = Number(`${m[1]}${fraction.padEnd(exponent, '0')}`);
  if (!Number.isSafeInteger(minor)) throw new ProviderFailure('ambiguous', `Alipay reported an amount out of range (${String(value)})`, 'unreadable_amount');
  return minor;
}
