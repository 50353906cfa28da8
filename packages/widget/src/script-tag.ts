/**
 * kassa.js entry (the IIFE for a `<script>` tag): registers <kassa-checkout>, exposes the
 * classes as the global `Kassa`, and pins every element to the Kassa server this very script
 * came from. The ES module build (`define.ts`) cannot know that server and needs `kassa-url`.
 */
// First, while this script is still document.currentScript; imports run in this order.
import './checkout/pin-script-origin.js';
import './checkout/define.js';

export * from './index.js';
