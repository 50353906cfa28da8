/**
 * The seven locales as the real server serves them: every locale file kassa.js fetches has
 * exactly English's keys (a missing key fails here), the frame page is in the shopper's
 * language from its first byte (lang, title), and each locale renders end to end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LOCALES } from '@kassa/core';
import { cardFrame, openShop, payButton, startStack, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test('every served locale file has exactly the English keys, none empty', async () => {
  const { version } = (await (await fetch(`${stack.kassaUrl}/kassa.json`)).json()) as { version: string };
  const table = async (locale: string) => {
    const res = await fetch(`${stack.kassaUrl}/kassa@${version}/locales/${locale}.json`);
    assert.equal(res.status, 200, locale);
    return (await res.json()) as Record<string, string>;
  };
  const en = await table('en');
  assert.ok(Object.keys(en).length > 40);
  for (const locale of LOCALES) {
    const strings = await table(locale);
    const missing = Object.keys(en).filter((k) => !(k in strings));
    const extra = Object.keys(strings).filter((k) => !(k in en));
    assert.deepEqual({ locale, missing, extra }, { locale, missing: [], extra: [] });
    for (const [key, text] of Object.entries(strings)) assert.ok(text.trim(), `${locale}.${key} is empty`);
  }
});

test('each locale, end to end: the pay button, the frame labels and its title in that language', async () => {
  const expected: Record<string, [RegExp, string]> = {
    en: [/^Pay CN¥128\.00$/, 'Card number'],
    'zh-CN': [/^支付 ¥128\.00$/, '卡号'],
    'zh-TW': [/^支付 CN¥128\.00$/, '卡號'],
    ja: [/^元\s?128\.00 を支払う$/, 'カード番号'],
    es: [/^Pagar 128,00\sCNY$/, 'Número de tarjeta'],
    de: [/^128,00\sCN¥ bezahlen$/, 'Kartennummer'],
    fr: [/^Payer 128,00\sCNY$/, 'Numéro de carte'],
  };
  for (const locale of LOCALES) {
    const page = await stack.newPage({ locale });
    await openShop(stack, page, '/', { ready: true });
    await page.locator('kassa-checkout').evaluate((el, l) => el.setAttribute('locale', l), locale);
    const [button, label] = expected[locale]!;
    await page.waitForFunction(
      ([re]) => new RegExp(re!).test(document.querySelector('kassa-checkout')?.shadowRoot?.querySelector('[part=button]')?.textContent?.trim() ?? ''),
      [button.source],
    );
    assert.match((await payButton(page).textContent())?.trim() ?? '', button);
    await cardFrame(page).locator('label[for=number]', { hasText: label }).waitFor();
    const frame = page.frames().find((f) => f.url().includes('/frame/card'))!;
    assert.equal(await frame.evaluate(() => document.documentElement.lang), locale);
    await page.close();
  }
});
