import type { ClientPaymentIntent } from '@kassa/core/wire';
import type { KassaError } from '../errors.js';

export interface KassaPaymentFailedDetail {
  error: KassaError;
  /** The intent as the server returned it with the failure, when there was one. */
  paymentIntent?: ClientPaymentIntent;
}

/** A payment attempt ended without paying (declined, 3-D Secure failed, network error). */
export class KassaPaymentFailedEvent extends CustomEvent<KassaPaymentFailedDetail> {
  static readonly eventName = 'kassa-payment-failed' as const;

  constructor(detail: KassaPaymentFailedDetail) {
    super(KassaPaymentFailedEvent.eventName, { detail, bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'kassa-payment-failed': KassaPaymentFailedEvent;
  }
}
