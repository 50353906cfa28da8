/**
 * The named schemas of the OpenAPI document (`components.schemas`): every response object, the
 * lists and error bodies around them, and the request bodies. Each is the zod schema the code
 * itself uses — core's wire schemas, the routes' exported request schemas, the webhook views —
 * registered here under the name the document shows; nothing is written out twice.
 */
import { actionStatusSchema, providerReturnFormSchema } from '../routes/actions.js';
import { z } from 'zod';
import {
  addressSchema,
  attachPaymentMethodSchema,
  balanceObjectSchema,
  balanceTransactionObjectSchema,
  cardSummarySchema,
  chargeObjectSchema,
  clientPaymentIntentSchema,
  currencySchema,
  createRefundSchema,
  createTokenSchema,
  customerFieldsSchema,
  customerObjectSchema,
  deletedCustomerObjectSchema,
  expandedPaymentIntentSchema,
  lastPaymentErrorSchema,
  metadataSchema,
  nextActionSchema,
  addressObjectSchema,
  paymentMethodObjectSchema,
  refundObjectSchema,
  scriptManifestSchema,
  shippingSchema,
  tokenObjectSchema,
  updatePaymentMethodSchema,
} from '@kassa/core/wire';
import { errorObjectSchema } from '../errors.js';
import {
  deletedWebhookEndpointSchema,
  eventPaymentIntentSchema,
  eventSchema,
  rolledWebhookEndpointSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from '../../webhooks/views.js';
import {
  merchantCancelSchema,
  merchantCaptureSchema,
  merchantConfirmSchema,
  merchantCreateSchema,
  merchantUpdateSchema,
} from '../routes/merchant.js';
import { emptyBodySchema } from '../routes/customers.js';
import { createEndpointSchema, rollSecretSchema, updateEndpointSchema } from '../routes/webhooks.js';
import { clientConfirmSchema } from '../routes/client.js';
import {
  accountObjectSchema,
  accountWithKeysSchema,
  apiKeyObjectSchema,
  apiKeyWithSecretSchema,
  createKeySchema,
  createProviderAccountSchema,
  updateProviderAccountSchema,
  providerAccountObjectSchema,
  reconciliationReportSchema,
  registerMerchantSchema,
  rollKeySchema,
  updateMerchantSchema,
} from '../routes/operator.js';

/** Stripe's list envelope around `item` (http/lists.ts builds it; the operator API too, in one page). */
function listOf(item: z.ZodType, url: string, order = 'Newest first') {
  return z
    .object({
      object: z.literal('list'),
      url: z.string().describe(`The list's path, \`${url}\``),
      has_more: z.boolean().describe('Whether another page follows in this direction'),
      data: z.array(item).describe(order),
    })
    .strict();
}

const searchResult = z
  .object({
    object: z.literal('search_result'),
    url: z.literal('/v1/payment_intents/search'),
    has_more: z.boolean(),
    data: z.array(expandedPaymentIntentSchema),
    next_page: z.string().nullable().describe('Pass as `page` for the next page; null on the last'),
  })
  .strict();

const errorBody = (object: z.ZodType) => z.object({ error: object }).strict();

/**
 * Error answers. An intent that failed (a decline, a wrong state) comes back inside the error in
 * the view of the API that answered: the merchant's intent on /v1, the widget's on /client.
 */
const merchantError = errorBody(errorObjectSchema.extend({ payment_intent: expandedPaymentIntentSchema.optional() }).strict());
const clientError = errorBody(errorObjectSchema.extend({ payment_intent: clientPaymentIntentSchema.optional() }).strict());
/** Errors without an intent in them: the operator API's, the pages'. */
const plainError = errorBody(errorObjectSchema.omit({ payment_intent: true }).strict());

/** Registered schemas by the name the document gives them. Order is the reference page's order. */
export const COMPONENTS = {
  ActionStatus: actionStatusSchema,
  ProviderReturnForm: providerReturnFormSchema,
  // Objects
  PaymentIntent: expandedPaymentIntentSchema,
  Charge: chargeObjectSchema,
  Refund: refundObjectSchema,
  Customer: customerObjectSchema,
  DeletedCustomer: deletedCustomerObjectSchema,
  CustomerOrDeleted: z.union([customerObjectSchema, deletedCustomerObjectSchema]),
  PaymentMethod: paymentMethodObjectSchema,
  WebhookEndpoint: webhookEndpointSchema,
  WebhookEndpointWithSecret: webhookEndpointWithSecretSchema,
  RolledWebhookEndpoint: rolledWebhookEndpointSchema,
  DeletedWebhookEndpoint: deletedWebhookEndpointSchema,
  Event: eventSchema,
  EventPaymentIntent: eventPaymentIntentSchema,
  ClientPaymentIntent: clientPaymentIntentSchema,
  Token: tokenObjectSchema,
  ScriptManifest: scriptManifestSchema,
  CardSummary: cardSummarySchema,
  NextAction: nextActionSchema,
  LastPaymentError: lastPaymentErrorSchema,
  Address: addressObjectSchema,
  // Named once: its 157 codes would otherwise be spelled out in every schema with a currency.
  Currency: currencySchema,
  Balance: balanceObjectSchema,
  BalanceTransaction: balanceTransactionObjectSchema,
  Account: accountObjectSchema,
  AccountWithKeys: accountWithKeysSchema,
  ApiKey: apiKeyObjectSchema,
  ApiKeyWithSecret: apiKeyWithSecretSchema,
  ReconciliationReport: reconciliationReportSchema,
  ProviderAccount: providerAccountObjectSchema,
  // Lists
  PaymentIntentList: listOf(expandedPaymentIntentSchema, '/v1/payment_intents'),
  PaymentIntentSearchResult: searchResult,
  RefundList: listOf(refundObjectSchema, '/v1/refunds'),
  ChargeList: listOf(chargeObjectSchema, '/v1/charges'),
  // Deleted customers are not listed.
  CustomerList: listOf(customerObjectSchema, '/v1/customers'),
  PaymentMethodList: listOf(paymentMethodObjectSchema, '/v1/payment_methods or /v1/customers/{id}/payment_methods'),
  WebhookEndpointList: listOf(webhookEndpointSchema, '/v1/webhook_endpoints'),
  EventList: listOf(eventSchema, '/v1/events'),
  BalanceTransactionList: listOf(balanceTransactionObjectSchema, '/v1/balance_transactions'),
  // The operator's lists come in one page (`has_more: false`).
  AccountList: listOf(accountObjectSchema, '/operator/merchants', 'Oldest first'),
  ApiKeyList: listOf(apiKeyObjectSchema, '/operator/merchants/{id}/keys', 'Newest first, both modes'),
  ProviderAccountList: listOf(providerAccountObjectSchema, '/operator/merchants/{id}/provider_accounts', 'Oldest first (the failover order), both modes, deactivated ones too'),
  // Errors
  Error: merchantError,
  ClientError: clientError,
  PlainError: plainError,
  // Request bodies
  CreatePaymentIntentParams: merchantCreateSchema,
  UpdatePaymentIntentParams: merchantUpdateSchema,
  ConfirmPaymentIntentParams: merchantConfirmSchema,
  CapturePaymentIntentParams: merchantCaptureSchema,
  CancelPaymentIntentParams: merchantCancelSchema,
  CreateRefundParams: createRefundSchema,
  CustomerParams: customerFieldsSchema,
  UpdatePaymentMethodParams: updatePaymentMethodSchema,
  AttachPaymentMethodParams: attachPaymentMethodSchema,
  EmptyParams: emptyBodySchema,
  CreateWebhookEndpointParams: createEndpointSchema,
  UpdateWebhookEndpointParams: updateEndpointSchema,
  RollSecretParams: rollSecretSchema,
  ClientConfirmParams: clientConfirmSchema,
  CreateTokenParams: createTokenSchema,
  RegisterMerchantParams: registerMerchantSchema,
  UpdateMerchantParams: updateMerchantSchema,
  CreateApiKeyParams: createKeySchema,
  RollApiKeyParams: rollKeySchema,
  CreateProviderAccountParams: createProviderAccountSchema,
  UpdateProviderAccountParams: updateProviderAccountSchema,
  Metadata: metadataSchema,
  AddressParams: addressSchema,
  ShippingParams: shippingSchema,
} satisfies Record<string, z.ZodType>;

export type ComponentName = keyof typeof COMPONENTS;
