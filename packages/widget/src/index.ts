/**
 * @kassa/widget: classes and types only; importing this registers nothing.
 * `@kassa/widget/define` (or the kassa.js script) registers <kassa-checkout>.
 */
export { KassaCheckout, CheckoutStatus, type PayResult } from './checkout/kassa-checkout.js';
export { KassaPaymentSucceededEvent, type KassaPaymentSucceededDetail } from './events/payment-succeeded.js';
export { KassaPaymentFailedEvent, type KassaPaymentFailedDetail } from './events/payment-failed.js';
export { KassaActionRequiredEvent, type KassaActionRequiredDetail } from './events/action-required.js';
export { KassaError, ClientErrorCode, type KassaErrorType, type KassaErrorInit } from './errors.js';
export { LOCALES, messages, resolveLocale, type Locale, type Messages } from './i18n.js';
export type { ClientPaymentIntent, NextAction } from '@kassa/core/wire';
