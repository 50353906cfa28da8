/**
 * Stripe's vocabulary → Kassa's, as exhaustive switches the compiler checks: when Stripe adds a
 * PaymentIntent status (or we add a decline code we know), the `never` default stops the build
 * instead of letting an unknown state fall through to a guess.
 */
import type { DeclineCode } from '@kassa/core';
import { isCurrency } from '@kassa/core/currencies';
import type { AuthorizeOutcome, ModificationFailure, ProviderNotification, RefundOutcome, Refusal } from '../../domain/ports.js';
import { NotificationRejected, ProviderFailure } from '../../domain/ports.js';

/** The PaymentIntent statuses of the API version the SDK pins (stripe-node 23). */
export type StripeIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

const INTENT_STATUSES = new Set<string>([
  'requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'canceled', 'succeeded',
] satisfies StripeIntentStatus[]);

/** The part of a PaymentIntent the mapping reads (the SDK's type is far larger; this keeps the mapping testable). */
export interface IntentView {
  id: string;
  /** A string: the SDK admits statuses newer than itself; an unknown one is refused, not guessed. */
  status: string;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  next_action?: { type: string; redirect_to_url?: { url?: string | null } | null } | null;
  last_payment_error?: StripeErrorView | null;
}

/** The fields of a Stripe error object (an API error body, or a PaymentIntent's `last_payment_error`). */
export interface StripeErrorView {
  type?: string | undefined;
  code?: string | null | undefined;
  decline_code?: string | null | undefined;
  message?: string | null | undefined;
}

/**
 * A PaymentIntent as the answer to an authorization (or to the completion of its 3-D Secure).
 * Returns null for an intent that was never confirmed: nothing was asked of the card yet.
 */
export function intentOutcome(pi: IntentView): AuthorizeOutcome | null {
  if (!INTENT_STATUSES.has(pi.status)) throw new ProviderFailure('ambiguous', `unknown PaymentIntent status ${pi.status}`, pi.status);
  const status = pi.status as StripeIntentStatus;
  switch (status) {
    case 'succeeded':
      return { status: 'captured', reference: pi.id, amount: pi.amount_received };
    case 'requires_capture':
      return { status: 'authorized', reference: pi.id, amount: pi.amount_capturable };
    case 'requires_action': {
      const url = pi.next_action?.type === 'redirect_to_url' ? pi.next_action.redirect_to_url?.url : undefined;
      // Only a redirect can be framed or followed by Kassa's page; `use_stripe_sdk` needs Stripe.js
      // on the shopper's page, which Kassa does not run. Nothing was charged: definite.
      if (!url) throw new ProviderFailure('definite', `Stripe asks for a next action Kassa cannot run (${pi.next_action?.type ?? 'none'})`, pi.next_action?.type);
      return { status: 'requires_action', reference: pi.id, action: { type: 'three_d_secure', url, redirectUrl: url } };
    }
    case 'requires_payment_method':
      // After a failed confirmation Stripe sends the intent back here with the reason; without a
      // reason it was never confirmed.
      if (pi.last_payment_error) return { status: 'declined', ...refusalFrom(pi.last_payment_error) };
      return null;
    case 'requires_confirmation':
      // Created, card attached, never confirmed: nothing asked of the card (Kassa confirms in one call).
      return null;
    case 'processing':
      // Cards rarely stay here, but while they do the bank has not answered: neither a charge nor a
      // decline. The port's `pending`: the intent waits as `processing` and Kassa asks again
      // (retrieving the intent) or Stripe's event says it moved on.
      return { status: 'pending', reference: pi.id };
    case 'canceled':
      // Canceled before it was charged (by Kassa, or by Stripe after an abandoned challenge).
      return { status: 'declined', declineCode: 'processing_error', message: 'The payment was canceled.', rawCode: 'payment_intent_canceled' };
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown PaymentIntent status ${String(unknown)}`);
    }
  }
}

/** The Stripe codes Kassa maps by name (a decline code, or an error code when there is none). */
export type KnownStripeCode =
  | 'insufficient_funds'
  | 'generic_decline'
  | 'card_declined'
  | 'do_not_honor'
  | 'fraudulent'
  | 'lost_card'
  | 'stolen_card'
  | 'pickup_card'
  | 'card_velocity_exceeded'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'invalid_cvc'
  | 'processing_error'
  | 'issuer_not_available'
  | 'try_again_later'
  | 'authentication_required'
  | 'payment_intent_authentication_failure'
  | 'incorrect_number'
  | 'invalid_number'
  | 'invalid_expiry_month'
  | 'invalid_expiry_year';

const KNOWN = new Set<string>([
  'insufficient_funds', 'generic_decline', 'card_declined', 'do_not_honor', 'fraudulent', 'lost_card', 'stolen_card',
  'pickup_card', 'card_velocity_exceeded', 'expired_card', 'incorrect_cvc', 'invalid_cvc', 'processing_error',
  'issuer_not_available', 'try_again_later', 'authentication_required', 'payment_intent_authentication_failure',
  'incorrect_number', 'invalid_number', 'invalid_expiry_month', 'invalid_expiry_year',
] satisfies KnownStripeCode[]);

function isKnown(code: string): code is KnownStripeCode {
  return KNOWN.has(code);
}

/** One Stripe code → core's taxonomy (the shopper's page sees fraud and lost or stolen cards as a generic decline: core's shopperDeclineCode). */
export function declineCodeFor(code: KnownStripeCode): DeclineCode {
  switch (code) {
    case 'insufficient_funds':
    case 'card_velocity_exceeded':
      return 'insufficient_funds';
    case 'do_not_honor':
      return 'do_not_honor';
    case 'fraudulent':
      return 'fraudulent';
    case 'lost_card':
      return 'lost_card';
    case 'stolen_card':
    case 'pickup_card':
      return 'stolen_card';
    case 'generic_decline':
    case 'card_declined':
    case 'incorrect_number':
    case 'invalid_number':
      return 'generic_decline';
    case 'expired_card':
    case 'invalid_expiry_month':
    case 'invalid_expiry_year':
      return 'expired_card';
    case 'incorrect_cvc':
    case 'invalid_cvc':
      return 'incorrect_cvc';
    case 'processing_error':
    case 'issuer_not_available':
    case 'try_again_later':
      return 'processing_error';
    case 'authentication_required':
      return 'authentication_required';
    case 'payment_intent_authentication_failure':
      return 'authentication_failure';
    default: {
      const unknown: never = code;
      throw new Error(`unmapped Stripe code ${String(unknown)}`);
    }
  }
}

/**
 * A Stripe card error (or `last_payment_error`) as a refusal: the decline code when Stripe gives
 * one (it is the more precise), else the error code; one we do not know is a generic decline.
 * The raw code is kept either way.
 */
export function refusalFrom(error: StripeErrorView): Refusal {
  // `||`: the SDK's card error reports a missing decline code as ''.
  const raw = error.decline_code || error.code || undefined;
  const declineCode: DeclineCode = raw && isKnown(raw) ? declineCodeFor(raw) : 'generic_decline';
  return { declineCode, message: error.message ?? undefined, rawCode: raw };
}

/** A Refund's statuses (for cards nearly always `succeeded` at once). */
export type StripeRefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

const REFUND_STATUSES = new Set<string>(['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] satisfies StripeRefundStatus[]);

/** A Stripe Refund as the answer to a refund. */
export function refundOutcome(refund: { id: string; amount: number; status: string | null; failure_reason?: string | null | undefined }): RefundOutcome {
  if (!refund.status || !REFUND_STATUSES.has(refund.status)) throw new ProviderFailure('ambiguous', `unknown Refund status ${String(refund.status)}`);
  const status = refund.status as StripeRefundStatus;
  switch (status) {
    case 'succeeded':
    // Stripe accepted the refund and took the money from the balance; the bank's confirmation
    // comes later. Stripe reports a late failure as `charge.refund.updated` (a webhook), not as
    // this call's answer — so accepted counts as given back, as Stripe's own dashboard shows it.
    case 'pending':
    case 'requires_action':
      // Its id names it on a later refund.failed (with or without Kassa's key in its metadata).
      return { status: 'succeeded', amount: refund.amount, reference: refund.id };
    case 'failed':
    case 'canceled':
      return { status: 'failed', declineCode: 'processing_error', message: `The refund ${status}.`, rawCode: refund.failure_reason ?? status };
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown Refund status ${String(unknown)}`);
    }
  }
}

// ---- events (webhooks) ----

/**
 * The events Kassa applies, by the object each carries in `data.object`. Everything else Stripe
 * may send (`payment_intent.created`, `charge.succeeded`, customers, payouts...) says nothing
 * Kassa acts on: it is acknowledged and dropped, since an answer other than 2xx makes Stripe
 * retry it for days.
 */
const EVENT_OBJECTS = {
  'payment_intent.succeeded': 'payment_intent',
  'payment_intent.amount_capturable_updated': 'payment_intent',
  'payment_intent.payment_failed': 'payment_intent',
  'payment_intent.canceled': 'payment_intent',
  'payment_intent.requires_action': 'payment_intent',
  'payment_intent.processing': 'payment_intent',
  'charge.refunded': 'charge',
  'charge.refund.updated': 'refund',
  'refund.created': 'refund',
  'refund.updated': 'refund',
  'refund.failed': 'refund',
} as const satisfies Record<string, 'payment_intent' | 'charge' | 'refund'>;
export type StripeEventType = keyof typeof EVENT_OBJECTS;
export const STRIPE_EVENT_TYPES = Object.keys(EVENT_OBJECTS) as StripeEventType[];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * What a verified Stripe event is about, or null for one Kassa does not handle. The PaymentIntent
 * is named by its id (the PaymentIntent itself, or a charge's or refund's `payment_intent`), and by
 * Kassa's reference where the object carries `metadata[kassa_reference]`: the PaymentIntent (set
 * at create), the charge (Stripe copies the intent's metadata to it at confirm) — not a refund,
 * whose metadata is its own (`kassa_key`). A handled event whose object cannot be read is refused:
 * Stripe then shows the endpoint as failing, instead of Kassa silently dropping a real event.
 */
export function notificationOfEvent(event: unknown): ProviderNotification | null {
  if (!isRecord(event) || event.object !== 'event' || !text(event.id) || !text(event.type) || !isRecord(event.data)) {
    throw new NotificationRejected('the body is not a Stripe event');
  }
  const type = event.type as string;
  if (!Object.hasOwn(EVENT_OBJECTS, type)) return null;
  const expected = EVENT_OBJECTS[type as StripeEventType];
  const object = event.data.object;
  if (!isRecord(object) || object.object !== expected) throw new NotificationRejected(`a ${type} event without its ${expected}`);
  const providerRef = expected === 'payment_intent' ? text(object.id) : text(object.payment_intent);
  // A charge or refund of no PaymentIntent (the legacy Charges API) is not a payment Kassa made.
  if (!providerRef && expected !== 'payment_intent') return null;
  if (!providerRef) throw new NotificationRejected(`a ${type} event whose PaymentIntent has no id`);
  const reference = expected === 'refund' || !isRecord(object.metadata) ? undefined : text(object.metadata.kassa_reference);
  const failed = expected === 'refund' ? refundFailureOf(object) : undefined;
  return { id: event.id as string, kind: type, providerRef, ...(reference ? { reference } : {}), ...(failed ? { failed } : {}) };
}

/**
 * A Refund that went `failed` (or `canceled`) after Stripe accepted it: Stripe gives the money
 * back to the balance (a `refund_failure` balance transaction) and says so on `refund.failed`,
 * `refund.updated` and `charge.refund.updated`, each carrying the Refund. The key Kassa made it
 * under (`metadata[kassa_key]`) names the call; `failure_reason` is Stripe's word for why.
 */
function refundFailureOf(refund: Record<string, unknown>): ModificationFailure | undefined {
  if (refund.status !== 'failed' && refund.status !== 'canceled') return undefined;
  const currency = text(refund.currency);
  if (!Number.isSafeInteger(refund.amount) || !currency || !isCurrency(currency)) throw new NotificationRejected(`a ${String(refund.status)} Refund without its amount`);
  const reason = text(refund.failure_reason) ?? (refund.status as string);
  const key = isRecord(refund.metadata) ? text(refund.metadata.kassa_key) : undefined;
  const id = text(refund.id);
  return {
    operation: 'refund',
    amount: refund.amount as number,
    currency,
    declineCode: 'processing_error',
    message: reason,
    rawCode: reason,
    ...(key ? { key } : {}),
    ...(id ? { providerRef: id } : {}),
  };
}
