/**
 * The Store port: everything Kassa persists, behind an async interface so a PostgreSQL
 * implementation can sit next to SQLite later. Every method is one transaction; a change
 * that must be atomic (a status change with its ledger entries, outbox events and attempt)
 * is one call.
 */
import type {
  AttemptRecord,
  LedgerTransaction,
  MerchantRecord,
  OutboxEvent,
  PaymentIntentRecord,
  PaymentMethodRecord,
  TokenRecord,
  VaultCardRecord,
} from '../domain/model.js';

/** Thrown when a change lost a race: the row moved on since it was read, or a token was used. */
export class StoreConflict extends Error {
  constructor(readonly reason: 'stale_intent' | 'token_unavailable') {
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
  /** Saves the card for the customer (kept if the same card is already saved). */
  savePaymentMethod?: PaymentMethodRecord;
}

export type IdempotencyBegin =
  | { state: 'started' }
  | { state: 'in_flight' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string };

export interface IdempotencyKeyRef {
  merchantId: string;
  /** 'v1' for the merchant API; 'client:<pi>' for a widget call (keys are per intent there). */
  scope: string;
  key: string;
}

export interface ApiKeyRecord {
  hash: string;
  merchantId: string;
  kind: 'secret' | 'publishable';
  prefix: string;
  created: number;
}

export interface Store {
  // settings
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;

  // merchants and keys
  createMerchant(merchant: MerchantRecord, keys: ApiKeyRecord[]): Promise<void>;
  getMerchant(id: string): Promise<MerchantRecord | null>;
  listMerchants(): Promise<MerchantRecord[]>;
  setAllowedOrigins(merchantId: string, origins: string[]): Promise<void>;
  merchantForSecretKeyHash(hash: string): Promise<string | null>;

  // payment intents
  insertIntent(intent: PaymentIntentRecord, events: OutboxEvent[]): Promise<void>;
  getIntent(merchantId: string, id: string): Promise<PaymentIntentRecord | null>;
  /** Unscoped lookup: only for routing (CORS preflight, the 3-D Secure page), never for auth. */
  getIntentAnyMerchant(id: string): Promise<PaymentIntentRecord | null>;
  findIntentByActionRef(actionRef: string): Promise<PaymentIntentRecord | null>;
  applyIntentChange(change: IntentChange): Promise<void>;
  getAttempt(id: string): Promise<AttemptRecord | null>;
  /** Intents with a provider call whose outcome was never recorded (crash, timeout). */
  listInterruptedIntents(): Promise<PaymentIntentRecord[]>;

  // vault
  insertVaultCard(card: VaultCardRecord, token: TokenRecord): Promise<void>;
  getVaultCard(id: string): Promise<VaultCardRecord | null>;
  getToken(id: string): Promise<TokenRecord | null>;

  // saved cards
  getPaymentMethod(merchantId: string, id: string): Promise<PaymentMethodRecord | null>;
  findPaymentMethod(merchantId: string, customer: string, fingerprint: string): Promise<PaymentMethodRecord | null>;
  listPaymentMethods(merchantId: string, customer: string): Promise<PaymentMethodRecord[]>;

  // idempotency
  beginIdempotent(ref: IdempotencyKeyRef, requestHash: string, now: number, staleAfterMs: number): Promise<IdempotencyBegin>;
  finishIdempotent(ref: IdempotencyKeyRef, status: number, body: string, now: number): Promise<void>;

  // read models (tests, the CLI later)
  ledgerFor(intentId: string): Promise<LedgerTransaction[]>;
  outboxFor(intentId: string): Promise<OutboxEvent[]>;

  close(): Promise<void>;
}
