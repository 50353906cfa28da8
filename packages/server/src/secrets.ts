/**
 * What the CLI needs to hand the server its providers, without loading the server (its
 * database driver, its adapters): the `Sensitive` wrapper, the spec's type, and the routing
 * rules' schema (so a mistake in them is the CLI's usage error, checked like the rest).
 */
export { Sensitive } from './domain/ports.js';
export type { ProviderSpec } from './provider-config.js';
export { routingSchema } from './routing.js';
export type { RoutingRule } from './routing.js';
export { ACCOUNT_PROVIDER_TYPES, SECRET_FIELD_NAMES, providerFileSpecSchema } from './provider-config.js';
export type { ProviderFileSpec } from './provider-config.js';
