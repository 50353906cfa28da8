/**
 * Every string the shopper sees, in seven languages (core's LOCALES), overridable by the
 * merchant per locale. Each locale's table is loaded once, lazily, by whatever loader the entry
 * point registered: the ES module and the card frame have English built in and import the
 * others as chunks; kassa.js fetches every locale, English too, as JSON from the Kassa origin
 * it is pinned to (in parallel with the intent, so it costs no time, and kassa.js no bytes).
 * Every table is complete (a test fails otherwise), so there is no per-string fallback to
 * English. Error messages are chosen by code (and decline code), never copied from the server,
 * so they are always in the shopper's language.
 */
import { BRAND_LABELS, resolveLocale, type CardBrand, type Locale } from '@kassa/core';
import type { MessageKey } from './en.js';

export { LOCALES, resolveLocale, type Locale } from '@kassa/core';
export type { Catalog, MessageKey } from './en.js';

/** Some or all strings of one locale. */
export type Messages = Partial<Record<MessageKey, string>>;
/** A merchant's overrides: `{ 'zh-CN': { pay: '立即支付 {amount}' } }`. */
export type MessageOverrides = Partial<Record<Locale, Messages>>;
export type CatalogLoader = (locale: Locale) => Promise<Messages>;

let loader: CatalogLoader | undefined;
const tables = new Map<Locale, Messages>();
const pending = new Map<Locale, Promise<Messages>>();

/**
 * Called once by an entry point (define.ts, script-tag.ts, the frame's define.ts), with the
 * tables it has built in (available at once, without a render in between).
 */
export function setCatalogLoader(load: CatalogLoader, builtIn: Partial<Record<Locale, Messages>> = {}): void {
  loader = load;
  for (const [locale, table] of Object.entries(builtIn)) tables.set(locale as Locale, table);
}

/** A locale's table once it is loaded, else undefined. */
export function loadedCatalog(locale: Locale): Messages | undefined {
  return tables.get(locale);
}

/**
 * Loads a locale's table once per page. One that cannot be loaded is said once on the console,
 * answered with English if that loads, and tried again on the next call.
 */
export function loadCatalog(locale: Locale): Promise<Messages> {
  const ready = loadedCatalog(locale);
  if (ready) return Promise.resolve(ready);
  let promise = pending.get(locale);
  if (!promise) {
    promise = (loader ? loader(locale) : Promise.reject(new Error('no catalog loader'))).then(
      (table) => (tables.set(locale, table), table),
      (error: unknown) => {
        console.warn(`kassa: ${locale} strings not loaded`, error);
        pending.delete(locale);
        return locale === 'en' ? {} : loadCatalog('en');
      },
    );
    pending.set(locale, promise);
  }
  return promise;
}

/** Looks up a key (the merchant's override, then the locale's table) and fills in `{name}` parts. */
export interface Translate {
  (key: MessageKey, parts?: Record<string, string>): string;
  /** Whether the table has a sentence for this key (an error code, say). */
  has(key: string): key is MessageKey;
}

/** Said only when no table could be loaded at all (the Kassa server is out of reach). */
const UNREACHABLE = 'Could not reach the payment server. Check your connection and try again.';

export function translator(table: Messages, overrides?: Messages): Translate {
  const t = (key: MessageKey, parts?: Record<string, string>) => {
    const template = overrides?.[key] ?? table[key] ?? UNREACHABLE;
    return parts ? template.replace(/\{(\w+)\}/g, (whole, name: string) => parts[name] ?? whole) : template;
  };
  return Object.assign(t, { has: (key: string): key is MessageKey => Object.hasOwn(table, key) });
}

/** The page's preferred locale when no `locale` is set: `<html lang>`, then the browser's languages. */
export function pageLocale(): Locale {
  return resolveLocale(document.documentElement.lang, ...navigator.languages);
}

/**
 * A merchant's overrides, kept only where they are strings of a sane length (and, given `known`,
 * only its keys): they come from page code, and the frame checks them again (it trusts nothing
 * from the host page).
 */
export function cleanMessages(value: unknown, known?: Messages): Messages {
  const out: Messages = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, text] of Object.entries(value)) {
    if ((!known || Object.hasOwn(known, key)) && typeof text === 'string' && text.length <= 500) out[key as MessageKey] = text;
  }
  return out;
}

/** Brand names: the marks are core's; UnionPay (银联) and "Card" are words, so translated. */
export function brandName(t: Translate, brand: CardBrand): string {
  return brand === 'unionpay' || brand === 'unknown' ? t(`brand_${brand}`) : BRAND_LABELS[brand];
}

export interface ErrorLike {
  code: string;
  decline_code?: string | undefined;
  type?: string;
}

/** Codes that share another code's sentence. */
const SAME_AS: Readonly<Record<string, MessageKey>> = {
  card_declined: 'generic_decline',
  payment_intent_authentication_failure: 'authentication_failure',
  resource_missing: 'client_secret_invalid',
};

/**
 * Localizes an error by its decline code first (the issuer's reason), then its code: the table's
 * keys are the codes it has a sentence for. Anything unknown gets a generic sentence rather than
 * a server message in the wrong language.
 */
export function errorMessage(t: Translate, error: ErrorLike): string {
  for (const code of [error.decline_code, error.code]) {
    const key = code && (SAME_AS[code] ?? code);
    if (key && t.has(key)) return t(key);
  }
  return t(error.type === 'validation_error' ? 'validation_error' : 'unexpected');
}

