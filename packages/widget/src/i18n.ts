/**
 * Every string the shopper sees, in English and Simplified Chinese. The checkout element and
 * the card frame share the outcome sentences and brand names; each also has its own table,
 * kept in separate constants so each bundle carries only its own strings.
 * Error messages are chosen by code (and decline code), never copied from the server, so
 * they are always in the shopper's language.
 */
import { BRAND_LABELS } from '@kassa/core';
import type { CardBrand, CardErrorCode } from '@kassa/core';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * Outcomes with their own sentence, keyed by the error or decline code itself (core's
 * ErrorCode / DeclineCode, and the widget's ClientErrorCode), so lookup needs no mapping table.
 */
export type OutcomeKey =
  | 'insufficient_funds'
  | 'generic_decline'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'incorrect_number'
  | 'processing_error'
  | 'authentication_failure'
  | 'network_error'
  | 'client_secret_expired'
  | 'client_secret_invalid'
  | 'payment_intent_unexpected_state'
  | 'validation_error'
  | 'unexpected';

/** Outcomes only the checkout element reports (the card frame's bundle does not carry them). */
export type CheckoutOutcomeKey = 'client_secret_issuer_mismatch' | 'kassa_url_missing' | 'challenge_timeout' | 'payment_unconfirmed';

interface SharedMessages {
  outcome: Record<OutcomeKey, string>;
  brand: Record<CardBrand, string>;
}

export interface Messages extends SharedMessages {
  outcome: Record<OutcomeKey | CheckoutOutcomeKey, string>;
  pay: (amount: string) => string;
  payWith: (card: string) => string;
  total: (amount: string) => string;
  useAnotherCard: string;
  useSavedCard: (card: string) => string;
  saveCard: string;
  cardFrameTitle: string;
  challengeTitle: string;
  status: { loading: string; processing: string; challenge: string; succeeded: string };
}

export interface FrameMessages extends SharedMessages {
  field: { number: string; expiry: string; cvc: string; expiryPlaceholder: string; cvcPlaceholder: string };
  fieldError: Record<CardErrorCode, string>;
}

const enOutcome: Record<OutcomeKey, string> = {
  insufficient_funds: 'Your card has insufficient funds.',
  generic_decline: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  incorrect_number: 'Your card number is incorrect.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_failure: 'We could not verify this payment with your bank. Try again or use another card.',
  network_error: 'Could not reach the payment server. Check your connection and try again.',
  client_secret_expired: 'This payment session has expired. Please reload the page.',
  client_secret_invalid: 'This payment could not be loaded.',
  payment_intent_unexpected_state: 'This payment can no longer be completed.',
  validation_error: 'Check your card details.',
  unexpected: 'Something went wrong. Please try again.',
};

const zhOutcome: Record<OutcomeKey, string> = {
  insufficient_funds: '您的卡余额不足。',
  generic_decline: '您的卡被拒绝。',
  expired_card: '您的卡已过期。',
  incorrect_cvc: '您的卡安全码不正确。',
  incorrect_number: '您的卡号不正确。',
  processing_error: '处理您的卡时出错，请稍后重试。',
  authentication_failure: '发卡行未能验证此笔付款，请重试或使用其他银行卡。',
  network_error: '无法连接支付服务器，请检查网络后重试。',
  client_secret_expired: '支付会话已过期，请刷新页面。',
  client_secret_invalid: '无法加载此笔付款。',
  payment_intent_unexpected_state: '此笔付款已无法完成。',
  validation_error: '请检查银行卡信息。',
  unexpected: '出现错误，请重试。',
};

const enCheckoutOutcome: Record<CheckoutOutcomeKey, string> = {
  client_secret_issuer_mismatch: 'This payment could not be loaded: it was issued by another payment server.',
  kassa_url_missing: 'This payment could not be loaded: the checkout does not know its payment server (kassa-url is not set).',
  challenge_timeout: 'Verification with your bank timed out. This payment has not been completed.',
  // Truthful on purpose: the payment may still go through, so never "failed"; it cannot be charged twice.
  payment_unconfirmed:
    'We could not confirm your payment yet. It may still complete, and you will not be charged twice for it. Check your order status or contact the shop before paying again.',
};

const zhCheckoutOutcome: Record<CheckoutOutcomeKey, string> = {
  client_secret_issuer_mismatch: '无法加载此笔付款：它由其他支付服务器签发。',
  kassa_url_missing: '无法加载此笔付款：收银台未配置支付服务器（未设置 kassa-url）。',
  challenge_timeout: '发卡行验证超时，此笔付款未完成。',
  payment_unconfirmed: '暂时无法确认您的付款。付款可能仍会完成，且不会重复扣款。再次付款前，请查看订单状态或联系商家。',
};

const enBrand: Record<CardBrand, string> = BRAND_LABELS;

const zhBrand: Record<CardBrand, string> = { ...enBrand, unionpay: '银联', unknown: '银行卡' };

const CHECKOUT: Record<Locale, Messages> = {
  en: {
    outcome: { ...enOutcome, ...enCheckoutOutcome },
    brand: enBrand,
    pay: (amount) => `Pay ${amount}`,
    payWith: (card) => `Pay with ${card}`,
    total: (amount) => `Total: ${amount}`,
    useAnotherCard: 'Use another card',
    useSavedCard: (card) => `Use ${card}`,
    saveCard: 'Save card for next time',
    cardFrameTitle: 'Secure card payment form',
    challengeTitle: 'Card verification by your bank',
    status: {
      loading: 'Loading payment…',
      processing: 'Processing payment…',
      challenge: 'Your bank needs to confirm this payment.',
      succeeded: 'Payment complete. Thank you!',
    },
  },
  'zh-CN': {
    outcome: { ...zhOutcome, ...zhCheckoutOutcome },
    brand: zhBrand,
    pay: (amount) => `支付 ${amount}`,
    payWith: (card) => `使用 ${card} 支付`,
    total: (amount) => `合计：${amount}`,
    useAnotherCard: '使用其他银行卡',
    useSavedCard: (card) => `使用 ${card}`,
    saveCard: '保存银行卡，下次使用',
    cardFrameTitle: '安全银行卡支付表单',
    challengeTitle: '发卡行验证',
    status: {
      loading: '正在加载支付信息…',
      processing: '正在处理付款…',
      challenge: '您的发卡行需要确认此笔付款。',
      succeeded: '支付成功，谢谢！',
    },
  },
};

const FRAME: Record<Locale, FrameMessages> = {
  en: {
    outcome: enOutcome,
    brand: enBrand,
    field: {
      number: 'Card number',
      expiry: 'Expiry date (MM/YY)',
      cvc: 'Security code (CVC)',
      expiryPlaceholder: 'MM/YY',
      cvcPlaceholder: 'CVC',
    },
    fieldError: {
      incomplete_number: 'Your card number is incomplete.',
      invalid_number: 'Your card number is invalid.',
      unsupported_brand: 'This card brand is not supported.',
      incomplete_expiry: "Your card's expiry date is incomplete.",
      invalid_expiry_month: "Your card's expiry month is invalid.",
      invalid_expiry_year: "Your card's expiry year is invalid.",
      expired: "Your card's expiry date is in the past.",
      incomplete_cvc: "Your card's security code is incomplete.",
      invalid_cvc: "Your card's security code is invalid.",
    },
  },
  'zh-CN': {
    outcome: zhOutcome,
    brand: zhBrand,
    field: {
      number: '卡号',
      expiry: '有效期（月/年）',
      cvc: '安全码（CVC）',
      expiryPlaceholder: 'MM/YY',
      cvcPlaceholder: 'CVC',
    },
    fieldError: {
      incomplete_number: '卡号不完整。',
      invalid_number: '卡号无效。',
      unsupported_brand: '不支持此银行卡品牌。',
      incomplete_expiry: '有效期不完整。',
      invalid_expiry_month: '有效期月份无效。',
      invalid_expiry_year: '有效期年份无效。',
      expired: '此卡已过有效期。',
      incomplete_cvc: '安全码不完整。',
      invalid_cvc: '安全码无效。',
    },
  },
};

/**
 * Picks a supported locale from candidates in order (explicit attribute, `<html lang>`,
 * browser). Any Chinese tag maps to zh-CN (the only Chinese table); no match means en.
 */
export function resolveLocale(...candidates: (string | null | undefined)[]): Locale {
  for (const tag of candidates) {
    const lower = tag?.toLowerCase() ?? '';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  }
  return 'en';
}

/** The page's preferred locale when no `locale` attribute is set. */
export function pageLocale(): Locale {
  return resolveLocale(document.documentElement.lang, navigator.language);
}

/** Strings of the checkout element. */
export function messages(locale: Locale): Messages {
  return CHECKOUT[locale];
}

/** Strings of the card frame. */
export function frameMessages(locale: Locale): FrameMessages {
  return FRAME[locale];
}

/** "UnionPay •••• 0005" / "银联 •••• 0005". */
export function cardLabel(m: SharedMessages, brand: CardBrand, last4: string): string {
  return `${m.brand[brand]} •••• ${last4}`;
}

export interface ErrorLike {
  code: string;
  decline_code?: string | undefined;
  type?: string;
}

/** Codes that share another code's sentence. */
const SAME_AS: Readonly<Record<string, OutcomeKey>> = {
  card_declined: 'generic_decline',
  payment_intent_authentication_failure: 'authentication_failure',
  resource_missing: 'client_secret_invalid',
};

/**
 * Localizes an error by its decline code first (the issuer's reason), then its code; card
 * field codes use the frame's field sentences when given. Anything unknown gets a generic
 * sentence rather than a server message in the wrong language.
 */
export function errorMessage(
  m: SharedMessages & { fieldError?: Record<CardErrorCode, string> },
  error: ErrorLike,
): string {
  for (const code of [error.decline_code, error.code]) {
    const key = code && (SAME_AS[code] ?? code);
    if (key && Object.hasOwn(m.outcome, key)) return m.outcome[key as OutcomeKey];
  }
  if (m.fieldError && Object.hasOwn(m.fieldError, error.code)) return m.fieldError[error.code as CardErrorCode];
  return m.outcome[error.type === 'validation_error' ? 'validation_error' : 'unexpected'];
}
