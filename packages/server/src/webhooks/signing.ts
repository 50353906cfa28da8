/**
 * The headers that sign one delivery, twice over, so a merchant may verify with either library
 * unchanged:
 *
 * - Standard Webhooks: `webhook-id` (the event id, the same on every retry, for deduplication),
 *   `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`, one `v1,<base64>`
 *   per valid secret, space-separated (several during a rotation). Signed by the
 *   `standardwebhooks` library itself: HMAC-SHA256 over `id.timestamp.body` with the secret's
 *   decoded bytes.
 * - Stripe: `Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over
 *   `timestamp.body` keyed with the `whsec_…` string, as `stripe.webhooks.constructEvent`
 *   checks it (any one matching v1 passes).
 *
 * Signatures are made on the exact bytes sent; the timestamp is the attempt's, so a retry days
 * later is still within the receivers' tolerance (5 minutes in both libraries).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Sensitive } from '../domain/ports.js';

/**
 * A signing secret is Standard Webhooks' `whsec_<base64 of 32 random bytes>`. Both verifiers take
 * that same string unchanged: the `standardwebhooks` library HMACs with the decoded bytes,
 * `stripe.webhooks.constructEvent` with the string itself. Endpoints' secrets and the one
 * `kassa listen` signs with are made here.
 */
export const SECRET_PREFIX = 'whsec_';

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'stripe-signature': string;
}

/** `secrets`: anything that reveals a `whsec_…` string (the worker's `Sensitive`, or `kassa listen`'s own secret). */
export function signDelivery(input: { eventId: string; timestamp: number; payload: string; secrets: ReadonlyArray<Pick<Sensitive, 'reveal'>> }): SignedHeaders {
  if (input.secrets.length === 0) throw new Error('a delivery needs at least one signing secret');
  const { eventId, timestamp, payload } = input;
  const standard = input.secrets.map((s) => new Webhook(s.reveal()).sign(eventId, new Date(timestamp * 1000), payload));
  const stripe = input.secrets.map((s) => `v1=${createHmac('sha256', s.reveal()).update(`${timestamp}.${payload}`, 'utf8').digest('hex')}`);
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standard.join(' '),
    'stripe-signature': `t=${timestamp},${stripe.join(',')}`,
  };
}
