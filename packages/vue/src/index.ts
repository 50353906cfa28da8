/**
 * `<KassaCheckout>` for Vue 3: renders the `<kassa-checkout>` element, passes `clientSecret`,
 * `kassaUrl`, `locale`, `paymentMethod`, `appearance` and `messages` as DOM properties, and re-emits the element's
 * events as typed Vue emits carrying the event's `detail`. Nothing else: the element owns the
 * payment flow.
 */
import { defineComponent, h, shallowRef, type PropType } from 'vue';
import {
  KassaActionRequiredEvent,
  KassaChangeEvent,
  KassaCheckout as KassaCheckoutElement,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  KassaReadyEvent,
  type Appearance,
  type KassaActionRequiredDetail,
  type KassaChangeDetail,
  type KassaPaymentFailedDetail,
  type KassaPaymentSucceededDetail,
  type KassaReadyDetail,
  type Locale,
  type MessageOverrides,
  type PaymentMethodType,
  type PayResult,
} from '@kassa/widget';
// Registers <kassa-checkout> so that rendering the component is all a page has to do.
import '@kassa/widget/define';

/** What a template ref on `<KassaCheckout>` gives you. */
export interface KassaCheckoutExposed {
  /** The element's own `pay()`: resolves `{ paymentIntent }` or `{ error }`, never rejects for a card outcome. */
  pay(): Promise<PayResult>;
  /** The element's own `refresh()`: shows the intent's new amount without reloading the card frame. */
  refresh(): Promise<void>;
  /** The `<kassa-checkout>` element, once mounted. */
  readonly element: KassaCheckoutElement | null;
}

export const KassaCheckout = defineComponent({
  name: 'KassaCheckout',
  props: {
    /** The payment intent's client secret, from your backend. */
    clientSecret: { type: String, required: true },
    /**
     * Your Kassa server's URL, e.g. `https://pay.example.com`. Required: a bundled app cannot tell
     * the element where it was loaded from, and a client secret of any other server is refused.
     */
    kassaUrl: { type: String, required: true },
    /** Any BCP 47 tag (`en`, `zh-CN`, `ja`…); when omitted the element follows the page's `<html lang>`. */
    locale: { type: String as PropType<Locale | string>, default: undefined },
    /**
     * `'card'` (when omitted), `'alipay'` or `'paypal'`: with a wallet there is no card frame, and
     * Kassa's page for it (the QR code, or PayPal in a popup) shows inside the element.
     */
    paymentMethod: { type: String as PropType<PaymentMethodType>, default: undefined },
    /** The card fields' look: `{ theme, variables, rules }` (validated inside the frame). */
    appearance: { type: Object as PropType<Appearance>, default: undefined },
    /** Your own words per locale: `{ 'zh-CN': { pay: '立即支付 {amount}' } }`. */
    messages: { type: Object as PropType<MessageOverrides>, default: undefined },
  },
  emits: {
    paymentSucceeded: (detail: KassaPaymentSucceededDetail) => detail !== undefined,
    paymentFailed: (detail: KassaPaymentFailedDetail) => detail !== undefined,
    actionRequired: (detail: KassaActionRequiredDetail) => detail !== undefined,
    ready: (detail: KassaReadyDetail) => detail !== undefined,
    change: (detail: KassaChangeDetail) => detail !== undefined,
  },
  setup(props, { emit, expose }) {
    const element = shallowRef<KassaCheckoutElement | null>(null);
    const exposed: KassaCheckoutExposed = {
      pay: () => (element.value ? element.value.pay() : Promise.reject(new Error('<KassaCheckout> is not mounted'))),
      refresh: () => (element.value ? element.value.refresh() : Promise.reject(new Error('<KassaCheckout> is not mounted'))),
      get element() {
        return element.value;
      },
    };
    expose(exposed);
    return () =>
      h('kassa-checkout', {
        ref: element,
        // Listeners before properties (Vue applies them in this order): the element checks a
        // client secret as soon as it is set, and an expired one fails at once.
        // Vue turns `onKassaPaymentSucceeded` into a `kassa-payment-succeeded` listener.
        onKassaPaymentSucceeded: (e: KassaPaymentSucceededEvent) => emit('paymentSucceeded', e.detail),
        onKassaPaymentFailed: (e: KassaPaymentFailedEvent) => emit('paymentFailed', e.detail),
        onKassaActionRequired: (e: KassaActionRequiredEvent) => emit('actionRequired', e.detail),
        onKassaReady: (e: KassaReadyEvent) => emit('ready', e.detail),
        onKassaChange: (e: KassaChangeEvent) => emit('change', e.detail),
        // `.` forces a DOM property (not an attribute), whatever Vue guesses.
        '.clientSecret': props.clientSecret,
        '.kassaUrl': props.kassaUrl,
        '.locale': props.locale,
        '.paymentMethod': props.paymentMethod,
        '.appearance': props.appearance,
        '.messages': props.messages,
      });
  },
});

export {
  KassaCheckoutElement,
  KassaActionRequiredEvent,
  KassaChangeEvent,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  KassaReadyEvent,
};
export type {
  Appearance,
  ClientPaymentIntent,
  KassaActionRequiredDetail,
  KassaChangeDetail,
  KassaPaymentFailedDetail,
  KassaPaymentSucceededDetail,
  KassaReadyDetail,
  Locale,
  MessageOverrides,
  NextAction,
  PaymentMethodType,
  PayResult,
} from '@kassa/widget';
