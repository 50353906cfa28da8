/**
 * The server's provider directory: which providers a new payment may go to, per mode and in
 * which order (routing rules, failover), and every configured provider by name (an intent's
 * capture, refund or recovery goes to the provider its payment was made at, by the name
 * recorded on it).
 */
import type { PaymentProvider, ProviderChoice, ProviderDirectory } from './domain/ports.js';
import { checkRules, route } from './routing.js';
import type { RoutingRule } from './routing.js';
import type { BinTable } from './bin-table.js';

type Mode = 'test' | 'live';

/**
 * Merchants' own provider accounts (provider-accounts.ts), as the directory needs them: a
 * merchant's active ones of a mode, any one by its id, and `refresh` before trusting either.
 */
export interface MerchantAccountProviders {
  refresh(): Promise<void>;
  active(merchantId: string, livemode: boolean): PaymentProvider[];
  byName(name: string): PaymentProvider | undefined;
  all(): PaymentProvider[];
}

export class ConfiguredProviders implements ProviderDirectory {
  readonly #modes: Record<Mode, readonly PaymentProvider[]>;
  readonly #rules: Record<Mode, readonly RoutingRule[]>;
  readonly #byName = new Map<string, PaymentProvider>();
  readonly #accounts: MerchantAccountProviders | undefined;
  readonly #bins: BinTable | undefined;

  /**
   * `test`, `live`: each mode's providers (one, several, or none: live has none until one is
   * configured — the sandbox issuer never takes live payments), in the order tried when no rule
   * decides. `others`: providers no new payment goes to any more but earlier intents were made
   * at (the sandbox, after test mode moved to a real one). `rules`: each mode's routing rules.
   * `accounts`: merchants' own providers; a merchant with an active one in a mode pays there
   * instead (its accounts in creation order; the server's rules name server providers only).
   * `bins`: the operator's BIN table, which tells a card's issuing country to the rules.
   */
  constructor(
    modes: { test: PaymentProvider | readonly PaymentProvider[] | null; live: PaymentProvider | readonly PaymentProvider[] | null },
    others: PaymentProvider[] = [],
    rules: { test?: readonly RoutingRule[]; live?: readonly RoutingRule[] } = {},
    accounts?: MerchantAccountProviders,
    bins?: BinTable,
  ) {
    this.#accounts = accounts;
    this.#bins = bins;
    const list = (p: PaymentProvider | readonly PaymentProvider[] | null): readonly PaymentProvider[] => (p === null ? [] : Array.isArray(p) ? p : [p as PaymentProvider]);
    this.#modes = { test: list(modes.test), live: list(modes.live) };
    if (this.#modes.live.some((p) => p.name === 'sandbox' || p.type === 'sandbox')) throw new Error('the sandbox issuer cannot take live payments');
    for (const mode of ['test', 'live'] as const) {
      const names = this.#modes[mode].map((p) => p.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice) throw new Error(`${mode} mode has two providers named ${twice}: give each its own name`);
    }
    this.#rules = { test: rules.test ?? [], live: rules.live ?? [] };
    checkRules(this.#rules.test, this.#modes.test, 'test', bins !== undefined);
    checkRules(this.#rules.live, this.#modes.live, 'live', bins !== undefined);
    for (const provider of [...this.#modes.test, ...this.#modes.live, ...others]) {
      const known = this.#byName.get(provider.name);
      // First wins: a mode's provider over an "other" of the same name (e.g. the wrapped sandbox of the tests).
      if (!known) this.#byName.set(provider.name, provider);
      // One name, one provider: an intent's name must find the provider it was paid at.
      else if (known !== provider && this.#modes.test.includes(known) && this.#modes.live.includes(provider)) {
        throw new Error(`test and live mode both have a provider named ${provider.name}: name them apart (e.g. ${provider.name}-live)`);
      }
    }
  }

  choose(choice: ProviderChoice): PaymentProvider | null {
    return this.route(choice).providers[0] ?? null;
  }

  /** Sees the accounts any instance sharing the store made or deactivated until now. */
  async prepare(): Promise<void> {
    await this.#accounts?.refresh();
  }

  route(choice: ProviderChoice): { providers: PaymentProvider[]; rule: string | null } {
    const mode: Mode = choice.livemode ? 'live' : 'test';
    const own = this.#accounts?.active(choice.merchantId, choice.livemode) ?? [];
    if (own.length > 0) return route(own, [], choice);
    const cardCountry = choice.bin !== undefined ? this.#bins?.countryOf(choice.bin) : undefined;
    return route(this.#modes[mode], this.#rules[mode], { ...choice, cardCountry });
  }

  byName(name: string): PaymentProvider | undefined {
    // Server names and account ids (`pa_…`) cannot meet: server names have no capitals.
    return this.#byName.get(name) ?? this.#accounts?.byName(name);
  }

  hasAny(livemode: boolean): boolean {
    return this.#modes[livemode ? 'live' : 'test'].length > 0;
  }

  all(): PaymentProvider[] {
    return [...this.#byName.values(), ...(this.#accounts?.all() ?? [])];
  }
}
