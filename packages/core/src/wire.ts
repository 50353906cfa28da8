/**
 * Wire schemas (zod) for the Kassa HTTP API. Behind the `@kassa/core/wire` subpath so the
 * browser bundles never pull in zod. Request schemas are `.strict()`: an unknown field is a
 * 400 with `param` naming it, as Stripe does.
 */
import { z } from 'zod';
import { MAX_AMOUNT } from './money.js';
import { CURRENCIES, currencyRefusal } from './currencies.js';
import { PAYMENT_STATUSES } from './status.js';
import { CardBrand } from './card.js';
import { DeclineCode, ErrorCode, ErrorType } from './errors.js';
import type { Currency } from './currencies.js';
import type { PaymentStatus } from './status.js';

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
    amount: amountSchema.describe("In the currency's minor units (¥128.00 is 12800 in cny)"),
    currency: currencySchema.describe('Lower-case ISO 4217'),
    capture_method: z.enum(['automatic', 'manual']).default('automatic').describe('`manual`: authorize now, capture later'),
    customer: customerSchema.optional().describe('An existing customer of the merchant (`cus_…`)'),
    /** With a customer: keep the card for the next purchase ("one-click"). */
    setup_future_usage: z.enum(['on_session', 'off_session']).optional().describe('Save the card for the customer (needs `customer`)'),
    description: z.string().max(1000).optional(),
    statement_descriptor: statementDescriptorSchema(22).optional(),
    statement_descriptor_suffix: statementDescriptorSchema(22).optional(),
    receipt_email: z.email().max(512).optional(),
    shipping: shippingSchema.optional(),
    metadata: metadataSchema.optional(),
    /** Confirm at creation with a saved card or token (server-side flow). */
    payment_method: z.string().max(128).optional().describe('`tok_…`, a saved `pm_…`, or a Stripe test id (`pm_card_visa`); with it the intent is `requires_confirmation`'),
    confirm: z.boolean().optional().describe('Confirm at once, as the confirm route'),
    /** With confirm=true: the shopper is not there (a saved card charged by the merchant). */
    off_session: offSessionSchema.optional().describe('With `confirm`: the shopper is not there; a card that needs 3-D Secure is declined `authentication_required`'),
    /** With confirm=true: where a 3-D Secure redirect returns the shopper to. */
    return_url: returnUrlSchema.optional().describe('With `confirm`: a 3-D Secure challenge answers `next_action.redirect_to_url` and comes back here'),
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

/**
 * A payment method made for this payment, as Stripe's `payment_method_data`:
 *   - a wallet the shopper approves at its provider (`alipay`, `paypal`);
 *   - a card the provider already holds (`card` with `card[token]`: a Stripe `pm_…`/`tok_…` made
 *     by Stripe.js on the merchant's page), which only that provider can charge;
 *   - a card from the shopper's device wallet (`apple_pay`, `google_pay` with the wallet's
 *     payment token, encrypted for the provider that decrypts it).
 * Card numbers never come this way: they are typed into the secure frame, which returns a token
 * for `payment_method`.
 */
export const WALLET_TYPES = ['alipay', 'paypal'] as const;
/** The ways a card reaches a provider as a token instead of from Kassa's vault: still a `card` payment (as Stripe counts Apple Pay). */
export const CARD_TOKEN_TYPES = ['provider_token', 'apple_pay', 'google_pay'] as const;
export const PAYMENT_METHOD_DATA_TYPES = ['alipay', 'paypal', 'card', 'apple_pay', 'google_pay'] as const;
/** The longest device wallet token taken: Apple Pay's `paymentData`, base64, is about 3-5 KB. */
export const WALLET_TOKEN_MAX = 12_000;
const walletTokenSchema = z
  .object({ token: z.string().min(1).max(WALLET_TOKEN_MAX).describe("The wallet's payment token as the device gave it (Apple Pay: `paymentData`, base64 or JSON; Google Pay: `tokenizationData.token`)") })
  .strict();
export const paymentMethodDataSchema = z
  .discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('alipay') }).strict(),
      z.object({ type: z.literal('paypal') }).strict(),
      z
        .object({
          type: z.literal('card'),
          card: z
            .object({
              token: z.string().min(1).max(255).describe("The provider's own token or payment method for the card (Stripe: `pm_…` or `tok_…`); card numbers are never taken here"),
              provider: z.string().min(1).max(64).optional().describe('The configured provider the token belongs to (default: the one provider of the mode that takes provider tokens)'),
            })
            .strict(),
        })
        .strict(),
      z.object({ type: z.literal('apple_pay'), apple_pay: walletTokenSchema }).strict(),
      z.object({ type: z.literal('google_pay'), google_pay: walletTokenSchema }).strict(),
    ],
    { error: () => `must be one of ${PAYMENT_METHOD_DATA_TYPES.join(', ')} (a card number is tokenized in the secure frame and sent as payment_method)` },
  )
  .describe("Pay with a wallet (Alipay: a QR code in the widget, the Alipay cashier with `return_url`; PayPal: approval at PayPal), a provider's card token, or a device wallet's token (Apple Pay, Google Pay)");
export type PaymentMethodData = z.infer<typeof paymentMethodDataSchema>;

export const confirmPaymentIntentSchema = z
  .object({
    /** `tok_…` from the card frame or `pm_…` saved card of the intent's customer. */
    payment_method: z.string().min(1).max(128).describe("`tok_…` from the card frame, a saved `pm_…` of the intent's customer, or a Stripe test id"),
    payment_method_data: paymentMethodDataSchema.optional(),
    /** The shopper ticked "save card" (only meaningful with a customer). */
    setup_future_usage: z.enum(['on_session', 'off_session']).optional().describe('Save the card for the customer (needs an intent with `customer`)'),
    return_url: returnUrlSchema.optional().describe('A 3-D Secure challenge answers `next_action.redirect_to_url` and comes back here'),
    /** Merchant API only: the shopper is not there. */
    off_session: offSessionSchema.optional().describe('The shopper is not there; a card that needs 3-D Secure is declined `authentication_required`'),
  })
  .strict();
export type ConfirmPaymentIntent = z.infer<typeof confirmPaymentIntentSchema>;

export const capturePaymentIntentSchema = z
  .object({
    amount_to_capture: amountSchema.optional().describe('At most `amount_capturable` (default: all of it); with `final_capture` (the default) the rest of the hold is released'),
    final_capture: z
      .boolean()
      .optional()
      .describe(
        'Default true. False leaves the rest of the hold for later captures (multiple capture; the intent stays `requires_capture`), where the provider declares it; a capture of all that is left is the last one either way',
      ),
  })
  .strict();
export type CapturePaymentIntent = z.infer<typeof capturePaymentIntentSchema>;

/** The reasons a merchant may give when canceling, as Stripe takes them. */
export const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;
/** Set by Kassa itself: an authorization left uncaptured past its validity was released. */
export const AUTOMATIC_CANCELLATION = 'automatic';
export type CancellationReason = (typeof CANCELLATION_REASONS)[number] | typeof AUTOMATIC_CANCELLATION;

export const cancelPaymentIntentSchema = z
  .object({
    cancellation_reason: z.enum(CANCELLATION_REASONS).optional(),
  })
  .strict();
export type CancelPaymentIntent = z.infer<typeof cancelPaymentIntentSchema>;

/** Body the card frame posts to /client/tokens. Strings, because that is what a form holds. */
export const createTokenSchema = z
  .object({
    card: z
      .object({
        number: z.string().min(1).max(40).describe('Luhn-valid, of a supported brand; spaces, dashes and full-width digits are accepted'),
        exp_month: z.number().int().min(1).max(12),
        exp_year: z.number().int().min(2000).max(2100).describe('Four digits, not in the past'),
        cvc: z.string().min(1).max(8).describe('3 digits, 4 for Amex; held in memory for this token only'),
      })
      .strict(),
  })
  .strict();
export type CreateToken = z.infer<typeof createTokenSchema>;

export const paymentStatusSchema = z.enum(PAYMENT_STATUSES as [PaymentStatus, ...PaymentStatus[]]);

// ---- Responses ----
//
// The server builds these and clients read them. Each is a zod schema, and its TypeScript type is
// derived from it, so the server's views are type-checked against the same definition that the
// OpenAPI document (`GET /openapi.json`) is generated from. Strict: the document then says exactly
// which fields are sent, and a test validates real responses against it.

const cardBrandSchema = z.enum(Object.values(CardBrand) as [CardBrand, ...CardBrand[]]);
const errorTypeSchema = z.enum(Object.values(ErrorType) as [ErrorType, ...ErrorType[]]);
const errorCodeSchema = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);
const declineCodeSchema = z.enum(Object.values(DeclineCode) as [DeclineCode, ...DeclineCode[]]);
/** Wire timestamps are Unix seconds, as Stripe's are. */
const unixSeconds = z.number().int().nonnegative().describe('Unix time in seconds');
const metadataObjectSchema = z.record(z.string(), z.string()).describe('The merchant\'s key-value pairs, as last set');

export const cardSummarySchema = z
  .object({
    brand: cardBrandSchema,
    last4: z.string().regex(/^\d{4}$/),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int(),
  })
  .strict();
export type CardSummary = z.infer<typeof cardSummarySchema>;

/**
 * What the shopper must do next: a 3-D Secure challenge the widget frames, a page to send the
 * shopper to (after a server-side confirm with `return_url`, or a provider's approval page), which
 * returns them there, or a QR code to show until it expires (a wallet the shopper scans).
 */
export const nextActionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('three_d_secure'),
      three_d_secure: z.object({ url: z.string().describe('The challenge page; the widget frames it with `channel` and `origin` added') }).strict(),
    })
    .strict(),
  z
    .object({
      type: z.literal('redirect_to_url'),
      redirect_to_url: z
        .object({
          url: z.string().describe('Send the shopper here'),
          return_url: z.string().nullable().describe('Where the shopper comes back to (null: where the provider was told to send them)'),
          hosted_instructions_url: z
            .string()
            .optional()
            .describe("Kassa's page that opens `url` in a window of its own and follows the payment to its end (what the widget frames)"),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      type: z.literal('display_qr_code'),
      display_qr_code: z
        .object({
          data: z.string().describe('What the QR code encodes (e.g. an Alipay payment link): show it for the shopper to scan'),
          expires_at: z.number().int().nonnegative().describe('Unix time in seconds after which the code is no longer valid'),
          image_url_svg: z.string().describe('The code as an SVG image, drawn by Kassa'),
          hosted_instructions_url: z.string().describe("Kassa's page that shows the code, follows the payment to its end and handles expiry (what the widget frames)"),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      type: z.literal('await_notification'),
      await_notification: z
        .object({
          expires_at: z.number().int().nonnegative().describe('Unix time in seconds after which the approval can no longer come'),
          hosted_instructions_url: z
            .string()
            .describe("Kassa's page that asks the shopper to approve in their bank's or wallet's app and follows the payment to its end (what the widget frames)"),
        })
        .strict(),
    })
    .strict()
    .describe("Kassa's own action (Stripe has none like it): the shopper approves elsewhere, the provider tells Kassa"),
]);
export type NextAction = z.infer<typeof nextActionSchema>;

export const lastPaymentErrorSchema = z
  .object({
    type: errorTypeSchema,
    code: errorCodeSchema,
    decline_code: declineCodeSchema.optional(),
    message: z.string(),
  })
  .strict();
export type LastPaymentError = z.infer<typeof lastPaymentErrorSchema>;

export const addressObjectSchema = z
  .object({
    line1: z.string().nullable(),
    line2: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string().nullable().describe('ISO 3166-1 alpha-2'),
  })
  .strict();
export type AddressObject = z.infer<typeof addressObjectSchema>;

/** The merchant's full view of an intent, with related objects as ids. */
export const paymentIntentObjectSchema = z
  .object({
    id: z.string().describe('`pi_…`'),
    object: z.literal('payment_intent'),
    amount: z.number().int().describe('In the currency\'s minor units'),
    amount_capturable: z.number().int().describe('Authorized and not yet captured (manual capture)'),
    amount_received: z.number().int().describe('Captured'),
    currency: currencySchema,
    status: paymentStatusSchema,
    capture_method: z.enum(['automatic', 'manual']),
    client_secret: z.string().describe('A short-lived JWT for the widget (`<kassa-checkout client-secret>`); minted anew on every answer'),
    customer: z.string().nullable(),
    setup_future_usage: z.enum(['on_session', 'off_session']).nullable(),
    description: z.string().nullable(),
    statement_descriptor: z.string().nullable(),
    statement_descriptor_suffix: z.string().nullable(),
    receipt_email: z.string().nullable(),
    shipping: z
      .object({
        name: z.string(),
        phone: z.string().nullable(),
        address: addressObjectSchema,
        carrier: z.string().nullable(),
        tracking_number: z.string().nullable(),
      })
      .strict()
      .nullable(),
    metadata: metadataObjectSchema,
    payment_method: z.string().nullable().describe('`pm_…` or `tok_…`'),
    last_payment_error: lastPaymentErrorSchema.nullable(),
    next_action: nextActionSchema.nullable(),
    latest_charge: z.string().nullable().describe('The charge of the latest authorization (`ch_…`), or null before one'),
    payment_method_type: z.enum(['card', ...WALLET_TYPES]).nullable().describe('What the latest confirmation paid with (null before one)'),
    payment_method_types: z
      .array(z.enum(['card', ...WALLET_TYPES]))
      .nullable()
      .describe('The methods it was created for (`payment_method_types`; a confirm with another is refused); null: any method the providers of its mode take'),
    kassa_routing: z
      .object({
        rule: z.string().nullable().describe('The routing rule that chose (null: the mode\'s default order)'),
        candidates: z.array(z.string()).describe('The providers eligible, in the order tried'),
        tried: z
          .array(z.object({ provider: z.string(), result: z.enum(['answered', 'definite_failure', 'unknown']) }).strict())
          .describe('Each provider asked and how it answered: a definite failure (nothing happened) moves on to the next'),
        next: z
          .string()
          .optional()
          .describe('Only while a failover a crash interrupted waits: the provider the retry with the same Idempotency-Key carries the payment on to'),
      })
      .strict()
      .nullable()
      .describe("Kassa's routing decision for the latest confirmation"),
    cancellation_reason: z
      .enum([...CANCELLATION_REASONS, AUTOMATIC_CANCELLATION])
      .nullable()
      .describe('`automatic`: the authorization expired uncaptured (7 days) and was released'),
    canceled_at: unixSeconds.nullable(),
    created: unixSeconds,
    livemode: z.boolean(),
  })
  .strict();
/** `GET /v1/payment_intents/:id` — the merchant's full view. */
export type PaymentIntentObject = z.infer<typeof paymentIntentObjectSchema>;

/** `GET /client/payment_intents/:id` — what the widget may see; no metadata, no customer id. */
export const clientPaymentIntentSchema = z
  .object({
    id: z.string(),
    object: z.literal('payment_intent'),
    amount: z.number().int(),
    currency: currencySchema,
    status: paymentStatusSchema,
    last_payment_error: lastPaymentErrorSchema.nullable(),
    next_action: nextActionSchema.nullable(),
    saved_payment_method: cardSummarySchema
      .extend({ id: z.string() })
      .nullable()
      .describe("The returning customer's saved card, offered for one-click pay"),
    can_save_card: z.boolean().describe('Whether the widget should offer "save this card" (the intent has a customer)'),
  })
  .strict();
export type ClientPaymentIntent = z.infer<typeof clientPaymentIntentSchema>;

export const tokenObjectSchema = z
  .object({
    id: z.string().describe('`tok_…`: single use, valid for 10 minutes'),
    object: z.literal('token'),
    card: cardSummarySchema,
    created: unixSeconds,
  })
  .strict();
export type TokenObject = z.infer<typeof tokenObjectSchema>;

// ---- Refunds and charges ----

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** `POST /v1/refunds`: by payment intent or by charge (one of them), all of it or part. */
export const createRefundSchema = z
  .object({
    payment_intent: z.string().min(1).max(128).optional().describe('The intent to refund (`pi_…`): this or `charge`'),
    charge: z.string().min(1).max(128).optional().describe('The charge to refund (`ch_…`): this or `payment_intent`'),
    amount: amountSchema.optional().describe('Default: all that is left to refund'),
    reason: z.enum(REFUND_REASONS).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();
export type CreateRefund = z.infer<typeof createRefundSchema>;

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const refundObjectSchema = z
  .object({
    id: z.string().describe('`re_…`'),
    object: z.literal('refund'),
    amount: z.number().int(),
    charge: z.string(),
    currency: currencySchema,
    payment_intent: z.string(),
    status: z.enum(REFUND_STATUSES),
    reason: z.enum(REFUND_REASONS).nullable(),
    failure_reason: z.string().nullable().describe('Why the provider refused it (status `failed`)'),
    balance_transaction: z.string().nullable().describe('Its balance transaction (`txn_…`) once it succeeded; null while pending or when it failed'),
    metadata: metadataObjectSchema,
    created: unixSeconds,
    livemode: z.boolean(),
  })
  .strict();
export type RefundObject = z.infer<typeof refundObjectSchema>;

export const chargeOutcomeSchema = z
  .object({
    type: z.enum(['authorized', 'issuer_declined']),
    network_status: z.enum(['approved_by_network', 'declined_by_network']),
    reason: z.string().nullable().describe('The decline code'),
    risk_level: z.literal('normal'),
    seller_message: z.string(),
  })
  .strict();
export type ChargeOutcome = z.infer<typeof chargeOutcomeSchema>;

export const chargeObjectSchema = z
  .object({
    id: z.string().describe('`ch_…`'),
    object: z.literal('charge'),
    amount: z.number().int(),
    amount_captured: z.number().int(),
    amount_refunded: z.number().int().describe('Includes the uncaptured part of a hold released by a partial capture or a void, as at Stripe'),
    captured: z.boolean(),
    refunded: z.boolean().describe('Refunded in full'),
    paid: z.boolean(),
    status: z.enum(['succeeded', 'failed']),
    currency: currencySchema,
    customer: z.string().nullable(),
    description: z.string().nullable(),
    metadata: metadataObjectSchema,
    payment_intent: z.string(),
    payment_method: z.string().nullable(),
    payment_method_details: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('card'), card: cardSummarySchema }).strict(),
        z.object({ type: z.literal('alipay'), alipay: z.object({}).strict() }).strict(),
        z.object({ type: z.literal('paypal'), paypal: z.object({}).strict() }).strict(),
      ])
      .nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    outcome: chargeOutcomeSchema,
    balance_transaction: z.string().nullable().describe('Its balance transaction (`txn_…`) once captured; null for a hold or a decline'),
    created: unixSeconds,
    livemode: z.boolean(),
  })
  .strict();
export type ChargeObject = z.infer<typeof chargeObjectSchema>;

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
    payment_method: z.string().min(1).max(128).optional().describe('A payment method (or Stripe test id) to attach'),
    invoice_settings: z
      .object({ default_payment_method: orUnset(z.string().min(1).max(128)).optional().describe('An attached `pm_…`; `\'\'` unsets it') })
      .strict()
      .optional(),
  })
  .strict();
export type CustomerFields = z.infer<typeof customerFieldsSchema>;

export const attachPaymentMethodSchema = z.object({ customer: z.string().min(1).max(128).describe('The customer (`cus_…`)') }).strict();
export const updatePaymentMethodSchema = z.object({ metadata: metadataSchema.optional() }).strict();

export const customerObjectSchema = z
  .object({
    id: z.string().describe('`cus_…`'),
    object: z.literal('customer'),
    email: z.string().nullable(),
    name: z.string().nullable(),
    description: z.string().nullable(),
    phone: z.string().nullable(),
    metadata: metadataObjectSchema,
    address: addressObjectSchema.nullable(),
    shipping: z.object({ name: z.string(), phone: z.string().nullable(), address: addressObjectSchema }).strict().nullable(),
    invoice_settings: z.object({ default_payment_method: z.string().nullable() }).strict(),
    created: unixSeconds,
    livemode: z.boolean(),
  })
  .strict();
export type CustomerObject = z.infer<typeof customerObjectSchema>;

export const deletedCustomerObjectSchema = z
  .object({ id: z.string(), object: z.literal('customer'), deleted: z.literal(true) })
  .strict();
export type DeletedCustomerObject = z.infer<typeof deletedCustomerObjectSchema>;

export const paymentMethodObjectSchema = z
  .object({
    id: z.string().describe('`pm_…`'),
    object: z.literal('payment_method'),
    type: z.literal('card'),
    customer: z.string().nullable().describe('null when detached, or never attached'),
    card: cardSummarySchema,
    billing_details: z
      .object({ address: addressObjectSchema.nullable(), email: z.string().nullable(), name: z.string().nullable(), phone: z.string().nullable() })
      .strict(),
    metadata: metadataObjectSchema,
    created: unixSeconds,
    livemode: z.boolean(),
  })
  .strict();
export type PaymentMethodObject = z.infer<typeof paymentMethodObjectSchema>;

/**
 * An intent as the intent routes answer it: `expand[]` replaces `latest_charge`,
 * `payment_method` or `customer` by the object (a token stays an id).
 */
export const expandedPaymentIntentSchema = paymentIntentObjectSchema
  .extend({
    latest_charge: z.union([z.string(), chargeObjectSchema]).nullable().describe('`ch_…`, or the Charge with `expand[]=latest_charge`'),
    payment_method: z
      .union([z.string(), paymentMethodObjectSchema])
      .nullable()
      .describe('`pm_…` or `tok_…`, or the PaymentMethod with `expand[]=payment_method` (a token stays an id)'),
    customer: z
      .union([z.string(), customerObjectSchema, deletedCustomerObjectSchema])
      .nullable()
      .describe('`cus_…`, or the Customer with `expand[]=customer`'),
  })
  .strict();

/** `/kassa.json`: where the pinned kassa.js is, and its Subresource Integrity hash. */
export const scriptManifestSchema = z
  .object({
    version: z.string().describe("`@kassa/widget`'s version"),
    url: z.string().describe('The pinned script, `<public URL>/kassa@<version>.js`'),
    integrity: z.string().regex(/^sha384-[A-Za-z0-9+/]+=*$/).describe('For the `integrity` attribute of the script tag'),
  })
  .strict();
export type ScriptManifest = z.infer<typeof scriptManifestSchema>;

// ---- money ----

/** One currency's part of a balance, as Stripe shows it (every Kassa payment is a card payment). */
export const balanceAmountSchema = z
  .object({
    amount: z.number().int().describe('Minor units; may be negative after refunds'),
    currency: currencySchema,
    source_types: z.object({ card: z.number().int() }).strict(),
  })
  .strict();
export type BalanceAmount = z.infer<typeof balanceAmountSchema>;

/** `GET /v1/balance`. */
export const balanceObjectSchema = z
  .object({
    object: z.literal('balance'),
    available: z.array(balanceAmountSchema).describe('Settled funds, per currency'),
    pending: z.array(balanceAmountSchema).describe('Captured funds within the settlement delay (2 days), per currency'),
    livemode: z.boolean(),
  })
  .strict();
export type BalanceObject = z.infer<typeof balanceObjectSchema>;

/** `refund_failure`: a refund the provider accepted and then did not carry out gives its money back. */
export const BALANCE_TRANSACTION_TYPES = ['charge', 'refund', 'refund_failure'] as const;
export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];

/** `GET /v1/balance_transactions/:id`: Stripe's shape; Kassa takes no fee. */
export const balanceTransactionObjectSchema = z
  .object({
    id: z.string().describe('`txn_…`'),
    object: z.literal('balance_transaction'),
    amount: z.number().int(),
    currency: currencySchema,
    type: z.enum(BALANCE_TRANSACTION_TYPES),
    reporting_category: z.enum(BALANCE_TRANSACTION_TYPES),
    fee: z.literal(0),
    fee_details: z.array(z.never()).max(0),
    net: z.number().int(),
    exchange_rate: z.null(),
    status: z.enum(['pending', 'available']),
    available_on: unixSeconds,
    created: unixSeconds,
    source: z.string().describe('The charge (`ch_…`) or refund (`re_…`; a refund_failure names the refund that failed)'),
  })
  .strict();
export type BalanceTransactionObject = z.infer<typeof balanceTransactionObjectSchema>;
