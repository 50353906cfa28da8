/**
 * The sandbox's magic cards (docs/API.md, "Sandbox test cards"). Behaviour is looked up by
 * number in memory; the issuer's tables only ever see a keyed fingerprint of the number.
 */
import type { DeclineCode } from '@kassa/core';

export type CardBehavior =
  /** Approves while the balance (major units of the charged currency) lasts. */
  | { kind: 'approve'; balanceMajor: number }
  | { kind: 'decline'; declineCode: DeclineCode; balanceMajor: number }
  | { kind: 'three_d_secure'; balanceMajor: number }
  /** The issuer answers later (`pending`): it approves when it is asked again (a notification would say so at a real provider). */
  | { kind: 'pending'; balanceMajor: number }
  /** The shopper approves in their bank's app (a decoupled authentication): approved once the sandbox's approval delay has passed. */
  | { kind: 'approve_in_app'; balanceMajor: number }
  | { kind: 'processing_error' };

const PLENTY = 1_000_000;

export const SANDBOX_CARDS: Readonly<Record<string, CardBehavior>> = {
  '4242424242424242': { kind: 'approve', balanceMajor: PLENTY },
  '6200000000000005': { kind: 'approve', balanceMajor: PLENTY },
  '5555555555554444': { kind: 'approve', balanceMajor: 200 },
  '378282246310005': { kind: 'approve', balanceMajor: PLENTY },
  '3566002020360505': { kind: 'approve', balanceMajor: PLENTY },
  // An account that exists but holds nothing: the balance check refuses it.
  '4000000000009995': { kind: 'approve', balanceMajor: 0 },
  '4000000000000002': { kind: 'decline', declineCode: 'generic_decline', balanceMajor: 0 },
  '4000000000000069': { kind: 'decline', declineCode: 'expired_card', balanceMajor: 0 },
  '4000000000000127': { kind: 'decline', declineCode: 'incorrect_cvc', balanceMajor: 0 },
  // Fraud and reported cards: the merchant's API says so; the shopper's page sees a plain decline.
  '4100000000000019': { kind: 'decline', declineCode: 'fraudulent', balanceMajor: 0 },
  '4000000000009987': { kind: 'decline', declineCode: 'lost_card', balanceMajor: 0 },
  '4000000000009979': { kind: 'decline', declineCode: 'stolen_card', balanceMajor: 0 },
  '4000000000003220': { kind: 'three_d_secure', balanceMajor: PLENTY },
  '4000000000000119': { kind: 'processing_error' },
  '4000000000001505': { kind: 'pending', balanceMajor: PLENTY },
  '4000000000001604': { kind: 'approve_in_app', balanceMajor: PLENTY },
};

/** Whether a number is one of the sandbox's magic cards, or stands behind a Stripe test id. */
export function isSandboxTestCard(digits: string): boolean {
  return Object.hasOwn(SANDBOX_CARDS, digits) || Object.values(STRIPE_TEST_IDS).includes(digits);
}

/** Any other valid number succeeds with a large balance. */
export function behaviorFor(digits: string): CardBehavior {
  return SANDBOX_CARDS[digits] ?? { kind: 'approve', balanceMajor: PLENTY };
}

/**
 * Stripe's test payment methods and tokens, each standing for a sandbox card, so a merchant's
 * existing Stripe test suite runs against the sandbox unchanged (test mode only). Stripe's
 * names; the outcome is the sandbox card's (see SANDBOX_CARDS).
 */
export const STRIPE_TEST_IDS: Readonly<Record<string, string>> = {
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5200828282828210',
  pm_card_mastercard_debit: '5200828282828210',
  pm_card_amex: '378282246310005',
  pm_card_unionpay: '6200000000000005',
  pm_card_jcb: '3566002020360505',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_visa_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
  pm_card_chargeDeclinedIncorrectCvc: '4000000000000127',
  pm_card_chargeDeclinedProcessingError: '4000000000000119',
  pm_card_chargeDeclinedFraudulent: '4100000000000019',
  pm_card_chargeDeclinedLostCard: '4000000000009987',
  pm_card_chargeDeclinedStolenCard: '4000000000009979',
  pm_card_threeDSecure2Required: '4000000000003220',
  pm_card_authenticationRequired: '4000000000003220',
  tok_visa: '4242424242424242',
  tok_visa_debit: '4000056655665556',
  tok_mastercard: '5200828282828210',
  tok_amex: '378282246310005',
  tok_unionpay: '6200000000000005',
  tok_jcb: '3566002020360505',
  tok_chargeDeclined: '4000000000000002',
  tok_chargeDeclinedInsufficientFunds: '4000000000009995',
  tok_chargeDeclinedExpiredCard: '4000000000000069',
  tok_chargeDeclinedIncorrectCvc: '4000000000000127',
  tok_chargeDeclinedProcessingError: '4000000000000119',
  tok_chargeDeclinedFraudulent: '4100000000000019',
  tok_chargeDeclinedLostCard: '4000000000009987',
  tok_chargeDeclinedStolenCard: '4000000000009979',
  tok_threeDSecure2Required: '4000000000003220',
};

export function stripeTestCard(id: string): string | null {
  return Object.hasOwn(STRIPE_TEST_IDS, id) ? (STRIPE_TEST_IDS[id] ?? null) : null;
}
