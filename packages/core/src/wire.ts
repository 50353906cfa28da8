/**
 * Wire schemas (zod) for the Kassa HTTP API. Behind the `@kassa/core/wire` subpath so the
 * browser bundles never pull in zod. Request schemas are `.strict()`: an unknown field is a
 * 400 with `param` naming it, as Stripe does.
 */
import { z } from 'zod';
import { MAX_AMOUNT } from './money.js';
import { CURRENCIES, currencyRefusal } from './currencies.js';
import { PAYMENT_STATUSES } from './status.js';
import type { Currency } from './currencies.js';
import type { PaymentStatus } from './status.js';
import type { CardBrand } from './card.js';
import type { DeclineCode, ErrorCode, ErrorType } from './errors.js';

/** Minor units (`money.ts`): a positive integer of at most eight digits, whatever the currency. */
export const amountSchema = z
  .number()
  .int('must be an integer number of minor units (cents, yen, fils), not a decimal')
  .positive('must be at least 1 minor unit')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} minor units (999,999.99 in a two-decimal currency)`);
/**
 * A currency Kassa charges (`currencies.ts`: ISO 4217 with minor units, no funds or metals).
 * Still an enum, so the API description lists them; the message says why a code is refused
 * rather than listing all of them.
 */
export const currencySchema = z.enum(CURRENCIES as [Currency, ...Currency[]], {
  error: (issue) => currencyRefusal(issue.input) ?? undefined,
});
/** A merchant's own reference for its shopper; never a name or email (no PII needed). */
export const customerSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);
/**
 * Keys metadata may not use. `__proto__` replaces an object's prototype when assigned, and all
 * three are what prototype pollution reaches for in the merchant's code that merges our
 * metadata. Parsers also treat `__proto__` specially (JSON.parse keeps it as an own key, zod's
 * record and qs drop it without a word), so these keys are refused, never dropped.
 */
export const RESERVED_METADATA_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
export const isReservedMetadataKey = (key: string): boolean => RESERVED_METADATA_KEYS.includes(key);
export const RESERVED_METADATA_KEY_MESSAGE = '__proto__, constructor and prototype are reserved and cannot be metadata keys';

export const metadataSchema = z.preprocess(
  (input, ctx) => {
    // Checked on the input, before z.record, which skips an own `__proto__` key silently.
    if (typeof input === 'object' && input !== null) {
      for (const key of RESERVED_METADATA_KEYS) {
        if (Object.hasOwn(input, key)) ctx.addIssue({ code: 'custom', path: [key], message: RESERVED_METADATA_KEY_MESSAGE, input });
      }
    }
    return input;
  },
  z
    .record(z.string().min(1).max(40), z.string().max(500))
    .refine((m) => Object.keys(m).length <= 50, { message: 'at most 50 metadata keys' }),
);

// Only http(s): a javascript: or data: return URL would run script on the shop page.
export const returnUrlSchema = z.url({ protocol: /^https?$/ }).max(2048);
/** Stripe's `off_session`: true, or the kind of merchant-initiated payment. */
export const offSessionSchema = z.union([z.boolean(), z.enum(['one_off', 'recurring'])]);

/** What a bank statement can show: no <>\\'" and at least one letter (Stripe's rule). */
function statementDescriptorSchema(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^<>\\'"*]*$/, 'must not contain < > \\ \' " *')
    .regex(/[A-Za-z]/, 'must contain at least one letter');
}

/** Stripe unsets an optional field when it is sent as an empty string. */
const orUnset = <T extends z.ZodType>(schema: T) => z.union([z.literal(''), schema]);

export const addressSchema = z
  .object({
    line1: z.string().max(200).optional(),
    line2: z.string().max(200).optional(),
    city: z.string().max(200).optional(),
    state: z.string().max(200).optional(),
    postal_code: z.string().max(40).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166-1 country code').optional(),
  })
  .strict();
export type AddressInput = z.infer<typeof addressSchema>;

export const shippingSchema = z
  .object({
    name: z.string().min(1).max(200),
    address: addressSchema,
    phone: z.string().max(40).optional(),
    carrier: z.string().max(200).optional(),
    tracking_number: z.string().max(200).optional(),
  })
  .strict();
export type ShippingInput = z.infer<typeof shippingSchema>;

export const createPaymentIntentSchema = z
  .object({
    amount: amountSchema,
    currency: currencySchema,
    capture_method: z.enum(['automatic', 'manual']).default('automatic'),
    customer: customerSchema.optional(),
    /** With a customer: keep the card for the next purchase ("one-click"). */
    setup_future_usage: z.enum(['on_session', 'off_session']).optional(),
    description: z.string().max(1000).optional(),
    statement_descriptor: statementDescriptorSchema(22).optional(),
    statement_descriptor_suffix: statementDescriptorSchema(22).optional(),
    receipt_email: z.email().max(512).optional(),
    shipping: shippingSchema.optional(),
    metadata: metadataSchema.optional(),
    /** Confirm at creation with a saved card or token (server-side flow). */
    payment_method: z.string().max(128).optional(),
    confirm: z.boolean().optional(),
    /** With confirm=true: the shopper is not there (a saved card charged by the merchant). */
    off_session: offSessionSchema.optional(),
    /** With confirm=true: where a 3-D Secure redirect returns the shopper to. */
    return_url: returnUrlSchema.optional(),
  })
  .strict();
export type CreatePaymentIntent = z.infer<typeof createPaymentIntentSchema>;

/** `POST /v1/payment_intents/:id`: what Stripe lets a merchant change (which, depends on the status). */
export const updatePaymentIntentSchema = z
  .object({
    amount: amountSchema.optional(),
    currency: currencySchema.optional(),
    capture_method: z.enum(['automatic', 'manual']).optional(),
    customer: customerSchema.optional(),
    setup_future_usage: orUnset(z.enum(['on_session', 'off_session'])).optional(),
    description: orUnset(z.string().max(1000)).optional(),
    statement_descriptor: orUnset(statementDescriptorSchema(22)).optional(),
    statement_descriptor_suffix: orUnset(statementDescriptorSchema(22)).optional(),
    receipt_email: orUnset(z.email().max(512)).optional(),
    shipping: orUnset(shippingSchema).optional(),
    metadata: metadataSchema.optional(),
    payment_method: z.string().min(1).max(128).optional(),
  })
  .strict();
export type UpdatePaymentIntent = z.infer<typeof updatePaymentIntentSchema>;

export const confirmPaymentIntentSchema = z
  .object({
    /** `tok_…` from the card frame or `pm_…` saved card of the intent's customer. */
    payment_method: z.string().min(1).max(128),
    /** The shopper ticked "save card" (only meaningful with a customer). */
    setup_future_usage: z.enum(['on_session', 'off_session']).optional(),
    return_url: returnUrlSchema.optional(),
    /** Merchant API only: the shopper is not there. */
    off_session: offSessionSchema.optional(),
  })
  .strict();
export type ConfirmPaymentIntent = z.infer<typeof confirmPaymentIntentSchema>;

export const capturePaymentIntentSchema = z
  .object({ amount_to_capture: amountSchema.optional() })
  .strict();
export type CapturePaymentIntent = z.infer<typeof capturePaymentIntentSchema>;

export const cancelPaymentIntentSchema = z
  .object({
    cancellation_reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional(),
  })
  .strict();
export type CancelPaymentIntent = z.infer<typeof cancelPaymentIntentSchema>;

/** Body the card frame posts to /client/tokens. Strings, because that is what a form holds. */
export const createTokenSchema = z
  .object({
    card: z
      .object({
        number: z.string().min(1).max(40),
        exp_month: z.number().int().min(1).max(12),
        exp_year: z.number().int().min(2000).max(2100),
        cvc: z.string().min(1).max(8),
      })
      .strict(),
  })
  .strict();
export type CreateToken = z.infer<typeof createTokenSchema>;

export const paymentStatusSchema = z.enum(PAYMENT_STATUSES as [PaymentStatus, ...PaymentStatus[]]);

// ---- Responses (types only: the server builds them, clients read them) ----

export interface CardSummary {
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
}

/**
 * What the shopper must do next: a 3-D Secure challenge the widget frames, or (after a
 * server-side confirm with `return_url`) a page to send the shopper to, which returns them there.
 */
export type NextAction =
  | { type: 'three_d_secure'; three_d_secure: { url: string } }
  | { type: 'redirect_to_url'; redirect_to_url: { url: string; return_url: string } };

export interface LastPaymentError {
  type: ErrorType;
  code: ErrorCode;
  decline_code?: DeclineCode;
  message: string;
}

/** `GET /v1/payment_intents/:id` — the merchant's full view. */
export interface PaymentIntentObject {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: Currency;
  status: PaymentStatus;
  capture_method: 'automatic' | 'manual';
  client_secret: string;
  customer: string | null;
  setup_future_usage: 'on_session' | 'off_session' | null;
  description: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  receipt_email: string | null;
  shipping: { name: string; phone: string | null; address: AddressObject; carrier: string | null; tracking_number: string | null } | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  last_payment_error: LastPaymentError | null;
  next_action: NextAction | null;
  /** The charge of the latest authorization (`ch_…`), or null before one. */
  latest_charge: string | null;
  cancellation_reason: string | null;
  canceled_at: number | null;
  created: number;
  livemode: false;
}

/** `GET /client/payment_intents/:id` — what the widget may see; no metadata, no customer id. */
export interface ClientPaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: Currency;
  status: PaymentStatus;
  last_payment_error: LastPaymentError | null;
  next_action: NextAction | null;
  /** The returning customer's saved card, offered for one-click pay. */
  saved_payment_method: ({ id: string } & CardSummary) | null;
  /** Whether the widget should offer "save this card" (intent has a customer). */
  can_save_card: boolean;
}

export interface TokenObject {
  id: string;
  object: 'token';
  card: CardSummary;
  created: number;
}

// ---- Refunds and charges ----

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** `POST /v1/refunds`: by payment intent or by charge (one of them), all of it or part. */
export const createRefundSchema = z
  .object({
    payment_intent: z.string().min(1).max(128).optional(),
    charge: z.string().min(1).max(128).optional(),
    amount: amountSchema.optional(),
    reason: z.enum(REFUND_REASONS).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();
export type CreateRefund = z.infer<typeof createRefundSchema>;

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface RefundObject {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  currency: Currency;
  payment_intent: string;
  status: RefundStatus;
  reason: RefundReason | null;
  failure_reason: string | null;
  /** Its balance transaction (`txn_…`) once it succeeded; null while pending or when it failed. */
  balance_transaction: string | null;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface ChargeOutcome {
  type: 'authorized' | 'issuer_declined';
  network_status: 'approved_by_network' | 'declined_by_network';
  reason: string | null;
  risk_level: 'normal';
  seller_message: string;
}

export interface ChargeObject {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  refunded: boolean;
  paid: boolean;
  status: 'succeeded' | 'failed';
  currency: Currency;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  payment_intent: string;
  payment_method: string | null;
  payment_method_details: { type: 'card'; card: CardSummary } | null;
  failure_code: string | null;
  failure_message: string | null;
  outcome: ChargeOutcome;
  /** Its balance transaction (`txn_…`) once captured; null for a hold or a decline. */
  balance_transaction: string | null;
  created: number;
  livemode: false;
}

// ---- Customers and payment methods ----

export const customerFieldsSchema = z
  .object({
    email: orUnset(z.email().max(512)).optional(),
    name: orUnset(z.string().max(256)).optional(),
    description: orUnset(z.string().max(1000)).optional(),
    phone: orUnset(z.string().max(40)).optional(),
    metadata: metadataSchema.optional(),
    address: orUnset(addressSchema).optional(),
    shipping: orUnset(shippingSchema).optional(),
    /** A payment method to attach at creation (Stripe's `payment_method`). */
    payment_method: z.string().min(1).max(128).optional(),
    invoice_settings: z.object({ default_payment_method: orUnset(z.string().min(1).max(128)).optional() }).strict().optional(),
  })
  .strict();
export type CustomerFields = z.infer<typeof customerFieldsSchema>;

export const attachPaymentMethodSchema = z.object({ customer: z.string().min(1).max(128) }).strict();
export const updatePaymentMethodSchema = z.object({ metadata: metadataSchema.optional() }).strict();

export interface AddressObject {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface CustomerObject {
  id: string;
  object: 'customer';
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Record<string, string>;
  address: AddressObject | null;
  shipping: { name: string; phone: string | null; address: AddressObject } | null;
  invoice_settings: { default_payment_method: string | null };
  created: number;
  livemode: false;
}

export interface DeletedCustomerObject {
  id: string;
  object: 'customer';
  deleted: true;
}

export interface PaymentMethodObject {
  id: string;
  object: 'payment_method';
  type: 'card';
  customer: string | null;
  card: CardSummary;
  billing_details: { address: AddressObject | null; email: string | null; name: string | null; phone: string | null };
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

// ---- money ----

/** One currency's part of a balance, as Stripe shows it (every Kassa payment is a card payment). */
export interface BalanceAmount {
  amount: number;
  currency: Currency;
  source_types: { card: number };
}

/** `GET /v1/balance`. */
export interface BalanceObject {
  object: 'balance';
  available: BalanceAmount[];
  pending: BalanceAmount[];
  livemode: boolean;
}

export const BALANCE_TRANSACTION_TYPES = ['charge', 'refund'] as const;
export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];

/** `GET /v1/balance_transactions/:id`: Stripe's shape; Kassa takes no fee. */
export interface BalanceTransactionObject {
  id: string;
  object: 'balance_transaction';
  amount: number;
  currency: Currency;
  type: BalanceTransactionType;
  reporting_category: BalanceTransactionType;
  fee: 0;
  fee_details: [];
  net: number;
  exchange_rate: null;
  status: 'pending' | 'available';
  available_on: number;
  created: number;
  /** The charge (`ch_…`) or refund (`re_…`). */
  source: string;
}
