/** What the shopper and the merchant are told for each reason an issuer gives. Stripe's wording. */
import type { DeclineCode } from '@kassa/core';
import type { LastPaymentErrorRecord } from './model.js';

export function cardError(declineCode: DeclineCode): LastPaymentErrorRecord {
  const base = { type: 'card_error', decline_code: declineCode } as const;
  switch (declineCode) {
    case 'generic_decline':
    case 'do_not_honor':
    // Never said to the shopper (the client sees generic_decline), so the same plain sentence.
    case 'fraudulent':
    case 'lost_card':
    case 'stolen_card':
      return { ...base, code: 'card_declined', message: 'Your card was declined.' };
    case 'insufficient_funds':
      return { ...base, code: 'card_declined', message: 'Your card has insufficient funds.' };
    case 'expired_card':
      return { ...base, code: 'expired_card', message: 'Your card has expired.' };
    case 'incorrect_cvc':
      return { ...base, code: 'incorrect_cvc', message: "Your card's security code is incorrect." };
    case 'processing_error':
      return { ...base, code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' };
    case 'authentication_failure':
      return {
        ...base,
        code: 'payment_intent_authentication_failure',
        message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
      };
    case 'authentication_required':
      return { ...base, code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' };
    default: {
      const unreachable: never = declineCode;
      throw new Error(`unknown decline code ${String(unreachable)}`);
    }
  }
}
