import type { CardBrand } from '@kassa/core';
import { kassaEvent } from './kassa-event.js';

export interface KassaChangeDetail {
  /** Every field is filled in and valid: `pay()` will send the card. */
  complete: boolean;
  /** Nothing is typed in any field. */
  empty: boolean;
  /** The brand the number belongs to so far (`unknown` until it can tell). Never any digits. */
  brand: CardBrand;
}

/**
 * The card form changed, as the shopper types in the frame, so a merchant can drive their own
 * button (`disabled` until `complete`). Carries the form's state, never what was typed.
 */
export class KassaChangeEvent extends kassaEvent<KassaChangeDetail, 'kassa-change'>('kassa-change') {}

declare global {
  interface HTMLElementEventMap {
    'kassa-change': KassaChangeEvent;
  }
}
