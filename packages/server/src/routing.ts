/**
 * Routing rules: which of a mode's providers a new payment goes to, and where it fails over to
 * after a definite failure. An operator writes them in `kassa serve`'s config; the first rule
 * whose conditions all hold decides (and is recorded on the intent by name); without one, the
 * mode's providers are tried in the order they are configured. Only providers that take the
 * payment's method and currency are ever chosen (`accepts`), whatever a rule says.
 *
 * Weighted rules split traffic (`[{ provider, weight }]`): the pick is decided by a hash of the
 * intent id, so the same intent goes to the same provider on every try, and a restart or a
 * second instance decides alike. The others follow by weight, for failover.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CardBrand } from '@kassa/core';
import type { PaymentProvider, ProviderChoice } from './domain/ports.js';
import { methodCapabilities } from './domain/ports.js';
import { CARD_TOKEN_TYPES, WALLET_TYPES, currencySchema } from '@kassa/core/wire';

const weighted = z.object({ provider: z.string().min(1).max(64), weight: z.number().int().min(1).max(10_000) }).strict();

export const routingRuleSchema = z
  .object({
    name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -'),
    /** Every condition given must hold; none given: every payment. */
    when: z
      .object({
        currency: z.array(currencySchema).min(1).optional(),
        /** `card`: every card payment (from the vault, a provider's token, a device wallet); `apple_pay`, `google_pay`, `provider_token`: only those. */
        paymentMethod: z.array(z.enum(['card', ...WALLET_TYPES, ...CARD_TOKEN_TYPES])).min(1).optional(),
        /** Inclusive bounds, in the currency's minor units. */
        minAmount: z.number().int().min(0).optional(),
        maxAmount: z.number().int().min(0).optional(),
        cardBrand: z.array(z.enum(Object.values(CardBrand) as [CardBrand, ...CardBrand[]])).min(1).optional(),
        /** Leading digits of the card number (a BIN range: an issuer, a country's cards). */
        binPrefix: z.array(z.string().regex(/^\d{1,8}$/)).min(1).optional(),
        /** The card's issuing country (ISO 3166-1 alpha-2), by the operator's BIN table (`bin-table.ts`); a card the table does not know has none. */
        cardCountry: z.array(z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166-1 country code in capitals')).min(1).optional(),
        /** The merchant's preference: the rule holds only for these merchant scopes (`acct_…`). */
        merchant: z.array(z.string().min(1).max(64)).min(1).optional(),
      })
      .strict()
      .optional(),
    /** The providers (by name) in the order to try them, or a weighted split. */
    use: z.union([z.array(z.string().min(1).max(64)).min(1), z.array(weighted).min(1)]),
  })
  .strict();
export type RoutingRule = z.infer<typeof routingRuleSchema>;
export const routingSchema = z.array(routingRuleSchema).max(100);

function holds(rule: RoutingRule, choice: ProviderChoice): boolean {
  const w = rule.when;
  if (!w) return true;
  if (w.currency && !w.currency.includes(choice.currency)) return false;
  if (w.paymentMethod && !w.paymentMethod.includes(choice.paymentMethod) && !(w.paymentMethod.includes('card') && isCardToken(choice.paymentMethod))) return false;
  if (w.minAmount !== undefined && choice.amount < w.minAmount) return false;
  if (w.maxAmount !== undefined && choice.amount > w.maxAmount) return false;
  if (w.cardBrand && (!choice.cardBrand || !w.cardBrand.includes(choice.cardBrand))) return false;
  if (w.binPrefix && (!choice.bin || !w.binPrefix.some((p) => choice.bin!.startsWith(p)))) return false;
  if (w.cardCountry && (!choice.cardCountry || !w.cardCountry.includes(choice.cardCountry))) return false;
  if (w.merchant && !w.merchant.includes(choice.merchantId)) return false;
  return true;
}

/** A number in [0, total) from the intent id: the same intent, the same pick. */
function bucket(reference: string, total: number): number {
  const digest = createHash('sha256').update(`kassa routing|${reference}`).digest();
  return digest.readUInt32BE(0) % total;
}

/** The names a rule tries, in order. */
function order(rule: RoutingRule, reference: string): string[] {
  const use = rule.use;
  if (use.length === 0 || typeof use[0] === 'string') return use as string[];
  const split = use as Array<{ provider: string; weight: number }>;
  const total = split.reduce((n, s) => n + s.weight, 0);
  let at = bucket(reference, total);
  const picked = split.find((s) => (at -= s.weight) < 0) ?? split[0]!;
  const rest = split.filter((s) => s !== picked).sort((a, b) => b.weight - a.weight);
  return [picked.provider, ...rest.map((s) => s.provider)];
}

const isCardToken = (method: string): boolean => (CARD_TOKEN_TYPES as readonly string[]).includes(method);

/** Whether a provider takes this payment at all: its method, in its currency. */
export function accepts(provider: PaymentProvider, choice: Pick<ProviderChoice, 'paymentMethod' | 'currency'>): boolean {
  return methodCapabilities(provider.capabilities, choice.paymentMethod, choice.currency) !== null;
}

/**
 * The providers of a mode in the order to try them for this payment, and the rule that decided
 * (null: the configured order). A rule none of whose providers takes the payment does not hold.
 */
export function route(providers: readonly PaymentProvider[], rules: readonly RoutingRule[], choice: ProviderChoice): { providers: PaymentProvider[]; rule: string | null } {
  const eligible = providers.filter((p) => accepts(p, choice));
  for (const rule of rules) {
    if (!holds(rule, choice)) continue;
    const chosen = order(rule, choice.reference)
      .map((name) => eligible.find((p) => p.name === name))
      .filter((p): p is PaymentProvider => p !== undefined);
    if (chosen.length > 0) return { providers: chosen, rule: rule.name };
  }
  return { providers: eligible, rule: null };
}

/**
 * Rules that name providers the mode does not have, or a card country with no BIN table to tell
 * it, are a configuration mistake, caught at start.
 */
export function checkRules(rules: readonly RoutingRule[], providers: readonly PaymentProvider[], mode: string, hasBinTable = false): void {
  const names = new Set(providers.map((p) => p.name));
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.name)) throw new Error(`routing rule ${rule.name} (${mode} mode) is named twice`);
    seen.add(rule.name);
    for (const name of order(rule, '')) {
      if (!names.has(name)) throw new Error(`routing rule ${rule.name} (${mode} mode) names the provider ${name}, which ${mode} mode does not have (it has: ${[...names].join(', ') || 'none'})`);
    }
    const w = rule.when;
    if (w?.cardCountry && !hasBinTable) {
      throw new Error(`routing rule ${rule.name} (${mode} mode) routes by cardCountry, but no BIN table is configured to tell a card's country (providers.binTable)`);
    }
    if (w?.minAmount !== undefined && w.maxAmount !== undefined && w.minAmount > w.maxAmount) {
      throw new Error(`routing rule ${rule.name} (${mode} mode): minAmount is above maxAmount`);
    }
  }
}
