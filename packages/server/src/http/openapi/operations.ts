/**
 * What each route takes and answers, for the OpenAPI document: one entry per method and path the
 * app serves. Schemas are the routes' own (exported by the route modules, or core's), so a change
 * to what a route accepts changes the document with it; the entries add what only words can say.
 *
 * The list of routes itself is checked, not trusted: test/openapi.test.ts walks the Express router
 * stack and fails on a route served but not described here, or described but not served.
 *
 * Error statuses: the document builder adds those every operation of its kind can answer (bad
 * input, authentication, rate limits, idempotency, an unknown id); an entry lists only its own.
 */
import { actionQuerySchema } from '../routes/actions.js';
import type { z } from 'zod';
import { LOCALES } from '@kassa/core';
import type { ServerErrorCode } from '../../domain/errors.js';
import {
  chargeListSchema,
  intentListSchema,
  noQuerySchema,
  refundListSchema,
  searchSchema,
} from '../routes/merchant.js';
import { customerListSchema, customerPaymentMethodsQuery, listPaymentMethodsQuery } from '../routes/customers.js';
import { endpointListSchema } from '../routes/webhooks.js';
import { eventListSchema } from '../routes/events.js';
import { FRAME_URL_PARTS, frameQuerySchema } from '../routes/pages.js';
import { balanceTransactionListSchema } from '../routes/balance.js';
import type { ComponentName } from './components.js';

export type HttpMethod = 'get' | 'post' | 'delete';
/** Who may call: a merchant's secret key (/v1), a client secret (/client), the operator key (/operator), anyone (pages). */
export type Auth = 'secret_key' | 'client_secret' | 'operator_key' | 'none';
export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 429 | 502 | 503;

export const TAGS = {
  PaymentIntents: 'A payment from creation to capture. Every intent route takes `expand[]`.',
  Refunds: 'Money back, all or part, one or several times per charge, never more than was captured.',
  Charges: "Stripe's Charge: one per authorization (`latest_charge` on the intent).",
  Balance: "The merchant's money per currency, and the ledger's balance transactions behind it (one per capture and per refund), in the key's mode. Read-only.",
  Customers: "The merchant's shoppers, for saved cards.",
  PaymentMethods: 'Saved cards (`pm_…`), attached to a customer.',
  WebhookEndpoints: 'Where events are delivered, signed with Standard Webhooks and `Stripe-Signature` headers.',
  Events: 'What happened, newest first; the bodies delivered to webhook endpoints.',
  Client: 'The widget API, called by `<kassa-checkout>` and its card frame with the client secret. CORS: only the merchant\'s allowed origins (preflight `OPTIONS` answers `Access-Control-Allow-Methods: GET, POST`).',
  Pages: 'What browsers load from the Kassa origin: the widget script, its pinned copy, manifest and locale files, the card frame and its scripts.',
  Sandbox: "The sandbox issuer's 3-D Secure challenge (test mode). The URL comes from `next_action`.",
  Providers:
    "Around a payment that waits for the shopper at a provider (Alipay, PayPal): Kassa's page for the action (`next_action.*.hosted_instructions_url`, what the widget frames), the provider's return, and its notifications.",
  Operator: 'The operator API: registering merchants, activating live mode, managing their keys and their own provider accounts. The operator key only (no merchant key works here); JSON bodies; not idempotent by key. Keys are shown in the one answer that makes them.',
  Reference: 'This description of the API.',
} as const;
export type TagName = keyof typeof TAGS;

/** One answer of an operation: a JSON body (a component) or a non-JSON media type. */
export interface ResponseSpec {
  status: 200 | 303 | 304;
  description: string;
  json?: ComponentName;
  /** Media types of a non-JSON body, e.g. `text/html`. */
  media?: readonly string[];
  /** Response headers worth naming (beyond Request-Id, which every answer has). */
  headers?: Readonly<Record<string, string>>;
}

export interface OperationSpec {
  method: HttpMethod;
  /** OpenAPI path template (`{id}`), as the app serves it. */
  path: string;
  operationId: string;
  tag: TagName;
  summary: string;
  description?: string;
  auth: Auth;
  /** Path parameters, by name: what they name (and, where the route constrains them, how). */
  params?: Readonly<Record<string, string | PathParameter>>;
  /** The strict query schema the route parses: each key is a parameter; anything else is a 400. */
  query?: z.ZodObject;
  /** The 400 codes a bad query answers, where they are not the usual three. */
  queryCodes?: readonly ServerErrorCode[];
  /** Takes `expand[]` in the query (intent routes; their query schema leaves it out). */
  expand?: boolean;
  /** The request body (a component: a name of components.ts, or one a mount brings) and the encodings the route reads. */
  body?: { component: ComponentName | MountedComponentName; media: readonly BodyMedia[] };
  /** A POST that takes an `Idempotency-Key`. */
  idempotent?: boolean;
  responses: readonly ResponseSpec[];
  /** Error codes of this operation beyond those its kind always has, by status. */
  errors?: Partial<Readonly<Record<ErrorStatus, readonly ServerErrorCode[]>>>;
}

/** A path parameter the route matches by a pattern or a list (asset URLs), with an example that it serves. */
export interface PathParameter {
  description: string;
  /** A regular expression source the whole segment part must match (the route's own). */
  pattern?: string;
  enum?: readonly string[];
  example: string;
}

/** Components a mounted router brings along with its operations. */
export type MountedComponentName = 'ChallengeChoice';
/** What a mounted router adds to the description. */
export interface MountedApi {
  operations: readonly OperationSpec[];
  components: Readonly<Partial<Record<MountedComponentName, z.ZodType>>>;
}

export type BodyMedia = 'application/json' | 'application/x-www-form-urlencoded';
const V1_BODY: readonly BodyMedia[] = ['application/json', 'application/x-www-form-urlencoded'];
const JSON_BODY: readonly BodyMedia[] = ['application/json'];

const CARD_ERRORS: readonly ServerErrorCode[] = [
  'card_declined',
  'expired_card',
  'incorrect_cvc',
  'processing_error',
  'payment_intent_authentication_failure',
  'authentication_required',
];
const IDS = {
  intent: 'The payment intent, `pi_…`',
  customer: 'The customer, `cus_…`',
  paymentMethod: 'The payment method, `pm_…` (or a Stripe test id such as `pm_card_visa` where it can be used)',
  refund: 'The refund, `re_…`',
  charge: 'The charge, `ch_…`',
  endpoint: 'The webhook endpoint, `we_…`',
  event: 'The event, `evt_…`',
  balanceTransaction: 'The balance transaction, `txn_…`',
  account: 'The merchant account, `acct_…`',
  key: 'The API key, `key_…` (its id, not the key)',
  providerAccount: 'The provider account, `pa_…`',
} as const;

const ok = (json: ComponentName, description: string): ResponseSpec => ({ status: 200, description, json });
const replayed = { 'Idempotent-Replayed': '`true` when this is the stored answer to an earlier request with the same key' } as const;
const idemOk = (json: ComponentName, description: string): ResponseSpec => ({ ...ok(json, description), headers: replayed });

/** Confirming reaches the provider: declines, an unanswered provider, an unreadable vault. */
const PROVIDER_ERRORS = {
  402: CARD_ERRORS,
  502: ['api_error'],
  503: ['vault_unavailable'],
} as const satisfies OperationSpec['errors'];

const intentOps: OperationSpec[] = [
  {
    method: 'post', path: '/v1/payment_intents', operationId: 'CreatePaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Create a payment intent',
    description: 'With `confirm=true` it is confirmed at once (as the confirm route). A retry with the same `Idempotency-Key` after a crash or a 502 resumes the intent the key made: never a second intent or charge.',
    body: { component: 'CreatePaymentIntentParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentIntent', 'The new PaymentIntent, with its `client_secret`')],
    errors: { 400: ['token_already_used', 'token_expired', 'payment_method_unexpected_state'], 404: ['resource_missing'], ...PROVIDER_ERRORS },
  },
  {
    method: 'get', path: '/v1/payment_intents', operationId: 'ListPaymentIntents', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'List payment intents', description: "Newest first, with Stripe's paging.",
    query: intentListSchema, expand: true,
    responses: [ok('PaymentIntentList', 'A page of intents')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/payment_intents/search', operationId: 'SearchPaymentIntents', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Search payment intents',
    description: "Stripe's search language: `status`, `customer`, `currency`, `amount`, `created`, `description`, `metadata['key']`; `:` equals, `~` contains, `>` `>=` `<` `<=`; `-` negates; clauses joined by `AND` or by `OR` (not both), at most 10. A query Kassa does not understand is a 400 whose message says where.",
    query: searchSchema, expand: true,
    responses: [ok('PaymentIntentSearchResult', 'A page of matching intents')],
  },
  {
    method: 'get', path: '/v1/payment_intents/{id}', operationId: 'RetrievePaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Retrieve a payment intent', params: { id: IDS.intent },
    query: noQuerySchema, expand: true,
    responses: [ok('PaymentIntent', 'The PaymentIntent, with a freshly minted `client_secret`')],
  },
  {
    method: 'post', path: '/v1/payment_intents/{id}', operationId: 'UpdatePaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Update a payment intent',
    description: '`metadata`, `description` and `receipt_email` at any time; the other fields only before confirmation (`requires_payment_method`, `requires_confirmation`). `metadata` merges (a key sent as `\'\'` is removed); `\'\'` unsets a field.',
    params: { id: IDS.intent }, body: { component: 'UpdatePaymentIntentParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentIntent', 'The updated PaymentIntent')],
    errors: { 400: ['payment_intent_unexpected_state'], 404: ['resource_missing'] },
  },
  {
    method: 'post', path: '/v1/payment_intents/{id}/confirm', operationId: 'ConfirmPaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Confirm a payment intent',
    description: 'Authorizes (and with automatic capture, captures) with a token, a saved card or a Stripe test id. A card that needs 3-D Secure answers `requires_action` with `next_action` (`redirect_to_url` with `return_url`). A decline is a 402 with the intent back in `requires_payment_method`.',
    params: { id: IDS.intent }, body: { component: 'ConfirmPaymentIntentParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentIntent', 'The PaymentIntent: `succeeded`, `requires_capture` or `requires_action`')],
    errors: { 400: ['payment_intent_unexpected_state', 'token_already_used', 'token_expired', 'payment_method_unexpected_state'], ...PROVIDER_ERRORS },
  },
  {
    method: 'post', path: '/v1/payment_intents/{id}/capture', operationId: 'CapturePaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Capture a payment intent', description: 'All of `amount_capturable`, or less (the rest of the hold is released).',
    params: { id: IDS.intent }, body: { component: 'CapturePaymentIntentParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentIntent', 'The PaymentIntent, `succeeded`')],
    errors: { 400: ['payment_intent_unexpected_state', 'amount_too_large'], 502: ['api_error'] },
  },
  {
    method: 'post', path: '/v1/payment_intents/{id}/cancel', operationId: 'CancelPaymentIntent', tag: 'PaymentIntents', auth: 'secret_key',
    summary: 'Cancel a payment intent', description: 'A hold is released at the provider.',
    params: { id: IDS.intent }, body: { component: 'CancelPaymentIntentParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentIntent', 'The PaymentIntent, `canceled`')],
    errors: { 400: ['payment_intent_unexpected_state'], 502: ['api_error'] },
  },
];

const refundOps: OperationSpec[] = [
  {
    method: 'post', path: '/v1/refunds', operationId: 'CreateRefund', tag: 'Refunds', auth: 'secret_key',
    summary: 'Create a refund',
    description: 'By `payment_intent` or by `charge` (exactly one). `status` is `failed` (with `failure_reason`) when the provider refused it.',
    body: { component: 'CreateRefundParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('Refund', 'The Refund')],
    errors: { 400: ['amount_too_large', 'charge_already_refunded', 'charge_not_refundable'], 404: ['resource_missing'], 502: ['api_error'] },
  },
  {
    method: 'get', path: '/v1/refunds', operationId: 'ListRefunds', tag: 'Refunds', auth: 'secret_key',
    summary: 'List refunds', query: refundListSchema,
    responses: [ok('RefundList', 'A page of refunds')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/refunds/{id}', operationId: 'RetrieveRefund', tag: 'Refunds', auth: 'secret_key',
    summary: 'Retrieve a refund', params: { id: IDS.refund }, query: noQuerySchema,
    responses: [ok('Refund', 'The Refund')],
  },
  {
    method: 'get', path: '/v1/charges', operationId: 'ListCharges', tag: 'Charges', auth: 'secret_key',
    summary: 'List charges', query: chargeListSchema,
    responses: [ok('ChargeList', 'A page of charges')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/charges/{id}', operationId: 'RetrieveCharge', tag: 'Charges', auth: 'secret_key',
    summary: 'Retrieve a charge', params: { id: IDS.charge }, query: noQuerySchema,
    responses: [ok('Charge', 'The Charge')],
  },
];

const balanceOps: OperationSpec[] = [
  {
    method: 'get', path: '/v1/balance', operationId: 'RetrieveBalance', tag: 'Balance', auth: 'secret_key',
    summary: 'Retrieve the balance', description: 'Per currency: `available` (settled) and `pending` (captured, within the settlement delay). Refunds count against it.',
    query: noQuerySchema,
    responses: [ok('Balance', 'The Balance')],
  },
  {
    method: 'get', path: '/v1/balance_transactions', operationId: 'ListBalanceTransactions', tag: 'Balance', auth: 'secret_key',
    summary: 'List balance transactions', query: balanceTransactionListSchema,
    responses: [ok('BalanceTransactionList', 'A page of balance transactions')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/balance_transactions/{id}', operationId: 'RetrieveBalanceTransaction', tag: 'Balance', auth: 'secret_key',
    summary: 'Retrieve a balance transaction', params: { id: IDS.balanceTransaction }, query: noQuerySchema,
    responses: [ok('BalanceTransaction', 'The BalanceTransaction')],
  },
];

const customerOps: OperationSpec[] = [
  {
    method: 'post', path: '/v1/customers', operationId: 'CreateCustomer', tag: 'Customers', auth: 'secret_key',
    summary: 'Create a customer', description: 'With `payment_method`, that card is attached at creation.',
    body: { component: 'CustomerParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('Customer', 'The Customer')],
    errors: { 400: ['payment_method_unexpected_state'], 404: ['resource_missing'], 503: ['vault_unavailable'] },
  },
  {
    method: 'get', path: '/v1/customers', operationId: 'ListCustomers', tag: 'Customers', auth: 'secret_key',
    summary: 'List customers', query: customerListSchema,
    responses: [ok('CustomerList', 'A page of customers')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/customers/{id}', operationId: 'RetrieveCustomer', tag: 'Customers', auth: 'secret_key',
    summary: 'Retrieve a customer', params: { id: IDS.customer }, query: noQuerySchema,
    responses: [ok('CustomerOrDeleted', 'The Customer; a deleted one is a DeletedCustomer (Stripe\'s answer)')],
  },
  {
    method: 'post', path: '/v1/customers/{id}', operationId: 'UpdateCustomer', tag: 'Customers', auth: 'secret_key',
    summary: 'Update a customer', description: 'Absent keeps a field, `\'\'` unsets it; `metadata` merges.',
    params: { id: IDS.customer }, body: { component: 'CustomerParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('Customer', 'The Customer')],
    errors: { 400: ['payment_method_unexpected_state'], 503: ['vault_unavailable'] },
  },
  {
    method: 'delete', path: '/v1/customers/{id}', operationId: 'DeleteCustomer', tag: 'Customers', auth: 'secret_key',
    summary: 'Delete a customer', description: 'Its payment methods are detached.',
    params: { id: IDS.customer }, query: noQuerySchema,
    responses: [ok('DeletedCustomer', 'The deleted customer')],
  },
  {
    method: 'get', path: '/v1/customers/{id}/payment_methods', operationId: 'ListCustomerPaymentMethods', tag: 'Customers', auth: 'secret_key',
    summary: "List a customer's payment methods", params: { id: IDS.customer }, query: customerPaymentMethodsQuery,
    responses: [ok('PaymentMethodList', 'A page of payment methods')],
  },
  {
    method: 'get', path: '/v1/payment_methods', operationId: 'ListPaymentMethods', tag: 'PaymentMethods', auth: 'secret_key',
    summary: "List a customer's payment methods", query: listPaymentMethodsQuery,
    responses: [ok('PaymentMethodList', 'A page of payment methods')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/payment_methods/{id}', operationId: 'RetrievePaymentMethod', tag: 'PaymentMethods', auth: 'secret_key',
    summary: 'Retrieve a payment method', params: { id: IDS.paymentMethod }, query: noQuerySchema,
    responses: [ok('PaymentMethod', 'The PaymentMethod')],
  },
  {
    method: 'post', path: '/v1/payment_methods/{id}', operationId: 'UpdatePaymentMethod', tag: 'PaymentMethods', auth: 'secret_key',
    summary: 'Update a payment method', description: '`metadata` merges.',
    params: { id: IDS.paymentMethod }, body: { component: 'UpdatePaymentMethodParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentMethod', 'The PaymentMethod')],
  },
  {
    method: 'post', path: '/v1/payment_methods/{id}/attach', operationId: 'AttachPaymentMethod', tag: 'PaymentMethods', auth: 'secret_key',
    summary: 'Attach a payment method to a customer',
    description: 'A Stripe test id (`pm_card_visa`) attaches a new payment method made from it. One attached to another customer, or detached before, cannot be attached.',
    params: { id: IDS.paymentMethod }, body: { component: 'AttachPaymentMethodParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentMethod', 'The attached PaymentMethod')],
    errors: { 400: ['payment_method_unexpected_state'], 503: ['vault_unavailable'] },
  },
  {
    method: 'post', path: '/v1/payment_methods/{id}/detach', operationId: 'DetachPaymentMethod', tag: 'PaymentMethods', auth: 'secret_key',
    summary: 'Detach a payment method', description: 'For good, as at Stripe: it cannot pay or be attached again.',
    params: { id: IDS.paymentMethod }, body: { component: 'EmptyParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('PaymentMethod', 'The PaymentMethod, `customer: null`')],
    errors: { 400: ['payment_method_unexpected_state'] },
  },
];

const webhookOps: OperationSpec[] = [
  {
    method: 'post', path: '/v1/webhook_endpoints', operationId: 'CreateWebhookEndpoint', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'Create a webhook endpoint', description: 'At most 16 per merchant and mode. The answer is the only one that shows the signing secret.',
    body: { component: 'CreateWebhookEndpointParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('WebhookEndpointWithSecret', 'The WebhookEndpoint with its `secret`')],
    errors: { 400: ['url_invalid', 'webhook_endpoint_limit'] },
  },
  {
    method: 'get', path: '/v1/webhook_endpoints', operationId: 'ListWebhookEndpoints', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'List webhook endpoints', query: endpointListSchema,
    responses: [ok('WebhookEndpointList', 'A page of endpoints')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/webhook_endpoints/{id}', operationId: 'RetrieveWebhookEndpoint', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'Retrieve a webhook endpoint', params: { id: IDS.endpoint }, query: noQuerySchema,
    responses: [ok('WebhookEndpoint', 'The WebhookEndpoint (never with its secret)')],
  },
  {
    method: 'post', path: '/v1/webhook_endpoints/{id}', operationId: 'UpdateWebhookEndpoint', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'Update a webhook endpoint', description: '`enabled_events` replaces; `metadata` merges (`\'\'` clears it); `disabled: false` re-enables, also after a 410.',
    params: { id: IDS.endpoint }, body: { component: 'UpdateWebhookEndpointParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('WebhookEndpoint', 'The WebhookEndpoint')],
    errors: { 400: ['url_invalid'] },
  },
  {
    method: 'delete', path: '/v1/webhook_endpoints/{id}', operationId: 'DeleteWebhookEndpoint', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'Delete a webhook endpoint', description: 'Its secrets, pending deliveries and attempts go with it. A body is a 400.',
    params: { id: IDS.endpoint }, query: noQuerySchema, body: { component: 'EmptyParams', media: V1_BODY },
    responses: [ok('DeletedWebhookEndpoint', 'The deleted endpoint')],
  },
  {
    method: 'post', path: '/v1/webhook_endpoints/{id}/roll_secret', operationId: 'RollWebhookEndpointSecret', tag: 'WebhookEndpoints', auth: 'secret_key',
    summary: 'Roll the signing secret',
    description: "Kassa's own: a new current secret, shown once; the replaced ones keep signing until `previous_secret_expires_at`.",
    params: { id: IDS.endpoint }, body: { component: 'RollSecretParams', media: V1_BODY }, idempotent: true,
    responses: [idemOk('RolledWebhookEndpoint', 'The WebhookEndpoint with the new `secret`')],
  },
  {
    method: 'get', path: '/v1/events', operationId: 'ListEvents', tag: 'Events', auth: 'secret_key',
    summary: 'List events',
    description: '`type` is an exact type or a prefix (`payment_intent.*`); `types` takes up to 20 of those (repeated, or as `types[0]=…&types[1]=…`), not with `type`.',
    query: eventListSchema,
    responses: [ok('EventList', 'A page of events')],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/v1/events/{id}', operationId: 'RetrieveEvent', tag: 'Events', auth: 'secret_key',
    summary: 'Retrieve an event', params: { id: IDS.event }, query: noQuerySchema,
    responses: [ok('Event', 'The Event as delivered, with `pending_webhooks`')],
  },
];

const clientOps: OperationSpec[] = [
  {
    method: 'get', path: '/client/payment_intents/{id}', operationId: 'ClientRetrievePaymentIntent', tag: 'Client', auth: 'client_secret',
    summary: "Retrieve the client secret's payment intent", description: 'Any other intent id is a 404, as if it did not exist.',
    params: { id: IDS.intent },
    responses: [ok('ClientPaymentIntent', "The widget's view of the intent")],
    errors: { 403: ['origin_not_allowed'] },
  },
  {
    method: 'post', path: '/client/payment_intents/{id}/confirm', operationId: 'ClientConfirmPaymentIntent', tag: 'Client', auth: 'client_secret',
    summary: 'Confirm from the widget', description: 'With the card frame\'s token or the saved card; 3-D Secure answers `requires_action` with a `three_d_secure` next action.',
    params: { id: IDS.intent }, body: { component: 'ClientConfirmParams', media: JSON_BODY }, idempotent: true,
    responses: [idemOk('ClientPaymentIntent', 'The intent: `succeeded`, `requires_capture` or `requires_action`')],
    errors: { 400: ['payment_intent_unexpected_state', 'token_already_used', 'token_expired', 'payment_method_unexpected_state'], 403: ['origin_not_allowed'], ...PROVIDER_ERRORS },
  },
  {
    method: 'post', path: '/client/tokens', operationId: 'ClientCreateToken', tag: 'Client', auth: 'client_secret',
    summary: 'Tokenize a card',
    description: 'Called by the card frame only: same-origin (a foreign `Origin` or a `Sec-Fetch-Site` other than `same-origin` is a 403; no CORS). The message of an invalid card names the problem, never the value.',
    body: { component: 'CreateTokenParams', media: JSON_BODY },
    responses: [ok('Token', 'A single-use token, valid for 10 minutes')],
    errors: { 403: ['origin_not_allowed'] },
  },
];

const operatorOps: OperationSpec[] = [
  {
    method: 'get', path: '/operator/merchants', operationId: 'ListMerchants', tag: 'Operator', auth: 'operator_key',
    summary: 'List merchant accounts', description: 'All of them, oldest first, in one page.', query: noQuerySchema,
    responses: [ok('AccountList', 'Every account')],
  },
  {
    method: 'post', path: '/operator/merchants', operationId: 'RegisterMerchant', tag: 'Operator', auth: 'operator_key',
    summary: 'Register a merchant', description: 'In test mode, with a test key pair shown once: the merchant integrates against the sandbox at once.',
    body: { component: 'RegisterMerchantParams', media: JSON_BODY },
    responses: [ok('AccountWithKeys', 'The account and its test keys')],
  },
  {
    method: 'get', path: '/operator/merchants/{id}', operationId: 'RetrieveMerchant', tag: 'Operator', auth: 'operator_key',
    summary: 'Retrieve a merchant account', params: { id: IDS.account }, query: noQuerySchema,
    responses: [ok('Account', 'The Account')],
  },
  {
    method: 'post', path: '/operator/merchants/{id}', operationId: 'UpdateMerchant', tag: 'Operator', auth: 'operator_key',
    summary: 'Update a merchant account', description: 'For both modes. Absent keeps a field.',
    params: { id: IDS.account }, body: { component: 'UpdateMerchantParams', media: JSON_BODY },
    responses: [ok('Account', 'The Account')],
  },
  {
    method: 'post', path: '/operator/merchants/{id}/activate', operationId: 'ActivateMerchant', tag: 'Operator', auth: 'operator_key',
    summary: 'Activate live mode', description: 'The operator\'s approval, once: the account gets its live scope and a live key pair, shown once.',
    params: { id: IDS.account }, body: { component: 'EmptyParams', media: JSON_BODY },
    responses: [ok('AccountWithKeys', 'The account and its live keys')],
    errors: { 400: ['account_already_live'] },
  },
  {
    method: 'get', path: '/operator/merchants/{id}/keys', operationId: 'ListApiKeys', tag: 'Operator', auth: 'operator_key',
    summary: "List an account's API keys", description: 'Both modes, newest first, in one page; never the keys themselves.',
    params: { id: IDS.account }, query: noQuerySchema,
    responses: [ok('ApiKeyList', 'Every key of the account')],
  },
  {
    method: 'post', path: '/operator/merchants/{id}/keys', operationId: 'CreateApiKey', tag: 'Operator', auth: 'operator_key',
    summary: 'Create an API key', description: 'Secret, publishable, or restricted to `permissions`; live ones once the account is activated.',
    params: { id: IDS.account }, body: { component: 'CreateApiKeyParams', media: JSON_BODY },
    responses: [ok('ApiKeyWithSecret', 'The ApiKey with its `secret`, shown this once')],
    errors: { 400: ['account_not_live'] },
  },
  {
    method: 'get', path: '/operator/merchants/{id}/provider_accounts', operationId: 'ListProviderAccounts', tag: 'Operator', auth: 'operator_key',
    summary: "List a merchant's provider accounts", description: 'Both modes, oldest first (the failover order), deactivated ones too, in one page; never a secret.',
    params: { id: IDS.account }, query: noQuerySchema,
    responses: [ok('ProviderAccountList', 'Every provider account of the merchant')],
  },
  {
    method: 'post', path: '/operator/merchants/{id}/provider_accounts', operationId: 'CreateProviderAccount', tag: 'Operator', auth: 'operator_key',
    summary: 'Give a merchant a provider account',
    description:
      "A provider of the merchant's own in one mode: `type`, `mode`, the type's fields as `kassa serve`'s provider specs name them, keys included. Checked as the server checks its own at start (a Stripe key of the other mode is a 400 naming `secretKey`) and built once, then stored with its secrets sealed. While a merchant has an active account in a mode, its new payments go to its accounts of that mode, in the order they were made (failover included); else to the server's providers. Live mode needs the account activated.",
    params: { id: IDS.account }, body: { component: 'CreateProviderAccountParams', media: JSON_BODY },
    responses: [ok('ProviderAccount', 'The ProviderAccount, without its secrets')],
    errors: { 400: ['account_not_live'] },
  },
  {
    method: 'get', path: '/operator/merchants/{id}/provider_accounts/{provider_account}', operationId: 'RetrieveProviderAccount', tag: 'Operator', auth: 'operator_key',
    summary: 'Retrieve a provider account', params: { id: IDS.account, provider_account: IDS.providerAccount }, query: noQuerySchema,
    responses: [ok('ProviderAccount', 'The ProviderAccount, without its secrets')],
  },
  {
    method: 'post', path: '/operator/merchants/{id}/provider_accounts/{provider_account}', operationId: 'UpdateProviderAccount', tag: 'Operator', auth: 'operator_key',
    summary: 'Change a provider account (roll its keys, reactivate it)',
    description:
      "Any of the account type's fields (a key rolled, an endpoint or id corrected; those not given keep their value), `name` (null clears it) and `active` (true reactivates a deactivated account, false deactivates it). Its id, type, mode and place in the failover order stay, so the payments made there are captured, refunded and recovered with the new keys. The whole configuration is built once before it is stored, as at create (a Stripe key of the other mode is a 400 naming `secretKey`); `type` or `mode` in the body is a 400. Every instance sharing the database uses the change within seconds.",
    params: { id: IDS.account, provider_account: IDS.providerAccount }, body: { component: 'UpdateProviderAccountParams', media: JSON_BODY },
    responses: [ok('ProviderAccount', 'The ProviderAccount as changed, without its secrets')],
  },
  {
    method: 'delete', path: '/operator/merchants/{id}/provider_accounts/{provider_account}', operationId: 'DeactivateProviderAccount', tag: 'Operator', auth: 'operator_key',
    summary: 'Deactivate a provider account',
    description: 'No new payment goes there. It is kept: payments made there are still captured, refunded, recovered and notified through it.',
    params: { id: IDS.account, provider_account: IDS.providerAccount }, query: noQuerySchema,
    responses: [ok('ProviderAccount', 'The ProviderAccount, with `deactivated_at`')],
  },
  {
    method: 'post', path: '/operator/keys/{id}/roll', operationId: 'RollApiKey', tag: 'Operator', auth: 'operator_key',
    summary: 'Roll an API key', description: 'A new key like it; the old one keeps working for `expires_in` seconds.',
    params: { id: IDS.key }, body: { component: 'RollApiKeyParams', media: JSON_BODY },
    responses: [ok('ApiKeyWithSecret', 'The new ApiKey with its `secret`, shown this once')],
    errors: { 400: ['api_key_expired'] },
  },
  {
    method: 'get', path: '/operator/reconciliation', operationId: 'GetReconciliation', tag: 'Operator', auth: 'operator_key',
    summary: 'The reconciliation report', description: 'Provider calls with no known outcome that nobody is working on, and amounts a provider settled differently than asked.', query: noQuerySchema,
    responses: [ok('ReconciliationReport', 'The report')],
  },
  {
    method: 'post', path: '/operator/reconciliation', operationId: 'RunReconciliation', tag: 'Operator', auth: 'operator_key',
    summary: 'Ask the providers now', description: 'Asks each provider that can be asked about every open call (as recovery does at start and every minute), then reports what is left.',
    body: { component: 'EmptyParams', media: JSON_BODY },
    responses: [ok('ReconciliationReport', 'The report, with how many calls were settled')],
  },
  {
    method: 'post', path: '/operator/keys/{id}/revoke', operationId: 'RevokeApiKey', tag: 'Operator', auth: 'operator_key',
    summary: 'Revoke an API key', description: 'It stops working at once.',
    params: { id: IDS.key }, body: { component: 'EmptyParams', media: JSON_BODY },
    responses: [ok('ApiKey', 'The ApiKey, with `revoked_at`')],
    errors: { 400: ['api_key_expired'] },
  },
];

const script = { 'Cache-Control': 'public, max-age=300, must-revalidate (an ETag too)', 'Access-Control-Allow-Origin': '`*`' } as const;
/** Versioned URLs, loaded by kassa.js on any site: their bytes never change. */
const immutable = { 'Cache-Control': 'public, max-age=31536000, immutable', 'Access-Control-Allow-Origin': '`*`' } as const;
/** The card page's content-addressed scripts: same-origin only (no CORS), cached for good. */
const frameChunk = { 'Cache-Control': 'public, max-age=31536000, immutable' } as const;

const pageOps: OperationSpec[] = [
  {
    method: 'get', path: '/kassa.js', operationId: 'WidgetScript', tag: 'Pages', auth: 'none',
    summary: 'The widget for a `<script>` tag', description: 'Always the latest build.',
    responses: [
      { status: 200, description: 'The script', media: ['text/javascript'], headers: script },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/kassa@{version}.js', operationId: 'PinnedWidgetScript', tag: 'Pages', auth: 'none',
    summary: 'The widget, pinned to a version', description: 'The same bytes as `/kassa.js`, cacheable for good. Only `@kassa/widget`\'s own version is served.',
    params: { version: "`@kassa/widget`'s version, e.g. `0.1.0` (see `/kassa.json`)" },
    responses: [
      { status: 200, description: 'The script', media: ['text/javascript'], headers: immutable },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 404: ['resource_missing'], 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/kassa@{version}/locales/{locale}.json', operationId: 'WidgetLocale', tag: 'Pages', auth: 'none',
    summary: "One locale's strings, fetched by the widget",
    description: 'Every key of the English table; kassa.js checks the bytes against the SHA-256 it was built with. Versioned like the pinned script, so cacheable for good.',
    params: {
      version: { description: "`@kassa/widget`'s version: only the one this server has (see `/kassa.json`)", example: '0.1.0' },
      locale: { description: 'A locale of the widget', enum: LOCALES, example: 'zh-CN' },
    },
    responses: [
      { status: 200, description: 'The strings, by message key', media: ['application/json'], headers: immutable },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 404: ['resource_missing'], 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/kassa.json', operationId: 'WidgetManifest', tag: 'Pages', auth: 'none',
    summary: 'The pinned script URL and its integrity',
    responses: [
      { ...ok('ScriptManifest', 'Where the pinned script is, and its Subresource Integrity hash'), headers: { 'Cache-Control': 'no-cache (an ETag too)', 'Access-Control-Allow-Origin': '`*`' } },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/frame/card', operationId: 'CardFrame', tag: 'Pages', auth: 'none',
    summary: 'The card-entry page', description: 'Framed by the widget: framable by exactly `origin` (CSP `frame-ancestors`), which must be an allowed origin of a merchant.',
    query: frameQuerySchema,
    responses: [{ status: 200, description: 'The page', media: ['text/html'] }],
    errors: { 400: ['origin_not_allowed'] },
  },
  {
    method: 'get', path: '/frame/frame.css', operationId: 'CardFrameStyles', tag: 'Pages', auth: 'none',
    summary: "The card page's stylesheet",
    responses: [{ status: 200, description: 'The stylesheet', media: ['text/css'] }],
  },
  {
    method: 'get', path: '/frame/card.{hash}.js', operationId: 'CardFrameScriptByHash', tag: 'Pages', auth: 'none',
    summary: "The card page's script under its content hash",
    description: 'What the card page links. A hash of another build is a 404, never a substitute.',
    params: { hash: { description: "The first 16 hex digits of the script's SHA-256", pattern: FRAME_URL_PARTS.scriptHash, example: '0123456789abcdef' } },
    responses: [
      { status: 200, description: 'The script', media: ['text/javascript'], headers: frameChunk },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 404: ['route_not_found'], 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/frame/{name}-{hash}.js', operationId: 'CardFrameChunk', tag: 'Pages', auth: 'none',
    summary: "A chunk of the card page's script, named by its content",
    description: "One per locale but English (built in); the card page preloads the shopper's.",
    params: {
      name: { description: "The chunk's name (a locale's, for its strings)", pattern: FRAME_URL_PARTS.chunkName, example: 'ja' },
      hash: { description: 'Eight characters of its content hash', pattern: FRAME_URL_PARTS.chunkHash, example: 'CTHxDTLF' },
    },
    responses: [
      { status: 200, description: 'The chunk', media: ['text/javascript'], headers: frameChunk },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 404: ['route_not_found'] },
  },
  {
    method: 'get', path: '/frame/{file}', operationId: 'CardFrameScript', tag: 'Pages', auth: 'none',
    summary: "The card page's script by its plain name, and its source maps",
    description: 'Revalidated on every use (`Cache-Control: no-cache`, an ETag).',
    params: { file: '`card.js`, or a script or source map the widget build made next to it' },
    responses: [
      { status: 200, description: 'The script (a source map is `application/json`)', media: ['text/javascript', 'application/json'] },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
    errors: { 404: ['route_not_found'], 503: ['widget_not_built'] },
  },
  {
    method: 'get', path: '/openapi.json', operationId: 'OpenApiDocument', tag: 'Reference', auth: 'none',
    summary: 'This document', description: 'OpenAPI 3.1, generated from the schemas the server validates with.',
    query: noQuerySchema,
    responses: [
      { status: 200, description: 'The OpenAPI document', media: ['application/json'], headers: { 'Cache-Control': 'no-cache (an ETag too)', 'Access-Control-Allow-Origin': '`*`' } },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
  },
  {
    method: 'get', path: '/docs', operationId: 'ApiReference', tag: 'Reference', auth: 'none',
    summary: 'The API reference', description: 'This document as a page, rendered by the server: no script, nothing from another origin.',
    query: noQuerySchema,
    responses: [
      { status: 200, description: 'The reference page', media: ['text/html'], headers: { 'Cache-Control': 'no-cache (an ETag too)' } },
      { status: 304, description: 'Not modified (`If-None-Match`)' },
    ],
  },
];

const actionRef = { ref: "The action (from `next_action`): the provider's reference for the payment" };
const providerType = { type: { description: 'The provider type', enum: ['paypal', 'alipay', 'stripe', 'adyen'], example: 'paypal' } };
const providerOps: OperationSpec[] = [
  {
    method: 'get', path: '/actions/assets/action.css', operationId: 'ActionPageStyles', tag: 'Providers', auth: 'none',
    summary: "The action page's stylesheet", responses: [{ status: 200, description: 'The stylesheet', media: ['text/css'] }],
  },
  {
    method: 'get', path: '/actions/assets/action.js', operationId: 'ActionPageScript', tag: 'Providers', auth: 'none',
    summary: "The action page's script (opens the provider's window, counts down, asks for the status, tells the host page)",
    responses: [{ status: 200, description: 'The script', media: ['text/javascript'] }],
  },
  {
    method: 'get', path: '/actions/{ref}', operationId: 'ActionPage', tag: 'Providers', auth: 'none',
    summary: 'Kassa\'s page for a payment waiting for the shopper: the QR code, the button to the provider\'s window, or the wait for an approval in the shopper\'s app',
    description: 'Framable by exactly `origin` (an allowed origin of the intent\'s merchant); posts `challenge_complete` to it once the payment is over. Opened by hand (no `channel`, `origin`), it is not framable.',
    params: actionRef, query: actionQuerySchema, queryCodes: ['parameter_invalid', 'parameter_unknown'],
    responses: [{ status: 200, description: 'The page', media: ['text/html'] }],
    errors: { 400: ['origin_not_allowed'], 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/actions/{ref}/qr.svg', operationId: 'ActionQrCode', tag: 'Providers', auth: 'none',
    summary: "The action's QR code as an SVG image (`next_action.display_qr_code.image_url_svg`)", params: actionRef,
    responses: [{ status: 200, description: 'The code', media: ['image/svg+xml'] }],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/actions/{ref}/redirect', operationId: 'ActionRedirectForm', tag: 'Providers', auth: 'none',
    summary: "A provider's page reached by POST (`next_action.redirect_to_url.url` of such an action): a form Kassa's script submits to the provider",
    description: "The provider's fields never appear in the API; this page carries them. Not framable; its CSP lets it post to the provider's origin only.",
    params: actionRef, query: actionQuerySchema.pick({ locale: true }), queryCodes: ['parameter_invalid', 'parameter_unknown'],
    responses: [{ status: 200, description: 'The form', media: ['text/html'] }],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/actions/{ref}/status', operationId: 'ActionStatus', tag: 'Providers', auth: 'none',
    summary: 'Where the payment stands, for the action page; while it waits, Kassa asks the provider (at most every 2 s per action)',
    params: actionRef, responses: [{ status: 200, description: 'The status', json: 'ActionStatus' }],
    errors: { 404: ['resource_missing'] },
  },
  {
    method: 'get', path: '/providers/{type}/return', operationId: 'ProviderReturn', tag: 'Providers', auth: 'none',
    summary: "The shopper back from the provider's page: the action is completed with what the provider added to the URL",
    description: "Then on to the intent's `return_url` (with `payment_intent`, `payment_intent_client_secret`, `redirect_status`), or, without one (the widget's window), a page saying it can be closed.",
    params: providerType,
    responses: [
      { status: 200, description: 'The window may be closed', media: ['text/html'] },
      { status: 303, description: 'Back to `return_url`', headers: { Location: '`return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`' } },
    ],
    errors: { 400: ['parameter_invalid', 'parameter_missing'], 404: ['resource_missing'] },
  },
  {
    method: 'post', path: '/providers/{type}/return', operationId: 'ProviderReturnPost', tag: 'Providers', auth: 'none',
    summary: 'The same, for a provider that posts the shopper back (a form)', params: providerType,
    body: { component: 'ProviderReturnForm', media: ['application/x-www-form-urlencoded'] },
    responses: [
      { status: 200, description: 'The window may be closed', media: ['text/html'] },
      { status: 303, description: 'Back to `return_url`', headers: { Location: '`return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`' } },
    ],
    errors: { 400: ['parameter_invalid', 'parameter_missing'], 404: ['resource_missing'] },
  },
  {
    method: 'post', path: '/providers/{type}/webhooks', operationId: 'ProviderNotification', tag: 'Providers', auth: 'none',
    summary: "The provider's notifications, verified on the raw body (signature), stored, acknowledged, then applied",
    description: 'Applying asks the provider; a replayed or late notification changes nothing. Answered with what the provider expects (`success` for Alipay).',
    params: providerType,
    responses: [{ status: 200, description: "The provider's acknowledgement", media: ['text/plain'] }],
    errors: { 400: ['notification_invalid'], 404: ['resource_missing'], 413: ['body_too_large'] },
  },
];

/** The operations of the app's own routers (mounted routers bring theirs, see `sandboxOperations`). */
export const OPERATIONS: readonly OperationSpec[] = [
  ...intentOps,
  ...refundOps,
  ...balanceOps,
  ...customerOps,
  ...webhookOps,
  ...clientOps,
  ...operatorOps,
  ...pageOps,
  ...providerOps,
];

/**
 * The sandbox issuer's challenge pages, mounted at `/sandbox` by the composition root. Its
 * schemas are passed in: http/ describes the routes without importing the adapter.
 */
export function sandboxOperations(schemas: { query: z.ZodObject; choice: z.ZodObject }): MountedApi {
  const challenge = { id: 'The challenge, `tds_…` (from `next_action`)' };
  const formBody = { component: 'ChallengeChoice' as const, media: ['application/x-www-form-urlencoded', 'application/json'] as const };
  // The guard answers a bad query with `parameter_invalid` naming the parameter, unknown ones too.
  const queryCodes = ['parameter_invalid'] as const;
  const operations: OperationSpec[] = [
    {
      method: 'get', path: '/sandbox/assets/challenge.css', operationId: 'SandboxChallengeStyles', tag: 'Sandbox', auth: 'none',
      summary: "The challenge page's stylesheet", responses: [{ status: 200, description: 'The stylesheet', media: ['text/css'] }],
    },
    {
      method: 'get', path: '/sandbox/assets/challenge.js', operationId: 'SandboxChallengePageScript', tag: 'Sandbox', auth: 'none',
      summary: "The challenge page's script (tells the host page its height, focuses the first control)", responses: [{ status: 200, description: 'The script', media: ['text/javascript'] }],
    },
    {
      method: 'get', path: '/sandbox/assets/challenge-complete.js', operationId: 'SandboxChallengeScript', tag: 'Sandbox', auth: 'none',
      summary: "The result page's script (tells the host page the challenge is over)", responses: [{ status: 200, description: 'The script', media: ['text/javascript'] }],
    },
    {
      method: 'get', path: '/sandbox/3ds/{id}', operationId: 'SandboxChallenge', tag: 'Sandbox', auth: 'none',
      summary: 'The framed 3-D Secure challenge', description: 'Framable by exactly `origin`, an allowed origin of the intent\'s merchant.',
      params: challenge, query: schemas.query, queryCodes,
      responses: [{ status: 200, description: 'The challenge, or its result once decided', media: ['text/html'] }],
      errors: { 400: ['origin_not_allowed'], 404: ['resource_missing'] },
    },
    {
      method: 'post', path: '/sandbox/3ds/{id}', operationId: 'SandboxDecideChallenge', tag: 'Sandbox', auth: 'none',
      summary: "The shopper's choice, posted by the challenge page's form",
      description: 'Only the page itself may post (`Sec-Fetch-Site`, `Origin`) and only with its form token.',
      params: challenge, query: schemas.query, queryCodes, body: formBody,
      responses: [{ status: 200, description: 'The result page; it posts `challenge_complete` to `origin`', media: ['text/html'] }],
      errors: { 400: ['origin_not_allowed'], 403: ['origin_not_allowed', 'form_token_invalid'], 404: ['resource_missing'] },
    },
    {
      method: 'get', path: '/sandbox/3ds/{id}/redirect', operationId: 'SandboxChallengePage', tag: 'Sandbox', auth: 'none',
      summary: 'The 3-D Secure challenge as a whole page', description: 'For a server-side confirm with `return_url` (`next_action.redirect_to_url`).',
      params: challenge,
      responses: [
        { status: 200, description: 'The challenge', media: ['text/html'] },
        { status: 303, description: 'Decided already: back to `return_url`', headers: { Location: '`return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`' } },
      ],
      errors: { 404: ['resource_missing'] },
    },
    {
      method: 'post', path: '/sandbox/3ds/{id}/redirect', operationId: 'SandboxDecideChallengePage', tag: 'Sandbox', auth: 'none',
      summary: "The shopper's choice on the whole-page challenge", params: challenge, body: formBody,
      responses: [
        { status: 303, description: 'Back to `return_url`', headers: { Location: '`return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`' } },
      ],
      errors: { 403: ['origin_not_allowed', 'form_token_invalid'], 404: ['resource_missing'] },
    },
  ];
  return { operations, components: { ChallengeChoice: schemas.choice } };
}
