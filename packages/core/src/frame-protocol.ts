/**
 * The postMessage protocol between <kassa-checkout> (merchant origin) and the card frame
 * (Kassa origin). Every message carries `kassa: 1`, a `type` and the per-instance `channel`.
 * Senders always pass the exact target origin; receivers check origin, source window,
 * channel and shape with the guards below before acting. No card data ever crosses.
 */
import type { CardBrand, CardErrorCode, CardField } from './card.js';

export const PROTOCOL_VERSION = 1;

/** Host → frame. */
export type HostToFrame =
  | { kassa: 1; channel: string; type: 'init'; clientSecret: string; locale: string }
  | { kassa: 1; channel: string; type: 'tokenize'; requestId: string }
  | { kassa: 1; channel: string; type: 'reset' }
  | { kassa: 1; channel: string; type: 'focus' };

/** Frame → host. */
export type FrameToHost =
  | { kassa: 1; channel: string; type: 'ready' }
  | { kassa: 1; channel: string; type: 'change'; complete: boolean; empty: boolean; brand: CardBrand; error?: CardErrorCode; field?: CardField }
  | { kassa: 1; channel: string; type: 'resize'; height: number }
  | { kassa: 1; channel: string; type: 'tokenized'; requestId: string; token: string; brand: CardBrand; last4: string }
  | { kassa: 1; channel: string; type: 'token_error'; requestId: string; code: string; message: string; field?: CardField };

/** 3-D Secure challenge page (Kassa origin) → host, once the shopper finished. */
export type ChallengeToHost = { kassa: 1; channel: string; type: 'challenge_complete'; paymentIntent: string };

const CHANNEL = /^[A-Za-z0-9_-]{8,64}$/;
const BRANDS = ['visa', 'mastercard', 'amex', 'unionpay', 'jcb', 'unknown'];
const FIELDS = ['number', 'expiry', 'cvc'];

function base(data: unknown, channel: string): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return d.kassa === PROTOCOL_VERSION && d.channel === channel && typeof d.type === 'string';
}

const isStr = (v: unknown, max = 512): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const optField = (v: unknown) => v === undefined || (typeof v === 'string' && FIELDS.includes(v));

export function isValidChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL.test(channel);
}

export function parseHostToFrame(data: unknown, channel: string): HostToFrame | null {
  if (!base(data, channel)) return null;
  switch (data.type) {
    case 'init':
      return isStr(data.clientSecret, 4096) && isStr(data.locale, 35) ? (data as HostToFrame) : null;
    case 'tokenize':
      return isStr(data.requestId, 64) ? (data as HostToFrame) : null;
    case 'reset':
    case 'focus':
      return data as HostToFrame;
    default:
      return null;
  }
}

export function parseFrameToHost(data: unknown, channel: string): FrameToHost | null {
  if (!base(data, channel)) return null;
  switch (data.type) {
    case 'ready':
      return data as FrameToHost;
    case 'change':
      return typeof data.complete === 'boolean' &&
        typeof data.empty === 'boolean' &&
        typeof data.brand === 'string' &&
        BRANDS.includes(data.brand) &&
        (data.error === undefined || isStr(data.error, 64)) &&
        optField(data.field)
        ? (data as FrameToHost)
        : null;
    case 'resize':
      return typeof data.height === 'number' && Number.isFinite(data.height) && data.height >= 0 && data.height < 4000
        ? (data as FrameToHost)
        : null;
    case 'tokenized':
      return isStr(data.requestId, 64) &&
        isStr(data.token, 128) &&
        /^tok_/.test(data.token as string) &&
        typeof data.brand === 'string' &&
        BRANDS.includes(data.brand) &&
        typeof data.last4 === 'string' &&
        /^\d{4}$/.test(data.last4)
        ? (data as FrameToHost)
        : null;
    case 'token_error':
      return isStr(data.requestId, 64) && isStr(data.code, 64) && isStr(data.message, 500) && optField(data.field)
        ? (data as FrameToHost)
        : null;
    default:
      return null;
  }
}

export function parseChallengeToHost(data: unknown, channel: string): ChallengeToHost | null {
  if (!base(data, channel)) return null;
  return data.type === 'challenge_complete' && isStr(data.paymentIntent, 128) ? (data as ChallengeToHost) : null;
}
