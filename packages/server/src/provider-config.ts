/**
 * A mode's provider as an operator configures it (`kassa serve`'s config file names the type
 * and endpoints; the secrets come from the environment, typed `Sensitive` so they never print).
 * The composition root turns a spec into an adapter; the domain never sees a spec.
 */
import type { PaymentProvider, Sensitive } from './domain/ports.js';

export const PROVIDER_TYPES = ['sandbox', 'stripe', 'adyen', 'paypal', 'alipay'] as const;

/** `name`: what intents record and routing rules use (default: the type); unique per server. */
export type ProviderSpec = { name?: string | undefined } & (
  | { type: 'sandbox' }
  /** `apiBase`: Stripe's API (default https://api.stripe.com; a local fake in tests). `webhookSecret` (`whsec_…`) verifies its events. */
  | { type: 'stripe'; secretKey: Sensitive; apiBase?: string | undefined; webhookSecret?: Sensitive | undefined }
  /** `checkoutBase`: Adyen's Checkout API with its version (default the test endpoint, v71). */
  | { type: 'adyen'; apiKey: Sensitive; merchantAccount: string; checkoutBase?: string | undefined; hmacKey?: Sensitive | undefined }
  /** `apiBase`: PayPal's REST API (default: the sandbox in test mode, production in live mode). `webhookId` verifies its notifications. */
  | { type: 'paypal'; clientId: string; clientSecret: Sensitive; apiBase?: string | undefined; webhookId?: string | undefined }
  /** `gateway`: Alipay's OpenAPI gateway (default: its sandbox in test mode, production in live mode); `alipayPublicKey` verifies its answers and notifications. */
  | { type: 'alipay'; appId: string; privateKey: Sensitive; alipayPublicKey: string; gateway?: string | undefined; qrExpiryMs?: number | undefined }
);

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
      if (spec.name !== undefined && spec.name !== 'sandbox') throw new Error('the sandbox issuer is named sandbox');
      return context.sandbox;
    case 'stripe': {
      checkKeyMode(spec.secretKey, context.mode, 'sk_test_', 'sk_live_', 'the Stripe secret key');
      // Both modes' endpoint secrets look alike (whsec_), so only the kind of key can be checked:
      // an API key pasted in its place would otherwise turn every event into a 400 for days.
      if (spec.webhookSecret && !spec.webhookSecret.reveal().startsWith('whsec_')) throw new Error(`the Stripe webhook secret for ${context.mode} mode must start with whsec_`);
      const returnUrl = returnBase(context, 'stripe');
      const { StripeProvider } = await import('./adapters/stripe/provider.js');
      return new StripeProvider({ name: spec.name, secretKey: spec.secretKey, apiBase: spec.apiBase, returnUrl, webhookSecret: spec.webhookSecret });
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
  if (!context.publicUrl) throw new Error(`the ${name} provider needs the server's public URL (KASSA_PUBLIC_URL / --public-url): shoppers come back there after 3-D Secure`);
  return `${context.publicUrl.replace(/\/+$/, '')}/providers/${name}/return`;
}

/** A test key in live mode (or the reverse) is a configuration mistake caught at start, not at the first payment. */
function checkKeyMode(key: Sensitive, mode: 'test' | 'live', test: string, live: string, what: string): void {
  const value = key.reveal();
  const expected = mode === 'test' ? test : live;
  if (!value.startsWith(expected)) throw new Error(`${what} for ${mode} mode must start with ${expected}`);
}
