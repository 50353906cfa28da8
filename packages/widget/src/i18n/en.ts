/**
 * English, the language every string is written in first, and so the shape of every other
 * locale's table. Split in three so that each bundle carries only what it shows: the checkout
 * element (kassa.js) takes `shared` + `checkout`, the card frame `shared` + `frame`. Templates
 * name their parts in braces (`{amount}`), so a merchant's override or a translation may put
 * them in any order.
 */

/** Outcomes both the element and the frame report, keyed by the error or decline code itself. */
export const shared = {
  insufficient_funds: 'Your card has insufficient funds.',
  generic_decline: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  incorrect_number: 'Your card number is incorrect.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_failure: 'We could not verify this payment with your bank. Try again or use another card.',
  network_error: 'Could not reach the payment server. Check your connection and try again.',
  client_secret_expired: 'This payment session has expired. Please reload the page.',
  client_secret_invalid: 'This payment could not be loaded.',
  payment_intent_unexpected_state: 'This payment can no longer be completed.',
  validation_error: 'Check your card details.',
  unexpected: 'Something went wrong. Please try again.',
  /** Brand names that are words rather than marks; the others are core's BRAND_LABELS. */
  brand_unionpay: 'UnionPay',
  brand_unknown: 'Card',
};

/** What only <kassa-checkout> shows. */
export const checkout = {
  client_secret_issuer_mismatch: 'This payment could not be loaded: it was issued by another payment server.',
  kassa_url_missing: 'This payment could not be loaded: the checkout does not know its payment server (kassa-url is not set).',
  challenge_timeout: 'Verification with your bank timed out. This payment has not been completed.',
  payment_method_unactivated: 'This payment method is not available for this payment. Choose another way to pay.',
  /** A wallet payment that did not go through: refused, canceled at the provider, or its QR code expired. */
  wallet_declined: 'The payment with {wallet} was not completed, and nothing was charged. You can try again.',
  wallet_timeout: 'The payment with {wallet} timed out. This payment has not been completed.',
  // Truthful on purpose: the payment may still go through, so never "failed"; it cannot be charged twice.
  payment_unconfirmed:
    'We could not confirm your payment yet. It may still complete, and you will not be charged twice for it. Check your order status or contact the shop before paying again.',
  pay: 'Pay {amount}',
  payWithCard: 'Pay {amount} with {card}',
  payWithWallet: 'Pay {amount} with {wallet}',
  /** Wallet names, as the shopper knows them where they live (支付宝 in mainland China). */
  wallet_alipay: 'Alipay',
  wallet_paypal: 'PayPal',
  /** A saved card, in words (masking bullets are read out one by one by screen readers). */
  cardEnding: '{brand} ending {last4}',
  useAnotherCard: 'Use another card',
  useSavedCard: 'Use {card}',
  saveCard: 'Save card for next time',
  cardFrameTitle: 'Secure card payment form',
  challengeTitle: 'Card verification by your bank',
  walletTitle: '{wallet} payment',
  loading: 'Loading payment…',
  processing: 'Processing payment…',
  challenge: 'Your bank needs to confirm this payment.',
  walletAction: 'Complete the payment with {wallet}.',
  succeeded: 'Payment complete. Thank you!',
  /** `{card}`: the card in words ("Visa ending 4242"), or the wallet's name. */
  succeededWith: 'Paid {amount} with {card}. Thank you!',
};

/** What only the card frame shows. */
export const frame = {
  frameTitle: 'Card details',
  number: 'Card number',
  expiry: 'Expiry date (MM/YY)',
  cvc: 'Security code (CVC)',
  expiryPlaceholder: 'MM/YY',
  cvcPlaceholder: 'CVC',
  incomplete_number: 'Your card number is incomplete.',
  invalid_number: 'Your card number is invalid.',
  unsupported_brand: 'This card brand is not supported.',
  incomplete_expiry: "Your card's expiry date is incomplete.",
  invalid_expiry_month: "Your card's expiry month is invalid.",
  invalid_expiry_year: "Your card's expiry year is invalid.",
  expired: "Your card's expiry date is in the past.",
  incomplete_cvc: "Your card's security code is incomplete.",
  invalid_cvc: "Your card's security code is invalid.",
};

export type SharedKey = keyof typeof shared;
export type CheckoutKey = keyof typeof checkout;
export type FrameKey = keyof typeof frame;
export type MessageKey = SharedKey | CheckoutKey | FrameKey;
/** One locale's complete table. Every locale file `satisfies` it, so a missing key does not compile. */
export type Catalog = Record<MessageKey, string>;
