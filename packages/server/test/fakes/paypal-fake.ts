/**
 * A strict local stand-in for PayPal's REST API (the part Kassa's adapter uses: OAuth 2 client
 * credentials, Orders v2, Payments v2, webhook verification) and for PayPal's shopper-facing
 * approval page, on a real `node:http` server. Strict where PayPal is, so the adapter cannot pass
 * here and fail there:
 *
 *   - `POST /v1/oauth2/token` only with HTTP Basic client credentials and
 *     `grant_type=client_credentials` (form-encoded); every API call with a Bearer token it issued
 *     and that has not expired (`expireTokens()` ages them all), else 401 `invalid_token`;
 *   - JSON bodies only (`Content-Type: application/json`, else 415); fields checked against each
 *     endpoint's schema — unknown or missing fields, types, enums, lengths, URLs — with PayPal's
 *     400 INVALID_REQUEST shape (`details[].field` as a JSON pointer, `issue`); unknown fields
 *     are refused, which is stricter than PayPal (it tends to ignore them): the adapter sends
 *     only documented fields;
 *   - amounts as PayPal wants them: `currency_code` upper-case and one of PayPal's currencies
 *     (422 CURRENCY_NOT_SUPPORTED), `value` a decimal string with exactly the currency's
 *     decimals or fewer (422 DECIMAL_PRECISION; JPY, HUF, TWD take none: DECIMALS_NOT_SUPPORTED),
 *     never zero or negative;
 *   - PayPal-Request-Id as PayPal documents it: required for a create with a payment_source
 *     (400 PAYPAL_REQUEST_ID_REQUIRED); a repeat "returns the latest status of the previous
 *     request" — the resource that request made or acted on, as it is now — and never acts
 *     twice, whatever its body says (the same id on another endpoint: 422
 *     PAYPAL_REQUEST_ID_PREVIOUSLY_USED); a repeat while the first is still running: 409
 *     RESOURCE_CONFLICT / PREVIOUS_REQUEST_IN_PROGRESS; refusals before acting (validation,
 *     auth, unapproved order) are not kept;
 *   - the order state machine: CREATED / PAYER_ACTION_REQUIRED → APPROVED (the shopper, on the
 *     approval page or `approve()`) → COMPLETED (captured or authorized once; 422
 *     ORDER_NOT_APPROVED, ORDER_ALREADY_CAPTURED, ACTION_DOES_NOT_MATCH_INTENT ...);
 *     authorizations (capture once with final_capture, partial or whole; void; 422
 *     AUTHORIZATION_ALREADY_CAPTURED, PREVIOUSLY_VOIDED ...); refunds that never exceed what is
 *     left of the capture (422 REFUND_AMOUNT_EXCEEDED, CAPTURE_FULLY_REFUNDED);
 *   - webhooks: `signedEvent()` / `notify()` sign an event the way the fake's own
 *     `POST /v1/notifications/verify-webhook-signature` checks it (over the transmission id, time,
 *     webhook id and the CRC32 of the event as sent), so a changed body does not verify.
 *
 * Fault switches a test can flip (per route, for the next N requests): 500 or 429 before acting,
 * 500 after acting (the result is kept under the request id, as PayPal keeps it), hang before or
 * after acting, drop the connection before or after. `declineNext()` makes the next order
 * capture or authorization fail the way PayPal declines. Every request is recorded.
 *
 * Run alone for an end-to-end test: `node --import tsx test/fakes/paypal-fake.ts --port N
 * [--client-id ID --client-secret S --webhook-id W]` prints `listening <url>`.
 *
 * Learned from PayPal's REST reference (Orders v2, Payments v2, Webhooks, idempotency) and the
 * models of @paypal/paypal-server-sdk; the code is ours.
 */
import { LocalServer } from './local-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { pathToFileURL } from 'node:url';

// ---- PayPal's currencies and their decimals (developer.paypal.com/api/rest/reference/currency-codes) ----

const CURRENCY_DECIMALS: Record<string, number> = {
  AUD: 2, BRL: 2, CAD: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, HKD: 2, HUF: 0, ILS: 2, JPY: 0, MYR: 2, MXN: 2, TWD: 0,
  NZD: 2, NOK: 2, PHP: 2, PLN: 2, GBP: 2, SGD: 2, SEK: 2, CHF: 2, THB: 2, USD: 2,
};

// ---- errors ----

interface Detail {
  field?: string;
  value?: string;
  location?: string;
  issue: string;
  description: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Raised after the endpoint acted (a decline, a state refusal): kept under the request id. */
    readonly executed = false,
  ) {
    super(String(body.message ?? body.error));
  }
}

const debugId = (): string => randomBytes(7).toString('hex');

function invalidRequest(details: Detail[]): ApiError {
  return new ApiError(400, {
    name: 'INVALID_REQUEST',
    message: 'Request is not well-formed, syntactically incorrect, or violates schema.',
    debug_id: debugId(),
    details: details.map((d) => ({ location: 'body', ...d })),
    links: [{ href: 'https://developer.paypal.com/api/rest/reference/orders/v2/errors/#INVALID_REQUEST', rel: 'information_link', method: 'GET' }],
  });
}

function unprocessable(issue: string, description: string, executed = false, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(422, {
    name: 'UNPROCESSABLE_ENTITY',
    message: 'The requested action could not be performed, semantically incorrect, or failed business validation.',
    debug_id: debugId(),
    details: [{ issue, description }],
    links: [{ href: `https://developer.paypal.com/api/rest/reference/orders/v2/errors/#${issue}`, rel: 'information_link', method: 'GET' }],
    ...extra,
  }, executed);
}

const notFound = (): ApiError =>
  new ApiError(404, {
    name: 'RESOURCE_NOT_FOUND',
    message: 'The specified resource does not exist.',
    debug_id: debugId(),
    details: [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }],
  });

// ---- schemas ----

type Spec =
  | { kind: 'string'; required?: boolean; max?: number; min?: number; values?: readonly string[]; url?: boolean; pattern?: RegExp }
  | { kind: 'boolean'; required?: boolean }
  | { kind: 'money'; required?: boolean }
  | { kind: 'object'; required?: boolean; fields: Record<string, Spec>; open?: boolean }
  | { kind: 'array'; required?: boolean; items: Spec; min: number; max: number };

const str = (o: Omit<Extract<Spec, { kind: 'string' }>, 'kind'> = {}): Spec => ({ kind: 'string', ...o });
const obj = (fields: Record<string, Spec>, required = false): Spec => ({ kind: 'object', fields, required });
const moneySpec = (required = false): Spec => ({ kind: 'money', required });

const EXPERIENCE_CONTEXT = obj({
  brand_name: str({ max: 127, min: 1 }),
  locale: str({ pattern: /^[a-z]{2}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?$/ }),
  shipping_preference: str({ values: ['GET_FROM_FILE', 'NO_SHIPPING', 'SET_PROVIDED_ADDRESS'] }),
  landing_page: str({ values: ['LOGIN', 'GUEST_CHECKOUT', 'NO_PREFERENCE'] }),
  user_action: str({ values: ['CONTINUE', 'PAY_NOW'] }),
  return_url: str({ url: true, max: 4000 }),
  cancel_url: str({ url: true, max: 4000 }),
});

const SCHEMAS = {
  create_order: obj({
    intent: str({ required: true, values: ['CAPTURE', 'AUTHORIZE'] }),
    purchase_units: {
      kind: 'array',
      required: true,
      min: 1,
      max: 1, // PayPal takes up to 10; this fake (and Kassa) one
      items: obj({
        reference_id: str({ max: 256, min: 1 }),
        description: str({ max: 127, min: 1 }),
        custom_id: str({ max: 127, min: 1 }),
        invoice_id: str({ max: 127, min: 1 }),
        soft_descriptor: str({ max: 22, min: 1 }),
        amount: moneySpec(true),
      }),
    },
    payment_source: obj({ paypal: obj({ experience_context: EXPERIENCE_CONTEXT, email_address: str({ max: 254 }) }) }),
  }),
  capture_order: obj({}),
  authorize_order: obj({}),
  capture_authorization: obj({
    amount: moneySpec(),
    invoice_id: str({ max: 127, min: 1 }),
    final_capture: { kind: 'boolean' },
    note_to_payer: str({ max: 255, min: 1 }),
    soft_descriptor: str({ max: 22, min: 1 }),
  }),
  refund_capture: obj({
    amount: moneySpec(),
    custom_id: str({ max: 127, min: 1 }),
    invoice_id: str({ max: 127, min: 1 }),
    note_to_payer: str({ max: 255, min: 1 }),
  }),
  verify_webhook: obj({
    auth_algo: str({ required: true, max: 100 }),
    cert_url: str({ required: true, url: true }),
    transmission_id: str({ required: true, max: 50 }),
    transmission_sig: str({ required: true, max: 500 }),
    transmission_time: str({ required: true }),
    webhook_id: str({ required: true, max: 50 }),
    webhook_event: { kind: 'object', required: true, fields: {}, open: true },
  }),
} satisfies Record<string, Spec>;

const VALUE = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;

function validate(value: unknown, spec: Spec, at: string, out: Detail[]): void {
  const kind = spec.kind;
  const field = at || '/';
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') return void out.push({ field, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' });
      if ((spec.min !== undefined && value.length < spec.min) || (spec.max !== undefined && value.length > spec.max)) {
        return void out.push({ field, value, issue: 'INVALID_STRING_LENGTH', description: 'The value of a field is either too short or too long.' });
      }
      if (spec.values && !spec.values.includes(value)) return void out.push({ field, value, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' });
      if (spec.pattern && !spec.pattern.test(value)) return void out.push({ field, value, issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' });
      if (spec.url) {
        let ok = false;
        try {
          ok = ['http:', 'https:'].includes(new URL(value).protocol);
        } catch {
          ok = false;
        }
        if (!ok) out.push({ field, value, issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' });
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push({ field, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' });
      return;
    case 'money':
      validate(value, obj({ currency_code: str({ required: true, min: 3, max: 3 }), value: str({ required: true, max: 32, pattern: VALUE }) }), at, out);
      return;
    case 'array':
      if (!Array.isArray(value)) return void out.push({ field, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' });
      if (value.length < spec.min || value.length > spec.max) return void out.push({ field, issue: 'INVALID_ARRAY_LENGTH', description: `The number of items in an array parameter is too small or too large (${spec.min}..${spec.max}).` });
      value.forEach((v, i) => validate(v, spec.items, `${at}/${i}`, out));
      return;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return void out.push({ field, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' });
      if (spec.open) return;
      const o = value as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (!(key in spec.fields)) out.push({ field: `${at}/${key}`, issue: 'UNKNOWN_FIELD', description: 'This fake refuses fields PayPal does not document for this call.' });
      }
      for (const [key, s] of Object.entries(spec.fields)) {
        if (o[key] === undefined) {
          if (s.required) out.push({ field: `${at}/${key}`, issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.' });
          continue;
        }
        validate(o[key], s, `${at}/${key}`, out);
      }
      return;
    }
    default: {
      const unknown: never = kind;
      throw new Error(`spec ${String(unknown)}`);
    }
  }
}

/** A money object's value in minor units, after the business checks PayPal makes (422s). */
function minorUnits(m: Money, field: string): number {
  const decimals = CURRENCY_DECIMALS[m.currency_code];
  if (decimals === undefined) throw unprocessable('CURRENCY_NOT_SUPPORTED', `Currency code ${m.currency_code} is not currently supported (${field}).`);
  if (m.value.startsWith('-')) throw unprocessable('CANNOT_BE_ZERO_OR_NEGATIVE', `Must be greater than zero (${field}).`);
  const [whole = '', fraction = ''] = m.value.split('.');
  if (decimals === 0 && m.value.includes('.')) throw unprocessable('DECIMALS_NOT_SUPPORTED', `Currency ${m.currency_code} does not support decimals (${field}).`);
  if (fraction.length > decimals) throw unprocessable('DECIMAL_PRECISION', `If the currency supports decimals, only two decimal place precision is supported (${field}).`);
  const n = Number(`${whole || '0'}${fraction.padEnd(decimals, '0')}`);
  if (n <= 0) throw unprocessable('CANNOT_BE_ZERO_OR_NEGATIVE', `Must be greater than zero (${field}).`);
  return n;
}

function formatValue(units: number, currency: string): string {
  const decimals = CURRENCY_DECIMALS[currency] ?? 2;
  if (decimals === 0) return String(units);
  const digits = String(units).padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

// ---- resources ----

interface Money {
  currency_code: string;
  value: string;
}

interface Link {
  href: string;
  rel: string;
  method: string;
}

type OrderStatus = 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED' | 'VOIDED';

interface OrderState {
  id: string;
  intent: 'CAPTURE' | 'AUTHORIZE';
  status: OrderStatus;
  unit: { reference_id: string; custom_id?: string; invoice_id?: string; description?: string; amount: Money };
  units: number;
  returnUrl?: string;
  cancelUrl?: string;
  withPaymentSource: boolean;
  payerId?: string;
  createTime: string;
  updateTime: string;
  authorizations: string[];
  captures: string[];
  refunds: string[];
}

interface AuthorizationState {
  id: string;
  orderId: string;
  status: 'CREATED' | 'CAPTURED' | 'DENIED' | 'PARTIALLY_CAPTURED' | 'VOIDED' | 'PENDING';
  amount: Money;
  units: number;
  captured: number;
  customId?: string;
  createTime: string;
  updateTime: string;
}

interface CaptureState {
  id: string;
  orderId: string;
  authorizationId?: string;
  status: 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED';
  amount: Money;
  units: number;
  refunded: number;
  finalCapture: boolean;
  customId?: string;
  processorCode?: string;
  reason?: string;
  createTime: string;
  updateTime: string;
}

interface RefundState {
  id: string;
  captureId: string;
  orderId: string;
  status: 'COMPLETED';
  amount: Money;
  customId?: string;
  createTime: string;
}

/** How the next order capture or authorization is declined. */
export type Decline =
  | { issue: string } // a 422, e.g. INSTRUMENT_DECLINED: the funding source said no; the order stays APPROVED
  | { status: 'DECLINED' | 'FAILED' | 'PENDING'; code?: string; reason?: string }; // a capture (or DENIED/PENDING authorization) with that status

export type Route =
  | 'token'
  | 'create_order'
  | 'get_order'
  | 'patch_order'
  | 'capture_order'
  | 'authorize_order'
  | 'capture_authorization'
  | 'void_authorization'
  | 'get_authorization'
  | 'refund_capture'
  | 'get_capture'
  | 'get_refund'
  | 'verify_webhook';

const IDEMPOTENT: ReadonlySet<Route> = new Set<Route>(['create_order', 'capture_order', 'authorize_order', 'capture_authorization', 'void_authorization', 'refund_capture']);

/**
 * `*-before`: the endpoint never acts (a load balancer's 500 or reset, a 429); `hang-before`
 * leaves the request id running (a repeat gets 409). `*-after`: the endpoint acted and its result
 * is kept under the request id, then the 500, the hang or the dropped connection.
 */
export type FaultKind = '500-before' | '429-before' | 'hang-before' | 'drop-before' | '500-after' | 'hang-after' | 'drop-after';

export interface RecordedRequest {
  method: string;
  path: string;
  route: Route | undefined;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  json?: unknown;
  requestId: string | undefined;
  /** What the fake answered (undefined: it hung or dropped the connection). */
  status?: number;
  /** true: answered from the request id's record; false: acted; undefined: refused or faulted before acting. */
  replayed?: boolean;
  /** The client closed the connection before an answer was written (an aborted call). */
  abandoned?: boolean;
}

interface Saved {
  route: Route;
  state: 'running' | 'done';
  /** The status of the first answer, and how to show its latest state (or the kept error). */
  status: number;
  latest: () => unknown;
}

export interface PayPalFakeOptions {
  clientId?: string;
  clientSecret?: string;
  webhookId?: string;
  /** Lifetime of the access tokens it issues, in seconds (PayPal: about 9 hours). */
  tokenTtlSeconds?: number;
  port?: number;
}

const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
/** PayPal-style ids: 17 upper-case alphanumerics. */
const ppId = (): string => {
  const alphabet = 'ABCDEFGHJKLMNPRSTUVWXY0123456789';
  return [...randomBytes(17)].map((b) => alphabet[b % alphabet.length]).join('');
};

export class PayPalFake {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookId: string;
  readonly requests: RecordedRequest[] = [];
  readonly #tokenTtl: number;
  readonly #http: LocalServer;
  readonly #tokens = new Map<string, number>();
  readonly #orders = new Map<string, OrderState>();
  readonly #authorizations = new Map<string, AuthorizationState>();
  readonly #captures = new Map<string, CaptureState>();
  readonly #refunds = new Map<string, RefundState>();
  readonly #keys = new Map<string, Saved>();
  readonly #faults: { route: Route | '*'; kind: FaultKind; times: number }[] = [];
  readonly #declines: Decline[] = [];
  readonly #signingKey = randomBytes(32);

  private constructor(options: PayPalFakeOptions) {
    this.clientId = options.clientId ?? `AZ${randomBytes(20).toString('hex')}`;
    this.clientSecret = options.clientSecret ?? `EK${randomBytes(24).toString('hex')}`;
    this.webhookId = options.webhookId ?? `WH-${ppId()}`;
    this.#tokenTtl = options.tokenTtlSeconds ?? 32_400;
    this.#http = new LocalServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: PayPalFakeOptions = {}): Promise<PayPalFake> {
    const fake = new PayPalFake(options);
    await fake.#http.listen(options.port ?? 0);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#http.port}`;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  // ---- test controls ----

  /** The next `times` requests to `route` (or any) meet this fault. */
  fault(route: Route | '*', kind: FaultKind, times = 1): void {
    this.#faults.push({ route, kind, times });
  }

  /** The next order capture or authorization is declined this way. */
  declineNext(decline: Decline): void {
    this.#declines.push(decline);
  }

  /** Every access token issued so far expires now (PayPal then answers 401 invalid_token). */
  expireTokens(): void {
    for (const t of this.#tokens.keys()) this.#tokens.set(t, 0);
  }

  /** The shopper approves the order at PayPal (what the approval page's button does); returns the return URL's query. */
  approve(orderId: string, payerId = `PAYER${ppId().slice(0, 8)}`): { token: string; PayerID: string } {
    const o = this.#orders.get(orderId);
    if (!o || (o.status !== 'CREATED' && o.status !== 'PAYER_ACTION_REQUIRED')) throw new Error(`order ${orderId} cannot be approved (${o?.status ?? 'unknown'})`);
    o.status = 'APPROVED';
    o.payerId = payerId;
    o.updateTime = nowIso();
    return { token: orderId, PayerID: payerId };
  }

  /** PayPal voids an order (e.g. one the payer never approved in time). */
  voidOrder(orderId: string): void {
    const o = this.#orders.get(orderId);
    if (!o) throw new Error(`no order ${orderId}`);
    o.status = 'VOIDED';
  }

  order(orderId: string): Record<string, unknown> | undefined {
    const o = this.#orders.get(orderId);
    return o ? this.#orderView(o) : undefined;
  }

  orders(): Record<string, unknown>[] {
    return [...this.#orders.values()].map((o) => this.#orderView(o));
  }

  /** The money PayPal took on an order and gave back, in minor units. */
  moneyOf(orderId: string): { held: number; captured: number; refunded: number } {
    const o = this.#orders.get(orderId);
    if (!o) return { held: 0, captured: 0, refunded: 0 };
    const auths = o.authorizations.map((id) => this.#authorizations.get(id)!);
    const caps = o.captures.map((id) => this.#captures.get(id)!).filter((c) => c.status !== 'DECLINED' && c.status !== 'FAILED');
    return {
      held: auths.filter((a) => a.status === 'CREATED').reduce((n, a) => n + a.units, 0),
      captured: caps.reduce((n, c) => n + c.units, 0),
      refunded: caps.reduce((n, c) => n + c.refunded, 0),
    };
  }

  /** How many requests reached a route and were acted on (not replays, not refused before acting). */
  acted(route: Route): number {
    return this.requests.filter((r) => r.route === route && r.replayed === false).length;
  }

  /** A webhook event as PayPal would deliver it: the raw body and the transmission headers, signed for this fake's webhook. */
  signedEvent(event: Record<string, unknown>, o: { webhookId?: string } = {}): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify(event);
    const transmissionId = randomBytes(16).toString('hex');
    const time = nowIso();
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'paypal-transmission-id': transmissionId,
        'paypal-transmission-time': time,
        'paypal-transmission-sig': this.#sign(transmissionId, time, o.webhookId ?? this.webhookId, body),
        'paypal-cert-url': `${this.url}/v1/notifications/certs/CERT-kassa-fake`,
        'paypal-auth-algo': 'SHA256withRSA',
      },
    };
  }

  /** POSTs a signed event to a webhook URL, as PayPal delivers notifications. */
  async notify(url: string, event: Record<string, unknown>): Promise<number> {
    const { body, headers } = this.signedEvent(event);
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.arrayBuffer();
    return res.status;
  }

  /** An event about an order, as PayPal sends CHECKOUT.ORDER.APPROVED. */
  orderEvent(orderId: string, eventType = 'CHECKOUT.ORDER.APPROVED'): Record<string, unknown> {
    const o = this.#orders.get(orderId);
    if (!o) throw new Error(`no order ${orderId}`);
    return {
      id: `WH-${ppId()}`,
      event_version: '1.0',
      create_time: nowIso(),
      resource_type: 'checkout-order',
      resource_version: '2.0',
      event_type: eventType,
      summary: `An order has been ${eventType === 'CHECKOUT.ORDER.APPROVED' ? 'approved by buyer' : 'completed'}`,
      resource: this.#orderView(o),
      links: [{ href: `${this.url}/v1/notifications/webhooks-events/x`, rel: 'self', method: 'GET' }],
    };
  }

  #sign(transmissionId: string, time: string, webhookId: string, body: string): string {
    return createHmac('sha256', this.#signingKey).update(`${transmissionId}|${time}|${webhookId}|${crc32(body)}`).digest('base64');
  }

  // ---- request handling ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const match = routeOf(method, url.pathname);
    const requestId = header(req, 'paypal-request-id');
    const record: RecordedRequest = { method, path: url.pathname + url.search, route: match?.route, headers: { ...req.headers }, rawBody, requestId };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    const send = (status: number, body: unknown): void => {
      record.status = status;
      if (status === 204) return void res.writeHead(204, { 'Paypal-Debug-Id': debugId() }).end();
      res.writeHead(status, { 'Content-Type': 'application/json', 'Paypal-Debug-Id': debugId() });
      res.end(JSON.stringify(body));
    };
    try {
      if (url.pathname === '/checkoutnow' || url.pathname === '/checkoutnow/approve') return this.#page(req, res, url, rawBody, record);
      if (!match) throw notFound();
      if (match.route === 'token') {
        const fault = this.#takeFault('token');
        if (fault?.kind === 'hang-before' || fault?.kind === 'hang-after') return;
        if (fault?.kind === 'drop-before' || fault?.kind === 'drop-after') return void res.socket?.destroy();
        if (fault?.kind === '500-before' || fault?.kind === '500-after') return send(500, { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.', debug_id: debugId() });
        if (fault?.kind === '429-before') return send(429, { name: 'RATE_LIMIT_REACHED', message: 'Too many requests. Blocked due to rate limiting.', debug_id: debugId() });
        return send(200, this.#issueToken(req, rawBody));
      }
      this.#authenticate(req);
      let json: unknown = undefined;
      if (method === 'POST' || method === 'PATCH') {
        if (!/^application\/json\b/i.test(header(req, 'content-type') ?? '')) {
          throw new ApiError(415, { name: 'UNSUPPORTED_MEDIA_TYPE', message: 'The server does not support the request payload’s media type.', debug_id: debugId() });
        }
        if (rawBody !== '') {
          try {
            json = JSON.parse(rawBody);
          } catch {
            throw invalidRequest([{ field: '/', issue: 'MALFORMED_REQUEST_JSON', description: 'The request JSON is not well formed.' }]);
          }
        }
        record.json = json;
      } else if (rawBody) {
        throw invalidRequest([{ field: '/', issue: 'MALFORMED_REQUEST_JSON', description: 'A GET request has no body.' }]);
      }
      const idempotent = IDEMPOTENT.has(match.route) && requestId !== undefined;
      const scope = `${this.clientId}|${requestId}`;
      if (idempotent) {
        if (requestId.length > 108) throw invalidRequest([{ field: 'PayPal-Request-Id', location: 'header', issue: 'INVALID_STRING_LENGTH', description: 'The PayPal-Request-Id is at most 108 characters.' }]);
        // A held id answers "the latest status of the previous request", whatever this body says.
        const saved = this.#keys.get(scope);
        if (saved) {
          if (saved.route !== match.route) throw unprocessable('PAYPAL_REQUEST_ID_PREVIOUSLY_USED', 'The PayPal-Request-Id has already been used for another request.');
          if (saved.state === 'running') {
            throw new ApiError(409, { name: 'RESOURCE_CONFLICT', message: 'The server has detected a conflict while processing this request.', debug_id: debugId(), details: [{ issue: 'PREVIOUS_REQUEST_IN_PROGRESS', description: 'A previous request on this resource is currently in progress. Please wait for some time and try again.' }] });
          }
          record.replayed = true;
          return send(saved.status, saved.latest());
        }
      }
      if (match.route === 'void_authorization') {
        if (rawBody !== '') throw invalidRequest([{ field: '/', issue: 'MALFORMED_REQUEST_JSON', description: 'This request takes no body.' }]);
      } else if (match.route === 'patch_order') {
        validatePatch(json);
      } else if (method === 'POST') {
        const details: Detail[] = [];
        validate(json ?? {}, SCHEMAS[match.route as keyof typeof SCHEMAS], '', details);
        if (details.length) throw invalidRequest(details);
      }
      const p = (json ?? {}) as Record<string, unknown>;
      if (match.route === 'create_order' && p.payment_source !== undefined && !requestId) {
        throw invalidRequest([{ field: '/', location: 'header', issue: 'PAYPAL_REQUEST_ID_REQUIRED', description: 'A PayPal-Request-Id is required if you are trying to process payment for an Order.' }]);
      }

      if (idempotent) {
        const entry: Saved = { route: match.route, state: 'running', status: 0, latest: () => null };
        this.#keys.set(scope, entry);
        await this.#act(match, p, req, record, res, send, (status, latest) => {
          entry.state = 'done';
          entry.status = status;
          entry.latest = latest;
        }, () => this.#keys.delete(scope));
        return;
      }
      await this.#act(match, p, req, record, res, send, () => undefined, () => undefined);
    } catch (e) {
      if (e instanceof ApiError) send(e.status, e.body);
      else send(500, { name: 'INTERNAL_SERVER_ERROR', message: `fake: ${e instanceof Error ? e.message : String(e)}`, debug_id: debugId() });
    }
  }

  /** Runs an endpoint with the faults armed for it; `save` keeps the request id's answer, `forget` drops one that never acted. */
  async #act(
    match: { route: Route; id?: string | undefined },
    p: Record<string, unknown>,
    req: IncomingMessage,
    record: RecordedRequest,
    res: ServerResponse,
    send: (status: number, body: unknown) => void,
    save: (status: number, latest: () => unknown) => void,
    forget: () => void,
  ): Promise<void> {
    const fault = this.#takeFault(match.route);
    if (fault?.kind.endsWith('-before')) {
      if (fault.kind === 'hang-before') return; // the id stays running; the socket is destroyed at close
      forget();
      if (fault.kind === '500-before') return void send(500, { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.', debug_id: debugId() });
      if (fault.kind === '429-before') return void send(429, { name: 'RATE_LIMIT_REACHED', message: 'Too many requests. Blocked due to rate limiting.', debug_id: debugId() });
      return void res.socket?.destroy(); // drop-before
    }
    record.replayed = false;
    let status: number;
    let latest: () => unknown;
    try {
      [status, latest] = this.#run(match, p, req);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (!e.executed) {
        record.replayed = undefined;
        forget();
        return void send(e.status, e.body);
      }
      const body = e.body;
      [status, latest] = [e.status, () => body];
    }
    save(status, latest);
    if (fault?.kind === '500-after') return void send(500, { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.', debug_id: debugId() });
    if (fault?.kind === 'drop-after') return void res.socket?.destroy();
    if (fault?.kind === 'hang-after') return;
    send(status, latest());
  }

  #takeFault(route: Route): { kind: FaultKind } | undefined {
    const i = this.#faults.findIndex((f) => f.route === route || f.route === '*');
    if (i < 0) return undefined;
    const f = this.#faults[i]!;
    if (--f.times <= 0) this.#faults.splice(i, 1);
    return f;
  }

  #issueToken(req: IncomingMessage, rawBody: string): Record<string, unknown> {
    const auth = header(req, 'authorization') ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const expected = `${this.clientId}:${this.clientSecret}`;
    if (!m || decoded.length !== expected.length || !timingSafeEqual(Buffer.from(decoded), Buffer.from(expected))) {
      throw new ApiError(401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
    }
    if (!/^application\/x-www-form-urlencoded\b/i.test(header(req, 'content-type') ?? '')) {
      throw new ApiError(400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' });
    }
    const form = new URLSearchParams(rawBody);
    if (form.get('grant_type') !== 'client_credentials') throw new ApiError(400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL or unsupported' });
    const token = `A21AA${randomBytes(40).toString('base64url')}`;
    this.#tokens.set(token, Date.now() + this.#tokenTtl * 1000);
    return { scope: 'https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund', access_token: token, token_type: 'Bearer', app_id: 'APP-80W284485P519543T', expires_in: this.#tokenTtl, nonce: `${nowIso()}${randomBytes(8).toString('hex')}` };
  }

  #authenticate(req: IncomingMessage): void {
    const auth = header(req, 'authorization');
    const m = auth ? /^Bearer (\S+)$/.exec(auth) : null;
    if (!m) throw new ApiError(401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.', debug_id: debugId(), details: [] });
    const expires = this.#tokens.get(m[1]!);
    if (expires === undefined) throw new ApiError(401, { error: 'invalid_token', error_description: 'Token signature verification failed' });
    if (expires <= Date.now()) throw new ApiError(401, { error: 'invalid_token', error_description: 'Access Token not found in cache' });
  }

  #run(match: { route: Route; id?: string | undefined }, p: Record<string, unknown>, req: IncomingMessage): [number, () => unknown] {
    const route = match.route;
    const minimal = header(req, 'prefer') !== 'return=representation';
    switch (route) {
      case 'token':
        throw new Error('token is handled apart');
      case 'create_order': {
        const o = this.#createOrder(p);
        return [201, () => this.#orderView(o, minimal)];
      }
      case 'get_order':
        return [200, ((o) => () => this.#orderView(o))(this.#order(match.id))];
      case 'patch_order': {
        const o = this.#order(match.id);
        if (o.status === 'COMPLETED' || o.status === 'VOIDED') throw unprocessable('ORDER_COMPLETED_OR_VOIDED', 'Order is voided or completed and hence cannot be patched.');
        for (const op of p as unknown as PatchOp[]) {
          const field = /\/(\w+)$/.exec(op.path)![1] as 'description' | 'custom_id' | 'invoice_id';
          if (op.op === 'remove') delete o.unit[field];
          else o.unit[field] = op.value as string;
        }
        o.updateTime = nowIso();
        return [204, () => undefined];
      }
      case 'capture_order':
      case 'authorize_order': {
        const o = this.#order(match.id);
        this.#completeOrder(o, route === 'capture_order' ? 'CAPTURE' : 'AUTHORIZE');
        return [201, () => this.#orderView(o, minimal)];
      }
      case 'capture_authorization': {
        const c = this.#captureAuthorization(this.#authorization(match.id), p);
        return [201, () => this.#captureView(c, minimal)];
      }
      case 'void_authorization': {
        const a = this.#authorization(match.id);
        if (a.status === 'CAPTURED' || a.status === 'PARTIALLY_CAPTURED') throw unprocessable('PREVIOUSLY_CAPTURED', 'Authorization has been previously captured and hence cannot be voided.', true);
        if (a.status === 'VOIDED') throw unprocessable('PREVIOUSLY_VOIDED', 'Authorization has been previously voided and hence cannot be voided again.', true);
        if (a.status !== 'CREATED') throw unprocessable('CANNOT_BE_VOIDED', `An authorization in status ${a.status} cannot be voided.`, true);
        a.status = 'VOIDED';
        a.updateTime = nowIso();
        return minimal ? [204, () => undefined] : [200, () => this.#authorizationView(a)];
      }
      case 'get_authorization':
        return [200, ((a) => () => this.#authorizationView(a))(this.#authorization(match.id))];
      case 'refund_capture': {
        const r = this.#refund(this.#capture(match.id), p);
        return [201, () => this.#refundView(r, minimal)];
      }
      case 'get_capture':
        return [200, ((c) => () => this.#captureView(c))(this.#capture(match.id))];
      case 'get_refund': {
        const r = this.#refunds.get(match.id ?? '');
        if (!r) throw notFound();
        return [200, () => this.#refundView(r)];
      }
      case 'verify_webhook': {
        const status = this.#verify(p);
        return [200, () => ({ verification_status: status })];
      }
      default: {
        const unknown: never = route;
        throw new Error(String(unknown));
      }
    }
  }

  #verify(p: Record<string, unknown>): 'SUCCESS' | 'FAILURE' {
    const v = p as { auth_algo: string; cert_url: string; transmission_id: string; transmission_sig: string; transmission_time: string; webhook_id: string; webhook_event: unknown };
    if (v.auth_algo !== 'SHA256withRSA' || !v.cert_url.startsWith(`${this.url}/v1/notifications/certs/`) || v.webhook_id !== this.webhookId) return 'FAILURE';
    // PayPal signs the event as it sent it; the fake sends compact JSON, so that is the text re-made from what it received.
    const expected = Buffer.from(this.#sign(v.transmission_id, v.transmission_time, v.webhook_id, JSON.stringify(v.webhook_event)));
    const given = Buffer.from(v.transmission_sig);
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'SUCCESS' : 'FAILURE';
  }

  #order(id: string | undefined): OrderState {
    const o = id ? this.#orders.get(id) : undefined;
    if (!o) throw notFound();
    return o;
  }

  #authorization(id: string | undefined): AuthorizationState {
    const a = id ? this.#authorizations.get(id) : undefined;
    if (!a) throw notFound();
    return a;
  }

  #capture(id: string | undefined): CaptureState {
    const c = id ? this.#captures.get(id) : undefined;
    if (!c) throw notFound();
    return c;
  }

  #createOrder(p: Record<string, unknown>): OrderState {
    const unit = (p.purchase_units as Record<string, unknown>[])[0]!;
    const amount = unit.amount as Money;
    const units = minorUnits(amount, '/purchase_units/0/amount');
    const context = ((p.payment_source as { paypal?: { experience_context?: Record<string, string> } } | undefined)?.paypal?.experience_context) ?? {};
    const time = nowIso();
    const o: OrderState = {
      id: ppId(),
      intent: p.intent as 'CAPTURE' | 'AUTHORIZE',
      status: p.payment_source !== undefined ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
      unit: {
        reference_id: (unit.reference_id as string | undefined) ?? 'default',
        ...(unit.custom_id !== undefined ? { custom_id: unit.custom_id as string } : {}),
        ...(unit.invoice_id !== undefined ? { invoice_id: unit.invoice_id as string } : {}),
        ...(unit.description !== undefined ? { description: unit.description as string } : {}),
        amount: { currency_code: amount.currency_code, value: amount.value },
      },
      units,
      ...(context.return_url ? { returnUrl: context.return_url } : {}),
      ...(context.cancel_url ? { cancelUrl: context.cancel_url } : {}),
      withPaymentSource: p.payment_source !== undefined,
      createTime: time,
      updateTime: time,
      authorizations: [],
      captures: [],
      refunds: [],
    };
    this.#orders.set(o.id, o);
    return o;
  }

  #completeOrder(o: OrderState, intent: 'CAPTURE' | 'AUTHORIZE'): void {
    if (o.intent !== intent) throw unprocessable('ACTION_DOES_NOT_MATCH_INTENT', `Order was created with an intent to '${o.intent}'. Please use the '/${o.intent === 'CAPTURE' ? 'capture' : 'authorize'}' endpoint.`);
    if (o.status === 'COMPLETED') throw unprocessable(intent === 'CAPTURE' ? 'ORDER_ALREADY_CAPTURED' : 'ORDER_ALREADY_AUTHORIZED', `Order already ${intent === 'CAPTURE' ? 'captured' : 'authorized'}.`);
    if (o.status === 'VOIDED') throw unprocessable('ORDER_EXPIRED', 'The order has expired (voided).');
    if (o.status !== 'APPROVED') throw unprocessable('ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment. Please redirect the payer to the approval link.');
    const decline = this.#declines.shift();
    if (decline && 'issue' in decline) {
      // The funding source said no: PayPal answers a 422 and the payer may choose another one.
      throw unprocessable(decline.issue, 'The instrument presented was either declined by the processor or bank, or it can\'t be used for this payment.', true, {
        links: [{ href: `${this.url}/checkoutnow?token=${o.id}`, rel: 'redirect', method: 'GET' }],
      });
    }
    const time = nowIso();
    const base = { orderId: o.id, amount: { ...o.unit.amount }, units: o.units, createTime: time, updateTime: time, ...(o.unit.custom_id ? { customId: o.unit.custom_id } : {}) };
    if (intent === 'CAPTURE') {
      const c: CaptureState = { ...base, id: ppId(), status: decline?.status ?? 'COMPLETED', refunded: 0, finalCapture: true, ...(decline?.code ? { processorCode: decline.code } : {}), ...(decline?.reason ? { reason: decline.reason } : {}) };
      this.#captures.set(c.id, c);
      o.captures.push(c.id);
    } else {
      const status = decline ? (decline.status === 'PENDING' ? 'PENDING' : 'DENIED') : 'CREATED';
      const a: AuthorizationState = { ...base, id: ppId(), status, captured: 0 };
      this.#authorizations.set(a.id, a);
      o.authorizations.push(a.id);
    }
    o.status = 'COMPLETED';
    o.updateTime = time;
  }

  #captureAuthorization(a: AuthorizationState, p: Record<string, unknown>): CaptureState {
    const amount = (p.amount as Money | undefined) ?? { currency_code: a.amount.currency_code, value: formatValue(a.units - a.captured, a.amount.currency_code) };
    if (amount.currency_code !== a.amount.currency_code) throw unprocessable('CURRENCY_MISMATCH', 'Currency of capture must be the same as currency of authorization.');
    const units = minorUnits(amount, '/amount');
    if (a.status === 'CAPTURED') throw unprocessable('AUTHORIZATION_ALREADY_CAPTURED', 'Authorization has been previously captured and hence cannot be captured again.', true);
    if (a.status === 'VOIDED') throw unprocessable('AUTHORIZATION_VOIDED', 'A voided authorization cannot be captured or reauthorized.', true);
    if (a.status !== 'CREATED' && a.status !== 'PARTIALLY_CAPTURED') throw unprocessable('AUTHORIZATION_DENIED', `An authorization in status ${a.status} cannot be captured.`, true);
    if (units > a.units - a.captured) throw unprocessable('MAX_CAPTURE_AMOUNT_EXCEEDED', 'Capture amount exceeds allowable limit.', true);
    const final = p.final_capture === true;
    const time = nowIso();
    const c: CaptureState = {
      id: ppId(), orderId: a.orderId, authorizationId: a.id, status: 'COMPLETED', amount: { ...amount }, units, refunded: 0, finalCapture: final,
      ...(a.customId ? { customId: a.customId } : {}), createTime: time, updateTime: time,
    };
    this.#captures.set(c.id, c);
    this.#orders.get(a.orderId)?.captures.push(c.id);
    a.captured += units;
    a.status = final || a.captured === a.units ? 'CAPTURED' : 'PARTIALLY_CAPTURED';
    a.updateTime = time;
    return c;
  }

  #refund(c: CaptureState, p: Record<string, unknown>): RefundState {
    const left = c.units - c.refunded;
    const amount = (p.amount as Money | undefined) ?? { currency_code: c.amount.currency_code, value: formatValue(left, c.amount.currency_code) };
    if (amount.currency_code !== c.amount.currency_code) throw unprocessable('REFUND_CAPTURE_CURRENCY_MISMATCH', 'Refund must be in the same currency as the capture.');
    const units = minorUnits(amount, '/amount');
    if (c.status === 'REFUNDED') throw unprocessable('CAPTURE_FULLY_REFUNDED', 'The capture has already been fully refunded.', true);
    if (c.status !== 'COMPLETED' && c.status !== 'PARTIALLY_REFUNDED') throw unprocessable('REFUND_NOT_ALLOWED', `A capture in status ${c.status} cannot be refunded.`, true);
    if (units > left) throw unprocessable('REFUND_AMOUNT_EXCEEDED', 'The refund amount must be less than or equal to the capture amount that has not yet been refunded.', true);
    c.refunded += units;
    c.status = c.refunded === c.units ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    c.updateTime = nowIso();
    const r: RefundState = { id: ppId(), captureId: c.id, orderId: c.orderId, status: 'COMPLETED', amount: { ...amount }, ...(p.custom_id ? { customId: p.custom_id as string } : {}), createTime: c.updateTime };
    this.#refunds.set(r.id, r);
    this.#orders.get(c.orderId)?.refunds.push(r.id);
    return r;
  }

  // ---- views (what PayPal answers) ----

  #orderView(o: OrderState, minimal = false): Record<string, unknown> {
    const self = { href: `${this.url}/v2/checkout/orders/${o.id}`, rel: 'self', method: 'GET' };
    const links: Link[] = [self];
    if (o.status === 'CREATED' || o.status === 'PAYER_ACTION_REQUIRED') {
      links.push({ href: `${this.url}/checkoutnow?token=${o.id}`, rel: o.withPaymentSource ? 'payer-action' : 'approve', method: 'GET' });
    }
    if (o.status === 'APPROVED') links.push({ href: `${self.href}/${o.intent === 'CAPTURE' ? 'capture' : 'authorize'}`, rel: o.intent === 'CAPTURE' ? 'capture' : 'authorize', method: 'POST' });
    if (minimal) return { id: o.id, status: o.status, links };
    const payments: Record<string, unknown> = {};
    if (o.authorizations.length) payments.authorizations = o.authorizations.map((id) => this.#authorizationView(this.#authorizations.get(id)!));
    if (o.captures.length) payments.captures = o.captures.map((id) => this.#captureView(this.#captures.get(id)!));
    if (o.refunds.length) payments.refunds = o.refunds.map((id) => this.#refundView(this.#refunds.get(id)!));
    const paid = o.status === 'APPROVED' || o.status === 'COMPLETED';
    return {
      id: o.id,
      intent: o.intent,
      status: o.status,
      ...(o.withPaymentSource ? { payment_source: { paypal: paid && o.payerId ? { email_address: 'buyer@example.com', account_id: o.payerId, account_status: 'VERIFIED' } : {} } } : {}),
      purchase_units: [{ ...o.unit, payee: { merchant_id: 'KASSAFAKEMERCH' }, ...(Object.keys(payments).length ? { payments } : {}) }],
      ...(paid && o.payerId ? { payer: { payer_id: o.payerId, email_address: 'buyer@example.com' } } : {}),
      create_time: o.createTime,
      update_time: o.updateTime,
      links,
    };
  }

  #authorizationView(a: AuthorizationState): Record<string, unknown> {
    const self = `${this.url}/v2/payments/authorizations/${a.id}`;
    return {
      id: a.id,
      status: a.status,
      ...(a.status === 'PENDING' ? { status_details: { reason: 'PENDING_REVIEW' } } : {}),
      amount: a.amount,
      ...(a.customId ? { custom_id: a.customId } : {}),
      seller_protection: { status: 'ELIGIBLE' },
      expiration_time: new Date(Date.parse(a.createTime) + 29 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      create_time: a.createTime,
      update_time: a.updateTime,
      supplementary_data: { related_ids: { order_id: a.orderId } },
      links: [
        { href: self, rel: 'self', method: 'GET' },
        { href: `${self}/capture`, rel: 'capture', method: 'POST' },
        { href: `${self}/void`, rel: 'void', method: 'POST' },
        { href: `${this.url}/v2/checkout/orders/${a.orderId}`, rel: 'up', method: 'GET' },
      ],
    };
  }

  #captureView(c: CaptureState, minimal = false): Record<string, unknown> {
    const self = `${this.url}/v2/payments/captures/${c.id}`;
    const links = [
      { href: self, rel: 'self', method: 'GET' },
      { href: `${self}/refund`, rel: 'refund', method: 'POST' },
      c.authorizationId
        ? { href: `${this.url}/v2/payments/authorizations/${c.authorizationId}`, rel: 'up', method: 'GET' }
        : { href: `${this.url}/v2/checkout/orders/${c.orderId}`, rel: 'up', method: 'GET' },
    ];
    if (minimal) return { id: c.id, status: c.status, links };
    return {
      id: c.id,
      status: c.status,
      ...(c.reason || c.status === 'PENDING' ? { status_details: { reason: c.reason ?? 'PENDING_REVIEW' } } : {}),
      ...(c.processorCode ? { processor_response: { response_code: c.processorCode } } : {}),
      amount: c.amount,
      final_capture: c.finalCapture,
      ...(c.customId ? { custom_id: c.customId } : {}),
      seller_protection: { status: 'ELIGIBLE' },
      create_time: c.createTime,
      update_time: c.updateTime,
      supplementary_data: { related_ids: { order_id: c.orderId, ...(c.authorizationId ? { authorization_id: c.authorizationId } : {}) } },
      links,
    };
  }

  #refundView(r: RefundState, minimal = false): Record<string, unknown> {
    const links = [
      { href: `${this.url}/v2/payments/refunds/${r.id}`, rel: 'self', method: 'GET' },
      { href: `${this.url}/v2/payments/captures/${r.captureId}`, rel: 'up', method: 'GET' },
    ];
    if (minimal) return { id: r.id, status: r.status, links };
    return { id: r.id, status: r.status, amount: r.amount, ...(r.customId ? { custom_id: r.customId } : {}), create_time: r.createTime, update_time: r.createTime, links };
  }

  // ---- the shopper's approval page ----

  #page(req: IncomingMessage, res: ServerResponse, url: URL, rawBody: string, record: RecordedRequest): void {
    const html = (status: number, title: string, body: string): void => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`);
    };
    if (url.pathname === '/checkoutnow' && req.method === 'GET') {
      const o = this.#orders.get(url.searchParams.get('token') ?? '');
      if (!o) return html(404, 'PayPal Sandbox: order not found', '<p>This checkout link is not valid.</p>');
      if (o.status !== 'CREATED' && o.status !== 'PAYER_ACTION_REQUIRED') return html(409, 'PayPal Sandbox: order not payable', `<p>This order is ${escape(o.status)}.</p>`);
      const cancel = o.cancelUrl ? withQuery(o.cancelUrl, { token: o.id }) : undefined;
      return html(200, 'PayPal Sandbox checkout', [
        `<p id="amount">Pay ${escape(o.unit.amount.value)} ${escape(o.unit.amount.currency_code)}</p>`,
        `<form method="post" action="/checkoutnow/approve"><input type="hidden" name="token" value="${escape(o.id)}"><button type="submit" id="approve">Approve</button></form>`,
        cancel ? `<p><a id="cancel" href="${escape(cancel)}">Cancel and return to merchant</a></p>` : '',
      ].join(''));
    }
    if (url.pathname === '/checkoutnow/approve' && req.method === 'POST') {
      const token = new URLSearchParams(rawBody).get('token') ?? '';
      const o = this.#orders.get(token);
      if (!o || (o.status !== 'CREATED' && o.status !== 'PAYER_ACTION_REQUIRED')) return html(409, 'PayPal Sandbox: order not payable', '<p>This order cannot be approved.</p>');
      const back = this.approve(o.id);
      if (!o.returnUrl) return html(200, 'PayPal Sandbox: approved', '<p>Approved. The merchant gave no return URL.</p>');
      record.status = 302;
      res.writeHead(302, { Location: withQuery(o.returnUrl, back), 'Cache-Control': 'no-store' }).end();
      return;
    }
    html(405, 'Method not allowed', '');
  }
}

function routeOf(method: string, path: string): { route: Route; id?: string | undefined } | undefined {
  if (method === 'POST' && path === '/v1/oauth2/token') return { route: 'token' };
  if (method === 'POST' && path === '/v2/checkout/orders') return { route: 'create_order' };
  if (method === 'POST' && path === '/v1/notifications/verify-webhook-signature') return { route: 'verify_webhook' };
  let m = /^\/v2\/checkout\/orders\/([A-Z0-9]+)(?:\/(capture|authorize))?$/.exec(path);
  if (m) {
    if (method === 'GET' && !m[2]) return { route: 'get_order', id: m[1] };
    if (method === 'PATCH' && !m[2]) return { route: 'patch_order', id: m[1] };
    if (method === 'POST' && m[2]) return { route: m[2] === 'capture' ? 'capture_order' : 'authorize_order', id: m[1] };
    return undefined;
  }
  m = /^\/v2\/payments\/authorizations\/([A-Z0-9]+)(?:\/(capture|void))?$/.exec(path);
  if (m) {
    if (method === 'GET' && !m[2]) return { route: 'get_authorization', id: m[1] };
    if (method === 'POST' && m[2]) return { route: m[2] === 'capture' ? 'capture_authorization' : 'void_authorization', id: m[1] };
    return undefined;
  }
  m = /^\/v2\/payments\/captures\/([A-Z0-9]+)(\/refund)?$/.exec(path);
  if (m) {
    if (method === 'GET' && !m[2]) return { route: 'get_capture', id: m[1] };
    if (method === 'POST' && m[2]) return { route: 'refund_capture', id: m[1] };
    return undefined;
  }
  m = /^\/v2\/payments\/refunds\/([A-Z0-9]+)$/.exec(path);
  if (m && method === 'GET') return { route: 'get_refund', id: m[1] };
  return undefined;
}

interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** The patches this fake takes (PayPal takes more): the purchase unit's description, custom_id, invoice_id, by reference_id. */
function validatePatch(json: unknown): void {
  if (!Array.isArray(json) || json.length === 0) throw invalidRequest([{ field: '/', issue: 'MALFORMED_REQUEST_JSON', description: 'A PATCH body is a non-empty JSON Patch array.' }]);
  json.forEach((op: unknown, i) => {
    const o = (typeof op === 'object' && op !== null ? op : {}) as Record<string, unknown>;
    const field = `/${i}`;
    if (!['add', 'replace', 'remove'].includes(o.op as string)) throw invalidRequest([{ field: `${field}/op`, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' }]);
    if (typeof o.path !== 'string' || !/^\/purchase_units\/@reference_id=='default'\/(description|custom_id|invoice_id)$/.test(o.path)) {
      throw unprocessable('INVALID_PATCH_PATH', `The specified field cannot be patched (${String(o.path)}).`);
    }
    if (o.op !== 'remove' && (typeof o.value !== 'string' || o.value.length < 1 || o.value.length > 127)) throw unprocessable('INVALID_PARAMETER_VALUE', 'The patched value must be a string of 1 to 127 characters.');
    for (const k of Object.keys(o)) if (!['op', 'path', 'value', 'from'].includes(k)) throw invalidRequest([{ field: `${field}/${k}`, issue: 'UNKNOWN_FIELD', description: 'Not a JSON Patch field.' }]);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

// ---- standalone, for the end-to-end test ----

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const fake = await PayPalFake.start({
    port: Number(arg('port') ?? 0),
    ...(arg('client-id') ? { clientId: arg('client-id')! } : {}),
    ...(arg('client-secret') ? { clientSecret: arg('client-secret')! } : {}),
    ...(arg('webhook-id') ? { webhookId: arg('webhook-id')! } : {}),
  });
  process.stdout.write(`listening ${fake.url}\n`);
  const stop = (): void => void fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
