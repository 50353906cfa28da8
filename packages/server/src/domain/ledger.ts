/**
 * Ledger transactions for each money movement, built as pure functions so the rules are
 * in one readable place: every transaction sums to zero per currency, a capture never
 * exceeds what was authorized, and a hold is always fully reversed (captured or released).
 */
import type { LedgerTransaction, PaymentIntentRecord } from './model.js';
import { LedgerAccount } from './model.js';
import { newId } from './ids.js';

const A = LedgerAccount;

function txn(intent: PaymentIntentRecord, kind: LedgerTransaction['kind'], now: number, entries: LedgerTransaction['entries']): LedgerTransaction {
  return { id: newId('ltx'), merchantId: intent.merchantId, intentId: intent.id, kind, created: now, entries };
}

/** Funds put on hold at the issuer (manual capture). */
export function authorization(intent: PaymentIntentRecord, amount: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'authorization', now, [
    { account: A.AcquirerHolds, currency: c, amount },
    { account: A.MerchantHolds, currency: c, amount: -amount },
  ]);
}

/** Authorized and captured in one step (automatic capture). */
export function charge(intent: PaymentIntentRecord, amount: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'charge', now, [
    { account: A.AcquirerReceivable, currency: c, amount },
    { account: A.MerchantPayable, currency: c, amount: -amount },
  ]);
}

/** Captures part or all of a hold; whatever is not captured is released in the same transaction. */
export function capture(intent: PaymentIntentRecord, held: number, captured: number, now: number): LedgerTransaction {
  if (!(captured > 0 && captured <= held)) throw new Error(`capture of ${captured} exceeds the ${held} authorized`);
  const c = intent.currency;
  return txn(intent, 'capture', now, [
    { account: A.AcquirerHolds, currency: c, amount: -held },
    { account: A.MerchantHolds, currency: c, amount: held },
    { account: A.AcquirerReceivable, currency: c, amount: captured },
    { account: A.MerchantPayable, currency: c, amount: -captured },
  ]);
}

/** Captured money given back to the card: the provider owes us less, we owe the merchant less. */
export function refund(intent: PaymentIntentRecord, amount: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'refund', now, [
    { account: A.AcquirerReceivable, currency: c, amount: -amount },
    { account: A.MerchantPayable, currency: c, amount },
  ]);
}

/** A hold given back (cancel). */
export function release(intent: PaymentIntentRecord, held: number, now: number): LedgerTransaction {
  const c = intent.currency;
  return txn(intent, 'release', now, [
    { account: A.AcquirerHolds, currency: c, amount: -held },
    { account: A.MerchantHolds, currency: c, amount: held },
  ]);
}
