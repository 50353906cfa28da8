/**
 * Error types and codes, shaped like Stripe's error object so existing handling code works:
 * `{ error: { type, code, message, param?, decline_code? } }`.
 */
export const ErrorType = {
  InvalidRequest: 'invalid_request_error',
  Authentication: 'authentication_error',
  Card: 'card_error',
  Idempotency: 'idempotency_error',
  RateLimit: 'rate_limit_error',
  Api: 'api_error',
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export const ErrorCode = {
  // Request shape
  ParameterInvalid: 'parameter_invalid',
  ParameterMissing: 'parameter_missing',
  ParameterUnknown: 'parameter_unknown',
  InvalidJson: 'invalid_json',
  BodyTooLarge: 'body_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  // Auth and lookup
  InvalidApiKey: 'api_key_invalid',
  ClientSecretInvalid: 'client_secret_invalid',
  ResourceMissing: 'resource_missing',
  RouteNotFound: 'route_not_found',
  MethodNotAllowed: 'method_not_allowed',
  OriginNotAllowed: 'origin_not_allowed',
  // State
  UnexpectedState: 'payment_intent_unexpected_state',
  AmountTooLarge: 'amount_too_large',
  TokenAlreadyUsed: 'token_already_used',
  TokenExpired: 'token_expired',
  ChargeAlreadyRefunded: 'charge_already_refunded',
  ChargeNotRefundable: 'charge_not_refundable',
  PaymentMethodUnexpectedState: 'payment_method_unexpected_state',
  /** No provider configured for the mode takes this payment method (in this currency): Stripe's code for a method not activated. */
  PaymentMethodUnactivated: 'payment_method_unactivated',
  /** The intent was created for other payment method types (`payment_method_types`) than the one confirmed with: Stripe's code. */
  IncompatiblePaymentMethod: 'payment_intent_incompatible_payment_method',
  // Idempotency
  IdempotencyKeyInUse: 'idempotency_key_in_use',
  IdempotencyKeyReused: 'idempotency_key_reused',
  // Card outcomes (card_error)
  CardDeclined: 'card_declined',
  InsufficientFunds: 'insufficient_funds',
  ExpiredCard: 'expired_card',
  IncorrectCvc: 'incorrect_cvc',
  IncorrectNumber: 'incorrect_number',
  ProcessingError: 'processing_error',
  AuthenticationFailure: 'payment_intent_authentication_failure',
  AuthenticationRequired: 'authentication_required',
  // Server
  ApiError: 'api_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Reasons an issuer (or the sandbox) gives for refusing a card. */
export const DeclineCode = {
  Generic: 'generic_decline',
  InsufficientFunds: 'insufficient_funds',
  ExpiredCard: 'expired_card',
  IncorrectCvc: 'incorrect_cvc',
  ProcessingError: 'processing_error',
  AuthenticationFailure: 'authentication_failure',
  /** The bank wants the shopper to authenticate, and the shopper is not there (off-session). */
  AuthenticationRequired: 'authentication_required',
  /** The issuer refused without a reason it will give (ISO 8583 code 05). */
  DoNotHonor: 'do_not_honor',
  /** The issuer or the provider's risk checks suspect fraud. */
  Fraudulent: 'fraudulent',
  LostCard: 'lost_card',
  StolenCard: 'stolen_card',
} as const;

export type DeclineCode = (typeof DeclineCode)[keyof typeof DeclineCode];

/**
 * The decline code a shopper's page is told. Fraud, a lost or a stolen card read as a plain
 * decline there, as Stripe advises: whoever holds a stolen card must not learn that it was
 * reported. The merchant's API and webhooks keep the real code.
 */
export function shopperDeclineCode(code: DeclineCode): DeclineCode {
  return code === DeclineCode.Fraudulent || code === DeclineCode.LostCard || code === DeclineCode.StolenCard ? DeclineCode.Generic : code;
}

export interface ErrorBody {
  type: ErrorType;
  code: ErrorCode;
  message: string;
  param?: string;
  decline_code?: DeclineCode;
}
