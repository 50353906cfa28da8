/**
 * `<KassaCheckout>` for Vue 3: renders the `<kassa-checkout>` element, passes `clientSecret`,
 * `kassaUrl` and `locale` as DOM properties, and re-emits the element's three events as typed Vue emits
 * carrying the event's `detail`. Nothing else: the element owns the payment flow.
 */
import { defineComponent, h, shallowRef, type PropType } from 'vue';
import {
  KassaActionRequiredEvent,
  KassaCheckout as KassaCheckoutElement,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  type KassaActionRequiredDetail,
  type KassaPaymentFailedDetail,
  type KassaPaymentSucceededDetail,
  type Locale,
  type PayResult,
} from '@kassa/widget';
// Registers <kassa-checkout> so that rendering the component is all a page has to do.
import '@kassa/widget/define';

/** What a template ref on `<KassaCheckout>` gives you. */
export interface KassaCheckoutExposed {
  /** The element's own `pay()`: resolves `{ paymentIntent }` or `{ error }`, never rejects for a card outcome. */
  pay(): Promise<PayResult>;
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
    /** `en` or `zh-CN`; when omitted the element follows the page's `<html lang>`. */
    locale: { type: String as PropType<Locale>, default: undefined },
  },
  emits: {
    paymentSucceeded: (detail: KassaPaymentSucceededDetail) => detail !== undefined,
    paymentFailed: (detail: KassaPaymentFailedDetail) => detail !== undefined,
    actionRequired: (detail: KassaActionRequiredDetail) => detail !== undefined,
  },
  setup(props, { emit, expose }) {
    const element = shallowRef<KassaCheckoutElement | null>(null);
    const exposed: KassaCheckoutExposed = {
      pay: () => (element.value ? element.value.pay() : Promise.reject(new Error('<KassaCheckout> is not mounted'))),
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
        // `.` forces a DOM property (not an attribute), whatever Vue guesses.
        '.clientSecret': props.clientSecret,
        '.kassaUrl': props.kassaUrl,
        '.locale': props.locale,
      });
  },
});

export { KassaCheckoutElement, KassaActionRequiredEvent, KassaError, KassaPaymentFailedEvent, KassaPaymentSucceededEvent };
export type {
  ClientPaymentIntent,
  KassaActionRequiredDetail,
  KassaPaymentFailedDetail,
  KassaPaymentSucceededDetail,
  Locale,
  NextAction,
  PayResult,
} from '@kassa/widget';
