/**
 * Adyen's answers in Kassa's terms: the payment's `resultCode` and the refusal's
 * `refusalReasonCode`, each as one exhaustive switch, so a code Adyen adds to its spec is a
 * compile error here (once added to the list) rather than a silent default.
 *
 * Sources: the Checkout API v71 spec (Adyen/adyen-openapi, `PaymentResponse.resultCode`)
 * and Adyen's refusal reasons page (docs.adyen.com/development-resources/refusal-reasons).
 */
import { DeclineCode } from '@kassa/core';
import type { AuthorizeOutcome, ProviderAction, Refusal } from '../../domain/ports.js';
import { ProviderFailure } from '../../domain/ports.js';

/** Every `resultCode` of `PaymentResponse` / `PaymentDetailsResponse` in Checkout v71. */
export const RESULT_CODES = [
  'AuthenticationFinished',
  'AuthenticationNotRequired',
  'Authorised',
  'Cancelled',
  'ChallengeShopper',
  'Error',
  'IdentifyShopper',
  'PartiallyAuthorised',
  'Pending',
  'PresentToShopper',
  'Received',
  'RedirectShopper',
  'Refused',
  'Success',
] as const;
export type ResultCode = (typeof RESULT_CODES)[number];

export function isResultCode(value: unknown): value is ResultCode {
  return typeof value === 'string' && (RESULT_CODES as readonly string[]).includes(value);
}

/** Adyen's documented `refusalReasonCode` values (there is no 1 or 13 or 30). */
export const REFUSAL_REASON_CODES = [
  '0', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '14', '15', '16', '17', '18', '19', '20',
  '21', '22', '23', '24', '25', '26', '27', '28', '29', '31', '32', '33', '34', '35', '36', '37', '38', '39',
  '40', '41', '42', '43', '44', '45', '46',
] as const;
export type RefusalReasonCode = (typeof REFUSAL_REASON_CODES)[number];

export function isRefusalReasonCode(value: unknown): value is RefusalReasonCode {
  return typeof value === 'string' && (REFUSAL_REASON_CODES as readonly string[]).includes(value);
}

/**
 * Core's taxonomy for one of Adyen's refusal reasons. Deliberately coarse: core's codes are what
 * a shopper and merchant act on (try another card, top up, fix the CVC), and Adyen asks merchants
 * not to show shoppers the detailed reason (fraud signals) — the detail stays in `rawCode`.
 */
export function declineCodeFor(code: RefusalReasonCode): DeclineCode {
  switch (code) {
    case '12': // Not enough balance
    case '28': // Withdrawal amount exceeded: the limit is the shopper's to lift, as with funds
      return DeclineCode.InsufficientFunds;
    case '6': // Expired Card
      return DeclineCode.ExpiredCard;
    case '24': // CVC Declined
      return DeclineCode.IncorrectCvc;
    case '11': // 3D Not Authenticated
    case '39': // RReq not received from DS: the challenge never finished
    case '42': // 3DS Authentication Error
      return DeclineCode.AuthenticationFailure;
    case '38': // Authentication required: the issuer wants a challenge nobody can take (off-session)
      return DeclineCode.AuthenticationRequired;
    case '0': // Unknown
    case '4': // Acquirer Error
    case '9': // Issuer Unavailable
    case '21': // Not Submitted
      return DeclineCode.ProcessingError;
    case '2': // Refused
    case '3': // Referral
    case '5': // Blocked Card
    case '7': // Invalid Amount
    case '8': // Invalid Card Number
    case '10': // Not supported
    case '14': // Acquirer Fraud
    case '15': // Cancelled
    case '16': // Shopper Cancelled
    case '17': // Invalid Pin
    case '18': // Pin tries exceeded
    case '19': // Pin validation not possible
    case '20': // FRAUD
    case '22': // FRAUD-CANCELLED
    case '23': // Transaction Not Permitted
    case '25': // Restricted Card
    case '26': // Revocation Of Auth
    case '27': // Declined Non Generic
    case '29': // Withdrawal count exceeded
    case '31': // Issuer Suspected Fraud
    case '32': // AVS Declined
    case '33': // Card requires online pin
    case '34': // No checking account available on Card
    case '35': // No savings account available on Card
    case '36': // Mobile PIN required
    case '37': // Contactless fallback
    case '40': // Current AID is in Penalty Box
    case '41': // CVM Required Restart Payment
    case '43': // Online PIN required
    case '44': // Try another interface
    case '45': // Chip downgrade mode
    case '46': // Transaction blocked by Adyen to prevent excessive retry fees
      return DeclineCode.Generic;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped refusal reason ${String(unreachable)}`);
    }
  }
}

/**
 * Each refusal reason's name, as Adyen writes it in `refusalReason` and in an AUTHORISATION
 * notification's `reason` (which carries the name, not the code): the refusal reasons page.
 */
export const REFUSAL_REASON_NAMES: Readonly<Record<RefusalReasonCode, string>> = {
  '0': 'Unknown', '2': 'Refused', '3': 'Referral', '4': 'Acquirer Error', '5': 'Blocked Card', '6': 'Expired Card',
  '7': 'Invalid Amount', '8': 'Invalid Card Number', '9': 'Issuer Unavailable', '10': 'Not supported',
  '11': '3D Not Authenticated', '12': 'Not enough balance', '14': 'Acquirer Fraud', '15': 'Cancelled',
  '16': 'Shopper Cancelled', '17': 'Invalid Pin', '18': 'Pin tries exceeded', '19': 'Pin validation not possible',
  '20': 'FRAUD', '21': 'Not Submitted', '22': 'FRAUD-CANCELLED', '23': 'Transaction Not Permitted', '24': 'CVC Declined',
  '25': 'Restricted Card', '26': 'Revocation Of Auth', '27': 'Declined Non Generic', '28': 'Withdrawal amount exceeded',
  '29': 'Withdrawal count exceeded', '31': 'Issuer Suspected Fraud', '32': 'AVS Declined', '33': 'Card requires online pin',
  '34': 'No checking account available on Card', '35': 'No savings account available on Card', '36': 'Mobile PIN required',
  '37': 'Contactless fallback', '38': 'Authentication required', '39': 'RReq not received from DS',
  '40': 'Current AID is in Penalty Box', '41': 'CVM Required Restart Payment', '42': '3DS Authentication Error',
  '43': 'Online PIN required', '44': 'Try another interface', '45': 'Chip downgrade mode',
  '46': 'Transaction blocked by Adyen to prevent excessive retry fees',
};

/** A refusal told by name (a notification's `reason`); an unknown name is a generic decline, the name kept as the message. */
export function refusalFromReason(reason: unknown): Refusal {
  const name = typeof reason === 'string' ? reason.trim().toLowerCase() : '';
  const code = REFUSAL_REASON_CODES.find((c) => REFUSAL_REASON_NAMES[c].toLowerCase() === name);
  return refusalFrom(code, reason);
}

/** A refusal as the port carries it; an undocumented code is a generic decline, its code kept. */
export function refusalFrom(rawCode: unknown, reason: unknown, fallback: DeclineCode = DeclineCode.Generic): Refusal {
  const raw = typeof rawCode === 'string' ? rawCode : typeof rawCode === 'number' ? String(rawCode) : undefined;
  const message = typeof reason === 'string' && reason !== '' ? reason : undefined;
  return { declineCode: raw !== undefined && isRefusalReasonCode(raw) ? declineCodeFor(raw) : fallback, message, rawCode: raw };
}

/** What the adapter learnt from a `/payments` or `/payments/details` answer. */
export interface PaymentAnswer {
  resultCode: unknown;
  pspReference?: unknown;
  refusalReason?: unknown;
  refusalReasonCode?: unknown;
  action?: unknown;
}

/**
 * An authorization outcome for an answer, or a ProviderFailure to throw. `capture` says what was
 * asked: Adyen answers `Authorised` both for a hold and for a payment it will capture at once
 * (`captureDelayHours: 0`), and the capture itself is then asynchronous (a CAPTURE notification).
 */
export function authorizeOutcomeFor(answer: PaymentAnswer, request: { capture: boolean; amount: number }): AuthorizeOutcome {
  const code = answer.resultCode;
  if (!isResultCode(code)) throw new ProviderFailure('ambiguous', `Adyen answered an unknown resultCode`, typeof code === 'string' ? code : undefined);
  const psp = typeof answer.pspReference === 'string' ? answer.pspReference : undefined;
  const needPsp = (): string => {
    // An answer that names no payment cannot be captured, refunded or reconciled later.
    if (!psp) throw new ProviderFailure('ambiguous', `Adyen answered ${code} without a pspReference`, code);
    return psp;
  };
  switch (code) {
    case 'Authorised':
      return { status: request.capture ? 'captured' : 'authorized', reference: needPsp(), amount: request.amount };
    // A refusal keeps its pspReference: a later attempt's lost answer is then told apart from it
    // among the intent's AUTHORISATION notifications.
    case 'Refused':
      return { status: 'declined', ...refusalFrom(answer.refusalReasonCode, answer.refusalReason), ...(psp ? { reference: psp } : {}) };
    case 'Error':
      // Adyen processed the request and could not authorise (e.g. the acquirer failed): an answer,
      // nothing is held.
      return { status: 'declined', ...refusalFrom(answer.refusalReasonCode, answer.refusalReason, DeclineCode.ProcessingError), ...(psp ? { reference: psp } : {}) };
    case 'Cancelled':
      return { status: 'declined', ...refusalFrom(answer.refusalReasonCode ?? '15', answer.refusalReason ?? 'Cancelled'), ...(psp ? { reference: psp } : {}) };
    case 'RedirectShopper': {
      const action = redirectOf(answer.action);
      if (!action) throw new ProviderFailure('ambiguous', 'Adyen asked for a redirect Kassa cannot make (no url, or a POST without its form data)', code);
      return { status: 'requires_action', reference: needPsp(), action };
    }
    case 'IdentifyShopper':
    case 'ChallengeShopper':
      // The native 3-D Secure 2 flow (a fingerprint / challenge run by Adyen's client SDK). The
      // adapter never asks for it (no `authenticationData.threeDSRequestData.nativeThreeDS`), so
      // this answer means the account is set up differently: the payment waits, unknown to Kassa.
      throw new ProviderFailure('ambiguous', `Adyen asked for a native 3-D Secure step (${code}) the adapter does not run`, code);
    case 'Pending':
    case 'Received':
      // Adyen has the payment and will say by AUTHORISATION notification: the port's `pending`.
      return { status: 'pending', reference: needPsp() };
    case 'PartiallyAuthorised':
      // Only with `additionalData.allowPartialAuth`, which the adapter never sends: less money than
      // asked is held, which no port outcome can say.
      throw new ProviderFailure('ambiguous', 'Adyen authorised part of the amount', code);
    case 'AuthenticationFinished':
    case 'AuthenticationNotRequired':
    case 'PresentToShopper':
    case 'Success':
      // Answers to flows the adapter does not use (authentication only, vouchers, some wallets).
      throw new ProviderFailure('ambiguous', `Adyen answered ${code}, which a card payment does not expect`, code);
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped resultCode ${String(unreachable)}`);
    }
  }
}

/**
 * The shopper's way to the issuer: a GET url (a 3-D Secure 2 redirect), or a form the browser
 * POSTs to the issuer's ACS (3-D Secure 1: `data` holds PaReq, MD and TermUrl), which Kassa's
 * page submits. Anything else is not a redirect the adapter can pass on.
 */
function redirectOf(action: unknown): ProviderAction | undefined {
  if (typeof action !== 'object' || action === null) return undefined;
  const a = action as Record<string, unknown>;
  if (a['type'] !== 'redirect' || typeof a['url'] !== 'string') return undefined;
  const url = a['url'];
  if (a['method'] === undefined || a['method'] === 'GET') return { type: 'three_d_secure', url, redirectUrl: url };
  if (a['method'] !== 'POST') return undefined;
  const data = a['data'];
  if (typeof data !== 'object' || data === null || Object.values(data).some((v) => typeof v !== 'string')) return undefined;
  return { type: 'redirect', url, method: 'POST', fields: data as Record<string, string> };
}
