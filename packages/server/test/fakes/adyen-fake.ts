/**
 * A local stand-in for Adyen's Checkout API (v71), strict where Adyen is, so the adapter is tested
 * against the rules it will meet rather than against its own assumptions. A real `node:http`
 * server on port 0.
 *
 * What it follows, and from where:
 *   - Paths, required fields, enums, the 201 `status: "received"` of modifications and the
 *     `ServiceError` shape `{ status, errorCode, message, errorType, pspReference? }`: the Checkout
 *     v71 OpenAPI spec (github.com/Adyen/adyen-openapi, json/CheckoutService-v71.json). The 401
 *     (`000`, security), 403 (`901` Invalid Merchant Account), 400 (`702` unexpected input) and 422
 *     (`14_030` Return URL is missing) bodies are the spec's own examples. Other numeric error codes
 *     (100, 101, 103, 129, 130, 137, 167) are from Adyen's error-code list as best known; the
 *     adapter only relies on the HTTP status and errorType, never on those numbers.
 *   - `X-API-Key` (the spec's ApiKeyAuth scheme) and `Idempotency-Key` (≤ 64 characters; the same
 *     key answers the first response again, acting once:
 *     docs.adyen.com/development-resources/api-idempotency). The docs say nothing precise about a
 *     key reused with another body; the fake refuses it with 422 `704` ("request already processed
 *     or in progress", Adyen's code for a key in use), and answers the same to a concurrent request
 *     under a key still being processed. Refused (4xx) requests are not kept under their key.
 *   - Test cards (docs.adyen.com/development-resources/test-cards-and-credentials/test-card-numbers):
 *     4111 1111 4555 1142 Visa and 5555 3412 4444 1115 Mastercard are approved, 4212 3456 7891 0006
 *     asks for a 3-D Secure 2 challenge (here as the redirect flow, Adyen's default since v67),
 *     CVC 737 (Amex 7373) — another CVC is refused `24` CVC Declined.
 *   - Refusals by `paymentMethod.holderName`, the documented test trigger
 *     (docs.adyen.com/development-resources/testing/result-codes: e.g. `NOT_ENOUGH_BALANCE` → 12).
 *     Kassa's port carries no holder name, so tests can set the same trigger per card number
 *     (`refuseCard`) — a test control of this fake, behaving exactly as the holder name would.
 *   - Fake-only, for the conformance suite's money checks: an issuer with a balance and holds per
 *     card (`setBalance`, `account`); short of funds it refuses `12` Not enough balance.
 *   - Modifications are decided asynchronously as Adyen does: the answer is `received`, and the
 *     decision is a signed notification item (CAPTURE / CANCELLATION / REFUND with success
 *     true/false) in `notifications`. A capture or refund the card scheme rejects later
 *     (`rejectCapture`, `rejectRefund`) is a CAPTURE_FAILED / REFUND_FAILED item under the
 *     modification's pspReference (docs.adyen.com/online-payments/capture/failure-reasons).
 *   - Every authorization decided (by /payments, or /payments/details after a challenge) is an
 *     AUTHORISATION item with Adyen's documented fields (Webhooks v1, AuthorisationNotificationRequestItem):
 *     pspReference, merchantReference, merchantAccountCode, amount, success, eventDate, reason
 *     (`authCode:last4:expiry` when authorised, the refusal reason's name when refused),
 *     paymentMethod, operations — signed as Adyen signs it.
 *
 * Card numbers are masked to their last four in what it records.
 */
import { luhnValid } from '@kassa/core';
import { LocalServer } from './local-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { isCurrency } from '@kassa/core/currencies';
import { Sensitive } from '../../src/domain/ports.js';
import { signAdyenItem } from '../../src/adapters/adyen/notifications.js';
import type { AdyenNotificationItem } from '../../src/adapters/adyen/notifications.js';

export const ADYEN_TEST_CARDS = {
  visa: '4111111145551142',
  mastercard: '5555341244441115',
  threeDSecure: '4212345678910006',
  /** 3-D Secure 1: the shopper's browser POSTs a form (PaReq, MD, TermUrl) to the issuer's ACS. */
  threeDSecure1: '4917610000000000',
  amex: '370000000000002',
} as const;

/** holderName triggers of Adyen's "testing result codes" table: value → [resultCode, refusalReasonCode, refusalReason]. */
const HOLDER_NAME_TRIGGERS: Record<string, [string, string, string]> = {
  DECLINED: ['Refused', '2', 'Refused'],
  REFERRAL: ['Refused', '3', 'Referral'],
  ERROR: ['Error', '4', 'Acquirer Error'],
  BLOCK_CARD: ['Refused', '5', 'Blocked Card'],
  CARD_EXPIRED: ['Refused', '6', 'Expired Card'],
  INVALID_AMOUNT: ['Refused', '7', 'Invalid Amount'],
  INVALID_CARD: ['Refused', '8', 'Invalid Card Number'],
  ISSUER_UNAVAILABLE: ['Refused', '9', 'Issuer Unavailable'],
  NOT_SUPPORTED: ['Refused', '10', 'Not supported'],
  NOT_3D_AUTHENTICATED: ['Refused', '11', '3D Not Authenticated'],
  NOT_ENOUGH_BALANCE: ['Refused', '12', 'Not enough balance'],
  ACQUIRER_FRAUD: ['Refused', '14', 'Acquirer Fraud'],
  CANCELLED: ['Cancelled', '15', 'Cancelled'],
  SHOPPER_CANCELLED: ['Refused', '16', 'Shopper Cancelled'],
  FRAUD: ['Refused', '20', 'FRAUD'],
  NOT_SUBMITTED: ['Refused', '21', 'Not Submitted'],
  TRANSACTION_NOT_PERMITTED: ['Refused', '23', 'Transaction Not Permitted'],
  CVC_DECLINED: ['Refused', '24', 'CVC Declined'],
  RESTRICTED_CARD: ['Refused', '25', 'Restricted Card'],
  DECLINED_NON_GENERIC: ['Refused', '27', 'Declined Non Generic'],
  WITHDRAWAL_AMOUNT_EXCEEDED: ['Refused', '28', 'Withdrawal amount exceeded'],
  ISSUER_SUSPECTED_FRAUD: ['Refused', '31', 'Issuer Suspected Fraud'],
  AUTHENTICATION_REQUIRED: ['Refused', '38', 'Authentication required'],
};

/** Top-level fields of PaymentRequest in the v71 spec: anything else is refused (400 702). */
const PAYMENT_REQUEST_FIELDS = new Set(
  'accountInfo,additionalAmount,additionalData,amount,applicationInfo,authenticationData,bankAccount,billingAddress,browserInfo,captureDelayHours,channel,checkoutAttemptId,company,conversionId,countryCode,dateOfBirth,dccQuote,deliverAt,deliveryAddress,deliveryDate,deviceFingerprint,enableOneClick,enablePayOut,enableRecurring,enhancedSchemeData,entityType,fraudOffset,fundOrigin,fundRecipient,industryUsage,installments,lineItems,localizedShopperStatement,mandate,mcc,merchantAccount,merchantOrderReference,merchantRiskIndicator,metadata,mpiData,order,orderReference,origin,paymentMethod,paymentValidations,platformChargebackLogic,recurringExpiry,recurringFrequency,recurringProcessingModel,redirectFromIssuerMethod,redirectToIssuerMethod,reference,returnUrl,riskData,sessionValidity,shopperConversionId,shopperEmail,shopperIP,shopperInteraction,shopperLocale,shopperName,shopperReference,shopperStatement,shopperTaxInfo,socialSecurityNumber,splits,store,storePaymentMethod,subMerchants,surcharge,telephoneNumber,threeDS2RequestData,threeDSAuthenticationOnly,trustedShopper'.split(','),
);
/** The raw-card subset of CardDetails the fake understands (a fake need not take encrypted fields). */
const CARD_FIELDS = new Set(['type', 'number', 'expiryMonth', 'expiryYear', 'cvc', 'holderName', 'brand']);
/** ApplePayDetails and GooglePayDetails (Checkout v71): the token, and what else the spec lets an API-only integration send. */
const WALLET_FIELDS = {
  applepay: { token: 'applePayToken', fields: new Set(['type', 'applePayToken', 'fundingSource', 'checkoutAttemptId']) },
  googlepay: { token: 'googlePayToken', fields: new Set(['type', 'googlePayToken', 'fundingSource', 'googlePayCardNetwork', 'threeDS2SdkVersion', 'checkoutAttemptId']) },
} as const;
type WalletKind = keyof typeof WALLET_FIELDS;
const DETAILS_REQUEST_FIELDS = new Set(['authenticationData', 'details', 'paymentData', 'threeDSAuthenticationOnly']);
const CAPTURE_FIELDS = new Set(['amount', 'applicationInfo', 'enhancedSchemeData', 'lineItems', 'merchantAccount', 'platformChargebackLogic', 'reference', 'splits', 'subMerchants']);
const CANCEL_FIELDS = new Set(['applicationInfo', 'enhancedSchemeData', 'merchantAccount', 'reference']);
const REFUND_FIELDS = new Set(['amount', 'applicationInfo', 'capturePspReference', 'enhancedSchemeData', 'lineItems', 'merchantAccount', 'merchantRefundReason', 'reference', 'splits', 'store']);

export type FaultKind =
  /** Act (and keep the answer under the key), then answer 500. */
  | 'error_after'
  /** Never answer. */
  | 'hang'
  /** Close the socket without acting. */
  | 'drop_before'
  /** Act, then close the socket without answering. */
  | 'drop_after';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body, card number masked to its last four, CVC masked. */
  body: unknown;
  status?: number;
}

interface Payment {
  psp: string;
  reference: string;
  card: string;
  amount: number;
  currency: string;
  status: 'authorised' | 'captured' | 'cancelled' | 'pending_3ds' | 'refused' | 'capture_failed' | 'received';
  expiry: string;
  manual: boolean;
  captured: number;
  refunded: number;
  offSession: boolean;
}

interface Kept {
  fingerprint: string;
  status: number;
  body: unknown;
  done: boolean;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

const API_ERROR = (status: number, errorCode: string, message: string, errorType: string): Reply =>
  new Reply(status, { status, errorCode, message, errorType });
const invalid = (errorCode: string, message: string): Reply => API_ERROR(422, errorCode, message, 'validation');
const structure = (message: string): Reply => API_ERROR(400, '702', message, 'validation');

export interface AdyenFakeOptions {
  apiKey: string;
  merchantAccount: string;
  /** Hex HMAC key the notifications are signed with. */
  hmacKey: string;
  /**
   * The account setting Adyen's support turns on: a partial capture leaves the rest authorised
   * for further captures (and a cancel then releases it); without it a partial capture releases
   * the rest (Adyen's default).
   */
  multiplePartialCaptures?: boolean;
}

/** Posts items to Kassa's inbound Adyen route as one webhook batch, in Adyen's own body shape. */
export async function postAdyenNotifications(kassaUrl: string, ...items: AdyenNotificationItem[]): Promise<{ status: number; text: string }> {
  const res = await fetch(`${kassaUrl}/providers/adyen/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })) }),
  });
  return { status: res.status, text: await res.text() };
}

export class AdyenFake {
  readonly requests: RecordedRequest[] = [];
  readonly notifications: AdyenNotificationItem[] = [];
  readonly #options: AdyenFakeOptions;
  readonly #http: LocalServer;
  readonly #keys = new Map<string, Kept>();
  readonly #payments = new Map<string, Payment>();
  readonly #balances = new Map<string, number>();
  /** Reasons the next cancels are refused with after Adyen accepted them (`refuseNextCancel`). */
  readonly #cancelRefusals: string[] = [];
  readonly #refusals = new Map<string, string>();
  /** Cards whose next authorization Adyen answers `Received`, deciding later (`decide`). */
  readonly #holdBack = new Set<string>();
  /** Device wallet tokens this fake issued (as Apple and Google would, encrypted for this account): what each decrypts to, and whether it was used. */
  readonly #walletTokens = new Map<string, { kind: WalletKind; card: string; used: boolean }>();
  readonly #redirectResults = new Map<string, { psp: string; passed: boolean; used: boolean }>();
  /** 3-D Secure 1 challenges: the form the ACS expects, and whether the shopper's browser posted it. */
  readonly #acs = new Map<string, { md: string; paReq: string; termUrl: string; posted: boolean }>();
  readonly #faults: { kind: FaultKind; path: RegExp }[] = [];
  #url = '';

  private constructor(options: AdyenFakeOptions) {
    this.#options = options;
    this.#http = new LocalServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: AdyenFakeOptions): Promise<AdyenFake> {
    const fake = new AdyenFake(options);
    fake.#url = `http://127.0.0.1:${await fake.#http.listen()}`;
    return fake;
  }

  /** The Checkout base to configure the adapter with. */
  get checkoutBase(): string {
    return `${this.#url}/v71`;
  }

  /** The next request whose path matches gets this fault (in order, once each). */
  fault(kind: FaultKind, path: RegExp = /./): void {
    this.#faults.push({ kind, path });
  }

  /** Test control: this card is refused as the holderName trigger would refuse it. */
  /** The next authorization of this card is answered `Received` (Adyen decides later: `decide`); no money moves until then. */
  holdBack(number: string): void {
    this.#holdBack.add(number);
  }

  /** Adyen decides a payment it answered `Received`: the issuer's usual decision, and its AUTHORISATION notification (returned). */
  decide(psp: string): AdyenNotificationItem {
    const payment = this.#payments.get(psp);
    if (!payment || payment.status !== 'received') throw new Error(`no received payment ${psp}`);
    this.#authorise(payment);
    const item = this.notifications.at(-1);
    if (!item || item.pspReference !== psp) throw new Error('the decision made no notification');
    return item;
  }

  /**
   * A device wallet's payment token for a card, as the shopper's device would give it for this
   * account (Apple Pay's `paymentData` as base64; Google Pay's ECv2 `token` string). Only this
   * fake can "decrypt" it (it remembers the card); each decrypts once, as a wallet cryptogram is
   * good for one payment.
   */
  walletToken(kind: 'apple_pay' | 'google_pay', card: string): string {
    const blob = () => randomBytes(48).toString('base64');
    const token =
      kind === 'apple_pay'
        ? Buffer.from(JSON.stringify({ version: 'EC_v1', data: blob(), signature: blob(), header: { ephemeralPublicKey: blob(), publicKeyHash: blob(), transactionId: randomBytes(32).toString('hex') } })).toString('base64')
        : JSON.stringify({ signature: blob(), intermediateSigningKey: { signedKey: blob(), signatures: [blob()] }, protocolVersion: 'ECv2', signedMessage: blob() });
    this.#walletTokens.set(token, { kind: kind === 'apple_pay' ? 'applepay' : 'googlepay', card, used: false });
    return token;
  }

  refuseCard(number: string, trigger: keyof typeof HOLDER_NAME_TRIGGERS): void {
    this.#refusals.set(number, trigger);
  }

  setBalance(number: string, minor: number): void {
    this.#balances.set(number, minor);
  }

  /** What the issuer holds and has taken on a card (null before the card was first used). */
  account(number: string): { balance: number; held: number } | null {
    const balance = this.#balances.get(number);
    if (balance === undefined) return null;
    let held = 0;
    for (const p of this.#payments.values()) if (p.card === number && p.status === 'authorised') held += p.amount - p.captured;
    return { balance, held };
  }

  /** The payments Adyen made under a merchant reference (Kassa's intent id), as Adyen's own records show them. */
  paymentsFor(reference: string): Array<{ psp: string; status: Payment['status']; amount: number; captured: number; refunded: number }> {
    return [...this.#payments.values()]
      .filter((p) => p.reference === reference)
      .map((p) => ({ psp: p.psp, status: p.status, amount: p.amount, captured: p.captured, refunded: p.refunded }));
  }

  /**
   * Test control: an item signed with the account's HMAC key as Adyen signs it (e.g. an
   * AUTHORISATION for another amount than asked, as Adyen would notify one).
   */
  signed(item: AdyenNotificationItem): AdyenNotificationItem {
    const { hmacSignature: _old, ...rest } = item.additionalData ?? {};
    void _old;
    const bare = { ...item, additionalData: rest };
    return { ...bare, additionalData: { ...rest, hmacSignature: signAdyenItem(bare, new Sensitive(this.#options.hmacKey)) } };
  }

  /** The card scheme rejects a capture Adyen accepted: the money goes back, and a CAPTURE_FAILED item follows. */
  rejectCapture(psp: string, reason = 'Capture rejected by card scheme because of a technical issue.'): AdyenNotificationItem {
    const payment = this.#payments.get(psp);
    const capture = this.notifications.find((n) => n.originalReference === psp && n.eventCode === 'CAPTURE' && n.success === 'true');
    if (!payment || payment.status !== 'captured' || !capture) throw new Error(`no capture of ${psp} to reject`);
    this.#balances.set(payment.card, (this.#balances.get(payment.card) ?? 0) + payment.captured);
    Object.assign(payment, { status: 'capture_failed', captured: 0 });
    return this.#notify({ ...capture, additionalData: undefined, eventCode: 'CAPTURE_FAILED', success: 'true', reason, eventDate: new Date().toISOString() });
  }

  /** The card scheme rejects a refund Adyen accepted: the money stays taken, and a REFUND_FAILED item follows. */
  rejectRefund(psp: string, reason = 'Refund rejected by card scheme because of a technical issue.'): AdyenNotificationItem {
    const payment = this.#payments.get(psp);
    const refund = [...this.notifications].reverse().find((n) => n.originalReference === psp && n.eventCode === 'REFUND' && n.success === 'true');
    if (!payment || !refund) throw new Error(`no refund of ${psp} to reject`);
    payment.refunded -= refund.amount.value;
    this.#balances.set(payment.card, (this.#balances.get(payment.card) ?? 0) - refund.amount.value);
    return this.#notify({ ...refund, additionalData: undefined, eventCode: 'REFUND_FAILED', success: 'true', reason, eventDate: new Date().toISOString() });
  }

  /**
   * The next cancel is accepted (`received`) and then not carried out: its CANCELLATION item says
   * `success: "false"` with the reason, and the hold stands (Adyen's docs: a cancel fails when
   * the payment was already captured or its authorisation expired).
   */
  refuseNextCancel(reason = 'Transaction Not Permitted'): void {
    this.#cancelRefusals.push(reason);
  }

  /** The notifications Adyen would have sent about a payment, by its pspReference. */
  notificationsFor(psp: string): AdyenNotificationItem[] {
    return this.notifications.filter((n) => n.pspReference === psp || n.originalReference === psp);
  }

  /**
   * The shopper finishes (or fails) the challenge of a payment: returns the `redirectResult`
   * Adyen would append to the returnUrl.
   */
  completeChallenge(psp: string, passed: boolean): string {
    const payment = this.#payments.get(psp);
    if (!payment || payment.status !== 'pending_3ds') throw new Error(`no challenge pending for ${psp}`);
    // 3-D Secure 1: only a shopper whose browser posted the ACS its form can finish; the token is the PaRes.
    const acs = this.#acs.get(psp);
    if (acs && !acs.posted) throw new Error(`the shopper's browser never posted the challenge form for ${psp}`);
    const token = randomBytes(24).toString('base64url');
    this.#redirectResults.set(token, { psp, passed, used: false });
    return token;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  // ---- the HTTP side ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RecordedRequest = { method: req.method ?? '', path, headers: { ...req.headers }, body: undefined };
    this.requests.push(record);
    try {
      record.body = maskCard(JSON.parse(raw));
    } catch {
      record.body = raw.length > 0 ? '<not JSON>' : undefined;
    }

    if (req.method === 'GET' && path.startsWith('/fake/3ds/')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>3-D Secure (fake)</title>');
      return;
    }
    if (path.startsWith('/fake/acs/')) {
      // The issuer's ACS, as strict as one: a form POST with exactly the fields it issued.
      const acs = this.#acs.get(path.slice('/fake/acs/'.length));
      const form = new URLSearchParams(raw);
      const ok =
        req.method === 'POST' &&
        (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') &&
        acs !== undefined &&
        [...form.keys()].sort().join() === 'MD,PaReq,TermUrl' &&
        form.get('MD') === acs.md &&
        form.get('PaReq') === acs.paReq &&
        form.get('TermUrl') === acs.termUrl;
      if (ok) acs.posted = true;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html' }).end(ok ? '<!doctype html><title>3-D Secure 1 (fake ACS)</title>' : 'bad challenge form');
      return;
    }

    const faultIndex = this.#faults.findIndex((f) => f.path.test(path));
    const fault = faultIndex >= 0 ? this.#faults.splice(faultIndex, 1)[0]?.kind : undefined;
    if (fault === 'hang') return; // the socket stays open until the client gives up or close()
    if (fault === 'drop_before') return void req.socket.destroy();

    const reply = this.#serve(req, path, raw);
    if (fault === 'drop_after') return void req.socket.destroy();
    const final = fault === 'error_after' ? API_ERROR(500, '000', 'An internal error occurred', 'internal') : reply;
    record.status = final.status;
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') headers['idempotency-key'] = key;
    res.writeHead(final.status, headers).end(JSON.stringify(final.body));
  }

  #serve(req: IncomingMessage, path: string, raw: string): Reply {
    // Security first, as Adyen does: an unauthenticated request learns nothing else.
    if (req.headers['x-api-key'] !== this.#options.apiKey) return API_ERROR(401, '000', 'HTTP Status Response - Unauthorized', 'security');
    if (req.method !== 'POST') return API_ERROR(405, '000', 'HTTP Status Response - Method Not Allowed', 'validation');
    const route = matchRoute(path);
    if (!route) return API_ERROR(404, '000', 'HTTP Status Response - Not Found', 'validation');
    if (!String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return API_ERROR(415, '000', 'HTTP Status Response - Unsupported Media Type', 'validation');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return structure('Unexpected input: not a JSON object');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return structure('Unexpected input: expected an object');

    const key = req.headers['idempotency-key'];
    if (key === undefined) return this.#route(route, body as Record<string, unknown>);
    if (typeof key !== 'string' || key.length === 0 || key.length > 64) return invalid('702', 'Idempotency-Key must be 1 to 64 characters');
    const fingerprint = createHash('sha256').update(`${path}\n${canonical(body)}`).digest('hex');
    const kept = this.#keys.get(key);
    if (kept) {
      if (!kept.done || kept.fingerprint !== fingerprint) return invalid('704', 'request already processed or in progress');
      return new Reply(kept.status, kept.body);
    }
    const entry: Kept = { fingerprint, status: 0, body: null, done: false };
    this.#keys.set(key, entry);
    const reply = this.#route(route, body as Record<string, unknown>);
    if (reply.status >= 400 && reply.status < 500) {
      this.#keys.delete(key); // a refused request did nothing: the key stays free
    } else {
      Object.assign(entry, { status: reply.status, body: reply.body, done: true });
    }
    return reply;
  }

  #route(route: Route, body: Record<string, unknown>): Reply {
    switch (route.kind) {
      case 'payments':
        return this.#payment(body);
      case 'details':
        return this.#details(body);
      case 'captures':
      case 'cancels':
      case 'refunds':
        return this.#modification(route.kind, route.psp, body);
      default: {
        const unreachable: never = route;
        throw new Error(String(unreachable));
      }
    }
  }

  #merchant(body: Record<string, unknown>): Reply | null {
    if (body['merchantAccount'] === undefined) return invalid('000', "Required field 'merchantAccount' is not provided.");
    if (body['merchantAccount'] !== this.#options.merchantAccount) return API_ERROR(403, '901', 'Invalid Merchant Account', 'security');
    return null;
  }

  #amount(value: unknown): Reply | { value: number; currency: string } {
    if (value === undefined) return invalid('100', 'There is no amount specified in the request');
    if (typeof value !== 'object' || value === null) return structure("Unexpected input: 'amount' must be an object");
    const a = value as Record<string, unknown>;
    const unknown = Object.keys(a).filter((k) => k !== 'value' && k !== 'currency');
    if (unknown.length) return structure(`Structure of Amount contains the following unknown fields: [${unknown.join(', ')}]`);
    if (!Number.isSafeInteger(a['value'])) return structure("Unexpected input: 'amount.value' must be an integer (minor units)");
    if ((a['value'] as number) <= 0) return invalid('137', 'Invalid amount specified');
    const currency = a['currency'];
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency) || !isCurrency(currency.toLowerCase())) {
      return invalid('000', `Currency code is invalid: ${String(currency)}`);
    }
    return { value: a['value'] as number, currency };
  }

  #payment(body: Record<string, unknown>): Reply {
    const unknown = Object.keys(body).filter((k) => !PAYMENT_REQUEST_FIELDS.has(k));
    if (unknown.length) return structure(`Structure of PaymentRequest contains the following unknown fields: [${unknown.join(', ')}]`);
    const denied = this.#merchant(body);
    if (denied) return denied;
    const amount = this.#amount(body['amount']);
    if (amount instanceof Reply) return amount;
    if (typeof body['reference'] !== 'string' || body['reference'] === '') return invalid('130', "Required field 'reference' is not provided.");
    if ((body['reference'] as string).length > 80) return invalid('130', "Field 'reference' is longer than 80 characters.");
    if (typeof body['returnUrl'] !== 'string' || body['returnUrl'] === '') return invalid('14_030', 'Return URL is missing.');
    const pm = body['paymentMethod'];
    if (typeof pm !== 'object' || pm === null) return invalid('000', "Required field 'paymentMethod' is not provided.");
    const wallet = (pm as Record<string, unknown>)['type'];
    const decrypted = wallet === 'applepay' || wallet === 'googlepay' ? this.#decrypt(wallet, pm as Record<string, unknown>) : null;
    if (decrypted instanceof Reply) return decrypted;
    const card = decrypted ?? (pm as Record<string, unknown>);
    if (!decrypted) {
      const unknownCard = Object.keys(card).filter((k) => !CARD_FIELDS.has(k));
      if (unknownCard.length) return structure(`Structure of CardDetails contains the following unknown fields: [${unknownCard.join(', ')}]`);
      if (card['type'] !== 'scheme') return invalid('000', "paymentMethod.type must be 'scheme' for card details");
    }
    const number = card['number'];
    if (typeof number !== 'string' || !/^\d{12,19}$/.test(number) || !luhnValid(number)) return invalid('101', 'Invalid card number');
    const month = card['expiryMonth'];
    const year = card['expiryYear'];
    if (typeof month !== 'string' || !/^(0[1-9]|1[0-2])$/.test(month) || typeof year !== 'string' || !/^\d{4}$/.test(year)) {
      return invalid('129', 'Expiry Date Invalid');
    }
    const cvc = card['cvc'];
    const amex = number.startsWith('34') || number.startsWith('37');
    if (cvc !== undefined && (typeof cvc !== 'string' || !(amex ? /^\d{4}$/ : /^\d{3}$/).test(cvc))) return invalid('103', 'CVC is not the right length');
    for (const [field, allowed] of [
      ['shopperInteraction', ['Ecommerce', 'ContAuth', 'Moto', 'POS']],
      ['recurringProcessingModel', ['CardOnFile', 'Subscription', 'UnscheduledCardOnFile']],
      ['channel', ['iOS', 'Android', 'Web']],
    ] as const) {
      if (body[field] !== undefined && !(allowed as readonly unknown[]).includes(body[field])) return invalid('000', `Invalid value for '${field}'`);
    }
    const delay = body['captureDelayHours'];
    if (delay !== undefined && (!Number.isInteger(delay) || (delay as number) < 0 || (delay as number) > 672)) return invalid('000', 'Invalid captureDelayHours');
    const additional = body['additionalData'];
    if (additional !== undefined && (typeof additional !== 'object' || additional === null || Object.values(additional).some((v) => typeof v !== 'string'))) {
      return structure('Unexpected input: additionalData must map strings to strings');
    }
    const manual = (additional as Record<string, string> | undefined)?.['manualCapture'] === 'true';
    if (manual && delay !== undefined) return invalid('000', 'manualCapture and captureDelayHours cannot both be set');
    const offSession = body['shopperInteraction'] === 'ContAuth';

    // ---- the issuer's decision ----
    const psp = pspReference();
    const expiry = `${month}/${year}`;
    const refused = (resultCode: string, code: string, reason: string): Reply => {
      const payment: Payment = { psp, reference: body['reference'] as string, card: number, amount: amount.value, currency: amount.currency, status: 'refused', manual, captured: 0, refunded: 0, offSession, expiry };
      this.#payments.set(psp, payment);
      this.#authorisation(payment, false, reason);
      return new Reply(200, { pspReference: psp, resultCode, refusalReason: reason, refusalReasonCode: code, merchantReference: body['reference'] });
    };
    const trigger = (typeof card['holderName'] === 'string' ? card['holderName'] : undefined) ?? this.#refusals.get(number);
    const triggered = trigger !== undefined ? HOLDER_NAME_TRIGGERS[trigger] : undefined;
    if (triggered) return refused(...triggered);
    const now = new Date();
    if (Number(year) < now.getUTCFullYear() || (Number(year) === now.getUTCFullYear() && Number(month) < now.getUTCMonth() + 1)) {
      return refused('Refused', '6', 'Expired Card');
    }
    if (cvc !== undefined && cvc !== (amex ? '7373' : '737')) return refused('Refused', '24', 'CVC Declined');
    if (!this.#balances.has(number)) this.#balances.set(number, 10_000_000);
    const payment: Payment = {
      psp,
      reference: body['reference'] as string,
      card: number,
      amount: amount.value,
      currency: amount.currency,
      status: 'authorised',
      manual,
      captured: 0,
      refunded: 0,
      offSession,
      expiry,
    };
    if (this.#holdBack.delete(number)) {
      this.#payments.set(psp, { ...payment, status: 'received' });
      return new Reply(200, { pspReference: psp, resultCode: 'Received', merchantReference: payment.reference });
    }
    // An Apple Pay token carries its own cryptogram: the issuer never challenges it.
    if (wallet === 'applepay') return this.#authorise(payment);
    if (number === ADYEN_TEST_CARDS.threeDSecure1) {
      if (offSession) return refused('Refused', '38', 'Authentication required');
      this.#payments.set(psp, { ...payment, status: 'pending_3ds' });
      const form = { md: randomBytes(12).toString('base64url'), paReq: randomBytes(48).toString('base64'), termUrl: body['returnUrl'] as string, posted: false };
      this.#acs.set(psp, form);
      return new Reply(200, {
        pspReference: psp,
        resultCode: 'RedirectShopper',
        merchantReference: payment.reference,
        action: { paymentMethodType: 'scheme', type: 'redirect', method: 'POST', url: `${this.#url}/fake/acs/${psp}`, data: { MD: form.md, PaReq: form.paReq, TermUrl: form.termUrl } },
      });
    }
    if (number === ADYEN_TEST_CARDS.threeDSecure) {
      // The issuer wants a challenge; with no shopper there (ContAuth) it cannot have one.
      if (offSession) return refused('Refused', '38', 'Authentication required');
      this.#payments.set(psp, { ...payment, status: 'pending_3ds' });
      return new Reply(200, {
        pspReference: psp,
        resultCode: 'RedirectShopper',
        merchantReference: payment.reference,
        action: { paymentMethodType: 'scheme', type: 'redirect', method: 'GET', url: `${this.#url}/fake/3ds/${psp}` },
      });
    }
    return this.#authorise(payment);
  }

  /**
   * A wallet token "decrypted" to the card it was issued for (what Adyen does with the account's
   * wallet keys), as card fields; a token it did not issue, or one used before, is refused as
   * Adyen refuses a token it cannot decrypt. Codes as best known (the adapter reads only the 422).
   */
  #decrypt(kind: WalletKind, pm: Record<string, unknown>): Reply | Record<string, unknown> {
    const spec = WALLET_FIELDS[kind];
    const unknown = Object.keys(pm).filter((k) => !spec.fields.has(k));
    const name = kind === 'applepay' ? 'ApplePayDetails' : 'GooglePayDetails';
    if (unknown.length) return structure(`Structure of ${name} contains the following unknown fields: [${unknown.join(', ')}]`);
    const token = pm[spec.token];
    if (typeof token !== 'string' || token === '') return invalid('000', `Required field '${spec.token}' is not provided.`);
    if (kind === 'applepay' && !/^[A-Za-z0-9+/]+=*$/.test(token)) return invalid('5_001', 'Unable to decrypt token: applePayToken must be base64');
    const issued = this.#walletTokens.get(token);
    if (!issued || issued.kind !== kind) return invalid('5_001', 'Unable to decrypt token');
    if (issued.used) return invalid('5_002', 'Token already used');
    issued.used = true;
    const exp = new Date();
    return { type: 'scheme', number: issued.card, expiryMonth: '12', expiryYear: String(exp.getUTCFullYear() + 3) };
  }

  /** Holds (or takes) the amount if the card covers it. */
  #authorise(payment: Payment): Reply {
    const account = this.account(payment.card) ?? { balance: 0, held: 0 };
    if (account.balance - account.held < payment.amount) {
      this.#payments.set(payment.psp, { ...payment, status: 'refused' });
      this.#authorisation(payment, false, 'Not enough balance');
      return new Reply(200, { pspReference: payment.psp, resultCode: 'Refused', refusalReason: 'Not enough balance', refusalReasonCode: '12', merchantReference: payment.reference });
    }
    if (payment.manual) {
      this.#payments.set(payment.psp, { ...payment, status: 'authorised' });
    } else {
      this.#balances.set(payment.card, account.balance - payment.amount);
      this.#payments.set(payment.psp, { ...payment, status: 'captured', captured: payment.amount });
    }
    this.#authorisation(payment, true, `012345:${payment.card.slice(-4)}:${payment.expiry}`);
    return new Reply(200, {
      pspReference: payment.psp,
      resultCode: 'Authorised',
      amount: { value: payment.amount, currency: payment.currency },
      merchantReference: payment.reference,
      additionalData: { authCode: '012345' },
    });
  }

  #details(body: Record<string, unknown>): Reply {
    const unknown = Object.keys(body).filter((k) => !DETAILS_REQUEST_FIELDS.has(k));
    if (unknown.length) return structure(`Structure of PaymentDetailsRequest contains the following unknown fields: [${unknown.join(', ')}]`);
    const details = body['details'];
    if (typeof details !== 'object' || details === null) return invalid('000', "Required field 'details' is not provided.");
    const d = details as Record<string, unknown>;
    // 3-D Secure 1 answers with the MD and the ACS's PaRes (and nothing else); 2 with redirectResult.
    const threeDS1 = d['PaRes'] !== undefined;
    if (threeDS1 && Object.keys(d).sort().join() !== 'MD,PaRes') return invalid('14_018', 'Invalid payload provided');
    const token = threeDS1 ? d['PaRes'] : d['redirectResult'];
    const result = typeof token === 'string' ? this.#redirectResults.get(token) : undefined;
    if (threeDS1 && (!result || this.#acs.get(result.psp)?.md !== d['MD'])) return invalid('14_018', 'Invalid payload provided');
    if (!result || result.used) return invalid('14_018', 'Invalid payload provided');
    const payment = this.#payments.get(result.psp);
    if (!payment || payment.status !== 'pending_3ds') return invalid('14_018', 'Invalid payload provided');
    result.used = true;
    if (!result.passed) {
      this.#payments.set(payment.psp, { ...payment, status: 'refused' });
      this.#authorisation(payment, false, '3D Not Authenticated');
      return new Reply(200, { pspReference: payment.psp, resultCode: 'Refused', refusalReason: '3D Not Authenticated', refusalReasonCode: '11', merchantReference: payment.reference });
    }
    return this.#authorise(payment);
  }

  #modification(kind: 'captures' | 'cancels' | 'refunds', psp: string, body: Record<string, unknown>): Reply {
    const allowed = kind === 'captures' ? CAPTURE_FIELDS : kind === 'cancels' ? CANCEL_FIELDS : REFUND_FIELDS;
    const name = kind === 'captures' ? 'PaymentCaptureRequest' : kind === 'cancels' ? 'PaymentCancelRequest' : 'PaymentRefundRequest';
    const unknown = Object.keys(body).filter((k) => !allowed.has(k));
    if (unknown.length) return structure(`Structure of ${name} contains the following unknown fields: [${unknown.join(', ')}]`);
    const denied = this.#merchant(body);
    if (denied) return denied;
    const payment = this.#payments.get(psp);
    if (!payment) return invalid('167', 'Original pspReference required for this operation');
    let amount: { value: number; currency: string } | undefined;
    if (kind !== 'cancels') {
      const parsed = this.#amount(body['amount']);
      if (parsed instanceof Reply) return parsed;
      if (parsed.currency !== payment.currency) return invalid('000', 'Currency of the modification does not match the payment');
      amount = parsed;
    }
    if (body['reference'] !== undefined && (typeof body['reference'] !== 'string' || body['reference'].length > 80)) return invalid('000', "Invalid 'reference'");

    // Accepted; decided now, told later — as Adyen's modification flow is.
    const modification = pspReference();
    let success = false;
    let reason = '';
    if (kind === 'captures' && amount) {
      if (payment.status !== 'authorised') reason = `Payment is ${payment.status}`;
      else if (amount.value > payment.amount - payment.captured) reason = 'Insufficient balance on payment';
      else {
        const balance = this.#balances.get(payment.card) ?? 0;
        this.#balances.set(payment.card, balance - amount.value);
        payment.captured += amount.value;
        // A partial capture releases the rest of the hold (Adyen's default); with multiple partial
        // captures the rest stays authorised until captured, cancelled or expired.
        if (!this.#options.multiplePartialCaptures || payment.captured === payment.amount) payment.status = 'captured';
        success = true;
      }
    } else if (kind === 'cancels') {
      const refused = this.#cancelRefusals.shift();
      if (refused !== undefined) reason = refused;
      else if (payment.status === 'authorised' || payment.status === 'pending_3ds') {
        // After partial captures a cancel releases what is left; the captured part stands.
        payment.status = payment.captured > 0 ? 'captured' : 'cancelled';
        success = true;
      } else reason = `Payment is ${payment.status}`;
    } else if (amount) {
      if (payment.status !== 'captured') reason = 'Payment is not captured';
      else if (payment.refunded + amount.value > payment.captured) reason = 'Insufficient balance on payment';
      else {
        payment.refunded += amount.value;
        this.#balances.set(payment.card, (this.#balances.get(payment.card) ?? 0) + amount.value);
        success = true;
      }
    }
    this.#notify({
      pspReference: modification,
      originalReference: psp,
      merchantAccountCode: this.#options.merchantAccount,
      merchantReference: payment.reference,
      amount: amount ?? { value: payment.amount, currency: payment.currency },
      eventCode: kind === 'captures' ? 'CAPTURE' : kind === 'cancels' ? 'CANCELLATION' : 'REFUND',
      success: String(success),
      reason,
      eventDate: new Date().toISOString(),
    });
    return new Reply(201, {
      merchantAccount: this.#options.merchantAccount,
      paymentPspReference: psp,
      pspReference: modification,
      ...(typeof body['reference'] === 'string' ? { reference: body['reference'] } : {}),
      status: 'received',
      ...(amount ? { amount } : {}),
    });
  }

  /** The AUTHORISATION item Adyen sends once it has decided a payment. */
  #authorisation(payment: Payment, success: boolean, reason: string): void {
    this.#notify({
      pspReference: payment.psp,
      merchantAccountCode: this.#options.merchantAccount,
      merchantReference: payment.reference,
      amount: { value: payment.amount, currency: payment.currency },
      eventCode: 'AUTHORISATION',
      success: String(success),
      reason,
      eventDate: new Date().toISOString(),
      paymentMethod: payment.card.startsWith('5') ? 'mc' : payment.card.startsWith('3') ? 'amex' : 'visa',
      operations: success ? (payment.manual ? ['CANCEL', 'CAPTURE', 'REFUND'] : ['REFUND']) : [],
    });
  }

  #notify(item: AdyenNotificationItem): AdyenNotificationItem {
    const signature = signAdyenItem(item, new Sensitive(this.#options.hmacKey));
    const signed = { ...item, additionalData: { ...item.additionalData, hmacSignature: signature } };
    this.notifications.push(signed);
    return signed;
  }
}

type Route = { kind: 'payments' } | { kind: 'details' } | { kind: 'captures' | 'cancels' | 'refunds'; psp: string };

function matchRoute(path: string): Route | null {
  if (path === '/v71/payments') return { kind: 'payments' };
  if (path === '/v71/payments/details') return { kind: 'details' };
  const m = /^\/v71\/payments\/([A-Za-z0-9]{16})\/(captures|cancels|refunds)$/.exec(path);
  if (m) return { kind: m[2] as 'captures' | 'cancels' | 'refunds', psp: m[1] as string };
  return null;
}

/** Adyen's pspReference: 16 alphanumerics. */
function pspReference(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
}


/** JSON with sorted keys: a body's identity regardless of key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function maskCard(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const pm = (body as Record<string, unknown>)['paymentMethod'];
  if (typeof pm !== 'object' || pm === null) return body;
  const masked: Record<string, unknown> = { ...(pm as Record<string, unknown>) };
  if (typeof masked['number'] === 'string') masked['number'] = `****${masked['number'].slice(-4)}`;
  if (masked['cvc'] !== undefined) masked['cvc'] = '***';
  return { ...(body as Record<string, unknown>), paymentMethod: masked };
}
