/**
 * `<KassaCheckout>` for React: the `<kassa-checkout>` element wrapped by @lit/react, so props
 * become element properties and `on…` props become event listeners. Nothing else happens
 * here; the element owns the payment flow.
 */
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import {
  KassaActionRequiredEvent,
  KassaChangeEvent,
  KassaCheckout as KassaCheckoutElement,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  KassaReadyEvent,
} from '@kassa/widget';
// Registers <kassa-checkout> so that rendering the component is all a page has to do.
import '@kassa/widget/define';

/** The element's events as `on…` props (checked against the widget's custom-elements.json). */
export const EVENTS = {
  onPaymentSucceeded: KassaPaymentSucceededEvent.eventName as EventName<KassaPaymentSucceededEvent>,
  onPaymentFailed: KassaPaymentFailedEvent.eventName as EventName<KassaPaymentFailedEvent>,
  onActionRequired: KassaActionRequiredEvent.eventName as EventName<KassaActionRequiredEvent>,
  onReady: KassaReadyEvent.eventName as EventName<KassaReadyEvent>,
  onChange: KassaChangeEvent.eventName as EventName<KassaChangeEvent>,
};

const Wrapped = createComponent({
  react: React,
  tagName: 'kassa-checkout',
  elementClass: KassaCheckoutElement,
  displayName: 'KassaCheckout',
  events: EVENTS,
});

/**
 * Props of `<KassaCheckout>`: `clientSecret`, `kassaUrl` (the Kassa server's URL: a bundled app
 * must give it, and a client secret of any other server is refused), `locale`, `paymentMethod`
 * (`'card'`, the default, `'alipay'` or `'paypal'`), `appearance`, `messages`, the `on…` handlers (`onReady`, `onChange`, `onPaymentSucceeded`, `onPaymentFailed`,
 * `onActionRequired`), `ref` (the element: `pay()`, `refresh()`), and HTML attributes.
 */
export type KassaCheckoutProps = React.ComponentProps<typeof Wrapped>;

/**
 * @lit/react applies props to the element in the order they are written, and the element
 * checks a client secret as soon as it is set (an expired one fails at once). Listeners go
 * first, so that failure always reaches `onPaymentFailed`, however the caller orders its props.
 */
export const KassaCheckout = React.forwardRef<KassaCheckoutElement, Omit<KassaCheckoutProps, 'ref'>>(function KassaCheckout(
  { onPaymentSucceeded, onPaymentFailed, onActionRequired, onReady, onChange, ...rest },
  ref,
) {
  return React.createElement(Wrapped, { onPaymentSucceeded, onPaymentFailed, onActionRequired, onReady, onChange, ...rest, ref });
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
