/**
 * Payment intent use cases. Each reads as the story it tells:
 *
 *   confirm: load the intent, check it may be confirmed, resolve the card, commit a recovery
 *   point (intent → processing, attempt row, token used, the request's journal), call the
 *   provider outside any transaction, then commit the outcome with its ledger entries and
 *   outbox event.
 *
 * Exactly once (docs/ARCHITECTURE.md): a request with an Idempotency-Key carries a journal,
 * and every local step writes how far it got into it, in the step's own transaction. A retry
 * of a request whose first run died or lost the provider's answer finds the journal and
 * *resumes*: the intent it made is not made again, the provider call it committed to is
 * settled (the provider is asked, or the call is made again under the same provider key,
 * which the provider deduplicates), and the answer is the one the first run would have given.
 * Background recovery finishes the same attempts when no one retries.
 *
 * Every status change goes through `advance`, which consults core's transition table.
 */
import { CANCELABLE, CONFIRMABLE, canTransition, detectBrand, PaymentStatus } from '@kassa/core';
import type { DeclineCode } from '@kassa/core';
import { hasPrefix } from '@kassa/core';
import { AUTOMATIC_CANCELLATION } from '@kassa/core/wire';
import type { CancellationReason, CreatePaymentIntent, CreateRefund, PaymentMethodData, UpdatePaymentIntent } from '@kassa/core/wire';
import type { Store, IntentChange } from '../store/port.js';
import { StoreConflict } from '../store/port.js';
import type {
  AttemptOperation,
  AttemptRecord,
  ChargeRecord,
  DiscrepancyRecord,
  RefundRecord,
  EventType as EventTypeT,
  FutureUsage,
  Journal,
  LastPaymentErrorRecord,
  NextActionRecord,
  OutboxEvent,
  PaymentIntentRecord,
  PaymentMethodRecord,
  RoutingRecord,
  TokenRecord,
} from './model.js';
import { EventType, SETTLED_ATTEMPT } from './model.js';
import { NO_FAULTS, ProviderFailure, methodCapabilities } from './ports.js';
import type {
  AuthorizeOutcome,
  CancelOutcome,
  CaptureOutcome,
  CardTokenType,
  CardVault,
  Clock,
  FaultPoints,
  FaultStep,
  Liveness,
  MethodCapabilities,
  ModificationFailure,
  NotificationEvidence,
  OpenedCard,
  PaymentMethodType,
  PaymentProvider,
  ProviderAction,
  ProviderPaymentMethod,
  ProviderDirectory,
  ProviderMethodType,
  ProviderOutcome,
  RefundOutcome,
  Refusal,
  Sensitive,
} from './ports.js';
import { FailureKind, KassaError, invalidParam, missingParam, notFound, unexpectedState } from './errors.js';
import { cardError } from './declines.js';
import * as ledger from './ledger.js';
import { newId, randomBase62 } from './ids.js';
import { chargeView, eventObject, refundView } from './views.js';
import { journalStep, recorded } from './journal.js';
import { parseSearch } from './search.js';
import { boundedMetadata, mergeMetadata, shippingRecord } from './records.js';
import type { Page, PageQuery } from '../store/pages.js';
import { parseAuthorizeOutcome, parseCancelOutcome, parseCaptureOutcome, parseRefundOutcome } from './provider-outcomes.js';

export interface DomainLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Reconciliation {
  open: Array<{ intent: PaymentIntentRecord; attempt: AttemptRecord; askable: boolean }>;
  discrepancies: DiscrepancyRecord[];
}

export interface PaymentDeps {
  store: Store;
  /** Which provider a payment goes to, and the one an intent's earlier calls went to. */
  providers: ProviderDirectory;
  vault: CardVault;
  clock: Clock;
  /** HMAC(server secret, merchant|key|operation): the key a provider deduplicates on. */
  providerKey(merchantId: string, key: string, operation: AttemptOperation): string;
  logger: DomainLogger;
  /** Work tokens and who may still be working on an attempt (lock ownership across instances). */
  liveness: Liveness;
  /** Crash hooks for fault-injection tests. */
  faults?: FaultPoints;
  /**
   * Stripe's test payment methods and tokens (`pm_card_visa`, `tok_visa`, …) in test mode: the
   * card number each stands for (a sandbox card), or null for any other id.
   */
  testCard?: (id: string) => string | null;
  /** Whether a merchant scope is live mode: its objects say so, and test cards and ids do not work there. */
  isLive: (merchantId: string) => boolean;
  /** Declines an intent may collect before its confirms are refused (card testing); default 5. */
  maxDeclines?: number;
  /** How long one provider call may take before its outcome counts as unknown; default 30 s. */
  providerTimeoutMs?: number;
  /** The server's public URL: Kassa's own pages named in a next action (a POST redirect's form page). */
  publicUrl?: () => string;
}

/**
 * Where a confirmation's card comes from: a token (from the card frame, or a Stripe test token),
 * a customer's saved payment method, or a payment method made for this payment (a Stripe test
 * payment method), which may be saved for the customer once the payment succeeds.
 */
type CardSource =
  | { kind: 'token'; id: string; token: TokenRecord; card: OpenedCard }
  | { kind: 'saved'; id: string; paymentMethod: PaymentMethodRecord; card: OpenedCard }
  | { kind: 'fresh'; id: string; paymentMethod: PaymentMethodRecord; card: OpenedCard };

/** A card ready for the provider: the CVC only on the first run after tokenizing. */
type ProviderCardInput = OpenedCard & { cvc: Sensitive | undefined };

/** An attempt and its intent, once the provider's answer (or the lack of one) is recorded. */
interface Settled {
  intent: PaymentIntentRecord;
  attempt: AttemptRecord;
  /** The refusal stands for a definite provider failure: nothing happened there (routing may fail over). */
  definite?: boolean;
}

/** What a new attempt is: the call, the amount, where the intent goes meanwhile and back to. */
interface AttemptSpec {
  operation: AttemptOperation;
  /** The client's Idempotency-Key (or a stable reference), from which the provider key is derived. */
  key: string | undefined;
  amount: number;
  resumeStatus: PaymentStatus;
  /** The status while the call is made; null keeps the current one (voiding a hold). */
  to: PaymentStatus | null;
  patch: Partial<PaymentIntentRecord>;
  consumeToken?: IntentChange['consumeToken'];
  /** The card for an authorization, taken once the attempt is committed (the CVC is used once). */
  card?: () => ProviderCardInput;
  /** The provider that follows if this one fails definitely (routing). */
  failover?: string;
  /** A capture that leaves the rest of the hold for later captures. */
  finalCapture?: false;
  /** What the shopper's return brought (the provider's query), for completing the action; in memory, like the CVC. */
  details?: Record<string, string>;
  /** What else the attempt's commit writes, knowing the attempt (a refund row and its event). */
  with?: (attempt: AttemptRecord) => Pick<IntentChange, 'refund' | 'events'>;
}

const S = PaymentStatus;

/** Alipay's flow for a payment: the cashier by redirect when the merchant sends the whole page (a return_url), else a QR code in the widget. */
const alipayFlowFor = (returnUrl: string | null): 'redirect' | 'qr_code' => (returnUrl ? 'redirect' : 'qr_code');

/** A card that comes as a token (`payment_method_data[type]` card, apple_pay, google_pay), or null for a wallet. */
function cardTokenOf(data: PaymentMethodData): { type: CardTokenType; token: string; provider?: string | undefined } | null {
  switch (data.type) {
    case 'alipay':
    case 'paypal':
      return null;
    case 'card':
      return { type: 'provider_token', token: data.card.token, provider: data.card.provider };
    case 'apple_pay':
      return { type: 'apple_pay', token: data.apple_pay.token };
    case 'google_pay':
      return { type: 'google_pay', token: data.google_pay.token };
    default: {
      const unreachable: never = data;
      throw new Error(`unknown payment_method_data ${JSON.stringify(unreachable)}`);
    }
  }
}

/** What an intent's provider was asked to take (a card's token type, told apart from the vault's card). */
const providerMethodOf = (intent: PaymentIntentRecord): ProviderMethodType => intent.cardToken ?? intent.paymentMethodType ?? 'card';

/**
 * The flows of the method an intent was paid with at its provider. A provider reconfigured since
 * to no longer take that method (or currency) still answers for a payment it holds, by its own flags.
 */
const flowsOf = (intent: PaymentIntentRecord, provider: PaymentProvider): MethodCapabilities =>
  methodCapabilities(provider.capabilities, providerMethodOf(intent), intent.currency) ?? provider.capabilities;
export const DEFAULT_MAX_DECLINES = 5;
/** A provider call unanswered after this is treated as a timeout: outcome unknown, settled by recovery. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 30_000;

/** The intent with its routing record's last try answered (a recovered or resumed call too). */
function withTryResult(intent: PaymentIntentRecord, result: RoutingRecord['tried'][number]['result']): PaymentIntentRecord {
  const last = intent.routing?.tried.at(-1);
  if (!intent.routing || !last || last.result !== 'unknown' || last.provider !== intent.provider) return intent;
  return { ...intent, routing: { ...intent.routing, tried: [...intent.routing.tried.slice(0, -1), { ...last, result }] } };
}

/**
 * Kassa's own page for an action the widget cannot show itself (a QR code, a provider's page that
 * must open in a window of its own): the widget frames it, it follows the payment to its end.
 */
function sameOrigin(url: string, base: string): boolean {
  try {
    // Before the server knows its URL nothing else could be framed: as before, the widget's frame.
    return base === '' || new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** A payment its provider answered `pending`: `processing` with no call in flight, waiting for the answer. */
function awaitingProvider(intent: PaymentIntentRecord): boolean {
  return intent.status === S.Processing && intent.pendingOperation === null && intent.actionRef !== null;
}

export const hostedActionPath = (actionRef: string): string => `/actions/${encodeURIComponent(actionRef)}`;

/** The intent's `next_action` for what the provider asks of the shopper. */
function nextActionFor(action: ProviderAction, returnUrl: string | null, actionRef: string, publicUrl: string): NextActionRecord {
  switch (action.type) {
    case 'three_d_secure':
      // Confirmed server-side with a return_url: a redirect, as Stripe answers; else the widget's framed challenge.
      if (returnUrl && action.redirectUrl) return { type: 'redirect_to_url', redirect_to_url: { url: action.redirectUrl, return_url: returnUrl } };
      // A challenge on the provider's own origin (Stripe's, Adyen's) cannot report to the widget from
      // its frame: Kassa's page opens it in a window of its own and follows the payment, as for a wallet.
      if (!sameOrigin(action.url, publicUrl)) {
        return { type: 'redirect_to_url', redirect_to_url: { url: action.url, return_url: null, hosted_instructions_url: hostedActionPath(actionRef) } };
      }
      return { type: 'three_d_secure', three_d_secure: { url: action.url } };
    case 'redirect': {
      // A POST is made by Kassa's page (a form it submits); the provider's fields stay with the intent.
      const post = action.method === 'POST' ? { url: action.url, fields: action.fields } : undefined;
      const url = post ? `${publicUrl}${hostedActionPath(actionRef)}/redirect` : action.url;
      // With a return_url the merchant sends the whole page; without, the widget frames Kassa's page, which opens the provider's.
      const redirect = returnUrl ? { url, return_url: returnUrl } : { url, return_url: null, hosted_instructions_url: hostedActionPath(actionRef) };
      return { type: 'redirect_to_url', redirect_to_url: redirect, ...(post ? { form: post } : {}) };
    }
    case 'qr_code':
      return {
        type: 'display_qr_code',
        display_qr_code: {
          data: action.data,
          expires_at: Math.floor(action.expiresAt / 1000),
          image_url_svg: `${hostedActionPath(actionRef)}/qr.svg`,
          hosted_instructions_url: hostedActionPath(actionRef),
        },
      };
    case 'await_notification':
      return {
        type: 'await_notification',
        await_notification: { expires_at: Math.floor(action.expiresAt / 1000), hosted_instructions_url: hostedActionPath(actionRef) },
      };
    default: {
      const unreachable: never = action;
      throw new Error(`unknown provider action ${JSON.stringify(unreachable)}`);
    }
  }
}

const DEFINITE_FAILURE_MESSAGE = 'The payment provider could not process the request; no money moved.';

/**
 * A capture as the provider gets it, first time or again: whether it is the last one, and what
 * earlier captures took (the intent counts only settled captures, so a retry sees the same).
 */
function captureCall(intent: PaymentIntentRecord, attempt: AttemptRecord): { final: boolean; capturedBefore: number; remaining: number } {
  return { final: attempt.finalCapture !== false, capturedBefore: intent.amountReceived, remaining: intent.amountCapturable - attempt.amount };
}

/**
 * The route's providers after `provider`, in its order: by its place among the candidates (not by
 * how many were tried — a continuation skips one removed from the configuration since).
 */
function candidatesAfter(routing: RoutingRecord, provider: string): string[] {
  const at = routing.candidates.indexOf(provider);
  return at < 0 ? [] : routing.candidates.slice(at + 1);
}

/** The refusal a definite provider failure stands for, as the answer of each operation. */
function definitely(operation: AttemptOperation): (refusal: Refusal) => ProviderOutcome {
  return (refusal) => {
    switch (operation) {
      case 'authorize':
      case 'complete_action':
        return { operation, outcome: { status: 'declined', ...refusal } };
      case 'capture':
      case 'cancel':
      case 'refund':
        return { operation, outcome: { status: 'failed', ...refusal } };
      default: {
        const unreachable: never = operation;
        throw new Error(`unknown operation ${String(unreachable)}`);
      }
    }
  };
}

class ProviderDeadline extends Error {
  constructor(ms: number) {
    super(`the provider did not answer within ${ms} ms`);
    this.name = 'ProviderDeadline';
  }
}
/**
 * How long an uncaptured card authorization holds: Stripe's 7 days for online card payments.
 * After that Kassa releases the hold at the provider and cancels the intent (`automatic`),
 * and a capture is refused, as Stripe does.
 */
export const AUTHORIZATION_VALID_MS = 7 * 24 * 60 * 60_000;

const stillRunning = (intent?: PaymentIntentRecord) =>
  new KassaError(FailureKind.IdempotencyInFlight, 'idempotency_key_in_use', 'This request is still being completed; retry it in a moment.', {
    paymentIntent: intent,
  });

const providerSilent = (intent: PaymentIntentRecord) =>
  new KassaError(
    FailureKind.ProviderUnavailable,
    'api_error',
    'The payment provider did not answer. Retry with the same Idempotency-Key to learn the outcome (nothing is charged twice), or retrieve the PaymentIntent later.',
    { paymentIntent: intent },
  );

export class PaymentIntents {
  readonly #faults: FaultPoints;
  /** Refusals that stand for a definite provider failure (nothing happened), not a provider's answer. */
  readonly #definite = new WeakSet<object>();
  /** Attempts another provider (named) takes over after a definite failure: their refusal is not the payment's. */
  readonly #failingOver = new Map<string, string>();

  constructor(private readonly d: PaymentDeps) {
    this.#faults = d.faults ?? NO_FAULTS;
  }

  // ---- create ----

  /** `payment_method_types`: the methods it may be paid with (absent: any the mode's providers take). */
  async create(merchantId: string, input: CreatePaymentIntent & { payment_method_types?: readonly PaymentMethodType[] | undefined }, j?: Journal): Promise<PaymentIntentRecord> {
    // The provider a payment of it would go to now (none yet in live mode: confirm says so).
    // A card payment's provider (the method is chosen at confirm): what the intent's options are checked against.
    await this.d.providers.prepare?.(merchantId);
    const provider = this.d.providers.choose({
      merchantId,
      livemode: this.d.isLive(merchantId),
      currency: input.currency,
      amount: input.amount,
      paymentMethod: 'card',
      reference: '',
    });
    if (input.capture_method === 'manual' && provider && !methodCapabilities(provider.capabilities, 'card', input.currency)?.manualCapture) {
      throw invalidParam('capture_method', `The ${provider.name} provider does not support manual capture.`);
    }
    if (input.setup_future_usage && !input.customer) {
      throw missingParam('customer', 'setup_future_usage requires a customer to save the card for.');
    }
    const livemode = this.d.isLive(merchantId);
    // A method no provider of the mode takes is refused now, as Stripe refuses one not activated
    // (in live mode before any provider is configured, confirm says so, as for a card).
    for (const type of input.payment_method_types ?? []) {
      const takes = this.d.providers.route({ merchantId, livemode, currency: input.currency, amount: input.amount, paymentMethod: type, reference: '' }).providers;
      if (takes.length === 0 && this.d.providers.hasAny(livemode)) {
        throw new KassaError(
          FailureKind.InvalidRequest,
          'payment_method_unactivated',
          `No payment provider configured for ${livemode ? 'live' : 'test'} mode takes ${type} payments in ${input.currency.toUpperCase()}.`,
          { param: 'payment_method_types' },
        );
      }
    }
    if (input.confirm && !input.payment_method) throw missingParam('payment_method', 'confirm=true requires a payment_method.');
    for (const param of ['off_session', 'return_url'] as const) {
      if (input[param] !== undefined && !input.confirm) throw invalidParam(param, `${param} can only be used with confirm=true.`);
    }
    if (input.customer && !j?.intentId) await this.customerOf(merchantId, input.customer);

    // Resumed: the first run made the intent; it is never made again.
    if (j?.intentId) {
      const made = await this.load(merchantId, j.intentId);
      return input.confirm ? this.confirm(merchantId, made.id, { offSession: input.off_session, returnUrl: input.return_url }, j) : made;
    }

    const now = this.d.clock.now();
    let intent: PaymentIntentRecord = {
      id: newId('pi'),
      merchantId,
      livemode: this.d.isLive(merchantId),
      amount: input.amount,
      currency: input.currency,
      status: S.RequiresPaymentMethod,
      captureMethod: input.capture_method,
      customer: input.customer ?? null,
      setupFutureUsage: input.setup_future_usage ?? null,
      description: input.description ?? null,
      statementDescriptor: input.statement_descriptor ?? null,
      statementDescriptorSuffix: input.statement_descriptor_suffix ?? null,
      receiptEmail: input.receipt_email ?? null,
      shipping: input.shipping ? shippingRecord(input.shipping) : null,
      offSession: false,
      returnUrl: null,
      metadata: input.metadata ?? {},
      paymentMethod: null,
      paymentMethodType: null,
      paymentMethodTypes: input.payment_method_types ? [...new Set(input.payment_method_types)] : null,
      routing: null,
      vaultCardId: null,
      cardToken: null,
      methodToken: null,
      saveCard: false,
      amountCapturable: 0,
      amountReceived: 0,
      lastPaymentError: null,
      nextAction: null,
      actionRef: null,
      provider: null,
      providerRef: null,
      latestCharge: null,
      cancellationReason: null,
      canceledAt: null,
      pendingOperation: null,
      created: now,
      updated: now,
      version: 1,
    };
    if (input.payment_method) {
      // Attaching checks the method exists now rather than failing later at confirm (a test
      // payment method is made into a real one only then, once per payment).
      if (intent.livemode || this.d.testCard?.(input.payment_method) == null) await this.resolveCard(intent, input.payment_method);
      intent = { ...intent, paymentMethod: input.payment_method, status: S.RequiresConfirmation };
    }
    const write = journalStep(j, 'intent_created', { intentId: intent.id });
    this.#faults.reach('before:create');
    try {
      await this.d.store.insertIntent(intent, [this.event(intent, EventType.Created, now)], write);
    } catch (error) {
      throw this.conflict(error);
    }
    this.#faults.reach('after:create');
    recorded(j, write);
    this.d.logger.info({ paymentIntent: intent.id, merchant: merchantId, amount: intent.amount, currency: intent.currency }, 'payment_intent.created');

    if (input.confirm) return this.confirm(merchantId, intent.id, { offSession: input.off_session, returnUrl: input.return_url }, j);
    return intent;
  }

  async retrieve(merchantId: string, id: string): Promise<PaymentIntentRecord> {
    return this.load(merchantId, id);
  }

  async list(merchantId: string, filter: { customer?: string | undefined }, query: PageQuery): Promise<Page<PaymentIntentRecord>> {
    return this.d.store.listIntents(merchantId, filter, query);
  }

  /**
   * Stripe's search (`domain/search.ts`), newest first, a page at a time: `page` is the opaque
   * `next_page` of the page before.
   */
  async search(
    merchantId: string,
    input: { query: string; limit: number; page?: string | undefined },
  ): Promise<{ data: PaymentIntentRecord[]; hasMore: boolean; nextPage: string | null }> {
    const where = parseSearch(input.query);
    let after: number | null = null;
    if (input.page !== undefined) {
      const decoded = /^[A-Za-z0-9_-]{1,40}$/.test(input.page) ? Number(Buffer.from(input.page, 'base64url').toString('utf8').replace(/^s:/, '')) : NaN;
      if (!Number.isSafeInteger(decoded) || decoded <= 0) throw invalidParam('page', 'Invalid page: use the next_page of the previous answer.');
      after = decoded;
    }
    const found = await this.d.store.searchIntents(merchantId, where, after, input.limit);
    const last = found.data.at(-1);
    return {
      data: found.data,
      hasMore: found.hasMore,
      nextPage: found.hasMore && last ? Buffer.from(`s:${last.seq}`).toString('base64url') : null,
    };
  }

  // ---- update ----

  /**
   * Changes what Stripe lets a merchant change: metadata, description and receipt_email at any
   * time; the amount, currency, customer, payment method and the rest only before confirmation
   * (`requires_payment_method`, `requires_confirmation`). A new payment method means confirming
   * again (`requires_confirmation`). Nothing changes while a provider call is in flight.
   */
  async update(merchantId: string, id: string, input: UpdatePaymentIntent, j?: Journal): Promise<PaymentIntentRecord> {
    if (j?.intentId && j.recoveryPoint === 'intent_changed') return this.load(merchantId, j.intentId);
    const intent = await this.load(merchantId, id);
    this.assertIdle(intent, 'update');
    const anytime = new Set(['metadata', 'description', 'receipt_email']);
    const early = intent.status === S.RequiresPaymentMethod || intent.status === S.RequiresConfirmation;
    if (!early) {
      const blocked = Object.keys(input).find((k) => !anytime.has(k));
      if (blocked) {
        throw new KassaError(
          FailureKind.InvalidState,
          'payment_intent_unexpected_state',
          `You cannot update ${blocked} of a PaymentIntent with status ${intent.status}; only metadata, description and receipt_email.`,
          { param: blocked, paymentIntent: intent },
        );
      }
    }
    const provider = this.providerOf(intent);
    if (input.capture_method === 'manual' && provider && !flowsOf(intent, provider).manualCapture) {
      throw invalidParam('capture_method', `The ${provider.name} provider does not support manual capture.`);
    }
    if (input.customer !== undefined && input.customer !== intent.customer) {
      // A saved card belongs to its customer: changing the customer drops a saved card attached.
      await this.customerOf(merchantId, input.customer);
    }
    const customer = input.customer ?? intent.customer;
    const futureUsage = input.setup_future_usage === undefined ? intent.setupFutureUsage : input.setup_future_usage || null;
    if (futureUsage && !customer) throw missingParam('customer', 'setup_future_usage requires a customer to save the card for.');
    let paymentMethod = intent.paymentMethod;
    if (input.payment_method !== undefined) {
      const probe = { ...intent, customer };
      if (this.d.testCard?.(input.payment_method) == null) await this.resolveCard(probe, input.payment_method);
      paymentMethod = input.payment_method;
    } else if (customer !== intent.customer && paymentMethod?.startsWith('pm_')) {
      paymentMethod = null;
    }
    const unset = <T>(v: T | '' | undefined, current: T | null): T | null => (v === undefined ? current : v === '' ? null : v);
    const patch: Partial<PaymentIntentRecord> = {
      amount: input.amount ?? intent.amount,
      currency: input.currency ?? intent.currency,
      captureMethod: input.capture_method ?? intent.captureMethod,
      customer,
      setupFutureUsage: futureUsage,
      description: unset(input.description, intent.description),
      statementDescriptor: unset(input.statement_descriptor, intent.statementDescriptor),
      statementDescriptorSuffix: unset(input.statement_descriptor_suffix, intent.statementDescriptorSuffix),
      receiptEmail: unset(input.receipt_email, intent.receiptEmail),
      shipping: input.shipping === undefined ? intent.shipping : input.shipping === '' ? null : shippingRecord(input.shipping),
      metadata: input.metadata ? boundedMetadata(mergeMetadata(intent.metadata, input.metadata)) : intent.metadata,
      paymentMethod,
    };
    const status = early ? (paymentMethod ? S.RequiresConfirmation : S.RequiresPaymentMethod) : intent.status;
    const next = status === intent.status ? this.touch(intent, patch) : this.advance(intent, status, patch);
    const write = journalStep(j, 'intent_changed', { intentId: intent.id });
    const written = await this.commit('outcome', intent, next, { ...(write ? { journal: write } : {}) });
    recorded(j, write);
    return written;
  }

  // ---- confirm ----

  async confirm(
    merchantId: string,
    intentId: string,
    input: {
      paymentMethod?: string | undefined;
      /**
       * A payment method made for this payment (Stripe's `payment_method_data`): a wallet the
       * shopper approves at the provider, a card the provider holds (its token), or a device
       * wallet's token.
       */
      paymentMethodData?: PaymentMethodData | undefined;
      setupFutureUsage?: FutureUsage | undefined;
      /** Merchant API: the shopper is not there (a saved card charged by the merchant). */
      offSession?: boolean | 'one_off' | 'recurring' | undefined;
      /** Merchant API: a 3-D Secure challenge becomes a redirect that returns here. */
      returnUrl?: string | undefined;
    },
    j?: Journal,
  ): Promise<PaymentIntentRecord> {
    if (j?.attemptId) {
      const settled = await this.resumeAttempt(merchantId, j.attemptId);
      const rest = await this.failoverLeftOff(settled);
      if (!rest) return this.answer(settled);
      const { routing } = settled.intent;
      this.d.logger.warn({ paymentIntent: settled.intent.id, to: rest[0]?.name }, 'carrying on a failover a crash interrupted');
      return this.answer(await this.tryInTurn(settled.intent, rest, { rule: routing?.rule ?? null, candidates: routing?.candidates ?? [], tried: routing?.tried ?? [], patch: {} }, j));
    }
    const resumed = await this.resumeJournal(merchantId, j);
    if (resumed) return resumed;

    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'confirm');
    if (!CONFIRMABLE.includes(intent.status)) throw unexpectedState(intent, 'confirm');
    const offSession = input.offSession !== undefined && input.offSession !== false;
    const data = input.paymentMethodData;
    if (data && input.paymentMethod) throw invalidParam('payment_method_data', 'Pass payment_method or payment_method_data, not both.');
    const wallet = data?.type === 'alipay' || data?.type === 'paypal' ? data.type : undefined;
    const tokenized = data ? cardTokenOf(data) : null;
    if (wallet) {
      if (input.setupFutureUsage) throw invalidParam('setup_future_usage', `A ${wallet} payment is approved by the shopper each time; only cards are saved.`);
      if (offSession) throw invalidParam('off_session', `A ${wallet} payment needs the shopper to approve it; it cannot be made off-session.`);
    }
    const paymentMethod = data ? null : (input.paymentMethod ?? intent.paymentMethod);
    if (!data && !paymentMethod) throw missingParam('payment_method');
    if (input.setupFutureUsage && !intent.customer) {
      throw invalidParam('setup_future_usage', 'setup_future_usage needs a PaymentIntent created with a customer.');
    }
    // Card testers run stolen numbers through one checkout until one goes through.
    const declines = await this.d.store.countDeclines(intent.id);
    if (declines >= (this.d.maxDeclines ?? DEFAULT_MAX_DECLINES)) {
      this.d.logger.warn({ paymentIntent: intent.id, merchant: merchantId, declines }, 'card testing: confirm refused after too many declines');
      throw new KassaError(
        FailureKind.InvalidRequest,
        'payment_intent_attempts_exceeded',
        'This payment was declined too often. Create a new PaymentIntent to try again.',
        { paymentIntent: intent },
      );
    }
    const methodType: PaymentMethodType = wallet ?? 'card';
    if (intent.paymentMethodTypes && !intent.paymentMethodTypes.includes(methodType)) {
      throw new KassaError(
        FailureKind.InvalidRequest,
        'payment_intent_incompatible_payment_method',
        `This PaymentIntent takes ${intent.paymentMethodTypes.join(', ')} (its payment_method_types), not ${methodType}.`,
        { param: data ? 'payment_method_data[type]' : 'payment_method', paymentIntent: intent },
      );
    }
    const source = paymentMethod ? await this.resolveCard(intent, paymentMethod) : null;
    // Where a new payment goes: the routing's order (live mode never gets the sandbox issuer).
    await this.d.providers.prepare?.(intent.merchantId);
    const futureUsage = input.setupFutureUsage ?? intent.setupFutureUsage;
    // A card to keep for the customer, or a charge without the shopper: the provider must charge saved cards.
    const saving = futureUsage !== null && intent.customer !== null && wallet === undefined;
    const routed = this.route(intent, tokenized?.type ?? methodType, source?.card, {
      savedMethods: offSession || saving,
      offSession,
      returnUrl: input.returnUrl ?? null,
      tokenProvider: tokenized?.provider,
    });
    const saveCard = source !== null && source.kind !== 'saved' && futureUsage !== null && intent.customer !== null;
    // Taken once for every provider tried: the CVC is handed out once.
    let card: ProviderCardInput | undefined;
    const cardFrom = (from: CardSource) => (): ProviderCardInput =>
      (card ??= { ...from.card, cvc: from.kind === 'token' ? this.d.vault.takeCvc(from.token.id) : undefined });

    return this.answer(
      await this.tryInTurn(
        intent,
        routed.providers,
        {
          rule: routed.rule,
          candidates: routed.providers.map((p) => p.name),
          tried: [],
          patch: {
            paymentMethod: source?.id ?? null,
            paymentMethodType: methodType,
            vaultCardId: source?.card.vaultCardId ?? null,
            cardToken: tokenized?.type ?? null,
            methodToken: tokenized ? this.d.vault.sealMethodToken(intent.merchantId, intent.id, tokenized.token) : null,
            saveCard,
            setupFutureUsage: futureUsage,
            offSession,
            returnUrl: input.returnUrl ?? null,
          },
          ...(source?.kind === 'token' ? { consumeToken: { id: source.token.id, merchantId, now: this.d.clock.now() } } : {}),
          ...(source ? { card: cardFrom(source) } : {}),
        },
        j,
      ),
    );
  }

  /**
   * Tries a confirmation's providers in routing's order: the first answer (or unknown) ends it; a
   * definite failure (nothing happened there) hands the payment to the next, under a key of its
   * own. `run.tried` are the providers already tried (a confirmation carried on after a crash).
   */
  private async tryInTurn(
    start: PaymentIntentRecord,
    providers: PaymentProvider[],
    run: {
      rule: string | null;
      candidates: string[];
      tried: RoutingRecord['tried'];
      /** What the confirmation writes on the intent with the first attempt. */
      patch: Partial<PaymentIntentRecord>;
      /** The card frame's token, used up by the first attempt. */
      consumeToken?: IntentChange['consumeToken'];
      card?: () => ProviderCardInput;
    },
    j?: Journal,
  ): Promise<Settled> {
    const tried = [...run.tried];
    let current = start;
    for (const [k, provider] of providers.entries()) {
      const i = tried.length;
      const next = providers[k + 1];
      const settled = await this.startAttempt(
        current,
        {
          operation: 'authorize',
          // A failover is a new call at another provider: a key of its own, derived from the request's.
          key: i === 0 ? j?.ref.key : `${j?.ref.key ?? randomBase62(16)}|failover:${i}`,
          amount: current.amount,
          resumeStatus: S.RequiresPaymentMethod,
          to: S.Processing,
          patch: {
            ...(k === 0 ? run.patch : {}),
            lastPaymentError: null,
            nextAction: null,
            actionRef: null,
            provider: provider.name,
            providerRef: null,
            // As the call starts; settling says what it answered (an unknown outcome stays `unknown`).
            routing: { rule: run.rule, candidates: run.candidates, tried: [...tried, { provider: provider.name, result: 'unknown' }] },
          },
          ...(k === 0 && run.consumeToken ? { consumeToken: run.consumeToken } : {}),
          ...(run.card ? { card: run.card } : {}),
          ...(next ? { failover: next.name } : {}),
        },
        j,
      );
      const definite = settled.definite === true;
      tried.push({ provider: provider.name, result: definite ? 'definite_failure' : 'answered' });
      if (!definite || !next) return settled;
      // Nothing happened at this provider: the next one takes the payment.
      this.d.logger.warn({ paymentIntent: start.id, from: provider.name, to: next.name }, 'provider failed definitely; failing over');
      current = settled.intent;
    }
    throw new Error('unreachable: a route has at least one provider');
  }

  /**
   * A confirmation that died after a provider's definite failure, before the next one's attempt
   * began (the routing record still names that one as `next`), and nothing since: the providers
   * still to try, for the same-key retry to carry it on. Null when there is nothing to carry on.
   */
  private async failoverLeftOff({ intent, attempt }: Settled): Promise<PaymentProvider[] | null> {
    const routing = intent.routing;
    if (!routing?.next || attempt.operation !== 'authorize' || attempt.status !== 'failed') return null;
    if (intent.status !== S.RequiresPaymentMethod || intent.pendingOperation !== null) return null;
    const attempts = await this.d.store.listAttempts(intent.id);
    if (attempts.at(-1)?.id !== attempt.id) return null;
    const last = routing.tried.at(-1);
    const rest = last ? candidatesAfter(routing, last.provider) : [];
    if (rest[0] !== routing.next) return null;
    // A provider removed from the configuration since is skipped; the order stays the routing's.
    // The directory first sees the merchant's accounts as they are now (another instance may have made one).
    await this.d.providers.prepare?.(intent.merchantId);
    const providers = rest.flatMap((name) => this.d.providers.byName(name) ?? []);
    return providers.length > 0 ? providers : null;
  }

  /**
   * Confirmations a crash left mid-failover (the routing names the next provider) that no
   * same-key retry carried on for `olderThanMs`: nobody waits for them any more, so each ends as
   * the decline it was — the failed charge and `payment_intent.payment_failed` the merchant would
   * have heard, `next` cleared (a later retry under that key gets this decline; a new confirm
   * starts the route over). A retry that moves the intent first wins (the commit is version-checked).
   */
  async closeLeftOffFailovers(options: { olderThanMs: number; limit?: number }): Promise<number> {
    let closed = 0;
    for (const intent of await this.d.store.listLeftOffFailovers(this.d.clock.now() - options.olderThanMs, options.limit ?? 100)) {
      try {
        const attempt = (await this.d.store.listAttempts(intent.id)).at(-1);
        if (!intent.routing?.next || !attempt || attempt.operation !== 'authorize' || attempt.status !== 'failed') continue;
        const { next: _carriedTo, ...routing } = intent.routing;
        const now = this.d.clock.now();
        const declineCode = declineCodeOf(attempt);
        const charge = await this.failedCharge(intent, attempt, declineCode, now);
        const next = this.touch(intent, { routing, saveCard: false, latestCharge: charge.id });
        await this.commit('outcome', intent, next, {
          charge,
          events: [this.event(next, EventType.ChargeFailed, now, chargeView(charge, next)), this.event(next, EventType.PaymentFailed, now)],
        });
        this.d.logger.warn({ paymentIntent: intent.id, next: intent.routing.next, declineCode }, 'payment_intent.payment_failed: a failover a crash left off was not carried on by a retry');
        closed++;
      } catch (error) {
        if (error instanceof KassaError && error.kind === FailureKind.InvalidState) continue; // a retry moved it meanwhile
        this.d.logger.error({ paymentIntent: intent.id, err: error }, 'closing a left-off failover failed; tried again later');
      }
    }
    return closed;
  }

  /**
   * The providers a confirmation may go to, in order, or a clear refusal: none configured for
   * the mode at all, none that takes this method in this currency, or none that declares a flow
   * the payment needs (a hold, a saved card, the Alipay flow Kassa would choose). A card that
   * comes as a token goes to one provider only, never failed over: a provider's token is good at
   * the account that made it alone, a device wallet's is encrypted for the provider that decrypts it.
   */
  private route(
    intent: PaymentIntentRecord,
    methodType: ProviderMethodType,
    card: OpenedCard | undefined,
    needs: { savedMethods: boolean; offSession: boolean; returnUrl: string | null; tokenProvider?: string | undefined },
  ): { providers: PaymentProvider[]; rule: string | null } {
    const choice = {
      merchantId: intent.merchantId,
      livemode: intent.livemode,
      currency: intent.currency,
      amount: intent.amount,
      paymentMethod: methodType,
      cardBrand: card?.brand,
      // Eight digits: today's BINs (a six-digit prefix still matches them); never stored or logged.
      bin: card ? card.number.reveal().slice(0, 8) : undefined,
      reference: intent.id,
    };
    const routed = this.d.providers.route(choice);
    const param = methodType === 'card' ? 'payment_method' : 'payment_method_data[type]';
    const flows = (p: PaymentProvider) => methodCapabilities(p.capabilities, methodType, intent.currency);
    // Each flow the payment needs, checked before any call: a provider that does not declare it is never tried.
    const required: Array<{ lacks: (f: MethodCapabilities) => boolean; param: string; refusal: string }> = [
      {
        lacks: (f) => intent.captureMethod === 'manual' && !f.manualCapture,
        param: 'capture_method',
        refusal: `No payment provider for ${methodType} payments supports manual capture (capture_method=manual); use automatic capture.`,
      },
      {
        lacks: (f) => needs.savedMethods && !f.savedMethods,
        param: needs.offSession ? 'off_session' : 'setup_future_usage',
        refusal: `No payment provider for ${methodType} payments can charge a card again later (setup_future_usage, off_session); a ${methodType} card is paid by the shopper each time.`,
      },
    ];
    const alipayFlow = methodType === 'alipay' ? alipayFlowFor(needs.returnUrl) : null;
    if (alipayFlow) {
      required.push({
        lacks: (f) => !f.nextActions.includes(alipayFlow),
        param: 'return_url',
        refusal: alipayFlow === 'redirect' ? 'No Alipay provider takes the cashier by redirect; confirm without return_url for a QR code.' : 'No Alipay provider shows a QR code; confirm with a return_url for the cashier page.',
      });
    }
    let able = routed.providers;
    for (const need of required) {
      const next = able.filter((p) => { const f = flows(p); return f !== null && !need.lacks(f); });
      if (next.length === 0 && able.length > 0) throw invalidParam(need.param, need.refusal);
      able = next;
    }
    if (able.length > 0) {
      if (methodType === 'provider_token') return { providers: [this.tokenProvider(intent, able, needs.tokenProvider)], rule: routed.rule };
      if (methodType === 'apple_pay' || methodType === 'google_pay') return { providers: able.slice(0, 1), rule: routed.rule };
      return { providers: able, rule: routed.rule };
    }
    // Which refusal: nothing at all configured for the mode, or nothing for this method.
    if (!this.d.providers.hasAny(intent.livemode)) this.requireProvider({ ...intent, provider: null });
    const mode = intent.livemode ? 'live' : 'test';
    const what = methodType === 'provider_token' ? 'card tokens of their own (payment_method_data[card][token])' : `${methodType} payments`;
    throw new KassaError(
      FailureKind.InvalidRequest,
      'payment_method_unactivated',
      `No payment provider configured for ${mode} mode takes ${what} in ${intent.currency.toUpperCase()}.`,
      { param, paymentIntent: intent },
    );
  }

  /** The provider a card token belongs to: the one named, or the mode's only provider that takes tokens. */
  private tokenProvider(intent: PaymentIntentRecord, able: PaymentProvider[], named: string | undefined): PaymentProvider {
    const param = 'payment_method_data[card][provider]';
    if (named !== undefined) {
      const provider = able.find((p) => p.name === named);
      if (provider) return provider;
      throw invalidParam(param, `No payment provider named '${named}' takes card tokens for this payment; the ones that do: ${able.map((p) => p.name).join(', ')}.`);
    }
    if (able.length === 1) return able[0]!;
    throw new KassaError(
      FailureKind.InvalidRequest,
      'parameter_missing',
      `Several payment providers take card tokens (${able.map((p) => p.name).join(', ')}): name the one that made this token in ${param}.`,
      { param, paymentIntent: intent },
    );
  }

  // ---- 3-D Secure ----

  /**
   * The shopper finished the challenge: ask the provider to hold or charge, and settle. The
   * attempt is this request's journal: a completion whose first run died (the shopper sends
   * the page again, or nobody does and recovery runs) is finished, never made twice.
   */
  async completeAction(actionRef: string, details?: Record<string, string>): Promise<PaymentIntentRecord> {
    const intent = await this.d.store.findIntentByActionRef(actionRef);
    if (!intent) throw notFound('three_d_secure challenge', actionRef);
    if (intent.pendingOperation) {
      const attempt = await this.d.store.getAttempt(intent.pendingOperation);
      if (attempt?.operation === 'complete_action') return (await this.resumeAttempt(intent.merchantId, attempt.id)).intent;
      return intent;
    }
    if (awaitingProvider(intent)) return this.askAgain(intent);
    // Already settled (a second POST, a reload): report where it stands.
    if (intent.status !== S.RequiresAction) return intent;
    // A challenge is completed once (its key says so). A wallet payment is asked again and again
    // until the shopper has paid (the page polls, the notification comes, the shopper returns):
    // each asking is an attempt of its own; one that charges ends the asking.
    const wallet = intent.paymentMethodType === 'alipay' || intent.paymentMethodType === 'paypal';
    const settled = await this.startAttempt(intent, {
      operation: 'complete_action',
      key: wallet ? undefined : `action:${actionRef}`,
      amount: intent.amount,
      resumeStatus: S.RequiresAction,
      to: S.Processing,
      patch: {},
      ...(details ? { details } : {}),
    });
    return settled.intent;
  }

  /**
   * Asks the provider again about a payment it answered `pending`: an attempt of its own (a key
   * of its own), made from `processing` and back to it if the provider still has no answer.
   */
  private async askAgain(intent: PaymentIntentRecord): Promise<PaymentIntentRecord> {
    const settled = await this.startAttempt(intent, {
      operation: 'complete_action',
      key: undefined,
      amount: intent.amount,
      resumeStatus: S.Processing,
      to: null,
      patch: {},
    });
    return settled.intent;
  }

  /**
   * Asks the providers about payments they answered `pending` and that have waited at least
   * `olderThanMs` since they were last asked (the notification usually comes first; this is for
   * the one that never does). Resolves to how many were asked.
   */
  async askAwaiting(options: { olderThanMs: number; limit?: number }): Promise<number> {
    let asked = 0;
    for (const intent of await this.d.store.listAwaitingIntents(this.d.clock.now() - options.olderThanMs, options.limit ?? 100)) {
      try {
        await this.askAgain(intent);
        asked++;
      } catch (error) {
        this.d.logger.warn({ paymentIntent: intent.id, err: error }, 'asking the provider about a pending payment failed; asked again later');
      }
    }
    return asked;
  }

  /**
   * A provider's verified notification about a payment: it says something changed, not what —
   * Kassa asks the provider (a payment waiting for the shopper is completed; a call whose answer
   * was lost is looked up, or, for a provider that cannot be asked, read from its stored
   * notifications by its adapter) and the status table decides, so a duplicate or a late
   * notification changes nothing. One that says a booked capture or refund failed afterwards
   * (`failed`) is recorded as a discrepancy. Resolves to what was done, for the notification's record.
   */
  async applyNotification(
    provider: string,
    about: { reference?: string | undefined; providerRef?: string | undefined; notification?: string | undefined; failed?: ModificationFailure | undefined },
  ): Promise<string> {
    const byId = about.reference ? await this.d.store.getIntentAnyMerchant(about.reference) : null;
    const intent =
      byId ??
      (about.providerRef ? await this.d.store.findIntentByActionRef(about.providerRef) : null) ??
      // The provider's own id for the payment (a refund event names nothing else).
      (about.providerRef ? await this.d.store.findIntentByProviderRef(provider, about.providerRef) : null) ??
      (about.reference ? await this.d.store.findIntentByActionRef(about.reference) : null);
    if (!intent) return 'no_payment';
    if (intent.provider !== provider) return 'other_provider';
    if (about.failed) return this.modificationFailed(intent, about.failed, about.notification);
    if (intent.pendingOperation) {
      const attempt = await this.d.store.getAttempt(intent.pendingOperation);
      if (!attempt || SETTLED_ATTEMPT.includes(attempt.status) || (await this.beingWorkedOn(attempt))) return 'in_progress';
      const owner = this.d.liveness.begin();
      try {
        const claimed = await this.claim(intent, attempt, owner);
        if (!claimed) return 'in_progress';
        const settled = await this.drive(claimed.intent, claimed.attempt, { recovering: 'background' });
        return `recovered:${settled.intent.status}`;
      } finally {
        this.d.liveness.end(owner);
      }
    }
    if ((intent.status === S.RequiresAction || awaitingProvider(intent)) && intent.actionRef) return `completed:${(await this.completeAction(intent.actionRef)).status}`;
    return `unchanged:${intent.status}`;
  }

  /**
   * A capture, refund or void the provider accepted, which Kassa booked on that acceptance,
   * failed afterwards. A refund is undone (`refundFailedLater`). A capture or a void is not
   * unbooked — the ledger has no entry that undoes one, and what the shopper's bank holds then
   * (a hold that still stands, or was captured after all) is for the operator to find out — so it
   * is recorded as a discrepancy (expected: the booked amount, actual: 0) for
   * reconciliation, with an event and a log line. The discrepancy's id is the notification's, so
   * applying it again after a crash records nothing more; the call it is about is the oldest
   * booked one of that amount not flagged yet.
   */
  private async modificationFailed(intent: PaymentIntentRecord, failed: ModificationFailure, notification: string | undefined): Promise<string> {
    const id = notification ? `dsc_${notification.replace(/^pnt_/, '')}` : newId('dsc');
    // Not while a call on the intent is open: this write would win the intent's version from that
    // call's outcome. Left unapplied, it is applied by the recovery timer once the call is done.
    if (intent.pendingOperation) throw new Error(`intent ${intent.id} has a provider call open; the failed ${failed.operation} is recorded later`);
    if (failed.operation === 'refund') return this.refundFailedLater(intent, failed);
    const flagged = await this.d.store.discrepanciesFor(intent.id);
    if (flagged.some((d) => d.id === id)) return `unchanged:${failed.operation}_failure_recorded`;
    const ofAmount = (await this.d.store.listAttempts(intent.id)).filter(
      // A void is the intent's one (no amount to tell them apart: the provider names the payment's).
      (a) => a.operation === failed.operation && a.status === 'succeeded' && (failed.operation === 'cancel' || a.amount === failed.amount) && failed.currency === intent.currency,
    );
    // The call the provider names, where it names one Kassa has its id for; a report only, so
    // otherwise (a capture booked before its id was kept) the amount tells.
    const named = failed.operation === 'cancel' ? [] : ofAmount.filter((a) => namesCall(failed, a));
    const booked = named.length > 0 ? named : ofAmount;
    const attempt = booked.find((a) => !flagged.some((d) => d.attemptId === a.id));
    if (!attempt) {
      this.d.logger.warn({ paymentIntent: intent.id, operation: failed.operation, amount: failed.amount }, 'provider reports a failed modification Kassa did not book');
      return `no_booked_${failed.operation}`;
    }
    const now = this.d.clock.now();
    const next = this.touch(intent, {});
    await this.commit('outcome', intent, next, {
      discrepancy: {
        id,
        merchantId: intent.merchantId,
        intentId: intent.id,
        attemptId: attempt.id,
        operation: failed.operation,
        currency: intent.currency,
        expected: attempt.amount,
        actual: 0,
        created: now,
      },
      events: [this.event(next, EventType.Discrepancy, now)],
    });
    this.d.logger.error(
      { paymentIntent: intent.id, attempt: attempt.id, operation: failed.operation, amount: attempt.amount, rawCode: failed.rawCode, reason: failed.message },
      'provider reports a booked modification failed; held for reconciliation',
    );
    return `discrepancy:${failed.operation}_failed`;
  }


  /**
   * A refund the provider accepted (booked as given back) failed afterwards: the money stays with
   * the merchant, as Stripe books it. The refund becomes `failed` (its failure_reason the
   * provider's), its charge's amount_refunded goes back down, a `refund_failure` ledger
   * transaction undoes its entries, and the merchant hears `refund.updated` and `refund.failed` —
   * in one commit. Which refund: only the one the provider names exactly — by the key it was
   * made under (Stripe's metadata) or by the provider's id for it (Adyen's modification
   * pspReference, Stripe's Refund id, kept from the refund's answer). Never by amount: two
   * refunds of one amount, or a refund made in the provider's dashboard failing, would undo one
   * that happened. Applying it again (a replay after a crash, Stripe's three events for one
   * failure) finds that refund failed already and changes nothing.
   */
  private async refundFailedLater(intent: PaymentIntentRecord, failed: ModificationFailure): Promise<string> {
    const booked = (await this.d.store.listAttempts(intent.id)).filter(
      (a) => a.operation === 'refund' && a.status === 'succeeded' && a.amount === failed.amount && failed.currency === intent.currency && namesCall(failed, a),
    );
    let applied = false;
    for (const attempt of booked) {
      const refund = await this.d.store.refundForAttempt(attempt.id);
      if (!refund) continue;
      if (refund.status !== 'succeeded') {
        applied ||= refund.status === 'failed';
        continue;
      }
      const charge = await this.d.store.getCharge(intent.merchantId, refund.chargeId);
      if (!charge) throw new Error(`refund ${refund.id} names charge ${refund.chargeId}, which does not exist`);
      const now = this.d.clock.now();
      const undone: RefundRecord = { ...refund, status: 'failed', failureReason: failed.message ?? failed.rawCode ?? failed.declineCode, updated: now };
      const restored: ChargeRecord = { ...charge, amountRefunded: charge.amountRefunded - refund.amount, updated: now };
      // It counts where the refund counted: from the pending balance while the refunded funds are.
      const counted = (await this.d.store.ledgerFor(intent.id)).find((t) => t.balance?.source === refund.id && t.balance.type === 'refund')?.balance;
      const next = this.touch(intent, {});
      await this.commit('outcome', intent, next, {
        refund: undone,
        charge: restored,
        ledger: ledger.refundFailure(next, refund.id, refund.amount, now, counted?.availableOn ?? now),
        events: [this.event(next, EventType.RefundUpdated, now, refundView(undone)), this.event(next, EventType.RefundFailed, now, refundView(undone))],
      });
      this.d.logger.warn(
        { paymentIntent: intent.id, refund: refund.id, amount: refund.amount, rawCode: failed.rawCode, reason: failed.message },
        'provider reports a refund it had accepted failed; its money is back in the balance',
      );
      return 'refund_failed:balance_restored';
    }
    if (applied) return 'unchanged:refund_failed';
    this.d.logger.warn({ paymentIntent: intent.id, amount: failed.amount, key: failed.key !== undefined }, 'provider reports a failed refund Kassa did not book');
    return 'no_booked_refund';
  }

  /** The intent a provider's return names (Kassa's reference on the return URL); unscoped, as the shopper's browser brings it. */
  async intentForReturn(reference: string): Promise<PaymentIntentRecord | null> {
    // Kassa's intent id, or the action's reference (what an adapter was given to build its return URL from).
    const found = (await this.d.store.getIntentAnyMerchant(reference)) ?? (await this.d.store.findIntentByActionRef(reference));
    // The return route finds the intent's provider by name next: a merchant's account made by another instance included.
    if (found) await this.d.providers.prepare?.(found.merchantId);
    return found;
  }

  /** Who may frame the challenge page: the intent's merchant's allowed origins. */
  async actionContext(actionRef: string): Promise<{ intent: PaymentIntentRecord; allowedOrigins: string[] } | null> {
    const intent = await this.d.store.findIntentByActionRef(actionRef);
    if (!intent) return null;
    const merchant = await this.d.store.getMerchant(intent.merchantId);
    return { intent, allowedOrigins: merchant?.allowedOrigins ?? [] };
  }

  // ---- capture ----

  async capture(
    merchantId: string,
    intentId: string,
    input: { amountToCapture?: number | undefined; finalCapture?: boolean | undefined },
    j?: Journal,
  ): Promise<PaymentIntentRecord> {
    const resumed = await this.resumeJournal(merchantId, j);
    if (resumed) return resumed;

    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'capture');
    if (intent.status !== S.RequiresCapture) throw unexpectedState(intent, 'capture');
    if (await this.authorizationExpired(intent)) {
      // Released now rather than at the next sweep, so the answer and the intent agree.
      throw unexpectedState(await this.cancel(merchantId, intent.id, { reason: AUTOMATIC_CANCELLATION }), 'capture');
    }
    this.providerRef(intent);
    const amount = input.amountToCapture ?? intent.amountCapturable;
    if (amount > intent.amountCapturable) {
      throw invalidParam(
        'amount_to_capture',
        `The amount to capture (${amount}) exceeds the amount capturable (${intent.amountCapturable}).`,
        'amount_too_large',
      );
    }
    const provider = await this.providerFor(intent);
    const flows = flowsOf(intent, provider);
    // A capture of all that is left is the last one, whatever it says.
    const final = input.finalCapture !== false || amount === intent.amountCapturable;
    if (!final && !flows.multipleCapture) {
      throw invalidParam(
        'final_capture',
        `The ${provider.name} provider does not support capturing one authorization several times (final_capture=false); capture once, and the rest of the hold is released.`,
      );
    }
    if (final && amount < intent.amountCapturable && !flows.partialCapture) {
      throw invalidParam('amount_to_capture', `The ${provider.name} provider does not support partial capture.`);
    }
    const settled = await this.startAttempt(
      intent,
      {
        operation: 'capture',
        key: j?.ref.key,
        amount,
        resumeStatus: S.RequiresCapture,
        to: S.Processing,
        patch: {},
        ...(final ? {} : { finalCapture: false as const }),
      },
      j,
    );
    return this.answer(settled);
  }

  // ---- cancel ----

  async cancel(merchantId: string, intentId: string, input: { reason?: CancellationReason | undefined }, j?: Journal): Promise<PaymentIntentRecord> {
    const resumed = await this.resumeJournal(merchantId, j);
    if (resumed) return resumed;

    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'cancel');
    if (!CANCELABLE.includes(intent.status)) throw unexpectedState(intent, 'cancel');
    const reason = input.reason ?? null;

    // Nothing at the provider yet: cancel locally, one step.
    if (!intent.providerRef || (intent.status !== S.RequiresCapture && intent.status !== S.RequiresAction)) {
      const now = this.d.clock.now();
      const next = this.advance(intent, S.Canceled, { canceledAt: now, cancellationReason: reason, amountCapturable: 0, nextAction: null });
      const write = journalStep(j, 'intent_changed', { intentId: intent.id });
      const written = await this.commit('outcome', intent, next, { events: [this.event(next, EventType.Canceled, now)], ...(write ? { journal: write } : {}) });
      recorded(j, write);
      this.d.logger.info({ paymentIntent: next.id, released: 0 }, 'payment_intent.canceled');
      return written;
    }
    const provider = await this.providerFor(intent);
    if (!flowsOf(intent, provider).cancel) {
      throw new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', `The ${provider.name} provider cannot void an authorization.`);
    }
    // No status of its own for "voiding": the pending operation blocks anything else meanwhile.
    const settled = await this.startAttempt(
      intent,
      {
        operation: 'cancel',
        key: j?.ref.key,
        // After captures (final_capture=false) what is voided is the rest of the hold.
        amount: intent.amountReceived > 0 ? intent.amountCapturable : Math.max(intent.amountCapturable, intent.amount),
        resumeStatus: intent.status,
        to: null,
        patch: { cancellationReason: reason },
      },
      j,
    );
    return this.answer(settled);
  }

  /** Whether an intent awaiting capture holds an authorization older than its validity. */
  private async authorizationExpired(intent: PaymentIntentRecord): Promise<boolean> {
    if (!intent.latestCharge) return false;
    const charge = await this.d.store.getCharge(intent.merchantId, intent.latestCharge);
    return charge !== null && charge.created < this.d.clock.now() - AUTHORIZATION_VALID_MS;
  }

  /**
   * Releases every authorization left uncaptured past its validity (the housekeeping sweep):
   * each is canceled with reason `automatic` through the provider, one provider call with its
   * recovery point like any cancel, so a crash midway is settled by recovery and a retry of the
   * sweep skips what is done. Returns how many were released.
   */
  async expireAuthorizations(batch = 100): Promise<number> {
    let released = 0;
    const due = await this.d.store.listExpiredAuthorizations(this.d.clock.now() - AUTHORIZATION_VALID_MS, batch);
    for (const intent of due) {
      try {
        await this.cancel(intent.merchantId, intent.id, { reason: AUTOMATIC_CANCELLATION });
        released++;
      } catch (error) {
        // A capture that won the race, or a provider that did not answer: the next sweep looks again.
        this.d.logger.warn({ paymentIntent: intent.id, err: error }, 'could not release an expired authorization; retried at the next sweep');
      }
    }
    return released;
  }

  // ---- refunds and charges ----

  /**
   * Gives captured money back: all that is left of the charge, or `amount` of it, as often as
   * there is some left. One provider call with its recovery point, like a capture; refunds never
   * exceed what was captured (checked here, and by the database). A provider that refuses makes a
   * refund with status `failed`, as Stripe reports it; a provider that does not answer is a 502
   * and the retry resumes.
   */
  async refund(merchantId: string, input: CreateRefund, j?: Journal): Promise<RefundRecord> {
    if (j?.attemptId) return this.refundOf(await this.resumeAttempt(merchantId, j.attemptId));
    if (input.payment_intent && input.charge) throw invalidParam('charge', 'Give either payment_intent or charge, not both.');
    if (!input.payment_intent && !input.charge) throw missingParam('payment_intent', 'Give the payment_intent (or the charge) to refund.');

    let intent: PaymentIntentRecord;
    let charge: ChargeRecord | null;
    if (input.charge) {
      charge = hasPrefix(input.charge, 'ch') ? await this.d.store.getCharge(merchantId, input.charge) : null;
      if (!charge) throw notFound('charge', input.charge, 'charge');
      intent = await this.load(merchantId, charge.intentId);
    } else {
      const id = input.payment_intent ?? '';
      const found = hasPrefix(id, 'pi') ? await this.d.store.getIntent(merchantId, id) : null;
      if (!found) throw notFound('payment_intent', id, 'payment_intent');
      intent = found;
      charge = await this.latestCharge(intent);
    }
    const param = input.charge ? 'charge' : 'payment_intent';
    if (!charge || charge.status !== 'succeeded' || !charge.captured) {
      throw new KassaError(
        FailureKind.InvalidState,
        'charge_not_refundable',
        intent.status === S.RequiresCapture
          ? 'This PaymentIntent is not captured: cancel it to release the authorization instead of refunding it.'
          : `This ${param === 'charge' ? 'charge' : 'PaymentIntent'} has no captured payment to refund.`,
        { param, paymentIntent: intent },
      );
    }
    if (intent.status === S.RequiresCapture) {
      // Captured in part (final_capture=false), the rest still held: the charge's money is not
      // settled until the last capture or the release, so a refund waits for that.
      throw new KassaError(
        FailureKind.InvalidState,
        'charge_not_refundable',
        'This PaymentIntent is still being captured (final_capture=false): make its last capture, or cancel it to release the rest, before refunding.',
        { param, paymentIntent: intent },
      );
    }
    this.assertIdle(intent, 'refund');
    const provider = await this.providerFor(intent);
    if (!flowsOf(intent, provider).refund) throw invalidParam(param, `The ${provider.name} provider cannot refund.`);
    const left = charge.amount - charge.amountRefunded;
    if (left === 0) {
      throw new KassaError(FailureKind.InvalidRequest, 'charge_already_refunded', `Charge ${charge.id} has already been refunded in full.`, { param });
    }
    const amount = input.amount ?? left;
    if (amount > left) {
      throw invalidParam('amount', `Refund amount (${amount}) is greater than the unrefunded amount on the charge (${left}).`, 'amount_too_large');
    }
    const target = charge;
    const settled = await this.startAttempt(
      intent,
      {
        operation: 'refund',
        key: j?.ref.key,
        amount,
        resumeStatus: intent.status,
        to: null,
        patch: {},
        with: (attempt) => {
          const now = this.d.clock.now();
          const refund: RefundRecord = {
            id: newId('re'),
            merchantId,
            livemode: intent.livemode,
            intentId: intent.id,
            chargeId: target.id,
            attemptId: attempt.id,
            amount,
            currency: intent.currency,
            status: 'pending',
            reason: input.reason ?? null,
            failureReason: null,
            metadata: input.metadata ?? {},
            created: now,
            updated: now,
          };
          return { refund, events: [this.event(intent, EventType.RefundCreated, now, refundView(refund))] };
        },
      },
      j,
    );
    return this.refundOf(settled);
  }

  async listRefunds(merchantId: string, filter: { paymentIntent?: string | undefined; charge?: string | undefined }, query: PageQuery): Promise<Page<RefundRecord>> {
    return this.d.store.listRefunds(merchantId, filter, query);
  }

  /** Charges, each with its intent (the view shows the intent's customer and metadata). */
  async listCharges(
    merchantId: string,
    filter: { paymentIntent?: string | undefined; customer?: string | undefined },
    query: PageQuery,
  ): Promise<Page<{ charge: ChargeRecord; intent: PaymentIntentRecord }>> {
    const page = await this.d.store.listCharges(merchantId, filter, query);
    if (page.missingCursor) return page;
    const data = await Promise.all(page.data.map(async (charge) => ({ charge, intent: await this.load(merchantId, charge.intentId) })));
    return { data, hasMore: page.hasMore };
  }

  async retrieveRefund(merchantId: string, id: string): Promise<RefundRecord> {
    const refund = hasPrefix(id, 're') ? await this.d.store.getRefund(merchantId, id) : null;
    if (!refund) throw notFound('refund', id);
    return refund;
  }

  /** A charge with the intent it belongs to (the view shows the intent's customer and metadata). */
  async retrieveCharge(merchantId: string, id: string): Promise<{ charge: ChargeRecord; intent: PaymentIntentRecord }> {
    const charge = hasPrefix(id, 'ch') ? await this.d.store.getCharge(merchantId, id) : null;
    if (!charge) throw notFound('charge', id);
    return { charge, intent: await this.load(merchantId, charge.intentId) };
  }

  /** The refund a settled refund attempt made (or the error it answers with). */
  private async refundOf(settled: Settled): Promise<RefundRecord> {
    this.answer(settled);
    const refund = await this.d.store.refundForAttempt(settled.attempt.id);
    if (!refund) throw new Error(`refund attempt ${settled.attempt.id} has no refund`);
    return refund;
  }

  // ---- saved cards ----

  async listPaymentMethods(merchantId: string, customer: string): Promise<PaymentMethodRecord[]> {
    return this.d.store.listPaymentMethods(merchantId, customer);
  }

  /** The card a returning customer may pay with in one click (most recently saved). */
  async savedPaymentMethod(intent: PaymentIntentRecord): Promise<PaymentMethodRecord | null> {
    if (!intent.customer) return null;
    const [latest] = await this.d.store.listPaymentMethods(intent.merchantId, intent.customer);
    return latest ?? null;
  }

  // ---- recovery ----

  /**
   * Finishes provider calls whose outcome was never recorded and that nobody is working on
   * any more (their owner died, or the call failed on our side). A provider that can say what
   * it did for the attempt's key is asked, and its answer applied; if it never saw the call,
   * the call is made now under the same key, as the request that committed to it would have.
   * A provider that cannot be asked is not guessed for: the intent stays `unknown` (with a
   * `payment_intent.outcome_unknown` event) for reconciliation or for the client's retry,
   * which makes the call again under the same key. At start every such call is settled;
   * while running, pass `unknownOlderThanMs` to let a call that failed age first (it may
   * still be on its way to the provider).
   */
  async recoverInterrupted(options: { unknownOlderThanMs?: number } = {}): Promise<number> {
    let recovered = 0;
    const now = this.d.clock.now();
    for (const intent of await this.d.store.listInterruptedIntents()) {
      const attempt = intent.pendingOperation ? await this.d.store.getAttempt(intent.pendingOperation) : null;
      if (!attempt || SETTLED_ATTEMPT.includes(attempt.status)) {
        this.d.logger.error({ paymentIntent: intent.id, attempt: intent.pendingOperation }, 'pending operation without an open attempt');
        continue;
      }
      if (await this.beingWorkedOn(attempt)) continue;
      if (attempt.status === 'unknown') {
        if (options.unknownOlderThanMs !== undefined && now - attempt.updated < options.unknownOlderThanMs) continue;
        // Nothing to ask: it waits for reconciliation, for a retry that makes the call again, or
        // for the notification of a provider whose notifications are its record of truth.
        if (!this.providerOf(intent)?.capabilities.lookup && (await this.evidenceFor(intent, attempt)) === null) continue;
      }
      const owner = this.d.liveness.begin();
      try {
        const claimed = await this.claim(intent, attempt, owner);
        if (!claimed) continue;
        const settled = await this.drive(claimed.intent, claimed.attempt, { recovering: 'background' });
        if (SETTLED_ATTEMPT.includes(settled.attempt.status)) recovered++;
      } catch (error) {
        this.d.logger.error({ paymentIntent: intent.id, attempt: attempt.id, err: error }, 'recovery of an interrupted provider call failed; it is retried later');
      } finally {
        this.d.liveness.end(owner);
      }
    }
    return recovered;
  }

  /**
   * What reconciliation must look at: each payment whose provider call has no known outcome and
   * nobody working on it (`unknown`, or `pending` after its maker died), with whether its
   * provider can be asked at all; and every amount a provider settled differently than asked.
   */
  async reconciliation(limit = 100): Promise<Reconciliation> {
    const open: Reconciliation['open'] = [];
    for (const intent of await this.d.store.listInterruptedIntents()) {
      if (open.length >= limit) break;
      const attempt = intent.pendingOperation ? await this.d.store.getAttempt(intent.pendingOperation) : null;
      if (!attempt || SETTLED_ATTEMPT.includes(attempt.status) || (await this.beingWorkedOn(attempt))) continue;
      open.push({ intent, attempt, askable: this.providerOf(intent)?.capabilities.lookup ?? false });
    }
    return { open, discrepancies: await this.d.store.listDiscrepancies(limit) };
  }

  /** A retry found its journal: the answer of the step it reached, if it reached one. */
  private async resumeJournal(merchantId: string, j: Journal | undefined): Promise<PaymentIntentRecord | null> {
    if (!j) return null;
    if (j.attemptId) return this.answer(await this.resumeAttempt(merchantId, j.attemptId));
    if (j.recoveryPoint === 'intent_changed' && j.intentId) return this.load(merchantId, j.intentId);
    return null;
  }

  /**
   * Settles an attempt a request committed to and did not finish: already settled, it is read
   * back; in the hands of a live request, that request is left to it (409); otherwise it is
   * claimed (a version-checked write, so of two resumers one wins) and driven to its end.
   */
  private async resumeAttempt(merchantId: string, attemptId: string): Promise<Settled> {
    for (let round = 0; round < 5; round++) {
      const attempt = await this.d.store.getAttempt(attemptId);
      if (!attempt || attempt.merchantId !== merchantId) throw new Error(`journal names attempt ${attemptId}, which does not exist`);
      const intent = await this.load(merchantId, attempt.intentId);
      if (SETTLED_ATTEMPT.includes(attempt.status)) return { intent, attempt };
      if (await this.beingWorkedOn(attempt)) throw stillRunning(intent);
      const owner = this.d.liveness.begin();
      try {
        const claimed = await this.claim(intent, attempt, owner);
        if (claimed) return await this.drive(claimed.intent, claimed.attempt, { recovering: 'retry' });
      } finally {
        this.d.liveness.end(owner);
      }
    }
    throw stillRunning();
  }

  private async beingWorkedOn(attempt: AttemptRecord): Promise<boolean> {
    return attempt.status === 'pending' && attempt.owner !== null && (await this.d.liveness.isWorking(attempt.owner));
  }

  /** Takes over an unsettled attempt under `owner`; null if another request moved the intent first. */
  private async claim(intent: PaymentIntentRecord, attempt: AttemptRecord, owner: string): Promise<Settled | null> {
    if (intent.pendingOperation !== attempt.id) {
      throw new Error(`attempt ${attempt.id} is open but intent ${intent.id} does not name it`);
    }
    const claimed: AttemptRecord = { ...attempt, status: 'pending', owner, updated: this.d.clock.now() };
    try {
      const written = await this.commit('claim', intent, this.touch(intent, {}), { attempt: claimed });
      return { intent: written, attempt: claimed };
    } catch (error) {
      if (error instanceof KassaError && error.kind === FailureKind.InvalidState) return null;
      throw error;
    }
  }

  // ---- one provider call: commit, call, settle ----

  /** Commits the recovery point (and the journal step), makes the call, settles its answer. */
  private async startAttempt(intent: PaymentIntentRecord, spec: AttemptSpec, j?: Journal): Promise<Settled> {
    // The token is running before the attempt is visible, so recovery never mistakes it for abandoned.
    const owner = this.d.liveness.begin();
    let attemptId: string | undefined;
    try {
      const attempt = this.newAttempt(intent, spec, owner);
      attemptId = attempt.id;
      const patch = { ...spec.patch, pendingOperation: attempt.id };
      const next = spec.to ? this.advance(intent, spec.to, patch) : this.touch(intent, patch);
      const write = journalStep(j, 'attempt_started', { intentId: intent.id, attemptId: attempt.id });
      const started = await this.commit('attempt', intent, next, {
        attempt,
        ...(spec.consumeToken ? { consumeToken: spec.consumeToken } : {}),
        ...(write ? { journal: write } : {}),
        ...(spec.with ? spec.with(attempt) : {}),
      });
      recorded(j, write);
      if (spec.failover) this.#failingOver.set(attempt.id, spec.failover);
      return await this.drive(started, attempt, { ...(spec.card ? { card: spec.card() } : {}), ...(spec.details ? { details: spec.details } : {}) });
    } finally {
      if (attemptId) this.#failingOver.delete(attemptId);
      this.d.liveness.end(owner);
    }
  }

  /**
   * Gets the provider's answer for a committed attempt and records it. A recovering run first
   * asks the provider what it did under the attempt's key; the call itself is made (again)
   * only when the provider never saw it, or cannot be asked and a client is retrying.
   */
  private async drive(
    intent: PaymentIntentRecord,
    attempt: AttemptRecord,
    how: { card?: ProviderCardInput; details?: Record<string, string>; recovering?: 'retry' | 'background' },
  ): Promise<Settled> {
    let answer: ProviderOutcome | null = null;
    const provider = await this.providerFor(intent);
    // Recovering, a definite failure of the call made again counts only where the provider proved
    // it never saw the key (below); a provider that cannot be asked has proven nothing.
    let neverSeen = false;
    if (how.recovering) {
      if (provider.capabilities.lookup) {
        // A lookup that failed, even definitely, says nothing about the call it asks about: unknown.
        answer = await this.callProvider(intent, attempt, null, null, async (signal) => {
          const found = await provider.lookup({
            signal,
            idempotencyKey: attempt.providerKey,
            operation: attempt.operation,
            reference: intent.id,
            providerRef: intent.providerRef ?? intent.actionRef ?? undefined,
            amount: attempt.amount,
            currency: intent.currency,
            capture: intent.captureMethod === 'automatic',
            madeAt: attempt.created,
            // What earlier captures took: how a provider with one running total tells a capture or a void happened.
            capturedBefore: intent.amountReceived,
            ...(attempt.operation === 'capture' ? captureCall(intent, attempt) : {}),
          });
          if (found && found.operation !== attempt.operation) {
            throw new Error(`provider reports ${found.operation} for a ${attempt.operation} key`);
          }
          return found ? parseOutcome(found) : null;
        });
        // "Never seen" is taken as proof only for a call made two deadlines ago or more: a younger
        // one's first request (from a process that died, or whose deadline passed) may still be on
        // its way to the provider, unseen by this lookup and yet about to act.
        neverSeen = answer === null && this.d.clock.now() - attempt.created >= 2 * (this.d.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS);
        this.d.logger.warn(
          { paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, found: answer !== null, by: how.recovering },
          'resuming an interrupted provider call',
        );
      } else {
        answer = await this.answerFromNotifications(provider, intent, attempt);
        if (!answer && how.recovering === 'background') return this.leaveUnknown(intent, attempt);
      }
    } else if (attempt.operation === 'complete_action' && attempt.resumeStatus === S.Processing) {
      // Asking about a `pending` payment at a provider whose notifications are its only answer
      // (Adyen's AUTHORISATION after `Received`): what they said, before asking it in vain.
      answer = await this.answerFromNotifications(provider, intent, attempt);
    }
    if (answer) return this.settle(intent, attempt, answer);
    // An authorization a crash interrupted during a failover's call, that the provider never saw,
    // fails over as the confirmation would have if this call fails definitely now: quietly, with
    // the routing naming the next provider for the client's same-key retry (`failoverLeftOff`).
    const failover = neverSeen ? this.failoverAfter(intent, attempt) : undefined;
    if (failover) this.#failingOver.set(attempt.id, failover);
    try {
      const made = await this.execute(intent, attempt, how.card, how.details);
      // A definite failure of a repeated call says nothing of the first one under the key, which
      // may have charged: unknown, as an ambiguous failure, until the provider answers the key.
      if (how.recovering && !neverSeen && this.#definite.has(made.outcome) && made.outcome.status !== 'pending') {
        const unknown = await this.leaveUnknown(intent, attempt);
        if (how.recovering === 'retry') throw providerSilent(unknown.intent);
        return unknown;
      }
      return await this.settle(intent, attempt, made);
    } finally {
      if (failover) this.#failingOver.delete(attempt.id);
    }
  }

  /**
   * The provider a failover hands an interrupted authorization to after this one, as its
   * confirmation recorded it (the routing's next candidate), or undefined: not part of a route
   * with one left, or not the intent's latest call at the provider the route last tried.
   */
  private failoverAfter(intent: PaymentIntentRecord, attempt: AttemptRecord): string | undefined {
    const routing = intent.routing;
    if (attempt.operation !== 'authorize' || !routing || intent.pendingOperation !== attempt.id) return undefined;
    const last = routing.tried.at(-1);
    if (!last || last.provider !== intent.provider || last.result !== 'unknown') return undefined;
    return candidatesAfter(routing, last.provider)[0];
  }

  /**
   * For an authorization whose answer was lost, at a provider that cannot be asked but whose
   * verified notifications are its record of truth (ports.ts, `notificationEvidence`): the stored
   * ones about the payment, if they can be about this call alone. A notification names the
   * payment by the intent's id, as every authorization of the intent did, so an authorization
   * (no psp of its own known yet) takes the evidence about payments none of the intent's other
   * calls made — which needs each of those to have answered with its psp (a refusal too); one
   * that did not (unknown, a refusal without one) leaves nothing to tell them apart by. A
   * completion names the payment the provider gave (its psp), which the adapter matches.
   */
  private async evidenceFor(intent: PaymentIntentRecord, attempt: AttemptRecord): Promise<NotificationEvidence[] | null> {
    const provider = this.providerOf(intent);
    if (!provider?.capabilities.notificationEvidence) return null;
    if (attempt.operation !== 'authorize' && attempt.operation !== 'complete_action') return null;
    if (attempt.operation === 'complete_action' && !(intent.providerRef ?? intent.actionRef)) return null;
    let stored = await this.d.store.providerEvidenceFor(provider.name, intent.id);
    if (attempt.operation === 'authorize') {
      const others = (await this.d.store.listAttempts(intent.id)).filter((a) => a.id !== attempt.id && (a.operation === 'authorize' || a.operation === 'complete_action'));
      const theirs = new Set<string>();
      for (const other of others) {
        const psp = answeredReference(other);
        if (psp === null) return null;
        theirs.add(psp);
      }
      stored = stored.filter((n) => n.providerRef === null || !theirs.has(n.providerRef));
    }
    if (stored.length === 0) return null;
    return stored.flatMap((n) => (n.evidence === null ? [] : [{ kind: n.kind, evidence: n.evidence, receivedAt: n.receivedAt }]));
  }

  /** What the adapter reads from that evidence (null: none, or it cannot tell; the call stays unresolved). */
  private async answerFromNotifications(provider: PaymentProvider, intent: PaymentIntentRecord, attempt: AttemptRecord): Promise<ProviderOutcome | null> {
    const evidence = await this.evidenceFor(intent, attempt);
    if (!evidence) return null;
    try {
      const found = await provider.lookup({
        signal: AbortSignal.timeout(this.d.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS),
        idempotencyKey: attempt.providerKey,
        operation: attempt.operation,
        reference: intent.id,
        // An authorization has no psp of its own yet (one on the intent is an earlier call's).
        providerRef: attempt.operation === 'authorize' ? undefined : (intent.providerRef ?? intent.actionRef ?? undefined),
        amount: attempt.amount,
        currency: intent.currency,
        capture: intent.captureMethod === 'automatic',
        madeAt: attempt.created,
        evidence,
      });
      if (!found) return null;
      if (found.operation !== attempt.operation) throw new Error(`provider reports ${found.operation} for a ${attempt.operation} key`);
      const answer = parseOutcome(found);
      this.d.logger.warn({ paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, notifications: evidence.length }, 'settling a lost answer by the provider\'s verified notifications');
      return answer;
    } catch (error) {
      this.d.logger.warn({ paymentIntent: intent.id, attempt: attempt.id, err: error }, 'the provider\'s notifications do not settle the call; it stays unresolved');
      return null;
    }
  }

  /** Makes the attempt's provider call, built from the intent and the attempt alone (so a retry can make it). */
  private async execute(intent: PaymentIntentRecord, attempt: AttemptRecord, card?: ProviderCardInput, details?: Record<string, string>): Promise<ProviderOutcome> {
    const provider = await this.providerFor(intent);
    const idempotencyKey = attempt.providerKey;
    switch (attempt.operation) {
      case 'authorize': {
        const method = await this.methodFor(intent, card);
        return this.callProvider(intent, attempt, 'provider.authorize', definitely('authorize'), async (signal) => ({
          operation: 'authorize',
          outcome: parseAuthorizeOutcome(
            await provider.authorize({
              signal,
              idempotencyKey,
              amount: attempt.amount,
              currency: intent.currency,
              capture: intent.captureMethod === 'automatic',
              method,
              reference: intent.id,
              offSession: intent.offSession,
            }),
          ),
        }));
      }
      case 'complete_action': {
        const reference = intent.providerRef ?? intent.actionRef ?? this.providerRef(intent);
        // Asking again about a pending payment: a failed asking says nothing about the payment
        // itself — definitely not asked is still pending (an ambiguous one may have finished it: unknown).
        const definite: (refusal: Refusal) => ProviderOutcome =
          attempt.resumeStatus === S.Processing ? () => ({ operation: 'complete_action', outcome: { status: 'pending', reference } }) : definitely('complete_action');
        return this.callProvider(intent, attempt, 'provider.complete_action', definite, async (signal) => ({
          operation: 'complete_action',
          outcome: parseAuthorizeOutcome(
            await provider.completeAction({
              idempotencyKey,
              reference,
              amount: attempt.amount,
              currency: intent.currency,
              capture: intent.captureMethod === 'automatic',
              signal,
              ...(details ? { details } : {}),
            }),
          ),
        }));
      }
      case 'capture': {
        const reference = this.providerRef(intent);
        return this.callProvider(intent, attempt, 'provider.capture', definitely('capture'), async (signal) => ({
          operation: 'capture',
          outcome: parseCaptureOutcome(
            await provider.capture({ idempotencyKey, reference, amount: attempt.amount, currency: intent.currency, signal, ...captureCall(intent, attempt) }),
          ),
        }));
      }
      case 'cancel': {
        const reference = this.providerRef(intent);
        return this.callProvider(intent, attempt, 'provider.cancel', definitely('cancel'), async (signal) => ({
          operation: 'cancel',
          outcome: parseCancelOutcome(await provider.cancel({ idempotencyKey, reference, amount: attempt.amount, currency: intent.currency, signal })),
        }));
      }
      case 'refund': {
        const reference = this.providerRef(intent);
        return this.callProvider(intent, attempt, 'provider.refund', definitely('refund'), async (signal) => ({
          operation: 'refund',
          outcome: parseRefundOutcome(await provider.refund({ idempotencyKey, reference, amount: attempt.amount, currency: intent.currency, signal })),
        }));
      }
      default: {
        const unreachable: never = attempt.operation;
        throw new Error(`unknown operation ${String(unreachable)}`);
      }
    }
  }

  /**
   * Calls the provider. If it throws (timeout, network, malformed answer) the outcome is
   * unknown: the attempt says so and keeps the intent's pending operation until a retry or
   * recovery learns what happened. The answer to this request is a 502 naming the intent.
   * A call gets a deadline: past it, its signal aborts and the call counts as a timeout — a
   * hung provider never holds an attempt (or the request) for longer than that.
   *
   * The one exception: the adapter says the failure was definite (`ProviderFailure`: the
   * provider did not act). Then nothing moved, and `definite` turns it into the operation's
   * refusal (`processing_error`, the provider's code kept): settled like a decline, so the
   * intent is free for another try — a new confirm, or (with routing) another provider. Made
   * again by a retry or recovery, it counts so only where the provider proved it never saw the
   * first call (see `drive`); otherwise the call stays unknown.
   */
  private async callProvider<T>(
    intent: PaymentIntentRecord,
    attempt: AttemptRecord,
    step: FaultStep | null,
    definite: ((refusal: Refusal) => T) | null,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const ms = this.d.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    const deadline = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (step) this.#faults.reach(`before:${step}`);
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new ProviderDeadline(ms);
          deadline.abort(error);
          reject(error);
        }, ms);
      });
      const result = await Promise.race([call(deadline.signal), expired]);
      if (step) this.#faults.reach(`after:${step}`);
      return result;
    } catch (error) {
      if (definite && error instanceof ProviderFailure && error.certainty === 'definite') {
        this.d.logger.warn(
          { paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, provider: intent.provider, rawCode: error.rawCode, err: error },
          'provider did not act on the call; settled as a processing error',
        );
        const answer = definite({ declineCode: 'processing_error', message: DEFINITE_FAILURE_MESSAGE, ...(error.rawCode ? { rawCode: error.rawCode } : {}) });
        if (typeof answer === 'object' && answer !== null && 'outcome' in answer) this.#definite.add(answer.outcome as object);
        return answer;
      }
      this.d.logger.error({ paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, err: error }, 'provider call failed; outcome unknown');
      const now = this.d.clock.now();
      const unknown = canTransition(intent.status, S.Unknown) ? this.advance(intent, S.Unknown) : this.touch(intent, {});
      let written = intent;
      try {
        written = await this.commit('outcome', intent, unknown, {
          attempt: { ...attempt, status: 'unknown', owner: null, updated: now },
          ...(unknown.status === S.Unknown && intent.status !== S.Unknown ? { events: [this.event(unknown, EventType.OutcomeUnknown, now)] } : {}),
        });
      } catch (recordError) {
        // Not recorded (another request moved the intent, or the disk failed): the attempt stays
        // pending under a token that ends with this request, so recovery picks it up.
        this.d.logger.error({ paymentIntent: intent.id, attempt: attempt.id, err: recordError }, 'could not record the unknown outcome');
      }
      throw providerSilent(written);
    } finally {
      clearTimeout(timer);
    }
  }

  /** No way to ask the provider and nobody retrying: visible as `unknown`, with an event, for reconciliation. */
  private async leaveUnknown(intent: PaymentIntentRecord, attempt: AttemptRecord): Promise<Settled> {
    const now = this.d.clock.now();
    const next = canTransition(intent.status, S.Unknown) ? this.advance(intent, S.Unknown) : this.touch(intent, {});
    const open: AttemptRecord = { ...attempt, status: 'unknown', owner: null, updated: now };
    const written = await this.commit('outcome', intent, next, {
      attempt: open,
      ...(next.status === S.Unknown && intent.status !== S.Unknown ? { events: [this.event(next, EventType.OutcomeUnknown, now)] } : {}),
    });
    this.d.logger.warn(
      { paymentIntent: intent.id, attempt: attempt.id, provider: intent.provider },
      'provider cannot be asked what happened; the intent waits as unknown for reconciliation or the client retry',
    );
    return { intent: written, attempt: open };
  }

  // ---- settling provider answers ----

  private async settle(intent: PaymentIntentRecord, attempt: AttemptRecord, answer: ProviderOutcome): Promise<Settled> {
    switch (answer.operation) {
      case 'authorize':
      case 'complete_action':
        return this.settleAuthorization(intent, attempt, answer.outcome);
      case 'capture':
        return this.settleCapture(intent, attempt, answer.outcome);
      case 'cancel':
        return this.settleCancel(intent, attempt, answer.outcome);
      case 'refund':
        return this.settleRefund(intent, attempt, answer.outcome);
      default: {
        const unreachable: never = answer;
        throw new Error(`unhandled provider answer ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private done(attempt: AttemptRecord, status: AttemptRecord['status'], outcome: unknown): AttemptRecord {
    return { ...attempt, status, outcome: JSON.stringify(outcome), owner: null, updated: this.d.clock.now() };
  }

  private async settleAuthorization(answered: PaymentIntentRecord, attempt: AttemptRecord, outcome: AuthorizeOutcome): Promise<Settled> {
    const now = this.d.clock.now();
    const definite = this.#definite.has(outcome);
    // The routing record's last try (written `unknown` as the call started) now has its answer;
    // a card token is dropped once answered (it is good for this authorization only).
    const intent = attempt.operation === 'authorize' ? { ...withTryResult(answered, definite ? 'definite_failure' : 'answered'), methodToken: null } : answered;
    switch (outcome.status) {
      case 'captured':
      case 'authorized': {
        if (outcome.amount !== attempt.amount) return this.discrepancy(intent, attempt, outcome, outcome.amount);
        const captured = outcome.status === 'captured';
        const saved = await this.paymentMethodToSave(intent, now);
        const charge = await this.newCharge(intent, attempt, now, {
          status: 'succeeded',
          amountCaptured: captured ? outcome.amount : 0,
          captured,
          paymentMethod: saved?.id ?? intent.paymentMethod,
        });
        const next = this.advance(intent, captured ? S.Succeeded : S.RequiresCapture, {
          ...(captured ? { amountReceived: outcome.amount, amountCapturable: 0 } : { amountCapturable: outcome.amount }),
          providerRef: outcome.reference,
          latestCharge: charge.id,
          pendingOperation: null,
          nextAction: null,
          lastPaymentError: null,
          ...(saved ? { paymentMethod: saved.id } : {}),
        });
        const settled = this.done(attempt, 'succeeded', outcome);
        const written = await this.commit('outcome', intent, next, {
          attempt: settled,
          charge,
          ledger: captured ? ledger.charge(next, outcome.amount, now) : ledger.authorization(next, outcome.amount, now),
          events: [
            this.event(next, EventType.ChargeSucceeded, now, chargeView(charge, next)),
            this.event(next, captured ? EventType.Succeeded : EventType.AmountCapturableUpdated, now),
          ],
          ...(saved ? { savePaymentMethod: saved } : {}),
        });
        this.d.logger.info({ paymentIntent: next.id, amount: outcome.amount }, captured ? 'payment_intent.succeeded' : 'payment_intent.requires_capture');
        return { intent: written, attempt: settled };
      }
      case 'requires_action': {
        this.warnUndeclared(intent, outcome.action.type);
        const next = this.advance(intent, S.RequiresAction, {
          // Confirmed server-side with a return_url: a redirect, as Stripe answers; else the widget's framed challenge.
          nextAction: nextActionFor(outcome.action, intent.returnUrl, outcome.reference, this.d.publicUrl?.() ?? ''),
          actionRef: outcome.reference,
          providerRef: outcome.reference,
          pendingOperation: null,
        });
        const settled = this.done(attempt, 'requires_action', outcome);
        // Asked again while the shopper has not acted yet (a wallet's poll): still the same action, no new event.
        const again = attempt.operation === 'complete_action';
        const written = await this.commit('outcome', intent, next, { attempt: settled, events: again ? [] : [this.event(next, EventType.RequiresAction, now)] });
        this.d.logger.info({ paymentIntent: next.id }, 'payment_intent.requires_action');
        return { intent: written, attempt: settled };
      }
      case 'pending': {
        // Nothing is booked and nothing guessed: the intent waits as `processing` (no operation in
        // flight) until the provider's notification or an asking (`askAwaiting`) brings the answer.
        const next = this.touch(intent, { actionRef: outcome.reference, providerRef: outcome.reference, nextAction: null, pendingOperation: null });
        const settled = this.done(attempt, 'processing', outcome);
        // Asked again and still waiting: no new event (the first `pending` answer told the merchant).
        const again = attempt.resumeStatus === S.Processing;
        const written = await this.commit('outcome', intent, next, { attempt: settled, events: again ? [] : [this.event(next, EventType.Processing, now)] });
        if (!again) this.d.logger.info({ paymentIntent: next.id, provider: intent.provider }, 'payment_intent.processing');
        return { intent: written, attempt: settled };
      }
      case 'declined': {
        const error = cardError(outcome.declineCode);
        // Another provider takes the payment over: this provider's failure is not the payment's (no charge, no event).
        const failingOver = definite ? this.#failingOver.get(attempt.id) : undefined;
        // As at Stripe, an issuer's refusal is a failed charge; a failed authentication never reached the issuer.
        const charge = outcome.declineCode === 'authentication_failure' || failingOver ? null : await this.failedCharge(intent, attempt, outcome.declineCode, now);
        const next = this.advance(intent, S.RequiresPaymentMethod, {
          lastPaymentError: error,
          nextAction: null,
          pendingOperation: null,
          amountCapturable: 0,
          // Carried on elsewhere, the confirmation keeps what it asked for (a card to save);
          // the routing names where it goes, which the next attempt's start clears.
          ...(failingOver ? { routing: intent.routing && { ...intent.routing, next: failingOver } } : { saveCard: false }),
          ...(charge ? { latestCharge: charge.id } : {}),
        });
        const settled = this.done(attempt, 'failed', outcome);
        const written = await this.commit('outcome', intent, next, {
          attempt: settled,
          ...(charge ? { charge } : {}),
          events: failingOver
            ? []
            : [...(charge ? [this.event(next, EventType.ChargeFailed, now, chargeView(charge, next))] : []), this.event(next, EventType.PaymentFailed, now)],
        });
        if (!failingOver) this.d.logger.info({ paymentIntent: next.id, declineCode: outcome.declineCode }, 'payment_intent.payment_failed');
        return { intent: written, attempt: settled, definite };
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled authorize outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Flows are checked against the adapter's declarations before a call; an answer outside them
   * is the adapter's mistake, said loudly to the operator. The shopper still gets the action (the
   * payment waits at the provider for it; refusing it here would strand that payment).
   */
  private warnUndeclared(intent: PaymentIntentRecord, action: ProviderAction['type']): void {
    const provider = this.providerOf(intent);
    const method: ProviderMethodType = intent.cardToken ?? intent.paymentMethodType ?? 'card';
    const flows = provider ? methodCapabilities(provider.capabilities, method, intent.currency) : null;
    if (flows && flows.nextActions.includes(action)) return;
    this.d.logger.error(
      { paymentIntent: intent.id, provider: intent.provider, method, action, declared: flows?.nextActions ?? null },
      'the provider adapter answered a next action it does not declare for this method; fix its capabilities',
    );
  }

  private async settleCapture(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: CaptureOutcome): Promise<Settled> {
    const now = this.d.clock.now();
    switch (outcome.status) {
      case 'captured': {
        if (outcome.amount !== attempt.amount) return this.discrepancy(intent, attempt, outcome, outcome.amount);
        const held = intent.amountCapturable;
        const final = attempt.finalCapture !== false;
        // The last capture releases what it does not take; another leaves it held for the next.
        const released = final ? held - outcome.amount : 0;
        const received = intent.amountReceived + outcome.amount;
        const next = final
          ? this.advance(intent, S.Succeeded, { amountReceived: received, amountCapturable: 0, pendingOperation: null })
          : this.advance(intent, S.RequiresCapture, { amountReceived: received, amountCapturable: held - outcome.amount, pendingOperation: null });
        const settled = this.done(attempt, 'succeeded', outcome);
        const before = await this.latestCharge(intent);
        // The part of the hold not captured goes back to the card: Stripe counts it as refunded.
        const charge = before && { ...before, amountCaptured: before.amountCaptured + outcome.amount, captured: true, amountRefunded: before.amountRefunded + released, updated: now };
        const written = await this.commit('outcome', intent, next, {
          attempt: settled,
          ...(charge ? { charge } : {}),
          // Each capture is a balance transaction of its own: the first is named by the charge, as a single capture's.
          ledger: ledger.capture(next, outcome.amount + released, outcome.amount, now, intent.amountReceived > 0),
          events: [
            ...(charge ? [this.event(next, EventType.ChargeCaptured, now, chargeView(charge, next))] : []),
            this.event(next, final ? EventType.Succeeded : EventType.AmountCapturableUpdated, now),
          ],
        });
        this.d.logger.info({ paymentIntent: next.id, captured: outcome.amount, held, final }, 'payment_intent.captured');
        if (outcome.warning) this.d.logger.warn({ paymentIntent: next.id, provider: intent.provider, warning: outcome.warning }, 'the provider captured, with a warning');
        return { intent: written, attempt: settled };
      }
      case 'failed': {
        // The hold stands; the merchant may retry the capture or cancel.
        const back = this.advance(intent, S.RequiresCapture, { pendingOperation: null });
        const settled = this.done(attempt, 'failed', outcome);
        return { intent: await this.commit('outcome', intent, back, { attempt: settled }), attempt: settled };
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled capture outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async settleCancel(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: CancelOutcome): Promise<Settled> {
    const now = this.d.clock.now();
    if (outcome.status === 'failed') {
      const settled = this.done(attempt, 'failed', outcome);
      return { intent: await this.commit('outcome', intent, this.touch(intent, { pendingOperation: null }), { attempt: settled }), attempt: settled };
    }
    const held = attempt.resumeStatus === S.RequiresCapture ? intent.amountCapturable : 0;
    const settled = this.done(attempt, 'succeeded', outcome);
    if (attempt.resumeStatus === S.RequiresCapture && intent.amountReceived > 0) return this.releaseRest(intent, settled, held, now);
    const next = this.advance(intent, S.Canceled, { canceledAt: now, amountCapturable: 0, nextAction: null, pendingOperation: null });
    const before = held > 0 ? await this.latestCharge(intent) : null;
    // A voided hold is, in Stripe's terms, a charge refunded in full (nothing was captured).
    const charge = before && { ...before, amountRefunded: before.amount, updated: now };
    const written = await this.commit('outcome', intent, next, {
      attempt: settled,
      ...(charge ? { charge } : {}),
      ...(held > 0 ? { ledger: ledger.release(next, held, now) } : {}),
      events: [...(charge ? [this.event(next, EventType.ChargeRefunded, now, chargeView(charge, next))] : []), this.event(next, EventType.Canceled, now)],
    });
    this.d.logger.info({ paymentIntent: next.id, released: held }, 'payment_intent.canceled');
    return { intent: written, attempt: settled };
  }

  /**
   * A void of a hold that earlier captures took part of (multiple capture): what they took stands,
   * so the payment ends `succeeded` at that amount, and the rest goes back to the card — counted,
   * as a partial capture's rest, as refunded on the charge.
   */
  private async releaseRest(intent: PaymentIntentRecord, settled: AttemptRecord, held: number, now: number): Promise<Settled> {
    const next = this.advance(intent, S.Succeeded, { amountCapturable: 0, cancellationReason: null, nextAction: null, pendingOperation: null });
    const before = await this.latestCharge(intent);
    const charge = before && { ...before, amountRefunded: before.amountRefunded + held, updated: now };
    const written = await this.commit('outcome', intent, next, {
      attempt: settled,
      ...(charge ? { charge } : {}),
      ...(held > 0 ? { ledger: ledger.release(next, held, now) } : {}),
      events: [this.event(next, EventType.Succeeded, now)],
    });
    this.d.logger.info({ paymentIntent: next.id, received: next.amountReceived, released: held }, 'payment_intent.succeeded: the rest of a partly captured hold released');
    return { intent: written, attempt: settled };
  }

  private async settleRefund(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: RefundOutcome): Promise<Settled> {
    const now = this.d.clock.now();
    const refund = await this.d.store.refundForAttempt(attempt.id);
    const charge = refund ? await this.d.store.getCharge(intent.merchantId, refund.chargeId) : null;
    if (!refund || !charge) throw new Error(`refund attempt ${attempt.id} has no refund or charge`);
    const next = this.touch(intent, { pendingOperation: null });
    if (outcome.status === 'failed') {
      const failed: RefundRecord = { ...refund, status: 'failed', failureReason: outcome.message ?? outcome.declineCode, updated: now };
      const settled = this.done(attempt, 'failed', outcome);
      const written = await this.commit('outcome', intent, next, {
        attempt: settled,
        refund: failed,
        events: [this.event(next, EventType.RefundFailed, now, refundView(failed))],
      });
      this.d.logger.warn({ paymentIntent: intent.id, refund: refund.id, declineCode: outcome.declineCode }, 'refund.failed');
      return { intent: written, attempt: settled };
    }
    if (outcome.amount !== attempt.amount) return this.discrepancy(intent, attempt, outcome, outcome.amount);
    const succeeded: RefundRecord = { ...refund, status: 'succeeded', updated: now };
    const refunded: ChargeRecord = { ...charge, amountRefunded: charge.amountRefunded + outcome.amount, updated: now };
    const settled = this.done(attempt, 'succeeded', outcome);
    // A refund of funds still pending is taken from the pending balance (domain/balance.ts).
    // Several captures of one hold: the latest one's (funds are available once the last of them is).
    const captured = (await this.d.store.ledgerFor(intent.id)).filter((t) => t.balance?.source === charge.id).at(-1)?.balance;
    const written = await this.commit('outcome', intent, next, {
      attempt: settled,
      refund: succeeded,
      charge: refunded,
      ledger: ledger.refund(next, succeeded.id, outcome.amount, now, captured?.availableOn ?? now),
      events: [this.event(next, EventType.ChargeRefunded, now, chargeView(refunded, next)), this.event(next, EventType.RefundUpdated, now, refundView(succeeded))],
    });
    this.d.logger.info({ paymentIntent: intent.id, refund: refund.id, amount: outcome.amount }, 'refund.succeeded');
    return { intent: written, attempt: settled };
  }

  /** The charge an authorization's answer makes (succeeded: a hold or a capture; failed: a decline). */
  /** The failed charge an issuer's refusal makes, as Stripe shows one. */
  private failedCharge(intent: PaymentIntentRecord, attempt: AttemptRecord, declineCode: DeclineCode, now: number): Promise<ChargeRecord> {
    const error = cardError(declineCode);
    return this.newCharge(intent, attempt, now, {
      status: 'failed',
      amountCaptured: 0,
      captured: false,
      paymentMethod: intent.paymentMethod,
      failure: { code: error.code, message: error.message, declineCode },
    });
  }

  private async newCharge(
    intent: PaymentIntentRecord,
    attempt: AttemptRecord,
    now: number,
    c: {
      status: ChargeRecord['status'];
      amountCaptured: number;
      captured: boolean;
      paymentMethod: string | null;
      failure?: { code: ChargeRecord['failureCode'] & string; message: string; declineCode: DeclineCode };
    },
  ): Promise<ChargeRecord> {
    const card = intent.vaultCardId ? await this.d.store.getVaultCard(intent.vaultCardId) : null;
    return {
      id: newId('ch'),
      merchantId: intent.merchantId,
      livemode: intent.livemode,
      intentId: intent.id,
      attemptId: attempt.id,
      amount: attempt.amount,
      amountCaptured: c.amountCaptured,
      amountRefunded: 0,
      currency: intent.currency,
      status: c.status,
      captured: c.captured,
      paymentMethod: c.paymentMethod,
      card: card ? { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear } : null,
      failureCode: c.failure?.code ?? null,
      failureMessage: c.failure?.message ?? null,
      declineCode: c.failure?.declineCode ?? null,
      created: now,
      updated: now,
    };
  }

  private async latestCharge(intent: PaymentIntentRecord): Promise<ChargeRecord | null> {
    return intent.latestCharge ? this.d.store.getCharge(intent.merchantId, intent.latestCharge) : null;
  }

  /**
   * The provider settled another amount than asked: that is recorded (discrepancy row, event,
   * log) and the intent held as `unknown` for reconciliation. No ledger entry guesses which
   * side is right, and nothing is retried: the attempt is settled as a discrepancy.
   */
  private async discrepancy(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: unknown, actual: number): Promise<Settled> {
    const now = this.d.clock.now();
    const next = canTransition(intent.status, S.Unknown)
      ? this.advance(intent, S.Unknown, { pendingOperation: null })
      : this.touch(intent, { pendingOperation: null });
    const settled = this.done(attempt, 'discrepancy', outcome);
    const written = await this.commit('outcome', intent, next, {
      attempt: settled,
      discrepancy: {
        id: newId('dsc'),
        merchantId: intent.merchantId,
        intentId: intent.id,
        attemptId: attempt.id,
        operation: attempt.operation,
        currency: intent.currency,
        expected: attempt.amount,
        actual,
        created: now,
      },
      ...(next.status === S.Unknown && intent.status !== S.Unknown ? { events: [this.event(next, EventType.OutcomeUnknown, now)] } : {}),
    });
    this.d.logger.error(
      { paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, expected: attempt.amount, actual },
      'provider settled a different amount; held for reconciliation',
    );
    return { intent: written, attempt: settled };
  }

  /** The answer a settled attempt gives, the same on the first run and on every resume. */
  private answer({ intent, attempt }: Settled): PaymentIntentRecord {
    const failure = this.failureOf(intent, attempt);
    if (failure) throw failure;
    return intent;
  }

  private failureOf(intent: PaymentIntentRecord, attempt: AttemptRecord): KassaError | null {
    switch (attempt.status) {
      case 'succeeded':
      case 'requires_action':
      case 'processing':
        return null;
      case 'failed': {
        const declineCode = declineCodeOf(attempt);
        const error = cardError(declineCode);
        switch (attempt.operation) {
          case 'authorize':
          case 'complete_action':
            return this.declinedError(error, intent);
          case 'capture':
            return new KassaError(FailureKind.CardDeclined, error.code, error.message, { declineCode, paymentIntent: intent });
          case 'cancel':
            return new KassaError(FailureKind.InvalidState, 'payment_intent_unexpected_state', 'The provider refused to void this authorization.', {
              paymentIntent: intent,
            });
          case 'refund':
            // A refused refund is a refund with status `failed` (its failure_reason says why), as Stripe reports it.
            return null;
          default: {
            const unreachable: never = attempt.operation;
            throw new Error(`unknown operation ${String(unreachable)}`);
          }
        }
      }
      case 'abandoned':
        // The provider never processed it and it could not be made again: nothing was charged.
        return this.declinedError(cardError('processing_error'), intent);
      case 'discrepancy':
        return new KassaError(
          FailureKind.ProviderUnavailable,
          'api_error',
          'The payment provider settled a different amount than requested. The PaymentIntent is held as unknown for reconciliation; nothing more will be charged.',
          { paymentIntent: intent },
        );
      case 'pending':
      case 'unknown':
        return providerSilent(intent);
      default: {
        const unreachable: never = attempt.status;
        throw new Error(`unknown attempt status ${String(unreachable)}`);
      }
    }
  }

  // ---- helpers ----

  private async load(merchantId: string, id: string): Promise<PaymentIntentRecord> {
    const intent = await this.d.store.getIntent(merchantId, id);
    if (!intent) throw notFound('payment_intent', id);
    return intent;
  }

  private assertIdle(intent: PaymentIntentRecord, action: string): void {
    if (intent.pendingOperation) throw unexpectedState(intent, action);
  }

  /**
   * Resolves `tok_…` (fresh, unused, this merchant's), `pm_…` (this customer's saved card) or a
   * Stripe test id (`tok_visa`, `pm_card_visa`), made into a real token or payment method of
   * this merchant (Stripe makes a new one each time it is used).
   */
  private async resolveCard(intent: PaymentIntentRecord, paymentMethod: string): Promise<CardSource> {
    // Stripe's test ids stand for sandbox cards: test mode only (in live mode they are unknown ids).
    const testNumber = intent.livemode ? null : (this.d.testCard?.(paymentMethod) ?? null);
    if (testNumber !== null) return this.testSource(intent, paymentMethod, testNumber);
    if (paymentMethod.startsWith('tok_')) {
      const token = await this.d.store.getToken(paymentMethod);
      if (!token || token.merchantId !== intent.merchantId) throw notFound('token', paymentMethod, 'payment_method');
      if (token.usedAt !== null) {
        throw invalidParam('payment_method', 'This token has already been used; tokenize the card again.', 'token_already_used');
      }
      if (token.expiresAt <= this.d.clock.now()) {
        throw invalidParam('payment_method', 'This token has expired; tokenize the card again.', 'token_expired');
      }
      return { kind: 'token', id: token.id, token, card: await this.d.vault.open(token.vaultCardId, intent.merchantId) };
    }
    if (paymentMethod.startsWith('pm_')) {
      const pm = await this.d.store.getPaymentMethod(intent.merchantId, paymentMethod);
      // Another customer's card is as unknown to this intent as a card that does not exist.
      if (!pm || (pm.customer !== null && pm.customer !== intent.customer)) throw notFound('payment_method', paymentMethod, 'payment_method');
      if (pm.customer === null) {
        // Stripe's rule: a payment method used without a customer, or detached from one, is spent.
        throw invalidParam(
          'payment_method',
          'The provided PaymentMethod was previously used without being attached to a customer, or was detached from one. It may not be used again.',
          'payment_method_unexpected_state',
        );
      }
      return { kind: 'saved', id: pm.id, paymentMethod: pm, card: await this.d.vault.open(pm.vaultCardId, intent.merchantId) };
    }
    throw invalidParam('payment_method', "payment_method must be a token ('tok_…') or a saved payment method ('pm_…').");
  }

  /** A Stripe test token or payment method, as a real one of this merchant with its sandbox card. */
  private async testSource(intent: PaymentIntentRecord, id: string, digits: string): Promise<CardSource> {
    const card = { digits, brand: detectBrand(digits), expMonth: 12, expYear: new Date(this.d.clock.now()).getUTCFullYear() + 5 };
    if (id.startsWith('tok_')) {
      const made = await this.d.vault.tokenize(intent.merchantId, { ...card, cvc: card.brand === 'amex' ? '1234' : '123' });
      const token = await this.d.store.getToken(made.id);
      if (!token) throw new Error(`token ${made.id} vanished`);
      return { kind: 'token', id: token.id, token, card: await this.d.vault.open(token.vaultCardId, intent.merchantId) };
    }
    const pm = await this.d.vault.createPaymentMethod(intent.merchantId, card, intent.livemode);
    return { kind: 'fresh', id: pm.id, paymentMethod: pm, card: await this.d.vault.open(pm.vaultCardId, intent.merchantId) };
  }

  /** The customer an intent names: it must exist, and not be deleted. */
  private async customerOf(merchantId: string, id: string): Promise<void> {
    const customer = await this.d.store.getCustomer(merchantId, id);
    if (!customer || customer.deleted) throw notFound('customer', id, 'customer');
  }

  /**
   * What an authorization of this intent pays with, from the intent alone (so a resumed call is
   * the same call): a wallet by its type (Alipay: the cashier by redirect when the merchant sends
   * the whole page with a return_url, else a QR code in the widget), or the card — opened again
   * on a resumed run, whose CVC was used (or lost) with the first.
   */
  private async methodFor(intent: PaymentIntentRecord, card: ProviderCardInput | undefined): Promise<ProviderPaymentMethod> {
    switch (intent.paymentMethodType) {
      case 'alipay':
        return { type: 'alipay', flow: alipayFlowFor(intent.returnUrl) };
      case 'paypal':
        return { type: 'paypal' };
      case 'card':
      case null: {
        if (intent.cardToken) return this.tokenMethod(intent, intent.cardToken);
        const c = card ?? { ...(await this.openCard(intent)), cvc: undefined };
        return { type: 'card', card: { number: c.number, cvc: c.cvc, expMonth: c.expMonth, expYear: c.expYear } };
      }
      default: {
        const unreachable: never = intent.paymentMethodType;
        throw new Error(`unknown payment method type ${String(unreachable)}`);
      }
    }
  }

  /** A card that came as a token: the token, opened from the intent for this call. */
  private tokenMethod(intent: PaymentIntentRecord, type: CardTokenType): ProviderPaymentMethod {
    if (!intent.methodToken) {
      // Dropped once an authorization was answered: a new confirmation brings a new token.
      throw new KassaError(FailureKind.InvalidState, 'payment_intent_unexpected_state', `PaymentIntent ${intent.id} has no card token to authorize with.`, {
        paymentIntent: intent,
      });
    }
    const token = this.d.vault.openMethodToken(intent.merchantId, intent.id, intent.methodToken);
    switch (type) {
      case 'provider_token':
        return { type: 'provider_token', token };
      case 'apple_pay':
      case 'google_pay':
        return { type, token };
      default: {
        const unreachable: never = type;
        throw new Error(`unknown card token type ${String(unreachable)}`);
      }
    }
  }

  /** The card an authorization of this intent used, for a call made again. */
  private async openCard(intent: PaymentIntentRecord): Promise<OpenedCard> {
    if (!intent.vaultCardId) {
      throw new KassaError(FailureKind.InvalidState, 'payment_intent_unexpected_state', `PaymentIntent ${intent.id} has no card to authorize.`, {
        paymentIntent: intent,
      });
    }
    return this.d.vault.open(intent.vaultCardId, intent.merchantId);
  }

  /** The saved card to record with a successful payment, if the shopper asked to keep it. */
  private async paymentMethodToSave(intent: PaymentIntentRecord, now: number): Promise<PaymentMethodRecord | undefined> {
    if (!intent.saveCard || !intent.customer || !intent.vaultCardId) return undefined;
    const card = await this.d.store.getVaultCard(intent.vaultCardId);
    if (!card) return undefined;
    const existing = await this.d.store.findPaymentMethod(intent.merchantId, intent.customer, card.fingerprint);
    if (existing) return existing;
    // A payment method made for this payment (a test payment method) is the one attached.
    const made = intent.paymentMethod?.startsWith('pm_') ? await this.d.store.getPaymentMethod(intent.merchantId, intent.paymentMethod) : null;
    if (made && made.customer === null && made.detached === null && made.vaultCardId === card.id) return { ...made, customer: intent.customer };
    return {
      id: newId('pm'),
      merchantId: intent.merchantId,
      livemode: intent.livemode,
      customer: intent.customer,
      vaultCardId: card.id,
      fingerprint: card.fingerprint,
      brand: card.brand,
      last4: card.last4,
      expMonth: card.expMonth,
      expYear: card.expYear,
      metadata: {},
      detached: null,
      created: now,
    };
  }

  private newAttempt(intent: PaymentIntentRecord, spec: AttemptSpec, owner: string): AttemptRecord {
    const now = this.d.clock.now();
    // Without a client key, a random one: the call is still deduplicated when *this* attempt is resumed.
    const key = spec.key ? `${intent.id}|${spec.key}` : `${intent.id}|auto:${randomBase62(24)}`;
    return {
      id: newId('pa'),
      intentId: intent.id,
      merchantId: intent.merchantId,
      operation: spec.operation,
      providerKey: this.d.providerKey(intent.merchantId, key, spec.operation),
      status: 'pending',
      amount: spec.amount,
      resumeStatus: spec.resumeStatus,
      ...(spec.finalCapture === false ? { finalCapture: false as const } : {}),
      outcome: null,
      owner,
      created: now,
      updated: now,
    };
  }

  /** The only way a status changes: checked against core's transition table. */
  private advance(intent: PaymentIntentRecord, to: PaymentStatus, patch: Partial<PaymentIntentRecord> = {}): PaymentIntentRecord {
    if (!canTransition(intent.status, to)) {
      throw new KassaError(
        FailureKind.InvalidState,
        'payment_intent_unexpected_state',
        `A PaymentIntent cannot go from ${intent.status} to ${to}.`,
        { paymentIntent: intent },
      );
    }
    return { ...intent, ...patch, status: to, updated: this.d.clock.now(), version: intent.version + 1 };
  }

  /** A change that keeps the status (bookkeeping such as a pending operation). */
  private touch(intent: PaymentIntentRecord, patch: Partial<PaymentIntentRecord>): PaymentIntentRecord {
    return { ...intent, ...patch, status: intent.status, updated: this.d.clock.now(), version: intent.version + 1 };
  }

  /** One atomic step, with crash points around it; resolves to the intent as written. */
  private async commit(
    step: 'attempt' | 'claim' | 'outcome',
    before: PaymentIntentRecord,
    after: PaymentIntentRecord,
    extra: Omit<IntentChange, 'intent' | 'expectedVersion'>,
  ): Promise<PaymentIntentRecord> {
    this.#faults.reach(`before:${step}`);
    let written: PaymentIntentRecord;
    try {
      written = await this.d.store.applyIntentChange({ intent: after, expectedVersion: before.version, ...extra });
    } catch (error) {
      throw this.conflict(error);
    }
    this.#faults.reach(`after:${step}`);
    return written;
  }

  /** A lost race, as the caller should hear it. */
  private conflict(error: unknown): unknown {
    if (!(error instanceof StoreConflict)) return error;
    switch (error.reason) {
      case 'token_unavailable':
        return invalidParam('payment_method', 'This token has already been used or has expired; tokenize the card again.', 'token_already_used');
      case 'lock_lost':
        return stillRunning();
      case 'refund_exceeds_captured':
        return invalidParam('amount', 'The refunds of this charge would exceed what was captured.', 'amount_too_large');
      case 'payment_method_unavailable':
        return invalidParam('payment_method', 'The payment method cannot be attached.', 'payment_method_unexpected_state');
      case 'stale_intent':
        return new KassaError(
          FailureKind.InvalidState,
          'payment_intent_unexpected_state',
          'This PaymentIntent was changed by another request at the same time; retrieve it and try again.',
        );
      default: {
        const unreachable: never = error.reason;
        return new Error(`unknown store conflict ${String(unreachable)}`);
      }
    }
  }

  /**
   * The provider an intent's calls go to: the one its payment was made at (recorded on the
   * intent with the authorization, so a capture, refund or recovery never goes elsewhere, even
   * after the configuration changed), or, before any, the one a new payment of it would go to.
   * Null when none is configured for it (live mode without a provider).
   */
  private providerOf(intent: PaymentIntentRecord): PaymentProvider | null {
    if (intent.provider) return this.d.providers.byName(intent.provider) ?? null;
    return this.d.providers.choose({
      merchantId: intent.merchantId,
      livemode: intent.livemode,
      currency: intent.currency,
      amount: intent.amount,
      paymentMethod: intent.paymentMethodType ?? 'card',
      reference: intent.id,
    });
  }

  /** `requireProvider`, once the directory has seen the merchant's provider accounts as they are now (another instance may have made one). */
  private async providerFor(intent: PaymentIntentRecord): Promise<PaymentProvider> {
    await this.d.providers.prepare?.(intent.merchantId);
    return this.requireProvider(intent);
  }

  private requireProvider(intent: PaymentIntentRecord): PaymentProvider {
    const provider = this.providerOf(intent);
    if (provider) return provider;
    const message = intent.provider
      ? `This PaymentIntent was paid through the ${intent.provider} provider, which is not configured on this server any more.`
      : intent.livemode
        ? 'Live mode has no payment provider configured for this account yet: live payments cannot be confirmed.'
        : 'No payment provider is configured for test mode on this server.';
    throw new KassaError(FailureKind.InvalidRequest, 'provider_not_configured', message, { paymentIntent: intent });
  }

  private providerRef(intent: PaymentIntentRecord): string {
    if (!intent.providerRef) {
      throw new KassaError(FailureKind.InvalidState, 'payment_intent_unexpected_state', `PaymentIntent ${intent.id} has no authorization at the provider.`, {
        paymentIntent: intent,
      });
    }
    return intent.providerRef;
  }

  private declinedError(error: LastPaymentErrorRecord, intent: PaymentIntentRecord): KassaError {
    return new KassaError(FailureKind.CardDeclined, error.code, error.message, {
      declineCode: error.decline_code,
      paymentIntent: intent,
    });
  }

  /** An event about the intent, or about one of its charges or refunds (`object`). */
  private event(intent: PaymentIntentRecord, type: EventTypeT, now: number, object: unknown = eventObject(intent)): OutboxEvent {
    const id = newId('evt');
    const payload = {
      id,
      object: 'event',
      type,
      created: Math.floor(now / 1000),
      livemode: intent.livemode,
      data: { object },
    };
    return { id, merchantId: intent.merchantId, type, intentId: intent.id, payload: JSON.stringify(payload), created: now };
  }
}

/** A provider's stored answer, parsed again: it is input like any other. */
function parseOutcome(found: ProviderOutcome): ProviderOutcome {
  switch (found.operation) {
    case 'authorize':
    case 'complete_action':
      return { operation: found.operation, outcome: parseAuthorizeOutcome(found.outcome) };
    case 'capture':
      return { operation: 'capture', outcome: parseCaptureOutcome(found.outcome) };
    case 'cancel':
      return { operation: 'cancel', outcome: parseCancelOutcome(found.outcome) };
    case 'refund':
      return { operation: 'refund', outcome: parseRefundOutcome(found.outcome) };
    default: {
      const unreachable: never = found;
      throw new Error(`unknown operation ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The provider's id for the payment an authorization or completion answered with (a refusal's too, where given); null: none known. */
function answeredReference(attempt: AttemptRecord): string | null {
  if (!SETTLED_ATTEMPT.includes(attempt.status) || !attempt.outcome) return null;
  try {
    const outcome = parseAuthorizeOutcome(JSON.parse(attempt.outcome));
    return 'reference' in outcome && typeof outcome.reference === 'string' ? outcome.reference : null;
  } catch {
    return null;
  }
}

/**
 * Whether a provider's failure notification names this capture or refund: by the key it was made
 * under, or by the provider's id for it, which its answer gave (stored with the attempt). A
 * notification that names neither names no call of Kassa's.
 */
function namesCall(failed: ModificationFailure, attempt: AttemptRecord): boolean {
  if (failed.key !== undefined && attempt.providerKey === failed.key) return true;
  if (failed.providerRef === undefined || !attempt.outcome) return false;
  try {
    const outcome = storedOutcome(attempt);
    return 'reference' in outcome && outcome.reference === failed.providerRef;
  } catch {
    return false;
  }
}

/** The provider answer stored with an attempt, parsed as its operation's (throws on none or a malformed one). */
function storedOutcome(attempt: AttemptRecord): AuthorizeOutcome | CaptureOutcome | CancelOutcome | RefundOutcome {
  const stored: unknown = attempt.outcome ? JSON.parse(attempt.outcome) : null;
  return attempt.operation === 'capture'
    ? parseCaptureOutcome(stored)
    : attempt.operation === 'cancel'
      ? parseCancelOutcome(stored)
      : attempt.operation === 'refund'
        ? parseRefundOutcome(stored)
        : parseAuthorizeOutcome(stored);
}

/** The decline code of a failed attempt, from the provider answer stored with it. */
function declineCodeOf(attempt: AttemptRecord): DeclineCode {
  const outcome = storedOutcome(attempt);
  return 'declineCode' in outcome ? outcome.declineCode : 'processing_error';
}
