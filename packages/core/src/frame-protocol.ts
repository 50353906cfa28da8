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
  | {
      kassa: 1;
      channel: string;
      type: 'init';
      clientSecret: string;
      locale: string;
      /**
       * The merchant's Appearance (theme, variables, rules) as given: plain JSON, never CSS. The
       * frame validates every part against its own whitelist before anything reaches a style.
       */
      appearance?: object;
      /** The merchant's string overrides for this locale (the frame keeps only keys it knows). */
      messages?: Record<string, string>;
    }
  | { kassa: 1; channel: string; type: 'tokenize'; requestId: string }
  /** Clears the named fields (all when `fields` is absent): a decline keeps what is still right. */
  | { kassa: 1; channel: string; type: 'reset'; fields?: CardField[] }
  | { kassa: 1; channel: string; type: 'focus' };

/** Frame → host. */
export type FrameToHost =
  | { kassa: 1; channel: string; type: 'ready' }
  /** The shopper pressed Enter in a field: the host pays, as a form's submit would. */
  | { kassa: 1; channel: string; type: 'submit' }
  | { kassa: 1; channel: string; type: 'change'; complete: boolean; empty: boolean; brand: CardBrand; error?: CardErrorCode; field?: CardField }
  | { kassa: 1; channel: string; type: 'resize'; height: number }
  | { kassa: 1; channel: string; type: 'tokenized'; requestId: string; token: string; brand: CardBrand; last4: string }
  | { kassa: 1; channel: string; type: 'token_error'; requestId: string; code: string; message: string; field?: CardField };

/**
 * 3-D Secure challenge page (Kassa origin) → host: `challenge_complete` once the shopper finished;
 * `challenge_resize` whenever its content's height changes, so the frame fits it.
 */
export type ChallengeToHost =
  | { kassa: 1; channel: string; type: 'challenge_complete'; paymentIntent: string }
  | { kassa: 1; channel: string; type: 'challenge_resize'; height: number };

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
const isHeight = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 4000;
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
/** At most 100 short strings: a merchant's overrides for one locale. */
const isStringRecord = (v: unknown) =>
  isPlain(v) && Object.keys(v).length <= 100 && Object.values(v).every((s) => typeof s === 'string' && s.length <= 500);

export function isValidChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL.test(channel);
}

export function parseHostToFrame(data: unknown, channel: string): HostToFrame | null {
  if (!base(data, channel)) return null;
  switch (data.type) {
    case 'init':
      return isStr(data.clientSecret, 4096) &&
        isStr(data.locale, 35) &&
        (data.appearance === undefined || isPlain(data.appearance)) &&
        (data.messages === undefined || isStringRecord(data.messages))
        ? (data as HostToFrame)
        : null;
    case 'tokenize':
      return isStr(data.requestId, 64) ? (data as HostToFrame) : null;
    case 'reset':
      return data.fields === undefined || (Array.isArray(data.fields) && data.fields.every((f) => optField(f) && f !== undefined))
        ? (data as HostToFrame)
        : null;
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
    case 'submit':
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
      return isHeight(data.height) ? (data as FrameToHost) : null;
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
  if (data.type === 'challenge_resize') return isHeight(data.height) ? (data as ChallengeToHost) : null;
  return data.type === 'challenge_complete' && isStr(data.paymentIntent, 128) ? (data as ChallengeToHost) : null;
}
