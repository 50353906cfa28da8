// `cem analyze` (@custom-elements-manifest/analyzer): writes dist/custom-elements.json, the
// element's public contract (attributes, properties, methods, events, parts, CSS properties
// and states) as read from kassa-checkout.ts and its JSDoc. The React and Vue wrappers' tests
// check their props and events against it.
export default {
  globs: ['src/checkout/kassa-checkout.ts'],
  outdir: 'dist',
  litelement: false,
};
