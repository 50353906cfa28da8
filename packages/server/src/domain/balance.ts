/**
 * The merchant's balance, derived from the ledger. Every ledger transaction that moves the
 * merchant's payable account (a charge, a capture, a refund) carries a balance transaction
 * (Stripe's `txn_…`), written with it in one database transaction and checked against its entries
 * by the database; the balance is the sum of those, split by whether their funds are available yet:
 *
 * - captured funds are **pending** for `SETTLEMENT_DELAY_MS` (2 days) after the capture, then
 *   **available** — the sandbox's stand-in for the days an acquirer takes to pay out;
 * - a refund takes its money back at once from the available balance, or — when the funds it
 *   gives back are still pending — from the pending balance, becoming available with them. So a
 *   refund never makes either side negative: each side is a sum of captures minus refunds of
 *   those same captures.
 *
 * Every object is test mode so far; the queries already take the mode.
 */
import type { Currency } from '@kassa/core';
import type { Store } from '../store/port.js';
import type { Page, PageQuery } from '../store/pages.js';
import type { BalanceTransactionRecord, BalanceTransactionType } from './model.js';
import type { Clock } from './ports.js';
import { notFound } from './errors.js';

/** How long captured funds stay pending. Changing it changes only transactions written afterwards (each keeps its available_on). */
export const SETTLEMENT_DELAY_MS = 2 * 24 * 60 * 60 * 1000;

/** `txn_` and the random part of the source's id: a charge or refund has exactly one balance transaction. */
export function balanceTransactionId(source: string): string {
  return `txn_${source.slice(source.indexOf('_') + 1)}`;
}

/** When funds captured at `captured` become available. */
export function captureAvailableOn(captured: number): number {
  return captured + SETTLEMENT_DELAY_MS;
}

/** When a refund made at `now` counts against the available balance: at once, or when the funds it gives back become available. */
export function refundAvailableOn(now: number, refundedFundsAvailableOn: number): number {
  return Math.max(now, refundedFundsAvailableOn);
}

/** The one rule for a balance transaction's status; the store's totals use the same comparison (`available_on <= now`). */
export function isAvailable(availableOn: number, now: number): boolean {
  return availableOn <= now;
}

export interface BalanceTotal {
  currency: Currency;
  available: number;
  pending: number;
}

export interface BalanceTransactionFilter {
  type?: BalanceTransactionType | undefined;
  currency?: Currency | undefined;
  source?: string | undefined;
}

export class Balances {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Available and pending per currency, at this moment. */
  async retrieve(merchantId: string, livemode: boolean): Promise<{ totals: BalanceTotal[]; now: number }> {
    const now = this.clock.now();
    return { totals: await this.store.balanceTotals(merchantId, livemode, now), now };
  }

  async list(merchantId: string, livemode: boolean, filter: BalanceTransactionFilter, query: PageQuery): Promise<{ page: Page<BalanceTransactionRecord>; now: number }> {
    const now = this.clock.now();
    return { page: await this.store.listBalanceTransactions(merchantId, livemode, filter, query), now };
  }

  async retrieveTransaction(merchantId: string, livemode: boolean, id: string): Promise<{ txn: BalanceTransactionRecord; now: number }> {
    const txn = await this.store.getBalanceTransaction(merchantId, livemode, id);
    if (!txn) throw notFound('balance_transaction', id);
    return { txn, now: this.clock.now() };
  }
}
