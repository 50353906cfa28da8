import type { ClientPaymentIntent } from '@kassa/core/wire';
import { kassaEvent } from './kassa-event.js';

export interface KassaReadyDetail {
  paymentIntent: ClientPaymentIntent;
}

/**
 * The shopper can pay now: the intent is loaded and the card fields are showing (or the saved
 * card is offered, or the wallet's button: no card frame to wait for). Fired once per load, e.g.
 * to hide the page's own placeholder.
 */
export class KassaReadyEvent extends kassaEvent<KassaReadyDetail, 'kassa-ready'>('kassa-ready') {}

declare global {
  interface HTMLElementEventMap {
    'kassa-ready': KassaReadyEvent;
  }
}
