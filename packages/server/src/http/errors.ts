/**
 * The one place errors become HTTP: a KassaError's kind decides the status and the Stripe
 * error type; body-parser and router errors are translated to the same shape; anything
 * else is a 500 that is logged and says nothing about internals.
 */
import { shopperDeclineCode } from '@kassa/core';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { DeclineCode, ErrorType } from '@kassa/core';
import { FailureKind, KassaError, SERVER_ERROR_CODES } from '../domain/errors.js';
import type { PaymentIntentRecord } from '../domain/model.js';
import type { Logger } from '../logger.js';

const STATUS: Readonly<Record<FailureKind, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  card_declined: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  // Stripe answers a wrong state with 400 (payment_intent_unexpected_state); 409 would make
  // stripe-node retry it and throw the wrong error class. 409 stays for "key still in use".
  invalid_state: 400,
  idempotency_in_flight: 409,
  too_large: 413,
  unsupported_media_type: 415,
  // Stripe's 400 with type idempotency_error: the one status for which stripe-node raises
  // StripeIdempotencyError (it maps 400/404 by type; a 422 would be a generic StripeAPIError).
  idempotency_mismatch: 400,
  provider_unavailable: 502,
  rate_limited: 429,
  unavailable: 503,
};

const TYPE: Readonly<Record<FailureKind, ErrorType>> = {
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  card_declined: 'card_error',
  forbidden: 'invalid_request_error',
  not_found: 'invalid_request_error',
  method_not_allowed: 'invalid_request_error',
  invalid_state: 'invalid_request_error',
  idempotency_in_flight: 'idempotency_error',
  too_large: 'invalid_request_error',
  unsupported_media_type: 'invalid_request_error',
  idempotency_mismatch: 'idempotency_error',
  provider_unavailable: 'api_error',
  rate_limited: 'rate_limit_error',
  unavailable: 'api_error',
};

/**
 * Stripe's error object, the body of every error answer as `{ error }`. A schema, so the OpenAPI
 * document describes errors from the same definition the handler's type comes from; there,
 * `payment_intent` is the view of the API that answered (merchant or widget).
 */
export const errorObjectSchema = z
  .object({
    type: z.enum(Object.values(ErrorType) as [ErrorType, ...ErrorType[]]),
    code: z.enum(SERVER_ERROR_CODES),
    message: z.string(),
    param: z.string().optional().describe("The parameter at fault, Stripe's spelling (`card[number]`, `metadata[order]`)"),
    decline_code: z.enum(Object.values(DeclineCode) as [DeclineCode, ...DeclineCode[]]).optional().describe('Card errors: why the issuer refused'),
    payment_intent: z.unknown().optional().describe('The intent as it stands after the failure (card errors, wrong state)'),
  })
  .strict();
export type ErrorObject = z.infer<typeof errorObjectSchema>;

export interface HttpResult {
  status: number;
  body: unknown;
  /**
   * What an idempotent request stores for its replays, when that must differ from what is sent:
   * a secret shown once is stored sealed, and the route's `replay` opens it again.
   */
  stored?: unknown;
}

/** How a route shows a payment intent inside an error (merchant view or widget view). */
export type IntentPresenter = ((intent: PaymentIntentRecord) => Promise<unknown>) & { shopperFacing?: boolean };

export function presenterOf(res: Response): IntentPresenter | undefined {
  return res.locals.presentIntent as IntentPresenter | undefined;
}

/** Errors thrown by body-parser, the router and friends carry a status and a type. */
function fromLibraryError(err: unknown): KassaError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500) return null;
  switch (e.type) {
    case 'entity.too.large':
    case 'parameters.too.many': {
      const limit = (err as { limit?: unknown }).limit;
      const most = typeof limit === 'number' && e.type === 'entity.too.large' ? ` (${Math.round(limit / 1024)} KB at most)` : '';
      return new KassaError(FailureKind.TooLarge, 'body_too_large', `The request body is too large${most}.`);
    }
    case 'entity.parse.failed':
      return new KassaError(FailureKind.InvalidRequest, 'invalid_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new KassaError(FailureKind.UnsupportedMediaType, 'unsupported_media_type', 'Unsupported content encoding or charset.');
    default:
      return new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', 'The request could not be read.');
  }
}

/** A response for a known failure, or null for a bug (which becomes a logged 500). */
export async function errorResult(err: unknown, present?: IntentPresenter): Promise<HttpResult | null> {
  const known = err instanceof KassaError ? err : fromLibraryError(err);
  if (!known) return null;
  const error: ErrorObject = { type: TYPE[known.kind], code: known.code, message: known.message };
  if (known.details.param) error.param = known.details.param;
  // The widget's answers tell a shopper no more than a plain decline for fraud or a reported card.
  if (known.details.declineCode) error.decline_code = present?.shopperFacing ? shopperDeclineCode(known.details.declineCode) : known.details.declineCode;
  if (known.details.paymentIntent && present) error.payment_intent = await present(known.details.paymentIntent);
  return { status: STATUS[known.kind], body: { error } };
}

/** What a bug answers: a 500 that says nothing about internals. */
export const UNEXPECTED_ERROR: HttpResult = {
  status: 500,
  body: { error: { type: 'api_error', code: 'api_error', message: 'An unexpected error occurred.' } },
};

export function notFoundHandler(): RequestHandler {
  return (req) => {
    throw new KassaError(FailureKind.NotFound, 'route_not_found', `Unrecognized request URL (${req.method} ${req.path}).`);
  };
}

export function methodNotAllowed(allowed: string): RequestHandler {
  return (req, res) => {
    res.set('Allow', allowed);
    throw new KassaError(FailureKind.MethodNotAllowed, 'method_not_allowed', `${req.method} is not allowed here; use ${allowed}.`);
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return async (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let result: HttpResult | null = null;
    try {
      result = await errorResult(err, presenterOf(res));
    } catch (presentError) {
      logger.error({ err: presentError }, 'failed to present an error');
    }
    if (!result) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      result = UNEXPECTED_ERROR;
    }
    if (err instanceof KassaError && err.details.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.details.retryAfterSeconds));
    res.status(result.status).json(result.body);
  };
}
