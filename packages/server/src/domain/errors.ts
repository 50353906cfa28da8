/**
 * One error family for everything a request can be refused for. The domain (and adapters)
 * throw these with a kind and a Stripe error code; http/errors.ts maps kinds to statuses
 * in exactly one place.
 */
import { ErrorCode } from '@kassa/core';
import type { DeclineCode } from '@kassa/core';
import type { PaymentIntentRecord } from './model.js';

export const FailureKind = {
  InvalidRequest: 'invalid_request',
  Unauthorized: 'unauthorized',
  CardDeclined: 'card_declined',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  InvalidState: 'invalid_state',
  IdempotencyInFlight: 'idempotency_in_flight',
  TooLarge: 'too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  IdempotencyMismatch: 'idempotency_mismatch',
  ProviderUnavailable: 'provider_unavailable',
  RateLimited: 'rate_limited',
  Unavailable: 'unavailable',
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

/** Webhook endpoints: a URL Kassa will not send to (Stripe's code), too many endpoints. */
export const WEBHOOK_ERROR_CODES = ['url_invalid', 'webhook_endpoint_limit'] as const;
export type WebhookErrorCode = (typeof WEBHOOK_ERROR_CODES)[number];
/** Keys, accounts and modes; abuse limits; API versions. */
export const ACCOUNT_ERROR_CODES = [
  'permission_denied',
  'account_already_live',
  'account_not_live',
  'api_key_expired',
  'provider_not_configured',
  'testmode_card_in_livemode',
  'rate_limit',
  'payment_intent_attempts_exceeded',
  'api_version_unsupported',
] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];
/**
 * Every code an error answer can carry: core's list and the server-only ones. A list, not only a
 * type, so the OpenAPI document's `code` enum is this very list (a new code shows up there).
 */
export const SERVER_ERROR_CODES = [
  ...Object.values(ErrorCode),
  'widget_not_built',
  'form_token_invalid',
  'notification_invalid',
  'vault_unavailable',
  ...WEBHOOK_ERROR_CODES,
  ...ACCOUNT_ERROR_CODES,
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

export interface KassaErrorDetails {
  param?: string | undefined;
  declineCode?: DeclineCode | undefined;
  /** For a 429: how long to wait (the Retry-After header). */
  retryAfterSeconds?: number | undefined;
  /** The intent as it stands after the failure (card errors carry it, as Stripe's do). */
  paymentIntent?: PaymentIntentRecord | undefined;
}

export class KassaError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly code: ServerErrorCode,
    message: string,
    readonly details: KassaErrorDetails = {},
  ) {
    super(message);
    this.name = 'KassaError';
  }
}

export const invalidParam = (param: string, message: string, code: ServerErrorCode = 'parameter_invalid') =>
  new KassaError(FailureKind.InvalidRequest, code, message, { param });

export const missingParam = (param: string, message = `Missing required param: ${param}.`) =>
  new KassaError(FailureKind.InvalidRequest, 'parameter_missing', message, { param });

export const notFound = (what: string, id: string, param?: string) =>
  new KassaError(FailureKind.NotFound, 'resource_missing', `No such ${what}: '${id}'`, { param });

export const unexpectedState = (intent: PaymentIntentRecord, action: string) =>
  new KassaError(
    FailureKind.InvalidState,
    'payment_intent_unexpected_state',
    intent.pendingOperation
      ? `This PaymentIntent has an operation in progress; ${action} is not possible until it completes.`
      : `You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.`,
    { paymentIntent: intent },
  );
