/**
 * Side-effect entry: `import '@kassa/widget/define'` registers <kassa-checkout>, with each
 * locale's strings as a chunk your bundler splits off (loaded only for shoppers who need it).
 * Safe to import during server-side rendering: without a DOM it registers nothing.
 */
import { useBundledCatalogs } from './i18n/bundled.js';
import { checkout, shared } from './i18n/en.js';
import './checkout/define.js';

useBundledCatalogs({ ...shared, ...checkout });

export * from './index.js';
