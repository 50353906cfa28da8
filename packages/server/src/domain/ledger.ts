/**
 * Ledger transactions for each money movement, built as pure functions so the rules are
 * in one readable place: every transaction sums to zero per currency, a capture never
 * exceeds what was authorized, and a hold is always fully reversed (captured or released).
 * Those that move the merchant's payable account carry their balance transaction
 * (`domain/balance.ts`), whose amount is read off the entries, never given separately.
 */
import type { BalanceEffect, BalanceTransactionType, LedgerEntry, LedgerTransaction, PaymentIntentRecord } from './model.js';
import { LedgerAccount } from './model.js';
import { newId } from './ids.js';
import { balanceTransactionId, captureAvailableOn, refundAvailableOn } from './balance.js';

const A = LedgerAccount;

/** A balance transaction's making: its id is its source's (one per charge or refund) unless given. */
interface BalanceSpec {
  type: BalanceTransactionType;
  source: string;
  availableOn: number;
  id?: string;
}

function txn(intent: PaymentIntentRecord, kind: LedgerTransaction['kind'], now: number, entries: LedgerEntry[], balance: BalanceSpec | null = null): LedgerTransaction {
  return { id: newId('ltx'), merchantId: intent.merchantId, intentId: intent.id, kind, created: now, entries, balance: balance && effect(intent, entries, balance) };
}

/** The merchant's side of the entries: what the merchant is owed more (or less) after them. */
function effect(intent: PaymentIntentRecord, entries: LedgerEntry[], b: BalanceSpec): BalanceEffect {
  const amount = -entries.filter((e) => e.account === A.MerchantPayable).reduce((sum, e) => sum + e.amount, 0);
  return { id: b.id ?? balanceTransactionId(b.source), type: b.type, source: b.source, currency: intent.currency, amount, availableOn: b.availableOn };
}

/**
 * The charge a capture's balance transaction names: the intent's latest (its one succeeded
 * authorization). A hold made before charges existed has none: then the intent, as the
 * migration names those payments' balance transactions.
 */
function chargeOf(intent: PaymentIntentRecord): string {
  return intent.latestCharge ?? intent.id;
}

/** Funds put on hold at the issuer (manual capture). */
export function authorization(intent: PaymentIntentRecord, amount: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'authorization', now, [
    { account: A.AcquirerHolds, currency: c, amount },
    { account: A.MerchantHolds, currency: c, amount: -amount },
  ]);
}

/** Authorized and captured in one step (automatic capture): pending for the settlement delay. */
export function charge(intent: PaymentIntentRecord, amount: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(
    intent,
    'charge',
    now,
    [
      { account: A.AcquirerReceivable, currency: c, amount },
      { account: A.MerchantPayable, currency: c, amount: -amount },
    ],
    { type: 'charge', source: chargeOf(intent), availableOn: captureAvailableOn(now) },
  );
}

/**
 * Captures part or all of `held` (what of the hold this capture closes); whatever of it is not
 * captured is released in the same transaction. A capture after an earlier one of the same hold
 * (multiple capture) gets a balance transaction id of its own; the first is named by the charge.
 */
export function capture(intent: PaymentIntentRecord, held: number, captured: number, now: number, later = false): LedgerTransaction {
  if (!(captured > 0 && captured <= held)) throw new Error(`capture of ${captured} exceeds the ${held} authorized`);
  const c = intent.currency;
  return txn(
    intent,
    'capture',
    now,
    [
      { account: A.AcquirerHolds, currency: c, amount: -held },
      { account: A.MerchantHolds, currency: c, amount: held },
      { account: A.AcquirerReceivable, currency: c, amount: captured },
      { account: A.MerchantPayable, currency: c, amount: -captured },
    ],
    { type: 'charge', source: chargeOf(intent), availableOn: captureAvailableOn(now), ...(later ? { id: newId('txn') } : {}) },
  );
}

/**
 * Captured money given back to the card: the provider owes us less, we owe the merchant less.
 * `refundedFundsAvailableOn` is when the charge's own balance transaction became (or becomes) available.
 */
export function refund(intent: PaymentIntentRecord, refundId: string, amount: number, now: number, refundedFundsAvailableOn: number): LedgerTransaction {
  const c = intent.currency;
  return txn(
    intent,
    'refund',
    now,
    [
      { account: A.AcquirerReceivable, currency: c, amount: -amount },
      { account: A.MerchantPayable, currency: c, amount },
    ],
    { type: 'refund', source: refundId, availableOn: refundAvailableOn(now, refundedFundsAvailableOn) },
  );
}

/**
 * A booked refund the provider did not carry out after all: the money stays with the merchant,
 * so the refund's entries are undone. Its balance transaction (`refund_failure`, Stripe's type)
 * is a second one for the refund, with an id of its own; it counts where the refund counted
 * (`refundAvailableOn`: at once, or when the funds the refund took from become available).
 */
export function refundFailure(intent: PaymentIntentRecord, refundId: string, amount: number, now: number, refundAvailableOn: number): LedgerTransaction {
  const c = intent.currency;
  return txn(
    intent,
    'refund_failure',
    now,
    [
      { account: A.AcquirerReceivable, currency: c, amount },
      { account: A.MerchantPayable, currency: c, amount: -amount },
    ],
    { type: 'refund_failure', source: refundId, availableOn: Math.max(now, refundAvailableOn), id: newId('txn') },
  );
}

/** A hold given back (cancel). */
export function release(intent: PaymentIntentRecord, held: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'release', now, [
    { account: A.AcquirerHolds, currency: c, amount: -held },
    { account: A.MerchantHolds, currency: c, amount: held },
  ]);
}
