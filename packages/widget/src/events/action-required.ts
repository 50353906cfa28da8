import type { ClientPaymentIntent, NextAction } from '@kassa/core/wire';

export interface KassaActionRequiredDetail {
  action: NextAction;
  paymentIntent: ClientPaymentIntent;
}

/**
 * The shopper must do something more (3-D Secure) before the payment can finish. The element
 * shows the challenge itself; the event lets the page react (scroll into view, analytics).
 */
export class KassaActionRequiredEvent extends CustomEvent<KassaActionRequiredDetail> {
  static readonly eventName = 'kassa-action-required' as const;

  constructor(detail: KassaActionRequiredDetail) {
    super(KassaActionRequiredEvent.eventName, { detail, bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'kassa-action-required': KassaActionRequiredEvent;
  }
}
