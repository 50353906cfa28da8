import { expect } from '@open-wc/testing';
import { formatAmount } from '@kassa/core';
import { cardLabel, errorMessage, frameMessages, messages, resolveLocale, LOCALES } from '../src/i18n.js';

describe('i18n', () => {
  it('resolves en and zh-CN from attribute, page and browser tags', () => {
    expect(resolveLocale('zh-CN')).to.equal('zh-CN');
    expect(resolveLocale('zh')).to.equal('zh-CN');
    expect(resolveLocale('zh-Hans-CN')).to.equal('zh-CN');
    expect(resolveLocale('en-GB')).to.equal('en');
    // Unsupported tags fall through to the next candidate, then to English.
    expect(resolveLocale('fr', 'zh-TW')).to.equal('zh-CN');
    expect(resolveLocale('fr', null, undefined)).to.equal('en');
    expect(resolveLocale()).to.equal('en');
  });

  it('builds the pay button text from core’s formatAmount in each locale', () => {
    expect(messages('en').pay(formatAmount(12800, 'cny', 'en'))).to.equal('Pay ¥128.00');
    expect(messages('zh-CN').pay(formatAmount(12800, 'cny', 'zh-CN'))).to.equal('支付 ¥128.00');
    expect(messages('zh-CN').payWith(cardLabel(messages('zh-CN'), 'unionpay', '0005'))).to.equal('使用 银联 •••• 0005 支付');
    expect(messages('en').payWith(cardLabel(messages('en'), 'unionpay', '0005'))).to.equal('Pay with UnionPay •••• 0005');
  });

  it('has a sentence for every decline code, in both languages', () => {
    const cases: [{ code: string; decline_code?: string }, string, string][] = [
      [{ code: 'card_declined', decline_code: 'insufficient_funds' }, 'Your card has insufficient funds.', '您的卡余额不足。'],
      [{ code: 'card_declined', decline_code: 'generic_decline' }, 'Your card was declined.', '您的卡被拒绝。'],
      [{ code: 'card_declined' }, 'Your card was declined.', '您的卡被拒绝。'],
      [{ code: 'expired_card', decline_code: 'expired_card' }, 'Your card has expired.', '您的卡已过期。'],
      [{ code: 'incorrect_cvc' }, "Your card's security code is incorrect.", '您的卡安全码不正确。'],
      [{ code: 'processing_error' }, 'An error occurred while processing your card. Try again in a little bit.', '处理您的卡时出错，请稍后重试。'],
      [
        { code: 'payment_intent_authentication_failure' },
        'We could not verify this payment with your bank. Try again or use another card.',
        '发卡行未能验证此笔付款，请重试或使用其他银行卡。',
      ],
      [{ code: 'network_error' }, 'Could not reach the payment server. Check your connection and try again.', '无法连接支付服务器，请检查网络后重试。'],
      [{ code: 'client_secret_expired' }, 'This payment session has expired. Please reload the page.', '支付会话已过期，请刷新页面。'],
      [{ code: 'payment_intent_unexpected_state' }, 'This payment can no longer be completed.', '此笔付款已无法完成。'],
    ];
    for (const [error, en, zh] of cases) {
      expect(errorMessage(messages('en'), error), JSON.stringify(error)).to.equal(en);
      expect(errorMessage(messages('zh-CN'), error), JSON.stringify(error)).to.equal(zh);
    }
  });

  it('never shows an unknown server message: unknown codes get the generic sentence', () => {
    expect(errorMessage(messages('en'), { code: 'something_new' })).to.equal('Something went wrong. Please try again.');
    expect(errorMessage(messages('zh-CN'), { code: 'something_new' })).to.equal('出现错误，请重试。');
    // `hasOwn`, not `in`: a code named like an Object.prototype member is not a message.
    expect(errorMessage(messages('en'), { code: 'toString' })).to.equal('Something went wrong. Please try again.');
  });

  it('has card field messages for the frame in both languages', () => {
    expect(errorMessage(frameMessages('en'), { code: 'invalid_number' })).to.equal('Your card number is invalid.');
    expect(errorMessage(frameMessages('zh-CN'), { code: 'expired' })).to.equal('此卡已过有效期。');
  });

  it('has the same keys in every table (no string left untranslated)', () => {
    const shape = (value: unknown): unknown =>
      typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
        : typeof value;
    const [first, ...rest] = LOCALES;
    for (const locale of rest) {
      expect(shape(messages(locale)), locale).to.deep.equal(shape(messages(first)));
      expect(shape(frameMessages(locale)), locale).to.deep.equal(shape(frameMessages(first)));
    }
  });
});
