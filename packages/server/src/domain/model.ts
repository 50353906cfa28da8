/**
 * What the domain keeps about payments. Plain records: the store persists them, the views
 * turn them into wire objects. Amounts are integer minor units everywhere.
 */
import type { CardBrand, Currency, DeclineCode, ErrorCode, ErrorType, PaymentStatus } from '@kassa/core';
import type { BalanceTransactionType, CancellationReason, RefundReason, RefundStatus } from '@kassa/core/wire';
import type { CardTokenType, ModificationFailure, PaymentMethodType } from './ports.js';

/**
 * The routing decision of a confirmation: the providers eligible, in order, the rule that
 * ordered them (null: the mode's default order) and what each one tried answered. `definite`
 * failures move on to the next; anything else ends the list there.
 */
export interface RoutingRecord {
  rule: string | null;
  candidates: string[];
  tried: Array<{ provider: string; result: 'answered' | 'definite_failure' | 'unknown' }>;
  /**
   * The provider a definite failure handed the payment to, until its attempt begins: set only
   * between the two, so a confirmation that died there is carried on to it by the same-key retry.
   */
  next?: string;
}

export type CaptureMethod = 'automatic' | 'manual';
export type FutureUsage = 'on_session' | 'off_session';

export interface LastPaymentErrorRecord {
  type: ErrorType;
  code: ErrorCode;
  decline_code?: DeclineCode;
  message: string;
}

export type NextActionRecord =
  | { type: 'three_d_secure'; three_d_secure: { url: string } }
  | {
      type: 'redirect_to_url';
      redirect_to_url: { url: string; return_url: string | null; hosted_instructions_url?: string };
      /** A provider's page reached by POST: what Kassa's page at `url` submits. Kept with the intent, never shown (views strip it). */
      form?: { url: string; fields: Record<string, string> };
    }
  | { type: 'display_qr_code'; display_qr_code: { data: string; expires_at: number; image_url_svg: string; hosted_instructions_url: string } }
  /** Kassa's own (Stripe has no such action): the shopper approves in their bank's or wallet's app; the page shows `hosted_instructions_url` and waits. */
  | { type: 'await_notification'; await_notification: { expires_at: number; hosted_instructions_url: string } };

/**
 * One mode of a merchant account: the test scope (its id is the account's id) or the live scope
 * (an id of its own, made when the operator activates the account). Everything the merchant
 * owns is stored under a scope id, which is how test and live data stay apart.
 */
export interface MerchantRecord {
  id: string;
  /** The merchant account's id (`acct_…`), the same for both scopes. */
  accountId: string;
  livemode: boolean;
  /** The business name. */
  name: string;
  country: string | null;
  defaultCurrency: string | null;
  email: string | null;
  allowedOrigins: string[];
  /** On the account: `live` once the operator activated it. */
  status: 'test' | 'live';
  created: number;
}

export type ApiKeyKind = 'secret' | 'publishable' | 'restricted';
export type KeyPermission = 'read' | 'write';

/** The resources a restricted key may be given access to (Stripe's names). */
export const KEY_RESOURCES = [
  'payment_intents',
  'refunds',
  'charges',
  'customers',
  'payment_methods',
  'webhook_endpoints',
  'events',
  'balance',
] as const;
export type KeyResource = (typeof KEY_RESOURCES)[number];

/** An API key as stored: the key itself only as a SHA-256 hash; `prefix` is for display. */
export interface ApiKeyRecord {
  id: string;
  hash: string;
  /** The scope (merchant row) it acts for, which fixes its mode. */
  merchantId: string;
  kind: ApiKeyKind;
  livemode: boolean;
  prefix: string;
  name: string | null;
  permissions: Partial<Record<KeyResource, KeyPermission>> | null;
  created: number;
  /** Set when rolled: the old key keeps working until then (the overlap window). */
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface PaymentIntentRecord {
  id: string;
  merchantId: string;
  /** The mode of its merchant scope (for the wire; the scope is what keeps modes apart). */
  livemode: boolean;
  amount: number;
  currency: Currency;
  status: PaymentStatus;
  captureMethod: CaptureMethod;
  customer: string | null;
  setupFutureUsage: FutureUsage | null;
  description: string | null;
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
  receiptEmail: string | null;
  shipping: ShippingRecord | null;
  /** Confirmed by the merchant without the shopper present: a bank challenge is a decline (`authentication_required`). */
  offSession: boolean;
  /** Where a server-side 3-D Secure redirect sends the shopper back to. */
  returnUrl: string | null;
  metadata: Record<string, string>;
  /** `tok_…` or `pm_…` used by the latest confirmation (`pm_…` once a card was saved); null for a wallet. */
  paymentMethod: string | null;
  /** What the latest confirmation pays with (null: not confirmed yet, or a card before this was recorded). */
  paymentMethodType: PaymentMethodType | null;
  /** The methods the merchant created it for (`payment_method_types`); null: any method Kassa's providers take. */
  paymentMethodTypes: PaymentMethodType[] | null;
  /** How the provider was chosen for the latest confirmation, and what each one tried said. */
  routing: RoutingRecord | null;
  /** The vaulted card behind paymentMethod, to save it once the payment succeeds (after 3DS too). */
  vaultCardId: string | null;
  /** A card payment whose card came as a token (a provider's, a device wallet's) instead of from the vault; null otherwise. */
  cardToken: CardTokenType | null;
  /** That token, sealed by the vault for this intent (`CardVault.sealMethodToken`); dropped once the authorization is answered. */
  methodToken: string | null;
  saveCard: boolean;
  amountCapturable: number;
  amountReceived: number;
  lastPaymentError: LastPaymentErrorRecord | null;
  nextAction: NextActionRecord | null;
  /** The provider's reference for a pending customer action (the 3-D Secure challenge id). */
  actionRef: string | null;
  provider: string | null;
  /** The provider's reference for the authorization (hold), used to capture, void or refund it. */
  providerRef: string | null;
  /** The charge of the latest authorization (succeeded or failed), Stripe's `latest_charge`. */
  latestCharge: string | null;
  cancellationReason: CancellationReason | null;
  canceledAt: number | null;
  /** Attempt id of a provider call in flight; while set, no other operation may start. */
  pendingOperation: string | null;
  created: number;
  updated: number;
  /** Optimistic concurrency: every change names the version it read. */
  version: number;
}

/** A provider's notification as received: stored (verified) before it is acknowledged, then applied. */
export interface ProviderNotificationRecord {
  id: string;
  /** The configured provider's name that verified it. */
  provider: string;
  providerEventId: string | null;
  kind: string;
  paymentIntent: string | null;
  providerRef: string | null;
  /** The body as it came (UTF-8), kept for the operator: what the provider said, signed. */
  raw: string;
  receivedAt: number;
  appliedAt: number | null;
  /** What applying it did (`completed:succeeded`, `unchanged:succeeded`, `no_payment`, …). */
  outcome: string | null;
  /** The adapter's record of what it says, for a provider whose notification settles an unresolved authorization (ports.ts). */
  evidence: string | null;
  /** A capture or refund it says failed after the provider accepted it. */
  failed: ModificationFailure | null;
}

export type AttemptOperation = 'authorize' | 'complete_action' | 'capture' | 'cancel' | 'refund';
/**
 * - `pending`: committed, the call is being made (by `owner`) or its maker died;
 * - `unknown`: the call was made and no answer came (timeout, network, provider down);
 * - `succeeded` / `failed` / `requires_action`: the provider answered;
 * - `processing`: the provider answered that it answers later (`pending`): the call is settled,
 *   the payment is not — the intent waits as `processing` until a notification or an asking;
 * - `abandoned`: the provider confirmed it never saw the call and it could not be made again;
 * - `discrepancy`: the provider settled another amount than asked: held for reconciliation.
 */
export type AttemptStatus = 'pending' | 'unknown' | 'succeeded' | 'failed' | 'requires_action' | 'processing' | 'abandoned' | 'discrepancy';

/** Statuses in which the provider's answer is known and recorded: nothing left to settle. */
export const SETTLED_ATTEMPT: readonly AttemptStatus[] = ['succeeded', 'failed', 'requires_action', 'processing', 'abandoned', 'discrepancy'];

/** One call to a provider, committed before it is made (the recovery point) and settled after. */
export interface AttemptRecord {
  id: string;
  intentId: string;
  merchantId: string;
  operation: AttemptOperation;
  /** HMAC(server secret, merchant|key|operation): what the provider deduplicates on. */
  providerKey: string;
  status: AttemptStatus;
  amount: number;
  /** The intent status to return to if the provider never saw the call. */
  resumeStatus: PaymentStatus;
  /**
   * A capture that leaves the rest of the hold for later captures (`final_capture=false`): false.
   * Absent for every other call, and for a capture that releases what it does not take.
   */
  finalCapture?: false | undefined;
  outcome: string | null;
  /** The work token (instance + request) making the call while `pending`; null once settled or unknown. */
  owner: string | null;
  created: number;
  updated: number;
}

/**
 * One authorization's money, as Stripe's Charge shows it. `amountRefunded` counts what went back
 * to the card, including the part of a hold that was never captured (a partial capture releases
 * the rest, a void releases it all), so `amount - amountRefunded` is what may still be refunded.
 */
export interface ChargeRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  intentId: string;
  /** The authorization attempt that made it. */
  attemptId: string;
  amount: number;
  amountCaptured: number;
  amountRefunded: number;
  currency: Currency;
  status: 'succeeded' | 'failed';
  captured: boolean;
  paymentMethod: string | null;
  card: { brand: CardBrand; last4: string; expMonth: number; expYear: number } | null;
  failureCode: ErrorCode | null;
  failureMessage: string | null;
  declineCode: DeclineCode | null;
  created: number;
  updated: number;
}

export interface RefundRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  intentId: string;
  chargeId: string;
  /** The provider call that makes it (its idempotency and recovery are the attempt's). */
  attemptId: string;
  amount: number;
  currency: Currency;
  status: RefundStatus;
  reason: RefundReason | null;
  failureReason: string | null;
  metadata: Record<string, string>;
  created: number;
  updated: number;
}

/** The provider settled a different amount than Kassa asked for: recorded, never guessed over. */
export interface DiscrepancyRecord {
  id: string;
  merchantId: string;
  intentId: string;
  attemptId: string;
  operation: AttemptOperation;
  currency: Currency;
  expected: number;
  actual: number;
  created: number;
}

// ---- Idempotency keys as request journals ----

export interface IdempotencyKeyRef {
  merchantId: string;
  /** 'v1' for the merchant API; 'client:<pi>' for a widget call (keys are per intent there). */
  scope: string;
  key: string;
}

/**
 * How far a request with an Idempotency-Key got, recorded in the same transaction as each of
 * its local steps (docs/ARCHITECTURE.md, "Exactly once"):
 * - `started`: the key is taken, nothing committed yet (a retry runs from the start);
 * - `intent_created`: create made the intent (`intentId`), nothing else yet;
 * - `attempt_started`: a provider call was committed to (`attemptId`); the attempt row says
 *   whether it was settled;
 * - `intent_changed`: a local-only change was committed (a cancel that needed no provider call);
 * - `object_written`: another object was made or changed (`objectId`: a customer, a payment method);
 * - `finished`: the answer is stored and replayed.
 */
export type RecoveryPoint = 'started' | 'intent_created' | 'attempt_started' | 'intent_changed' | 'object_written' | 'finished';

/** A request's journal as the use cases read and extend it. */
export interface Journal {
  readonly ref: IdempotencyKeyRef;
  /** The work token holding the key's lock; every journal write is conditional on it. */
  readonly owner: string;
  recoveryPoint: RecoveryPoint;
  intentId: string | null;
  attemptId: string | null;
  objectId: string | null;
}

/** A journal entry written with a local step, in its transaction. */
export interface JournalWrite {
  ref: IdempotencyKeyRef;
  owner: string;
  recoveryPoint: RecoveryPoint;
  intentId: string | null;
  attemptId: string | null;
  objectId: string | null;
}

/** A running server process: it holds locks under work tokens `<id>.<n>` while its lease is current. */
export interface InstanceRecord {
  id: string;
  host: string;
  pid: number;
  started: number;
  leaseExpires: number;
  /** Set when it shut down or was found dead; its locks are free from then on. */
  stopped: number | null;
}

export interface VaultCardRecord {
  id: string;
  merchantId: string;
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
  fingerprint: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  created: number;
}

export interface TokenRecord {
  id: string;
  merchantId: string;
  vaultCardId: string;
  created: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface PaymentMethodRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  /** The customer it is attached to; null for a card not (or no longer) saved for anyone. */
  customer: string | null;
  vaultCardId: string;
  fingerprint: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  metadata: Record<string, string>;
  /** When it was detached from its customer: it can never be used or attached again (Stripe's rule). */
  detached: number | null;
  created: number;
}

export interface AddressRecord {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface ShippingRecord {
  name: string;
  phone: string | null;
  address: AddressRecord;
  carrier?: string | null;
  tracking_number?: string | null;
}

export interface CustomerRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Record<string, string>;
  address: AddressRecord | null;
  shipping: ShippingRecord | null;
  /** `invoice_settings.default_payment_method` at Stripe. */
  defaultPaymentMethod: string | null;
  deleted: boolean;
  created: number;
  updated: number;
}

export interface LedgerEntry {
  account: LedgerAccount;
  currency: Currency;
  /** Signed minor units: positive debit, negative credit. Each transaction sums to zero. */
  amount: number;
}

export type LedgerKind = 'authorization' | 'capture' | 'release' | 'charge' | 'refund' | 'refund_failure';

export interface LedgerTransaction {
  id: string;
  merchantId: string;
  intentId: string;
  kind: LedgerKind;
  created: number;
  entries: LedgerEntry[];
  /** What the merchant's balance sees of it (`domain/balance.ts`); null for holds and their release. */
  balance: BalanceEffect | null;
}

/**
 * Accounts, from Kassa's point of view:
 * - `acquirer_holds` / `merchant_holds`: funds authorized (on hold at the issuer), not yet ours;
 * - `acquirer_receivable` / `merchant_payable`: captured funds the provider owes us and we owe the merchant.
 */
export const LedgerAccount = {
  AcquirerHolds: 'acquirer_holds',
  MerchantHolds: 'merchant_holds',
  AcquirerReceivable: 'acquirer_receivable',
  MerchantPayable: 'merchant_payable',
} as const;
export type LedgerAccount = (typeof LedgerAccount)[keyof typeof LedgerAccount];

export const EventType = {
  Succeeded: 'payment_intent.succeeded',
  PaymentFailed: 'payment_intent.payment_failed',
  Canceled: 'payment_intent.canceled',
  RequiresAction: 'payment_intent.requires_action',
  /** The provider took the payment and answers later (Stripe's event for the same state). */
  Processing: 'payment_intent.processing',
  AmountCapturableUpdated: 'payment_intent.amount_capturable_updated',
  Created: 'payment_intent.created',
  ChargeSucceeded: 'charge.succeeded',
  ChargeFailed: 'charge.failed',
  ChargeCaptured: 'charge.captured',
  ChargeRefunded: 'charge.refunded',
  RefundCreated: 'refund.created',
  RefundUpdated: 'refund.updated',
  RefundFailed: 'refund.failed',
  /**
   * Kassa's own: the intent became `unknown` — the provider did not answer, could not be asked,
   * or settled another amount. A later event tells how it settled; without one it waits for
   * reconciliation.
   */
  OutcomeUnknown: 'payment_intent.outcome_unknown',
  /**
   * Kassa's own: the provider settled another amount than asked, or reported afterwards that a
   * capture or void it had accepted (and Kassa had booked) failed. Nothing is unbooked; the discrepancy
   * waits for reconciliation. (A refund that fails afterwards is undone instead: `refund.failed`.)
   */
  Discrepancy: 'payment_intent.discrepancy',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface OutboxEvent {
  id: string;
  merchantId: string;
  type: EventType;
  intentId: string;
  /** The Stripe-shaped event body as it will be delivered. */
  payload: string;
  created: number;
}

// money

export type { BalanceTransactionType } from '@kassa/core/wire';

/**
 * A ledger transaction as the merchant's balance sees it: Stripe's balance transaction. Only
 * transactions that move `merchant_payable` have one; `amount` is the merchant's side (minus
 * the merchant_payable entries: positive for a charge, negative for a refund).
 */
export interface BalanceEffect {
  /** `txn_…`, derived from the source (`balanceTransactionId`). */
  id: string;
  type: BalanceTransactionType;
  /** The charge (`ch_…`) or refund (`re_…`) that made it. */
  source: string;
  currency: Currency;
  amount: number;
  /** When the funds stop being pending (milliseconds). */
  availableOn: number;
}

/** A balance transaction as the store reads it back. */
export interface BalanceTransactionRecord extends BalanceEffect {
  merchantId: string;
  livemode: boolean;
  intentId: string;
  /** The ledger transaction it is the merchant's view of. */
  ledgerTransaction: string;
  created: number;
}
