import type { ClientPaymentIntent } from '@kassa/core/wire';
import { kassaEvent } from './kassa-event.js';

export interface KassaPaymentSucceededDetail {
  paymentIntent: ClientPaymentIntent;
}

/** The payment went through (`succeeded`, or `requires_capture` for manual capture). */
export class KassaPaymentSucceededEvent extends kassaEvent<KassaPaymentSucceededDetail, 'kassa-payment-succeeded'>('kassa-payment-succeeded') {}

declare global {
  interface HTMLElementEventMap {
    'kassa-payment-succeeded': KassaPaymentSucceededEvent;
  }
}
