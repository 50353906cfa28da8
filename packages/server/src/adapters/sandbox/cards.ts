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
  '4000000000003220': { kind: 'three_d_secure', balanceMajor: PLENTY },
  '4000000000000119': { kind: 'processing_error' },
};

/** Any other valid number succeeds with a large balance. */
export function behaviorFor(digits: string): CardBehavior {
  return SANDBOX_CARDS[digits] ?? { kind: 'approve', balanceMajor: PLENTY };
}
