/**
 * Entry of the card frame page's script (`/frame/card.js`): registers <kassa-card-frame>.
 * The page served by the Kassa server is just `<kassa-card-frame></kassa-card-frame>` plus this
 * script; each locale's strings are a chunk next to it, loaded (and preloaded by the page) only
 * for the shopper's language.
 */
import { useBundledCatalogs } from '../i18n/bundled.js';
import { frame, shared } from '../i18n/en.js';
import { KassaCardFrame } from './kassa-card-frame.js';

export const KASSA_CARD_FRAME_TAG = 'kassa-card-frame';

useBundledCatalogs({ ...shared, ...frame });
if (!customElements.get(KASSA_CARD_FRAME_TAG)) customElements.define(KASSA_CARD_FRAME_TAG, KassaCardFrame);

declare global {
  interface HTMLElementTagNameMap {
    'kassa-card-frame': KassaCardFrame;
  }
}
