/**
 * A mode's provider as an operator configures it (`kassa serve`'s config file names the type
 * and endpoints; the secrets come from the environment, typed `Sensitive` so they never print),
 * or as a merchant's provider account (the operator API; its secrets stored sealed).
 * The composition root turns a spec into an adapter; the domain never sees a spec.
 */
import { z } from 'zod';
import { Sensitive } from './domain/ports.js';
import type { PaymentProvider } from './domain/ports.js';

export const PROVIDER_TYPES = ['sandbox', 'stripe', 'adyen', 'paypal', 'alipay'] as const;

/*
 * Each type's fields, once: the config file (`kassa serve`, its keys from the environment) and the
 * operator API (a merchant's provider account, its keys in the body) parse the same shapes, so the
 * two cannot drift. Public fields may be shown and stored as they are; secret fields become
 * `Sensitive` the moment they are parsed, and are only ever stored sealed.
 */
const httpUrl = z.url({ protocol: /^https?$/ });
const secret = z
  .string()
  .min(1)
  .max(8_000)
  .transform((value) => new Sensitive(value));

export const PROVIDER_PUBLIC_FIELDS = {
  sandbox: {},
  /**
   * `apiBase`: Stripe's API (default https://api.stripe.com; a local fake in tests). `multicapture`:
   * Stripe enabled multicapture (an IC+ pricing feature) on the account, so a hold may be captured
   * several times (`final_capture=false`); default false.
   */
  stripe: { apiBase: httpUrl.optional(), multicapture: z.boolean().optional() },
  /**
   * `checkoutBase`: Adyen's Checkout API with its version (default the test endpoint, v71).
   * `multiplePartialCaptures`: Adyen's support enabled them on the merchant account (default false).
   */
  adyen: { merchantAccount: z.string().min(1).max(100), checkoutBase: httpUrl.optional(), multiplePartialCaptures: z.boolean().optional() },
  /** `apiBase`: PayPal's REST API (default: the sandbox in test mode, production in live mode). `webhookId` verifies its notifications. */
  paypal: { clientId: z.string().min(1).max(200), apiBase: httpUrl.optional(), webhookId: z.string().min(1).max(100).optional() },
  /** `gateway`: Alipay's OpenAPI gateway (default: its sandbox in test mode, production in live mode); `alipayPublicKey` verifies its answers and notifications. */
  alipay: {
    appId: z.string().regex(/^\d{8,32}$/, "Alipay's APPID: digits"),
    /** Alipay's public key (not a secret): PEM, or the bare base64 Alipay's key tool prints. */
    alipayPublicKey: z.string().min(100).max(4000),
    gateway: httpUrl.optional(),
    /** How long a QR code (and the cashier) may be paid, in ms: whole minutes, 1 min to 15 days. */
    qrExpiryMs: z.number().int().min(60_000).max(15 * 24 * 3_600_000).multipleOf(60_000).optional(),
  },
} as const;

export const PROVIDER_SECRET_FIELDS = {
  sandbox: {},
  /** `webhookSecret` (`whsec_…`): verifies Stripe's events on the inbound route. */
  stripe: { secretKey: secret, webhookSecret: secret.optional() },
  adyen: { apiKey: secret, hmacKey: secret.optional() },
  paypal: { clientSecret: secret },
  alipay: { privateKey: secret },
} as const;

export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** The secret fields' names per type: what is sealed, and what a view shows only the end of. */
export const SECRET_FIELD_NAMES: Record<ProviderType, readonly string[]> = {
  sandbox: [],
  stripe: Object.keys(PROVIDER_SECRET_FIELDS.stripe),
  adyen: Object.keys(PROVIDER_SECRET_FIELDS.adyen),
  paypal: Object.keys(PROVIDER_SECRET_FIELDS.paypal),
  alipay: Object.keys(PROVIDER_SECRET_FIELDS.alipay),
};

/** A server provider's name: what intents record and routing rules use (default: the type); unique per server. */
export const providerNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a provider name is 1–32 of a-z, 0-9, _ and -, starting with a letter');
const F = PROVIDER_PUBLIC_FIELDS;
const S = PROVIDER_SECRET_FIELDS;
const named = { name: providerNameSchema.optional() };

/** A provider as `kassa serve`'s config file names it: type and endpoints, never a key. */
export const providerFileSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandbox'), ...named }).strict(),
  z.object({ type: z.literal('stripe'), ...named, ...F.stripe }).strict(),
  z.object({ type: z.literal('adyen'), ...named, ...F.adyen }).strict(),
  z.object({ type: z.literal('paypal'), ...named, ...F.paypal }).strict(),
  z.object({ type: z.literal('alipay'), ...named, ...F.alipay }).strict(),
]);
export type ProviderFileSpec = z.infer<typeof providerFileSpecSchema>;

/** A whole spec, keys included: a file's spec with its keys from the environment, or an account's stored config opened. */
export const providerSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandbox'), ...named }).strict(),
  z.object({ type: z.literal('stripe'), ...named, ...F.stripe, ...S.stripe }).strict(),
  z.object({ type: z.literal('adyen'), ...named, ...F.adyen, ...S.adyen }).strict(),
  z.object({ type: z.literal('paypal'), ...named, ...F.paypal, ...S.paypal }).strict(),
  z.object({ type: z.literal('alipay'), ...named, ...F.alipay, ...S.alipay }).strict(),
]);
/** `name`: what intents record and routing rules use (default: the type; an account's id for a merchant's account). */
export type ProviderSpec = z.output<typeof providerSpecSchema>;

/**
 * A merchant's provider account as the operator API takes it: a spec's fields, its mode, and a
 * label. The sandbox is not among them: it is always there in test mode, nobody's account.
 */
const account = { mode: z.enum(['test', 'live']), name: z.string().min(1).max(100).optional() };
export const providerAccountInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stripe'), ...account, ...F.stripe, ...S.stripe }).strict(),
  z.object({ type: z.literal('adyen'), ...account, ...F.adyen, ...S.adyen }).strict(),
  z.object({ type: z.literal('paypal'), ...account, ...F.paypal, ...S.paypal }).strict(),
  z.object({ type: z.literal('alipay'), ...account, ...F.alipay, ...S.alipay }).strict(),
]);
export type ProviderAccountInput = z.output<typeof providerAccountInputSchema>;

/**
 * A change to a merchant's provider account, by its type (fixed, as its mode): any of the type's
 * fields (those not given keep their value), its label (null clears it), and `active` (true
 * reactivates it, false deactivates it).
 */
const change = { name: z.string().min(1).max(100).nullable().optional(), active: z.boolean().optional() };
export const providerAccountUpdateSchemas = {
  stripe: z.object({ ...change, ...F.stripe, ...S.stripe }).partial().strict(),
  adyen: z.object({ ...change, ...F.adyen, ...S.adyen }).partial().strict(),
  paypal: z.object({ ...change, ...F.paypal, ...S.paypal }).partial().strict(),
  alipay: z.object({ ...change, ...F.alipay, ...S.alipay }).partial().strict(),
} as const;
export type ProviderAccountUpdate = z.output<(typeof providerAccountUpdateSchemas)[keyof typeof providerAccountUpdateSchemas]>;
export const ACCOUNT_PROVIDER_TYPES = ['stripe', 'adyen', 'paypal', 'alipay'] as const;
export type AccountProviderType = (typeof ACCOUNT_PROVIDER_TYPES)[number];

/**
 * A spec an adapter cannot be built from, and the field at fault: the server refuses to start
 * with it, the operator API answers a 400 naming `param`. The message never holds a value.
 */
export class ProviderConfigError extends Error {
  constructor(
    message: string,
    readonly param: string | undefined,
  ) {
    super(message);
    this.name = 'ProviderConfigError';
  }
}

export interface ProviderContext {
  mode: 'test' | 'live';
  /** The built-in issuer (the only provider a `sandbox` spec can mean). */
  sandbox: PaymentProvider;
  /** Where shoppers come back to Kassa after a provider's page (3-D Secure, approval). */
  publicUrl: string | undefined;
}

/**
 * The adapter for a spec. Adapters are loaded only when configured: the Stripe SDK alone adds
 * a noticeable share to every start (and the crash tests start servers by the hundred).
 */
export async function providerFromSpec(spec: ProviderSpec, context: ProviderContext): Promise<PaymentProvider> {
  switch (spec.type) {
    case 'sandbox':
      // Live mode refuses it (ConfiguredProviders): the one place that rule is kept. One sandbox
      // issuer per server, under its own name.
      if (spec.name !== undefined && spec.name !== 'sandbox') throw new ProviderConfigError('the sandbox issuer is named sandbox', 'name');
      return context.sandbox;
    case 'stripe': {
      checkKeyMode(spec.secretKey, context.mode, 'sk_test_', 'sk_live_', 'the Stripe secret key', 'secretKey');
      // Both modes' endpoint secrets look alike (whsec_), so only the kind of key can be checked:
      // an API key pasted in its place would otherwise turn every event into a 400 for days.
      if (spec.webhookSecret && !spec.webhookSecret.reveal().startsWith('whsec_')) {
        throw new ProviderConfigError(`the Stripe webhook secret for ${context.mode} mode must start with whsec_`, 'webhookSecret');
      }
      const returnUrl = returnBase(context, 'stripe');
      const { StripeProvider } = await import('./adapters/stripe/provider.js');
      return new StripeProvider({ name: spec.name, secretKey: spec.secretKey, apiBase: spec.apiBase, returnUrl, webhookSecret: spec.webhookSecret, multicapture: spec.multicapture });
    }
    case 'adyen': {
      const base = returnBase(context, 'adyen');
      const { AdyenProvider } = await import('./adapters/adyen/provider.js');
      return new AdyenProvider({
        name: spec.name,
        apiKey: spec.apiKey,
        merchantAccount: spec.merchantAccount,
        ...(spec.checkoutBase ? { checkoutBase: spec.checkoutBase } : {}),
        ...(spec.hmacKey ? { hmacKey: spec.hmacKey } : {}),
        ...(spec.multiplePartialCaptures ? { multiplePartialCaptures: true } : {}),
        returnUrl: (reference) => `${base}?kassa_reference=${encodeURIComponent(reference)}`,
      });
    }
    case 'paypal': {
      const base = returnBase(context, 'paypal');
      const { PayPalProvider, PAYPAL_LIVE_API, PAYPAL_SANDBOX_API } = await import('./adapters/paypal/provider.js');
      return new PayPalProvider({
        name: spec.name,
        clientId: spec.clientId,
        clientSecret: spec.clientSecret,
        apiBase: spec.apiBase ?? (context.mode === 'live' ? PAYPAL_LIVE_API : PAYPAL_SANDBOX_API),
        webhookId: spec.webhookId,
        returnUrl: (reference) => `${base}?kassa_reference=${encodeURIComponent(reference)}`,
      });
    }
    case 'alipay': {
      const base = returnBase(context, 'alipay');
      const { AlipayProvider, ALIPAY_LIVE_GATEWAY, ALIPAY_SANDBOX_GATEWAY } = await import('./adapters/alipay/provider.js');
      return new AlipayProvider({
        name: spec.name,
        appId: spec.appId,
        privateKey: spec.privateKey,
        alipayPublicKey: spec.alipayPublicKey,
        gateway: spec.gateway ?? (context.mode === 'live' ? ALIPAY_LIVE_GATEWAY : ALIPAY_SANDBOX_GATEWAY),
        returnUrl: (reference) => `${base}?kassa_reference=${encodeURIComponent(reference)}`,
        notifyUrl: base.replace(/\/return$/, '/webhooks'),
        ...(spec.qrExpiryMs !== undefined ? { qrExpiryMs: spec.qrExpiryMs } : {}),
      });
    }
    default: {
      const unreachable: never = spec;
      throw new Error(`unknown provider type ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * A real provider sends shoppers back to Kassa's public URL after its own pages, so it must be
 * known before the server starts (port 0 would not do).
 */
function returnBase(context: ProviderContext, name: string): string {
  if (!context.publicUrl) {
    throw new ProviderConfigError(`the ${name} provider needs the server's public URL (KASSA_PUBLIC_URL / --public-url): shoppers come back there after 3-D Secure`, undefined);
  }
  return `${context.publicUrl.replace(/\/+$/, '')}/providers/${name}/return`;
}

/** A test key in live mode (or the reverse) is a configuration mistake caught at start, not at the first payment. */
function checkKeyMode(key: Sensitive, mode: 'test' | 'live', test: string, live: string, what: string, param: string): void {
  const value = key.reveal();
  const expected = mode === 'test' ? test : live;
  if (!value.startsWith(expected)) throw new ProviderConfigError(`${what} for ${mode} mode must start with ${expected}`, param);
}
