/**
 * The Store port: everything Kassa persists, behind an async interface so a PostgreSQL
 * implementation can sit next to SQLite later. Every method is one transaction; a change
 * that must be atomic (a status change with its ledger entries, outbox events and attempt)
 * is one call.
 */
import type { Currency } from '@kassa/core';
import type { ProviderNotificationRecord,
  ApiKeyRecord,
  AttemptRecord,
  BalanceTransactionRecord,
  ChargeRecord,
  CustomerRecord,
  RefundRecord,
  DiscrepancyRecord,
  IdempotencyKeyRef,
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
} from '../domain/model.js';

import type {
  DueWebhookDelivery,
  NewWebhookSecret,
  StoredEvent,
  WebhookAttemptResult,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookSecretRecord,
} from '../domain/webhook-model.js';
import type { Page, PageQuery } from './pages.js';

export type { IdempotencyKeyRef } from '../domain/model.js';

/**
 * A merchant's own provider account in one mode. `config`: the type's public fields; `sealed`:
 * its secret fields as one AES-256-GCM ciphertext (the store never sees them in clear).
 */
export interface ProviderAccountRecord {
  /** `pa_…`: also the provider name its intents record. */
  id: string;
  /** The merchant account (`acct_…`). */
  accountId: string;
  /** The account's scope of this mode (what intents carry as their merchant). */
  merchantId: string;
  livemode: boolean;
  name: string | null;
  type: 'stripe' | 'adyen' | 'paypal' | 'alipay';
  config: Record<string, unknown>;
  secretHints: Record<string, string>;
  sealed: { ciphertext: Buffer; iv: Buffer; tag: Buffer };
  created: number;
  deactivatedAt: number | null;
  /** Counts each change since it was made (0: as created): an instance builds its adapter again when it moved. */
  revision: number;
}

/** What a change to a provider account writes (everything but its identity, type, mode and place in the order). */
export type ProviderAccountChange = Pick<ProviderAccountRecord, 'name' | 'config' | 'secretHints' | 'sealed' | 'deactivatedAt'>;
export type { Page, PageQuery } from './pages.js';

/**
 * Thrown when a change lost a race: the row moved on since it was read, a token was used,
 * or the idempotency key's lock is no longer held by the writer (another request took over).
 */
export class StoreConflict extends Error {
  constructor(readonly reason: 'stale_intent' | 'token_unavailable' | 'lock_lost' | 'refund_exceeds_captured' | 'payment_method_unavailable') {
    super(`store conflict: ${reason}`);
    this.name = 'StoreConflict';
  }
}

export interface IntentChange {
  /** The intent as it should be after the change (version already incremented). */
  intent: PaymentIntentRecord;
  /** The version the change was computed from; the write fails with StoreConflict otherwise. */
  expectedVersion: number;
  /** Marks a token used; fails with StoreConflict if it is used or expired. */
  consumeToken?: { id: string; merchantId: string; now: number };
  /** Inserts or updates (by id) the provider call record. */
  attempt?: AttemptRecord;
  ledger?: LedgerTransaction;
  events?: OutboxEvent[];
  /**
   * Saves the card for the customer: inserts the row, or attaches the existing unattached row
   * with this id. If the same card is already saved for the customer (another request saved it
   * first), the intent is pointed at that row instead: see the returned intent.
   */
  savePaymentMethod?: PaymentMethodRecord;
  /** The request's recovery point, written only while its owner still holds the key (else `lock_lost`). */
  journal?: JournalWrite;
  /** The provider settled another amount: recorded with the change. */
  discrepancy?: DiscrepancyRecord;
  /** Inserts or updates (by id) the charge of an authorization. */
  charge?: ChargeRecord;
  /** Inserts or updates (by id) a refund; fails with `refund_exceeds_captured` past the charge's capture. */
  refund?: RefundRecord;
}

/** What a request finds when it takes its Idempotency-Key. */
export type IdempotencyBegin =
  /** New key: inserted and locked by the caller. */
  | { state: 'started' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string }
  /** An earlier request with this key never stored an answer; `lockedBy` holds it, if anyone. */
  | {
      state: 'unfinished';
      lockedBy: string | null;
      recoveryPoint: RecoveryPoint;
      intentId: string | null;
      attemptId: string | null;
      objectId: string | null;
    };


export interface Store {
  // settings
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;

  // merchants (one row per mode of an account) and their keys
  /** Creates a scope (an account's test scope, or its live scope at activation) with its first keys. */
  createMerchant(merchant: MerchantRecord, keys: ApiKeyRecord[]): Promise<void>;
  getMerchant(id: string): Promise<MerchantRecord | null>;
  /** Every scope of every account. */
  listMerchants(): Promise<MerchantRecord[]>;
  /** Sets the account's details on both its scopes. */
  updateAccount(accountId: string, fields: { name: string; email: string | null; allowedOrigins: string[]; status: 'test' | 'live' }): Promise<void>;
  setAllowedOrigins(merchantId: string, origins: string[]): Promise<void>;
  keyByHash(hash: string): Promise<ApiKeyRecord | null>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** The keys of an account's scopes, newest first. */
  listApiKeys(accountId: string): Promise<ApiKeyRecord[]>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  /** Rotation: inserts the new key and sets the old one's expiry, together. */
  rollApiKey(oldId: string, expiresAt: number, replacement: ApiKeyRecord): Promise<void>;
  revokeApiKey(id: string, at: number): Promise<void>;
  touchApiKey(id: string, at: number): Promise<void>;

  // merchants' provider accounts
  insertProviderAccount(account: ProviderAccountRecord): Promise<void>;
  getProviderAccount(id: string): Promise<ProviderAccountRecord | null>;
  /** An account's (`acct_…`), or every merchant's (null), in creation order. */
  listProviderAccounts(accountId: string | null): Promise<ProviderAccountRecord[]>;
  /** Sets `deactivated_at` once; false when there is no such active account. */
  deactivateProviderAccount(id: string, at: number): Promise<boolean>;
  /** Writes a change made from revision `expected`, counting the revision up; false when another change came first. */
  updateProviderAccount(id: string, expected: number, change: ProviderAccountChange): Promise<boolean>;
  /** Changes whenever an account is added, changed or deactivated (by any instance sharing the store): a cheap staleness check. */
  providerAccountsVersion(): Promise<string>;

  // payment intents
  insertIntent(intent: PaymentIntentRecord, events: OutboxEvent[], journal?: JournalWrite): Promise<void>;
  getIntent(merchantId: string, id: string): Promise<PaymentIntentRecord | null>;
  listIntents(merchantId: string, filter: { customer?: string | undefined }, query: PageQuery): Promise<Page<PaymentIntentRecord>>;
  /** Intents matching a search (a trusted SQL condition over payment_intents and its parameters). */
  searchIntents(merchantId: string, where: { sql: string; params: Record<string, unknown> }, after: number | null, limit: number): Promise<{ data: Array<PaymentIntentRecord & { seq: number }>; hasMore: boolean }>;
  /** Unscoped lookup: only for routing (CORS preflight, the 3-D Secure page), never for auth. */
  getIntentAnyMerchant(id: string): Promise<PaymentIntentRecord | null>;
  findIntentByActionRef(actionRef: string): Promise<PaymentIntentRecord | null>;
  /** Unscoped: the intent whose payment a provider knows by this id (its inbound notifications); null if none, or not one only. */
  findIntentByProviderRef(provider: string, providerRef: string): Promise<PaymentIntentRecord | null>;
  /** Stores a verified provider notification, once per provider event id; false if it was stored before (a replay). */
  recordProviderNotification(notification: ProviderNotificationRecord): Promise<boolean>;
  markProviderNotificationApplied(id: string, at: number, outcome: string): Promise<void>;
  /** Notifications stored and not applied yet (the process died in between), oldest first. */
  /** Stored and not applied yet, oldest first; `receivedBefore` (ms): only those received by then. */
  listUnappliedProviderNotifications(limit: number, receivedBefore?: number): Promise<ProviderNotificationRecord[]>;
  /** The stored notifications of `provider` about an intent that carry its adapter's evidence (ports.ts), oldest first. */
  providerEvidenceFor(provider: string, intentId: string): Promise<ProviderNotificationRecord[]>;
  /** Applies the change atomically; resolves to the intent as written. */
  applyIntentChange(change: IntentChange): Promise<PaymentIntentRecord>;
  getAttempt(id: string): Promise<AttemptRecord | null>;
  /** Every provider call made for an intent, oldest first. */
  listAttempts(intentId: string): Promise<AttemptRecord[]>;
  /** Intents with a provider call whose outcome was never recorded (crash, timeout). */
  listInterruptedIntents(): Promise<PaymentIntentRecord[]>;
  /** Intents a provider answered `pending` (`processing`, no call in flight) last changed before `updatedBefore`, oldest first. */
  listAwaitingIntents(updatedBefore: number, limit: number): Promise<PaymentIntentRecord[]>;
  /** Intents a crash left mid-failover (`requires_payment_method`, nothing in flight, `routing.next` set), last changed before `updatedBefore`. */
  listLeftOffFailovers(updatedBefore: number, limit: number): Promise<PaymentIntentRecord[]>;
  /** Intents awaiting capture whose authorization (their latest charge) was made before `authorizedBefore`, oldest first. */
  listExpiredAuthorizations(authorizedBefore: number, limit: number): Promise<PaymentIntentRecord[]>;
  discrepanciesFor(intentId: string): Promise<DiscrepancyRecord[]>;
  /** Every merchant's discrepancies, newest first (the operator's reconciliation report). */
  listDiscrepancies(limit: number): Promise<DiscrepancyRecord[]>;
  /** Authorizations of the intent its provider declined (card-testing cap). */
  countDeclines(intentId: string): Promise<number>;
  /** Forgets stored answers of keys finished before `before` (Stripe keeps them 24 hours). */
  pruneIdempotencyKeys(before: number): Promise<number>;
  /**
   * Deletes tokens never used and expired before `before`, then sealed cards nothing refers to
   * any more (no token, payment method or intent): what the vault need not keep.
   */
  purgeUnusedCards(before: number): Promise<{ tokens: number; cards: number }>;

  // charges and refunds
  getCharge(merchantId: string, id: string): Promise<ChargeRecord | null>;
  getRefund(merchantId: string, id: string): Promise<RefundRecord | null>;
  refundForAttempt(attemptId: string): Promise<RefundRecord | null>;
  refundsForCharge(chargeId: string): Promise<RefundRecord[]>;
  listCharges(merchantId: string, filter: { paymentIntent?: string | undefined; customer?: string | undefined }, query: PageQuery): Promise<Page<ChargeRecord>>;
  listRefunds(merchantId: string, filter: { paymentIntent?: string | undefined; charge?: string | undefined }, query: PageQuery): Promise<Page<RefundRecord>>;

  // vault
  /** Stores a sealed card with the token that names it, or with a payment method row (test payment methods). */
  insertVaultCard(card: VaultCardRecord, token: TokenRecord | null, paymentMethod?: PaymentMethodRecord): Promise<void>;
  getVaultCard(id: string): Promise<VaultCardRecord | null>;
  getToken(id: string): Promise<TokenRecord | null>;

  // saved cards
  getPaymentMethod(merchantId: string, id: string): Promise<PaymentMethodRecord | null>;
  findPaymentMethod(merchantId: string, customer: string, fingerprint: string): Promise<PaymentMethodRecord | null>;
  listPaymentMethods(merchantId: string, customer: string): Promise<PaymentMethodRecord[]>;
  /** Attaches an unattached, never-detached payment method; false (nothing written) if it is attached or was detached. */
  attachPaymentMethod(merchantId: string, id: string, customer: string, journal?: JournalWrite): Promise<boolean>;
  /**
   * Detaches it for good (it cannot be used or attached again) and clears it as its customer's
   * default; false (nothing written) if it was not attached.
   */
  detachPaymentMethod(merchantId: string, id: string, now: number, journal?: JournalWrite): Promise<boolean>;
  setPaymentMethodMetadata(merchantId: string, id: string, metadata: Record<string, string>, journal?: JournalWrite): Promise<void>;

  // customers
  /**
   * Inserts (or updates) the customer and, in the same transaction, attaches `attach` to it;
   * fails with StoreConflict `payment_method_unavailable` (nothing written) if that cannot be attached.
   */
  insertCustomer(customer: CustomerRecord, options?: { attach?: string | undefined; journal?: JournalWrite | undefined }): Promise<void>;
  getCustomer(merchantId: string, id: string): Promise<CustomerRecord | null>;
  /** Customers that are not deleted, newest first. */
  listCustomers(merchantId: string, filter: { email?: string | undefined }, query: PageQuery): Promise<Page<CustomerRecord>>;
  listPaymentMethodsPage(merchantId: string, customer: string, query: PageQuery): Promise<Page<PaymentMethodRecord>>;
  updateCustomer(customer: CustomerRecord, options?: { attach?: string | undefined; journal?: JournalWrite | undefined }): Promise<void>;
  /** Marks the customer deleted and detaches its payment methods, in one transaction. */
  deleteCustomer(merchantId: string, id: string, now: number): Promise<void>;

  // idempotency keys (request journals)
  /** Inserts the key locked by `owner`, or reports what an earlier request left. */
  beginIdempotent(ref: IdempotencyKeyRef, requestHash: string, owner: string, now: number): Promise<IdempotencyBegin>;
  /** Moves the lock from `from` (null: free) to `to`; false if someone else moved it first. */
  takeOverIdempotent(ref: IdempotencyKeyRef, from: string | null, to: string, now: number): Promise<boolean>;
  /** Stores the answer, if `owner` still holds the key; false otherwise (the other request's answer stands). */
  finishIdempotent(ref: IdempotencyKeyRef, owner: string, status: number, body: string, now: number): Promise<boolean>;
  /** Frees the lock and keeps the journal: a retry resumes from the last recovery point. */
  releaseIdempotent(ref: IdempotencyKeyRef, owner: string, now: number): Promise<void>;

  // server instances (lock ownership)
  registerInstance(instance: InstanceRecord): Promise<void>;
  /** Extends the lease; false if this instance was declared stopped (it must not take new work). */
  renewInstance(id: string, leaseExpires: number): Promise<boolean>;
  stopInstances(ids: string[], now: number): Promise<void>;
  /** Forgets instances stopped before `before` (a lock naming a forgotten instance is dead, as it was). */
  pruneInstances(before: number): Promise<number>;
  /** Instances not known to have stopped (their lease may still have run out). */
  listRunningInstances(): Promise<InstanceRecord[]>;
  getInstance(id: string): Promise<InstanceRecord | null>;

  // read models (tests, the CLI later)
  ledgerFor(intentId: string): Promise<LedgerTransaction[]>;
  outboxFor(intentId: string): Promise<OutboxEvent[]>;

  close(): Promise<void>;

  // webhooks
  /**
   * Inserts the endpoint with its first secret; it is fanned events written after this. 'limit'
   * (nothing written) when the merchant already has `max` endpoints in this mode.
   */
  createWebhookEndpoint(endpoint: WebhookEndpointRecord, secret: NewWebhookSecret, creationKey: string | null, max: number): Promise<'created' | 'limit'>;
  /** The endpoint an Idempotency-Key made (its hash), if its first run got that far. */
  webhookEndpointByCreationKey(merchantId: string, creationKey: string): Promise<WebhookEndpointRecord | null>;
  getWebhookEndpoint(merchantId: string, livemode: boolean, id: string): Promise<WebhookEndpointRecord | null>;
  /** Writes url, events, description, metadata, status; false if the endpoint is gone. */
  updateWebhookEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean>;
  /** Deletes the endpoint with its secrets, deliveries and attempts; false if there was none. */
  deleteWebhookEndpoint(merchantId: string, livemode: boolean, id: string): Promise<boolean>;
  listWebhookEndpoints(merchantId: string, livemode: boolean, query: PageQuery): Promise<Page<WebhookEndpointRecord>>;
  /**
   * Makes `secret` the current one. The previous secrets keep signing until `previousExpires`
   * (or their own earlier expiry); at most `keep` secrets stay valid, the oldest expiring now.
   */
  rollWebhookSecret(endpointId: string, secret: NewWebhookSecret, previousExpires: number, keep: number): Promise<void>;
  webhookSecretByCreationKey(endpointId: string, creationKey: string): Promise<WebhookSecretRecord | null>;
  /** The secrets that sign at `now`, newest first. */
  webhookSecrets(endpointId: string, now: number): Promise<WebhookSecretRecord[]>;
  getEvent(merchantId: string, livemode: boolean, id: string): Promise<StoredEvent | null>;
  /** `types`: exact types, or prefixes written `payment_intent.*`. */
  listEvents(merchantId: string, livemode: boolean, query: PageQuery & { types?: string[] | undefined }): Promise<Page<StoredEvent>>;
  /** Creates the deliveries for outbox events not yet fanned out to each enabled endpoint; returns how many. */
  fanOutWebhookEvents(now: number): Promise<number>;
  /**
   * Pending deliveries due at `now` on enabled endpoints, oldest due first, leaving out any whose
   * object has an earlier delivery to the same endpoint not yet attempted or in flight.
   */
  dueWebhookDeliveries(now: number, limit: number): Promise<DueWebhookDelivery[]>;
  /** Moves the delivery's claim from `from` (null: unclaimed) to `to`; false if someone else moved it. */
  claimWebhookDelivery(id: number, from: string | null, to: string, now: number): Promise<boolean>;
  /** Gives a claimed delivery back without an attempt (shutdown): due again at once. */
  releaseWebhookDelivery(id: number, owner: string, now: number): Promise<void>;
  /** Records the attempt and the delivery's next state (and a 410's disabling) if `owner` still holds it. */
  recordWebhookAttempt(result: WebhookAttemptResult): Promise<boolean>;
  /** The read model: an endpoint's deliveries, newest first, with their attempts. */
  webhookDeliveries(merchantId: string, endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]>;

  // money
  /**
   * Per currency of the merchant's balance transactions in this mode: the sum of those available
   * at `now` (available_on ≤ now) and of those still pending. Sums are exact or refused.
   */
  balanceTotals(merchantId: string, livemode: boolean, now: number): Promise<Array<{ currency: Currency; available: number; pending: number }>>;
  /** Balance transactions newest first, with Stripe's paging and these exact-match filters. */
  listBalanceTransactions(
    merchantId: string,
    livemode: boolean,
    filter: { type?: string | undefined; currency?: string | undefined; source?: string | undefined },
    query: PageQuery,
  ): Promise<Page<BalanceTransactionRecord>>;
  getBalanceTransaction(merchantId: string, livemode: boolean, id: string): Promise<BalanceTransactionRecord | null>;
}
