/**
 * The Adyen adapter: Kassa's provider port on Adyen's Checkout API (v71), for a merchant allowed to
 * send raw card data (PCI DSS level 1 / SAQ D: Kassa's vault holds the card).
 *
 * Plain `fetch` rather than @adyen/api-library's Checkout client: the SDK's client only speaks
 * `https.request` with its own https Agent (a local plain-HTTP fake cannot be reached), keeps its
 * base URL private, and folds a refused connection and a reset after sending into one
 * `ApiException(message)` — the one distinction this adapter must make (definite vs ambiguous).
 * The SDK's HmacValidator is still used by the tests, as an independent check of
 * `verifyAdyenNotification`.
 *
 * Adyen answers captures, cancels and refunds with `status: "received"`: it has accepted the
 * request, and the result arrives later by notification (CAPTURE / CAPTURE_FAILED, CANCELLATION,
 * REFUND / REFUND_FAILED, each with `success`). The port wants an answer now, so `received` maps
 * to the port's success. A later CAPTURE_FAILED or REFUND_FAILED (or CAPTURE / REFUND with
 * success false) is read by `parseNotification` as the port's `failed`: the domain records a
 * discrepancy for reconciliation; it does not unbook what this answer let it book.
 *
 * Adyen has no API to ask what became of an authorization, so one whose answer was lost (a
 * timeout, a process killed after sending) is settled by Adyen's documented record of truth for
 * it: the HMAC-signed AUTHORISATION notification (success, pspReference, merchantReference =
 * Kassa's intent id, amount). `parseNotification` keeps what a verified item says as the port's
 * `evidence`; the domain stores it and hands it back to `lookup` for an unresolved authorization
 * (`capabilities.notificationEvidence`), and `lookup` answers from it as `/payments` would have.
 */
import { createHash } from 'node:crypto';
import { DeclineCode } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { isCurrency } from '@kassa/core/currencies';
import type {
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  CaptureRequest,
  CompleteActionRequest,
  LookupRequest,
  PaymentCallRequest,
  PaymentProvider,
  ProviderAction,
  ProviderCapabilities,
  ProviderOutcome,
  RefundOutcome,
  Sensitive,
  ModificationFailure,
  ProviderNotification,
} from '../../domain/ports.js';
import { NotificationRejected, ProviderFailure, cardOf } from '../../domain/ports.js';
import { authorizeOutcomeFor, refusalFromReason } from './mapping.js';
import { ADYEN_NOTIFICATION_ACK, AdyenNotificationError, verifyAdyenNotification } from './notifications.js';
import type { AdyenNotificationItem } from './notifications.js';
import type { PaymentAnswer } from './mapping.js';

export const ADYEN_TEST_CHECKOUT = 'https://checkout-test.adyen.com/v71';

/**
 * How long Adyen keeps an idempotency key. Adyen's idempotency page says keys are valid for "a
 * minimum period of 31 days" (docs.adyen.com/development-resources/api-idempotency); older
 * statements said 7. The adapter only relies on the shorter one.
 */
export const ADYEN_KEY_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface AdyenConfig {
  /** The name intents record (default `adyen`). */
  name?: string | undefined;
  apiKey: Sensitive;
  merchantAccount: string;
  /** Adyen's Checkout base including the version; the test endpoint by default. */
  checkoutBase?: string;
  /** Verifies Adyen's notifications (verifyAdyenNotification); without it they are refused. The calls do not need it. */
  hmacKey?: Sensitive;
  /**
   * Where Adyen sends the shopper's browser after a 3-D Secure redirect (required by /payments),
   * for Kassa's intent reference. The page there must hand the `redirectResult` query parameter to
   * `returnPayload` (see completeAction).
   */
  returnUrl: (reference: string) => string;
  /**
   * The shopper's return payload for a payment waiting on 3-D Secure (Adyen's `details`, e.g.
   * `{ redirectResult }`), once the shopper came back; undefined while they have not. The port's
   * completeAction carries no payload (a gap, see the report), so it is looked up here by pspReference.
   */
  returnPayload?: (pspReference: string) => Promise<Record<string, string> | undefined> | Record<string, string> | undefined;
  /** Kassa's own ceiling for one call, on top of the caller's signal. */
  timeoutMs?: number;
  /**
   * Adyen's support enabled multiple partial captures on the merchant account: a capture then
   * leaves the rest authorised (Adyen's behaviour with the setting), so a hold may be captured
   * several times, and the last capture releases what is left with a cancel. Default false: a
   * partial capture releases the rest (Adyen's default).
   */
  multiplePartialCaptures?: boolean | undefined;
}

type Operation = 'authorize' | 'complete_action' | 'capture' | 'cancel' | 'refund';

/** Bound on what the adapter remembers per payment, so a long-running process does not grow without end. */
const REMEMBERED = 100_000;

/**
 * The `paymentMethod` of a /payments request (checked before any call: a method it does not take
 * is a definite failure, nothing sent): a card from Kassa's vault as `scheme` with its number, a
 * device wallet's token as Adyen's API-only integrations send it (`applepay` with the base64
 * `applePayToken`, `googlepay` with the `googlePayToken` Google Pay gave for gateway `adyen`).
 */
function paymentMethodOf(request: AuthorizeRequest): Record<string, string> {
  const method = request.method;
  switch (method.type) {
    case 'apple_pay':
      return { type: 'applepay', applePayToken: method.token.reveal() };
    case 'google_pay':
      return { type: 'googlepay', googlePayToken: method.token.reveal() };
    default: {
      const card = cardOf(request);
      const paymentMethod: Record<string, string> = {
        type: 'scheme',
        number: card.number.reveal(),
        expiryMonth: String(card.expMonth).padStart(2, '0'),
        expiryYear: String(card.expYear),
      };
      const cvc = card.cvc?.reveal();
      if (cvc !== undefined) paymentMethod['cvc'] = cvc;
      return paymentMethod;
    }
  }
}

export class AdyenProvider implements PaymentProvider {
  /** `adyen`, unless configured under another name (two of one type in a mode, or test and live apart). */
  readonly name: string;
  readonly type = 'adyen';
  readonly capabilities: ProviderCapabilities;
  readonly #baseCapabilities: ProviderCapabilities = {
    // additionalData.manualCapture per payment (Adyen's documented per-request switch; the
    // account-level "capture delay" setting is overridden by it and by captureDelayHours).
    manualCapture: true,
    partialCapture: true,
    // Adyen takes several partial captures only once its support enables them on the merchant
    // account (`multiplePartialCaptures`, set in the constructor).
    multipleCapture: false,
    cancel: true,
    refund: true,
    savedMethods: true, // a vaulted card sent again with shopperInteraction ContAuth
    // 3-D Secure 2 by redirect (GET), 3-D Secure 1 as a form the browser POSTs (MD/PaReq).
    nextActions: ['three_d_secure', 'redirect'],
    // Adyen Checkout cannot be asked about a payment by reference, and an authorization cannot be
    // replayed under its key without the card number, which a LookupRequest does not carry. So
    // the capability recovery relies on (what became of an authorization) is not there; lookup()
    // still answers modifications by replay, see below.
    lookup: false,
    // A device wallet's token (applePayToken, googlePayToken) is decrypted by Adyen: it carries
    // its own cryptogram, so no challenge, and it is good for this payment only (nothing to save).
    paymentMethods: ['card', 'apple_pay', 'google_pay'],
    methods: {
      apple_pay: { savedMethods: false, nextActions: [] },
      google_pay: { savedMethods: false, nextActions: ['three_d_secure'] },
    },
    // Verified with the HMAC key (refused without one); Kassa applies them by asking, as for every provider.
    notifications: true,
    // ... and an AUTHORISATION notification, verified and stored, answers lookup() for an authorization.
    notificationEvidence: true,
  };

  readonly #config: AdyenConfig;
  readonly #base: string;
  readonly #timeoutMs: number;
  /**
   * The challenge (its URL, or the form to post) of each payment waiting on 3-D Secure, only to
   * answer "still waiting" with it again while the shopper has not come back. Everything a call
   * needs comes with the call.
   */
  readonly #pending = new Map<string, ProviderAction>();

  constructor(config: AdyenConfig) {
    this.name = config.name ?? 'adyen';
    this.#config = config;
    this.#base = (config.checkoutBase ?? ADYEN_TEST_CHECKOUT).replace(/\/+$/, '');
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.capabilities = { ...this.#baseCapabilities, multipleCapture: config.multiplePartialCaptures === true };
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const currency = request.currency.toUpperCase();
    const paymentMethod = paymentMethodOf(request);
    const body: Record<string, unknown> = {
      merchantAccount: this.#config.merchantAccount,
      amount: { value: request.amount, currency },
      reference: request.reference,
      paymentMethod,
      returnUrl: this.#config.returnUrl(request.reference),
      channel: 'Web',
    };
    if (request.capture) {
      // Capture at once, whatever the account's default capture delay is.
      body['captureDelayHours'] = 0;
    } else {
      // Adyen's per-payment manual capture: the hold stays until /captures or /cancels.
      body['additionalData'] = { manualCapture: 'true' };
    }
    if (request.offSession) {
      // A merchant-initiated payment on a card stored by Kassa: no shopper to challenge, so Adyen
      // refuses (38, Authentication required) instead of redirecting.
      body['shopperInteraction'] = 'ContAuth';
      body['recurringProcessingModel'] = 'UnscheduledCardOnFile';
    } else {
      body['shopperInteraction'] = 'Ecommerce';
    }
    const answer = (await this.#post('authorize', request.idempotencyKey, '/payments', body, request.signal)) as PaymentAnswer;
    const outcome = authorizeOutcomeFor(answer, request);
    this.#remember(outcome);
    return outcome;
  }

  /**
   * Submits the shopper's return payload to /payments/details: the one the call brings (the
   * shopper came back by redirect), else `returnPayload`'s. Until the shopper has come back there
   * is nothing to submit, and the same action is asked again.
   */
  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    const details = request.details ?? (await this.#config.returnPayload?.(request.reference));
    if (!details) {
      const action = this.#pending.get(request.reference);
      if (!action) throw new ProviderFailure('definite', 'the shopper has not come back from 3-D Secure: there is nothing to submit yet');
      return { status: 'requires_action', reference: request.reference, action };
    }
    const answer = (await this.#post('complete_action', request.idempotencyKey, '/payments/details', { details }, request.signal)) as PaymentAnswer;
    const outcome = authorizeOutcomeFor(answer, request);
    if (outcome.status !== 'requires_action') this.#pending.delete(request.reference);
    this.#remember(outcome);
    return outcome;
  }

  async capture(request: CaptureRequest): Promise<CaptureOutcome> {
    const psp = await this.#modify('capture', request.idempotencyKey, request.reference, request.currency, request.amount, request.signal);
    const warning = await this.#releaseRest(request);
    return { status: 'captured', amount: request.amount, reference: psp, ...(warning ? { warning } : {}) };
  }

  /**
   * With multiple partial captures Adyen keeps what a capture leaves authorised; the last one's
   * rest is released by a cancel under a key derived from the capture's (so a replay sends the
   * same). The capture is made by then and is the answer: a release that fails is said as a
   * warning (the rest stays authorised at Adyen until its authorisation expires; no money moves),
   * never as a refusal — or an unknown — of a capture that happened.
   */
  async #releaseRest(request: { idempotencyKey: string; reference: string; signal?: AbortSignal | undefined; final?: boolean | undefined; remaining?: number | undefined }): Promise<string | undefined> {
    if (!this.capabilities.multipleCapture || request.final === false || !request.remaining) return undefined;
    try {
      await this.#modify('cancel', `${request.idempotencyKey}|release`, request.reference, undefined, undefined, request.signal);
      return undefined;
    } catch (error) {
      return `releasing the rest of the hold (${request.remaining}) failed: ${error instanceof Error ? error.message : 'unknown'}; Adyen keeps it authorised until it expires`;
    }
  }

  async cancel(request: PaymentCallRequest): Promise<CancelOutcome> {
    await this.#modify('cancel', request.idempotencyKey, request.reference, undefined, undefined, request.signal);
    return { status: 'canceled' };
  }

  async refund(request: PaymentCallRequest): Promise<RefundOutcome> {
    const psp = await this.#modify('refund', request.idempotencyKey, request.reference, request.currency, request.amount, request.signal);
    return { status: 'succeeded', amount: request.amount, reference: psp };
  }

  /**
   * Modifications: the same request again under the same Idempotency-Key, which Adyen answers with
   * the first response (acting once). If Adyen never saw the key the replay *is* the call, made
   * now under that key — what the port asks of a caller after `null` anyway. Past the key's
   * retention a replay could act twice, so it is refused.
   *
   * Authorizations: Adyen cannot be asked (see `capabilities.lookup`). What settles one is its
   * verified AUTHORISATION notification, handed back as `request.evidence`: the item for Kassa's
   * reference (and, once known, the payment's pspReference), read as `/payments` would have
   * answered for the call as made. No such item, two payments under one reference, or another
   * currency: thrown as ambiguous — never `null`, which would claim Adyen never saw it.
   */
  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    switch (request.operation) {
      case 'authorize':
      case 'complete_action': {
        const told = authorisationsFor(request);
        const item = told[0];
        if (!item) {
          throw new ProviderFailure(
            'ambiguous',
            'Adyen cannot be asked about an authorization by reference, and it cannot be replayed without the card; its AUTHORISATION notification settles it',
          );
        }
        if (told.some((t) => t.pspReference !== item.pspReference || t.success !== item.success)) {
          throw new ProviderFailure('ambiguous', 'Adyen notified more than one authorization under this reference; which was this call cannot be told');
        }
        if (item.success === 'false') return { operation: request.operation, outcome: { status: 'declined', ...refusalFromReason(item.reason), reference: item.pspReference } };
        if (item.amount.currency !== request.currency.toUpperCase()) {
          throw new ProviderFailure('ambiguous', `Adyen notified an authorization in ${item.amount.currency}, not in the currency of the call`);
        }
        // As /payments answers `Authorised`: a hold, or a charge when the call set captureDelayHours 0.
        // The amount is Adyen's: the domain holds a different one as a discrepancy, never books it.
        return {
          operation: request.operation,
          outcome: { status: request.capture ? 'captured' : 'authorized', reference: item.pspReference, amount: item.amount.value },
        };
      }
      case 'capture':
      case 'cancel':
      case 'refund': {
        if (!request.providerRef) throw new ProviderFailure('ambiguous', 'a modification cannot be looked up without the pspReference');
        if (Date.now() - request.madeAt > ADYEN_KEY_RETENTION_MS) {
          throw new ProviderFailure('ambiguous', 'the call is older than Adyen is known to keep idempotency keys; a replay could act twice');
        }
        const psp = request.providerRef;
        if (request.operation === 'cancel') {
          await this.#modify('cancel', request.idempotencyKey, psp, undefined, undefined, request.signal);
          return { operation: 'cancel', outcome: { status: 'canceled' } };
        }
        const made = await this.#modify(request.operation, request.idempotencyKey, psp, request.currency, request.amount, request.signal);
        const warning = request.operation === 'capture' ? await this.#releaseRest({ ...request, reference: psp }) : undefined;
        return request.operation === 'capture'
          ? { operation: 'capture', outcome: { status: 'captured', amount: request.amount, reference: made, ...(warning ? { warning } : {}) } }
          : { operation: 'refund', outcome: { status: 'succeeded', amount: request.amount, reference: made } };
      }
      default: {
        const unreachable: never = request.operation;
        throw new ProviderFailure('ambiguous', `unknown operation ${String(unreachable)}`);
      }
    }
  }

  /** The verified items of a notification body, with this account's HMAC key. */
  verifyNotification(rawBody: string): AdyenNotificationItem[] {
    if (!this.#config.hmacKey) throw new AdyenNotificationError('no HMAC key is configured for Adyen notifications');
    return verifyAdyenNotification(rawBody, this.#config.hmacKey);
  }

  /**
   * Adyen's webhook (a batch of items, each HMAC-signed), answered `[accepted]`. Each item names
   * Kassa's reference (`merchantReference`) and the payment (`originalReference` for a
   * modification, else `pspReference`); one event per payment, code and verdict. Only this
   * account's items say more (an item of another merchant account under the same HMAC key is
   * about no payment of this adapter's): an AUTHORISATION keeps its signed fields as `evidence`
   * (read back by `lookup`), and a failed capture or refund is the port's `failed`.
   */
  async parseNotification(raw: Buffer): Promise<{ notifications: ProviderNotification[]; ack: string }> {
    let items: AdyenNotificationItem[];
    try {
      items = this.verifyNotification(raw.toString('utf8'));
    } catch (error) {
      throw new NotificationRejected(error instanceof Error ? error.message : 'not an Adyen notification');
    }
    return {
      notifications: items.map((item) => {
        const ours = item.merchantAccountCode === this.#config.merchantAccount;
        const failed = ours ? modificationFailureOf(item) : undefined;
        return {
          id: `${item.pspReference}:${item.eventCode}:${item.success}`,
          kind: `${item.eventCode}:${item.success}`,
          reference: item.merchantReference,
          providerRef: item.originalReference ?? item.pspReference,
          ...(ours && item.eventCode === 'AUTHORISATION' ? { evidence: JSON.stringify(evidenceOf(item)) } : {}),
          ...(failed ? { failed } : {}),
        };
      }),
      ack: ADYEN_NOTIFICATION_ACK,
    };
  }

  // ---- internals ----

  #remember(outcome: AuthorizeOutcome): void {
    if (outcome.status === 'requires_action') bounded(this.#pending, outcome.reference, outcome.action);
  }

  async #modify(
    operation: 'capture' | 'cancel' | 'refund',
    idempotencyKey: string,
    psp: string,
    currency: Currency | undefined,
    amount: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const path = `/payments/${encodeURIComponent(psp)}/${operation === 'capture' ? 'captures' : operation === 'cancel' ? 'cancels' : 'refunds'}`;
    const body: Record<string, unknown> = {
      merchantAccount: this.#config.merchantAccount,
      // Deterministic from the key, so a replay (lookup) sends the very same body.
      reference: `kassa-${adyenIdempotencyKey(operation, idempotencyKey).slice(0, 32)}`,
    };
    if (amount !== undefined && currency !== undefined) body['amount'] = { value: amount, currency: currency.toUpperCase() };
    const answer = (await this.#post(operation, idempotencyKey, path, body, signal)) as { status?: unknown; pspReference?: unknown };
    if (answer.status !== 'received') throw new ProviderFailure('ambiguous', `Adyen answered a ${operation} without status "received"`);
    // The modification's own pspReference: its CAPTURE_FAILED / REFUND_FAILED names it.
    if (typeof answer.pspReference !== 'string' || answer.pspReference === '') throw new ProviderFailure('ambiguous', `Adyen answered a ${operation} without its pspReference`);
    return answer.pspReference;
  }

  async #post(operation: Operation, kassaKey: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const signals = [AbortSignal.timeout(this.#timeoutMs)];
    if (signal) signals.push(signal);
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-api-key': this.#config.apiKey.reveal(),
          'idempotency-key': adyenIdempotencyKey(operation, kassaKey),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      throw networkFailure(error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The status line came, the body did not: Adyen processed the request.
      throw new ProviderFailure('ambiguous', `Adyen's answer was cut off (${errorName(error)})`);
    }
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ProviderFailure('ambiguous', `Adyen answered ${response.status} with a body that is not JSON`);
      }
    }
    throw httpFailure(response.status, text);
  }
}

/** Sets a key, forgetting the oldest entry past the bound (a Map iterates in insertion order). */
function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/**
 * The Idempotency-Key Adyen gets for one port call: derived from Kassa's key and the operation
 * (Adyen scopes keys to the whole company account, and Kassa may use one key for an
 * authorization and a later capture of different calls), hashed to fit Adyen's 64 characters.
 */
export function adyenIdempotencyKey(operation: Operation, kassaKey: string): string {
  return createHash('sha256').update(`kassa/adyen/${operation}\n${kassaKey}`).digest('base64url');
}

/** Codes the Node fetch (undici) gives for a connection that never carried the request. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function networkFailure(error: unknown): ProviderFailure {
  const name = errorName(error);
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new ProviderFailure('ambiguous', 'the call to Adyen was aborted at its deadline; it may have been processed');
  }
  const code = causeCode(error);
  if (code && NEVER_SENT.has(code)) return new ProviderFailure('definite', `could not connect to Adyen (${code})`, code);
  return new ProviderFailure('ambiguous', `the connection to Adyen failed after sending (${code ?? name})`, code);
}

function httpFailure(status: number, text: string): ProviderFailure {
  let error: { errorCode?: unknown; message?: unknown; errorType?: unknown } = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) error = parsed as typeof error;
  } catch {
    // A proxy's HTML page or an empty body: judged by the status alone.
  }
  const rawCode = typeof error.errorCode === 'string' ? error.errorCode : undefined;
  const message = `Adyen refused the request: ${status}${rawCode ? ` ${rawCode}` : ''}${typeof error.message === 'string' ? ` ${scrub(error.message)}` : ''}`;
  if (status >= 500) return new ProviderFailure('ambiguous', message, rawCode); // may follow processing
  if (rawCode === IDEMPOTENCY_CONFLICT) {
    // The key is Adyen's, in use for a request with another body (or still in progress): this
    // request did nothing, but the *call* under this key may have — so not definite.
    return new ProviderFailure('ambiguous', message, rawCode);
  }
  // 400/422 validation, 401/403 security, 404, 429 ...: Adyen refused before processing.
  return new ProviderFailure('definite', message, rawCode);
}

/**
 * What the adapter keeps of a verified AUTHORISATION item: its signed fields (and `reason`, the
 * refusal's name), versioned so a row stored by an older adapter is still read right.
 */
interface Authorisation {
  v: 1;
  pspReference: string;
  merchantReference: string;
  amount: { value: number; currency: string };
  success: 'true' | 'false';
  reason?: string | undefined;
}

function evidenceOf(item: AdyenNotificationItem): Authorisation {
  return {
    v: 1,
    pspReference: item.pspReference,
    merchantReference: item.merchantReference,
    amount: { value: item.amount.value, currency: item.amount.currency },
    success: item.success === 'true' ? 'true' : 'false',
    ...(typeof item.reason === 'string' && item.reason !== '' ? { reason: item.reason.slice(0, 200) } : {}),
  };
}

/** The AUTHORISATION items of the evidence about this call: Kassa's reference, and the payment's psp once one is known. */
function authorisationsFor(request: LookupRequest): Authorisation[] {
  const out: Authorisation[] = [];
  for (const e of request.evidence ?? []) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(e.evidence);
    } catch {
      continue;
    }
    if (!isAuthorisation(parsed)) continue;
    if (parsed.merchantReference !== request.reference) continue;
    if (request.providerRef !== undefined && parsed.pspReference !== request.providerRef) continue;
    out.push(parsed);
  }
  return out;
}

function isAuthorisation(value: unknown): value is Authorisation {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const amount = v['amount'] as Record<string, unknown> | undefined;
  return (
    v['v'] === 1 &&
    typeof v['pspReference'] === 'string' &&
    typeof v['merchantReference'] === 'string' &&
    typeof amount === 'object' &&
    amount !== null &&
    Number.isSafeInteger(amount['value']) &&
    typeof amount['currency'] === 'string' &&
    (v['success'] === 'true' || v['success'] === 'false') &&
    (v['reason'] === undefined || typeof v['reason'] === 'string')
  );
}

/**
 * A capture, refund or cancel Adyen accepted (`received`, booked by Kassa) and did not carry out:
 * CAPTURE_FAILED / REFUND_FAILED (the card scheme rejected it; Adyen's docs list the reasons), or
 * CAPTURE / REFUND with success false (Adyen refused it after accepting the request); a cancel
 * Adyen accepted and then refused (CANCELLATION with success false: the hold stands). Its
 * `reason` is Adyen's text, not a refusal code: kept as the message.
 */
function modificationFailureOf(item: AdyenNotificationItem): ModificationFailure | undefined {
  const operation =
    item.eventCode === 'CAPTURE_FAILED' || (item.eventCode === 'CAPTURE' && item.success === 'false')
      ? 'capture'
      : item.eventCode === 'REFUND_FAILED' || (item.eventCode === 'REFUND' && item.success === 'false')
        ? 'refund'
        : item.eventCode === 'CANCELLATION' && item.success === 'false'
          ? 'cancel'
          : undefined;
  const currency = item.amount.currency.toLowerCase();
  if (!operation || !isCurrency(currency)) return undefined;
  const message = typeof item.reason === 'string' && item.reason !== '' ? item.reason.slice(0, 300) : undefined;
  // A capture's or refund's item is under the modification's own pspReference (the payment's is
  // originalReference), which the call's answer gave; a void is the payment's one, named by it.
  const providerRef = operation === 'cancel' ? {} : { providerRef: item.pspReference };
  return { operation, amount: item.amount.value, currency, declineCode: DeclineCode.ProcessingError, message, rawCode: item.eventCode, ...providerRef };
}

/** Adyen's error code for an Idempotency-Key in use for another (or still running) request. */
export const IDEMPOTENCY_CONFLICT = '704';

/** Adyen's messages name fields, not values, but a long digit run is never let through. */
function scrub(message: string): string {
  return message.replace(/\d[\d ]{10,}\d/g, '[redacted]').slice(0, 300);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
