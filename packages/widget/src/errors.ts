/**
 * The one error type the widget hands to merchants: `pay()` resolves `{ error }` with it and
 * `kassa-payment-failed` carries it. Shaped like Stripe's error object (`type`, `code`,
 * `decline_code`, `message`) so existing handling code works; `message` is already localized.
 */

/** Codes the widget itself produces, next to the server's codes (core's ErrorCode). */
export const ClientErrorCode = {
  /** The Kassa server could not be reached (offline, DNS, CORS refused, connection reset). */
  NetworkError: 'network_error',
  /** The client secret's `exp` has passed; the merchant must mint a new one. */
  ClientSecretExpired: 'client_secret_expired',
  /** The `client-secret` attribute is missing or not a Kassa client secret. */
  ClientSecretInvalid: 'client_secret_invalid',
  /** The client secret names another Kassa server (`iss`) than the one this element is pinned to. */
  ClientSecretIssuerMismatch: 'client_secret_issuer_mismatch',
  /** No Kassa server to pin to: the ES module build needs `kassa-url` (kassa.js knows its own). */
  KassaUrlMissing: 'kassa_url_missing',
  /** The 3-D Secure page did not report back in time, and the bank has not approved the payment. */
  ChallengeTimeout: 'challenge_timeout',
  /**
   * The provider had not settled the payment after the widget's last poll (`processing` or
   * `unknown`). Not a decline: it may still succeed, and the intent can never be charged twice.
   */
  PaymentUnconfirmed: 'payment_unconfirmed',
  /** The server asked for a next action the widget cannot perform. */
  UnsupportedAction: 'unsupported_action',
  /** The card frame did not answer (blocked, failed to load). */
  FrameUnavailable: 'frame_unavailable',
  /** The server answered with something that is not a Kassa response. */
  Unexpected: 'api_error',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Stripe's error types, plus the two Stripe.js uses for client-side problems. */
export type KassaErrorType =
  | 'card_error'
  | 'invalid_request_error'
  | 'authentication_error'
  | 'idempotency_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'api_connection_error'
  | 'validation_error';

export interface KassaErrorInit {
  type: KassaErrorType;
  code: string;
  message: string;
  decline_code?: string | undefined;
  /** The card field at fault, for validation errors from the card frame. */
  param?: string | undefined;
}

export class KassaError extends Error {
  override readonly name = 'KassaError';
  readonly type: KassaErrorType;
  readonly code: string;
  // Stripe's spelling, so `if (error.decline_code === 'insufficient_funds')` ports as is.
  readonly decline_code: string | undefined;
  readonly param: string | undefined;

  constructor(init: KassaErrorInit, options?: ErrorOptions) {
    super(init.message, options);
    this.type = init.type;
    this.code = init.code;
    this.decline_code = init.decline_code;
    this.param = init.param;
  }
}
