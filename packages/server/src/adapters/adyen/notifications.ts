/**
 * Adyen's standard webhooks (notifications), as far as this file owns them: checking the HMAC
 * signature of each item on the raw body, and the acknowledgement Adyen expects. What a verified
 * item means for Kassa is read in provider.ts (`parseNotification`): an AUTHORISATION is kept as
 * evidence that settles an authorization whose answer was lost (Adyen cannot be asked about one),
 * a CAPTURE_FAILED / REFUND_FAILED (or CAPTURE / REFUND with success false) is a failure of a
 * modification Kassa booked on `received`; the rest only trigger the domain to ask.
 *
 * The signed string is Adyen's documented one for payment notifications
 * (docs.adyen.com/development-resources/webhooks/verify-hmac-signatures): the values of
 * pspReference, originalReference, merchantAccountCode, merchantReference, amount.value,
 * amount.currency, eventCode and success, in that order, joined by ':' (an absent value is
 * empty), HMAC-SHA256 with the hex-decoded key, base64.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Sensitive } from '../../domain/ports.js';

/** The body Adyen expects back for a notification it may consider delivered. */
export const ADYEN_NOTIFICATION_ACK = '[accepted]';

export interface AdyenNotificationItem {
  pspReference: string;
  originalReference?: string | undefined;
  merchantAccountCode: string;
  merchantReference: string;
  amount: { value: number; currency: string };
  eventCode: string;
  /** "true" or "false", a string on the wire. */
  success: string;
  eventDate?: string | undefined;
  reason?: string | undefined;
  additionalData?: Record<string, string> | undefined;
  [field: string]: unknown;
}

export class AdyenNotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdyenNotificationError';
  }
}

/** The string Adyen signs for one item. */
export function adyenSignedData(item: AdyenNotificationItem): string {
  return [
    item.pspReference,
    item.originalReference ?? '',
    item.merchantAccountCode,
    item.merchantReference,
    String(item.amount.value),
    item.amount.currency,
    item.eventCode,
    item.success,
  ].join(':');
}

export function signAdyenItem(item: AdyenNotificationItem, hmacKey: Sensitive): string {
  return createHmac('sha256', keyBytes(hmacKey)).update(adyenSignedData(item), 'utf8').digest('base64');
}

/**
 * The items of a notification body whose every item carries a valid `additionalData.hmacSignature`;
 * throws AdyenNotificationError otherwise (one bad item refuses the lot: an attacker must not be able
 * to slip a forged item in beside a genuine one).
 */
export function verifyAdyenNotification(rawBody: string, hmacKey: Sensitive): AdyenNotificationItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new AdyenNotificationError('notification body is not JSON');
  }
  const list = (parsed as { notificationItems?: unknown } | null)?.notificationItems;
  if (!Array.isArray(list) || list.length === 0) throw new AdyenNotificationError('no notificationItems');
  const key = keyBytes(hmacKey);
  return list.map((entry: unknown, i) => {
    const item = (entry as { NotificationRequestItem?: unknown } | null)?.NotificationRequestItem;
    if (!isItem(item)) throw new AdyenNotificationError(`item ${i} is malformed`);
    const given = item.additionalData?.['hmacSignature'];
    if (typeof given !== 'string') throw new AdyenNotificationError(`item ${i} is not signed`);
    const expected = createHmac('sha256', key).update(adyenSignedData(item), 'utf8').digest();
    const actual = Buffer.from(given, 'base64');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new AdyenNotificationError(`item ${i} has a wrong signature`);
    }
    return item;
  });
}

function keyBytes(hmacKey: Sensitive): Buffer {
  const hex = hmacKey.reveal();
  // Buffer.from(hex, 'hex') silently stops at the first bad character: a mistyped key would
  // verify against a shorter key instead of failing.
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new AdyenNotificationError('the HMAC key is not hex');
  return Buffer.from(hex, 'hex');
}

function isItem(value: unknown): value is AdyenNotificationItem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const amount = v['amount'] as Record<string, unknown> | undefined;
  return (
    typeof v['pspReference'] === 'string' &&
    (v['originalReference'] === undefined || typeof v['originalReference'] === 'string') &&
    typeof v['merchantAccountCode'] === 'string' &&
    typeof v['merchantReference'] === 'string' &&
    typeof amount === 'object' &&
    amount !== null &&
    Number.isInteger(amount['value']) &&
    typeof amount['currency'] === 'string' &&
    typeof v['eventCode'] === 'string' &&
    (v['success'] === 'true' || v['success'] === 'false') &&
    (v['additionalData'] === undefined || (typeof v['additionalData'] === 'object' && v['additionalData'] !== null))
  );
}
