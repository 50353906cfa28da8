/**
 * @kassa/widget: classes and types only; importing this registers nothing (and needs no DOM,
 * so server-side rendering may import it). `@kassa/widget/define` (or the kassa.js script)
 * registers <kassa-checkout>.
 */
export { KassaCheckout, CheckoutStatus, type PayResult, type PaymentMethodType } from './checkout/kassa-checkout.js';
export type { Appearance, AppearanceVariables, AppearanceRules, Theme } from './checkout/appearance.js';
export { KassaPaymentSucceededEvent, type KassaPaymentSucceededDetail } from './events/payment-succeeded.js';
export { KassaPaymentFailedEvent, type KassaPaymentFailedDetail } from './events/payment-failed.js';
export { KassaActionRequiredEvent, type KassaActionRequiredDetail } from './events/action-required.js';
export { KassaReadyEvent, type KassaReadyDetail } from './events/ready.js';
export { KassaChangeEvent, type KassaChangeDetail } from './events/change.js';
export { KassaError, ClientErrorCode, type KassaErrorType, type KassaErrorInit } from './errors.js';
export { LOCALES, resolveLocale, type Locale, type Messages, type MessageKey, type MessageOverrides } from './i18n/index.js';
export type { ClientPaymentIntent, NextAction } from '@kassa/core/wire';
