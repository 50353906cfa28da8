/**
 * The server's provider directory: which provider a new payment goes to, per mode, and every
 * configured provider by name (an intent's capture, refund or recovery goes to the provider
 * its payment was made at, by the name recorded on it). Routing rules across several
 * providers per mode (currency, method, weights, failover) are to come; today a mode has one.
 */
import type { PaymentProvider, ProviderChoice, ProviderDirectory } from './domain/ports.js';

export class ConfiguredProviders implements ProviderDirectory {
  readonly #test: PaymentProvider | null;
  readonly #live: PaymentProvider | null;
  readonly #byName = new Map<string, PaymentProvider>();

  /**
   * `test`, `live`: the provider of each mode (live: null until one is configured — the
   * sandbox issuer never takes live payments). `others`: providers no new payment goes to any
   * more but earlier intents were made at (the sandbox, after test mode moved to a real one).
   */
  constructor(modes: { test: PaymentProvider | null; live: PaymentProvider | null }, others: PaymentProvider[] = []) {
    if (modes.live?.name === 'sandbox') throw new Error('the sandbox issuer cannot take live payments');
    this.#test = modes.test;
    this.#live = modes.live;
    for (const provider of [modes.test, modes.live, ...others]) {
      if (!provider) continue;
      const known = this.#byName.get(provider.name);
      // First wins: a mode's provider over an "other" of the same name (e.g. the wrapped sandbox of the tests).
      if (!known) this.#byName.set(provider.name, provider);
    }
  }

  choose(choice: ProviderChoice): PaymentProvider | null {
    return choice.livemode ? this.#live : this.#test;
  }

  byName(name: string): PaymentProvider | undefined {
    return this.#byName.get(name);
  }
}
