import type { ClientPaymentIntent, NextAction } from '@kassa/core/wire';
import { kassaEvent } from './kassa-event.js';

export interface KassaActionRequiredDetail {
  action: NextAction;
  paymentIntent: ClientPaymentIntent;
}

/**
 * The shopper must do something more (3-D Secure; with a wallet, scan the QR code or approve at
 * PayPal) before the payment can finish. The element shows the challenge (or Kassa's page for the
 * wallet) itself; the event lets the page react (scroll into view, analytics).
 */
export class KassaActionRequiredEvent extends kassaEvent<KassaActionRequiredDetail, 'kassa-action-required'>('kassa-action-required') {}

declare global {
  interface HTMLElementEventMap {
    'kassa-action-required': KassaActionRequiredEvent;
  }
}
