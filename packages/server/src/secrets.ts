/**
 * What the CLI needs to hand the server its provider keys, without loading the server (its
 * database driver, its adapters): the `Sensitive` wrapper and the spec's type.
 */
export { Sensitive } from './domain/ports.js';
export type { ProviderSpec } from './provider-config.js';
