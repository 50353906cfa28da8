/**
 * Alipay's vocabulary → Kassa's, as exhaustive switches the compiler checks: a trade status, a
 * gateway code or a business sub code we have not decided about stops the build (the `never`
 * defaults), and one that arrives unannounced at run time is refused as ambiguous, never guessed.
 *
 * Sources: Alipay's open platform docs for the gateway's public error codes
 * (https://opendocs.alipay.com/common/02km9f) and the error tables of alipay.trade.precreate,
 * .query, .close, .refund and .fastpay.refund.query.
 */
import type { DeclineCode } from '@kassa/core';
import type { Refusal } from '../../domain/ports.js';
import { ProviderFailure } from '../../domain/ports.js';

// ---- trade status ----

/** alipay.trade.query's trade_status (and a notification's). */
export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';
const TRADE_STATUSES = new Set<string>(['WAIT_BUYER_PAY', 'TRADE_CLOSED', 'TRADE_SUCCESS', 'TRADE_FINISHED'] satisfies TradeStatus[]);

export function isTradeStatus(value: unknown): value is TradeStatus {
  return typeof value === 'string' && TRADE_STATUSES.has(value);
}

/** What a trade's status means for the payment: money taken, the shopper still to pay, or over without money. */
export type TradeState = 'paid' | 'pending' | 'closed';

export function tradeState(status: string): TradeState {
  if (!isTradeStatus(status)) throw new ProviderFailure('ambiguous', `unknown Alipay trade status ${status}`, status);
  switch (status) {
    case 'TRADE_SUCCESS': // paid, refundable
    case 'TRADE_FINISHED': // paid, past the refund window (or a product without refunds): still paid
      return 'paid';
    case 'WAIT_BUYER_PAY': // the shopper scanned (or opened the cashier) and has not paid yet
      return 'pending';
    case 'TRADE_CLOSED':
      // Unpaid and closed (timeout, Kassa's close), or paid and then refunded in full. Kassa only
      // asks for a trade's state before it recorded a capture, so here it is the first: no money.
      return 'closed';
    default: {
      const unknown: never = status;
      throw new ProviderFailure('ambiguous', `unknown Alipay trade status ${String(unknown)}`);
    }
  }
}

// ---- gateway codes ----

/** The gateway's public `code` (https://opendocs.alipay.com/common/02km9f). */
export type GatewayCode = '10000' | '20000' | '20001' | '40001' | '40002' | '40003' | '40004' | '40006';
const GATEWAY_CODES = new Set<string>(['10000', '20000', '20001', '40001', '40002', '40003', '40004', '40006'] satisfies GatewayCode[]);

/**
 * What a gateway code says about the call:
 *   - `success`: done; the body is the method's answer;
 *   - `business`: 40004, the method refused or answered with a sub code (see subCodeClass);
 *   - `definite`: refused at the gateway before any business ran (missing or invalid arguments,
 *     a bad signature, app id, timestamp, no permission) — nothing happened;
 *   - `ambiguous`: 20000 "service unavailable" (isp.unknow-error): Alipay says to ask again or
 *     query, since the business may have run.
 */
export type GatewayClass = 'success' | 'business' | 'definite' | 'ambiguous';

export function gatewayClass(code: string): GatewayClass {
  if (!GATEWAY_CODES.has(code)) return 'ambiguous';
  const known = code as GatewayCode;
  switch (known) {
    case '10000':
      return 'success';
    case '40004':
      return 'business';
    case '20001': // insufficient authorization token (aop.invalid-auth-token …)
    case '40001': // missing required arguments (isv.missing-*)
    case '40002': // invalid arguments (isv.invalid-signature, isv.invalid-app-id, isv.invalid-timestamp …)
    case '40003': // insufficient conditions (isv.* prerequisites not met)
    case '40006': // insufficient permissions (isv.insufficient-isv-permissions)
      return 'definite';
    case '20000': // isp.unknow-error, aop.unknow-error: "please retry / query"
      return 'ambiguous';
    default: {
      const unknown: never = known;
      return unknown;
    }
  }
}

// ---- business sub codes ----

/** The 40004 sub codes of the methods this adapter calls that it decides about by name. */
export type KnownSubCode =
  | 'ACQ.SYSTEM_ERROR'
  | 'ACQ.INVALID_PARAMETER'
  | 'ACQ.ACCESS_FORBIDDEN'
  | 'ACQ.EXIST_FORBIDDEN_WORD'
  | 'ACQ.PARTNER_ERROR'
  | 'ACQ.TOTAL_FEE_EXCEED'
  | 'ACQ.PAYMENT_AUTH_CODE_INVALID'
  | 'ACQ.CONTEXT_INCONSISTENT'
  | 'ACQ.TRADE_HAS_SUCCESS'
  | 'ACQ.TRADE_HAS_CLOSE'
  | 'ACQ.TRADE_NOT_EXIST'
  | 'ACQ.TRADE_STATUS_ERROR'
  | 'ACQ.REASON_TRADE_STATUS_INVALID'
  | 'ACQ.TRADE_HAS_FINISHED'
  | 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL'
  | 'ACQ.SELLER_BALANCE_NOT_ENOUGH'
  | 'ACQ.REASON_TRADE_BEEN_FREEZEN'
  | 'ACQ.TRADE_NOT_ALLOW_REFUND'
  | 'ACQ.REFUND_CHARGE_ERROR'
  | 'ACQ.DISCORDANT_REPEAT_REQUEST'
  | 'ACQ.REFUND_FEE_ERROR'
  | 'ACQ.TRADE_CANCEL_TIME_OUT'
  | 'ACQ.CANCEL_NOT_ALLOWED'
  | 'ACQ.REASON_TRADE_REFUND_FEE_ERR';

const KNOWN_SUB_CODES = new Set<string>([
  'ACQ.SYSTEM_ERROR', 'ACQ.INVALID_PARAMETER', 'ACQ.ACCESS_FORBIDDEN', 'ACQ.EXIST_FORBIDDEN_WORD', 'ACQ.PARTNER_ERROR',
  'ACQ.TOTAL_FEE_EXCEED', 'ACQ.PAYMENT_AUTH_CODE_INVALID', 'ACQ.CONTEXT_INCONSISTENT', 'ACQ.TRADE_HAS_SUCCESS',
  'ACQ.TRADE_HAS_CLOSE', 'ACQ.TRADE_NOT_EXIST', 'ACQ.TRADE_STATUS_ERROR', 'ACQ.REASON_TRADE_STATUS_INVALID',
  'ACQ.TRADE_HAS_FINISHED', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', 'ACQ.REASON_TRADE_BEEN_FREEZEN',
  'ACQ.TRADE_NOT_ALLOW_REFUND', 'ACQ.REFUND_CHARGE_ERROR', 'ACQ.DISCORDANT_REPEAT_REQUEST', 'ACQ.REFUND_FEE_ERROR',
  'ACQ.TRADE_CANCEL_TIME_OUT', 'ACQ.CANCEL_NOT_ALLOWED', 'ACQ.REASON_TRADE_REFUND_FEE_ERR',
] satisfies KnownSubCode[]);

export function isKnownSubCode(code: string | undefined): code is KnownSubCode {
  return code !== undefined && KNOWN_SUB_CODES.has(code);
}

/**
 * What a business sub code says, before the calling method interprets it:
 *   - `answer`: a state of the trade or refund (it exists, is paid, closed, too little is left):
 *     the method turns it into an outcome (see provider.ts);
 *   - `definite`: the request was refused as written; nothing happened;
 *   - `ambiguous`: the business may have run, or a key was reused with other parameters (this
 *     request did nothing, the first one under the key may have): only a query can tell.
 */
export type SubCodeClass = 'answer' | 'definite' | 'ambiguous';

export function subCodeClass(code: KnownSubCode): SubCodeClass {
  switch (code) {
    case 'ACQ.SYSTEM_ERROR':
      // "系统错误 — 请使用相同的参数再次调用 / 查询": the trade or refund may have been made.
      return 'ambiguous';
    case 'ACQ.CONTEXT_INCONSISTENT':
    case 'ACQ.DISCORDANT_REPEAT_REQUEST':
      // The out_trade_no (out_request_no) was first used with other parameters: that first
      // request may have charged (refunded) — never "nothing happened".
      return 'ambiguous';
    case 'ACQ.INVALID_PARAMETER':
    case 'ACQ.ACCESS_FORBIDDEN':
    case 'ACQ.EXIST_FORBIDDEN_WORD':
    case 'ACQ.PARTNER_ERROR':
    case 'ACQ.TOTAL_FEE_EXCEED':
    case 'ACQ.PAYMENT_AUTH_CODE_INVALID':
    case 'ACQ.REFUND_FEE_ERROR':
      return 'definite';
    case 'ACQ.TRADE_HAS_SUCCESS':
    case 'ACQ.TRADE_HAS_CLOSE':
    case 'ACQ.TRADE_NOT_EXIST':
    case 'ACQ.TRADE_STATUS_ERROR':
    case 'ACQ.REASON_TRADE_STATUS_INVALID':
    case 'ACQ.TRADE_HAS_FINISHED':
    case 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL':
    case 'ACQ.SELLER_BALANCE_NOT_ENOUGH':
    case 'ACQ.REASON_TRADE_BEEN_FREEZEN':
    case 'ACQ.TRADE_NOT_ALLOW_REFUND':
    case 'ACQ.REFUND_CHARGE_ERROR':
    case 'ACQ.TRADE_CANCEL_TIME_OUT': // alipay.trade.cancel: past its window (24 h for a paid trade)
    case 'ACQ.CANCEL_NOT_ALLOWED':
    case 'ACQ.REASON_TRADE_REFUND_FEE_ERR': // alipay.trade.cancel of a trade already (partly) refunded
      return 'answer';
    default: {
      const unknown: never = code;
      throw new ProviderFailure('ambiguous', `unclassified Alipay sub code ${String(unknown)}`);
    }
  }
}

// ---- declines ----

/**
 * Why an Alipay payment ended without money: `TRADE_CLOSED` (Alipay closed it — its timeout,
 * risk control — or the merchant did), `expired` (the adapter's deadline for the QR code or the
 * cashier passed unpaid and it closed the trade).
 */
export type DeclineReason = 'TRADE_CLOSED' | 'expired';

/**
 * Core's taxonomy has no "the shopper never approved" code. An expired QR code or cashier is the
 * shopper not completing the step Alipay asked of them — what `authentication_failure` means for a
 * 3-D Secure challenge left unfinished (and, like it, it never reached a funding source). A trade
 * Alipay closed for its own reasons is a plain `generic_decline`.
 */
export function declineFor(reason: DeclineReason): Refusal {
  switch (reason) {
    case 'expired':
      return { declineCode: 'authentication_failure', message: 'The shopper did not pay with Alipay before the payment expired.', rawCode: 'expired' };
    case 'TRADE_CLOSED':
      return { declineCode: 'generic_decline', message: 'Alipay closed the trade unpaid.', rawCode: 'TRADE_CLOSED' };
    default: {
      const unknown: never = reason;
      throw new ProviderFailure('ambiguous', `unknown decline reason ${String(unknown)}`);
    }
  }
}

// ---- refund refusals ----

/** The refusals of alipay.trade.refund that are an answer "no" (the port's `failed`). */
export type RefundRefusalCode =
  | 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL'
  | 'ACQ.TRADE_STATUS_ERROR'
  | 'ACQ.REASON_TRADE_STATUS_INVALID'
  | 'ACQ.TRADE_HAS_FINISHED'
  | 'ACQ.TRADE_HAS_CLOSE'
  | 'ACQ.SELLER_BALANCE_NOT_ENOUGH'
  | 'ACQ.REASON_TRADE_BEEN_FREEZEN'
  | 'ACQ.TRADE_NOT_ALLOW_REFUND'
  | 'ACQ.REFUND_CHARGE_ERROR';

const REFUND_REFUSALS = new Set<string>([
  'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'ACQ.TRADE_STATUS_ERROR', 'ACQ.REASON_TRADE_STATUS_INVALID', 'ACQ.TRADE_HAS_FINISHED',
  'ACQ.TRADE_HAS_CLOSE', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', 'ACQ.REASON_TRADE_BEEN_FREEZEN', 'ACQ.TRADE_NOT_ALLOW_REFUND',
  'ACQ.REFUND_CHARGE_ERROR',
] satisfies RefundRefusalCode[]);

export function isRefundRefusal(code: string | undefined): code is RefundRefusalCode {
  return code !== undefined && REFUND_REFUSALS.has(code);
}

/**
 * A refund Alipay refused, in core's taxonomy. None of these is the shopper's card: the codes are
 * about the trade or the merchant's Alipay balance, so `processing_error` (as the Stripe adapter
 * does for state errors), with Alipay's code kept as `rawCode` for the operator.
 */
export function refundRefusal(code: RefundRefusalCode, message: string | undefined): Refusal {
  const declineCode: DeclineCode = 'processing_error';
  switch (code) {
    case 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL': // more than is left to refund
    case 'ACQ.TRADE_STATUS_ERROR': // not paid, or closed
    case 'ACQ.REASON_TRADE_STATUS_INVALID':
    case 'ACQ.TRADE_HAS_FINISHED': // past the refund window
    case 'ACQ.TRADE_HAS_CLOSE':
    case 'ACQ.SELLER_BALANCE_NOT_ENOUGH': // the merchant's available balance is too low
    case 'ACQ.REASON_TRADE_BEEN_FREEZEN': // frozen by Alipay
    case 'ACQ.TRADE_NOT_ALLOW_REFUND':
    case 'ACQ.REFUND_CHARGE_ERROR':
      return { declineCode, message: message ?? `Alipay refused the refund (${code}).`, rawCode: code };
    default: {
      const unknown: never = code;
      throw new ProviderFailure('ambiguous', `unknown refund refusal ${String(unknown)}`);
    }
  }
}
