/**
 * Payment intent use cases. Each reads as the story it tells:
 *
 *   confirm: load the intent, check it may be confirmed, resolve the card, commit a recovery
 *   point (intent → processing, attempt row, token used), call the provider outside any
 *   transaction, then commit the outcome with its ledger entries and outbox event.
 *
 * Every status change goes through `advance`, which consults core's transition table.
 */
import { CANCELABLE, CONFIRMABLE, canTransition, PaymentStatus } from '@kassa/core';
import type { CreatePaymentIntent } from '@kassa/core/wire';
import type { Store, IntentChange } from '../store/port.js';
import { StoreConflict } from '../store/port.js';
import type {
  AttemptOperation,
  AttemptRecord,
  EventType as EventTypeT,
  FutureUsage,
  LastPaymentErrorRecord,
  OutboxEvent,
  PaymentIntentRecord,
  PaymentMethodRecord,
  TokenRecord,
} from './model.js';
import { EventType } from './model.js';
import type { AuthorizeOutcome, CancelOutcome, CaptureOutcome, CardVault, Clock, OpenedCard, PaymentProvider } from './ports.js';
import { FailureKind, KassaError, invalidParam, missingParam, notFound, unexpectedState } from './errors.js';
import { cardError } from './declines.js';
import * as ledger from './ledger.js';
import { newId, randomBase62 } from './ids.js';
import { eventObject } from './views.js';
import { parseAuthorizeOutcome, parseCancelOutcome, parseCaptureOutcome } from './provider-outcomes.js';

export interface DomainLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PaymentDeps {
  store: Store;
  provider: PaymentProvider;
  vault: CardVault;
  clock: Clock;
  /** HMAC(server secret, merchant|key|operation): the key a provider deduplicates on. */
  providerKey(merchantId: string, key: string, operation: AttemptOperation): string;
  logger: DomainLogger;
}

/** Where a confirmation's card comes from: a fresh token or a saved payment method. */
type CardSource =
  | { kind: 'token'; token: TokenRecord; card: OpenedCard }
  | { kind: 'saved'; paymentMethod: PaymentMethodRecord; card: OpenedCard };

/** The result of settling an authorization: the intent, and the card error if it was declined. */
interface Settled {
  intent: PaymentIntentRecord;
  declined?: KassaError;
}

const S = PaymentStatus;

export class PaymentIntents {
  constructor(private readonly d: PaymentDeps) {}

  // ---- create ----

  async create(merchantId: string, input: CreatePaymentIntent, idempotencyKey?: string): Promise<PaymentIntentRecord> {
    const { provider } = this.d;
    if (input.capture_method === 'manual' && !provider.capabilities.manualCapture) {
      throw invalidParam('capture_method', `The ${provider.name} provider does not support manual capture.`);
    }
    if (input.setup_future_usage && !input.customer) {
      throw missingParam('customer', 'setup_future_usage requires a customer to save the card for.');
    }
    if (input.confirm && !input.payment_method) throw missingParam('payment_method', 'confirm=true requires a payment_method.');

    const now = this.d.clock.now();
    let intent: PaymentIntentRecord = {
      id: newId('pi'),
      merchantId,
      amount: input.amount,
      currency: input.currency,
      status: S.RequiresPaymentMethod,
      captureMethod: input.capture_method,
      customer: input.customer ?? null,
      setupFutureUsage: input.setup_future_usage ?? null,
      description: input.description ?? null,
      statementDescriptor: input.statement_descriptor ?? null,
      metadata: input.metadata ?? {},
      paymentMethod: null,
      vaultCardId: null,
      saveCard: false,
      amountCapturable: 0,
      amountReceived: 0,
      lastPaymentError: null,
      nextAction: null,
      actionRef: null,
      provider: null,
      providerRef: null,
      cancellationReason: null,
      canceledAt: null,
      pendingOperation: null,
      created: now,
      updated: now,
      version: 1,
    };
    if (input.payment_method) {
      // Attaching checks the method exists now rather than failing later at confirm.
      await this.resolveCard(intent, input.payment_method);
      intent = { ...intent, paymentMethod: input.payment_method, status: S.RequiresConfirmation };
    }
    await this.d.store.insertIntent(intent, [this.event(intent, EventType.Created, now)]);
    this.d.logger.info({ paymentIntent: intent.id, merchant: merchantId, amount: intent.amount, currency: intent.currency }, 'payment_intent.created');

    if (input.confirm) return this.confirm(merchantId, intent.id, { idempotencyKey });
    return intent;
  }

  async retrieve(merchantId: string, id: string): Promise<PaymentIntentRecord> {
    return this.load(merchantId, id);
  }

  // ---- confirm ----

  async confirm(
    merchantId: string,
    intentId: string,
    input: { paymentMethod?: string | undefined; setupFutureUsage?: FutureUsage | undefined; idempotencyKey?: string | undefined },
  ): Promise<PaymentIntentRecord> {
    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'confirm');
    if (!CONFIRMABLE.includes(intent.status)) throw unexpectedState(intent, 'confirm');

    const paymentMethod = input.paymentMethod ?? intent.paymentMethod;
    if (!paymentMethod) throw missingParam('payment_method');
    if (input.setupFutureUsage && !intent.customer) {
      throw invalidParam('setup_future_usage', 'setup_future_usage needs a PaymentIntent created with a customer.');
    }
    const source = await this.resolveCard(intent, paymentMethod);
    const futureUsage = input.setupFutureUsage ?? intent.setupFutureUsage;
    const saveCard = source.kind === 'token' && futureUsage !== null && intent.customer !== null;

    // Recovery point: once this commits, a crash anywhere after it is resumed, never repeated.
    const attempt = this.newAttempt(intent, 'authorize', input.idempotencyKey, intent.amount, S.RequiresPaymentMethod);
    const processing = this.advance(intent, S.Processing, {
      paymentMethod,
      vaultCardId: source.card.vaultCardId,
      saveCard,
      setupFutureUsage: futureUsage,
      lastPaymentError: null,
      nextAction: null,
      actionRef: null,
      provider: this.d.provider.name,
      providerRef: null,
      pendingOperation: attempt.id,
    });
    await this.commit(intent, processing, {
      attempt,
      ...(source.kind === 'token' ? { consumeToken: { id: source.token.id, merchantId, now: this.d.clock.now() } } : {}),
    });

    const cvc = source.kind === 'token' ? this.d.vault.takeCvc(source.token.id) : undefined;
    const outcome = await this.callProvider(processing, attempt, async () =>
      parseAuthorizeOutcome(
        await this.d.provider.authorize({
          idempotencyKey: attempt.providerKey,
          amount: intent.amount,
          currency: intent.currency,
          capture: intent.captureMethod === 'automatic',
          card: { number: source.card.number, cvc, expMonth: source.card.expMonth, expYear: source.card.expYear },
          reference: intent.id,
        }),
      ),
    );
    const settled = await this.settleAuthorization(processing, attempt, outcome);
    if (settled.declined) throw settled.declined;
    return settled.intent;
  }

  // ---- 3-D Secure ----

  /** The shopper finished the challenge: ask the provider to hold or charge, and settle. */
  async completeAction(actionRef: string): Promise<PaymentIntentRecord> {
    const intent = await this.d.store.findIntentByActionRef(actionRef);
    if (!intent) throw notFound('three_d_secure challenge', actionRef);
    // Already settled (a second POST, a reload): report where it stands.
    if (intent.status !== S.RequiresAction || intent.pendingOperation) return intent;

    const attempt = this.newAttempt(intent, 'complete_action', `action:${actionRef}`, intent.amount, S.RequiresAction);
    const processing = this.advance(intent, S.Processing, { pendingOperation: attempt.id });
    await this.commit(intent, processing, { attempt });

    const outcome = await this.callProvider(processing, attempt, async () =>
      parseAuthorizeOutcome(
        await this.d.provider.completeAction({ idempotencyKey: attempt.providerKey, reference: intent.providerRef ?? actionRef }),
      ),
    );
    return (await this.settleAuthorization(processing, attempt, outcome)).intent;
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
    input: { amountToCapture?: number | undefined; idempotencyKey?: string | undefined },
  ): Promise<PaymentIntentRecord> {
    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'capture');
    if (intent.status !== S.RequiresCapture) throw unexpectedState(intent, 'capture');
    const amount = input.amountToCapture ?? intent.amountCapturable;
    if (amount > intent.amountCapturable) {
      throw invalidParam(
        'amount_to_capture',
        `The amount to capture (${amount}) exceeds the amount capturable (${intent.amountCapturable}).`,
        'amount_too_large',
      );
    }
    if (amount < intent.amountCapturable && !this.d.provider.capabilities.partialCapture) {
      throw invalidParam('amount_to_capture', `The ${this.d.provider.name} provider does not support partial capture.`);
    }

    const attempt = this.newAttempt(intent, 'capture', input.idempotencyKey, amount, S.RequiresCapture);
    const processing = this.advance(intent, S.Processing, { pendingOperation: attempt.id });
    await this.commit(intent, processing, { attempt });

    const outcome = await this.callProvider(processing, attempt, async () =>
      parseCaptureOutcome(
        await this.d.provider.capture({ idempotencyKey: attempt.providerKey, reference: this.providerRef(intent), amount }),
      ),
    );
    return this.settleCapture(processing, attempt, outcome);
  }

  // ---- cancel ----

  async cancel(
    merchantId: string,
    intentId: string,
    input: { reason?: string | undefined; idempotencyKey?: string | undefined },
  ): Promise<PaymentIntentRecord> {
    const intent = await this.load(merchantId, intentId);
    this.assertIdle(intent, 'cancel');
    if (!CANCELABLE.includes(intent.status)) throw unexpectedState(intent, 'cancel');

    // Nothing at the provider yet: cancel locally.
    if (!intent.providerRef || (intent.status !== S.RequiresCapture && intent.status !== S.RequiresAction)) {
      return this.settleCancel(intent, undefined, { status: 'canceled' }, input.reason ?? null);
    }
    if (!this.d.provider.capabilities.cancel) {
      throw new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', `The ${this.d.provider.name} provider cannot void an authorization.`);
    }
    const attempt = this.newAttempt(intent, 'cancel', input.idempotencyKey, Math.max(intent.amountCapturable, intent.amount), intent.status);
    // No status of its own for "voiding": the pending operation blocks anything else meanwhile.
    const voiding = this.touch(intent, { pendingOperation: attempt.id, cancellationReason: input.reason ?? null });
    await this.commit(intent, voiding, { attempt });

    const outcome = await this.callProvider(voiding, attempt, async () =>
      parseCancelOutcome(await this.d.provider.cancel({ idempotencyKey: attempt.providerKey, reference: this.providerRef(intent) })),
    );
    return this.settleCancel(voiding, attempt, outcome, input.reason ?? null);
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
   * Settles intents whose provider call never recorded an outcome (the process died or the
   * provider timed out). The provider is asked by idempotency key: if it acted, its answer
   * is applied; if it never saw the call, the intent returns to where it was. Nothing is
   * sent twice, so nothing is charged twice. At start every interrupted call is settled;
   * while running, pass `unknownOlderThanMs` to settle only calls that failed a while ago.
   */
  async recoverInterrupted(options: { unknownOlderThanMs?: number } = {}): Promise<number> {
    let recovered = 0;
    const now = this.d.clock.now();
    for (const intent of await this.d.store.listInterruptedIntents()) {
      const attempt = intent.pendingOperation ? await this.d.store.getAttempt(intent.pendingOperation) : null;
      if (!attempt) continue;
      // While running, only calls that already failed on our side are settled, and only after a
      // while: a call still in flight must not be mistaken for one the provider never saw.
      if (options.unknownOlderThanMs !== undefined && (attempt.status !== 'unknown' || now - attempt.updated < options.unknownOlderThanMs)) {
        continue;
      }
      try {
        await this.recoverOne(intent, attempt);
        recovered++;
      } catch (error) {
        this.d.logger.error({ paymentIntent: intent.id, attempt: attempt.id, err: error }, 'recovery failed; will retry at next start');
      }
    }
    return recovered;
  }

  private async recoverOne(intent: PaymentIntentRecord, attempt: AttemptRecord): Promise<void> {
    const found = this.d.provider.capabilities.lookup ? await this.d.provider.lookup(attempt.providerKey) : null;
    this.d.logger.warn({ paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, found: found !== null }, 'recovering interrupted provider call');
    if (!found) {
      // The provider never saw it: undo the recovery point.
      const now = this.d.clock.now();
      const failedAuth = attempt.operation === 'authorize';
      const back =
        intent.status === attempt.resumeStatus
          ? this.touch(intent, { pendingOperation: null })
          : this.advance(intent, attempt.resumeStatus, {
              pendingOperation: null,
              ...(failedAuth ? { lastPaymentError: cardError('processing_error'), saveCard: false } : {}),
            });
      await this.commit(intent, back, {
        attempt: { ...attempt, status: 'abandoned', updated: now },
        ...(failedAuth ? { events: [this.event(back, EventType.PaymentFailed, now)] } : {}),
      });
      return;
    }
    switch (found.operation) {
      case 'authorize':
      case 'complete_action':
        await this.settleAuthorization(intent, attempt, parseAuthorizeOutcome(found.outcome));
        return;
      case 'capture':
        await this.settleCapture(intent, attempt, parseCaptureOutcome(found.outcome)).catch((e: unknown) => {
          if (!(e instanceof KassaError)) throw e;
        });
        return;
      case 'cancel':
        await this.settleCancel(intent, attempt, parseCancelOutcome(found.outcome), intent.cancellationReason).catch((e: unknown) => {
          if (!(e instanceof KassaError)) throw e;
        });
        return;
      default: {
        const unreachable: never = found;
        throw new Error(`unknown operation ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // ---- settling provider answers ----

  private async settleAuthorization(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: AuthorizeOutcome): Promise<Settled> {
    const now = this.d.clock.now();
    const done = (status: AttemptRecord['status']): AttemptRecord => ({
      ...attempt,
      status,
      outcome: JSON.stringify(outcome),
      updated: now,
    });
    switch (outcome.status) {
      case 'captured': {
        this.assertAmount(intent, outcome.amount, intent.amount);
        const saved = await this.paymentMethodToSave(intent, now);
        const next = this.advance(intent, S.Succeeded, {
          amountReceived: outcome.amount,
          amountCapturable: 0,
          providerRef: outcome.reference,
          pendingOperation: null,
          nextAction: null,
          lastPaymentError: null,
          ...(saved ? { paymentMethod: saved.id } : {}),
        });
        await this.commit(intent, next, {
          attempt: done('succeeded'),
          ledger: ledger.charge(next, outcome.amount, now),
          events: [this.event(next, EventType.Succeeded, now)],
          ...(saved ? { savePaymentMethod: saved } : {}),
        });
        this.d.logger.info({ paymentIntent: next.id, amount: outcome.amount }, 'payment_intent.succeeded');
        return { intent: next };
      }
      case 'authorized': {
        this.assertAmount(intent, outcome.amount, intent.amount);
        const saved = await this.paymentMethodToSave(intent, now);
        const next = this.advance(intent, S.RequiresCapture, {
          amountCapturable: outcome.amount,
          providerRef: outcome.reference,
          pendingOperation: null,
          nextAction: null,
          lastPaymentError: null,
          ...(saved ? { paymentMethod: saved.id } : {}),
        });
        await this.commit(intent, next, {
          attempt: done('succeeded'),
          ledger: ledger.authorization(next, outcome.amount, now),
          events: [this.event(next, EventType.AmountCapturableUpdated, now)],
          ...(saved ? { savePaymentMethod: saved } : {}),
        });
        this.d.logger.info({ paymentIntent: next.id, amount: outcome.amount }, 'payment_intent.requires_capture');
        return { intent: next };
      }
      case 'requires_action': {
        const next = this.advance(intent, S.RequiresAction, {
          nextAction: { type: 'three_d_secure', three_d_secure: { url: outcome.action.url } },
          actionRef: outcome.reference,
          providerRef: outcome.reference,
          pendingOperation: null,
        });
        await this.commit(intent, next, { attempt: done('requires_action'), events: [this.event(next, EventType.RequiresAction, now)] });
        this.d.logger.info({ paymentIntent: next.id }, 'payment_intent.requires_action');
        return { intent: next };
      }
      case 'declined': {
        const error = cardError(outcome.declineCode);
        const next = this.advance(intent, S.RequiresPaymentMethod, {
          lastPaymentError: error,
          nextAction: null,
          pendingOperation: null,
          amountCapturable: 0,
          saveCard: false,
        });
        await this.commit(intent, next, { attempt: done('failed'), events: [this.event(next, EventType.PaymentFailed, now)] });
        this.d.logger.info({ paymentIntent: next.id, declineCode: outcome.declineCode }, 'payment_intent.payment_failed');
        return { intent: next, declined: this.declinedError(error, next) };
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled authorize outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async settleCapture(intent: PaymentIntentRecord, attempt: AttemptRecord, outcome: CaptureOutcome): Promise<PaymentIntentRecord> {
    const now = this.d.clock.now();
    const done = (status: AttemptRecord['status']): AttemptRecord => ({ ...attempt, status, outcome: JSON.stringify(outcome), updated: now });
    switch (outcome.status) {
      case 'captured': {
        this.assertAmount(intent, outcome.amount, attempt.amount);
        const held = intent.amountCapturable;
        const next = this.advance(intent, S.Succeeded, { amountReceived: outcome.amount, amountCapturable: 0, pendingOperation: null });
        await this.commit(intent, next, {
          attempt: done('succeeded'),
          ledger: ledger.capture(next, held, outcome.amount, now),
          events: [this.event(next, EventType.Succeeded, now)],
        });
        this.d.logger.info({ paymentIntent: next.id, captured: outcome.amount, held }, 'payment_intent.captured');
        return next;
      }
      case 'failed': {
        // The hold stands; the merchant may retry the capture or cancel.
        const back = this.advance(intent, S.RequiresCapture, { pendingOperation: null });
        await this.commit(intent, back, { attempt: done('failed') });
        const error = cardError(outcome.declineCode);
        throw new KassaError(FailureKind.CardDeclined, error.code, error.message, { declineCode: outcome.declineCode, paymentIntent: back });
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled capture outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async settleCancel(
    intent: PaymentIntentRecord,
    attempt: AttemptRecord | undefined,
    outcome: CancelOutcome,
    reason: string | null,
  ): Promise<PaymentIntentRecord> {
    const now = this.d.clock.now();
    const done = (status: AttemptRecord['status']): AttemptRecord | undefined =>
      attempt ? { ...attempt, status, outcome: JSON.stringify(outcome), updated: now } : undefined;
    if (outcome.status === 'failed') {
      const back = this.touch(intent, { pendingOperation: null });
      const settledAttempt = done('failed');
      await this.commit(intent, back, settledAttempt ? { attempt: settledAttempt } : {});
      throw new KassaError(FailureKind.InvalidState, 'payment_intent_unexpected_state', 'The provider refused to void this authorization.', {
        paymentIntent: back,
      });
    }
    const held = intent.status === S.RequiresCapture ? intent.amountCapturable : 0;
    const next = this.advance(intent, S.Canceled, {
      canceledAt: now,
      cancellationReason: reason,
      amountCapturable: 0,
      nextAction: null,
      pendingOperation: null,
    });
    const settledAttempt = done('succeeded');
    await this.commit(intent, next, {
      ...(settledAttempt ? { attempt: settledAttempt } : {}),
      ...(held > 0 ? { ledger: ledger.release(next, held, now) } : {}),
      events: [this.event(next, EventType.Canceled, now)],
    });
    this.d.logger.info({ paymentIntent: next.id, released: held }, 'payment_intent.canceled');
    return next;
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

  /** Resolves `tok_…` (fresh, unused, this merchant's) or `pm_…` (this customer's saved card). */
  private async resolveCard(intent: PaymentIntentRecord, paymentMethod: string): Promise<CardSource> {
    if (paymentMethod.startsWith('tok_')) {
      const token = await this.d.store.getToken(paymentMethod);
      if (!token || token.merchantId !== intent.merchantId) throw notFound('token', paymentMethod, 'payment_method');
      if (token.usedAt !== null) {
        throw invalidParam('payment_method', 'This token has already been used; tokenize the card again.', 'token_already_used');
      }
      if (token.expiresAt <= this.d.clock.now()) {
        throw invalidParam('payment_method', 'This token has expired; tokenize the card again.', 'token_expired');
      }
      return { kind: 'token', token, card: await this.d.vault.open(token.vaultCardId, intent.merchantId) };
    }
    if (paymentMethod.startsWith('pm_')) {
      const pm = await this.d.store.getPaymentMethod(intent.merchantId, paymentMethod);
      // Another customer's card is as unknown to this intent as a card that does not exist.
      if (!pm || pm.customer !== intent.customer) throw notFound('payment_method', paymentMethod, 'payment_method');
      return { kind: 'saved', paymentMethod: pm, card: await this.d.vault.open(pm.vaultCardId, intent.merchantId) };
    }
    throw invalidParam('payment_method', "payment_method must be a token ('tok_…') or a saved payment method ('pm_…').");
  }

  /** The saved card to record with a successful payment, if the shopper asked to keep it. */
  private async paymentMethodToSave(intent: PaymentIntentRecord, now: number): Promise<PaymentMethodRecord | undefined> {
    if (!intent.saveCard || !intent.customer || !intent.vaultCardId) return undefined;
    const card = await this.d.store.getVaultCard(intent.vaultCardId);
    if (!card) return undefined;
    const existing = await this.d.store.findPaymentMethod(intent.merchantId, intent.customer, card.fingerprint);
    if (existing) return existing;
    return {
      id: newId('pm'),
      merchantId: intent.merchantId,
      customer: intent.customer,
      vaultCardId: card.id,
      fingerprint: card.fingerprint,
      brand: card.brand,
      last4: card.last4,
      expMonth: card.expMonth,
      expYear: card.expYear,
      created: now,
    };
  }

  private newAttempt(
    intent: PaymentIntentRecord,
    operation: AttemptOperation,
    idempotencyKey: string | undefined,
    amount: number,
    resumeStatus: PaymentStatus,
  ): AttemptRecord {
    const now = this.d.clock.now();
    // Without a client key, a random one: the call is still deduplicated on retry of *this* attempt.
    const key = idempotencyKey ? `${intent.id}|${idempotencyKey}` : `${intent.id}|auto:${randomBase62(24)}`;
    return {
      id: newId('pa'),
      intentId: intent.id,
      merchantId: intent.merchantId,
      operation,
      providerKey: this.d.providerKey(intent.merchantId, key, operation),
      status: 'pending',
      amount,
      resumeStatus,
      outcome: null,
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

  private async commit(before: PaymentIntentRecord, after: PaymentIntentRecord, extra: Omit<IntentChange, 'intent' | 'expectedVersion'>): Promise<void> {
    try {
      await this.d.store.applyIntentChange({ intent: after, expectedVersion: before.version, ...extra });
    } catch (error) {
      if (error instanceof StoreConflict) {
        if (error.reason === 'token_unavailable') {
          throw invalidParam('payment_method', 'This token has already been used or has expired; tokenize the card again.', 'token_already_used');
        }
        throw new KassaError(
          FailureKind.InvalidState,
          'payment_intent_unexpected_state',
          'This PaymentIntent was changed by another request at the same time; retrieve it and try again.',
        );
      }
      throw error;
    }
  }

  /**
   * Calls the provider. If it throws (timeout, network, malformed answer) the outcome is
   * unknown: the intent says so and keeps its pending operation until recovery asks the
   * provider what happened.
   */
  private async callProvider<T>(intent: PaymentIntentRecord, attempt: AttemptRecord, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.d.logger.error({ paymentIntent: intent.id, attempt: attempt.id, operation: attempt.operation, err: error }, 'provider call failed; outcome unknown');
      const now = this.d.clock.now();
      const unknown = canTransition(intent.status, S.Unknown) ? this.advance(intent, S.Unknown) : this.touch(intent, {});
      await this.commit(intent, unknown, { attempt: { ...attempt, status: 'unknown', updated: now } }).catch(() => undefined);
      throw new KassaError(
        FailureKind.ProviderUnavailable,
        'api_error',
        'The payment provider did not answer. The outcome will be settled automatically; retrieve the PaymentIntent later.',
        { paymentIntent: unknown },
      );
    }
  }

  private assertAmount(intent: PaymentIntentRecord, got: number, expected: number): void {
    if (got !== expected) throw new Error(`provider settled ${got} for ${intent.id}, expected ${expected}`);
  }

  private providerRef(intent: PaymentIntentRecord): string {
    if (!intent.providerRef) throw new Error(`payment intent ${intent.id} has no provider reference`);
    return intent.providerRef;
  }

  private declinedError(error: LastPaymentErrorRecord, intent: PaymentIntentRecord): KassaError {
    return new KassaError(FailureKind.CardDeclined, error.code, error.message, {
      declineCode: error.decline_code,
      paymentIntent: intent,
    });
  }

  private event(intent: PaymentIntentRecord, type: EventTypeT, now: number): OutboxEvent {
    const id = newId('evt');
    const payload = {
      id,
      object: 'event',
      type,
      created: Math.floor(now / 1000),
      livemode: false,
      data: { object: eventObject(intent) },
    };
    return { id, merchantId: intent.merchantId, type, intentId: intent.id, payload: JSON.stringify(payload), created: now };
  }
}
