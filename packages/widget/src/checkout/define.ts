/**
 * Registers <kassa-checkout>. Safe to import twice (e.g. kassa.js on a page that also bundles the
 * ES build), and in Node without a DOM (server-side rendering), where it does nothing.
 */
import { KassaCheckout } from './kassa-checkout.js';

export const KASSA_CHECKOUT_TAG = 'kassa-checkout';

if (typeof customElements !== 'undefined' && !customElements.get(KASSA_CHECKOUT_TAG)) {
  customElements.define(KASSA_CHECKOUT_TAG, KassaCheckout);
}

declare global {
  interface HTMLElementTagNameMap {
    'kassa-checkout': KassaCheckout;
  }
}
