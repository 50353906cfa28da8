export * from './money.js';
export * from './status.js';
export * from './card.js';
export * from './errors.js';
export * from './ids.js';
export * from './client-secret.js';
export * from './frame-protocol.js';
export * from './locale.js';
