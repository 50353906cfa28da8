/**
 * Which currencies Kassa charges, and why the others are refused. The data is ISO 4217's own
 * (`iso4217.ts`, generated from List One); the rule is here:
 *
 * - a currency Kassa charges is an ISO 4217 code with minor units that is not a fund code;
 * - refused: the codes ISO lists without minor units ("N.A.": gold, silver, platinum,
 *   palladium, the bond market units, the SDR, the ADB unit, the Sucre, XTS for testing and XXX
 *   for "no currency"), ISO's fund codes (CLF, COU, MXV, BOV, CHE, CHW, USN, UYI) and the one
 *   other index unit ISO does not flag as a fund (UYW, below); and anything not in the list.
 *
 * Server and wire only (`@kassa/core/currencies`): the full table must stay out of the widget's
 * bundles, which need only `money.ts`.
 */
import { ISO_4217, ISO_4217_PUBLISHED } from './iso4217.js';

export { ISO_4217, ISO_4217_PUBLISHED } from './iso4217.js';

type Row = (typeof ISO_4217)[number];
export type Iso4217Code = Row['code'];

/**
 * Index units of account that are not money anyone pays with, though ISO does not mark them
 * as funds: UYW (Unidad Previsional, Uruguay's wage-indexed unit) is the sibling of UYI, which
 * ISO does flag.
 */
export const UNITS_OF_ACCOUNT = ['uyw'] as const;

/** A currency Kassa charges: lower-case ISO 4217, with minor units, not a fund or unit of account. */
export type Currency = Exclude<Extract<Row, { fund: false; minorUnits: number }>['code'], (typeof UNITS_OF_ACCOUNT)[number]>;

const BY_CODE: ReadonlyMap<string, Row> = new Map(ISO_4217.map((r) => [r.code, r]));

function chargeable(row: Row): boolean {
  return row.minorUnits !== null && !row.fund && !(UNITS_OF_ACCOUNT as readonly string[]).includes(row.code);
}

/** Every currency Kassa charges, sorted. */
export const CURRENCIES: readonly Currency[] = ISO_4217.filter(chargeable).map((r) => r.code as Currency);

export function isCurrency(value: unknown): value is Currency {
  if (typeof value !== 'string') return false;
  const row = BY_CODE.get(value);
  return row !== undefined && chargeable(row);
}

/** The ISO 4217 entry of a code Kassa charges (its name and number, for messages and docs). */
export function currencyInfo(currency: Currency): { code: Currency; number: string; name: string; minorUnits: number } {
  const row = BY_CODE.get(currency);
  if (!row || row.minorUnits === null) throw new Error(`not a currency Kassa charges: ${currency}`);
  return { code: currency, number: row.number, name: row.name, minorUnits: row.minorUnits };
}

/**
 * Why `value` is not a currency Kassa charges, as a message for the caller; null if it is one.
 * The value is echoed only when it is three letters (it cannot then be anything sensitive).
 */
export function currencyRefusal(value: unknown): string | null {
  if (isCurrency(value)) return null;
  if (typeof value !== 'string' || !/^[A-Za-z]{3}$/.test(value)) return 'must be a three-letter ISO 4217 currency code in lower case, such as usd';
  if (value !== value.toLowerCase()) {
    return isCurrency(value.toLowerCase())
      ? `currency codes are lower case: ${value.toLowerCase()}, not ${value}`
      : `${value} is not a currency Kassa charges (codes are lower case ISO 4217, such as usd)`;
  }
  const row = BY_CODE.get(value);
  if (!row) return `${value} is not an active ISO 4217 currency code (ISO 4217 List One of ${ISO_4217_PUBLISHED})`;
  if (row.minorUnits === null) {
    return `${value} (${row.name}) has no minor unit in ISO 4217: precious metals, bond market units, SDR, XTS and XXX are not currencies Kassa charges`;
  }
  if (row.fund) return `${value} (${row.name}) is an ISO 4217 fund code, not a currency Kassa charges`;
  return `${value} (${row.name}) is a unit of account, not a currency Kassa charges`;
}
