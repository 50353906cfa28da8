/**
 * The names this adapter gives things at Alipay, all derived, none remembered:
 *
 *   - `out_trade_no` (Alipay's idempotency for a payment: one trade per number, ever) from Kassa's
 *     reference and the authorization's idempotency key: `<intent id>_<16 hex of sha256(key)>` —
 *     so a notification (which carries out_trade_no, for both flows) names the intent without a
 *     passback parameter, and a lookup can rebuild it from the LookupRequest. A reference that
 *     does not fit Alipay's rules (64 characters of letters, digits and `_`) falls back to
 *     `k_<40 hex>`; the notification then only carries Alipay's ids.
 *   - `out_request_no` (Alipay's idempotency for a refund) from the refund's key: `r_<40 hex>`.
 *   - The reference Kassa keeps for a payment waiting on the shopper (the action reference) also
 *     carries what the adapter needs later without asking anyone: the expiry it gave the shopper,
 *     and for a QR code the code itself — `<out_trade_no>.<expiresAt base 36>[.<base64url code>]`.
 *     Once paid, the reference is the bare out_trade_no. Both are opaque to Kassa and URL-safe.
 */
import { createHash } from 'node:crypto';
import { ProviderFailure } from '../../domain/ports.js';

const OUT_TRADE_NO = /^[A-Za-z0-9_]{1,64}$/;
const SUFFIX_HEX = 16;

const hex = (s: string, n: number): string => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, n);

export function outTradeNoFor(reference: string, idempotencyKey: string): string {
  const candidate = `${reference}_${hex(`authorize:${idempotencyKey}`, SUFFIX_HEX)}`;
  return OUT_TRADE_NO.test(candidate) ? candidate : `k_${hex(`authorize:${reference}:${idempotencyKey}`, 40)}`;
}

/** Kassa's reference (the intent id) inside an out_trade_no this adapter made, if it carries one. */
export function referenceOf(outTradeNo: string): string | undefined {
  return new RegExp(`^(.+)_[0-9a-f]{${SUFFIX_HEX}}$`).exec(outTradeNo)?.[1];
}

export function outRequestNoFor(idempotencyKey: string): string {
  return `r_${hex(`refund:${idempotencyKey}`, 40)}`;
}

export interface PendingReference {
  outTradeNo: string;
  /** When the adapter stops showing the action (ms since the epoch); absent on a paid trade's reference. */
  expiresAt?: number | undefined;
  /** The QR code's content, for a precreated trade. */
  qrCode?: string | undefined;
}

export function encodeReference(r: PendingReference): string {
  if (r.expiresAt === undefined) return r.outTradeNo;
  const parts = [r.outTradeNo, r.expiresAt.toString(36)];
  if (r.qrCode !== undefined) parts.push(Buffer.from(r.qrCode, 'utf8').toString('base64url'));
  return parts.join('.');
}

/** A reference this adapter gave out; anything else is refused before Alipay is asked (nothing happened). */
export function decodeReference(reference: string): PendingReference {
  const [outTradeNo, expires, qr, ...rest] = reference.split('.');
  const fail = (): never => {
    throw new ProviderFailure('definite', 'not a reference this Alipay adapter made', 'invalid_reference');
  };
  if (!outTradeNo || !OUT_TRADE_NO.test(outTradeNo) || rest.length > 0) return fail();
  if (expires === undefined) return { outTradeNo };
  if (!/^[0-9a-z]{1,11}$/.test(expires)) return fail();
  const expiresAt = parseInt(expires, 36);
  if (qr === undefined) return { outTradeNo, expiresAt };
  if (!/^[A-Za-z0-9_-]+$/.test(qr)) return fail();
  return { outTradeNo, expiresAt, qrCode: Buffer.from(qr, 'base64url').toString('utf8') };
}
