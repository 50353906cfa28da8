import type { ClientPaymentIntent } from '@kassa/core/wire';
import type { KassaError } from '../errors.js';
import { kassaEvent } from './kassa-event.js';

export interface KassaPaymentFailedDetail {
  error: KassaError;
  /** The intent as the server returned it with the failure, when there was one. */
  paymentIntent?: ClientPaymentIntent;
}

/** A payment attempt ended without paying (declined, 3-D Secure failed, a wallet refused or its code expired, network error). */
export class KassaPaymentFailedEvent extends kassaEvent<KassaPaymentFailedDetail, 'kassa-payment-failed'>('kassa-payment-failed') {}

declare global {
  interface HTMLElementEventMap {
    'kassa-payment-failed': KassaPaymentFailedEvent;
  }
}
