/**
 * The Stripe adapter: Kassa's provider port on Stripe's PaymentIntents API, through the official
 * SDK. Two things shape it:
 *
 *   - Exact recovery. An authorization is two Stripe calls: the PaymentIntent is created first
 *     without the card (deterministic parameters under `${key}:create`; replaying it returns the
 *     same intent and moves no money), then confirmed with the card under `${key}:confirm`. So
 *     `lookup` can always find the intent a lost authorization made — replay the create, read
 *     the intent — and tell "never charged" (unconfirmed → null) from any answer Stripe gave.
 *   - Kassa owns retries and deadlines. The SDK makes no retries of its own, and every call runs
 *     under the port's AbortSignal (the SDK has no per-request signal, so a fetch wrapper reads it
 *     from an AsyncLocalStorage set around the call): a hung connection is torn down at Kassa's
 *     deadline instead of the SDK's.
 *
 * Card numbers and CVCs go to Stripe in the confirm body and nowhere else: not into metadata,
 * idempotency keys, error messages or logs.
 *
 * Stripe's events (webhooks) reach Kassa's inbound route when a webhook signing secret is
 * configured: `parseNotification` verifies `Stripe-Signature` on the raw body and says which
 * PaymentIntent an event is about; applying it asks Stripe (completeAction, lookup), as for every
 * provider, so an event is a trigger and never the truth.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';
import type {
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  CaptureRequest,
  LookupRequest,
  PaymentProvider,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderNotification,
  ProviderOutcome,
  RefundOutcome,
  Sensitive,
} from '../../domain/ports.js';
import { NotificationRejected, ProviderFailure, cardOf } from '../../domain/ports.js';
import { intentOutcome, notificationOfEvent, refundOutcome, refusalFrom } from './mapping.js';
import type { IntentView } from './mapping.js';

export interface StripeProviderConfig {
  /** The name intents record (default `stripe`). */
  name?: string | undefined;
  secretKey: Sensitive;
  /** Where Stripe's API is: the fake's `http://127.0.0.1:PORT` in tests. Default `https://api.stripe.com`. */
  apiBase?: string | undefined;
  /**
   * Where Stripe sends the shopper's browser after a 3-D Secure redirect; `?kassa_reference=<intent>`
   * is appended. Stripe only answers a challenge with a URL (`redirect_to_url`) when it has one.
   */
  returnUrl: string;
  /** The longest one Stripe call may take when the caller's signal does not end it first. Default 30 s. */
  timeoutMs?: number | undefined;
  /**
   * The signing secret (`whsec_…`) of the webhook endpoint at Stripe that posts to Kassa's
   * `/providers/stripe/webhooks`. Without it Stripe's events are refused, never taken unverified,
   * and `capabilities.notifications` is false.
   */
  webhookSecret?: Sensitive | undefined;
  /** How far a `Stripe-Signature` timestamp may be from now, either way. Default 300 s (the SDK's). */
  webhookToleranceSeconds?: number | undefined;
  /** The clock of the 24-hour key retention and of webhook timestamps (tests move it); default Date.now. */
  now?: () => number;
  /**
   * Stripe has enabled multicapture on the account (an IC+ pricing feature): a hold is confirmed
   * with `request_multicapture: if_available` and may be captured several times
   * (`final_capture: false`). Default false: one capture, the rest released.
   */
  multicapture?: boolean | undefined;
}

/**
 * How the confirm names the card, checked before any call (a definite failure: nothing was sent),
 * revealed only when the confirm is built:
 *   - a card from Kassa's vault: its number and dates (and the CVC, on the first run only);
 *   - a card Stripe holds: a PaymentMethod (`pm_…`) as `payment_method`, a Token (`tok_…`, a
 *     card element's or Google Pay's with Stripe as its gateway) as `payment_method_data[card][token]`.
 */
function confirmMethodOf(request: AuthorizeRequest): () => Record<string, unknown> {
  const method = request.method;
  switch (method.type) {
    case 'card': {
      const forwarded = cardOf(request);
      return () => ({
        payment_method_data: {
          type: 'card',
          card: {
            number: forwarded.number.reveal(),
            exp_month: forwarded.expMonth,
            exp_year: forwarded.expYear,
            ...(forwarded.cvc ? { cvc: forwarded.cvc.reveal() } : {}),
          },
        },
      });
    }
    case 'provider_token': {
      const token = method.token.reveal();
      if (/^pm_[A-Za-z0-9_]+$/.test(token)) return () => ({ payment_method: token });
      if (/^tok_[A-Za-z0-9_]+$/.test(token)) return () => ({ payment_method_data: { type: 'card', card: { token } } });
      throw new ProviderFailure('definite', "a Stripe card token is a PaymentMethod ('pm_…') or a Token ('tok_…')", 'invalid_provider_token');
    }
    case 'google_pay': {
      const token = googlePayStripeToken(method.token.reveal());
      return () => ({ payment_method_data: { type: 'card', card: { token } } });
    }
    default:
      throw new ProviderFailure('definite', `Kassa's Stripe adapter does not take ${method.type} payments`, 'unsupported_payment_method');
  }
}

/**
 * Google Pay's `tokenizationData.token` when Stripe is the gateway (`gateway: stripe`): a Stripe
 * Token as JSON, whose `id` is the `tok_…` to confirm with. Any other gateway's token (an
 * encrypted ECv2 payload for another processor) is not Stripe's to decrypt.
 */
function googlePayStripeToken(raw: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  const id = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['id'] : undefined;
  if (typeof id !== 'string' || !/^tok_[A-Za-z0-9_]+$/.test(id)) {
    throw new ProviderFailure('definite', 'not a Google Pay token made with Stripe as the gateway (a Stripe Token as JSON)', 'invalid_google_pay_token');
  }
  return id;
}

/** Stripe's own default tolerance for a webhook's signature timestamp. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * How long Stripe keeps an idempotency key ("at least 24 hours"), less a margin for clock skew
 * and for the time the replay itself takes. Past it a replayed create could make a *new*
 * intent, and "unconfirmed" would no longer mean "never charged".
 */
export const KEY_RETENTION_MS = 23 * 60 * 60 * 1000;

/** Connection errors raised before a byte of the request left (nothing can have happened). */
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Stripe's validation codes: the request was refused as written, the endpoint never acted. */
const VALIDATION_CODES = new Set([
  'parameter_missing',
  'parameter_unknown',
  'parameter_invalid_integer',
  'parameter_invalid_empty',
  'parameter_invalid_string_blank',
  'parameter_invalid_string_empty',
  'parameters_exclusive',
  'resource_missing',
  'api_key_expired',
]);

const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

/** Global fetch, with the current call's signal joined to the SDK's own timeout signal. */
const fetchWithCallSignal: typeof fetch = (input, init) => {
  const call = callSignal.getStore();
  if (!call) return fetch(input, init);
  const signal = init?.signal ? AbortSignal.any([init.signal, call]) : call;
  return fetch(input, { ...init, signal });
};

export class StripeProvider implements PaymentProvider {
  /** `stripe`, unless configured under another name (two of one type in a mode, or test and live apart). */
  readonly name: string;
  readonly type = 'stripe';
  readonly capabilities: ProviderCapabilities;
  /** Present exactly when a webhook secret is configured (what `capabilities.notifications` declares). */
  readonly parseNotification: PaymentProvider['parseNotification'];

  readonly #stripe: Stripe;
  readonly #returnUrl: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #multicapture: boolean;

  constructor(config: StripeProviderConfig) {
    this.name = config.name ?? 'stripe';
    const base = new URL(config.apiBase ?? 'https://api.stripe.com');
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.#returnUrl = config.returnUrl;
    this.#now = config.now ?? Date.now;
    this.#multicapture = config.multicapture === true;
    const webhookSecret = config.webhookSecret;
    this.capabilities = {
      manualCapture: true, // capture_method=manual
      partialCapture: true, // amount_to_capture; the rest of the hold is released
      // final_capture=false, where Stripe enabled multicapture for the account; a card the network
      // does not take it for (Stripe's multicapture status `unavailable`) is refused at the capture.
      multipleCapture: config.multicapture === true,
      cancel: true,
      refund: true, // several partial refunds up to the captured amount
      savedMethods: true, // the vaulted card sent again, off_session
      nextActions: ['three_d_secure'], // next_action.redirect_to_url
      lookup: true, // replayed create + the intent's state; refunds by their metadata
      // A card Stripe holds (a Stripe.js `pm_…`/`tok_…`) and Google Pay with Stripe as its gateway
      // (the token is a Stripe token). Neither can be saved in Kassa's vault for later.
      paymentMethods: ['card', 'provider_token', 'google_pay'],
      methods: { provider_token: { savedMethods: false }, google_pay: { savedMethods: false } },
      // Stripe-Signature checked on the raw body with the endpoint's secret: without the secret
      // there is nothing to check an event against, so none is taken.
      notifications: webhookSecret !== undefined,
    };
    const tolerance = config.webhookToleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
    // Events of the other mode cannot come from this account's endpoint: a secret configured in the wrong mode.
    const live = /^(sk|rk)_live_/.test(config.secretKey.reveal());
    this.parseNotification = webhookSecret
      ? async (raw, headers) => parseStripeEvent(raw, headers, webhookSecret, tolerance, this.#now(), live)
      : undefined;
    this.#stripe = new Stripe(config.secretKey.reveal(), {
      host: base.hostname,
      port: base.port || (protocol === 'http' ? 80 : 443),
      protocol,
      // Kassa's payment use case decides when a call is made again (under the same key); a
      // hidden retry here would spend its deadline and blur which attempt an answer belongs to.
      maxNetworkRetries: 0,
      timeout: this.#timeoutMs,
      httpClient: Stripe.createFetchHttpClient(fetchWithCallSignal),
      telemetry: false,
      appInfo: { name: 'Kassa' },
    });
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    // Before any call: a method Kassa's Stripe adapter does not take is refused with nothing sent.
    const method = confirmMethodOf(request);
    return this.#call(request, async () => {
      const intent = await this.#create(request);
      // Raw card data in `payment_method_data[card]` is an API Stripe opens per account (Kassa
      // holds the card itself); the SDK's types only describe tokens, hence the cast.
      const params = {
        ...method(),
        ...(request.offSession ? { off_session: true } : { return_url: this.#returnUrlFor(request.reference) }),
        // Asked on the confirm (not the replayable create): a hold that may be captured several times.
        ...(this.#multicapture && !request.capture ? { payment_method_options: { card: { request_multicapture: 'if_available' } } } : {}),
      } as unknown as Stripe.PaymentIntentConfirmParams;
      let confirmed: IntentView;
      try {
        confirmed = await this.#stripe.paymentIntents.confirm(intent.id, params, this.#options(request.idempotencyKey, 'confirm'));
      } catch (error) {
        // The SDK makes every 402 a card error; only Stripe's `card_error` type is the bank's "no".
        if (error instanceof Stripe.errors.StripeCardError && error.rawType === 'card_error') return { status: 'declined', ...refusalFrom(error) };
        // The key already confirmed this intent with other parameters: a retry that lost the
        // CVC at a restart. Stripe will not replay it, but the intent says what that confirm did.
        if (error instanceof Stripe.errors.StripeIdempotencyError) return this.#settled(await this.#retrieve(intent.id));
        throw error;
      }
      return this.#settled(confirmed);
    });
  }

  async completeAction(request: { idempotencyKey: string; reference: string } & ProviderCallOptions): Promise<AuthorizeOutcome> {
    // After a redirect challenge Stripe authorizes (or refuses) on its own: the intent's state is
    // the answer, and reading it is safe to repeat, so it needs no key.
    return this.#call(request, async () => this.#settled(await this.#retrieve(request.reference)));
  }

  async capture(request: CaptureRequest): Promise<CaptureOutcome> {
    return this.#call(request, async () => {
      let pi: IntentView;
      try {
        pi = await this.#stripe.paymentIntents.capture(
          request.reference,
          { amount_to_capture: request.amount, ...(request.final ? {} : { final_capture: false }) },
          this.#options(request.idempotencyKey, 'capture'),
        );
      } catch (error) {
        return { status: 'failed', ...refusedOrThrow(error) };
      }
      // The last capture ends the intent; another leaves it waiting for the next (Kassa sends a
      // capture of all that is left as the last). Anything else is not what Kassa would book.
      if (pi.status !== capturedStatus(request.final)) throw new ProviderFailure('ambiguous', `Stripe answered a ${request.final ? 'last' : 'partial'} capture with status ${pi.status}`, pi.status);
      // amount_received counts every capture of the intent: this one's is what it added.
      return { status: 'captured', amount: pi.amount_received - request.capturedBefore };
    });
  }

  async cancel(request: { idempotencyKey: string; reference: string } & ProviderCallOptions): Promise<CancelOutcome> {
    return this.#call(request, async () => {
      let pi: IntentView;
      try {
        pi = await this.#stripe.paymentIntents.cancel(request.reference, {}, this.#options(request.idempotencyKey, 'cancel'));
      } catch (error) {
        return { status: 'failed', ...refusedOrThrow(error) };
      }
      if (!voided(pi)) throw new ProviderFailure('ambiguous', `Stripe answered a cancel with status ${pi.status}`, pi.status);
      return { status: 'canceled' };
    });
  }

  async refund(request: { idempotencyKey: string; reference: string; amount: number } & ProviderCallOptions): Promise<RefundOutcome> {
    return this.#call(request, async () => {
      let refund: Stripe.Refund;
      try {
        refund = await this.#stripe.refunds.create(
          // The key in metadata is how lookup finds this refund among the intent's (Stripe lists
          // refunds consistently; it keeps the key itself for only 24 hours).
          { payment_intent: request.reference, amount: request.amount, metadata: { kassa_key: request.idempotencyKey } },
          this.#options(request.idempotencyKey, 'refund'),
        );
      } catch (error) {
        return { status: 'failed', ...refusedOrThrow(error) };
      }
      return refundOutcome(refund);
    });
  }

  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    return this.#call(request, async (): Promise<ProviderOutcome | null> => {
      const operation = request.operation;
      switch (operation) {
        case 'authorize': {
          let id = request.providerRef;
          if (!id) {
            // Past Stripe's key retention a replayed create would make a new, unconfirmed intent
            // and "unconfirmed" would be a lie about the old one: not sure, so say so.
            if (this.#now() - request.madeAt > KEY_RETENTION_MS) {
              throw new ProviderFailure('ambiguous', "the authorization is older than Stripe's idempotency key retention: reconcile it by its metadata[kassa_reference]", 'key_expired');
            }
            try {
              id = (await this.#create(request)).id;
            } catch (error) {
              // The same parameters refused as written (not an idempotency conflict): the first
              // create was refused the same way, so no intent, and no charge, ever existed.
              if (error instanceof Stripe.errors.StripeInvalidRequestError && !(error instanceof Stripe.errors.StripeIdempotencyError) && error.statusCode === 400) return null;
              throw error;
            }
          }
          const outcome = intentOutcome(await this.#retrieve(id));
          return outcome === null ? null : { operation, outcome };
        }
        case 'complete_action': {
          const outcome = intentOutcome(await this.#retrieve(this.#ref(request)));
          return outcome === null ? null : { operation, outcome };
        }
        case 'capture': {
          const pi = await this.#retrieve(this.#ref(request));
          if (pi.status === 'processing') throw new ProviderFailure('ambiguous', 'Stripe is still processing the payment', 'processing');
          // Stripe keeps one running total of an intent's captures, and Kassa makes them one at a
          // time: this capture happened exactly when the total grew by it since the earlier ones.
          const before = request.capturedBefore ?? 0;
          const added = pi.amount_received - before;
          if (added === 0 && pi.status === 'requires_capture') return null; // not made: again under the same key
          if (added > 0 && pi.status === capturedStatus(request.final !== false)) return { operation, outcome: { status: 'captured', amount: added } };
          // Canceled, or captured elsewhere (the Dashboard): this capture did not happen; made again it is refused.
          if (added === 0) return null;
          throw new ProviderFailure('ambiguous', `Stripe's intent received ${pi.amount_received} (${pi.status}), not what Kassa's captures add up to`, pi.status);
        }
        case 'cancel': {
          const pi = await this.#retrieve(this.#ref(request));
          return voided(pi, request.capturedBefore) ? { operation, outcome: { status: 'canceled' } } : null;
        }
        case 'refund': {
          const refunds = await this.#stripe.refunds.list({ payment_intent: this.#ref(request), limit: 100 }, { timeout: this.#timeoutMs });
          const mine = refunds.data.find((r) => r.metadata?.kassa_key === request.idempotencyKey);
          if (mine) return { operation, outcome: refundOutcome(mine) };
          if (refunds.has_more) throw new ProviderFailure('ambiguous', 'more than 100 refunds on one payment: not searched', 'has_more');
          return null;
        }
        default: {
          const unknown: never = operation;
          throw new ProviderFailure('definite', `unknown operation ${String(unknown)}`);
        }
      }
    });
  }

  // ---- internals ----

  /** The card-less create, with parameters only the call's own fields decide (replayable by lookup). */
  async #create(r: { idempotencyKey: string; amount: number; currency: string; capture: boolean; reference: string }): Promise<IntentView> {
    return this.#stripe.paymentIntents.create(
      {
        amount: r.amount, // Kassa's amounts are already minor units, as Stripe's (jpy included)
        currency: r.currency,
        capture_method: r.capture ? 'automatic' : 'manual',
        allowed_payment_method_types: ['card'],
        metadata: { kassa_reference: r.reference },
      },
      this.#options(r.idempotencyKey, 'create'),
    );
  }

  async #retrieve(id: string): Promise<IntentView> {
    return this.#stripe.paymentIntents.retrieve(id, {}, { timeout: this.#timeoutMs });
  }

  /** An intent after a confirm (or a challenge): never "unconfirmed" any more. */
  #settled(pi: IntentView): AuthorizeOutcome {
    const outcome = intentOutcome(pi);
    if (outcome === null) throw new ProviderFailure('ambiguous', `the PaymentIntent ${pi.id} was not confirmed`, pi.status);
    return outcome;
  }

  #ref(request: LookupRequest): string {
    if (!request.providerRef) throw new ProviderFailure('ambiguous', `a ${request.operation} lookup needs Stripe's PaymentIntent id`);
    return request.providerRef;
  }

  #returnUrlFor(reference: string): string {
    const url = new URL(this.#returnUrl);
    url.searchParams.set('kassa_reference', reference);
    return url.toString();
  }

  /** One distinct, deterministic Stripe key per underlying call of a port call. */
  #options(key: string, step: 'create' | 'confirm' | 'capture' | 'cancel' | 'refund'): Stripe.RequestOptions {
    return { idempotencyKey: `${key}:${step}`, timeout: this.#timeoutMs };
  }

  /** Runs a port call under its signal, and turns whatever escapes into a ProviderFailure. */
  async #call<T>(options: ProviderCallOptions, run: () => Promise<T>): Promise<T> {
    const signal = options.signal;
    if (signal?.aborted) throw new ProviderFailure('definite', 'the deadline passed before the call to Stripe was made');
    try {
      return await callSignal.run(signal, run);
    } catch (error) {
      throw classify(error, signal);
    }
  }
}

/** The intent's status after a capture: the last one ends it, another leaves the rest held. */
function capturedStatus(final: boolean): string {
  return final ? 'succeeded' : 'requires_capture';
}

/**
 * Whether a cancel took effect: the intent is `canceled` — or, for a hold captured in part before
 * (multicapture), `succeeded` with nothing left to capture (Stripe keeps the captured part; the
 * rest is released), at the amount Kassa's captures took when the caller says it.
 */
function voided(pi: IntentView, capturedBefore?: number): boolean {
  if (pi.status === 'canceled') return true;
  const partly = pi.status === 'succeeded' && pi.amount_capturable === 0 && pi.amount_received > 0 && pi.amount_received < pi.amount;
  return partly && (capturedBefore === undefined || pi.amount_received === capturedBefore);
}

/**
 * A 400 that refuses an operation on the payment's state (capture twice, refund more than is
 * left, cancel a captured payment) is the answer "no", which the port wants as `failed`.
 * Validation errors and everything else are failures of the call (see classify).
 */
function refusedOrThrow(error: unknown): ReturnType<typeof refusalFrom> {
  if (error instanceof Stripe.errors.StripeCardError && error.rawType === 'card_error') return refusalFrom(error);
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 400 && error.code && !VALIDATION_CODES.has(error.code)) {
    return { declineCode: 'processing_error', message: safeMessage(error), rawCode: error.code };
  }
  throw error;
}

/** Why a call failed, as the port's definite / ambiguous (see ProviderFailure). */
export function classify(error: unknown, signal?: AbortSignal): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  if (error instanceof Stripe.errors.StripeConnectionError) {
    const code = connectionCode(error.detail);
    if (code && BEFORE_SENDING.has(code)) return new ProviderFailure('definite', `could not reach Stripe (${code})`, code);
    // The request may have reached Stripe and been processed: a reset, a timeout, our deadline.
    const why = signal?.aborted ? "Kassa's deadline" : (code ?? 'connection lost');
    return new ProviderFailure('ambiguous', `no answer from Stripe (${why})`, code);
  }
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    const raw = error.code ?? error.rawType ?? error.type;
    // A key conflict (its first request still running: 409; or used with other parameters):
    // this request did nothing, but the first one under the key may have — so, not definite,
    // or the intent could be settled as failed while that first call charges the card.
    if (error.type === 'StripeIdempotencyError' || error.rawType === 'idempotency_error' || status === 409) {
      return new ProviderFailure('ambiguous', `Stripe refused a reused key (${status}): the first request under it may have acted`, raw);
    }
    // Other 4xx: Stripe refused the request itself (bad key, bad parameters, unknown object, rate
    // limited (429)) — the endpoint did not act on it.
    if (status >= 400 && status < 500) return new ProviderFailure('definite', `Stripe refused the request (${status}): ${safeMessage(error)}`, raw);
    // 5xx: Stripe documents that a 500 may come after the request was processed (and saves it as
    // the key's answer), so the payment may have moved: only asking Stripe later can tell.
    return new ProviderFailure('ambiguous', `Stripe failed (${status || 'no status'}): ${safeMessage(error)}`, raw);
  }
  // An unreadable answer, or a bug: the port counts anything else as ambiguous; say it plainly.
  return new ProviderFailure('ambiguous', `unexpected failure calling Stripe: ${error instanceof Error ? error.name : typeof error}`);
}

/** The system error code under a fetch failure (undici nests it as `cause`). */
function connectionCode(detail: unknown): string | undefined {
  for (let e = detail, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Stripe's message, unless it is about card parameters (it may quote them), with any run of
 * card-number-like digits removed: it goes into logs and stored failures.
 */
function safeMessage(error: { message?: string; param?: string | undefined }): string {
  if (error.param?.includes('[card]')) return `invalid ${error.param.replace(/\[card\].*/, '[card]')}`;
  return (error.message ?? '').replace(/\d[\d -]{10,}\d/g, '[redacted]');
}

/**
 * A Stripe webhook delivery, verified, as the port's notifications: one for an event about a
 * PaymentIntent (its id as `providerRef`, the event id as the dedupe key), none for an event Kassa
 * does not handle — acknowledged all the same (the route answers 200 with an empty body, which is
 * all Stripe asks: any 2xx).
 */
function parseStripeEvent(
  raw: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  secret: Sensitive,
  toleranceSeconds: number,
  now: number,
  live: boolean,
): { notifications: ProviderNotification[]; ack: string } {
  const signature = headers['stripe-signature'];
  if (!signature) throw new NotificationRejected('the Stripe-Signature header is missing');
  let event: Stripe.Event;
  try {
    event = verifyStripeWebhook(raw, signature, secret, toleranceSeconds, now);
  } catch (error) {
    throw new NotificationRejected(error instanceof StripeWebhookError ? error.message : 'the Stripe signature did not verify');
  }
  const notification = notificationOfEvent(event);
  if (notification && (event as { livemode?: unknown }).livemode !== live) {
    throw new NotificationRejected(`a ${live ? 'test' : 'live'} mode event for a ${live ? 'live' : 'test'} mode account: is the webhook secret of the right mode?`);
  }
  return { notifications: notification ? [notification] : [], ack: '' };
}

/** A Stripe webhook event whose signature did not verify. */
export class StripeWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeWebhookError';
  }
}

/**
 * Verifies a Stripe webhook on the raw body as received (never a re-serialized JSON) and returns
 * the event. The SDK only rejects timestamps too old; one too far in the future is rejected
 * here, so a header signed ahead of time cannot be held back and replayed later.
 */
export function verifyStripeWebhook(
  rawBody: Buffer | string,
  signatureHeader: string,
  secret: Sensitive,
  toleranceSeconds: number,
  now: number = Date.now(),
): Stripe.Event {
  if (!(toleranceSeconds > 0)) throw new RangeError('toleranceSeconds must be positive (0 would switch the check off)');
  const timestamps = signatureHeader
    .split(',')
    .map((part) => /^\s*t=(\d+)\s*$/.exec(part)?.[1])
    .filter((t): t is string => t !== undefined);
  if (timestamps.length !== 1) throw new StripeWebhookError('the signature header carries no single timestamp');
  if (Number(timestamps[0]) > Math.floor(now / 1000) + toleranceSeconds) throw new StripeWebhookError('the signature timestamp is in the future');
  try {
    return Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret.reveal(), toleranceSeconds, undefined, now);
  } catch (error) {
    throw new StripeWebhookError(error instanceof Error ? error.message : 'the signature did not verify');
  }
}
