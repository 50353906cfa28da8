/**
 * The Store port on SQLite (better-sqlite3). Statements are prepared once. Writes go through
 * group commit: those issued in the same event-loop turn share one immediate transaction
 * (each in its own savepoint) and one fsync, and each caller resumes once its write is durable.
 * Reads run at once against committed data.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Currency, PaymentStatus, CardBrand } from '@kassa/core';
import type {
  ProviderNotificationRecord,
  AttemptRecord,
  ChargeRecord,
  CustomerRecord,
  RefundRecord,
  DiscrepancyRecord,
  InstanceRecord,
  JournalWrite,
  RecoveryPoint,
  LedgerTransaction,
  MerchantRecord,
  OutboxEvent,
  PaymentIntentRecord,
  PaymentMethodRecord,
  TokenRecord,
  VaultCardRecord,
  LedgerAccount,
  LedgerKind,
  EventType,
  AttemptOperation,
  AttemptStatus,
  BalanceEffect,
  BalanceTransactionRecord,
  BalanceTransactionType,
} from '../../domain/model.js';
import { StoreConflict } from '../port.js';
import type { IdempotencyBegin, IdempotencyKeyRef, IntentChange, ProviderAccountChange, ProviderAccountRecord, Store } from '../port.js';
import type { ApiKeyRecord } from '../../domain/model.js';
import { MIGRATIONS } from './migrations.js';
import { Checkpointer, GroupCommit, openSqlite } from './open.js';
import type { ModificationFailure } from '../../domain/ports.js';

/**
 * The delivery worker's writes (fan-out, claims, attempt records) need no fsync of their own:
 * lost in a power cut, they are redone — the fan-out from its cursor, which is lost with it,
 * and a delivery whose record is lost is sent again, as at-least-once allows. They become
 * durable with the next payment's commit. See GroupCommit.
 */
const WEBHOOK_BOOKKEEPING = { durable: false } as const;
import { Pager } from './pages.js';
import type { Page, PageQuery } from '../pages.js';
import type {
  DueWebhookDelivery,
  NewWebhookSecret,
  StoredEvent,
  WebhookAttemptOutcome,
  WebhookAttemptResult,
  WebhookDeliveryRecord,
  WebhookDisabledReason,
  WebhookEndpointRecord,
  WebhookSecretRecord,
} from '../../domain/webhook-model.js';

type Row = Record<string, unknown>;

interface IntentRow {
  id: string;
  merchant_id: string;
  livemode: number;
  amount: number;
  currency: string;
  status: string;
  capture_method: string;
  customer: string | null;
  setup_future_usage: string | null;
  description: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  receipt_email: string | null;
  shipping: string | null;
  off_session: number;
  return_url: string | null;
  payment_method_type: string | null;
  payment_method_types: string | null;
  routing: string | null;
  metadata: string;
  payment_method: string | null;
  vault_card_id: string | null;
  card_token: string | null;
  method_token: string | null;
  save_card: number;
  amount_capturable: number;
  amount_received: number;
  last_payment_error: string | null;
  next_action: string | null;
  action_ref: string | null;
  provider: string | null;
  provider_ref: string | null;
  latest_charge: string | null;
  cancellation_reason: string | null;
  canceled_at: number | null;
  pending_operation: string | null;
  created: number;
  updated: number;
  version: number;
}

function intentToRow(i: PaymentIntentRecord): IntentRow {
  return {
    id: i.id,
    merchant_id: i.merchantId,
    livemode: i.livemode ? 1 : 0,
    amount: i.amount,
    currency: i.currency,
    status: i.status,
    capture_method: i.captureMethod,
    customer: i.customer,
    setup_future_usage: i.setupFutureUsage,
    description: i.description,
    statement_descriptor: i.statementDescriptor,
    statement_descriptor_suffix: i.statementDescriptorSuffix,
    receipt_email: i.receiptEmail,
    shipping: i.shipping ? JSON.stringify(i.shipping) : null,
    off_session: i.offSession ? 1 : 0,
    return_url: i.returnUrl,
    payment_method_type: i.paymentMethodType,
    payment_method_types: i.paymentMethodTypes ? JSON.stringify(i.paymentMethodTypes) : null,
    routing: i.routing ? JSON.stringify(i.routing) : null,
    metadata: JSON.stringify(i.metadata),
    payment_method: i.paymentMethod,
    vault_card_id: i.vaultCardId,
    card_token: i.cardToken,
    method_token: i.methodToken,
    save_card: i.saveCard ? 1 : 0,
    amount_capturable: i.amountCapturable,
    amount_received: i.amountReceived,
    last_payment_error: i.lastPaymentError ? JSON.stringify(i.lastPaymentError) : null,
    next_action: i.nextAction ? JSON.stringify(i.nextAction) : null,
    action_ref: i.actionRef,
    provider: i.provider,
    provider_ref: i.providerRef,
    latest_charge: i.latestCharge,
    cancellation_reason: i.cancellationReason,
    canceled_at: i.canceledAt,
    pending_operation: i.pendingOperation,
    created: i.created,
    updated: i.updated,
    version: i.version,
  };
}

function rowToIntent(r: IntentRow): PaymentIntentRecord {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    livemode: r.livemode === 1,
    amount: r.amount,
    currency: r.currency as Currency,
    status: r.status as PaymentStatus,
    captureMethod: r.capture_method as PaymentIntentRecord['captureMethod'],
    customer: r.customer,
    setupFutureUsage: r.setup_future_usage as PaymentIntentRecord['setupFutureUsage'],
    description: r.description,
    statementDescriptor: r.statement_descriptor,
    statementDescriptorSuffix: r.statement_descriptor_suffix,
    receiptEmail: r.receipt_email,
    shipping: r.shipping ? (JSON.parse(r.shipping) as PaymentIntentRecord['shipping']) : null,
    offSession: r.off_session === 1,
    returnUrl: r.return_url,
    paymentMethodType: r.payment_method_type as PaymentIntentRecord['paymentMethodType'],
    paymentMethodTypes: r.payment_method_types ? (JSON.parse(r.payment_method_types) as PaymentIntentRecord['paymentMethodTypes']) : null,
    routing: r.routing ? (JSON.parse(r.routing) as PaymentIntentRecord['routing']) : null,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    paymentMethod: r.payment_method,
    vaultCardId: r.vault_card_id,
    cardToken: r.card_token as PaymentIntentRecord['cardToken'],
    methodToken: r.method_token,
    saveCard: r.save_card === 1,
    amountCapturable: r.amount_capturable,
    amountReceived: r.amount_received,
    lastPaymentError: r.last_payment_error ? (JSON.parse(r.last_payment_error) as PaymentIntentRecord['lastPaymentError']) : null,
    nextAction: r.next_action ? (JSON.parse(r.next_action) as PaymentIntentRecord['nextAction']) : null,
    actionRef: r.action_ref,
    provider: r.provider,
    providerRef: r.provider_ref,
    latestCharge: r.latest_charge,
    cancellationReason: r.cancellation_reason as PaymentIntentRecord['cancellationReason'],
    canceledAt: r.canceled_at,
    pendingOperation: r.pending_operation,
    created: r.created,
    updated: r.updated,
    version: r.version,
  };
}

function rowToAttempt(r: Row): AttemptRecord {
  return {
    id: r.id as string,
    intentId: r.payment_intent_id as string,
    merchantId: r.merchant_id as string,
    operation: r.operation as AttemptOperation,
    providerKey: r.provider_key as string,
    status: r.status as AttemptStatus,
    amount: r.amount as number,
    resumeStatus: r.resume_status as PaymentStatus,
    ...(r.final_capture === 0 ? { finalCapture: false as const } : {}),
    outcome: (r.outcome as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    created: r.created as number,
    updated: r.updated as number,
  };
}

/** The card columns a vault card and a saved payment method share. */
function cardColumns(r: Row) {
  return {
    fingerprint: r.fingerprint as string,
    brand: r.brand as CardBrand,
    last4: r.last4 as string,
    expMonth: r.exp_month as number,
    expYear: r.exp_year as number,
    created: r.created as number,
  };
}

function rowToPaymentMethod(r: Row): PaymentMethodRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    customer: (r.customer as string | null) ?? null,
    vaultCardId: r.vault_card_id as string,
    metadata: JSON.parse(r.metadata as string) as Record<string, string>,
    detached: (r.detached as number | null) ?? null,
    ...cardColumns(r),
  };
}

function paymentMethodToRow(pm: PaymentMethodRecord) {
  return {
    id: pm.id,
    merchant_id: pm.merchantId,
    livemode: pm.livemode ? 1 : 0,
    customer: pm.customer,
    vault_card_id: pm.vaultCardId,
    fingerprint: pm.fingerprint,
    brand: pm.brand,
    last4: pm.last4,
    exp_month: pm.expMonth,
    exp_year: pm.expYear,
    metadata: JSON.stringify(pm.metadata),
    created: pm.created,
  };
}

const json = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (JSON.parse(v as string) as T));

function rowToCustomer(r: Row): CustomerRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    email: (r.email as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    phone: (r.phone as string | null) ?? null,
    metadata: JSON.parse(r.metadata as string) as Record<string, string>,
    address: json(r.address),
    shipping: json(r.shipping),
    defaultPaymentMethod: (r.default_payment_method as string | null) ?? null,
    deleted: r.deleted === 1,
    created: r.created as number,
    updated: r.updated as number,
  };
}

function customerToRow(c: CustomerRecord) {
  return {
    id: c.id,
    merchant_id: c.merchantId,
    livemode: c.livemode ? 1 : 0,
    email: c.email,
    name: c.name,
    description: c.description,
    phone: c.phone,
    metadata: JSON.stringify(c.metadata),
    address: c.address ? JSON.stringify(c.address) : null,
    shipping: c.shipping ? JSON.stringify(c.shipping) : null,
    default_payment_method: c.defaultPaymentMethod,
    deleted: c.deleted ? 1 : 0,
    created: c.created,
    updated: c.updated,
  };
}

function rowToCharge(r: Row): ChargeRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    intentId: r.payment_intent_id as string,
    attemptId: r.attempt_id as string,
    amount: r.amount as number,
    amountCaptured: r.amount_captured as number,
    amountRefunded: r.amount_refunded as number,
    currency: r.currency as Currency,
    status: r.status as ChargeRecord['status'],
    captured: r.captured === 1,
    paymentMethod: (r.payment_method as string | null) ?? null,
    card:
      r.card_brand === null
        ? null
        : {
            brand: r.card_brand as CardBrand,
            last4: r.card_last4 as string,
            expMonth: r.card_exp_month as number,
            expYear: r.card_exp_year as number,
          },
    failureCode: (r.failure_code as ChargeRecord['failureCode']) ?? null,
    failureMessage: (r.failure_message as string | null) ?? null,
    declineCode: (r.decline_code as ChargeRecord['declineCode']) ?? null,
    created: r.created as number,
    updated: r.updated as number,
  };
}

function chargeToRow(c: ChargeRecord) {
  return {
    id: c.id,
    merchant_id: c.merchantId,
    livemode: c.livemode ? 1 : 0,
    payment_intent_id: c.intentId,
    attempt_id: c.attemptId,
    amount: c.amount,
    amount_captured: c.amountCaptured,
    amount_refunded: c.amountRefunded,
    currency: c.currency,
    status: c.status,
    captured: c.captured ? 1 : 0,
    payment_method: c.paymentMethod,
    card_brand: c.card?.brand ?? null,
    card_last4: c.card?.last4 ?? null,
    card_exp_month: c.card?.expMonth ?? null,
    card_exp_year: c.card?.expYear ?? null,
    failure_code: c.failureCode,
    failure_message: c.failureMessage,
    decline_code: c.declineCode,
    created: c.created,
    updated: c.updated,
  };
}

function rowToRefund(r: Row): RefundRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    intentId: r.payment_intent_id as string,
    chargeId: r.charge_id as string,
    attemptId: r.attempt_id as string,
    amount: r.amount as number,
    currency: r.currency as Currency,
    status: r.status as RefundRecord['status'],
    reason: (r.reason as RefundRecord['reason']) ?? null,
    failureReason: (r.failure_reason as string | null) ?? null,
    metadata: JSON.parse(r.metadata as string) as Record<string, string>,
    created: r.created as number,
    updated: r.updated as number,
  };
}

function rowToInstance(r: Row): InstanceRecord {
  return {
    id: r.id as string,
    host: r.host as string,
    pid: r.pid as number,
    started: r.started as number,
    leaseExpires: r.lease_expires as number,
    stopped: (r.stopped as number | null) ?? null,
  };
}

function rowToMerchant(r: Row): MerchantRecord {
  return {
    id: r.id as string,
    accountId: (r.account_id as string | null) ?? (r.id as string),
    livemode: r.livemode === 1,
    name: r.name as string,
    country: (r.country as string | null) ?? null,
    defaultCurrency: (r.default_currency as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    allowedOrigins: JSON.parse(r.allowed_origins as string) as string[],
    status: r.status as MerchantRecord['status'],
    created: r.created as number,
  };
}

function rowToApiKey(r: Row): ApiKeyRecord {
  return {
    id: r.id as string,
    hash: r.hash as string,
    merchantId: r.merchant_id as string,
    kind: r.kind as ApiKeyRecord['kind'],
    livemode: r.livemode === 1,
    prefix: r.prefix as string,
    name: (r.name as string | null) ?? null,
    permissions: r.permissions ? (JSON.parse(r.permissions as string) as ApiKeyRecord['permissions']) : null,
    created: r.created as number,
    expiresAt: (r.expires_at as number | null) ?? null,
    revokedAt: (r.revoked_at as number | null) ?? null,
    lastUsedAt: (r.last_used_at as number | null) ?? null,
  };
}

function apiKeyToRow(k: ApiKeyRecord) {
  return {
    id: k.id,
    hash: k.hash,
    merchant_id: k.merchantId,
    kind: k.kind,
    livemode: k.livemode ? 1 : 0,
    prefix: k.prefix,
    name: k.name,
    permissions: k.permissions ? JSON.stringify(k.permissions) : null,
    created: k.created,
    expires_at: k.expiresAt,
    revoked_at: k.revokedAt,
    last_used_at: k.lastUsedAt,
  };
}

/** Checks the double-entry rule before anything is written: zero per currency, no zero lines. */
export function assertBalanced(txn: LedgerTransaction): void {
  if (txn.entries.length < 2) throw new Error(`ledger transaction ${txn.id} needs at least two entries`);
  const sums = new Map<string, number>();
  for (const e of txn.entries) {
    if (!Number.isSafeInteger(e.amount) || e.amount === 0) throw new Error(`ledger entry amount must be a non-zero integer`);
    sums.set(e.currency, (sums.get(e.currency) ?? 0) + e.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0) throw new Error(`ledger transaction ${txn.id} does not balance in ${currency} (${sum})`);
  }
}

type NotificationRow = Record<string, string | number | null>;

function rowToNotification(r: NotificationRow): ProviderNotificationRecord {
  const text = (v: string | number | null | undefined): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r['id']),
    provider: String(r['provider']),
    providerEventId: text(r['provider_event_id']),
    kind: String(r['kind']),
    paymentIntent: text(r['payment_intent']),
    providerRef: text(r['provider_ref']),
    raw: String(r['raw']),
    receivedAt: Number(r['received_at']),
    appliedAt: r['applied_at'] === null || r['applied_at'] === undefined ? null : Number(r['applied_at']),
    outcome: text(r['outcome']),
    evidence: text(r['evidence']),
    // Written by this store from a typed value: read back as that value.
    failed: r['failed'] === null || r['failed'] === undefined ? null : (JSON.parse(String(r['failed'])) as ModificationFailure),
  };
}

function rowToDiscrepancy(r: Row): DiscrepancyRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    intentId: r.payment_intent_id as string,
    attemptId: r.attempt_id as string,
    operation: r.operation as AttemptOperation,
    currency: r.currency as Currency,
    expected: r.expected as number,
    actual: r.actual as number,
    created: r.created as number,
  };
}

export class SqliteStore implements Store {
  readonly db: Database;
  readonly #s: ReturnType<typeof prepare>;
  readonly #writes: GroupCommit;
  readonly #checkpointer: Checkpointer;
  readonly #applyIntentChange: (change: IntentChange) => PaymentIntentRecord;
  readonly #insertIntent: (intent: PaymentIntentRecord, events: OutboxEvent[], journal: JournalWrite | undefined) => void;
  readonly #createMerchant: (merchant: MerchantRecord, keys: ApiKeyRecord[]) => void;
  readonly #insertVaultCard: (card: VaultCardRecord, token: TokenRecord | null, paymentMethod: PaymentMethodRecord | undefined) => void;
  readonly #beginIdempotent: (ref: IdempotencyKeyRef, hash: string, owner: string, now: number) => IdempotencyBegin;
  readonly #writeJournal: (j: JournalWrite | undefined, now: number) => void;

  constructor(path: string) {
    this.db = openSqlite(path, MIGRATIONS);
    const s = prepare(this.db);
    this.#s = s;
    this.#writes = new GroupCommit(this.db);
    this.#checkpointer = new Checkpointer(this.db);

    const insertEvents = (events: OutboxEvent[]) => {
      for (const e of events) {
        s.insertEvent.run({
          id: e.id,
          merchant_id: e.merchantId,
          type: e.type,
          payment_intent_id: e.intentId,
          payload: e.payload,
          created: e.created,
        });
      }
    };

    /** The journal entry goes in the step's own transaction, and only while its writer holds the key. */
    const writeJournal = (j: JournalWrite | undefined, now: number) => {
      if (!j) return;
      const written = s.journalIdem.run({
        merchantId: j.ref.merchantId,
        scope: j.ref.scope,
        key: j.ref.key,
        owner: j.owner,
        recovery_point: j.recoveryPoint,
        intent_id: j.intentId,
        attempt_id: j.attemptId,
        object_id: j.objectId,
        now,
      });
      if (written.changes !== 1) throw new StoreConflict('lock_lost');
    };
    this.#writeJournal = writeJournal;

    this.#insertIntent = (intent, events, journal) => {
      const tx = this.db.transaction(() => {
        s.insertIntent.run(intentToRow(intent));
        insertEvents(events);
        writeJournal(journal, intent.updated);
      });
      tx();
    };

    this.#applyIntentChange = (change) => {
      if (change.ledger) assertBalanced(change.ledger);
      const tx = this.db.transaction((c: IntentChange): PaymentIntentRecord => {
        let intent = c.intent;
        if (c.consumeToken) {
          const used = s.useToken.run({ id: c.consumeToken.id, merchant_id: c.consumeToken.merchantId, now: c.consumeToken.now });
          if (used.changes !== 1) throw new StoreConflict('token_unavailable');
        }
        if (c.savePaymentMethod) {
          const pm = c.savePaymentMethod;
          const saved = s.findPaymentMethod.get(pm.merchantId, pm.customer, pm.fingerprint) as Row | undefined;
          if (saved && saved.id !== pm.id) {
            // Another request saved the same card first: point the intent at the row that exists.
            if (intent.paymentMethod === pm.id) intent = { ...intent, paymentMethod: saved.id as string };
          } else if (!saved) {
            // A payment method made for this payment (a test payment method) is attached; else a new row.
            const attached = pm.customer === null ? { changes: 0 } : s.attachPaymentMethod.run(pm.customer, pm.id, pm.merchantId);
            if (attached.changes === 0) s.insertPaymentMethod.run(paymentMethodToRow(pm));
          }
        }
        const updated = s.updateIntent.run({ ...intentToRow(intent), expected_version: c.expectedVersion });
        if (updated.changes !== 1) throw new StoreConflict('stale_intent');
        if (c.attempt) {
          const a = c.attempt;
          s.upsertAttempt.run({
            id: a.id,
            payment_intent_id: a.intentId,
            merchant_id: a.merchantId,
            operation: a.operation,
            provider_key: a.providerKey,
            status: a.status,
            amount: a.amount,
            resume_status: a.resumeStatus,
            final_capture: a.finalCapture === false ? 0 : null,
            outcome: a.outcome,
            owner: a.owner,
            created: a.created,
            updated: a.updated,
          });
        }
        if (c.charge) s.upsertCharge.run(chargeToRow(c.charge));
        if (c.refund) {
          const f = c.refund;
          try {
            // An update first: an upsert would fire the insert trigger (and count this refund twice).
            const updated = s.updateRefund.run({ id: f.id, status: f.status, failure_reason: f.failureReason, updated: f.updated });
            if (updated.changes === 0) s.insertRefund.run({
              id: f.id,
              merchant_id: f.merchantId,
              livemode: f.livemode ? 1 : 0,
              payment_intent_id: f.intentId,
              charge_id: f.chargeId,
              attempt_id: f.attemptId,
              amount: f.amount,
              currency: f.currency,
              status: f.status,
              reason: f.reason,
              failure_reason: f.failureReason,
              metadata: JSON.stringify(f.metadata),
              created: f.created,
              updated: f.updated,
            });
          } catch (error) {
            if (error instanceof Error && error.message.includes('refunds exceed the captured amount')) throw new StoreConflict('refund_exceeds_captured');
            throw error;
          }
        }
        writeJournal(c.journal, intent.updated);
        if (c.discrepancy) {
          const d = c.discrepancy;
          s.insertDiscrepancy.run({
            id: d.id,
            merchant_id: d.merchantId,
            payment_intent_id: d.intentId,
            attempt_id: d.attemptId,
            operation: d.operation,
            currency: d.currency,
            expected: d.expected,
            actual: d.actual,
            created: d.created,
          });
        }
        if (c.ledger) {
          // The header first: the database takes entries only under it, and checks the last one.
          s.insertLedgerTxn.run(ledgerTxnToRow(c.ledger));
          for (const e of c.ledger.entries) {
            s.insertLedger.run({
              txn_id: c.ledger.id,
              merchant_id: c.ledger.merchantId,
              payment_intent_id: c.ledger.intentId,
              kind: c.ledger.kind,
              account: e.account,
              currency: e.currency,
              amount: e.amount,
              created: c.ledger.created,
            });
          }
        }
        if (c.events) insertEvents(c.events);
        return intent;
      });
      return tx(change);
    };

    this.#createMerchant = (merchant, keys) => {
      const tx = this.db.transaction(() => {
        s.insertMerchant.run({
          id: merchant.id,
          account_id: merchant.accountId,
          livemode: merchant.livemode ? 1 : 0,
          name: merchant.name,
          country: merchant.country,
          default_currency: merchant.defaultCurrency,
          email: merchant.email,
          allowed_origins: JSON.stringify(merchant.allowedOrigins),
          status: merchant.status,
          created: merchant.created,
        });
        for (const k of keys) s.insertApiKey.run(apiKeyToRow(k));
      });
      tx();
    };

    this.#insertVaultCard = (card, token, paymentMethod) => {
      const tx = this.db.transaction(() => {
        s.insertVaultCard.run({
          id: card.id,
          merchant_id: card.merchantId,
          ciphertext: card.ciphertext,
          iv: card.iv,
          tag: card.tag,
          fingerprint: card.fingerprint,
          brand: card.brand,
          last4: card.last4,
          exp_month: card.expMonth,
          exp_year: card.expYear,
          created: card.created,
        });
        if (token) {
          s.insertToken.run({
            id: token.id,
            merchant_id: token.merchantId,
            vault_card_id: token.vaultCardId,
            created: token.created,
            expires_at: token.expiresAt,
          });
        }
        if (paymentMethod) s.insertPaymentMethod.run(paymentMethodToRow(paymentMethod));
      });
      tx();
    };

    this.#beginIdempotent = (ref, hash, owner, now) => {
      const tx = this.db.transaction((): IdempotencyBegin => {
        const row = s.getIdem.get(ref) as Row | undefined;
        if (!row) {
          s.insertIdem.run({ ...ref, request_hash: hash, owner, now });
          return { state: 'started' };
        }
        if (row.request_hash !== hash) return { state: 'mismatch' };
        if (row.status === 'done') {
          return { state: 'done', status: row.response_status as number, body: row.response_body as string };
        }
        // Whether the holder is still working is the caller's question (leases): only report.
        return {
          state: 'unfinished',
          lockedBy: (row.owner as string | null) ?? null,
          recoveryPoint: row.recovery_point as RecoveryPoint,
          intentId: (row.intent_id as string | null) ?? null,
          attemptId: (row.attempt_id as string | null) ?? null,
          objectId: (row.object_id as string | null) ?? null,
        };
      });
      return tx();
    };
  }

  async getSetting(key: string): Promise<string | null> {
    const row = this.#s.getSetting.get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.#writes.run(() => this.#s.setSetting.run(key, value));
  }

  async createMerchant(merchant: MerchantRecord, keys: ApiKeyRecord[]): Promise<void> {
    await this.#writes.run(() => this.#createMerchant(merchant, keys));
  }

  async getMerchant(id: string): Promise<MerchantRecord | null> {
    const row = this.#s.getMerchant.get(id) as Row | undefined;
    return row ? rowToMerchant(row) : null;
  }

  async listMerchants(): Promise<MerchantRecord[]> {
    return (this.#s.listMerchants.all() as Row[]).map(rowToMerchant);
  }

  async setAllowedOrigins(merchantId: string, origins: string[]): Promise<void> {
    await this.#writes.run(() => this.#s.setOrigins.run(JSON.stringify(origins), merchantId));
  }

  async updateAccount(accountId: string, f: { name: string; email: string | null; allowedOrigins: string[]; status: 'test' | 'live' }): Promise<void> {
    await this.#writes.run(() =>
      this.#s.updateAccount.run({ account_id: accountId, name: f.name, email: f.email, allowed_origins: JSON.stringify(f.allowedOrigins), status: f.status }),
    );
  }

  async keyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const r = this.#s.keyByHash.get(hash) as Row | undefined;
    return r ? rowToApiKey(r) : null;
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const r = this.#s.getApiKey.get(id) as Row | undefined;
    return r ? rowToApiKey(r) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    return (this.#s.listApiKeys.all(accountId) as Row[]).map(rowToApiKey);
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.#writes.run(() => this.#s.insertApiKey.run(apiKeyToRow(key)));
  }

  async rollApiKey(oldId: string, expiresAt: number, replacement: ApiKeyRecord): Promise<void> {
    const tx = this.db.transaction(() => {
      this.#s.expireApiKey.run(expiresAt, oldId);
      this.#s.insertApiKey.run(apiKeyToRow(replacement));
    });
    await this.#writes.run(() => tx());
  }

  async revokeApiKey(id: string, at: number): Promise<void> {
    await this.#writes.run(() => this.#s.revokeApiKey.run(at, id));
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await this.#writes.run(() => this.#s.touchApiKey.run(at, id));
  }

  async insertIntent(intent: PaymentIntentRecord, events: OutboxEvent[], journal?: JournalWrite): Promise<void> {
    await this.#writes.run(() => this.#insertIntent(intent, events, journal));
  }

  async getIntent(merchantId: string, id: string): Promise<PaymentIntentRecord | null> {
    const row = this.#s.getIntent.get(id, merchantId) as IntentRow | undefined;
    return row ? rowToIntent(row) : null;
  }

  async getIntentAnyMerchant(id: string): Promise<PaymentIntentRecord | null> {
    const row = this.#s.getIntentAny.get(id) as IntentRow | undefined;
    return row ? rowToIntent(row) : null;
  }

  async recordProviderNotification(n: ProviderNotificationRecord): Promise<boolean> {
    return this.#writes.run(
      () =>
        this.#s.insertProviderNotification.run({
          id: n.id,
          provider: n.provider,
          provider_event_id: n.providerEventId,
          kind: n.kind,
          payment_intent: n.paymentIntent,
          provider_ref: n.providerRef,
          raw: n.raw,
          received_at: n.receivedAt,
          evidence: n.evidence,
          failed: n.failed ? JSON.stringify(n.failed) : null,
        }).changes === 1,
    );
  }

  async markProviderNotificationApplied(id: string, at: number, outcome: string): Promise<void> {
    await this.#writes.run(() => this.#s.markProviderNotificationApplied.run(at, outcome, id));
  }

  async listUnappliedProviderNotifications(limit: number, receivedBefore = Number.MAX_SAFE_INTEGER): Promise<ProviderNotificationRecord[]> {
    return (this.#s.unappliedProviderNotifications.all(receivedBefore, limit) as NotificationRow[]).map(rowToNotification);
  }

  async providerEvidenceFor(provider: string, intentId: string): Promise<ProviderNotificationRecord[]> {
    return (this.#s.providerEvidence.all(provider, intentId) as NotificationRow[]).map(rowToNotification);
  }

  async listAttempts(intentId: string): Promise<AttemptRecord[]> {
    return (this.#s.listAttempts.all(intentId) as Row[]).map(rowToAttempt);
  }

  async findIntentByProviderRef(provider: string, providerRef: string): Promise<PaymentIntentRecord | null> {
    const rows = this.#s.getIntentsByProviderRef.all(provider, providerRef) as IntentRow[];
    return rows.length === 1 ? rowToIntent(rows[0]!) : null;
  }

  async findIntentByActionRef(actionRef: string): Promise<PaymentIntentRecord | null> {
    const row = this.#s.getIntentByAction.get(actionRef) as IntentRow | undefined;
    return row ? rowToIntent(row) : null;
  }

  async applyIntentChange(change: IntentChange): Promise<PaymentIntentRecord> {
    return this.#writes.run(() => this.#applyIntentChange(change));
  }

  async getAttempt(id: string): Promise<AttemptRecord | null> {
    const row = this.#s.getAttempt.get(id) as Row | undefined;
    return row ? rowToAttempt(row) : null;
  }

  async listInterruptedIntents(): Promise<PaymentIntentRecord[]> {
    return (this.#s.listInterrupted.all() as IntentRow[]).map(rowToIntent);
  }

  async listAwaitingIntents(updatedBefore: number, limit: number): Promise<PaymentIntentRecord[]> {
    return (this.#s.listAwaiting.all(updatedBefore, limit) as IntentRow[]).map(rowToIntent);
  }

  async listLeftOffFailovers(updatedBefore: number, limit: number): Promise<PaymentIntentRecord[]> {
    return (this.#s.listLeftOff.all(updatedBefore, limit) as IntentRow[]).map(rowToIntent);
  }

  async listExpiredAuthorizations(authorizedBefore: number, limit: number): Promise<PaymentIntentRecord[]> {
    return (this.#s.listExpiredAuthorizations.all(authorizedBefore, limit) as IntentRow[]).map(rowToIntent);
  }

  async getCharge(merchantId: string, id: string): Promise<ChargeRecord | null> {
    const r = this.#s.getCharge.get(id, merchantId) as Row | undefined;
    return r ? rowToCharge(r) : null;
  }

  async getRefund(merchantId: string, id: string): Promise<RefundRecord | null> {
    const r = this.#s.getRefund.get(id, merchantId) as Row | undefined;
    return r ? rowToRefund(r) : null;
  }

  async refundForAttempt(attemptId: string): Promise<RefundRecord | null> {
    const r = this.#s.refundForAttempt.get(attemptId) as Row | undefined;
    return r ? rowToRefund(r) : null;
  }

  async refundsForCharge(chargeId: string): Promise<RefundRecord[]> {
    return (this.#s.refundsForCharge.all(chargeId) as Row[]).map(rowToRefund);
  }

  async countDeclines(intentId: string): Promise<number> {
    return (this.#s.countDeclines.get(intentId) as { n: number }).n;
  }

  async pruneIdempotencyKeys(before: number): Promise<number> {
    return (await this.#writes.run(() => this.#s.pruneIdempotency.run(before))).changes;
  }

  async purgeUnusedCards(before: number): Promise<{ tokens: number; cards: number }> {
    const tx = this.db.transaction(() => ({
      tokens: this.#s.purgeTokens.run(before).changes,
      cards: this.#s.purgeCards.run(before).changes,
    }));
    return this.#writes.run(() => tx());
  }

  async discrepanciesFor(intentId: string): Promise<DiscrepancyRecord[]> {
    return (this.#s.discrepanciesFor.all(intentId) as Row[]).map(rowToDiscrepancy);
  }

  async listDiscrepancies(limit: number): Promise<DiscrepancyRecord[]> {
    return (this.#s.listDiscrepancies.all(limit) as Row[]).map(rowToDiscrepancy);
  }

  async insertVaultCard(card: VaultCardRecord, token: TokenRecord | null, paymentMethod?: PaymentMethodRecord): Promise<void> {
    await this.#writes.run(() => this.#insertVaultCard(card, token, paymentMethod));
  }

  async getVaultCard(id: string): Promise<VaultCardRecord | null> {
    const r = this.#s.getVaultCard.get(id) as Row | undefined;
    if (!r) return null;
    return {
      id: r.id as string,
      merchantId: r.merchant_id as string,
      ciphertext: r.ciphertext as Buffer,
      iv: r.iv as Buffer,
      tag: r.tag as Buffer,
      ...cardColumns(r),
    };
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const r = this.#s.getToken.get(id) as Row | undefined;
    if (!r) return null;
    return {
      id: r.id as string,
      merchantId: r.merchant_id as string,
      vaultCardId: r.vault_card_id as string,
      created: r.created as number,
      expiresAt: r.expires_at as number,
      usedAt: (r.used_at as number | null) ?? null,
    };
  }

  async getPaymentMethod(merchantId: string, id: string): Promise<PaymentMethodRecord | null> {
    const r = this.#s.getPaymentMethod.get(id, merchantId) as Row | undefined;
    return r ? rowToPaymentMethod(r) : null;
  }

  async findPaymentMethod(merchantId: string, customer: string, fingerprint: string): Promise<PaymentMethodRecord | null> {
    const r = this.#s.findPaymentMethod.get(merchantId, customer, fingerprint) as Row | undefined;
    return r ? rowToPaymentMethod(r) : null;
  }

  async listPaymentMethods(merchantId: string, customer: string): Promise<PaymentMethodRecord[]> {
    return (this.#s.listPaymentMethods.all(merchantId, customer) as Row[]).map(rowToPaymentMethod);
  }

  async attachPaymentMethod(merchantId: string, id: string, customer: string, journal?: JournalWrite): Promise<boolean> {
    const tx = this.db.transaction((): boolean => {
      if (this.#s.attachPaymentMethod.run(customer, id, merchantId).changes !== 1) return false;
      this.#writeJournal(journal, Date.now());
      return true;
    });
    return this.#writes.run(() => tx());
  }

  async detachPaymentMethod(merchantId: string, id: string, now: number, journal?: JournalWrite): Promise<boolean> {
    const tx = this.db.transaction((): boolean => {
      const row = this.#s.getPaymentMethod.get(id, merchantId) as Row | undefined;
      if (!row || row.customer === null) return false;
      this.#s.detachPaymentMethod.run(now, id, merchantId);
      this.#s.clearDefaultPaymentMethod.run(now, merchantId, row.customer, id);
      this.#writeJournal(journal, now);
      return true;
    });
    return this.#writes.run(() => tx());
  }

  async setPaymentMethodMetadata(merchantId: string, id: string, metadata: Record<string, string>, journal?: JournalWrite): Promise<void> {
    const tx = this.db.transaction(() => {
      this.#s.setPaymentMethodMetadata.run(JSON.stringify(metadata), id, merchantId);
      this.#writeJournal(journal, Date.now());
    });
    await this.#writes.run(() => tx());
  }

  async insertCustomer(customer: CustomerRecord, options: { attach?: string | undefined; journal?: JournalWrite | undefined } = {}): Promise<void> {
    await this.#writeCustomer(customer, 'insert', options);
  }

  async updateCustomer(customer: CustomerRecord, options: { attach?: string | undefined; journal?: JournalWrite | undefined } = {}): Promise<void> {
    await this.#writeCustomer(customer, 'update', options);
  }

  /** The customer, the payment method attached with it, and the journal, in one transaction. */
  async #writeCustomer(
    customer: CustomerRecord,
    how: 'insert' | 'update',
    options: { attach?: string | undefined; journal?: JournalWrite | undefined },
  ): Promise<void> {
    const tx = this.db.transaction(() => {
      const row = customerToRow(customer);
      if (how === 'insert') this.#s.insertCustomer.run(row);
      else this.#s.updateCustomer.run(row);
      if (options.attach !== undefined && this.#s.attachPaymentMethod.run(customer.id, options.attach, customer.merchantId).changes !== 1) {
        throw new StoreConflict('payment_method_unavailable');
      }
      this.#writeJournal(options.journal, customer.updated);
    });
    await this.#writes.run(() => tx());
  }

  async getCustomer(merchantId: string, id: string): Promise<CustomerRecord | null> {
    const r = this.#s.getCustomer.get(merchantId, id) as Row | undefined;
    return r ? rowToCustomer(r) : null;
  }

  async deleteCustomer(merchantId: string, id: string, now: number): Promise<void> {
    const tx = this.db.transaction(() => {
      this.#s.detachCustomerPaymentMethods.run(now, merchantId, id);
      this.#s.deleteCustomer.run(now, merchantId, id);
    });
    await this.#writes.run(() => tx());
  }

  async beginIdempotent(ref: IdempotencyKeyRef, requestHash: string, owner: string, now: number): Promise<IdempotencyBegin> {
    return this.#writes.run(() => this.#beginIdempotent(ref, requestHash, owner, now));
  }

  async takeOverIdempotent(ref: IdempotencyKeyRef, from: string | null, to: string, now: number): Promise<boolean> {
    const r = await this.#writes.run(() => this.#s.takeOverIdem.run({ ...ref, from, to, now }));
    return r.changes === 1;
  }

  async finishIdempotent(ref: IdempotencyKeyRef, owner: string, status: number, body: string, now: number): Promise<boolean> {
    const r = await this.#writes.run(() => this.#s.finishIdem.run({ ...ref, owner, status, body, now }));
    return r.changes === 1;
  }

  async releaseIdempotent(ref: IdempotencyKeyRef, owner: string, now: number): Promise<void> {
    await this.#writes.run(() => this.#s.releaseIdem.run({ ...ref, owner, now }));
  }

  async registerInstance(i: InstanceRecord): Promise<void> {
    await this.#writes.run(() =>
      this.#s.insertInstance.run({ id: i.id, host: i.host, pid: i.pid, started: i.started, lease_expires: i.leaseExpires }),
    );
  }

  async renewInstance(id: string, leaseExpires: number): Promise<boolean> {
    const r = await this.#writes.run(() => this.#s.renewInstance.run(leaseExpires, id));
    return r.changes === 1;
  }

  async stopInstances(ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#writes.run(() => {
      for (const id of ids) this.#s.stopInstance.run(now, id);
    });
  }

  async pruneInstances(before: number): Promise<number> {
    const r = await this.#writes.run(() => this.#s.pruneInstances.run(before));
    return r.changes;
  }

  async listRunningInstances(): Promise<InstanceRecord[]> {
    return (this.#s.runningInstances.all() as Row[]).map(rowToInstance);
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const r = this.#s.getInstance.get(id) as Row | undefined;
    return r ? rowToInstance(r) : null;
  }

  async ledgerFor(intentId: string): Promise<LedgerTransaction[]> {
    const rows = this.#s.ledgerFor.all(intentId) as Row[];
    const byTxn = new Map<string, LedgerTransaction>();
    for (const r of rows) {
      const id = r.txn_id as string;
      let txn = byTxn.get(id);
      if (!txn) {
        txn = {
          id,
          merchantId: r.merchant_id as string,
          intentId: r.payment_intent_id as string,
          kind: r.kind as LedgerKind,
          created: r.created as number,
          entries: [],
          balance: r.balance_transaction === null || r.balance_transaction === undefined ? null : rowToBalanceEffect(r),
        };
        byTxn.set(id, txn);
      }
      txn.entries.push({ account: r.account as LedgerAccount, currency: r.currency as Currency, amount: r.amount as number });
    }
    return [...byTxn.values()];
  }

  async outboxFor(intentId: string): Promise<OutboxEvent[]> {
    return (this.#s.outboxFor.all(intentId) as Row[]).map((r) => ({
      id: r.id as string,
      merchantId: r.merchant_id as string,
      type: r.type as EventType,
      intentId: r.payment_intent_id as string,
      payload: r.payload as string,
      created: r.created as number,
    }));
  }

  async close(): Promise<void> {
    this.#writes.flush();
    await this.#checkpointer.stop();
    if (this.db.open) this.db.close();
  }

  // merchants' provider accounts

  #accountStatements: ReturnType<typeof prepareProviderAccounts> | undefined;

  get #pa(): ReturnType<typeof prepareProviderAccounts> {
    this.#accountStatements ??= prepareProviderAccounts(this.db);
    return this.#accountStatements;
  }

  async insertProviderAccount(a: ProviderAccountRecord): Promise<void> {
    const pa = this.#pa;
    await this.#writes.run(() => {
      // Inside the write transaction: two instances never take the same place in the order.
      const { next } = pa.nextSeq.get() as { next: number };
      pa.insert.run({
        id: a.id,
        account_id: a.accountId,
        merchant_id: a.merchantId,
        livemode: a.livemode ? 1 : 0,
        name: a.name,
        type: a.type,
        config: JSON.stringify(a.config),
        secret_hints: JSON.stringify(a.secretHints),
        secrets_ciphertext: a.sealed.ciphertext,
        secrets_iv: a.sealed.iv,
        secrets_tag: a.sealed.tag,
        created: a.created,
        seq: next,
        deactivated_at: a.deactivatedAt,
      });
    });
  }

  async getProviderAccount(id: string): Promise<ProviderAccountRecord | null> {
    const row = this.#pa.get.get(id) as Row | undefined;
    return row ? rowToProviderAccount(row) : null;
  }

  async listProviderAccounts(accountId: string | null): Promise<ProviderAccountRecord[]> {
    const rows = (accountId === null ? this.#pa.all.all() : this.#pa.ofAccount.all(accountId)) as Row[];
    return rows.map(rowToProviderAccount);
  }

  async deactivateProviderAccount(id: string, at: number): Promise<boolean> {
    const pa = this.#pa;
    const r = await this.#writes.run(() => pa.deactivate.run(at, id));
    return r.changes === 1;
  }

  async updateProviderAccount(id: string, expected: number, c: ProviderAccountChange): Promise<boolean> {
    const pa = this.#pa;
    const r = await this.#writes.run(() =>
      pa.update.run({
        id,
        expected,
        name: c.name,
        config: JSON.stringify(c.config),
        secret_hints: JSON.stringify(c.secretHints),
        secrets_ciphertext: c.sealed.ciphertext,
        secrets_iv: c.sealed.iv,
        secrets_tag: c.sealed.tag,
        deactivated_at: c.deactivatedAt,
      }),
    );
    return r.changes === 1;
  }

  async providerAccountsVersion(): Promise<string> {
    // Rows are never deleted and every change (a deactivation too) counts its row's revision up:
    // the count and the sum only grow, so the pair moves with every write, whichever instance made it.
    const { n, revisions } = this.#pa.version.get() as { n: number; revisions: number };
    return `${n}:${revisions}`;
  }

  // webhooks

  #webhookStatements: ReturnType<typeof prepareWebhooks> | undefined;
  #pager: Pager | undefined;

  /** Prepared on first use, so this section stays apart from the constructor. */
  get #w(): ReturnType<typeof prepareWebhooks> {
    this.#webhookStatements ??= prepareWebhooks(this.db);
    return this.#webhookStatements;
  }

  get #pages(): Pager {
    this.#pager ??= new Pager(this.db);
    return this.#pager;
  }

  // ---- lists of the merchant API (newest first by rowid, cursors by id) ----

  /** One page of `table` for a merchant, with `filters` (column = @param) for the values given. */
  #list<R>(table: string, merchantId: string, filters: Record<string, unknown>, query: PageQuery, extra: string[] = []): Page<R> {
    const given = Object.entries(filters).filter(([, v]) => v !== undefined);
    return this.#pages.page<R>(
      {
        from: table,
        seq: 'rowid',
        scope: ['merchant_id = @merchantId'],
        filters: [...given.map(([column]) => `${column} = @${column}`), ...extra],
        params: { merchantId, ...Object.fromEntries(given) },
      },
      query,
    );
  }

  async listIntents(merchantId: string, filter: { customer?: string | undefined }, query: PageQuery): Promise<Page<PaymentIntentRecord>> {
    return mapPage(this.#list<IntentRow>('payment_intents', merchantId, { customer: filter.customer }, query), rowToIntent);
  }

  async searchIntents(
    merchantId: string,
    where: { sql: string; params: Record<string, unknown> },
    after: number | null,
    limit: number,
  ): Promise<{ data: Array<PaymentIntentRecord & { seq: number }>; hasMore: boolean }> {
    const rows = this.db
      .prepare(
        `SELECT rowid AS seq, * FROM payment_intents WHERE merchant_id = @merchantId AND (${where.sql})
         ${after !== null ? 'AND rowid < @after' : ''} ORDER BY rowid DESC LIMIT @limit`,
      )
      .all({ ...where.params, merchantId, ...(after !== null ? { after } : {}), limit: limit + 1 }) as Array<IntentRow & { seq: number }>;
    return { data: rows.slice(0, limit).map((r) => ({ ...rowToIntent(r), seq: r.seq })), hasMore: rows.length > limit };
  }

  async listCharges(merchantId: string, filter: { paymentIntent?: string | undefined; customer?: string | undefined }, query: PageQuery): Promise<Page<ChargeRecord>> {
    const byCustomer = filter.customer !== undefined ? ['payment_intent_id IN (SELECT id FROM payment_intents WHERE merchant_id = @merchantId AND customer = @customer)'] : [];
    const page = this.#pages.page<Row>(
      {
        from: 'charges',
        seq: 'rowid',
        scope: ['merchant_id = @merchantId'],
        filters: [...(filter.paymentIntent !== undefined ? ['payment_intent_id = @paymentIntent'] : []), ...byCustomer],
        params: { merchantId, ...(filter.paymentIntent !== undefined ? { paymentIntent: filter.paymentIntent } : {}), ...(filter.customer !== undefined ? { customer: filter.customer } : {}) },
      },
      query,
    );
    return mapPage(page, rowToCharge);
  }

  async listRefunds(merchantId: string, filter: { paymentIntent?: string | undefined; charge?: string | undefined }, query: PageQuery): Promise<Page<RefundRecord>> {
    return mapPage(this.#list<Row>('refunds', merchantId, { payment_intent_id: filter.paymentIntent, charge_id: filter.charge }, query), rowToRefund);
  }

  async listCustomers(merchantId: string, filter: { email?: string | undefined }, query: PageQuery): Promise<Page<CustomerRecord>> {
    return mapPage(this.#list<Row>('customers', merchantId, { email: filter.email }, query, ['deleted = 0']), rowToCustomer);
  }

  async listPaymentMethodsPage(merchantId: string, customer: string, query: PageQuery): Promise<Page<PaymentMethodRecord>> {
    return mapPage(this.#list<Row>('payment_methods', merchantId, { customer }, query), rowToPaymentMethod);
  }

  async createWebhookEndpoint(e: WebhookEndpointRecord, secret: NewWebhookSecret, creationKey: string | null, max: number): Promise<'created' | 'limit'> {
    const w = this.#w;
    return this.#writes.run(() => {
      const { n } = w.countEndpoints.get(e.merchantId, e.livemode ? 1 : 0) as { n: number };
      if (n >= max) return 'limit';
      w.insertEndpoint.run({ ...endpointToRow(e), creation_key: creationKey });
      w.insertSecret.run({ endpoint_id: e.id, ...secretColumns(secret) });
      return 'created';
    });
  }

  async webhookEndpointByCreationKey(merchantId: string, creationKey: string): Promise<WebhookEndpointRecord | null> {
    const row = this.#w.endpointByCreationKey.get(merchantId, creationKey) as Row | undefined;
    return row ? rowToEndpoint(row) : null;
  }

  async getWebhookEndpoint(merchantId: string, livemode: boolean, id: string): Promise<WebhookEndpointRecord | null> {
    const row = this.#w.getEndpoint.get(id, merchantId, livemode ? 1 : 0) as Row | undefined;
    return row ? rowToEndpoint(row) : null;
  }

  async updateWebhookEndpoint(e: WebhookEndpointRecord): Promise<boolean> {
    const w = this.#w;
    const r = await this.#writes.run(() => w.updateEndpoint.run(endpointToRow(e)));
    return r.changes === 1;
  }

  async deleteWebhookEndpoint(merchantId: string, livemode: boolean, id: string): Promise<boolean> {
    const w = this.#w;
    // Secrets, deliveries and attempts go with it (ON DELETE CASCADE).
    const r = await this.#writes.run(() => w.deleteEndpoint.run(id, merchantId, livemode ? 1 : 0));
    return r.changes === 1;
  }

  async listWebhookEndpoints(merchantId: string, livemode: boolean, query: PageQuery): Promise<Page<WebhookEndpointRecord>> {
    const page = this.#pages.page<Row>(
      { from: 'webhook_endpoints', scope: ['merchant_id = @merchantId', 'livemode = @livemode'], params: { merchantId, livemode: livemode ? 1 : 0 } },
      query,
    );
    return page.missingCursor ? page : { data: page.data.map(rowToEndpoint), hasMore: page.hasMore };
  }

  async rollWebhookSecret(endpointId: string, secret: NewWebhookSecret, previousExpires: number, keep: number): Promise<void> {
    const w = this.#w;
    await this.#writes.run(() => {
      const now = secret.created;
      w.expireSecrets.run({ endpoint_id: endpointId, expires: previousExpires, now });
      w.insertSecret.run({ endpoint_id: endpointId, ...secretColumns(secret) });
      // Beyond `keep` valid secrets, the oldest stop signing now; expired ones are dropped.
      w.expireBeyond.run({ endpoint_id: endpointId, now, keep });
      w.dropExpiredSecrets.run({ endpoint_id: endpointId, now });
    });
  }

  async webhookSecretByCreationKey(endpointId: string, creationKey: string): Promise<WebhookSecretRecord | null> {
    const row = this.#w.secretByCreationKey.get(endpointId, creationKey) as Row | undefined;
    return row ? rowToSecret(row) : null;
  }

  async webhookSecrets(endpointId: string, now: number): Promise<WebhookSecretRecord[]> {
    return (this.#w.validSecrets.all({ endpoint_id: endpointId, now }) as Row[]).map(rowToSecret);
  }

  async getEvent(merchantId: string, livemode: boolean, id: string): Promise<StoredEvent | null> {
    const row = this.#w.getEvent.get({ id, merchantId, livemode: livemode ? 1 : 0 }) as Row | undefined;
    return row ? rowToEvent(row) : null;
  }

  async listEvents(merchantId: string, livemode: boolean, query: PageQuery & { types?: string[] | undefined }): Promise<Page<StoredEvent>> {
    const params: Record<string, unknown> = { merchantId, livemode: livemode ? 1 : 0 };
    const filters: string[] = [];
    if (query.types && query.types.length > 0) {
      const alternatives = query.types.map((type, i) => {
        // `payment_intent.*`: a prefix, compared with substr (LIKE would read `_` as a wildcard).
        if (type.endsWith('.*')) {
          params[`type${i}`] = type.slice(0, -1);
          return `substr(type, 1, length(@type${i})) = @type${i}`;
        }
        params[`type${i}`] = type;
        return `type = @type${i}`;
      });
      filters.push(`(${alternatives.join(' OR ')})`);
    }
    const page = this.#pages.page<Row>(
      {
        from: 'outbox',
        columns: `id, type, created, payload, ${PENDING_WEBHOOKS} AS pending_webhooks`,
        scope: ['merchant_id = @merchantId', "json_extract(payload, '$.livemode') = @livemode"],
        filters,
        params,
      },
      query,
    );
    return page.missingCursor ? page : { data: page.data.map(rowToEvent), hasMore: page.hasMore };
  }

  async fanOutWebhookEvents(now: number): Promise<number> {
    const w = this.#w;
    // A read first: nothing is written (no transaction, no fsync) while every endpoint is up to date.
    const { newest, behind } = w.fanOutNeeded.get() as { newest: number | null; behind: number };
    if (newest === null || behind === 0) return 0;
    return this.#writes.run(() => {
      // Read again inside the write: another instance may have fanned out meanwhile.
      const upto = (w.newestEvent.get() as { seq: number | null }).seq ?? 0;
      const inserted = w.fanOut.run({ now, upto }).changes;
      w.advanceCursors.run({ upto });
      return inserted;
    }, WEBHOOK_BOOKKEEPING);
  }

  async dueWebhookDeliveries(now: number, limit: number): Promise<DueWebhookDelivery[]> {
    return (this.#w.dueDeliveries.all({ now, limit }) as Row[]).map((r) => ({
      id: r.id as number,
      endpointId: r.endpoint_id as string,
      merchantId: r.merchant_id as string,
      eventId: r.event_id as string,
      eventCreated: r.event_created as number,
      objectId: r.object_id as string,
      payload: r.payload as string,
      attempts: r.attempts as number,
      owner: (r.owner as string | null) ?? null,
      url: r.url as string,
      livemode: r.livemode === 1,
    }));
  }

  async claimWebhookDelivery(id: number, from: string | null, to: string, now: number): Promise<boolean> {
    const w = this.#w;
    const r = await this.#writes.run(() => w.claimDelivery.run({ id, from, to, now }), WEBHOOK_BOOKKEEPING);
    return r.changes === 1;
  }

  async releaseWebhookDelivery(id: number, owner: string, now: number): Promise<void> {
    const w = this.#w;
    await this.#writes.run(() => w.releaseDelivery.run({ id, owner, now }), WEBHOOK_BOOKKEEPING);
  }

  async recordWebhookAttempt(a: WebhookAttemptResult): Promise<boolean> {
    const w = this.#w;
    return this.#writes.run(() => {
      const now = Math.round(a.started + a.durationMs);
      const status = a.outcome === 'succeeded' ? 'succeeded' : a.outcome === 'retrying' ? 'pending' : 'failed';
      const moved = w.finishAttempt.run({
        id: a.deliveryId,
        owner: a.owner,
        status,
        next: a.outcome === 'retrying' ? a.nextRetry : null,
        code: a.statusCode,
        error: a.error,
        now,
        finished: status === 'pending' ? null : now,
      });
      // Not ours any more (taken over as dead, or the endpoint was deleted): the other side's word stands.
      if (moved.changes !== 1) return false;
      const { attempts } = w.deliveryAttempts.get(a.deliveryId) as { attempts: number };
      w.insertAttempt.run({
        delivery_id: a.deliveryId,
        endpoint_id: a.endpointId,
        event_id: a.eventId,
        attempt: attempts,
        started: a.started,
        duration_ms: Math.round(a.durationMs),
        status_code: a.statusCode,
        error: a.error,
        outcome: a.outcome,
        next_retry: a.nextRetry,
      });
      if (a.outcome === 'endpoint_disabled') w.disableGone.run({ id: a.endpointId, now });
      return true;
    }, WEBHOOK_BOOKKEEPING);
  }

  async webhookDeliveries(merchantId: string, endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const w = this.#w;
    return (w.deliveriesOf.all(endpointId, merchantId, limit) as Row[]).map((r) => ({
      id: r.id as number,
      endpointId: r.endpoint_id as string,
      eventId: r.event_id as string,
      eventType: r.event_type as string,
      status: r.status as WebhookDeliveryRecord['status'],
      nextAttemptAt: (r.next_attempt_at as number | null) ?? null,
      created: r.created as number,
      finished: (r.finished as number | null) ?? null,
      attempts: (w.attemptsOf.all(r.id) as Row[]).map((t) => ({
        attempt: t.attempt as number,
        started: t.started as number,
        durationMs: t.duration_ms as number,
        statusCode: (t.status_code as number | null) ?? null,
        error: (t.error as string | null) ?? null,
        outcome: t.outcome as WebhookAttemptOutcome,
        nextRetry: (t.next_retry as number | null) ?? null,
      })),
    }));
  }

  // money

  #moneyStatements: ReturnType<typeof prepareMoney> | undefined;

  get #m(): ReturnType<typeof prepareMoney> {
    this.#moneyStatements ??= prepareMoney(this.db);
    return this.#moneyStatements;
  }

  async balanceTotals(merchantId: string, livemode: boolean, now: number): Promise<Array<{ currency: Currency; available: number; pending: number }>> {
    const rows = this.#m.balanceTotals.all({ merchantId, livemode: livemode ? 1 : 0, now }) as Array<{ currency: string; available: bigint; pending: bigint }>;
    return rows.map((r) => ({ currency: r.currency as Currency, available: exactNumber(r.available), pending: exactNumber(r.pending) }));
  }

  async listBalanceTransactions(
    merchantId: string,
    livemode: boolean,
    filter: { type?: string | undefined; currency?: string | undefined; source?: string | undefined },
    query: PageQuery,
  ): Promise<Page<BalanceTransactionRecord>> {
    const given = Object.entries(filter).filter(([, v]) => v !== undefined);
    const page = this.#pages.page<Row>(
      {
        from: 'balance_transactions',
        scope: ['merchant_id = @merchantId', 'livemode = @livemode'],
        filters: given.map(([column]) => `${column} = @${column}`),
        params: { merchantId, livemode: livemode ? 1 : 0, ...Object.fromEntries(given) },
      },
      query,
    );
    return mapPage(page, rowToBalanceTransaction);
  }

  async getBalanceTransaction(merchantId: string, livemode: boolean, id: string): Promise<BalanceTransactionRecord | null> {
    const row = this.#m.getBalanceTransaction.get({ id, merchantId, livemode: livemode ? 1 : 0 }) as Row | undefined;
    return row ? rowToBalanceTransaction(row) : null;
  }
}

function prepare(db: Database) {
  const st = (sql: string): Statement => db.prepare(sql);
  return {
    getSetting: st('SELECT value FROM settings WHERE key = ?'),
    setSetting: st('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    insertMerchant: st(`INSERT INTO merchants (id, account_id, livemode, name, country, default_currency, email, allowed_origins, status, created)
      VALUES (@id, @account_id, @livemode, @name, @country, @default_currency, @email, @allowed_origins, @status, @created)`),
    updateAccount: st(`UPDATE merchants SET name = @name, email = @email, allowed_origins = @allowed_origins, status = @status
      WHERE account_id = @account_id`),
    getMerchant: st('SELECT * FROM merchants WHERE id = ?'),
    listMerchants: st('SELECT * FROM merchants ORDER BY created, livemode, id'),
    setOrigins: st('UPDATE merchants SET allowed_origins = ? WHERE id = ?'),
    insertApiKey: st(`INSERT INTO api_keys (id, hash, merchant_id, kind, livemode, prefix, name, permissions, created, expires_at, revoked_at, last_used_at)
      VALUES (@id, @hash, @merchant_id, @kind, @livemode, @prefix, @name, @permissions, @created, @expires_at, @revoked_at, @last_used_at)`),
    keyByHash: st('SELECT * FROM api_keys WHERE hash = ?'),
    getApiKey: st('SELECT * FROM api_keys WHERE id = ?'),
    listApiKeys: st(`SELECT k.* FROM api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE m.account_id = ? ORDER BY k.created DESC, k.id`),
    expireApiKey: st('UPDATE api_keys SET expires_at = ? WHERE id = ? AND revoked_at IS NULL'),
    revokeApiKey: st('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touchApiKey: st('UPDATE api_keys SET last_used_at = ? WHERE id = ?'),
    insertIntent: st(`INSERT INTO payment_intents (
        id, merchant_id, livemode, amount, currency, status, capture_method, customer, setup_future_usage, description,
        statement_descriptor, statement_descriptor_suffix, receipt_email, shipping, off_session, return_url, payment_method_type, payment_method_types, routing,
        metadata, payment_method, vault_card_id, card_token, method_token, save_card, amount_capturable, amount_received,
        last_payment_error, next_action, action_ref, provider, provider_ref, latest_charge, cancellation_reason, canceled_at,
        pending_operation, created, updated, version
      ) VALUES (
        @id, @merchant_id, @livemode, @amount, @currency, @status, @capture_method, @customer, @setup_future_usage, @description,
        @statement_descriptor, @statement_descriptor_suffix, @receipt_email, @shipping, @off_session, @return_url, @payment_method_type, @payment_method_types, @routing,
        @metadata, @payment_method, @vault_card_id, @card_token, @method_token, @save_card, @amount_capturable, @amount_received,
        @last_payment_error, @next_action, @action_ref, @provider, @provider_ref, @latest_charge, @cancellation_reason, @canceled_at,
        @pending_operation, @created, @updated, @version
      )`),
    updateIntent: st(`UPDATE payment_intents SET
        status = @status, customer = @customer, setup_future_usage = @setup_future_usage, description = @description,
        amount = @amount, currency = @currency, capture_method = @capture_method,
        statement_descriptor = @statement_descriptor, statement_descriptor_suffix = @statement_descriptor_suffix,
        receipt_email = @receipt_email, shipping = @shipping, off_session = @off_session, return_url = @return_url, payment_method_type = @payment_method_type, payment_method_types = @payment_method_types, routing = @routing,
        metadata = @metadata, payment_method = @payment_method, vault_card_id = @vault_card_id, card_token = @card_token, method_token = @method_token, save_card = @save_card,
        amount_capturable = @amount_capturable, amount_received = @amount_received,
        last_payment_error = @last_payment_error, next_action = @next_action, action_ref = @action_ref,
        provider = @provider, provider_ref = @provider_ref, latest_charge = @latest_charge, cancellation_reason = @cancellation_reason,
        canceled_at = @canceled_at, pending_operation = @pending_operation, updated = @updated, version = @version
      WHERE id = @id AND merchant_id = @merchant_id AND version = @expected_version`),
    getIntent: st('SELECT * FROM payment_intents WHERE id = ? AND merchant_id = ?'),
    getIntentAny: st('SELECT * FROM payment_intents WHERE id = ?'),
    // A replay (same provider event id) is stored once: the UNIQUE constraint decides, not a read first.
    insertProviderNotification: st(`INSERT INTO provider_notifications (id, provider, provider_event_id, kind, payment_intent, provider_ref, raw, received_at, evidence, failed)
      VALUES (@id, @provider, @provider_event_id, @kind, @payment_intent, @provider_ref, @raw, @received_at, @evidence, @failed)
      ON CONFLICT (provider, provider_event_id) DO NOTHING`),
    markProviderNotificationApplied: st('UPDATE provider_notifications SET applied_at = ?, outcome = ? WHERE id = ?'),
    unappliedProviderNotifications: st('SELECT * FROM provider_notifications WHERE applied_at IS NULL AND received_at <= ? ORDER BY received_at, id LIMIT ?'),
    providerEvidence: st('SELECT * FROM provider_notifications WHERE provider = ? AND payment_intent = ? AND evidence IS NOT NULL ORDER BY received_at, id LIMIT 50'),
    listAttempts: st('SELECT * FROM payment_attempts WHERE payment_intent_id = ? ORDER BY created, id'),
    getIntentsByProviderRef: st('SELECT * FROM payment_intents WHERE provider = ? AND provider_ref = ? LIMIT 2'),
    getIntentByAction: st('SELECT * FROM payment_intents WHERE action_ref = ?'),
    listInterrupted: st('SELECT * FROM payment_intents WHERE pending_operation IS NOT NULL ORDER BY updated'),
    listAwaiting: st(`SELECT * FROM payment_intents WHERE status = 'processing' AND pending_operation IS NULL AND action_ref IS NOT NULL AND updated < ?
      ORDER BY updated LIMIT ?`),
    // The partial index payment_intents_left_off's condition, word for word, so it is used.
    listLeftOff: st(`SELECT * FROM payment_intents
      WHERE status = 'requires_payment_method' AND pending_operation IS NULL AND json_extract(routing, '$.next') IS NOT NULL AND updated < ?
      ORDER BY updated LIMIT ?`),
    // An intent with an operation in flight is left to it (a capture may be settling right now).
    listExpiredAuthorizations: st(`SELECT i.* FROM payment_intents i JOIN charges c ON c.id = i.latest_charge
      WHERE i.status = 'requires_capture' AND i.pending_operation IS NULL AND c.created < ? ORDER BY c.created LIMIT ?`),
    upsertAttempt: st(`INSERT INTO payment_attempts (
        id, payment_intent_id, merchant_id, operation, provider_key, status, amount, resume_status, final_capture, outcome, owner, created, updated
      ) VALUES (
        @id, @payment_intent_id, @merchant_id, @operation, @provider_key, @status, @amount, @resume_status, @final_capture, @outcome, @owner, @created, @updated
      ) ON CONFLICT (id) DO UPDATE SET status = excluded.status, outcome = excluded.outcome, owner = excluded.owner, updated = excluded.updated`),
    insertDiscrepancy: st(`INSERT INTO discrepancies (id, merchant_id, payment_intent_id, attempt_id, operation, currency, expected, actual, created)
      VALUES (@id, @merchant_id, @payment_intent_id, @attempt_id, @operation, @currency, @expected, @actual, @created)`),
    discrepanciesFor: st('SELECT * FROM discrepancies WHERE payment_intent_id = ? ORDER BY created, id'),
    listDiscrepancies: st('SELECT * FROM discrepancies ORDER BY created DESC, id DESC LIMIT ?'),
    countDeclines: st(`SELECT COUNT(*) AS n FROM payment_attempts
      WHERE payment_intent_id = ? AND operation IN ('authorize', 'complete_action') AND status = 'failed'`),
    pruneIdempotency: st("DELETE FROM idempotency_keys WHERE status = 'done' AND updated < ?"),
    purgeTokens: st('DELETE FROM tokens WHERE used_at IS NULL AND expires_at < ?'),
    purgeCards: st(`DELETE FROM vault_cards WHERE created < ?
      AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.vault_card_id = vault_cards.id)
      AND NOT EXISTS (SELECT 1 FROM payment_methods p WHERE p.vault_card_id = vault_cards.id)
      AND NOT EXISTS (SELECT 1 FROM payment_intents i WHERE i.vault_card_id = vault_cards.id)`),
    upsertCharge: st(`INSERT INTO charges (
        id, merchant_id, livemode, payment_intent_id, attempt_id, amount, amount_captured, amount_refunded, currency, status, captured,
        payment_method, card_brand, card_last4, card_exp_month, card_exp_year, failure_code, failure_message, decline_code, created, updated
      ) VALUES (
        @id, @merchant_id, @livemode, @payment_intent_id, @attempt_id, @amount, @amount_captured, @amount_refunded, @currency, @status, @captured,
        @payment_method, @card_brand, @card_last4, @card_exp_month, @card_exp_year, @failure_code, @failure_message, @decline_code, @created, @updated
      ) ON CONFLICT (id) DO UPDATE SET amount_captured = excluded.amount_captured, amount_refunded = excluded.amount_refunded,
        status = excluded.status, captured = excluded.captured, payment_method = excluded.payment_method, updated = excluded.updated`),
    getCharge: st('SELECT * FROM charges WHERE id = ? AND merchant_id = ?'),
    insertRefund: st(`INSERT INTO refunds (
        id, merchant_id, livemode, payment_intent_id, charge_id, attempt_id, amount, currency, status, reason, failure_reason, metadata, created, updated
      ) VALUES (
        @id, @merchant_id, @livemode, @payment_intent_id, @charge_id, @attempt_id, @amount, @currency, @status, @reason, @failure_reason, @metadata, @created, @updated
      )`),
    updateRefund: st('UPDATE refunds SET status = @status, failure_reason = @failure_reason, updated = @updated WHERE id = @id'),
    getRefund: st('SELECT * FROM refunds WHERE id = ? AND merchant_id = ?'),
    refundForAttempt: st('SELECT * FROM refunds WHERE attempt_id = ?'),
    refundsForCharge: st('SELECT * FROM refunds WHERE charge_id = ? ORDER BY created, id'),
    getAttempt: st('SELECT * FROM payment_attempts WHERE id = ?'),
    insertLedger: st(`INSERT INTO ledger_entries (txn_id, merchant_id, payment_intent_id, kind, account, currency, amount, created)
      VALUES (@txn_id, @merchant_id, @payment_intent_id, @kind, @account, @currency, @amount, @created)`),
    insertLedgerTxn: st(`INSERT INTO ledger_transactions (id, merchant_id, livemode, payment_intent_id, kind, entry_count, created,
        balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on)
      VALUES (@id, @merchant_id, (SELECT livemode FROM merchants WHERE id = @merchant_id), @payment_intent_id, @kind, @entry_count, @created,
        @balance_transaction, @balance_type, @balance_source, @balance_currency, @balance_amount, @available_on)`),
    ledgerFor: st(`SELECT e.*, t.balance_transaction, t.balance_type, t.balance_source, t.balance_currency, t.balance_amount, t.available_on
      FROM ledger_entries e LEFT JOIN ledger_transactions t ON t.id = e.txn_id WHERE e.payment_intent_id = ? ORDER BY e.id`),
    insertEvent: st(`INSERT INTO outbox (id, merchant_id, type, payment_intent_id, payload, created)
      VALUES (@id, @merchant_id, @type, @payment_intent_id, @payload, @created)`),
    outboxFor: st('SELECT * FROM outbox WHERE payment_intent_id = ? ORDER BY seq'),
    insertVaultCard: st(`INSERT INTO vault_cards (id, merchant_id, ciphertext, iv, tag, fingerprint, brand, last4, exp_month, exp_year, created)
      VALUES (@id, @merchant_id, @ciphertext, @iv, @tag, @fingerprint, @brand, @last4, @exp_month, @exp_year, @created)`),
    getVaultCard: st('SELECT * FROM vault_cards WHERE id = ?'),
    insertToken: st(`INSERT INTO tokens (id, merchant_id, vault_card_id, created, expires_at)
      VALUES (@id, @merchant_id, @vault_card_id, @created, @expires_at)`),
    getToken: st('SELECT * FROM tokens WHERE id = ?'),
    useToken: st(`UPDATE tokens SET used_at = @now
      WHERE id = @id AND merchant_id = @merchant_id AND used_at IS NULL AND expires_at > @now`),
    insertPaymentMethod: st(`INSERT INTO payment_methods (id, merchant_id, livemode, customer, vault_card_id, fingerprint, brand, last4, exp_month, exp_year, metadata, created)
      VALUES (@id, @merchant_id, @livemode, @customer, @vault_card_id, @fingerprint, @brand, @last4, @exp_month, @exp_year, @metadata, @created)`),
    attachPaymentMethod: st('UPDATE payment_methods SET customer = ? WHERE id = ? AND merchant_id = ? AND customer IS NULL AND detached IS NULL'),
    detachPaymentMethod: st('UPDATE payment_methods SET customer = NULL, detached = ? WHERE id = ? AND merchant_id = ? AND customer IS NOT NULL'),
    detachCustomerPaymentMethods: st('UPDATE payment_methods SET customer = NULL, detached = ? WHERE merchant_id = ? AND customer = ?'),
    setPaymentMethodMetadata: st('UPDATE payment_methods SET metadata = ? WHERE id = ? AND merchant_id = ?'),
    insertCustomer: st(`INSERT INTO customers (id, merchant_id, livemode, email, name, description, phone, metadata, address, shipping, default_payment_method, deleted, created, updated)
      VALUES (@id, @merchant_id, @livemode, @email, @name, @description, @phone, @metadata, @address, @shipping, @default_payment_method, @deleted, @created, @updated)`),
    getCustomer: st('SELECT * FROM customers WHERE merchant_id = ? AND id = ?'),
    updateCustomer: st(`UPDATE customers SET email = @email, name = @name, description = @description, phone = @phone, metadata = @metadata,
      address = @address, shipping = @shipping, default_payment_method = @default_payment_method, updated = @updated
      WHERE merchant_id = @merchant_id AND id = @id AND deleted = 0`),
    deleteCustomer: st('UPDATE customers SET deleted = 1, default_payment_method = NULL, updated = ? WHERE merchant_id = ? AND id = ?'),
    clearDefaultPaymentMethod: st(`UPDATE customers SET default_payment_method = NULL, updated = ?
      WHERE merchant_id = ? AND id = ? AND default_payment_method = ?`),
    getPaymentMethod: st('SELECT * FROM payment_methods WHERE id = ? AND merchant_id = ?'),
    findPaymentMethod: st('SELECT * FROM payment_methods WHERE merchant_id = ? AND customer = ? AND fingerprint = ?'),
    listPaymentMethods: st('SELECT * FROM payment_methods WHERE merchant_id = ? AND customer = ? ORDER BY created DESC, id'),
    getIdem: st('SELECT * FROM idempotency_keys WHERE merchant_id = @merchantId AND scope = @scope AND key = @key'),
    insertIdem: st(`INSERT INTO idempotency_keys (merchant_id, scope, key, request_hash, status, created, locked_at, owner, recovery_point, updated)
      VALUES (@merchantId, @scope, @key, @request_hash, 'in_flight', @now, @now, @owner, 'started', @now)`),
    // Compare-and-set on the owner: of two requests taking over the same dead lock, one wins.
    takeOverIdem: st(`UPDATE idempotency_keys SET owner = @to, locked_at = @now, updated = @now
      WHERE merchant_id = @merchantId AND scope = @scope AND key = @key AND status = 'in_flight' AND owner IS @from`),
    journalIdem: st(`UPDATE idempotency_keys
      SET recovery_point = @recovery_point, intent_id = @intent_id, attempt_id = @attempt_id, object_id = @object_id, updated = @now
      WHERE merchant_id = @merchantId AND scope = @scope AND key = @key AND status = 'in_flight' AND owner = @owner`),
    finishIdem: st(`UPDATE idempotency_keys
      SET status = 'done', recovery_point = 'finished', response_status = @status, response_body = @body,
          owner = NULL, locked_at = NULL, updated = @now
      WHERE merchant_id = @merchantId AND scope = @scope AND key = @key AND status = 'in_flight' AND owner = @owner`),
    releaseIdem: st(`UPDATE idempotency_keys SET owner = NULL, locked_at = NULL, updated = @now
      WHERE merchant_id = @merchantId AND scope = @scope AND key = @key AND status = 'in_flight' AND owner = @owner`),
    insertInstance: st(`INSERT INTO instances (id, host, pid, started, lease_expires) VALUES (@id, @host, @pid, @started, @lease_expires)`),
    renewInstance: st('UPDATE instances SET lease_expires = ? WHERE id = ? AND stopped IS NULL'),
    stopInstance: st('UPDATE instances SET stopped = ? WHERE id = ? AND stopped IS NULL'),
    runningInstances: st('SELECT * FROM instances WHERE stopped IS NULL ORDER BY started'),
    pruneInstances: st('DELETE FROM instances WHERE stopped IS NOT NULL AND stopped < ?'),
    getInstance: st('SELECT * FROM instances WHERE id = ?'),
  };
}

// ---- webhooks ----

function endpointToRow(e: WebhookEndpointRecord) {
  return {
    id: e.id,
    merchant_id: e.merchantId,
    livemode: e.livemode ? 1 : 0,
    url: e.url,
    enabled_events: JSON.stringify(e.enabledEvents),
    description: e.description,
    metadata: JSON.stringify(e.metadata),
    status: e.status,
    disabled_reason: e.disabledReason,
    created: e.created,
    updated: e.updated,
  };
}

function rowToEndpoint(r: Row): WebhookEndpointRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    url: r.url as string,
    enabledEvents: JSON.parse(r.enabled_events as string) as string[],
    description: (r.description as string | null) ?? null,
    metadata: JSON.parse(r.metadata as string) as Record<string, string>,
    status: r.status as WebhookEndpointRecord['status'],
    disabledReason: (r.disabled_reason as WebhookDisabledReason | null) ?? null,
    created: r.created as number,
    updated: r.updated as number,
  };
}

function secretColumns(s: NewWebhookSecret) {
  return { ciphertext: s.ciphertext, iv: s.iv, tag: s.tag, creation_key: s.creationKey, created: s.created };
}

function rowToSecret(r: Row): WebhookSecretRecord {
  return {
    id: r.id as number,
    endpointId: r.endpoint_id as string,
    ciphertext: r.ciphertext as Buffer,
    iv: r.iv as Buffer,
    tag: r.tag as Buffer,
    created: r.created as number,
    expires: (r.expires as number | null) ?? null,
  };
}

function rowToEvent(r: Row): StoredEvent {
  return {
    id: r.id as string,
    type: r.type as string,
    created: r.created as number,
    payload: r.payload as string,
    pendingWebhooks: r.pending_webhooks as number,
  };
}

function prepareProviderAccounts(db: Database) {
  const st = (sql: string): Statement => db.prepare(sql);
  return {
    nextSeq: st('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM provider_accounts'),
    insert: st(`INSERT INTO provider_accounts (
        id, account_id, merchant_id, livemode, name, type, config, secret_hints, secrets_ciphertext, secrets_iv, secrets_tag, created, seq, deactivated_at
      ) VALUES (
        @id, @account_id, @merchant_id, @livemode, @name, @type, @config, @secret_hints, @secrets_ciphertext, @secrets_iv, @secrets_tag, @created, @seq, @deactivated_at
      )`),
    get: st('SELECT * FROM provider_accounts WHERE id = ?'),
    all: st('SELECT * FROM provider_accounts ORDER BY seq'),
    ofAccount: st('SELECT * FROM provider_accounts WHERE account_id = ? ORDER BY seq'),
    deactivate: st('UPDATE provider_accounts SET deactivated_at = ?, revision = revision + 1 WHERE id = ? AND deactivated_at IS NULL'),
    update: st(`UPDATE provider_accounts SET name = @name, config = @config, secret_hints = @secret_hints, secrets_ciphertext = @secrets_ciphertext,
        secrets_iv = @secrets_iv, secrets_tag = @secrets_tag, deactivated_at = @deactivated_at, revision = revision + 1
      WHERE id = @id AND revision = @expected`),
    version: st('SELECT COUNT(*) AS n, COALESCE(SUM(revision), 0) AS revisions FROM provider_accounts'),
  };
}

function rowToProviderAccount(row: Row): ProviderAccountRecord {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    merchantId: row.merchant_id as string,
    livemode: row.livemode === 1,
    name: (row.name as string | null) ?? null,
    type: row.type as ProviderAccountRecord['type'],
    config: JSON.parse(row.config as string) as Record<string, unknown>,
    secretHints: JSON.parse(row.secret_hints as string) as Record<string, string>,
    sealed: { ciphertext: row.secrets_ciphertext as Buffer, iv: row.secrets_iv as Buffer, tag: row.secrets_tag as Buffer },
    created: row.created as number,
    deactivatedAt: (row.deactivated_at as number | null) ?? null,
    revision: row.revision as number,
  };
}

const PENDING_WEBHOOKS = "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.event_seq = outbox.seq AND d.status = 'pending')";

function prepareWebhooks(db: Database) {
  const st = (sql: string): Statement => db.prepare(sql);
  return {
    countEndpoints: st('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE merchant_id = ? AND livemode = ?'),
    // The cursor starts at the newest event: an endpoint receives what happens after it exists.
    insertEndpoint: st(`INSERT INTO webhook_endpoints (
        id, merchant_id, livemode, url, enabled_events, description, metadata, status, disabled_reason, outbox_cursor, creation_key, created, updated
      ) VALUES (
        @id, @merchant_id, @livemode, @url, @enabled_events, @description, @metadata, @status, @disabled_reason,
        (SELECT COALESCE(MAX(seq), 0) FROM outbox), @creation_key, @created, @updated
      )`),
    endpointByCreationKey: st('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND creation_key = ?'),
    getEndpoint: st('SELECT * FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND livemode = ?'),
    updateEndpoint: st(`UPDATE webhook_endpoints SET url = @url, enabled_events = @enabled_events, description = @description,
        metadata = @metadata, status = @status, disabled_reason = @disabled_reason, updated = @updated
      WHERE id = @id AND merchant_id = @merchant_id AND livemode = @livemode`),
    deleteEndpoint: st('DELETE FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND livemode = ?'),
    insertSecret: st(`INSERT INTO webhook_secrets (endpoint_id, ciphertext, iv, tag, creation_key, created, expires)
      VALUES (@endpoint_id, @ciphertext, @iv, @tag, @creation_key, @created, NULL)`),
    expireSecrets: st(`UPDATE webhook_secrets SET expires = MIN(COALESCE(expires, @expires), @expires)
      WHERE endpoint_id = @endpoint_id AND (expires IS NULL OR expires > @now)`),
    expireBeyond: st(`UPDATE webhook_secrets SET expires = @now
      WHERE endpoint_id = @endpoint_id AND (expires IS NULL OR expires > @now) AND id NOT IN (
        SELECT id FROM webhook_secrets WHERE endpoint_id = @endpoint_id AND (expires IS NULL OR expires > @now) ORDER BY id DESC LIMIT @keep
      )`),
    dropExpiredSecrets: st('DELETE FROM webhook_secrets WHERE endpoint_id = @endpoint_id AND expires IS NOT NULL AND expires <= @now'),
    secretByCreationKey: st('SELECT * FROM webhook_secrets WHERE endpoint_id = ? AND creation_key = ?'),
    validSecrets: st('SELECT * FROM webhook_secrets WHERE endpoint_id = @endpoint_id AND (expires IS NULL OR expires > @now) ORDER BY id DESC'),
    getEvent: st(`SELECT id, type, created, payload, ${PENDING_WEBHOOKS} AS pending_webhooks FROM outbox
      WHERE id = @id AND merchant_id = @merchantId AND json_extract(payload, '$.livemode') = @livemode`),
    newestEvent: st('SELECT MAX(seq) AS seq FROM outbox'),
    fanOutNeeded: st(`SELECT (SELECT MAX(seq) FROM outbox) AS newest,
        (SELECT COUNT(*) FROM webhook_endpoints WHERE outbox_cursor < (SELECT COALESCE(MAX(seq), 0) FROM outbox)) AS behind`),
    // Disabled endpoints are skipped (Stripe sends them nothing) but their cursor moves on too.
    fanOut: st(`INSERT OR IGNORE INTO webhook_deliveries (
        endpoint_id, merchant_id, event_seq, event_id, object_id, status, attempts, next_attempt_at, created, updated
      )
      SELECT e.id, e.merchant_id, o.seq, o.id, o.payment_intent_id, 'pending', 0, @now, @now, @now
      FROM webhook_endpoints e JOIN outbox o ON o.merchant_id = e.merchant_id AND o.seq > e.outbox_cursor AND o.seq <= @upto
      WHERE e.status = 'enabled'
        AND json_extract(o.payload, '$.livemode') = e.livemode
        AND EXISTS (SELECT 1 FROM json_each(e.enabled_events) j WHERE j.value = '*' OR j.value = o.type)`),
    advanceCursors: st('UPDATE webhook_endpoints SET outbox_cursor = @upto WHERE outbox_cursor < @upto'),
    // An earlier delivery of the same object to the same endpoint that was never attempted, or
    // is being attempted (owner set), holds the later one back: one object's events go out in
    // order. Once it failed an attempt it holds nothing back, so one bad event cannot stall
    // an object's later events for the three days of its retries.
    dueDeliveries: st(`SELECT d.id, d.endpoint_id, d.merchant_id, d.event_id, d.object_id, d.attempts, d.owner,
        o.created AS event_created, o.payload, e.url, e.livemode
      FROM webhook_deliveries d
      JOIN webhook_endpoints e ON e.id = d.endpoint_id
      JOIN outbox o ON o.seq = d.event_seq
      WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND e.status = 'enabled'
        AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries p
          WHERE p.endpoint_id = d.endpoint_id AND p.object_id = d.object_id AND p.status = 'pending'
            AND p.event_seq < d.event_seq AND (p.attempts = 0 OR p.owner IS NOT NULL)
        )
      ORDER BY d.next_attempt_at, d.event_seq
      LIMIT @limit`),
    claimDelivery: st(`UPDATE webhook_deliveries SET owner = @to, updated = @now
      WHERE id = @id AND status = 'pending' AND owner IS @from`),
    releaseDelivery: st(`UPDATE webhook_deliveries SET owner = NULL, updated = @now WHERE id = @id AND owner = @owner`),
    finishAttempt: st(`UPDATE webhook_deliveries SET status = @status, attempts = attempts + 1, next_attempt_at = @next, owner = NULL,
        last_status_code = @code, last_error = @error, updated = @now, finished = @finished
      WHERE id = @id AND owner = @owner AND status = 'pending'`),
    deliveryAttempts: st('SELECT attempts FROM webhook_deliveries WHERE id = ?'),
    insertAttempt: st(`INSERT INTO webhook_attempts (
        delivery_id, endpoint_id, event_id, attempt, started, duration_ms, status_code, error, outcome, next_retry
      ) VALUES (
        @delivery_id, @endpoint_id, @event_id, @attempt, @started, @duration_ms, @status_code, @error, @outcome, @next_retry
      )`),
    disableGone: st(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'gone', updated = @now
      WHERE id = @id AND status = 'enabled'`),
    deliveriesOf: st(`SELECT d.*, o.type AS event_type FROM webhook_deliveries d
      JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN outbox o ON o.seq = d.event_seq
      WHERE d.endpoint_id = ? AND e.merchant_id = ? ORDER BY d.id DESC LIMIT ?`),
    attemptsOf: st('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY id'),
  };
}

function mapPage<R, T>(page: Page<R>, map: (row: R) => T): Page<T> {
  return page.missingCursor ? page : { data: page.data.map(map), hasMore: page.hasMore };
}

// ---- money ----

function ledgerTxnToRow(t: LedgerTransaction) {
  const b = t.balance;
  return {
    id: t.id,
    merchant_id: t.merchantId,
    payment_intent_id: t.intentId,
    kind: t.kind,
    entry_count: t.entries.length,
    created: t.created,
    balance_transaction: b?.id ?? null,
    balance_type: b?.type ?? null,
    balance_source: b?.source ?? null,
    balance_currency: b?.currency ?? null,
    balance_amount: b?.amount ?? null,
    available_on: b?.availableOn ?? null,
  };
}

function rowToBalanceEffect(r: Row): BalanceEffect {
  return {
    id: r.balance_transaction as string,
    type: r.balance_type as BalanceTransactionType,
    source: r.balance_source as string,
    currency: r.balance_currency as Currency,
    amount: r.balance_amount as number,
    availableOn: r.available_on as number,
  };
}

/** A row of the balance_transactions view. */
function rowToBalanceTransaction(r: Row): BalanceTransactionRecord {
  return {
    id: r.id as string,
    type: r.type as BalanceTransactionType,
    source: r.source as string,
    currency: r.currency as Currency,
    amount: r.amount as number,
    availableOn: r.available_on as number,
    merchantId: r.merchant_id as string,
    livemode: r.livemode === 1,
    intentId: r.payment_intent_id as string,
    ledgerTransaction: r.ledger_transaction as string,
    created: r.created as number,
  };
}

/** A sum read as a BigInt: refused rather than rounded if it ever passed 2^53. */
function exactNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`a balance of ${value} minor units cannot be represented exactly`);
  }
  return Number(value);
}

function prepareMoney(db: Database) {
  return {
    // The same comparison as isAvailable() in domain/balance.ts: available once available_on <= now.
    balanceTotals: db
      .prepare(
        `SELECT balance_currency AS currency,
           COALESCE(SUM(CASE WHEN available_on <= @now THEN balance_amount END), 0) AS available,
           COALESCE(SUM(CASE WHEN available_on > @now THEN balance_amount END), 0) AS pending
         FROM ledger_transactions
         WHERE merchant_id = @merchantId AND livemode = @livemode AND balance_transaction IS NOT NULL
         GROUP BY balance_currency ORDER BY balance_currency`,
      )
      .safeIntegers(true),
    getBalanceTransaction: db.prepare('SELECT * FROM balance_transactions WHERE id = @id AND merchant_id = @merchantId AND livemode = @livemode'),
  };
}
