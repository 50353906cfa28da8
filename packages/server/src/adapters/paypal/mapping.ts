/**
 * PayPal's vocabulary → Kassa's, as exhaustive switches the compiler checks: when PayPal adds a
 * status (or we add a code we know), the `never` default stops the build instead of letting an
 * unknown state fall through to a guess. A status that arrives unannounced at run time is refused
 * as ambiguous, never mapped.
 *
 * Also here: amounts. Kassa counts integer minor units; PayPal wants a decimal string with the
 * currency's decimals ("12.00", "1500" for JPY). The conversion is string arithmetic on core's
 * exponent (`currencyExponent`), so no float is ever made.
 */
import { currencyExponent } from '@kassa/core';
import type { Currency, DeclineCode } from '@kassa/core';
import type { AuthorizeOutcome, CaptureOutcome, RefundOutcome, Refusal } from '../../domain/ports.js';
import { ProviderFailure } from '../../domain/ports.js';

// ---- amounts ----

/** Integer minor units → PayPal's `value` (e.g. 1234 usd → "12.34", 1500 jpy → "1500", 1234 kwd → "1.234"). */
export function toPayPalValue(amount: number, currency: Currency): string {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new ProviderFailure('definite', `not an amount in minor units: ${String(amount)}`, 'invalid_amount');
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(amount);
  const digits = String(amount).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** PayPal's `{ currency_code, value }` → integer minor units; anything not exactly representable is refused (ambiguous: an answer we cannot read). */
export function fromPayPalMoney(money: { currency_code?: unknown; value?: unknown } | undefined, currency: Currency): number {
  const code = money?.currency_code;
  const value = money?.value;
  if (typeof code !== 'string' || code.toLowerCase() !== currency || typeof value !== 'string') {
    throw new ProviderFailure('ambiguous', `PayPal answered an amount that is not in ${currency.toUpperCase()}`, 'unreadable_amount');
  }
  const exponent = currencyExponent(currency);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) throw new ProviderFailure('ambiguous', `PayPal answered an unreadable amount ${JSON.stringify(value)}`, 'unreadable_amount');
  const fraction = (m[2] ?? '').padEnd(exponent, '0');
  if (fraction.length > exponent) throw new ProviderFailure('ambiguous', `PayPal answered ${value} ${code}, finer than the currency's minor unit`, 'unreadable_amount');
  const n = Number(`${m[1]}${fraction}`);
  if (!Number.isSafeInteger(n)) throw new ProviderFailure('ambiguous', `PayPal answered an amount out of range: ${value}`, 'unreadable_amount');
  return n;
}

// ---- resources, as far as the mapping reads them ----

export interface PayPalMoney {
  currency_code: string;
  value: string;
}

export interface PayPalLink {
  href: string;
  rel: string;
  method?: string;
}

export interface CaptureView {
  id: string;
  status: string;
  amount?: PayPalMoney;
  status_details?: { reason?: string } | undefined;
  processor_response?: { response_code?: string } | undefined;
  custom_id?: string | undefined;
  links?: PayPalLink[];
}

export interface AuthorizationView {
  id: string;
  status: string;
  amount?: PayPalMoney;
  status_details?: { reason?: string } | undefined;
  links?: PayPalLink[];
}

export interface RefundView {
  id: string;
  status: string;
  amount?: PayPalMoney;
  custom_id?: string | undefined;
  status_details?: { reason?: string } | undefined;
}

export interface OrderView {
  id: string;
  status: string;
  intent?: string;
  links?: PayPalLink[];
  purchase_units?: {
    custom_id?: string;
    description?: string;
    payments?: { captures?: CaptureView[]; authorizations?: AuthorizationView[]; refunds?: RefundView[] };
  }[];
}

// ---- references ----

/**
 * The reference Kassa keeps for a PayPal payment, opaque to it: the order id while the shopper
 * has not finished, then the order with the payment PayPal made on it — the authorization (which
 * capture and void need) or the capture (which a refund needs). The order comes first so every
 * later call, lookup and notification can go back to the order.
 */
export type PayPalRef =
  | { kind: 'order'; orderId: string }
  | { kind: 'authorization'; orderId: string; id: string }
  | { kind: 'capture'; orderId: string; id: string };

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function formatRef(ref: PayPalRef): string {
  switch (ref.kind) {
    case 'order':
      return ref.orderId;
    case 'authorization':
      return `${ref.orderId}:auth:${ref.id}`;
    case 'capture':
      return `${ref.orderId}:capture:${ref.id}`;
    default: {
      const unknown: never = ref;
      throw new Error(`reference ${String(unknown)}`);
    }
  }
}

/** A reference this adapter made; anything else is a definite failure (nothing was sent). */
export function parseRef(reference: string): PayPalRef {
  const parts = reference.split(':');
  if (parts.length === 1 && ID.test(parts[0]!)) return { kind: 'order', orderId: parts[0]! };
  if (parts.length === 3 && ID.test(parts[0]!) && ID.test(parts[2]!)) {
    if (parts[1] === 'auth') return { kind: 'authorization', orderId: parts[0]!, id: parts[2]! };
    if (parts[1] === 'capture') return { kind: 'capture', orderId: parts[0]!, id: parts[2]! };
  }
  throw new ProviderFailure('definite', `not a PayPal reference of this adapter: ${JSON.stringify(reference.slice(0, 80))}`, 'invalid_reference');
}

// ---- statuses ----

/** Orders v2 order statuses (PayPal's `OrderStatus`, server SDK 2.5.0). */
export type OrderStatus = 'CREATED' | 'SAVED' | 'APPROVED' | 'VOIDED' | 'COMPLETED' | 'PAYER_ACTION_REQUIRED';
/** Payments v2 capture statuses. */
export type CaptureStatus = 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED';
/** Payments v2 authorization statuses. */
export type AuthorizationStatus = 'CREATED' | 'CAPTURED' | 'DENIED' | 'PARTIALLY_CAPTURED' | 'VOIDED' | 'PENDING';
/** Payments v2 refund statuses. */
export type RefundStatus = 'CANCELLED' | 'FAILED' | 'PENDING' | 'COMPLETED';

const ORDER_STATUSES = new Set<string>(['CREATED', 'SAVED', 'APPROVED', 'VOIDED', 'COMPLETED', 'PAYER_ACTION_REQUIRED'] satisfies OrderStatus[]);
const CAPTURE_STATUSES = new Set<string>(['COMPLETED', 'DECLINED', 'PARTIALLY_REFUNDED', 'PENDING', 'REFUNDED', 'FAILED'] satisfies CaptureStatus[]);
const AUTHORIZATION_STATUSES = new Set<string>(['CREATED', 'CAPTURED', 'DENIED', 'PARTIALLY_CAPTURED', 'VOIDED', 'PENDING'] satisfies AuthorizationStatus[]);
const REFUND_STATUSES = new Set<string>(['CANCELLED', 'FAILED', 'PENDING', 'COMPLETED'] satisfies RefundStatus[]);

function known<T extends string>(set: Set<string>, status: unknown, what: string): T {
  if (typeof status !== 'string' || !set.has(status)) throw new ProviderFailure('ambiguous', `unknown PayPal ${what} status ${String(status)}`, String(status));
  return status as T;
}

export const orderStatusOf = (o: { status?: unknown }): OrderStatus => known<OrderStatus>(ORDER_STATUSES, o.status, 'order');

/** The link the shopper's browser is sent to: `payer-action` for an order made with payment_source.paypal, `approve` for one without. */
export function approvalLink(order: OrderView): string | undefined {
  return order.links?.find((l) => l.rel === 'payer-action')?.href ?? order.links?.find((l) => l.rel === 'approve')?.href;
}

/**
 * A capture as the answer to the shopper's completed checkout (the order captured at once).
 * PENDING: PayPal took the payment but has not settled it (an eCheck, a review, a currency the
 * merchant must accept); PayPal's docs say not to ship until it completes, and it may still be
 * DECLINED. Neither a charge nor a decline — the port's `pending`: the intent waits as
 * `processing`, and Kassa asks again (the order read back) when the PAYMENT.CAPTURE.COMPLETED /
 * DENIED notification comes, or now and then without one.
 */
export function captureAsAuthorizeOutcome(orderId: string, capture: CaptureView, currency: Currency): AuthorizeOutcome {
  const status = known<CaptureStatus>(CAPTURE_STATUSES, capture.status, 'capture');
  switch (status) {
    case 'COMPLETED':
    // Refunded later (a separate call): the capture itself happened, for its amount.
    case 'PARTIALLY_REFUNDED':
    case 'REFUNDED':
      return { status: 'captured', reference: formatRef({ kind: 'capture', orderId, id: capture.id }), amount: fromPayPalMoney(capture.amount, currency) };
    case 'DECLINED':
    case 'FAILED':
      return { status: 'declined', ...captureRefusal(capture) };
    case 'PENDING':
      // The port's `pending`: asked again (the order read back), or PAYMENT.CAPTURE.COMPLETED / DENIED says.
      return { status: 'pending', reference: formatRef({ kind: 'capture', orderId, id: capture.id }) };
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown capture status ${String(unknown)}`);
    }
  }
}

/** An authorization as the answer to the shopper's completed checkout (the order authorized: a hold). */
export function authorizationAsAuthorizeOutcome(orderId: string, auth: AuthorizationView, currency: Currency): AuthorizeOutcome {
  const status = known<AuthorizationStatus>(AUTHORIZATION_STATUSES, auth.status, 'authorization');
  switch (status) {
    case 'CREATED':
    // Captured or voided later (separate calls): the authorization itself was granted.
    case 'CAPTURED':
    case 'PARTIALLY_CAPTURED':
    case 'VOIDED':
      return { status: 'authorized', reference: formatRef({ kind: 'authorization', orderId, id: auth.id }), amount: fromPayPalMoney(auth.amount, currency) };
    case 'DENIED':
      return { status: 'declined', declineCode: 'generic_decline', message: 'PayPal denied the authorization.', rawCode: auth.status_details?.reason ? `DENIED:${auth.status_details.reason}` : 'DENIED' };
    case 'PENDING':
      // Under review at PayPal: not yet a hold, not a refusal — the port's `pending`.
      return { status: 'pending', reference: formatRef({ kind: 'authorization', orderId, id: auth.id }) };
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown authorization status ${String(unknown)}`);
    }
  }
}

/**
 * An order as the answer to an authorization or its completion, when PayPal has nothing more to
 * do for it: requires_action while the shopper has not approved, the payment once it is made.
 * Returns null for an APPROVED order (approved, not yet captured or authorized: the caller acts).
 */
export function orderOutcome(order: OrderView, currency: Currency): AuthorizeOutcome | null {
  const status = orderStatusOf(order);
  switch (status) {
    case 'CREATED':
    case 'PAYER_ACTION_REQUIRED': {
      const url = approvalLink(order);
      if (!url) throw new ProviderFailure('ambiguous', `PayPal's order ${order.id} waits for the payer but names no approval link`, status);
      return { status: 'requires_action', reference: formatRef({ kind: 'order', orderId: order.id }), action: { type: 'redirect', url } };
    }
    case 'APPROVED':
      return null;
    case 'COMPLETED': {
      const payments = order.purchase_units?.[0]?.payments;
      const capture = payments?.captures?.[0];
      if (capture) return captureAsAuthorizeOutcome(order.id, capture, currency);
      const auth = payments?.authorizations?.[0];
      if (auth) return authorizationAsAuthorizeOutcome(order.id, auth, currency);
      throw new ProviderFailure('ambiguous', `PayPal's order ${order.id} is COMPLETED without a payment on it`, status);
    }
    case 'VOIDED': {
      // PayPal voids an order whose authorizations were all voided (the authorization itself was
      // granted: a later cancel is its own call), or one the payer never approved in time.
      const auth = order.purchase_units?.[0]?.payments?.authorizations?.[0];
      if (auth) return authorizationAsAuthorizeOutcome(order.id, auth, currency);
      return { status: 'declined', declineCode: 'processing_error', message: 'PayPal voided the order.', rawCode: 'ORDER_VOIDED' };
    }
    case 'SAVED':
      // Only for orders saved for later capture (processing_instruction), which Kassa never makes.
      throw new ProviderFailure('ambiguous', `PayPal's order ${order.id} is SAVED, which Kassa never asks for`, status);
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown order status ${String(unknown)}`);
    }
  }
}

/** A capture of an authorization (manual capture) as the port's capture answer. */
export function captureOutcome(capture: CaptureView, currency: Currency): CaptureOutcome {
  const status = known<CaptureStatus>(CAPTURE_STATUSES, capture.status, 'capture');
  switch (status) {
    case 'COMPLETED':
    case 'PARTIALLY_REFUNDED':
    case 'REFUNDED':
      return { status: 'captured', amount: fromPayPalMoney(capture.amount, currency) };
    case 'DECLINED':
    case 'FAILED':
      return { status: 'failed', ...captureRefusal(capture) };
    case 'PENDING':
      throw new ProviderFailure('ambiguous', `PayPal holds the capture ${capture.id} as PENDING`, `PENDING:${capture.status_details?.reason ?? ''}`);
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown capture status ${String(unknown)}`);
    }
  }
}

/**
 * A refund as the port's refund answer. PENDING (PayPal accepted the refund but waits, e.g. for
 * the merchant's balance or an eCheck to clear) counts as given back, as Stripe's accepted ones
 * do: PayPal reports a later failure as PAYMENT.CAPTURE.REFUNDED's sibling events, not as this answer.
 */
export function refundOutcome(refund: RefundView, currency: Currency): RefundOutcome {
  const status = known<RefundStatus>(REFUND_STATUSES, refund.status, 'refund');
  switch (status) {
    case 'COMPLETED':
    case 'PENDING':
      return { status: 'succeeded', amount: fromPayPalMoney(refund.amount, currency) };
    case 'FAILED':
    case 'CANCELLED':
      return { status: 'failed', declineCode: 'processing_error', message: `The refund was ${status.toLowerCase()}.`, rawCode: refund.status_details?.reason ?? status };
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown refund status ${String(unknown)}`);
    }
  }
}

// ---- declines ----

/**
 * The PayPal codes Kassa maps by name: the `issue` of a 422 that refuses a payment (the payer's
 * funding source said no), and card processor response codes (`processor_response.response_code`)
 * on a DECLINED capture. Anything else is a generic decline, its code kept as rawCode.
 */
export type KnownPayPalDecline =
  | 'INSTRUMENT_DECLINED'
  | 'TRANSACTION_REFUSED'
  | 'PAYER_CANNOT_PAY'
  | 'REDIRECT_PAYER_FOR_ALTERNATE_FUNDING'
  | 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED'
  | 'PAYER_ACCOUNT_LOCKED_OR_CLOSED'
  | 'PAYER_ACCOUNT_RESTRICTED'
  | 'CARD_EXPIRED'
  | 'DECLINED_BY_RISK_FRAUD_FILTERS'
  | '0500' // DO_NOT_HONOR
  | '5100' // GENERIC_DECLINE
  | '5120' // INSUFFICIENT_FUNDS
  | '5400' // EXPIRED_CARD
  | '5110' // CVV2_FAILURE
  | '00N7' // CVV2_FAILURE_POSSIBLE_RETRY_WITH_CVV
  | '9500'; // SUSPECTED_FRAUD

const KNOWN_DECLINES = new Set<string>([
  'INSTRUMENT_DECLINED', 'TRANSACTION_REFUSED', 'PAYER_CANNOT_PAY', 'REDIRECT_PAYER_FOR_ALTERNATE_FUNDING',
  'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED', 'PAYER_ACCOUNT_LOCKED_OR_CLOSED', 'PAYER_ACCOUNT_RESTRICTED', 'CARD_EXPIRED',
  'DECLINED_BY_RISK_FRAUD_FILTERS', '0500', '5100', '5120', '5400', '5110', '00N7', '9500',
] satisfies KnownPayPalDecline[]);

export const isDeclineIssue = (issue: string): issue is KnownPayPalDecline => KNOWN_DECLINES.has(issue);

export function declineCodeFor(code: KnownPayPalDecline): DeclineCode {
  switch (code) {
    case '5120':
      return 'insufficient_funds';
    case 'CARD_EXPIRED':
    case '5400':
      return 'expired_card';
    case '5110':
    case '00N7':
      return 'incorrect_cvc';
    case 'INSTRUMENT_DECLINED':
    case 'TRANSACTION_REFUSED':
    case 'PAYER_CANNOT_PAY':
    case 'REDIRECT_PAYER_FOR_ALTERNATE_FUNDING':
    case 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED':
    case 'PAYER_ACCOUNT_LOCKED_OR_CLOSED':
    case 'PAYER_ACCOUNT_RESTRICTED':
    case 'DECLINED_BY_RISK_FRAUD_FILTERS':
    case '0500':
    case '5100':
    case '9500':
      return 'generic_decline';
    default: {
      const unknown: never = code;
      throw new Error(`unmapped PayPal code ${String(unknown)}`);
    }
  }
}

/** A refusal from a code PayPal gave (a 422 issue or a processor code); unknown ones are generic, kept raw. */
export function refusalFor(code: string, message?: string): Refusal {
  return { declineCode: isDeclineIssue(code) ? declineCodeFor(code) : 'generic_decline', message, rawCode: code };
}

/** Why a capture came back DECLINED or FAILED: the processor's code if any, else PayPal's reason, else the status. */
function captureRefusal(capture: CaptureView): Refusal {
  const code = capture.processor_response?.response_code || capture.status_details?.reason || capture.status;
  return refusalFor(code, `PayPal ${capture.status.toLowerCase()} the capture.`);
}
