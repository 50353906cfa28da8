/**
 * A strict local stand-in for Stripe's API (the part Kassa's adapter uses), on a real
 * `node:http` server on port 0. Strict where Stripe is, so the adapter cannot pass here and fail
 * there:
 *
 *   - `Authorization: Bearer sk_test_…` with the one key it was started with (else 401, Stripe's
 *     shape); a well-formed `Stripe-Version` if one is sent; POST bodies only as
 *     `application/x-www-form-urlencoded` in Stripe's bracket encoding;
 *   - every parameter checked against the endpoint's list: unknown → 400 `parameter_unknown`,
 *     missing → 400 `parameter_missing`, integers and booleans as Stripe parses them, enums,
 *     metadata limits, currencies and minimum amounts;
 *   - idempotency as Stripe documents it: a key's first answer (once the endpoint started
 *     executing: success, card error, state error, even a 500) is saved and replayed for the same
 *     key and parameters with `Idempotent-Replayed: true`; other parameters → 400
 *     `idempotency_error`; a key whose first request is still running → 409; validation and auth
 *     failures are not saved;
 *   - Stripe's documented test cards, PaymentIntent state machine, card errors (402, `card_error`,
 *     `decline_code`, the intent's `last_payment_error`) and state errors
 *     (`payment_intent_unexpected_state`, `amount_too_large`, `charge_already_refunded`).
 *
 * Fault switches a test can flip (per route, for the next N requests): 500 before or after acting,
 * hang before or after acting, drop the connection before or after acting. Every request is
 * recorded (method, path, headers, raw body, parsed parameters) for assertions.
 *
 * Events: every change of a PaymentIntent (created, requires_action, requires_capture as
 * `amount_capturable_updated`, succeeded, payment_failed, canceled) and every refund
 * (`charge.refunded`, `refund.created`) becomes a Stripe event, signed for the webhook endpoint
 * with the `stripe` SDK's own `webhooks.generateTestHeaderString` — independently of Kassa's
 * verifier — and kept in `notifications`. Once an endpoint is set (`webhookUrl` or `endpoint()`),
 * each is POSTed there, one after the other, after the API answer that caused it (Stripe sends
 * events asynchronously), and Kassa's answer is recorded.
 *
 * Learned from Stripe's API reference, stripe-node's types and error classes and Stripe's OpenAPI
 * fixtures; the code is ours.
 */
import Stripe from 'stripe';
import { luhnValid } from '@kassa/core';
import { LocalServer } from './local-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

// ---- parameters ----

type Params = { [key: string]: Param };
type Param = string | Params | Param[];

type Spec =
  | { kind: 'string'; required?: boolean; max?: number }
  | { kind: 'integer'; required?: boolean; min?: number; max?: number }
  | { kind: 'boolean'; required?: boolean }
  | { kind: 'enum'; values: readonly string[]; required?: boolean }
  | { kind: 'array'; items: Spec; required?: boolean }
  | { kind: 'metadata'; required?: boolean }
  | { kind: 'object'; fields: Record<string, Spec>; required?: boolean };

const str = (o: { required?: boolean; max?: number } = {}): Spec => ({ kind: 'string', ...o });
const int = (o: { required?: boolean; min?: number; max?: number } = {}): Spec => ({ kind: 'integer', ...o });
const bool: Spec = { kind: 'boolean' };
const oneOf = (values: readonly string[], required = false): Spec => ({ kind: 'enum', values, required });
const expand: Spec = { kind: 'array', items: str() };
const metadata: Spec = { kind: 'metadata' };

const PAYMENT_METHOD_DATA: Spec = {
  kind: 'object',
  fields: {
    type: oneOf(['card'], true),
    // Raw card details (an account Stripe lets send them), or a Token made by Stripe.js (`card[token]`): one or the other.
    card: {
      kind: 'object',
      fields: { number: str(), exp_month: int(), exp_year: int(), cvc: str(), token: str() },
    },
    billing_details: { kind: 'object', fields: { name: str(), email: str() } },
    metadata,
  },
};
/** Multicapture is asked per card payment (docs.stripe.com/payments/multicapture). */
const PAYMENT_METHOD_OPTIONS: Spec = {
  kind: 'object',
  fields: { card: { kind: 'object', fields: { request_multicapture: oneOf(['if_available', 'never']) } } },
};
const CARD_DETAILS: Spec = {
  kind: 'object',
  required: true,
  fields: { number: str({ required: true }), exp_month: int({ required: true }), exp_year: int({ required: true }), cvc: str() },
};

const ROUTES = {
  create_intent: {
    amount: int({ required: true, max: 99_999_999 }),
    currency: str({ required: true }),
    capture_method: oneOf(['automatic', 'automatic_async', 'manual']),
    allowed_payment_method_types: { kind: 'array', items: str() },
    confirm: bool,
    description: str({ max: 1000 }),
    metadata,
    payment_method: str(),
    payment_method_data: PAYMENT_METHOD_DATA,
    off_session: bool,
    return_url: str(),
    expand,
  },
  confirm: { payment_method: str(), payment_method_data: PAYMENT_METHOD_DATA, payment_method_options: PAYMENT_METHOD_OPTIONS, off_session: bool, return_url: str(), expand },
  capture: { amount_to_capture: int(), final_capture: bool, metadata, expand },
  cancel: { cancellation_reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']), expand },
  retrieve: { client_secret: str(), expand },
  create_refund: { payment_intent: str(), charge: str(), amount: int(), metadata, reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']), expand },
  // What Stripe.js does on the shopper's page (with the publishable key): a PaymentMethod or a Token for a card.
  create_payment_method: { type: oneOf(['card'], true), card: CARD_DETAILS, billing_details: { kind: 'object', fields: { name: str(), email: str() } }, metadata, expand },
  create_token: { card: CARD_DETAILS, expand },
  list_refunds: { payment_intent: str(), charge: str(), limit: int({ min: 1, max: 100 }), starting_after: str(), ending_before: str(), expand },
} satisfies Record<string, Record<string, Spec>>;

export type Route = keyof typeof ROUTES;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Raised after the endpoint started executing: saved under the idempotency key. */
    readonly executed = true,
  ) {
    super(String(body.message));
  }
}

const invalid = (message: string, extra: Record<string, unknown> = {}, executed = false): ApiError =>
  new ApiError(400, { type: 'invalid_request_error', message, ...extra }, executed);

/** Stripe's form encoding: `a[b][c]=v`, arrays as `a[0]=v`; a key sent twice is refused. */
export function parseForm(body: string): Params {
  const root: Params = {};
  const seen = new Set<string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (seen.has(key)) throw invalid(`Received duplicate parameter: ${key}`, { param: key });
    seen.add(key);
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw invalid(`Invalid parameter name: ${key}`, { param: key });
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    let node: Params = root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]!];
      if (next === undefined) node = node[path[i]!] = {};
      else if (typeof next === 'object' && !Array.isArray(next)) node = next;
      else throw invalid(`Invalid parameter: ${key}`, { param: key });
    }
    const leaf = path[path.length - 1]!;
    if (node[leaf] !== undefined) throw invalid(`Received duplicate parameter: ${key}`, { param: key });
    node[leaf] = value;
  }
  return root;
}

/** Checks parameters against an endpoint's list and returns them typed (integers as numbers...). */
function validate(params: Params, fields: Record<string, Spec>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = (k: string): string => (prefix ? `${prefix}[${k}]` : k);
  for (const key of Object.keys(params)) {
    if (!(key in fields)) throw invalid(`Received unknown parameter: ${name(key)}`, { code: 'parameter_unknown', param: name(key) });
  }
  for (const [key, spec] of Object.entries(fields)) {
    const value = params[key];
    if (value === undefined) {
      if (spec.required) throw invalid(`Missing required param: ${name(key)}.`, { code: 'parameter_missing', param: name(key) });
      continue;
    }
    out[key] = check(value, spec, name(key));
  }
  return out;
}

function check(value: Param, spec: Spec, param: string): unknown {
  const kind = spec.kind;
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw invalid(`Invalid string: ${param}`, { param });
      if (value === '') throw invalid(`You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`, { code: 'parameter_invalid_empty', param });
      if (spec.max !== undefined && value.length > spec.max) throw invalid(`Invalid ${param}: must be at most ${spec.max} characters`, { param });
      return value;
    case 'integer': {
      if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw invalid(`Invalid integer: ${typeof value === 'string' ? value : param}`, { code: 'parameter_invalid_integer', param });
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) throw invalid(`This value must be greater than or equal to ${spec.min}.`, { param });
      if (spec.max !== undefined && n > spec.max) throw invalid(`This value must be less than or equal to ${spec.max}.`, { param });
      return n;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${typeof value === 'string' ? value : param}`, { param });
      return value === 'true';
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) throw invalid(`Invalid ${param}: must be one of ${spec.values.join(', ')}`, { param });
      return value;
    case 'array': {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid array: ${param}`, { param });
      const keys = Object.keys(value);
      keys.forEach((k, i) => {
        if (k !== String(i)) throw invalid(`Invalid array: ${param}`, { param });
      });
      return keys.map((k) => check(value[k]!, spec.items, `${param}[${k}]`));
    }
    case 'metadata': {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid object: ${param}`, { param });
      const entries = Object.entries(value);
      if (entries.length > 50) throw invalid('Metadata can have up to 50 keys.', { param });
      const out: Record<string, string> = {};
      for (const [k, v] of entries) {
        if (typeof v !== 'string') throw invalid(`Invalid value for ${param}[${k}]: must be a string`, { param: `${param}[${k}]` });
        if (k.length > 40) throw invalid(`Metadata keys can be up to 40 characters long.`, { param: `${param}[${k}]` });
        if (v.length > 500) throw invalid(`Metadata values can be up to 500 characters long.`, { param: `${param}[${k}]` });
        out[k] = v;
      }
      return out;
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid object: ${param}`, { param });
      return validate(value, spec.fields, param);
    default: {
      const unknown: never = kind;
      throw new Error(`spec kind ${String(unknown)}`);
    }
  }
}

// ---- cards ----

interface CardDetails {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc?: string;
}

type CardBehavior =
  | { kind: 'approve' }
  | { kind: 'decline'; code: string; decline_code?: string; message: string }
  | { kind: 'three_d_secure' };

const DECLINED = 'Your card was declined.';
/** Stripe's documented test numbers (https://docs.stripe.com/testing). A number not listed is a live card, which test mode refuses. */
const TEST_CARDS: Record<string, CardBehavior> = {
  '4242424242424242': { kind: 'approve' },
  '4000056655665556': { kind: 'approve' },
  '5555555555554444': { kind: 'approve' },
  '378282246310005': { kind: 'approve' },
  '6200000000000005': { kind: 'approve' },
  '4000000000000002': { kind: 'decline', code: 'card_declined', decline_code: 'generic_decline', message: DECLINED },
  '4000000000009995': { kind: 'decline', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '4000000000009987': { kind: 'decline', code: 'card_declined', decline_code: 'lost_card', message: DECLINED },
  '4000000000009979': { kind: 'decline', code: 'card_declined', decline_code: 'stolen_card', message: DECLINED },
  '4000000000000069': { kind: 'decline', code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': { kind: 'decline', code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  '4000000000000119': { kind: 'decline', code: 'processing_error', decline_code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' },
  '4000002500003155': { kind: 'three_d_secure' },
  '4000000000003220': { kind: 'three_d_secure' },
  '4000002760003184': { kind: 'three_d_secure' },
};


const BRANDS: [RegExp, string][] = [[/^4/, 'visa'], [/^5[1-5]/, 'mastercard'], [/^3[47]/, 'amex'], [/^62/, 'unionpay']];

// ---- objects ----

const CURRENCIES = new Set(['usd', 'eur', 'gbp', 'jpy', 'cny', 'chf', 'cad', 'aud', 'hkd', 'sgd', 'krw', 'sek', 'nok', 'dkk', 'nzd']);
/** Stripe's minimum charge amounts in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), for those we test. */
const MINIMUM: Record<string, number> = { usd: 50, eur: 50, gbp: 30, jpy: 50, chf: 50, cad: 50, aud: 50 };

type IntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  capture_method: string;
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: null;
  description: string | null;
  last_payment_error: Record<string, unknown> | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  next_action: Record<string, unknown> | null;
  payment_method: string | null;
  payment_method_types: string[];
  canceled_at: number | null;
  cancellation_reason: string | null;
  status: IntentStatus;
}

interface IntentState {
  intent: Intent;
  /** The card number, kept by "Stripe" for the account bookkeeping (never sent back). */
  card?: string;
  challenge?: 'pending' | 'passed' | 'failed';
  refunded: number;
  /** The confirm asked for multicapture (`request_multicapture: if_available`) on a manual-capture intent; every test card has it available. */
  multicapture?: boolean;
}

interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded' | 'failed';
  /** Set when the refund fails afterwards (Stripe's values: `expired_or_canceled_card`, `lost_or_stolen_card`, …). */
  failure_reason?: string;
}

const id = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = (): number => Math.floor(Date.now() / 1000);

// ---- the server ----

/**
 * `*-before`: the endpoint never acts (a load balancer's 500 or reset, a 429); `hang-before` leaves
 * the key running, as a request Stripe is still working on does (a repeat gets 409).
 * `*-after`: the endpoint acted and its answer is saved under the key, then the 500 (saved in its
 * place, as Stripe does), the hang or the dropped connection.
 */
export type FaultKind = '500-before' | '429-before' | 'hang-before' | 'drop-before' | '500-after' | 'hang-after' | 'drop-after';

export interface RecordedRequest {
  method: string;
  path: string;
  route: Route | undefined;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  params: Params | undefined;
  idempotencyKey: string | undefined;
  /** What the fake answered (undefined: it hung or dropped the connection). */
  status?: number;
  replayed?: boolean;
  /** The client closed the connection before an answer was written (an aborted call). */
  abandoned?: boolean;
}

interface Saved {
  fingerprint: string;
  state: 'running' | 'done';
  status: number;
  body: unknown;
  requestId: string;
}

export interface StripeFakeOptions {
  secretKey?: string;
  /** The webhook endpoint's signing secret; default a new `whsec_…`. */
  webhookSecret?: string;
  /** Where events are POSTed (Kassa's /providers/stripe/webhooks); without one they are signed and kept, not sent. */
  webhookUrl?: string;
}

/** An event the fake signed, and (once sent) what the endpoint answered. */
export interface SentEvent {
  event: { id: string; type: string; data: { object: Record<string, unknown> } } & Record<string, unknown>;
  /** The raw body, exactly as signed and sent. */
  body: string;
  /** The `Stripe-Signature` header of the last delivery. */
  signature: string;
  url?: string;
  status?: number;
  answer?: string;
  error?: string;
}

export class StripeFake {
  #secretKey: string;
  /** The account the keys belong to: Stripe scopes idempotency keys by account, not by API key. */
  readonly #accountId = `acct_${randomBytes(8).toString('hex')}`;
  readonly webhookSecret: string;
  readonly requests: RecordedRequest[] = [];
  /** Every event, in the order made. */
  readonly notifications: SentEvent[] = [];
  #webhookUrl: string | undefined;
  #deliveries: Promise<void> = Promise.resolve();
  readonly #http: LocalServer;
  readonly #intents = new Map<string, IntentState>();
  /** PaymentMethods and Tokens made by `POST /v1/payment_methods` and `/v1/tokens` (Stripe.js on the shopper's page). */
  readonly #paymentMethods = new Map<string, { card: CardDetails; used: boolean }>();
  readonly #tokens = new Map<string, { card: CardDetails; used: boolean }>();
  readonly #refunds: Refund[] = [];
  readonly #keys = new Map<string, Saved>();
  readonly #accounts = new Map<string, { balance: number; held: number }>();
  readonly #faults: { route: Route | '*'; kind: FaultKind; times: number }[] = [];

  private constructor(options: StripeFakeOptions) {
    this.#secretKey = options.secretKey ?? `sk_test_${randomBytes(18).toString('hex')}`;
    this.webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`;
    this.#webhookUrl = options.webhookUrl;
    this.#http = new LocalServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: StripeFakeOptions = {}): Promise<StripeFake> {
    const fake = new StripeFake(options);
    await fake.#http.listen(0);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#http.port}`;
  }

  async close(): Promise<void> {
    await this.#deliveries;
    await this.#http.close();
  }

  /** From now on, events are POSTed to `url` (a server's URL is known only once it listens). */
  endpoint(url: string): void {
    this.#webhookUrl = url;
  }

  /** Every delivery made so far has been answered (or failed). */
  async delivered(): Promise<SentEvent[]> {
    await this.#deliveries;
    return this.notifications;
  }

  /** A body signed as Stripe signs a delivery (`t=<timestamp>,v1=<HMAC-SHA256>`), by the SDK. */
  sign(body: string, o: { timestamp?: number; secret?: string } = {}): string {
    return Stripe.webhooks.generateTestHeaderString({ payload: body, secret: o.secret ?? this.webhookSecret, timestamp: o.timestamp ?? now() });
  }

  /** Sends an event again, newly signed, as Stripe retries one it was not sure reached the endpoint. */
  async redeliver(sent: SentEvent): Promise<SentEvent> {
    sent.signature = this.sign(sent.body);
    await (this.#deliveries = this.#deliveries.then(() => this.#deliver(sent)));
    return sent;
  }

  #emit(type: string, object: object): void {
    const event = {
      id: id('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      // A copy: the object as it was when the event happened, not as it is when it is read.
      data: { object: JSON.parse(JSON.stringify(object)) as Record<string, unknown> },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const body = JSON.stringify(event, null, 2);
    const sent: SentEvent = { event, body, signature: this.sign(body) };
    this.notifications.push(sent);
    // After the API answer that caused it (a microtask would come before the answer is written).
    if (this.#webhookUrl) this.#deliveries = this.#deliveries.then(() => new Promise((r) => setImmediate(r))).then(() => this.#deliver(sent));
  }

  async #deliver(sent: SentEvent): Promise<void> {
    const url = this.#webhookUrl;
    if (!url) return;
    sent.url = url;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': sent.signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
        body: sent.body,
        signal: AbortSignal.timeout(3000),
      });
      sent.status = res.status;
      sent.answer = await res.text();
      sent.error = undefined;
    } catch (e) {
      sent.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }

  /** The next `times` requests to `route` (or any) meet this fault. */
  fault(route: Route | '*', kind: FaultKind, times = 1): void {
    this.#faults.push({ route, kind, times });
  }

  /** The account's secret key (it changes when rolled). */
  get secretKey(): string {
    return this.#secretKey;
  }

  /** Rolls the secret key as Stripe's dashboard does, with no overlap: the old one is refused (401) from now on. */
  rollKey(): string {
    this.#secretKey = `sk_test_${randomBytes(18).toString('hex')}`;
    return this.#secretKey;
  }

  /** The shopper finished the 3-D Secure challenge of an intent (what Stripe's hosted page records). */
  challenge(intentId: string, passed: boolean): void {
    const st = this.#intents.get(intentId);
    if (!st || st.challenge !== 'pending' || st.intent.status !== 'requires_action') throw new Error(`no pending challenge for ${intentId}`);
    st.challenge = passed ? 'passed' : 'failed';
    if (passed) this.#approve(st);
    else {
      st.intent.status = 'requires_payment_method';
      st.intent.next_action = null;
      st.intent.payment_method = null;
      st.intent.last_payment_error = {
        type: 'card_error',
        code: 'payment_intent_authentication_failure',
        message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
      };
      this.#emit('payment_intent.payment_failed', st.intent);
    }
  }

  /**
   * The card's bank refused a refund Stripe had accepted (the card was closed, say): as Stripe
   * does, the Refund becomes `failed` with its `failure_reason`, the money goes back to the
   * account's balance (not to the card), and `refund.updated`, `charge.refund.updated` and
   * `refund.failed` are sent, each with the Refund.
   */
  failRefund(refundId: string, reason = 'expired_or_canceled_card'): void {
    const refund = this.#refunds.find((r) => r.id === refundId);
    const st = refund && this.#intents.get(refund.payment_intent);
    if (!refund || !st || refund.status !== 'succeeded') throw new Error(`no succeeded refund ${refundId}`);
    refund.status = 'failed';
    refund.failure_reason = reason;
    st.refunded -= refund.amount;
    this.#account(st).balance -= refund.amount;
    this.#emit('refund.updated', refund);
    this.#emit('charge.refund.updated', refund);
    this.#emit('refund.failed', refund);
  }

  /** The refunds made, oldest first. */
  refunds(): Refund[] {
    return this.#refunds.map((r) => ({ ...r }));
  }

  intent(intentId: string): Intent | undefined {
    return this.#intents.get(intentId)?.intent;
  }

  intents(): Intent[] {
    return [...this.#intents.values()].map((s) => s.intent);
  }

  /** What the issuer holds and what is left on a card (every card starts with 1,000,000 minor units). */
  account(cardNumber: string, currency: string): { balance: number; held: number } | null {
    const a = this.#accounts.get(`${cardNumber}|${currency}`);
    return a ? { ...a } : null; // a copy: a test compares before and after
  }

  /** How many requests reached a route and were acted on (not replays, not refused before acting). */
  acted(route: Route): number {
    return this.requests.filter((r) => r.route === route && r.replayed === false).length;
  }

  // ---- request handling ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const match = routeOf(method, url.pathname);
    const key = header(req, 'idempotency-key');
    const record: RecordedRequest = { method, path: url.pathname + url.search, route: match?.route, headers: { ...req.headers }, rawBody, params: undefined, idempotencyKey: key };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    const requestId = id('req');
    const send = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': requestId, 'Stripe-Version': header(req, 'stripe-version') ?? '2026-10-28.endive', ...extra });
      res.end(JSON.stringify(body));
    };
    const fail = (e: ApiError): void => send(e.status, { error: { ...e.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } });

    try {
      if (url.pathname.startsWith('/3ds/') && method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>3D Secure 2 Test Page</title>');
        return;
      }
      this.#authenticate(req);
      if (!match) throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` }, false);
      let params: Params;
      if (method === 'POST') {
        const type = header(req, 'content-type') ?? '';
        if (!/^application\/x-www-form-urlencoded\b/.test(type)) {
          throw invalid('Invalid request (check that your POST content type is application/x-www-form-urlencoded). If you have any questions, we can help at https://support.stripe.com/.');
        }
        if (url.search) throw invalid('Parameters of a POST go in the body, not the query string.');
        params = parseForm(rawBody);
      } else {
        if (rawBody) throw invalid('A GET request has no body.');
        params = parseForm(url.search.slice(1));
      }
      record.params = params;
      const typed = validate(params, ROUTES[match.route]);

      if (method === 'POST' && key !== undefined) {
        if (key.length > 255) throw invalid('Idempotency keys can be at most 255 characters long.', { param: 'Idempotency-Key' });
        const scope = `${this.#accountId}|${key}`;
        const fingerprint = `${method} ${url.pathname} ${canonical(params)}`;
        const saved = this.#keys.get(scope);
        if (saved) {
          if (saved.fingerprint !== fingerprint) {
            throw new ApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` }, false);
          }
          if (saved.state === 'running') {
            throw new ApiError(409, { type: 'idempotency_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this Stripe-Idempotency key (which probably means you submitted twice). Please try again later.' }, false);
          }
          record.replayed = true;
          send(saved.status, saved.body, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': key, 'Original-Request': saved.requestId });
          return;
        }
        const entry: Saved = { fingerprint, state: 'running', status: 0, body: null, requestId };
        this.#keys.set(scope, entry);
        const done = this.#act(match, typed, record, res, send, (status, body) => {
          entry.state = 'done';
          entry.status = status;
          entry.body = body;
        }, () => this.#keys.delete(scope));
        await done;
        return;
      }
      await this.#act(match, typed, record, res, send, () => undefined, () => undefined);
    } catch (e) {
      if (e instanceof ApiError) fail(e);
      else send(500, { error: { type: 'api_error', message: `fake: ${e instanceof Error ? e.message : String(e)}` } });
    }
  }

  /** Runs an endpoint with the faults armed for it; `save` keeps the key's answer, `forget` drops a key that never executed. */
  async #act(
    match: { route: Route; id?: string | undefined },
    params: Record<string, unknown>,
    record: RecordedRequest,
    res: ServerResponse,
    send: (status: number, body: unknown, extra?: Record<string, string>) => void,
    save: (status: number, body: unknown) => void,
    forget: () => void,
  ): Promise<void> {
    const fault = this.#takeFault(match.route);
    const before = fault?.kind.endsWith('-before');
    if (fault && before) {
      record.replayed = undefined;
      if (fault.kind === 'hang-before') return; // the key stays running; the socket is destroyed at close
      forget();
      if (fault.kind === '500-before') return void send(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
      if (fault.kind === '429-before') return void send(429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.' } });
      return void res.socket?.destroy(); // drop-before
    }
    record.replayed = false;
    let status = 200;
    let body: unknown;
    try {
      body = this.#run(match, params);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status = e.status;
      body = { error: { ...e.body } };
      if (!e.executed) {
        forget();
        return void send(status, body);
      }
    }
    if (fault?.kind === '500-after') {
      // Stripe saves the 500 as the key's answer: a replay returns it again.
      const err = { error: { type: 'api_error', message: 'An unknown error occurred' } };
      save(500, err);
      return void send(500, err);
    }
    save(status, body);
    if (fault?.kind === 'drop-after') return void res.socket?.destroy();
    if (fault?.kind === 'hang-after') return;
    send(status, body);
  }

  #takeFault(route: Route): { kind: FaultKind } | undefined {
    const i = this.#faults.findIndex((f) => f.route === route || f.route === '*');
    if (i < 0) return undefined;
    const f = this.#faults[i]!;
    if (--f.times <= 0) this.#faults.splice(i, 1);
    return f;
  }

  #authenticate(req: IncomingMessage): void {
    const auth = header(req, 'authorization');
    if (!auth) {
      throw new ApiError(401, { type: 'invalid_request_error', message: 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').' }, false);
    }
    const m = /^Bearer (\S+)$/.exec(auth);
    if (!m || m[1] !== this.#secretKey) {
      const shown = m?.[1] ? `${m[1].slice(0, 8)}****${m[1].slice(-4)}` : '';
      throw new ApiError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${shown}` }, false);
    }
    const version = header(req, 'stripe-version');
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(version)) {
      throw invalid(`Invalid Stripe API version: ${version}`);
    }
  }

  #run(match: { route: Route; id?: string | undefined }, p: Record<string, unknown>): unknown {
    const route = match.route;
    switch (route) {
      case 'create_intent':
        return this.#createIntent(p);
      case 'confirm':
        return this.#confirm(this.#get(match.id), p).intent;
      case 'capture':
        return this.#capture(this.#get(match.id), p);
      case 'cancel':
        return this.#cancel(this.#get(match.id), p);
      case 'retrieve':
        return this.#get(match.id).intent;
      case 'create_refund':
        return this.#createRefund(p);
      case 'create_payment_method':
      case 'create_token':
        return this.#tokenize(route, p);
      case 'list_refunds': {
        let data = this.#refunds.filter((r) => p.payment_intent === undefined || r.payment_intent === p.payment_intent).reverse();
        const limit = (p.limit as number | undefined) ?? 10;
        const has_more = data.length > limit;
        data = data.slice(0, limit);
        return { object: 'list', data, has_more, url: '/v1/refunds' };
      }
      default: {
        const unknown: never = route;
        throw new Error(String(unknown));
      }
    }
  }

  #get(intentId: string | undefined): IntentState {
    const st = intentId ? this.#intents.get(intentId) : undefined;
    if (!st) throw new ApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: `No such payment_intent: '${intentId}'` });
    return st;
  }

  #createIntent(p: Record<string, unknown>): Intent {
    const currency = p.currency as string;
    if (!CURRENCIES.has(currency)) throw invalid(`Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...CURRENCIES].join(', ')}`, { param: 'currency' });
    const amount = p.amount as number;
    const minimum = MINIMUM[currency] ?? 1;
    if (amount < minimum) throw invalid(`Amount must be at least ${minimum} ${currency}`, { code: 'amount_too_small', param: 'amount' });
    const intentId = id('pi');
    const intent: Intent = {
      id: intentId,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      capture_method: (p.capture_method as string | undefined) ?? 'automatic_async',
      client_secret: `${intentId}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created: now(),
      currency,
      customer: null,
      description: (p.description as string | undefined) ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      next_action: null,
      payment_method: null,
      payment_method_types: (p.allowed_payment_method_types as string[] | undefined) ?? ['card'],
      canceled_at: null,
      cancellation_reason: null,
      status: 'requires_payment_method',
    };
    const st: IntentState = { intent, refunded: 0 };
    this.#intents.set(intentId, st);
    this.#emit('payment_intent.created', intent);
    if (p.confirm === true) return this.#confirm(st, p).intent;
    if (p.off_session !== undefined) throw invalid('You can only pass off_session when confirm is true.', { param: 'off_session' });
    return intent;
  }

  #confirm(st: IntentState, p: Record<string, unknown>): IntentState {
    const pi = st.intent;
    if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation') {
      throw invalid(`You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`, { code: 'payment_intent_unexpected_state', payment_intent: { ...pi } }, true);
    }
    const data = p.payment_method_data as { type: string; card?: Partial<CardDetails> & { token?: string } } | undefined;
    if (data && p.payment_method !== undefined) {
      throw invalid('You cannot pass both payment_method and payment_method_data.', { code: 'parameters_exclusive', param: 'payment_method_data' });
    }
    if (!data && p.payment_method === undefined) {
      throw invalid("You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.", { code: 'payment_intent_unexpected_state' }, true);
    }
    if (data && !data.card) throw invalid('Missing required param: payment_method_data[card].', { code: 'parameter_missing', param: 'payment_method_data[card]' });
    const card = this.#cardFor(p.payment_method as string | undefined, data?.card);
    const pmId = typeof p.payment_method === 'string' ? p.payment_method : id('pm');
    const brand = BRANDS.find(([re]) => re.test(card.number))?.[1] ?? 'unknown';
    const paymentMethod = { id: pmId, object: 'payment_method', type: 'card', card: { brand, last4: card.number.slice(-4), exp_month: card.exp_month, exp_year: card.exp_year } };
    const decline = (code: string, message: string, decline_code?: string): never => {
      const chargeId = id('ch');
      const error = { type: 'card_error', code, ...(decline_code ? { decline_code } : {}), message, charge: chargeId, doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`, payment_method: paymentMethod };
      pi.status = 'requires_payment_method';
      pi.last_payment_error = error;
      pi.latest_charge = chargeId;
      pi.payment_method = null;
      this.#emit('payment_intent.payment_failed', pi);
      throw new ApiError(402, { ...error, payment_intent: { ...pi } });
    };
    // What the card network says about the number and dates, before the issuer is asked.
    if (!/^\d{12,19}$/.test(card.number) || !luhnValid(card.number)) decline('incorrect_number', 'Your card number is incorrect.');
    if (card.exp_month < 1 || card.exp_month > 12) decline('invalid_expiry_month', "Your card's expiration month is invalid.");
    const today = new Date();
    if (card.exp_year < today.getUTCFullYear()) decline('invalid_expiry_year', "Your card's expiration year is invalid.");
    if (card.exp_year === today.getUTCFullYear() && card.exp_month < today.getUTCMonth() + 1) decline('invalid_expiry_month', "Your card's expiration month is invalid.");
    if (card.cvc !== undefined && !/^\d{3,4}$/.test(card.cvc)) decline('invalid_cvc', "Your card's security code is invalid.");
    const behavior = TEST_CARDS[card.number];
    if (!behavior) decline('card_declined', 'Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing.', 'test_mode_live_card');
    st.card = card.number;
    const options = p.payment_method_options as { card?: { request_multicapture?: string } } | undefined;
    st.multicapture = options?.card?.request_multicapture === 'if_available' && pi.capture_method === 'manual';
    const off = p.off_session === true;
    const kind = behavior!.kind;
    switch (kind) {
      case 'decline': {
        const b = behavior as Extract<CardBehavior, { kind: 'decline' }>;
        return decline(b.code, b.message, b.decline_code);
      }
      case 'three_d_secure':
        if (off) return decline('authentication_required', 'Your card was declined. This transaction requires authentication.', 'authentication_required');
        pi.status = 'requires_action';
        pi.payment_method = pmId;
        pi.last_payment_error = null;
        st.challenge = 'pending';
        pi.next_action = typeof p.return_url === 'string'
          ? { type: 'redirect_to_url', redirect_to_url: { url: `${this.url}/3ds/${pi.id}`, return_url: p.return_url } }
          : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `${this.url}/3ds/${pi.id}` } };
        this.#emit('payment_intent.requires_action', pi);
        return st;
      case 'approve':
        pi.payment_method = pmId;
        this.#approve(st);
        return st;
      default: {
        const unknown: never = kind;
        throw new Error(String(unknown));
      }
    }
  }

  /**
   * The card a confirm pays with: a PaymentMethod Stripe.js made (`payment_method`), a Token
   * (`payment_method_data[card][token]`), or raw details. Stripe's rules: a PaymentMethod of no
   * customer is used by one PaymentIntent; a Token once. Refused before the confirm acts.
   */
  #cardFor(paymentMethod: string | undefined, card: (Partial<CardDetails> & { token?: string }) | undefined): CardDetails {
    if (paymentMethod !== undefined) {
      const pm = this.#paymentMethods.get(paymentMethod);
      if (!pm) throw invalid(`No such PaymentMethod: '${paymentMethod}'`, { code: 'resource_missing', param: 'payment_method' });
      if (pm.used) {
        throw invalid(
          'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
          { code: 'payment_method_unexpected_state', param: 'payment_method' },
        );
      }
      pm.used = true;
      return pm.card;
    }
    const { token, ...details } = card ?? {};
    if (token !== undefined) {
      if (Object.keys(details).length > 0) throw invalid('You cannot pass card details together with card[token].', { code: 'parameters_exclusive', param: 'payment_method_data[card][token]' });
      const tok = this.#tokens.get(token);
      if (!tok) throw invalid(`No such token: '${token}'`, { code: 'resource_missing', param: 'payment_method_data[card][token]' });
      if (tok.used) throw invalid(`You cannot use a Stripe token more than once: ${token}.`, { code: 'token_already_used', param: 'payment_method_data[card][token]' });
      tok.used = true;
      return tok.card;
    }
    for (const field of ['number', 'exp_month', 'exp_year'] as const) {
      if (details[field] === undefined) throw invalid(`Missing required param: payment_method_data[card][${field}].`, { code: 'parameter_missing', param: `payment_method_data[card][${field}]` });
    }
    return details as CardDetails;
  }

  /** `POST /v1/payment_methods` and `/v1/tokens` for a card: what Stripe.js makes on the shopper's page. */
  #tokenize(route: 'create_payment_method' | 'create_token', p: Record<string, unknown>): Record<string, unknown> {
    const card = p.card as CardDetails;
    if (!/^\d{12,19}$/.test(card.number) || !luhnValid(card.number)) throw new ApiError(402, { type: 'card_error', code: 'incorrect_number', param: 'card[number]', message: 'Your card number is incorrect.' }, false);
    const brand = BRANDS.find(([re]) => re.test(card.number))?.[1] ?? 'unknown';
    const view = { brand, last4: card.number.slice(-4), exp_month: card.exp_month, exp_year: card.exp_year, funding: 'credit', country: 'US' };
    if (route === 'create_payment_method') {
      const pmId = id('pm');
      this.#paymentMethods.set(pmId, { card, used: false });
      return { id: pmId, object: 'payment_method', type: 'card', card: view, customer: null, livemode: false, created: now(), metadata: (p.metadata as Record<string, string> | undefined) ?? {} };
    }
    const tokId = id('tok');
    this.#tokens.set(tokId, { card, used: false });
    return { id: tokId, object: 'token', type: 'card', card: { id: id('card'), object: 'card', ...view }, livemode: false, created: now(), used: false };
  }

  #account(st: IntentState): { balance: number; held: number } {
    const k = `${st.card}|${st.intent.currency}`;
    let a = this.#accounts.get(k);
    if (!a) this.#accounts.set(k, (a = { balance: 1_000_000, held: 0 }));
    return a;
  }

  #approve(st: IntentState): void {
    const pi = st.intent;
    const account = this.#account(st);
    pi.next_action = null;
    pi.last_payment_error = null;
    pi.latest_charge = id('ch');
    if (pi.capture_method === 'manual') {
      pi.status = 'requires_capture';
      pi.amount_capturable = pi.amount;
      account.held += pi.amount;
      this.#emit('payment_intent.amount_capturable_updated', pi);
    } else {
      pi.status = 'succeeded';
      pi.amount_received = pi.amount;
      account.balance -= pi.amount;
      this.#emit('payment_intent.succeeded', pi);
    }
  }

  #capture(st: IntentState, p: Record<string, unknown>): Intent {
    const pi = st.intent;
    if (pi.status !== 'requires_capture') {
      throw invalid(`This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`, { code: 'payment_intent_unexpected_state', payment_intent: { ...pi } }, true);
    }
    const amount = (p.amount_to_capture as number | undefined) ?? pi.amount_capturable;
    if (amount > pi.amount_capturable) throw invalid(`The amount_to_capture (${amount}) must be less than or equal to the amount_capturable (${pi.amount_capturable}).`, { code: 'amount_too_large', param: 'amount_to_capture' }, true);
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', { code: 'amount_too_small', param: 'amount_to_capture' }, true);
    const final = p.final_capture !== false;
    if (!final && !st.multicapture) {
      throw invalid('final_capture=false can only be used when multicapture is available for this PaymentIntent (payment_method_options[card][request_multicapture]).', { param: 'final_capture' });
    }
    const account = this.#account(st);
    account.balance -= amount;
    pi.amount_received += amount;
    // A capture that is not the last keeps the rest of the hold for the next (Stripe allows 50).
    const rest = pi.amount_capturable - amount;
    account.held -= final ? pi.amount_capturable : amount;
    pi.amount_capturable = final ? 0 : rest;
    if (pi.amount_capturable > 0) {
      this.#emit('payment_intent.amount_capturable_updated', pi);
      return pi;
    }
    pi.status = 'succeeded';
    this.#emit('payment_intent.succeeded', pi);
    return pi;
  }

  #cancel(st: IntentState, p: Record<string, unknown>): Intent {
    const pi = st.intent;
    const cancelable: IntentStatus[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
    if (!cancelable.includes(pi.status)) {
      throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${cancelable.join(', ')}.`, { code: 'payment_intent_unexpected_state', payment_intent: { ...pi } }, true);
    }
    if (pi.status === 'requires_capture') this.#account(st).held -= pi.amount_capturable;
    if (pi.status === 'requires_capture' && pi.amount_received > 0) {
      // A hold captured in part (multicapture): what was captured stays; the rest is released and
      // the intent is done at what it received (our reading of Stripe's multicapture guide).
      pi.amount_capturable = 0;
      pi.status = 'succeeded';
      this.#emit('payment_intent.succeeded', pi);
      return pi;
    }
    pi.status = 'canceled';
    pi.amount_capturable = 0;
    pi.next_action = null;
    pi.canceled_at = now();
    pi.cancellation_reason = (p.cancellation_reason as string | undefined) ?? null;
    this.#emit('payment_intent.canceled', pi);
    return pi;
  }

  #createRefund(p: Record<string, unknown>): Refund {
    if (p.payment_intent === undefined && p.charge === undefined) {
      throw invalid('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });
    }
    if (p.charge !== undefined) throw invalid('This fake refunds by payment_intent only.', { param: 'charge' });
    const st = this.#intents.get(p.payment_intent as string);
    if (!st) throw new ApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_intent', message: `No such payment_intent: '${String(p.payment_intent)}'` });
    const pi = st.intent;
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { code: 'charge_not_refundable', param: 'payment_intent' }, true);
    }
    const left = pi.amount_received - st.refunded;
    if (left <= 0) throw invalid(`Charge ${pi.latest_charge} has already been refunded.`, { code: 'charge_already_refunded' }, true);
    const amount = (p.amount as number | undefined) ?? left;
    if (amount < 1) throw invalid('Refund amount must be at least 1.', { code: 'amount_too_small', param: 'amount' }, true);
    if (amount > left) throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, { code: 'amount_too_large', param: 'amount' }, true);
    st.refunded += amount;
    this.#account(st).balance += amount;
    const refund: Refund = {
      id: id('re'),
      object: 'refund',
      amount,
      charge: pi.latest_charge,
      created: now(),
      currency: pi.currency,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      payment_intent: pi.id,
      reason: (p.reason as string | undefined) ?? null,
      status: 'succeeded',
    };
    this.#refunds.push(refund);
    this.#emit('charge.refunded', this.#charge(st));
    this.#emit('refund.created', refund);
    return refund;
  }

  /** The intent's latest charge, as a `charge.*` event carries it (with the intent's metadata, copied at confirm). */
  #charge(st: IntentState): Record<string, unknown> {
    const pi = st.intent;
    return {
      id: pi.latest_charge,
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount_received,
      amount_refunded: st.refunded,
      captured: pi.amount_received > 0,
      created: pi.created,
      currency: pi.currency,
      livemode: false,
      metadata: { ...pi.metadata },
      paid: true,
      payment_intent: pi.id,
      refunded: st.refunded >= pi.amount_received,
      status: 'succeeded',
    };
  }
}

function routeOf(method: string, path: string): { route: Route; id?: string | undefined } | undefined {
  if (method === 'POST' && path === '/v1/payment_intents') return { route: 'create_intent' };
  if (method === 'POST' && path === '/v1/refunds') return { route: 'create_refund' };
  if (method === 'GET' && path === '/v1/refunds') return { route: 'list_refunds' };
  if (method === 'POST' && path === '/v1/payment_methods') return { route: 'create_payment_method' };
  if (method === 'POST' && path === '/v1/tokens') return { route: 'create_token' };
  const m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)(?:\/(confirm|capture|cancel))?$/.exec(path);
  if (!m) return undefined;
  if (method === 'GET' && !m[2]) return { route: 'retrieve', id: m[1] };
  if (method === 'POST' && m[2]) return { route: m[2] as 'confirm' | 'capture' | 'cancel', id: m[1] };
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parameters in a canonical order: Stripe compares what was sent, not the order it was sent in. */
function canonical(p: Param): string {
  if (typeof p === 'string') return JSON.stringify(p);
  if (Array.isArray(p)) return `[${p.map(canonical).join(',')}]`;
  return `{${Object.keys(p).sort().map((k) => `${JSON.stringify(k)}:${canonical(p[k]!)}`).join(',')}}`;
}

/**
 * What Stripe.js makes on the shopper's page, through the official SDK against the fake: a
 * PaymentMethod, a Token, and Google Pay's token when Stripe is its gateway (a Token as JSON).
 */
export function stripeJsOf(fake: StripeFake, number = '4242424242424242') {
  const url = new URL(fake.url);
  const client = new Stripe(fake.secretKey, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  // The SDK types the same fields as numbers for a PaymentMethod and as strings for a Token.
  const futureYear = new Date().getUTCFullYear() + 5;
  const details = { number, exp_month: 12, exp_year: futureYear, cvc: '123' };
  const tokenDetails = { ...details, exp_month: String(details.exp_month), exp_year: String(details.exp_year) };
  return {
    paymentMethod: async () => (await client.paymentMethods.create({ type: 'card', card: details })).id,
    token: async () => (await client.tokens.create({ card: tokenDetails })).id,
    googlePay: async () => JSON.stringify(await client.tokens.create({ card: tokenDetails })),
  };
}
