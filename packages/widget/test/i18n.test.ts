import { expect } from '@open-wc/testing';
import { formatAmount, LOCALES } from '@kassa/core';
import { checkout, frame, shared } from '../src/i18n/en.js';
import { errorMessage, translator } from '../src/i18n/index.js';
import type { Catalog } from '../src/i18n/en.js';
import de from '../src/i18n/locales/de.js';
import en from '../src/i18n/locales/en.js';
import es from '../src/i18n/locales/es.js';
import fr from '../src/i18n/locales/fr.js';
import ja from '../src/i18n/locales/ja.js';
import zhCN from '../src/i18n/locales/zh-CN.js';
import zhTW from '../src/i18n/locales/zh-TW.js';

const TABLES: Record<string, Catalog> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW, ja, es, de, fr };
const t = (locale: string) => translator(TABLES[locale]!);
const parts = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('has a complete table for every locale core lists, and no other', () => {
    expect(Object.keys(TABLES).sort()).to.deep.equal([...LOCALES].sort());
  });

  // The compiler checks this too (each table `satisfies Catalog`); this also holds for the JSON
  // kassa.js fetches, which are written from these modules, and says which key is missing.
  it('fails when a locale misses a key, has an extra one, an empty string, or other {parts} than English', () => {
    const keys = Object.keys({ ...shared, ...checkout, ...frame }).sort();
    expect(Object.keys(en).sort()).to.deep.equal(keys);
    for (const [locale, table] of Object.entries(TABLES)) {
      const missing = keys.filter((k) => !Object.hasOwn(table, k));
      const extra = Object.keys(table).filter((k) => !keys.includes(k));
      expect({ locale, missing, extra }).to.deep.equal({ locale, missing: [], extra: [] });
      for (const key of keys) {
        const text = (table as Record<string, string>)[key]!;
        expect(text.trim(), `${locale}.${key}`).not.to.equal('');
        expect(parts(text), `${locale}.${key} parts`).to.deep.equal(parts((en as Record<string, string>)[key]!));
      }
    }
  });

  it('really translates: no locale but English keeps an English sentence', () => {
    for (const [locale, table] of Object.entries(TABLES)) {
      if (locale === 'en') continue;
      for (const key of ['pay', 'insufficient_funds', 'number', 'expiry', 'cvc', 'frameTitle', 'succeededWith', 'payWithWallet', 'walletTitle', 'wallet_declined'] as const) {
        expect(table[key], `${locale}.${key}`).not.to.equal(en[key]);
      }
    }
  });

  it('builds the pay button from core’s formatAmount, unambiguous in each locale', () => {
    expect(t('en')('pay', { amount: formatAmount(12800, 'cny', 'en') })).to.equal('Pay CN¥128.00');
    expect(t('zh-CN')('pay', { amount: formatAmount(12800, 'cny', 'zh-CN') })).to.equal('支付 ¥128.00');
    expect(t('zh-CN')('pay', { amount: formatAmount(1500, 'jpy', 'zh-CN') })).to.equal('支付 JP¥1,500');
    expect(t('ja')('pay', { amount: formatAmount(1500, 'jpy', 'ja') })).to.equal('￥1,500 を支払う');
    expect(t('de')('pay', { amount: formatAmount(4500, 'usd', 'de') }).replace(/\s/g, ' ')).to.equal('45,00 $ bezahlen');
    const card = t('zh-CN')('cardEnding', { brand: '银联', last4: '0005' });
    expect(t('zh-CN')('payWithCard', { amount: '¥128.00', card })).to.equal('使用 尾号 0005 的银联卡 支付 ¥128.00');
    expect(t('en')('payWithCard', { amount: 'CN¥128.00', card: t('en')('cardEnding', { brand: 'UnionPay', last4: '0005' }) })).to.equal(
      'Pay CN¥128.00 with UnionPay ending 0005',
    );
  });

  it('names the wallets as their shoppers know them, and never speaks of a card for one', () => {
    expect(LOCALES.map((l) => TABLES[l]!.wallet_alipay)).to.deep.equal(['Alipay', '支付宝', '支付寶', 'Alipay', 'Alipay', 'Alipay', 'Alipay']);
    for (const locale of LOCALES) expect(TABLES[locale]!.wallet_paypal, locale).to.equal('PayPal');
    expect(t('zh-CN')('payWithWallet', { amount: '¥128.00', wallet: '支付宝' })).to.equal('使用支付宝支付 ¥128.00');
    expect(t('zh-TW')('payWithWallet', { amount: '¥128.00', wallet: '支付寶' })).to.equal('使用支付寶支付 ¥128.00');
    // The words each locale uses for a card (its generic decline says it), absent from the wallet's sentences.
    const card: Record<string, RegExp> = { en: /card/i, 'zh-CN': /卡/, 'zh-TW': /卡/, ja: /カード/, es: /tarjeta/i, de: /karte/i, fr: /carte/i };
    for (const locale of LOCALES) {
      const table = TABLES[locale]!;
      expect(table.generic_decline, `${locale} generic_decline`).to.match(card[locale]!);
      for (const key of ['wallet_declined', 'wallet_timeout', 'walletAction', 'walletTitle', 'payWithWallet'] as const) {
        expect(table[key], `${locale}.${key}`).not.to.match(card[locale]!);
      }
    }
  });

  it('has a sentence for every decline code, in every language', () => {
    const codes = [
      { code: 'card_declined', decline_code: 'insufficient_funds' },
      { code: 'card_declined', decline_code: 'generic_decline' },
      { code: 'card_declined' },
      { code: 'expired_card', decline_code: 'expired_card' },
      { code: 'incorrect_cvc' },
      { code: 'processing_error' },
      { code: 'payment_intent_authentication_failure' },
      { code: 'network_error' },
      { code: 'client_secret_expired' },
      { code: 'payment_intent_unexpected_state' },
      { code: 'payment_method_unactivated' },
    ];
    expect(errorMessage(t('en'), codes[0]!)).to.equal('Your card has insufficient funds.');
    expect(errorMessage(t('zh-CN'), codes[0]!)).to.equal('您的卡余额不足。');
    expect(errorMessage(t('en'), { code: 'payment_intent_authentication_failure' })).to.equal(en.authentication_failure);
    for (const locale of LOCALES) {
      const generic = t(locale)('unexpected');
      for (const error of codes) expect(errorMessage(t(locale), error), `${locale} ${JSON.stringify(error)}`).not.to.equal(generic);
    }
  });

  it('never shows an unknown server message: unknown codes get the generic sentence', () => {
    expect(errorMessage(t('en'), { code: 'something_new' })).to.equal('Something went wrong. Please try again.');
    expect(errorMessage(t('zh-CN'), { code: 'something_new' })).to.equal('出现错误，请重试。');
    // `hasOwn`, not `in`: a code named like an Object.prototype member is not a message.
    expect(errorMessage(t('en'), { code: 'toString' })).to.equal('Something went wrong. Please try again.');
  });

  it('takes a merchant’s override first, with its {parts} filled in', () => {
    const custom = translator(zhCN, { pay: '立即支付 {amount}' });
    expect(custom('pay', { amount: '¥1.00' })).to.equal('立即支付 ¥1.00');
    expect(custom('saveCard')).to.equal(zhCN.saveCard);
  });
});
