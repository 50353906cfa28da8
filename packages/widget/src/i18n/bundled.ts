/**
 * The loader for builds that bundle (the ES module for npm, the card frame): English is built
 * in, each other locale is its own chunk, fetched only when a shopper needs it. kassa.js
 * fetches JSON instead (script-tag.ts).
 */
import type { Locale } from '@kassa/core';
import { setCatalogLoader, type Messages } from './index.js';

const CHUNKS: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Messages }>> = {
  'zh-CN': () => import('./locales/zh-CN.js'),
  'zh-TW': () => import('./locales/zh-TW.js'),
  ja: () => import('./locales/ja.js'),
  es: () => import('./locales/es.js'),
  de: () => import('./locales/de.js'),
  fr: () => import('./locales/fr.js'),
};

/** `english`: the part of the English table this bundle shows. */
export function useBundledCatalogs(english: Messages): void {
  setCatalogLoader(async (locale) => (locale === 'en' ? english : (await CHUNKS[locale]()).default), { en: english });
}
