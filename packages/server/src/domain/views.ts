/**
 * Wire shapes built from records: the merchant's full view, the widget's narrow view and
 * the event body. Timestamps on the wire are Unix seconds, as Stripe's are.
 */
import type { ClientPaymentIntent, PaymentIntentObject } from '@kassa/core/wire';
import type { PaymentIntentRecord, PaymentMethodRecord } from './model.js';

export const seconds = (ms: number): number => Math.floor(ms / 1000);

export type PaymentIntentEventObject = Omit<PaymentIntentObject, 'client_secret'>;

export function eventObject(intent: PaymentIntentRecord): PaymentIntentEventObject {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_capturable: intent.amountCapturable,
    amount_received: intent.amountReceived,
    currency: intent.currency,
    status: intent.status,
    capture_method: intent.captureMethod,
    customer: intent.customer,
    setup_future_usage: intent.setupFutureUsage,
    description: intent.description,
    metadata: intent.metadata,
    payment_method: intent.paymentMethod,
    last_payment_error: intent.lastPaymentError,
    next_action: intent.nextAction,
    cancellation_reason: intent.cancellationReason,
    canceled_at: intent.canceledAt === null ? null : seconds(intent.canceledAt),
    created: seconds(intent.created),
    livemode: false,
  };
}

export function merchantView(intent: PaymentIntentRecord, clientSecret: string): PaymentIntentObject {
  const base = eventObject(intent);
  // Keep client_secret after id/object like Stripe's JSON, for readers of raw responses.
  return { ...base, client_secret: clientSecret };
}

export function clientView(intent: PaymentIntentRecord, saved: PaymentMethodRecord | null): ClientPaymentIntent {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    currency: intent.currency,
    status: intent.status,
    last_payment_error: intent.lastPaymentError,
    next_action: intent.nextAction,
    saved_payment_method: saved
      ? { id: saved.id, brand: saved.brand, last4: saved.last4, exp_month: saved.expMonth, exp_year: saved.expYear }
      : null,
    can_save_card: intent.customer !== null,
  };
}

export function paymentMethodView(pm: PaymentMethodRecord) {
  return {
    id: pm.id,
    object: 'payment_method' as const,
    type: 'card' as const,
    customer: pm.customer,
    card: { brand: pm.brand, last4: pm.last4, exp_month: pm.expMonth, exp_year: pm.expYear },
    created: seconds(pm.created),
  };
}
