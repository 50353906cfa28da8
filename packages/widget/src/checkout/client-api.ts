/**
 * The two `/client` calls the checkout element makes. Every answer is untrusted input: it is
 * shape-checked here (without zod, to keep the script-tag bundle small) and turned into an
 * `ApiResult`, so the element's router only ever sees "an intent" or "an error".
 */
import { isPaymentStatus, looksLikeCurrency } from '@kassa/core';
import type { ClientPaymentIntent } from '@kassa/core/wire';
import { ClientErrorCode, type KassaErrorInit } from '../errors.js';

/** An error as the server (or the network) reported it; the element localizes `message`. */
export type ApiError = Omit<KassaErrorInit, 'message'> & { message?: string; cause?: unknown };

export type ApiResult =
  | { intent: ClientPaymentIntent; error?: undefined }
  | { error: ApiError; intent?: ClientPaymentIntent | undefined };

/** A wallet: no card frame; the shopper approves at Alipay or PayPal, on Kassa's page framed inside the element. */
export type Wallet = 'alipay' | 'paypal';

/** A card (a token, or a saved `pm_`), or a wallet made for this payment (Stripe's `payment_method_data`): never both. */
export type ConfirmBody =
  | { payment_method: string; setup_future_usage?: 'on_session' }
  | { payment_method_data: { type: Wallet } };

export class ClientApi {
  readonly #server: string;
  readonly #secret: string;

  /** `server` is the element's pinned Kassa origin (the client secret's `iss` was checked against it). */
  constructor(server: string, secret: string) {
    this.#server = server;
    this.#secret = secret;
  }

  getIntent(id: string, signal: AbortSignal): Promise<ApiResult> {
    return this.#request(id, '', signal);
  }

  confirm(id: string, body: ConfirmBody, idempotencyKey: string, signal: AbortSignal): Promise<ApiResult> {
    return this.#request(id, '/confirm', signal, body, idempotencyKey);
  }

  /** GET the intent, or (with a body) POST to one of its actions under an idempotency key. */
  async #request(id: string, action: string, signal: AbortSignal, body?: ConfirmBody, idempotencyKey?: string): Promise<ApiResult> {
    let response: Response;
    try {
      response = await fetch(new URL(`/client/payment_intents/${encodeURIComponent(id)}${action}`, this.#server), {
        method: body ? 'POST' : 'GET',
        signal,
        mode: 'cors',
        // The client secret is the only credential; cookies of the Kassa origin are never sent.
        credentials: 'omit',
        headers: body
          ? { Authorization: `Bearer ${this.#secret}`, 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey! }
          : { Authorization: `Bearer ${this.#secret}` },
        body: body && JSON.stringify(body),
      });
    } catch (cause) {
      return { error: { type: 'api_connection_error', code: ClientErrorCode.NetworkError, cause } };
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch (cause) {
      // A proxy's HTML error page, or the connection dropped mid-body.
      return { error: unexpected(response.status, cause) };
    }
    if (response.ok) {
      return isClientIntent(json) ? { intent: json } : { error: unexpected(response.status) };
    }
    return readError(json, response.status);
  }
}

function unexpected(status: number, cause?: unknown): ApiError {
  return {
    type: status >= 500 || status === 0 ? 'api_error' : 'invalid_request_error',
    code: ClientErrorCode.Unexpected,
    cause,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Enough to render and route safely: a known status, an integer amount and a currency code
 * (its shape only: the ISO table stays out of the bundle, and the server sends only currencies
 * it charges).
 */
export function isClientIntent(value: unknown): value is ClientPaymentIntent {
  if (!isRecord(value)) return false;
  const saved = value.saved_payment_method;
  return (
    typeof value.id === 'string' &&
    Number.isSafeInteger(value.amount) &&
    looksLikeCurrency(value.currency) &&
    isPaymentStatus(value.status) &&
    (!saved || (isRecord(saved) && typeof saved.id === 'string' && typeof saved.last4 === 'string'))
  );
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The server's error, and the intent it carries (a 402's, back in `requires_payment_method`) for the failed event. */
function readError(json: unknown, status: number): ApiResult & { error: ApiError } {
  const e: Record<string, unknown> = isRecord(json) && isRecord(json.error) ? json.error : {};
  return {
    error:
      typeof e.code === 'string'
        ? {
            type: (str(e.type) ?? 'api_error') as ApiError['type'],
            code: e.code,
            decline_code: str(e.decline_code),
            param: str(e.param),
            message: str(e.message),
          }
        : unexpected(status),
    intent: isClientIntent(e.payment_intent) ? e.payment_intent : undefined,
  };
}
