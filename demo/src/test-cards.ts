/**
 * The sandbox's magic card numbers, as data, for the /cards page. Mirrors the table in
 * docs/API.md ("Sandbox test cards"); the sandbox provider in packages/server decides the real
 * outcomes, so when that table changes, change this one with it.
 */
import type { CardBrand } from '@kassa/core';

export interface TestCard {
  /** Grouped as printed on the card (Amex 4-6-5, others 4-4-4-4). */
  number: string;
  brand: CardBrand;
  /** The decline code (or outcome) QA should see, language-neutral. */
  code:
    | 'success'
    | 'insufficient_funds'
    | 'generic_decline'
    | 'expired_card'
    | 'incorrect_cvc'
    | 'three_d_secure'
    | 'processing_error'
    | 'fraudulent'
    | 'lost_card'
    | 'stolen_card'
    | 'pending'
    | 'approve_in_app';
  outcome: { en: string; 'zh-CN': string };
  /** Spending balance per currency in major units, or null when the card never authorizes. */
  balance: string | null;
}

export const TEST_CARDS = [
  {
    number: '4242 4242 4242 4242',
    brand: 'visa',
    code: 'success',
    outcome: { en: 'Success', 'zh-CN': '支付成功' },
    balance: '1,000,000.00',
  },
  {
    number: '6200 0000 0000 0005',
    brand: 'unionpay',
    code: 'success',
    outcome: { en: 'Success', 'zh-CN': '支付成功' },
    balance: '1,000,000.00',
  },
  {
    number: '5555 5555 5555 4444',
    brand: 'mastercard',
    code: 'success',
    outcome: { en: 'Success while funds last', 'zh-CN': '余额充足时成功' },
    balance: '200.00',
  },
  {
    number: '3782 822463 10005',
    brand: 'amex',
    code: 'success',
    outcome: { en: 'Success', 'zh-CN': '支付成功' },
    balance: '1,000,000.00',
  },
  {
    number: '3566 0020 2036 0505',
    brand: 'jcb',
    code: 'success',
    outcome: { en: 'Success', 'zh-CN': '支付成功' },
    balance: '1,000,000.00',
  },
  {
    number: '4000 0000 0000 9995',
    brand: 'visa',
    code: 'insufficient_funds',
    outcome: { en: 'Declined: insufficient funds', 'zh-CN': '拒绝：余额不足' },
    balance: '0.00',
  },
  {
    number: '4000 0000 0000 0002',
    brand: 'visa',
    code: 'generic_decline',
    outcome: { en: 'Declined (generic)', 'zh-CN': '拒绝（一般拒付）' },
    balance: null,
  },
  {
    number: '4000 0000 0000 0069',
    brand: 'visa',
    code: 'expired_card',
    outcome: { en: 'Declined: expired card', 'zh-CN': '拒绝：卡已过期' },
    balance: null,
  },
  {
    number: '4000 0000 0000 0127',
    brand: 'visa',
    code: 'incorrect_cvc',
    outcome: { en: 'Declined: incorrect CVC', 'zh-CN': '拒绝：安全码错误' },
    balance: null,
  },
  {
    number: '4000 0000 0000 3220',
    brand: 'visa',
    code: 'three_d_secure',
    outcome: {
      en: '3-D Secure challenge, then success (or failure if you fail it)',
      'zh-CN': '3-D Secure 验证，通过后成功（未通过则失败）',
    },
    balance: '1,000,000.00',
  },
  {
    number: '4000 0000 0000 0119',
    brand: 'visa',
    code: 'processing_error',
    outcome: { en: 'Provider fault (processing_error); nothing charged', 'zh-CN': '服务商故障（processing_error），不扣款' },
    balance: null,
  },
  // The merchant's API says fraudulent / lost_card / stolen_card; the shopper's page sees generic_decline.
  {
    number: '4100 0000 0000 0019',
    brand: 'visa',
    code: 'fraudulent',
    outcome: { en: 'Declined as fraudulent (the shopper sees a plain decline)', 'zh-CN': '疑似欺诈被拒（顾客只看到“被拒”）' },
    balance: null,
  },
  {
    number: '4000 0000 0000 9987',
    brand: 'visa',
    code: 'lost_card',
    outcome: { en: 'Declined: reported lost (the shopper sees a plain decline)', 'zh-CN': '挂失卡被拒（顾客只看到“被拒”）' },
    balance: null,
  },
  {
    number: '4000 0000 0000 9979',
    brand: 'visa',
    code: 'stolen_card',
    outcome: { en: 'Declined: reported stolen (the shopper sees a plain decline)', 'zh-CN': '被盗卡被拒（顾客只看到“被拒”）' },
    balance: null,
  },
  // The bank answers later: the payment is `processing` until Kassa asks again (within a minute).
  {
    number: '4000 0000 0000 1505',
    brand: 'visa',
    code: 'pending',
    outcome: { en: 'Processing: the bank answers later, then success', 'zh-CN': '处理中：银行稍后答复，随后成功' },
    balance: '1,000,000.00',
  },
  {
    number: '4000 0000 0000 1604',
    brand: 'visa',
    code: 'approve_in_app',
    outcome: { en: 'Approve in the bank’s app (approved after 5 seconds), then success', 'zh-CN': '在银行应用中确认（5 秒后自动确认），随后成功' },
    balance: '1,000,000.00',
  },
] as const satisfies readonly TestCard[];
