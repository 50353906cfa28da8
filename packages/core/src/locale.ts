/**
 * The languages Kassa speaks to shoppers, and how any BCP 47 tag a page or browser gives maps to
 * one of them. One list for every package: the widget's string tables, the card frame, the
 * sandbox's 3-D Secure page and the served locale files are all keyed by these tags.
 */

export const LOCALES = ['en', 'zh-CN', 'zh-TW', 'ja', 'es', 'de', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/** What every chain ends in: the language every string is written in first. */
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * The supported locale for one tag, or null. Chinese goes by script, not region: Traditional
 * (zh-TW, zh-HK, zh-MO, zh-Hant…) is zh-TW, Simplified (zh, zh-CN, zh-SG, zh-Hans…) is zh-CN,
 * which is what `Intl.Locale#maximize` infers from CLDR. Any other language matches on its
 * primary subtag (ja-JP → ja, es-419 → es, de-AT → de, fr-CA → fr, en-GB → en); a language we
 * do not have (pt-BR) is null, so the caller's next candidate, and finally English, is used.
 */
export function matchLocale(tag: string | null | undefined): Locale | null {
  if (!tag) return null;
  let parsed: Intl.Locale;
  try {
    parsed = new Intl.Locale(tag.replace(/_/g, '-'));
  } catch {
    return null;
  }
  const language = parsed.language.toLowerCase();
  if (language === 'zh') return parsed.maximize().script === 'Hant' ? 'zh-TW' : 'zh-CN';
  return isLocale(language) ? language : null;
}

/** The first candidate (explicit setting, `<html lang>`, browser languages…) Kassa speaks; else English. */
export function resolveLocale(...candidates: (string | null | undefined)[]): Locale {
  for (const tag of candidates) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}
