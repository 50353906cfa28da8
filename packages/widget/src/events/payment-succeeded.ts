import type { ClientPaymentIntent } from '@kassa/core/wire';

export interface KassaPaymentSucceededDetail {
  paymentIntent: ClientPaymentIntent;
}

/** The payment went through (`succeeded`, or `requires_capture` for manual capture). */
export class KassaPaymentSucceededEvent extends CustomEvent<KassaPaymentSucceededDetail> {
  static readonly eventName = 'kassa-payment-succeeded' as const;

  constructor(detail: KassaPaymentSucceededDetail) {
    // composed: merchants listen on their own component that renders <kassa-checkout>.
    super(KassaPaymentSucceededEvent.eventName, { detail, bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'kassa-payment-succeeded': KassaPaymentSucceededEvent;
  }
}
