/**
 * Tokenizing a card typed into the card frame: the same checks the frame made (Luhn, brand,
 * expiry, CVC length, full-width digits), made again here because the server trusts no
 * client, then the vault keeps the number encrypted and the CVC in memory.
 */
import { checkCard } from '@kassa/core';
import type { CardErrorCode, CardField } from '@kassa/core';
import type { CreateToken, TokenObject } from '@kassa/core/wire';
import type { CardVault, Clock } from './ports.js';
import { invalidParam } from './errors.js';
import { seconds } from './views.js';

const MESSAGES: Record<CardErrorCode, string> = {
  incomplete_number: 'Your card number is incomplete.',
  invalid_number: 'Your card number is invalid.',
  unsupported_brand: 'This card brand is not supported.',
  incomplete_expiry: "Your card's expiration date is incomplete.",
  invalid_expiry_month: "Your card's expiration month is invalid.",
  invalid_expiry_year: "Your card's expiration year is invalid.",
  expired: 'Your card has expired.',
  incomplete_cvc: "Your card's security code is incomplete.",
  invalid_cvc: "Your card's security code is invalid.",
};

const PARAMS: Record<CardField, (code: CardErrorCode) => string> = {
  number: () => 'card[number]',
  expiry: (code) => (code === 'invalid_expiry_month' ? 'card[exp_month]' : 'card[exp_year]'),
  cvc: () => 'card[cvc]',
};

export async function tokenizeCard(
  deps: {
    vault: CardVault;
    clock: Clock;
    /** Whether the merchant scope is live mode, and whether a number is one of the sandbox's test cards. */
    live?: { isLive(merchantId: string): boolean; isTestCard(digits: string): boolean };
  },
  merchantId: string,
  input: CreateToken,
): Promise<TokenObject> {
  const { card } = input;
  const check = checkCard({ number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc }, new Date(deps.clock.now()));
  for (const field of ['number', 'expiry', 'cvc'] as const) {
    const code = check.errors[field];
    // The message names the problem, never the value.
    if (code) throw invalidParam(PARAMS[field](code), MESSAGES[code]);
  }
  if (!check.digits || !check.cvcDigits || !check.exp) throw invalidParam('card', 'The card is incomplete.');
  // A known test card is refused in live mode, as Stripe refuses one: it would charge nobody.
  if (deps.live?.isLive(merchantId) && deps.live.isTestCard(check.digits)) {
    throw invalidParam('card[number]', 'Your request was in live mode, but used a known test card.', 'testmode_card_in_livemode');
  }
  const token = await deps.vault.tokenize(merchantId, {
    digits: check.digits,
    brand: check.brand,
    expMonth: check.exp.month,
    expYear: check.exp.year,
    cvc: check.cvcDigits,
  });
  return {
    id: token.id,
    object: 'token',
    card: { brand: check.brand, last4: check.digits.slice(-4), exp_month: check.exp.month, exp_year: check.exp.year },
    created: seconds(token.created),
  };
}
