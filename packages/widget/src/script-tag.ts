/**
 * kassa.js entry (the IIFE for a `<script>` tag): registers <kassa-checkout>, exposes the
 * classes as the global `Kassa`, and pins every element to the Kassa server this very script
 * came from. The ES module build (`define.ts`) cannot know that server and needs `kassa-url`.
 *
 * Locales other than English are JSON files next to this build on that same server
 * (`/kassa@<version>/locales/<locale>.json`, immutable), fetched only for a shopper who needs
 * one, with the SHA-256 each had when this file was built (a Subresource Integrity check by the
 * browser): the integrity that pins kassa.js pins its strings too.
 */
// First, while this script is still document.currentScript; imports run in this order.
import './checkout/pin-script-origin.js';
import './checkout/define.js';
import { kassaScriptOrigin } from './checkout/kassa-origin.js';
import { LOCALES } from '@kassa/core';
import { setCatalogLoader, type Messages } from './i18n/index.js';

declare const __KASSA_VERSION__: string;
/** The locale files' SHA-256 digests, 43 base64 characters each (their `=` left off), in LOCALES order (vite.config.ts). */
declare const __KASSA_LOCALE_SHA256__: string;

setCatalogLoader(async (locale) => {
  const url = `${kassaScriptOrigin()}/kassa@${__KASSA_VERSION__}/locales/${locale}.json`;
  const at = LOCALES.indexOf(locale) * 43;
  const response = await fetch(url, { credentials: 'omit', integrity: `sha256-${__KASSA_LOCALE_SHA256__.slice(at, at + 43)}=` });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as Messages;
});

export * from './index.js';
