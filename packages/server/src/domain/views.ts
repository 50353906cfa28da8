/**
 * Wire shapes built from records: the merchant's full view, the widget's narrow view and
 * the event body. Timestamps on the wire are Unix seconds, as Stripe's are.
 */
import { shopperDeclineCode } from '@kassa/core';
import type {
  BalanceObject,
  BalanceTransactionObject,
  ChargeObject,
  ClientPaymentIntent,
  CustomerObject,
  DeletedCustomerObject,
  PaymentIntentObject,
  PaymentMethodObject,
  RefundObject,
} from '@kassa/core/wire';
import type { BalanceTransactionRecord, ChargeRecord, CustomerRecord, NextActionRecord, PaymentIntentRecord, PaymentMethodRecord, RefundRecord } from './model.js';
import type { BalanceTotal } from './balance.js';
import { balanceTransactionId, isAvailable } from './balance.js';

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
    statement_descriptor: intent.statementDescriptor,
    statement_descriptor_suffix: intent.statementDescriptorSuffix,
    receipt_email: intent.receiptEmail,
    shipping: intent.shipping ? { name: intent.shipping.name, phone: intent.shipping.phone, address: intent.shipping.address, carrier: intent.shipping.carrier ?? null, tracking_number: intent.shipping.tracking_number ?? null } : null,
    metadata: intent.metadata,
    payment_method: intent.paymentMethod,
    last_payment_error: intent.lastPaymentError,
    next_action: shownNextAction(intent.nextAction),
    latest_charge: intent.latestCharge,
    payment_method_type: intent.paymentMethodType,
    payment_method_types: intent.paymentMethodTypes,
    kassa_routing: intent.routing,
    cancellation_reason: intent.cancellationReason,
    canceled_at: intent.canceledAt === null ? null : seconds(intent.canceledAt),
    created: seconds(intent.created),
    livemode: intent.livemode,
  };
}

/** A wallet charge's details, as Stripe shows them (nothing of the shopper's account). */
function walletDetails(type: PaymentIntentRecord['paymentMethodType']): ChargeObject['payment_method_details'] {
  switch (type) {
    case 'alipay':
      return { type: 'alipay', alipay: {} };
    case 'paypal':
      return { type: 'paypal', paypal: {} };
    case 'card':
    case null:
      return null;
    default: {
      const unreachable: never = type;
      throw new Error(`unknown payment method type ${String(unreachable)}`);
    }
  }
}

/** Stripe's Charge. Customer, description and metadata are the intent's, as Stripe copies them. */
export function chargeView(charge: ChargeRecord, intent: PaymentIntentRecord): ChargeObject {
  const succeeded = charge.status === 'succeeded';
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.amountCaptured,
    amount_refunded: charge.amountRefunded,
    captured: charge.captured,
    refunded: charge.amountRefunded === charge.amount,
    paid: succeeded,
    status: charge.status,
    currency: charge.currency,
    customer: intent.customer,
    description: intent.description,
    metadata: intent.metadata,
    payment_intent: charge.intentId,
    payment_method: charge.paymentMethod,
    payment_method_details: charge.card
      ? { type: 'card', card: { brand: charge.card.brand, last4: charge.card.last4, exp_month: charge.card.expMonth, exp_year: charge.card.expYear } }
      : walletDetails(intent.paymentMethodType),
    failure_code: charge.failureCode,
    failure_message: charge.failureMessage,
    outcome: succeeded
      ? { type: 'authorized', network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.' }
      : {
          type: 'issuer_declined',
          network_status: 'declined_by_network',
          reason: charge.declineCode,
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
        },
    // Captured: the capture wrote its balance transaction in the same commit.
    balance_transaction: charge.captured ? balanceTransactionId(charge.id) : null,
    created: seconds(charge.created),
    livemode: charge.livemode,
  };
}

export function refundView(refund: RefundRecord): RefundObject {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    charge: refund.chargeId,
    currency: refund.currency,
    payment_intent: refund.intentId,
    status: refund.status,
    reason: refund.reason,
    failure_reason: refund.failureReason,
    // Only a succeeded refund moved money: its ledger entries and balance transaction came with that.
    balance_transaction: refund.status === 'succeeded' ? balanceTransactionId(refund.id) : null,
    metadata: refund.metadata,
    created: seconds(refund.created),
    livemode: refund.livemode,
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
    last_payment_error: intent.lastPaymentError?.decline_code
      ? { ...intent.lastPaymentError, decline_code: shopperDeclineCode(intent.lastPaymentError.decline_code) }
      : intent.lastPaymentError,
    next_action: shownNextAction(intent.nextAction),
    saved_payment_method: saved
      ? { id: saved.id, brand: saved.brand, last4: saved.last4, exp_month: saved.expMonth, exp_year: saved.expYear }
      : null,
    can_save_card: intent.customer !== null,
  };
}

export function paymentMethodView(pm: PaymentMethodRecord): PaymentMethodObject {
  return {
    id: pm.id,
    object: 'payment_method',
    type: 'card',
    customer: pm.customer,
    card: { brand: pm.brand, last4: pm.last4, exp_month: pm.expMonth, exp_year: pm.expYear },
    billing_details: { address: null, email: null, name: null, phone: null },
    metadata: pm.metadata,
    created: seconds(pm.created),
    livemode: pm.livemode,
  };
}

export function customerView(c: CustomerRecord): CustomerObject | DeletedCustomerObject {
  if (c.deleted) return { id: c.id, object: 'customer', deleted: true };
  return {
    id: c.id,
    object: 'customer',
    email: c.email,
    name: c.name,
    description: c.description,
    phone: c.phone,
    metadata: c.metadata,
    address: c.address,
    shipping: c.shipping ? { name: c.shipping.name, phone: c.shipping.phone, address: c.shipping.address } : null,
    invoice_settings: { default_payment_method: c.defaultPaymentMethod },
    created: seconds(c.created),
    livemode: c.livemode,
  };
}

// money

/** Stripe's balance: every currency the merchant has balance transactions in, on both sides. */
export function balanceView(totals: readonly BalanceTotal[], livemode: boolean): BalanceObject {
  return {
    object: 'balance',
    available: totals.map((t) => ({ amount: t.available, currency: t.currency, source_types: { card: t.available } })),
    pending: totals.map((t) => ({ amount: t.pending, currency: t.currency, source_types: { card: t.pending } })),
    livemode,
  };
}

/** Stripe's balance transaction; its status is read against `now` (milliseconds). */
export function balanceTransactionView(txn: BalanceTransactionRecord, now: number): BalanceTransactionObject {
  return {
    id: txn.id,
    object: 'balance_transaction',
    amount: txn.amount,
    currency: txn.currency,
    type: txn.type,
    reporting_category: txn.type,
    fee: 0,
    fee_details: [],
    net: txn.amount,
    exchange_rate: null,
    status: isAvailable(txn.availableOn, now) ? 'available' : 'pending',
    available_on: seconds(txn.availableOn),
    created: seconds(txn.created),
    source: txn.source,
  };
}

/** The next action as the API shows it: a POST redirect's form (the provider's fields) stays Kassa's. */
function shownNextAction(action: NextActionRecord | null): NextActionRecord | null {
  if (action?.type !== 'redirect_to_url' || !action.form) return action;
  const { form: _kept, ...shown } = action;
  return shown;
}
