/** Side-effect entry: `import '@kassa/widget/define'` registers <kassa-checkout>. */
import './checkout/define.js';

export * from './index.js';
