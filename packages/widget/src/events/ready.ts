import type { ClientPaymentIntent } from '@kassa/core/wire';

export interface KassaReadyDetail {
  paymentIntent: ClientPaymentIntent;
}

/**
 * The shopper can pay now: the intent is loaded and the card fields are showing (or the saved
 * card is offered). Fired once per load, e.g. to hide the page's own placeholder.
 */
export class KassaReadyEvent extends CustomEvent<KassaReadyDetail> {
  static readonly eventName = 'kassa-ready' as const;

  constructor(detail: KassaReadyDetail) {
    super(KassaReadyEvent.eventName, { detail, bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'kassa-ready': KassaReadyEvent;
  }
}
