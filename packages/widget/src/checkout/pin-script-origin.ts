/**
 * Side effect of the kassa.js entry only: pins the element to the origin kassa.js was loaded
 * from. It must run while kassa.js is still `document.currentScript` (during its first,
 * synchronous run), hence a module of its own that the entry imports first.
 */
import { pinScriptOrigin } from './kassa-origin.js';

pinScriptOrigin(document.currentScript);
