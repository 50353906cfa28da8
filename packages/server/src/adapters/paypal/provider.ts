/**
 * The PayPal adapter: Kassa's provider port on PayPal's Orders v2 and Payments v2 REST APIs, for
 * the PayPal wallet (the shopper approves at PayPal, then Kassa captures or authorizes the order).
 *
 * Plain `fetch`, not @paypal/paypal-server-sdk: the SDK (2.5.0) only knows two base URLs, PayPal's
 * live and sandbox hosts (`getBaseUri` throws for anything else), so it cannot be pointed at a
 * local fake, and it speaks axios, whose errors do not say whether the request left before a
 * connection failed. See README.md for the whole reasoning.
 *
 * Three things shape it:
 *
 *   - One PayPal-Request-Id per PayPal call, derived from the port's key and the step
 *     (`${key}:create`, `${key}:capture-order`, ...). PayPal answers a repeated request id with
 *     the latest state of what the first request did, and never acts twice, so a port call made
 *     again (after a timeout, a crash) replays each step.
 *   - Exact recovery from the order. Every later fact — captured, authorized, voided, refunded —
 *     is on the order (`GET /v2/checkout/orders/{id}`, `purchase_units[0].payments`), which
 *     PayPal keeps for good; only a lost create has no order id, and lookup replays that create
 *     (it moves no money) while PayPal still holds its request id.
 *   - Kassa owns retries and deadlines: no retries here (but one: a 401 for an expired token,
 *     which PayPal refused before acting, is sent again with a fresh token), and every request
 *     runs under the port's AbortSignal joined with the adapter's own timeout.
 *
 * The client secret (Sensitive) is revealed only to build the Basic header of the token request;
 * neither it nor the access token appears in errors, messages or logs.
 */
import { createHash } from 'node:crypto';
import type { Currency } from '@kassa/core';
import type {
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  CompleteActionRequest,
  LookupRequest,
  PaymentCallRequest,
  PaymentProvider,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderNotification,
  ProviderOutcome,
  RefundOutcome,
  Sensitive,
} from '../../domain/ports.js';
import { NotificationRejected, ProviderFailure } from '../../domain/ports.js';
import {
  approvalLink,
  captureOutcome,
  formatRef,
  isDeclineIssue,
  orderOutcome,
  orderStatusOf,
  parseRef,
  refundOutcome,
  refusalFor,
  toPayPalValue,
} from './mapping.js';
import type { AuthorizationView, CaptureView, OrderView, PayPalRef, RefundView } from './mapping.js';

export const PAYPAL_SANDBOX_API = 'https://api-m.sandbox.paypal.com';
export const PAYPAL_LIVE_API = 'https://api-m.paypal.com';

export interface PayPalProviderConfig {
  /** The name intents record (default `paypal`). */
  name?: string | undefined;
  clientId: string;
  clientSecret: Sensitive;
  /** PayPal's REST host: the sandbox by default; `PAYPAL_LIVE_API` for live; the fake's URL in tests. */
  apiBase?: string | undefined;
  /** The webhook's id in the PayPal app (Developer Dashboard): needed to verify notifications. */
  webhookId?: string | undefined;
  /** Where PayPal sends the shopper after approving, for Kassa's intent; PayPal appends `token` (the order id) and `PayerID`. */
  returnUrl: (reference: string) => string;
  /** Where PayPal sends a shopper who cancels at PayPal; default the return URL (Kassa then finds the order not approved). */
  cancelUrl?: ((reference: string) => string) | undefined;
  /** The longest one PayPal request may take when the caller's signal does not end it first. Default 30 s. */
  timeoutMs?: number | undefined;
  /** For tests of the request-id retention; default Date.now. */
  now?: (() => number) | undefined;
}

/**
 * How long PayPal keeps an Orders v2 PayPal-Request-Id: "The server stores keys for 6 hours"
 * (Orders v2 reference; up to 72 h by arrangement), less a margin. Past it a replayed create
 * could make a new order, and its answer would not be the lost one's.
 */
export const ORDER_KEY_RETENTION_MS = 5 * 60 * 60 * 1000;

/** PayPal's web host (the approval page) beside each API host. */
const WEB_HOSTS: Readonly<Record<string, string>> = {
  'api-m.paypal.com': 'www.paypal.com',
  'api.paypal.com': 'www.paypal.com',
  'api-m.sandbox.paypal.com': 'www.sandbox.paypal.com',
  'api.sandbox.paypal.com': 'www.sandbox.paypal.com',
};

/** PayPal documents PayPal-Request-Id for Orders v2 as at most 108 characters. */
const MAX_REQUEST_ID = 108;
/** custom_id is at most 127 characters. */
const MAX_CUSTOM_ID = 127;

/** PayPal's currencies (developer.paypal.com/api/rest/reference/currency-codes), less HUF and TWD (see README). */
export const PAYPAL_CURRENCIES = [
  'aud', 'brl', 'cad', 'cny', 'czk', 'dkk', 'eur', 'hkd', 'ils', 'jpy', 'myr', 'mxn', 'nzd', 'nok', 'php', 'pln', 'gbp', 'sgd', 'sek', 'chf', 'thb', 'usd',
] as const satisfies readonly Currency[];

/** Connection errors raised before a byte of the request left (nothing can have happened). */
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** 422 issues that refuse a capture of an authorization for its state: the answer "no" (`failed`). */
const CAPTURE_REFUSALS = new Set([
  'AUTHORIZATION_ALREADY_CAPTURED', 'AUTHORIZATION_VOIDED', 'AUTHORIZATION_EXPIRED', 'AUTHORIZATION_DENIED',
  'MAX_CAPTURE_AMOUNT_EXCEEDED', 'MAX_CAPTURE_COUNT_EXCEEDED', 'PREVIOUSLY_CAPTURED', 'PREVIOUSLY_VOIDED',
]);
/** 422 issues that refuse a void for the authorization's state. */
const VOID_REFUSALS = new Set(['PREVIOUSLY_CAPTURED', 'PREVIOUSLY_VOIDED', 'CANNOT_BE_VOIDED', 'AUTHORIZATION_ALREADY_CAPTURED', 'AUTHORIZATION_EXPIRED']);
/** 422 issues that refuse a refund for the capture's state. */
const REFUND_REFUSALS = new Set([
  'REFUND_AMOUNT_EXCEEDED', 'CAPTURE_FULLY_REFUNDED', 'REFUND_NOT_ALLOWED', 'REFUND_TIME_LIMIT_EXCEEDED', 'PENDING_CAPTURE',
  'REFUND_FAILED_INSUFFICIENT_FUNDS', 'TRANSACTION_DISPUTED', 'MAX_NUMBER_OF_REFUNDS_EXCEEDED',
]);

type Step = 'create' | 'capture-order' | 'authorize-order' | 'capture' | 'void' | 'refund';

interface Exchange {
  status: number;
  body: unknown;
  /** Whether the request could act (a POST): a 5xx to a read moved nothing. */
  acts: boolean;
}

/** One port call: whether a request that may have acted was already sent (then every later failure is ambiguous). */
interface Call {
  signal: AbortSignal | undefined;
  acted: boolean;
}

interface ErrorView {
  name?: string;
  message?: string;
  debug_id?: string;
  details?: { issue?: string; description?: string; field?: string }[];
  error?: string;
  error_description?: string;
}

export class PayPalProvider implements PaymentProvider {
  readonly name: string;
  readonly type = 'paypal';
  readonly capabilities: ProviderCapabilities = {
    manualCapture: true, // intent AUTHORIZE, then capture the authorization
    partialCapture: true, // capture less than authorized, final_capture: true releases the rest
    multipleCapture: false,
    savedMethods: false, // vaulting at PayPal is another product, not used
    nextActions: ['redirect'], // the approval page; the wallet has no card challenge
    cancel: true, // void the authorization
    refund: true, // several partial refunds of the capture, never more than captured
    lookup: true, // the order's payments; a lost create by replaying its request id
    paymentMethods: ['paypal'],
    currencies: PAYPAL_CURRENCIES,
    notifications: true, // verified by PayPal's verify-webhook-signature
  };

  readonly #base: string;
  readonly #clientId: string;
  readonly #clientSecret: Sensitive;
  readonly #webhookId: string | undefined;
  readonly #returnUrl: (reference: string) => string;
  readonly #cancelUrl: (reference: string) => string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;
  #pendingToken: Promise<{ value: string; expiresAt: number }> | undefined;

  constructor(config: PayPalProviderConfig) {
    this.name = config.name ?? 'paypal';
    if (!config.clientId) throw new TypeError('PayPal needs a client id');
    this.#base = (config.apiBase ?? PAYPAL_SANDBOX_API).replace(/\/+$/, '');
    new URL(this.#base); // a bad base URL fails here, at configuration, not at the first payment
    this.#clientId = config.clientId;
    this.#clientSecret = config.clientSecret;
    this.#webhookId = config.webhookId;
    this.#returnUrl = config.returnUrl;
    this.#cancelUrl = config.cancelUrl ?? config.returnUrl;
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.#now = config.now ?? Date.now;
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    if (request.method.type !== 'paypal') {
      throw new ProviderFailure('definite', `this provider does not take ${request.method.type} payments`, 'unsupported_payment_method');
    }
    if (request.offSession) {
      // Without a vaulted billing agreement (not supported) every PayPal payment needs the payer to approve it.
      return { status: 'declined', declineCode: 'authentication_required', message: 'A PayPal payment needs the payer to approve it at PayPal.', rawCode: 'PAYER_ACTION_REQUIRED' };
    }
    return this.#run(request, async (call) => {
      const ex = await this.#createOrder(call, request);
      if (!ok(ex)) throw this.#failure(call, ex, 'create the order');
      return this.#created(ex.body as OrderView);
    });
  }

  /**
   * After the shopper came back from PayPal (`details`: the return URL's `token` and `PayerID`), or
   * when a notification says the order moved: read the order; approved → capture or authorize it.
   * Repeating it is safe: a completed order answers what was done, and the capture or authorize
   * request replays under its request id.
   */
  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    const ref = parseRef(request.reference);
    const token = request.details?.token;
    if (token !== undefined && token !== ref.orderId) {
      throw new ProviderFailure('definite', `the shopper came back for PayPal order ${token.slice(0, 40)}, not this payment's order`, 'token_mismatch');
    }
    return this.#run(request, async (call) => {
      const order = await this.#order(call, ref.orderId);
      const now = outcomeOf(order, request.currency);
      if (now) return now;
      // APPROVED: the payer said yes; the money moves only with this call.
      const intent = request.capture ? 'CAPTURE' : 'AUTHORIZE';
      if (order.intent !== undefined && order.intent !== intent) {
        throw new ProviderFailure('definite', `the order was made to ${order.intent.toLowerCase()}, not to ${intent.toLowerCase()}`, 'intent_mismatch');
      }
      const step = request.capture ? 'capture-order' : 'authorize-order';
      const ex = await this.#send(call, {
        method: 'POST',
        path: `/v2/checkout/orders/${encodeURIComponent(order.id)}/${request.capture ? 'capture' : 'authorize'}`,
        body: '{}',
        requestId: requestIdFor(request.idempotencyKey, step),
        acts: true,
      });
      if (ok(ex)) {
        const outcome = orderOutcome(ex.body as OrderView, request.currency);
        if (!outcome || outcome.status === 'requires_action') {
          throw new ProviderFailure('ambiguous', `PayPal answered the ${intent.toLowerCase()} of order ${order.id} with status ${String((ex.body as OrderView).status)}`, String((ex.body as OrderView).status));
        }
        return outcome;
      }
      const issue = issueOf(ex);
      if (ex.status === 422 && issue && isDeclineIssue(issue)) return { status: 'declined', ...refusalFor(issue, descriptionOf(ex)) };
      if (ex.status === 422 && (issue === 'ORDER_ALREADY_CAPTURED' || issue === 'ORDER_ALREADY_AUTHORIZED')) {
        // Done already (an earlier call under another key): the order says how.
        const done = orderOutcome(await this.#order(call, order.id), request.currency);
        if (done && done.status !== 'requires_action') return done;
      }
      throw this.#failure(call, ex, `${intent.toLowerCase()} the order`);
    });
  }

  async capture(request: PaymentCallRequest): Promise<CaptureOutcome> {
    const ref = authorizationOf(request.reference, 'capture');
    return this.#run(request, async (call) => {
      const ex = await this.#send(call, {
        method: 'POST',
        path: `/v2/payments/authorizations/${encodeURIComponent(ref.id)}/capture`,
        // final_capture: Kassa captures once; PayPal then releases what is left of the hold.
        body: JSON.stringify({ amount: money(request.amount, request.currency), final_capture: true }),
        requestId: requestIdFor(request.idempotencyKey, 'capture'),
        acts: true,
      });
      if (ok(ex)) return captureOutcome(ex.body as CaptureView, request.currency);
      const issue = issueOf(ex);
      if (ex.status === 422 && issue && CAPTURE_REFUSALS.has(issue)) return { status: 'failed', declineCode: 'processing_error', message: descriptionOf(ex), rawCode: issue };
      if (ex.status === 422 && issue && isDeclineIssue(issue)) return { status: 'failed', ...refusalFor(issue, descriptionOf(ex)) };
      throw this.#failure(call, ex, 'capture the authorization');
    });
  }

  /**
   * Voids an authorization; for an order still waiting for the shopper (or approved, not yet
   * captured), marks the order canceled at PayPal (Orders v2 has no cancel: the order is patched
   * with a description PayPal shows the payer, and completeAction never captures a marked order).
   */
  async cancel(request: PaymentCallRequest): Promise<CancelOutcome> {
    const parsed = parseRef(request.reference);
    if (parsed.kind === 'capture') return { status: 'failed', declineCode: 'processing_error', message: 'The payment is captured: refund it instead.', rawCode: 'ALREADY_CAPTURED' };
    if (parsed.kind === 'order') return this.#run(request, (call) => this.#cancelOrder(call, parsed.orderId));
    const ref = parsed;
    return this.#run(request, async (call) => {
      const ex = await this.#send(call, {
        method: 'POST',
        path: `/v2/payments/authorizations/${encodeURIComponent(ref.id)}/void`,
        requestId: requestIdFor(request.idempotencyKey, 'void'),
        acts: true,
      });
      if (ex.status === 204) return { status: 'canceled' };
      if (ok(ex)) {
        const status = (ex.body as AuthorizationView | undefined)?.status;
        if (status === 'VOIDED') return { status: 'canceled' };
        throw new ProviderFailure('ambiguous', `PayPal answered a void with status ${String(status)}`, String(status));
      }
      const issue = issueOf(ex);
      if (ex.status === 422 && issue && VOID_REFUSALS.has(issue)) return { status: 'failed', declineCode: 'processing_error', message: descriptionOf(ex), rawCode: issue };
      throw this.#failure(call, ex, 'void the authorization');
    });
  }

  async refund(request: PaymentCallRequest): Promise<RefundOutcome> {
    const ref = parseRef(request.reference);
    if (ref.kind === 'order') throw new ProviderFailure('definite', 'nothing was captured on this PayPal order yet', 'not_captured');
    return this.#run(request, async (call) => {
      const captureId = ref.kind === 'capture' ? ref.id : (await this.#captureOfAuthorization(call, ref))?.id;
      if (!captureId) return { status: 'failed', declineCode: 'processing_error', message: 'Nothing was captured on this authorization.', rawCode: 'NOT_CAPTURED' };
      const ex = await this.#send(call, {
        method: 'POST',
        path: `/v2/payments/captures/${encodeURIComponent(captureId)}/refund`,
        // custom_id carries the key so lookup finds this refund among the order's.
        body: JSON.stringify({ amount: money(request.amount, request.currency), custom_id: tagFor(request.idempotencyKey) }),
        requestId: requestIdFor(request.idempotencyKey, 'refund'),
        acts: true,
      });
      if (ok(ex)) return refundOutcome(ex.body as RefundView, request.currency);
      const issue = issueOf(ex);
      if (ex.status === 422 && issue && REFUND_REFUSALS.has(issue)) return { status: 'failed', declineCode: 'processing_error', message: descriptionOf(ex), rawCode: issue };
      throw this.#failure(call, ex, 'refund the capture');
    });
  }

  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    return this.#run(request, async (call): Promise<ProviderOutcome | null> => {
      const operation = request.operation;
      switch (operation) {
        case 'authorize': {
          if (request.providerRef) {
            // The authorize call's own answer is the approval redirect, whatever happened since (complete_action's).
            return { operation, outcome: this.#created(await this.#order(call, parseRef(request.providerRef).orderId)) };
          }
          // PayPal answers a request id it holds with "the latest status of the previous request",
          // whatever the body; a new id is validated like any request. So the create is probed
          // under its request id with a body PayPal must refuse: the order the first create made
          // comes back, or — never sent, or refused as written — a 400 creates nothing.
          if (this.#now() - request.madeAt > ORDER_KEY_RETENTION_MS) {
            throw new ProviderFailure('ambiguous', 'the order was created longer ago than PayPal keeps its PayPal-Request-Id (6 hours): reconcile it by custom_id', 'key_expired');
          }
          const ex = await this.#send(call, { method: 'POST', path: '/v2/checkout/orders', body: PROBE, requestId: requestIdFor(request.idempotencyKey, 'create'), acts: false });
          if (ok(ex)) return { operation, outcome: this.#created(ex.body as OrderView) };
          if (ex.status === 400) return null;
          throw this.#failure(call, ex, 'look the order up by its request id');
        }
        case 'complete_action': {
          const order = await this.#order(call, this.#lookupRef(request).orderId);
          const outcome = outcomeOf(order, request.currency);
          // Approved or still with the payer: no capture or authorization exists, so the call did
          // nothing that moved money (made again under its key, a saved decline is replayed).
          if (outcome === null || outcome.status === 'requires_action') return null;
          return { operation, outcome };
        }
        case 'capture': {
          const ref = this.#lookupRef(request);
          if (ref.kind !== 'authorization') throw new ProviderFailure('ambiguous', 'a capture lookup needs the authorization reference', 'invalid_reference');
          const order = await this.#order(call, ref.orderId);
          const auth = order.purchase_units?.[0]?.payments?.authorizations?.find((a) => a.id === ref.id);
          if (!auth) throw new ProviderFailure('ambiguous', `the authorization ${ref.id} is not on its order`, 'not_found');
          if (auth.status === 'PENDING') throw new ProviderFailure('ambiguous', 'the authorization is PENDING at PayPal', 'PENDING');
          // Captured is a state of the authorization (Kassa captures it once, final_capture): not captured → this capture did not happen.
          if (auth.status !== 'CAPTURED' && auth.status !== 'PARTIALLY_CAPTURED') return null;
          const capture = captureOf(order, ref.id);
          if (!capture) throw new ProviderFailure('ambiguous', `the authorization ${ref.id} is ${auth.status} but its capture is not on the order`, 'not_found');
          return { operation, outcome: captureOutcome(capture, request.currency) };
        }
        case 'cancel': {
          const ref = this.#lookupRef(request);
          if (ref.kind === 'order') return isCanceled(await this.#order(call, ref.orderId)) ? { operation, outcome: { status: 'canceled' } } : null;
          if (ref.kind !== 'authorization') throw new ProviderFailure('ambiguous', 'a cancel lookup needs the authorization or order reference', 'invalid_reference');
          const order = await this.#order(call, ref.orderId);
          const auth = order.purchase_units?.[0]?.payments?.authorizations?.find((a) => a.id === ref.id);
          if (!auth) throw new ProviderFailure('ambiguous', `the authorization ${ref.id} is not on its order`, 'not_found');
          if (auth.status === 'PENDING') throw new ProviderFailure('ambiguous', 'the authorization is PENDING at PayPal', 'PENDING');
          return auth.status === 'VOIDED' ? { operation, outcome: { status: 'canceled' } } : null;
        }
        case 'refund': {
          const ref = this.#lookupRef(request);
          const order = await this.#order(call, ref.orderId);
          const tag = tagFor(request.idempotencyKey);
          const mine = order.purchase_units?.[0]?.payments?.refunds?.find((r) => r.custom_id === tag);
          return mine ? { operation, outcome: refundOutcome(mine, request.currency) } : null;
        }
        default: {
          const unknown: never = operation;
          throw new ProviderFailure('definite', `unknown operation ${String(unknown)}`);
        }
      }
    });
  }

  /**
   * Verifies a webhook by PayPal's documented call, POST /v1/notifications/verify-webhook-signature,
   * with the transmission headers and the event exactly as received: the raw body is spliced into
   * the verification request unparsed, because PayPal checks its own signature over the bytes it
   * sent (a re-serialized event, with other spacing or key order, would not verify).
   */
  async parseNotification(raw: Buffer, headers: Readonly<Record<string, string | undefined>>): Promise<{ notifications: ProviderNotification[]; ack: string }> {
    if (!this.#webhookId) throw new NotificationRejected('no PayPal webhook id is configured: notifications cannot be verified');
    const header = (name: string): string => {
      const value = headers[name] ?? headers[name.toLowerCase()];
      if (!value) throw new NotificationRejected(`the ${name} header is missing`);
      return value;
    };
    const transmission = {
      auth_algo: header('paypal-auth-algo'),
      cert_url: header('paypal-cert-url'),
      transmission_id: header('paypal-transmission-id'),
      transmission_sig: header('paypal-transmission-sig'),
      transmission_time: header('paypal-transmission-time'),
      webhook_id: this.#webhookId,
    };
    const text = raw.toString('utf8');
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw new NotificationRejected('the notification body is not JSON');
    }
    if (!isObject(event) || typeof event.id !== 'string' || typeof event.event_type !== 'string' || !isObject(event.resource)) {
      throw new NotificationRejected('the notification is not a PayPal event');
    }
    // Valid JSON by the parse above, so splicing it in keeps the request valid JSON.
    const body = `${JSON.stringify(transmission).slice(0, -1)},"webhook_event":${text}}`;
    const call: Call = { signal: undefined, acted: false };
    let ex: Exchange;
    try {
      ex = await this.#send(call, { method: 'POST', path: '/v1/notifications/verify-webhook-signature', body, acts: false });
    } catch (error) {
      throw classify(error); // not a rejection: PayPal redelivers a notification Kassa did not acknowledge
    }
    if (!ok(ex)) throw this.#failure(call, ex, 'verify the webhook signature');
    const status = (ex.body as { verification_status?: unknown } | undefined)?.verification_status;
    if (status !== 'SUCCESS') throw new NotificationRejected(`PayPal did not verify the notification (${String(status)})`);
    return { notifications: [notificationOf(event as { id: string; event_type: string; resource_type?: unknown; resource: Record<string, unknown> })], ack: '' };
  }

  // ---- internals ----

  #createOrder(call: Call, r: { idempotencyKey: string; amount: number; currency: Currency; capture: boolean; reference: string }): Promise<Exchange> {
    const body = {
      intent: r.capture ? 'CAPTURE' : 'AUTHORIZE',
      // reference_id named, as PayPal defaults it, so a cancel can patch this unit by it.
      purchase_units: [{ reference_id: 'default', custom_id: r.reference, amount: money(r.amount, r.currency) }],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: this.#returnUrl(r.reference),
            cancel_url: this.#cancelUrl(r.reference),
            user_action: 'PAY_NOW',
            shipping_preference: 'NO_SHIPPING',
          },
        },
      },
    };
    // Orders can be created at will; nothing moves until Kassa captures or authorizes one, so a
    // create PayPal may have acted on is not yet a payment. It still counts as acting: a lost
    // create leaves an order Kassa should find again (lookup replays it).
    return this.#send(call, { method: 'POST', path: '/v2/checkout/orders', body: JSON.stringify(body), requestId: requestIdFor(r.idempotencyKey, 'create'), acts: true });
  }

  /**
   * The answer to a create, or to its replay: the approval redirect. PayPal replays a create with
   * the order's latest state; once the payer approved it (or it was captured) the approval link is
   * no longer in it, so it is rebuilt the way PayPal writes it (`/checkoutnow?token=<order>` on
   * PayPal's web host) — the first answer, as the port wants a repeat answered.
   */
  #created(order: OrderView): AuthorizeOutcome {
    if (!isObject(order) || typeof order.id !== 'string') throw new ProviderFailure('ambiguous', 'PayPal answered the order create without an order', 'unreadable');
    const status = orderStatusOf(order);
    const link = status === 'CREATED' || status === 'PAYER_ACTION_REQUIRED' ? approvalLink(order) : this.#approvalUrl(order.id);
    if (!link) throw new ProviderFailure('ambiguous', `PayPal's order ${order.id} waits for the payer but names no approval link`, status);
    return { status: 'requires_action', reference: formatRef({ kind: 'order', orderId: order.id }), action: { type: 'redirect', url: link } };
  }

  /** PayPal's approval page for an order: www.paypal.com / www.sandbox.paypal.com beside the API host; the same host elsewhere (a fake). */
  #approvalUrl(orderId: string): string {
    const base = new URL(this.#base);
    const web = WEB_HOSTS[base.hostname];
    return `${web ? `https://${web}` : base.origin}/checkoutnow?token=${encodeURIComponent(orderId)}`;
  }

  async #cancelOrder(call: Call, orderId: string): Promise<CancelOutcome> {
    const order = await this.#order(call, orderId);
    if (isCanceled(order)) return { status: 'canceled' };
    const status = orderStatusOf(order);
    if (status === 'VOIDED' && !order.purchase_units?.[0]?.payments) return { status: 'canceled' }; // PayPal voided it: nothing can be taken
    if (status !== 'CREATED' && status !== 'PAYER_ACTION_REQUIRED' && status !== 'APPROVED') {
      return { status: 'failed', declineCode: 'processing_error', message: `The order is ${status}: cancel its authorization instead.`, rawCode: `ORDER_${status}` };
    }
    // A JSON Patch is idempotent by itself (PATCH takes no PayPal-Request-Id): repeating it is safe.
    const ex = await this.#send(call, {
      method: 'PATCH',
      path: `/v2/checkout/orders/${encodeURIComponent(orderId)}`,
      body: JSON.stringify([{ op: 'add', path: "/purchase_units/@reference_id=='default'/description", value: CANCELED_DESCRIPTION }]),
      acts: true,
    });
    if (ok(ex)) return { status: 'canceled' };
    if (ex.status === 422 && issueOf(ex) === 'ORDER_COMPLETED_OR_VOIDED') {
      return { status: 'failed', declineCode: 'processing_error', message: 'The order was completed meanwhile: cancel its authorization instead.', rawCode: 'ORDER_COMPLETED_OR_VOIDED' };
    }
    throw this.#failure(call, ex, 'mark the order canceled');
  }

  async #order(call: Call, orderId: string): Promise<OrderView> {
    const ex = await this.#send(call, { method: 'GET', path: `/v2/checkout/orders/${encodeURIComponent(orderId)}`, acts: false });
    if (!ok(ex) || !isObject(ex.body) || typeof ex.body.id !== 'string') throw this.#failure(call, ex, 'read the order');
    return ex.body as unknown as OrderView;
  }

  async #captureOfAuthorization(call: Call, ref: Extract<PayPalRef, { kind: 'authorization' }>): Promise<CaptureView | undefined> {
    return captureOf(await this.#order(call, ref.orderId), ref.id);
  }

  #lookupRef(request: LookupRequest): PayPalRef {
    if (!request.providerRef) throw new ProviderFailure('ambiguous', `a ${request.operation} lookup needs PayPal's order reference`, 'no_reference');
    return parseRef(request.providerRef);
  }

  /** An access token (OAuth 2 client credentials), cached until shortly before it expires. */
  async #accessToken(call: Call, fresh: boolean): Promise<string> {
    if (!fresh && this.#token && this.#token.expiresAt - 60_000 > this.#now()) return this.#token.value;
    this.#pendingToken ??= this.#fetchToken(call.signal).finally(() => (this.#pendingToken = undefined));
    try {
      this.#token = await this.#pendingToken;
    } catch (error) {
      // No payment request was sent with this call yet: nothing can have moved.
      const e = classify(error);
      throw new ProviderFailure(call.acted ? 'ambiguous' : 'definite', e.message, e.rawCode);
    }
    return this.#token.value;
  }

  async #fetchToken(signal: AbortSignal | undefined): Promise<{ value: string; expiresAt: number }> {
    const basic = Buffer.from(`${this.#clientId}:${this.#clientSecret.reveal()}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(`${this.#base}/v1/oauth2/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: 'grant_type=client_credentials',
        signal: this.#signal(signal),
      });
    } catch (error) {
      throw new ProviderFailure('definite', `could not get a PayPal access token (${connectionCode(error) ?? (signal?.aborted ? "Kassa's deadline" : 'no answer')})`, connectionCode(error) ?? 'oauth_unreachable');
    }
    const body = await readJson(res).catch(() => undefined);
    const token = isObject(body) ? body : {};
    if (res.status !== 200 || typeof token.access_token !== 'string') {
      const raw = typeof token.error === 'string' ? token.error : `http_${res.status}`;
      const why = typeof token.error_description === 'string' ? `: ${this.#scrub(token.error_description)}` : '';
      throw new ProviderFailure('definite', `PayPal refused the access token request (${res.status} ${raw})${why}`, raw);
    }
    const seconds = typeof token.expires_in === 'number' && token.expires_in > 0 ? token.expires_in : 0;
    return { value: token.access_token, expiresAt: this.#now() + seconds * 1000 };
  }

  /** One request to PayPal's REST API, with the bearer token; failures without an answer classified here. */
  async #send(call: Call, r: { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: string; requestId?: string; acts: boolean }): Promise<Exchange> {
    let retried = false;
    for (;;) {
      const token = await this.#accessToken(call, retried);
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
      if (r.method === 'POST') {
        headers['Content-Type'] = 'application/json';
        // The whole resource in every answer, so a replay shows its latest state.
        headers.Prefer = 'return=representation';
      } else if (r.method === 'PATCH') headers['Content-Type'] = 'application/json';
      if (r.requestId) headers['PayPal-Request-Id'] = r.requestId;
      const uncertain = r.acts || call.acted;
      let res: Response;
      try {
        if (call.signal?.aborted) throw new ProviderFailure(call.acted ? 'ambiguous' : 'definite', "Kassa's deadline passed before the request to PayPal was sent");
        res = await fetch(`${this.#base}${r.path}`, { method: r.method, headers, ...(r.body !== undefined ? { body: r.body } : {}), signal: this.#signal(call.signal) });
      } catch (error) {
        if (error instanceof ProviderFailure) throw error;
        const code = connectionCode(error);
        if (code && BEFORE_SENDING.has(code) && !call.acted) throw new ProviderFailure('definite', `could not reach PayPal (${code})`, code);
        const why = call.signal?.aborted ? "Kassa's deadline" : (code ?? (isTimeout(error) ? 'timeout' : 'connection lost'));
        if (r.acts) call.acted = true;
        throw new ProviderFailure(uncertain ? 'ambiguous' : 'definite', `no answer from PayPal (${why})`, code ?? why);
      }
      let body: unknown;
      try {
        body = await readJson(res);
      } catch {
        if (r.acts) call.acted = true;
        throw new ProviderFailure(uncertain ? 'ambiguous' : 'definite', `PayPal's answer (${res.status}) could not be read`, `http_${res.status}`);
      }
      // An expired or revoked token: PayPal refused the request before acting; once with a fresh token.
      if (res.status === 401 && !retried && isObject(body) && body.error === 'invalid_token') {
        retried = true;
        this.#token = undefined;
        continue;
      }
      if (r.acts && res.status >= 200 && res.status < 300) call.acted = true;
      return { status: res.status, body, acts: r.acts };
    }
  }

  /** A PayPal error answer as the port's failure (see ProviderFailure). */
  #failure(call: Call, ex: Exchange, what: string): ProviderFailure {
    const e = (isObject(ex.body) ? ex.body : {}) as ErrorView;
    const raw = e.details?.[0]?.issue ?? e.name ?? e.error ?? `http_${ex.status}`;
    const detail = this.#scrub([e.name ?? e.error, e.details?.[0]?.issue, e.details?.[0]?.description ?? e.message ?? e.error_description].filter(Boolean).join(': '));
    const message = `PayPal could not ${what} (${ex.status}${detail ? ` ${detail}` : ''}${e.debug_id ? `, debug_id ${e.debug_id}` : ''})`;
    // Another request under the same PayPal-Request-Id is still running: this one did nothing,
    // but the first may act — so not definite, or Kassa could settle a payment that is happening.
    if (ex.status === 409) return new ProviderFailure('ambiguous', message, raw);
    if (call.acted) return new ProviderFailure('ambiguous', message, raw);
    // 4xx (400 validation, 401/403 credentials, 404 unknown id, 422 business rule, 429 rate
    // limit): PayPal refused the request itself and did not act on it.
    if (ex.status >= 400 && ex.status < 500) return new ProviderFailure('definite', message, raw);
    // 5xx: PayPal documents none as side-effect free (it says to retry with the same
    // PayPal-Request-Id), so a POST may have acted. A read acts on nothing.
    if (ex.status >= 500) return new ProviderFailure(ex.acts ? 'ambiguous' : 'definite', message, raw);
    return new ProviderFailure('ambiguous', `PayPal answered ${what} with an unexpected ${ex.status}`, `http_${ex.status}`);
  }

  #signal(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  /** PayPal's text, without the secret or the token should it ever quote them. */
  #scrub(text: string): string {
    let out = text;
    for (const secret of [this.#clientSecret.reveal(), this.#token?.value]) if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]');
    return out.slice(0, 300);
  }

  /** Runs a port call, and turns whatever escapes into a ProviderFailure. */
  async #run<T>(options: ProviderCallOptions, run: (call: Call) => Promise<T>): Promise<T> {
    const call: Call = { signal: options.signal, acted: false };
    if (options.signal?.aborted) throw new ProviderFailure('definite', 'the deadline passed before the call to PayPal was made');
    try {
      return await run(call);
    } catch (error) {
      const e = classify(error);
      // Once a request that may have acted went out, nothing later in the call can be definite.
      throw call.acted && e.certainty === 'definite' ? new ProviderFailure('ambiguous', e.message, e.rawCode) : e;
    }
  }
}

// ---- helpers ----

/** The description a canceled order is patched with (PayPal shows it to a payer who opens the link). */
export const CANCELED_DESCRIPTION = 'Canceled by the merchant';

/**
 * A create PayPal refuses as written (no purchase unit), sent only under a request id to learn
 * whether PayPal holds it: a held id answers its order whatever the body, a new one gets a 400.
 */
const PROBE = JSON.stringify({ intent: 'CAPTURE', purchase_units: [] });

function isCanceled(order: OrderView): boolean {
  return order.status !== 'COMPLETED' && order.purchase_units?.[0]?.description === CANCELED_DESCRIPTION;
}

/** The order's outcome, with Kassa's cancel mark honoured: a canceled order is never captured. */
function outcomeOf(order: OrderView, currency: Currency): AuthorizeOutcome | null {
  if (isCanceled(order)) return { status: 'declined', declineCode: 'processing_error', message: 'The payment was canceled.', rawCode: 'CANCELED_BY_MERCHANT' };
  return orderOutcome(order, currency);
}

function ok(ex: Exchange): boolean {
  return ex.status >= 200 && ex.status < 300;
}

function money(amount: number, currency: Currency): { currency_code: string; value: string } {
  return { currency_code: currency.toUpperCase(), value: toPayPalValue(amount, currency) };
}


/** The capture made on an authorization: the order's capture whose `up` link is that authorization. */
function captureOf(order: OrderView, authorizationId: string): CaptureView | undefined {
  const suffix = `/v2/payments/authorizations/${authorizationId}`;
  return order.purchase_units?.[0]?.payments?.captures?.find((c) => c.links?.some((l) => l.rel === 'up' && l.href.endsWith(suffix)));
}

function authorizationOf(reference: string, what: string): Extract<PayPalRef, { kind: 'authorization' }> {
  const ref = parseRef(reference);
  if (ref.kind !== 'authorization') throw new ProviderFailure('definite', `only an authorization can be ${what === 'capture' ? 'captured' : 'voided'} (this is a PayPal ${ref.kind})`, 'not_an_authorization');
  return ref;
}

/**
 * The PayPal-Request-Id of one step of a port call: deterministic, so a repeat replays it. Kept
 * readable when it fits PayPal's 108 characters, else a digest of the key.
 */
export function requestIdFor(key: string, step: Step): string {
  const plain = `${key}:${step}`;
  if (plain.length <= MAX_REQUEST_ID && /^[\x21-\x7e]+$/.test(plain)) return plain;
  return `kassa-${createHash('sha256').update(key).digest('base64url')}:${step}`;
}

/** The key as a refund's custom_id (at most 127 characters). */
export function tagFor(key: string): string {
  return key.length <= MAX_CUSTOM_ID && /^[\x20-\x7e]+$/.test(key) ? key : `kassa-${createHash('sha256').update(key).digest('base64url')}`;
}

function issueOf(ex: Exchange): string | undefined {
  const e = (isObject(ex.body) ? ex.body : {}) as ErrorView;
  return e.details?.[0]?.issue ?? e.name;
}

function descriptionOf(ex: Exchange): string | undefined {
  const e = (isObject(ex.body) ? ex.body : {}) as ErrorView;
  return e.details?.[0]?.description ?? e.message;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  return JSON.parse(text) as unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** The system error code under a fetch failure (undici nests it as `cause`). */
function connectionCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !/^ABORT_ERR$|^\d+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function classify(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  return new ProviderFailure('ambiguous', `unexpected failure calling PayPal: ${error instanceof Error ? error.name : typeof error}`);
}

/** What a verified event is about: the order (providerRef) and Kassa's intent (custom_id), where the resource names them. */
function notificationOf(event: { id: string; event_type: string; resource_type?: unknown; resource: Record<string, unknown> }): ProviderNotification {
  const resource = event.resource;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const related = isObject(resource.supplementary_data) && isObject(resource.supplementary_data.related_ids) ? resource.supplementary_data.related_ids : {};
  const type = str(event.resource_type) ?? (event.event_type.startsWith('CHECKOUT.ORDER.') ? 'checkout-order' : undefined);
  let providerRef = str(related.order_id);
  let reference: string | undefined;
  if (type === 'checkout-order') {
    providerRef = str(resource.id);
    const units = Array.isArray(resource.purchase_units) ? (resource.purchase_units as unknown[]) : [];
    reference = isObject(units[0]) ? str(units[0].custom_id) : undefined;
  } else if (type === 'capture' || type === 'authorization') {
    reference = str(resource.custom_id); // copied from the purchase unit by PayPal
  }
  // A refund's custom_id is the refund's own tag (Kassa's key), not the intent: not a reference.
  return { id: event.id, kind: event.event_type, ...(reference ? { reference } : {}), ...(providerRef ? { providerRef } : {}) };
}

