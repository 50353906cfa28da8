/**
 * The Alipay adapter: Kassa's provider port on Alipay's OpenAPI 2.0 gateway (`gateway.do`), for
 * CNY payments the shopper approves in Alipay — a QR code scanned with the app on a desktop
 * (`alipay.trade.precreate`) or Alipay's mobile cashier page (`alipay.trade.wap.pay`, a redirect).
 * What shapes it:
 *
 *   - Alipay's idempotency is the merchant's numbers: one trade per `out_trade_no`, one refund
 *     per `out_request_no`. Both are derived from Kassa's idempotency keys (references.ts), so a
 *     call made again under its key acts once at Alipay, and `lookup` can ask by the same number.
 *   - A trade is paid at once (no authorization/capture product is used): the outcome of a payment
 *     is `requires_action` until the shopper pays, then `captured`. Its truth is always
 *     `alipay.trade.query` — a return from the cashier or a notification only triggers the query.
 *   - The adapter enforces the payment's deadline itself: past the expiry it gave the shopper (kept
 *     in the action reference) it closes the trade, so a late payment cannot land on a declined intent.
 *   - Requests are signed RSA2 with the app's private key and every answer's signature is checked
 *     with Alipay's public key, through alipay-sdk's own signing and verification. The request
 *     itself is sent with fetch, not the SDK's `exec`: `exec` takes no AbortSignal (a hung call
 *     could not be torn down at Kassa's deadline) and stamps requests with the machine's local
 *     time, where Alipay reads Beijing time; the adapter stamps them from its clock in UTC+8.
 *
 * Keys arrive as `Sensitive` and go only into the SDK; no error message or log line carries them.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import type { Currency } from '@kassa/core';
import type {
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  CompleteActionRequest,
  LookupRequest,
  PaymentCallRequest,
  PaymentProvider,
  ProviderAction,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderNotification,
  ProviderOutcome,
  RefundOutcome,
  Sensitive,
} from '../../domain/ports.js';
import { NotificationRejected, ProviderFailure } from '../../domain/ports.js';
import { fromAlipayAmount, toAlipayAmount } from './amounts.js';
import { declineFor, gatewayClass, isKnownSubCode, isRefundRefusal, refundRefusal, subCodeClass, tradeState } from './mapping.js';
import type { KnownSubCode, TradeState } from './mapping.js';
import { decodeReference, encodeReference, outRequestNoFor, outTradeNoFor, referenceOf } from './references.js';
import type { PendingReference } from './references.js';

export const ALIPAY_SANDBOX_GATEWAY = 'https://openapi-sandbox.dl.alipaydev.com/gateway.do';
export const ALIPAY_LIVE_GATEWAY = 'https://openapi.alipay.com/gateway.do';

export interface AlipayProviderConfig {
  /** The name intents record (default `alipay`). */
  name?: string | undefined;
  /** The Alipay app's id (open platform → the app's APPID). */
  appId: string;
  /** The app's RSA private key (PKCS#8 or PKCS#1; PEM, or the bare base64 Alipay's key tool prints). */
  privateKey: Sensitive;
  /** "Alipay public key" of the app's key settings (SPKI; PEM or bare base64). Verifies answers and notifications. */
  alipayPublicKey: string;
  /** The OpenAPI gateway. Default: Alipay's sandbox; production is https://openapi.alipay.com/gateway.do. */
  gateway?: string | undefined;
  /**
   * Where Alipay's cashier sends the shopper back (wap.pay `return_url`), given the action
   * reference this adapter answers (what Kassa stores as the intent's action reference).
   */
  returnUrl: (reference: string) => string;
  /** Where Alipay posts its asynchronous notifications (`notify_url`): Kassa's inbound route for this provider. */
  notifyUrl: string;
  /** How long the shopper has to pay, from the authorization: whole minutes, 1 min to 15 days. Default 15 min. */
  qrExpiryMs?: number | undefined;
  /** The longest one Alipay call may take when the caller's signal does not end it first. Default 15 s. */
  timeoutMs?: number | undefined;
  /** The trade's subject, shown to the shopper in Alipay (at most 256 characters). Default `Payment <intent id>`. */
  subject?: ((reference: string) => string) | undefined;
  /** The clock (ms since the epoch); default Date.now. Tests move it to reach expiry. */
  now?: (() => number) | undefined;
}

/** Connection errors raised before a byte of the request left (nothing can have happened). */
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The parameters the official SDK sends in the URL (the rest, biz_content, in the form body). */
const URL_PARAMS = new Set(['app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version', 'notify_url', 'return_url', 'app_auth_token']);

/** Clock skew between Kassa and Alipay the expiry decisions allow for, on top of a call's own duration. */
const CLOCK_SKEW_MS = 60_000;

/** An Alipay answer that names a business state rather than failing the call (see mapping.ts subCodeClass). */
type Answer<T> = { ok: true; body: T } | { ok: false; subCode: KnownSubCode; subMsg: string | undefined };

interface ResponseBody {
  code: string;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

/** What alipay.trade.query says about an out_trade_no: no trade (never scanned or opened), or its state. */
type TradeView = { state: 'absent' } | { state: TradeState; status: string; amount: number; tradeNo: string | undefined };

export class AlipayProvider implements PaymentProvider {
  readonly name: string;
  readonly type = 'alipay';
  readonly capabilities: ProviderCapabilities = {
    manualCapture: false, // trade pay captures at once; Alipay's pre-authorization is another product, not used
    partialCapture: false,
    multipleCapture: false,
    savedMethods: false, // every trade is approved by the shopper
    nextActions: ['qr_code', 'redirect'], // precreate's code on a desktop; the wap cashier by redirect
    // Stops a payment the shopper has not paid: a QR code is revoked (alipay.trade.cancel), a
    // cashier trade closed (alipay.trade.close). What cannot be stopped yet — a cashier URL never
    // opened, a code Alipay keeps payable — answers `failed` until its expiry has passed (README).
    cancel: true,
    refund: true, // alipay.trade.refund: partial, several, each once by out_request_no
    lookup: true, // alipay.trade.query by out_trade_no, alipay.trade.fastpay.refund.query by out_request_no: exact
    paymentMethods: ['alipay'],
    currencies: ['cny'], // domestic CNY trades; cross-border trans_currency is not supported
    notifications: true, // RSA2-signed form posts, verified with Alipay's public key
  };

  readonly #sdk: AlipaySdk;
  readonly #appId: string;
  readonly #gateway: string;
  readonly #returnUrl: (reference: string) => string;
  readonly #notifyUrl: string;
  readonly #expiryMs: number;
  readonly #timeoutMs: number;
  readonly #subject: (reference: string) => string;
  readonly #now: () => number;
  /**
   * The first answer to each recent authorization, by key, so a repeat in this process is answered
   * exactly as the first (the expiry, hence the action reference, is the first call's). Only a
   * courtesy: after a restart a repeat gets a later expiry, which is safe — a later deadline only
   * waits longer before closing; Alipay's own idempotency keeps it one trade.
   */
  readonly #answered = new Map<string, { fingerprint: string; flow: 'qr_code' | 'redirect'; outcome: AuthorizeOutcome }>();

  constructor(config: AlipayProviderConfig) {
    this.name = config.name ?? 'alipay';
    if (!/^\d{6,32}$/.test(config.appId)) throw new TypeError('appId must be the Alipay app id (digits)');
    this.#appId = config.appId;
    this.#gateway = new URL(config.gateway ?? ALIPAY_SANDBOX_GATEWAY).toString();
    this.#returnUrl = config.returnUrl;
    this.#notifyUrl = new URL(config.notifyUrl).toString();
    this.#expiryMs = config.qrExpiryMs ?? 15 * 60_000;
    if (!Number.isInteger(this.#expiryMs / 60_000) || this.#expiryMs < 60_000 || this.#expiryMs > 15 * 24 * 60 * 60_000) {
      throw new RangeError('qrExpiryMs must be whole minutes from 1 minute to 15 days (Alipay counts timeouts in minutes)');
    }
    this.#timeoutMs = config.timeoutMs ?? 15_000;
    this.#subject = config.subject ?? ((reference) => `Payment ${reference}`);
    this.#now = config.now ?? Date.now;
    this.#sdk = new AlipaySdk({
      appId: config.appId,
      privateKey: privateKeyPem(config.privateKey),
      keyType: 'PKCS8',
      alipayPublicKey: publicKeyPem(config.alipayPublicKey),
      gateway: this.#gateway,
      signType: 'RSA2',
      charset: 'utf-8',
      version: '1.0',
      timeout: this.#timeoutMs,
    });
  }

  // ---- the port ----

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    return this.#guard(request, async () => {
      const method = request.method;
      if (method.type !== 'alipay') throw new ProviderFailure('definite', `the Alipay provider does not take ${method.type} payments`, 'unsupported_payment_method');
      if (!request.capture) throw new ProviderFailure('definite', 'Alipay trades are captured at once: a manual capture (capture: false) is not supported', 'manual_capture_unsupported');
      if (request.offSession) throw new ProviderFailure('definite', 'an Alipay payment needs the shopper to approve it in Alipay: off-session payments are not supported', 'off_session_unsupported');
      this.#currency(request.currency);
      const fingerprint = JSON.stringify([request.reference, request.amount, request.currency]);
      const first = this.#answered.get(request.idempotencyKey);
      if (first?.fingerprint === fingerprint && first.flow === method.flow) return first.outcome;

      const outTradeNo = outTradeNoFor(request.reference, request.idempotencyKey);
      const expiresAt = this.#now() + this.#expiryMs;
      let outcome: AuthorizeOutcome;
      const flow = method.flow;
      switch (flow) {
        case 'qr_code':
          outcome = await this.#precreate(outTradeNo, request.amount, request.currency, expiresAt, request.signal);
          break;
        case 'redirect':
          // Building the cashier URL needs no call: Alipay sees the trade only when the shopper opens it.
          outcome = this.#redirect({ outTradeNo, expiresAt }, request.amount, request.currency);
          break;
        default: {
          const unknown: never = flow;
          throw new ProviderFailure('definite', `unknown Alipay flow ${String(unknown)}`, 'unsupported_flow');
        }
      }
      if (outcome.status === 'requires_action') this.#remember(request.idempotencyKey, { fingerprint, flow: method.flow, outcome });
      return outcome;
    });
  }

  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    // The shopper came back from the cashier (`details`: the return query, which Alipay signs), a
    // notification arrived, or the widget polls: in each case the trade's state at Alipay is the
    // answer, so the return parameters are not read.
    return this.#guard(request, async () => {
      this.#currency(request.currency);
      return this.#settle(decodeReference(request.reference), request.amount, request.currency, request.signal);
    });
  }

  async capture(_request: PaymentCallRequest): Promise<CaptureOutcome> {
    throw new ProviderFailure('definite', 'Alipay trades are captured when paid: there is no capture (capabilities.manualCapture is false)', 'capture_unsupported');
  }

  async cancel(request: PaymentCallRequest): Promise<CancelOutcome> {
    return this.#guard(request, async () => {
      this.#currency(request.currency);
      const ref = decodeReference(request.reference);
      // A QR code (a face-to-face trade) is revoked with alipay.trade.cancel, the only call that also
      // reaches a code nobody has scanned yet; a cashier trade is closed (trade.cancel is for
      // face-to-face trades only). A paid trade's reference (no expiry) is never revoked: cancel
      // would refund it, and a paid payment is refunded by `refund` only.
      if (ref.qrCode !== undefined && ref.expiresAt !== undefined) return this.#revoke(ref, request.currency, request.signal);
      const closed = await this.#api('alipay.trade.close', { out_trade_no: ref.outTradeNo }, request.signal);
      if (closed.ok) return { status: 'canceled' };
      switch (closed.subCode) {
        case 'ACQ.TRADE_NOT_EXIST':
          // The cashier was never opened: no trade to close, but until its time_expire the shopper
          // could still open it and pay, so it is not canceled yet.
          if (ref.expiresAt !== undefined && this.#now() >= this.#decisionTime(ref.expiresAt)) return { status: 'canceled' };
          return this.#stillPayable(ref.expiresAt);
        case 'ACQ.TRADE_STATUS_ERROR':
        case 'ACQ.REASON_TRADE_STATUS_INVALID':
        case 'ACQ.TRADE_HAS_SUCCESS':
        case 'ACQ.TRADE_HAS_CLOSE':
          // Paid, or already closed (a repeat of this cancel): the trade says which.
          return this.#canceledOrPaid(ref.outTradeNo, closed.subCode, request.currency, request.signal);
        default:
          throw this.#unexpected('alipay.trade.close', closed.subCode);
      }
    });
  }

  /**
   * alipay.trade.cancel of a QR payment: Alipay closes an unpaid trade (`action: close`), gives a
   * paid one back in full (`action: refund` — the shopper paid while Kassa was canceling; the intent
   * is canceled and the money is back), and answers without `action` when it has no trade. Then
   * the query decides: closed → canceled; no trade → the code may still be payable → failed.
   */
  async #revoke(ref: PendingReference, currency: Currency, signal: AbortSignal | undefined): Promise<CancelOutcome> {
    const answer = await this.#api<{ action?: unknown; retry_flag?: unknown; out_trade_no?: unknown }>('alipay.trade.cancel', { out_trade_no: ref.outTradeNo }, signal);
    if (!answer.ok) {
      switch (answer.subCode) {
        case 'ACQ.TRADE_CANCEL_TIME_OUT':
        case 'ACQ.CANCEL_NOT_ALLOWED':
        case 'ACQ.TRADE_HAS_FINISHED':
        case 'ACQ.REASON_TRADE_BEEN_FREEZEN':
        case 'ACQ.SELLER_BALANCE_NOT_ENOUGH':
        case 'ACQ.REASON_TRADE_REFUND_FEE_ERR':
        case 'ACQ.TRADE_STATUS_ERROR':
          return this.#canceledOrPaid(ref.outTradeNo, answer.subCode, currency, signal);
        default:
          throw this.#unexpected('alipay.trade.cancel', answer.subCode);
      }
    }
    const { action, retry_flag: retry, out_trade_no: echoed } = answer.body;
    if (echoed !== undefined && echoed !== ref.outTradeNo) throw new ProviderFailure('ambiguous', 'Alipay answered a cancel about another trade', 'out_trade_no_mismatch');
    if (retry === 'Y') throw new ProviderFailure('ambiguous', 'Alipay asks for the cancel to be made again (retry_flag Y)', 'retry_flag');
    if (action === 'close' || action === 'refund') return { status: 'canceled' };
    if (action !== undefined) throw new ProviderFailure('ambiguous', `Alipay answered a cancel with the action ${String(action)}`, String(action));
    const trade = await this.#query(ref.outTradeNo, currency, signal);
    if (trade.state === 'closed') return { status: 'canceled' };
    if (trade.state === 'absent') return this.#stillPayable(ref.expiresAt);
    throw new ProviderFailure('ambiguous', `Alipay canceled, yet the trade is ${trade.state}`, trade.state === 'paid' ? trade.status : 'WAIT_BUYER_PAY');
  }

  async #canceledOrPaid(outTradeNo: string, subCode: KnownSubCode, currency: Currency, signal: AbortSignal | undefined): Promise<CancelOutcome> {
    const trade = await this.#query(outTradeNo, currency, signal);
    if (trade.state === 'closed') return { status: 'canceled' };
    if (trade.state === 'paid') return { status: 'failed', declineCode: 'processing_error', message: 'The shopper already paid: refund the payment instead.', rawCode: trade.status };
    throw new ProviderFailure('ambiguous', `Alipay refused to cancel a trade that is ${trade.state}`, subCode);
  }

  #stillPayable(expiresAt: number | undefined): CancelOutcome {
    const until = expiresAt === undefined ? 'it expires' : new Date(this.#decisionTime(expiresAt)).toISOString();
    return { status: 'failed', declineCode: 'processing_error', message: `Alipay has no trade to close yet, and the shopper can still pay until ${until}: cancel again after that.`, rawCode: 'ACQ.TRADE_NOT_EXIST' };
  }

  async refund(request: PaymentCallRequest): Promise<RefundOutcome> {
    return this.#guard(request, async () => {
      this.#currency(request.currency);
      const { outTradeNo } = decodeReference(request.reference);
      const outRequestNo = outRequestNoFor(request.idempotencyKey);
      const answer = await this.#api<{ fund_change?: unknown; out_trade_no?: unknown }>(
        'alipay.trade.refund',
        { out_trade_no: outTradeNo, refund_amount: toAlipayAmount(request.amount, request.currency), out_request_no: outRequestNo },
        request.signal,
      );
      if (!answer.ok) {
        if (isRefundRefusal(answer.subCode)) return { status: 'failed', ...refundRefusal(answer.subCode, answer.subMsg) };
        // Refunding a trade Alipay has no record of: the request was refused as written.
        if (answer.subCode === 'ACQ.TRADE_NOT_EXIST') throw new ProviderFailure('definite', `Alipay has no trade ${outTradeNo} to refund`, answer.subCode);
        throw this.#unexpected('alipay.trade.refund', answer.subCode);
      }
      if (answer.body.out_trade_no !== outTradeNo) throw new ProviderFailure('ambiguous', 'Alipay answered a refund about another trade', 'out_trade_no_mismatch');
      // Alipay: fund_change Y means money moved by this call. N (a repeat under the same
      // out_request_no, or a refund still settling) must be confirmed by the refund query.
      if (answer.body.fund_change === 'Y') return { status: 'succeeded', amount: request.amount };
      let found: RefundOutcome | null;
      try {
        found = await this.#refundQuery(outTradeNo, outRequestNo, request.currency, request.signal);
      } catch (error) {
        // The refund was accepted: whatever stops the confirmation, nothing here is "definite".
        const why = error instanceof ProviderFailure ? error.message : 'unexpected failure';
        throw new ProviderFailure('ambiguous', `Alipay accepted the refund; confirming it failed: ${why}`, error instanceof ProviderFailure ? error.rawCode : undefined);
      }
      if (!found) throw new ProviderFailure('ambiguous', 'Alipay accepted the refund but its query does not show it yet', 'refund_not_confirmed');
      return found;
    });
  }

  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    return this.#guard(request, async (): Promise<ProviderOutcome | null> => {
      this.#currency(request.currency);
      const operation = request.operation;
      switch (operation) {
        case 'authorize': {
          const ref = request.providerRef ? decodeReference(request.providerRef) : { outTradeNo: outTradeNoFor(request.reference, request.idempotencyKey) };
          const trade = await this.#query(ref.outTradeNo, request.currency, request.signal);
          // The answer this process gave under the key, if it still has it: the action the shopper
          // may be looking at, exactly as it was answered.
          const first = trade.state === 'absent' || trade.state === 'pending' ? this.#firstAnswer(request) : undefined;
          if (first) return { operation, outcome: first };
          switch (trade.state) {
            case 'absent':
              // No trade, and no answer here: whatever the lost call made (a QR code, a cashier URL)
              // never reached a shopper, who alone can create the trade. Made again under the same
              // key it is the same out_trade_no, so Alipay keeps it one trade: "never saw it" is safe.
              return null;
            case 'paid':
              return { operation, outcome: { status: 'captured', reference: ref.outTradeNo, amount: trade.amount } };
            case 'closed':
              return { operation, outcome: { status: 'declined', ...declineFor('TRADE_CLOSED') } };
            case 'pending':
              if (ref.expiresAt !== undefined) return { operation, outcome: this.#pendingOutcome(ref, request.amount, request.currency) };
              // The shopper is paying, and the action given to them is lost (no providerRef): not
              // sure yet. Alipay closes the trade at its deadline, so asking later settles it.
              throw new ProviderFailure('ambiguous', 'the shopper has an Alipay trade open (WAIT_BUYER_PAY): ask again later', 'WAIT_BUYER_PAY');
            default: {
              const unknown: never = trade;
              throw new ProviderFailure('ambiguous', `unknown trade view ${String(unknown)}`);
            }
          }
        }
        case 'complete_action': {
          const outcome = await this.#settle(decodeReference(this.#ref(request)), request.amount, request.currency, request.signal);
          return { operation, outcome };
        }
        case 'capture':
          // This adapter never sends a capture: Alipay cannot have made one.
          return null;
        case 'cancel': {
          const trade = await this.#query(decodeReference(this.#ref(request)).outTradeNo, request.currency, request.signal);
          // A closed trade is what a cancel makes; anything else means it did not happen (yet), and
          // closing again is safe (a closed trade stays closed).
          return trade.state === 'closed' ? { operation, outcome: { status: 'canceled' } } : null;
        }
        case 'refund': {
          const found = await this.#refundQuery(decodeReference(this.#ref(request)).outTradeNo, outRequestNoFor(request.idempotencyKey), request.currency, request.signal);
          return found ? { operation, outcome: found } : null;
        }
        default: {
          const unknown: never = operation;
          throw new ProviderFailure('definite', `unknown operation ${String(unknown)}`);
        }
      }
    });
  }

  async parseNotification(raw: Buffer, headers: Readonly<Record<string, string | undefined>>): Promise<{ notifications: ProviderNotification[]; ack: string }> {
    const type = headers['content-type'];
    if (type !== undefined && !/^application\/x-www-form-urlencoded\b/i.test(type)) throw new NotificationRejected('an Alipay notification is a form post');
    const params: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
      if (Object.hasOwn(params, key)) throw new NotificationRejected(`the parameter ${key} is sent twice`);
      params[key] = value;
    }
    if (!params.sign) throw new NotificationRejected('the notification is not signed');
    if (params.sign_type !== undefined && params.sign_type !== 'RSA2') throw new NotificationRejected('only RSA2 signatures are accepted');
    let genuine = false;
    try {
      // V2: the values as posted (decoded once), as Alipay signs them; V1 decodes again and breaks on `%`.
      genuine = this.#sdk.checkNotifySignV2(params);
    } catch {
      genuine = false;
    }
    if (!genuine) throw new NotificationRejected("the signature does not verify with Alipay's public key");
    if (params.app_id !== this.#appId) throw new NotificationRejected('the notification is for another Alipay app');
    const outTradeNo = params.out_trade_no;
    if (!params.notify_id || !outTradeNo) throw new NotificationRejected('the notification names no notify_id or out_trade_no');
    return {
      notifications: [
        {
          id: params.notify_id,
          kind: params.trade_status ?? params.notify_type ?? 'unknown',
          reference: referenceOf(outTradeNo),
          providerRef: params.trade_no,
        },
      ],
      ack: 'success',
    };
  }

  // ---- payments ----

  async #precreate(outTradeNo: string, amount: number, currency: Currency, expiresAt: number, signal: AbortSignal | undefined): Promise<AuthorizeOutcome> {
    // Every parameter is decided by the call's own fields (no clock): Alipay answers a repeat
    // with the same out_trade_no and parameters with the same code, and other ones with an error.
    const answer = await this.#api<{ qr_code?: unknown; out_trade_no?: unknown }>(
      'alipay.trade.precreate',
      {
        out_trade_no: outTradeNo,
        total_amount: toAlipayAmount(amount, currency),
        subject: this.#subjectOf(outTradeNo),
        product_code: 'FACE_TO_FACE_PAYMENT',
        qr_code_timeout_express: `${this.#expiryMs / 60_000}m`,
      },
      signal,
      { notify_url: this.#notifyUrl },
    );
    if (answer.ok) {
      const qr = answer.body.qr_code;
      if (typeof qr !== 'string' || !qr || answer.body.out_trade_no !== outTradeNo) throw new ProviderFailure('ambiguous', 'Alipay answered the precreate without its QR code', 'unreadable_answer');
      return this.#pendingOutcome({ outTradeNo, expiresAt, qrCode: qr }, amount, currency);
    }
    switch (answer.subCode) {
      case 'ACQ.TRADE_HAS_SUCCESS':
      case 'ACQ.TRADE_HAS_CLOSE': {
        // A repeat of a precreate whose trade has since been paid or closed: the trade is the answer.
        const trade = await this.#query(outTradeNo, currency, signal);
        if (trade.state === 'paid') return { status: 'captured', reference: outTradeNo, amount: trade.amount };
        if (trade.state === 'closed') return { status: 'declined', ...declineFor('TRADE_CLOSED') };
        if (trade.state === 'absent') return { status: 'declined', ...declineFor('expired') };
        throw new ProviderFailure('ambiguous', `Alipay says ${answer.subCode} of a trade that is ${trade.state}`, answer.subCode);
      }
      default:
        throw this.#unexpected('alipay.trade.precreate', answer.subCode);
    }
  }

  /** The cashier (wap.pay) as a signed GET URL: built here, sent by the shopper's browser (RSA PKCS#1 v1.5 signatures are deterministic). */
  #redirect(ref: { outTradeNo: string; expiresAt: number }, amount: number, currency: Currency): AuthorizeOutcome {
    const actionRef = encodeReference(ref);
    const url = this.#sdk.pageExecute('alipay.trade.wap.pay', 'GET', {
      // The authorization's time (its expiry less the expiry period), not the clock: the URL rebuilt
      // later from the reference (completeAction, lookup) is then byte for byte the one first given.
      timestamp: beijingTime(ref.expiresAt - this.#expiryMs),
      return_url: this.#returnUrl(actionRef),
      notify_url: this.#notifyUrl,
      bizContent: {
        out_trade_no: ref.outTradeNo,
        total_amount: toAlipayAmount(amount, currency),
        subject: this.#subjectOf(ref.outTradeNo),
        product_code: 'QUICK_WAP_WAY',
        // Absolute, so a cashier URL opened late cannot create a trade after Kassa gave up on it.
        time_expire: beijingTime(ref.expiresAt),
        quit_url: this.#returnUrl(actionRef),
      },
    });
    return { status: 'requires_action', reference: actionRef, action: { type: 'redirect', url } };
  }

  /** The action a payment waiting on the shopper shows, rebuilt from its reference (no call). */
  #pendingOutcome(ref: PendingReference, amount: number, currency: Currency): AuthorizeOutcome {
    if (ref.expiresAt === undefined) throw new ProviderFailure('ambiguous', 'the reference of a paid trade names no action', 'no_action');
    if (ref.qrCode === undefined) return this.#redirect({ outTradeNo: ref.outTradeNo, expiresAt: ref.expiresAt }, amount, currency);
    const action: ProviderAction = { type: 'qr_code', data: ref.qrCode, expiresAt: ref.expiresAt };
    return { status: 'requires_action', reference: encodeReference(ref), action };
  }

  /**
   * A payment waiting on the shopper, settled by the trade's state: paid → captured; closed →
   * declined; still to pay before the expiry → the same action again; past it → the trade is
   * closed (so the shopper cannot pay any more), then declined — unless the close finds it paid.
   */
  async #settle(ref: PendingReference, amount: number, currency: Currency, signal: AbortSignal | undefined): Promise<AuthorizeOutcome> {
    const trade = await this.#query(ref.outTradeNo, currency, signal);
    if (trade.state === 'paid') return { status: 'captured', reference: ref.outTradeNo, amount: trade.amount };
    if (trade.state === 'closed') return { status: 'declined', ...declineFor('TRADE_CLOSED') };
    if (ref.expiresAt === undefined) throw new ProviderFailure('ambiguous', 'a trade without a known expiry is still waiting for the shopper', 'no_expiry');
    if (this.#now() < this.#decisionTime(ref.expiresAt)) return this.#pendingOutcome(ref, amount, currency);
    // Past the expiry with no trade: the QR code (the cashier URL) has expired at Alipay too, so no
    // trade can be created any more, and there is nothing to close.
    if (trade.state === 'absent') return { status: 'declined', ...declineFor('expired') };
    const closed = await this.#api('alipay.trade.close', { out_trade_no: ref.outTradeNo }, signal);
    if (closed.ok) return { status: 'declined', ...declineFor('expired') };
    if (closed.subCode === 'ACQ.TRADE_STATUS_ERROR' || closed.subCode === 'ACQ.REASON_TRADE_STATUS_INVALID' || closed.subCode === 'ACQ.TRADE_HAS_SUCCESS' || closed.subCode === 'ACQ.TRADE_HAS_CLOSE') {
      // Paid (or closed by Alipay) between the query and the close.
      const after = await this.#query(ref.outTradeNo, currency, signal);
      if (after.state === 'paid') return { status: 'captured', reference: ref.outTradeNo, amount: after.amount };
      if (after.state === 'closed') return { status: 'declined', ...declineFor('expired') };
    }
    throw new ProviderFailure('ambiguous', `Alipay did not close the expired trade (${closed.subCode})`, closed.subCode);
  }

  async #query(outTradeNo: string, currency: Currency, signal: AbortSignal | undefined): Promise<TradeView> {
    const answer = await this.#api<{ trade_status?: unknown; total_amount?: unknown; trade_no?: unknown; out_trade_no?: unknown }>(
      'alipay.trade.query',
      { out_trade_no: outTradeNo },
      signal,
    );
    if (!answer.ok) {
      // A precreated code not yet scanned, a cashier not yet opened: Alipay has no trade.
      if (answer.subCode === 'ACQ.TRADE_NOT_EXIST') return { state: 'absent' };
      throw this.#unexpected('alipay.trade.query', answer.subCode);
    }
    const { trade_status: status, out_trade_no: echoed, trade_no: tradeNo } = answer.body;
    if (typeof status !== 'string' || echoed !== outTradeNo) throw new ProviderFailure('ambiguous', 'Alipay answered the query without the trade', 'unreadable_answer');
    return { state: tradeState(status), status, amount: fromAlipayAmount(answer.body.total_amount, currency), tradeNo: typeof tradeNo === 'string' ? tradeNo : undefined };
  }

  /** This refund, by its out_request_no: succeeded, or null if Alipay has no such refund (it never acted). */
  async #refundQuery(outTradeNo: string, outRequestNo: string, currency: Currency, signal: AbortSignal | undefined): Promise<RefundOutcome | null> {
    const answer = await this.#api<{ out_request_no?: unknown; refund_amount?: unknown; refund_status?: unknown }>(
      'alipay.trade.fastpay.refund.query',
      { out_trade_no: outTradeNo, out_request_no: outRequestNo },
      signal,
    );
    if (!answer.ok) {
      if (answer.subCode === 'ACQ.TRADE_NOT_EXIST') return null; // no trade, so no refund of it
      throw this.#unexpected('alipay.trade.fastpay.refund.query', answer.subCode);
    }
    const body = answer.body;
    // Alipay: an answer without the refund's fields means it never received that refund request
    // (the same out_request_no may be sent again); REFUND_SUCCESS (or, in older answers, no status
    // with the fields present) means it is done.
    if (body.refund_amount === undefined && body.out_request_no === undefined) return null;
    if (body.out_request_no !== outRequestNo) throw new ProviderFailure('ambiguous', 'Alipay answered the refund query about another refund', 'out_request_no_mismatch');
    if (body.refund_status !== undefined && body.refund_status !== 'REFUND_SUCCESS') {
      throw new ProviderFailure('ambiguous', `the refund is ${String(body.refund_status)} at Alipay`, String(body.refund_status));
    }
    return { status: 'succeeded', amount: fromAlipayAmount(body.refund_amount, currency) };
  }

  // ---- the gateway ----

  /**
   * One signed gateway call: the answer (code 10000), a business sub code Kassa reads as an answer,
   * or a ProviderFailure saying how sure it is that nothing happened.
   */
  async #api<T extends object = Record<string, unknown>>(
    method: string,
    biz: Record<string, string>,
    signal: AbortSignal | undefined,
    extra: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const body = await this.#send(method, biz, extra, signal);
    const klass = gatewayClass(body.code);
    switch (klass) {
      case 'success':
        return { ok: true, body: body as unknown as T };
      case 'definite':
        throw new ProviderFailure('definite', `Alipay refused the ${method} request (${body.code} ${body.sub_code ?? ''}): ${clean(body.sub_msg ?? body.msg)}`, body.sub_code ?? body.code);
      case 'ambiguous':
        throw new ProviderFailure('ambiguous', `Alipay could not say whether ${method} was done (${body.code} ${body.sub_code ?? ''})`, body.sub_code ?? body.code);
      case 'business': {
        const sub = body.sub_code;
        if (!isKnownSubCode(sub)) throw new ProviderFailure('ambiguous', `Alipay answered ${method} with an unknown sub code ${String(sub)}`, sub ?? body.code);
        const how = subCodeClass(sub);
        if (how === 'answer') return { ok: false, subCode: sub, subMsg: body.sub_msg };
        throw new ProviderFailure(how, `Alipay answered ${method} with ${sub}: ${clean(body.sub_msg)}`, sub);
      }
      default: {
        const unknown: never = klass;
        throw new ProviderFailure('ambiguous', `unknown gateway class ${String(unknown)}`);
      }
    }
  }

  async #send(method: string, biz: Record<string, string>, extra: Record<string, string>, signal: AbortSignal | undefined): Promise<ResponseBody> {
    // The SDK signs (RSA2 over the sorted parameters); the timestamp is Beijing time from our clock.
    const signed = new URLSearchParams(
      this.#sdk.sdkExecute(method, { timestamp: beijingTime(this.#now()), ...extra, bizContent: biz }, { bizContentAutoSnakeCase: false }),
    );
    const url = new URL(this.#gateway);
    const form = new URLSearchParams();
    for (const [key, value] of signed) (URL_PARAMS.has(key) ? url.searchParams : form).append(key, value);

    if (signal?.aborted) throw new ProviderFailure('definite', `the deadline passed before ${method} was sent`);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let text: string;
    let status: number;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
        body: form.toString(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const code = connectionCode(error);
      if (code && BEFORE_SENDING.has(code)) throw new ProviderFailure('definite', `could not reach Alipay (${code})`, code);
      const why = signal?.aborted ? "Kassa's deadline" : timeout.aborted ? `no answer in ${this.#timeoutMs} ms` : (code ?? 'connection lost');
      throw new ProviderFailure('ambiguous', `no answer from Alipay to ${method} (${why})`, code ?? (signal?.aborted || timeout.aborted ? 'timeout' : 'connection_lost'));
    }
    // Alipay's gateway answers 200 whatever the business outcome; anything else came from in
    // front of it or from a failure, after which the request may have been processed.
    if (status !== 200) throw new ProviderFailure('ambiguous', `Alipay's gateway answered HTTP ${status} to ${method}`, `http_${status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProviderFailure('ambiguous', `Alipay's answer to ${method} is not JSON`, 'unreadable_answer');
    }
    if (!parsed || typeof parsed !== 'object') throw new ProviderFailure('ambiguous', `Alipay's answer to ${method} is not an object`, 'unreadable_answer');
    const responseKey = `${method.replaceAll('.', '_')}_response`;
    const envelope = parsed as Record<string, unknown>;
    const inner = envelope[responseKey];
    if (!isBody(inner)) {
      // The gateway's own refusals (an unknown app, method) come as an unsigned `error_response`:
      // believed only when they say nothing happened and the code says the same.
      const error = envelope.error_response;
      if (isBody(error) && gatewayClass(error.code) === 'definite') {
        throw new ProviderFailure('definite', `Alipay's gateway refused ${method} (${error.code} ${error.sub_code ?? ''}): ${clean(error.sub_msg ?? error.msg)}`, error.sub_code ?? error.code);
      }
      throw new ProviderFailure('ambiguous', `Alipay's answer to ${method} has no ${responseKey}`, 'unreadable_answer');
    }
    const sign = envelope.sign;
    if (typeof sign !== 'string' || !sign) {
      // Alipay signs every answer it gives about a known app; only a refusal that says nothing
      // happened may come unsigned (the SDKs accept that too). Any other unsigned answer is not Alipay's word.
      if (gatewayClass(inner.code) === 'definite') {
        throw new ProviderFailure('definite', `Alipay refused the ${method} request (${inner.code} ${inner.sub_code ?? ''}): ${clean(inner.sub_msg ?? inner.msg)}`, inner.sub_code ?? inner.code);
      }
      throw new ProviderFailure('ambiguous', `Alipay's answer to ${method} is not signed`, 'unsigned_answer');
    }
    try {
      // Verified on the raw text of `<method>_response`, as Alipay signed it, never a re-serialization.
      this.#sdk.checkResponseSign(text, responseKey, sign, '');
    } catch {
      throw new ProviderFailure('ambiguous', `the signature of Alipay's answer to ${method} does not verify`, 'invalid_response_signature');
    }
    return inner;
  }

  // ---- internals ----

  #subjectOf(outTradeNo: string): string {
    // From the out_trade_no alone (the intent id it carries, or itself), so a rebuilt cashier URL
    // (completeAction) and a repeated precreate name the trade exactly as the first call did.
    return this.#subject(referenceOf(outTradeNo) ?? outTradeNo).slice(0, 256);
  }

  /** When an unpaid payment may be settled as expired: its expiry, plus one call's duration and clock skew (see README). */
  #decisionTime(expiresAt: number): number {
    return expiresAt + this.#timeoutMs + CLOCK_SKEW_MS;
  }

  #currency(currency: Currency): void {
    if (currency !== 'cny') throw new ProviderFailure('definite', `the Alipay provider charges CNY only, not ${currency}`, 'unsupported_currency');
  }

  #ref(request: LookupRequest): string {
    if (!request.providerRef) throw new ProviderFailure('ambiguous', `a ${request.operation} lookup needs the Alipay reference`, 'no_reference');
    return request.providerRef;
  }

  #remember(key: string, answer: { fingerprint: string; flow: 'qr_code' | 'redirect'; outcome: AuthorizeOutcome }): void {
    this.#answered.set(key, answer);
    if (this.#answered.size > 10_000) this.#answered.delete(this.#answered.keys().next().value!);
  }

  #firstAnswer(request: LookupRequest): AuthorizeOutcome | undefined {
    const first = this.#answered.get(request.idempotencyKey);
    return first?.fingerprint === JSON.stringify([request.reference, request.amount, request.currency]) ? first.outcome : undefined;
  }

  #unexpected(method: string, subCode: KnownSubCode): ProviderFailure {
    return new ProviderFailure('ambiguous', `Alipay answered ${method} with ${subCode}, which this call does not expect`, subCode);
  }

  /** Runs a port call and turns whatever escapes into a ProviderFailure (anything unclassified is ambiguous). */
  async #guard<T>(options: ProviderCallOptions, run: () => Promise<T>): Promise<T> {
    if (options.signal?.aborted) throw new ProviderFailure('definite', 'the deadline passed before the call to Alipay was made');
    try {
      return await run();
    } catch (error) {
      if (error instanceof ProviderFailure) throw error;
      throw new ProviderFailure('ambiguous', `unexpected failure calling Alipay: ${error instanceof Error ? error.name : typeof error}`);
    }
  }
}

// ---- helpers ----

function isBody(value: unknown): value is ResponseBody {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';
}

/** Alipay's messages, shortened for logs (they never carry keys: Kassa sends none in parameters). */
function clean(message: unknown): string {
  return typeof message === 'string' ? message.slice(0, 200) : '';
}

/** Alipay's timestamp format, in Beijing time (UTC+8, no daylight saving) whatever the machine's zone. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The system error code under a fetch failure (undici nests it as `cause`). */
function connectionCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The app key as PKCS#8 PEM, whatever form it came in; a key that does not parse is refused without quoting it. */
function privateKeyPem(key: Sensitive): string {
  const text = key.reveal().trim();
  try {
    const object = text.startsWith('-----')
      ? createPrivateKey(text)
      : (() => {
          const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
          try {
            return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
          } catch {
            return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
          }
        })();
    if (object.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return String(object.export({ format: 'pem', type: 'pkcs8' })).trim();
  } catch {
    throw new TypeError('privateKey is not an RSA private key (PKCS#8 or PKCS#1, PEM or base64)');
  }
}

function publicKeyPem(key: string): string {
  const text = key.trim();
  try {
    const object = text.startsWith('-----') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
    if (object.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return String(object.export({ format: 'pem', type: 'spki' })).trim();
  } catch {
    throw new TypeError('alipayPublicKey is not an RSA public key (SPKI, PEM or base64)');
  }
}
