/**
 * TEMPLATE — the provider's vocabulary → Kassa's, as exhaustive switches the compiler checks.
 * Copy, rename, and replace the example statuses and codes with your provider's documented ones.
 *
 * Why switches with a `never` default: when the provider adds a status (or you add a code), the
 * build fails at the one place that must decide what it means, instead of an unknown value falling
 * through to a guess at run time. Values arriving over the wire are strings: check them against
 * the known set first and refuse (ambiguous) what you do not know — never default to "approved"
 * or "declined".
 */
import type { DeclineCode } from '@kassa/core';
import type { AuthorizeOutcome, Refusal } from '../../domain/ports.js';
import { ProviderFailure } from '../../domain/ports.js';

/** Replace with the provider's payment statuses, exactly as documented. */
export type ExampleStatus = 'authorized' | 'captured' | 'challenge' | 'refused' | 'pending';
const STATUSES = new Set<string>(['authorized', 'captured', 'challenge', 'refused', 'pending'] satisfies ExampleStatus[]);

/** The part of the provider's payment object the mapping reads. */
export interface ExamplePayment {
  id: string;
  status: string;
  amount: number;
  challengeUrl?: string | undefined;
  refusalCode?: string | undefined;
  message?: string | undefined;
}

export function paymentOutcome(p: ExamplePayment): AuthorizeOutcome {
  if (!STATUSES.has(p.status)) throw new ProviderFailure('ambiguous', `unknown payment status ${p.status}`, p.status);
  const status = p.status as ExampleStatus;
  switch (status) {
    case 'authorized':
      return { status: 'authorized', reference: p.id, amount: p.amount };
    case 'captured':
      return { status: 'captured', reference: p.id, amount: p.amount };
    case 'challenge':
      if (!p.challengeUrl) throw new ProviderFailure('definite', 'a challenge without a URL');
      return { status: 'requires_action', reference: p.id, action: { type: 'three_d_secure', url: p.challengeUrl } };
    case 'refused':
      return { status: 'declined', ...refusalFrom(p.refusalCode, p.message) };
    case 'pending':
      // The bank has not answered: neither outcome is known. Ambiguous: recovery asks later.
      throw new ProviderFailure('ambiguous', 'the payment is still pending', 'pending');
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unmapped status ${String(unknown)}`);
    }
  }
}

/** Replace with the provider's refusal codes you can name; any other code is a generic decline. */
export type ExampleCode = 'not_enough_balance' | 'refused' | 'expired' | 'cvc_declined' | 'issuer_unavailable' | '3ds_failed' | 'sca_required';
const CODES = new Set<string>(['not_enough_balance', 'refused', 'expired', 'cvc_declined', 'issuer_unavailable', '3ds_failed', 'sca_required'] satisfies ExampleCode[]);

export function declineCodeFor(code: ExampleCode): DeclineCode {
  switch (code) {
    case 'not_enough_balance':
      return 'insufficient_funds';
    case 'refused':
      return 'generic_decline';
    case 'expired':
      return 'expired_card';
    case 'cvc_declined':
      return 'incorrect_cvc';
    case 'issuer_unavailable':
      return 'processing_error';
    case '3ds_failed':
      return 'authentication_failure';
    case 'sca_required':
      return 'authentication_required';
    default: {
      const unknown: never = code;
      throw new Error(`unmapped code ${String(unknown)}`);
    }
  }
}

/** Core's code for the shopper and merchant; the provider's own code kept as `rawCode` for the operator. */
export function refusalFrom(raw: string | undefined, message?: string): Refusal {
  const declineCode: DeclineCode = raw && CODES.has(raw) ? declineCodeFor(raw as ExampleCode) : 'generic_decline';
  return { declineCode, message, rawCode: raw };
}
