/**
 * What Kassa keeps about webhooks: the merchant's endpoints, their sealed signing secrets, one
 * delivery per (endpoint, event) and every attempt at it. Plain records, like model.ts; the
 * store persists them, webhooks/ works on them, the views put them on the wire.
 */

export type WebhookEndpointStatus = 'enabled' | 'disabled';
/** Who disabled an endpoint: the merchant (`disabled: true`), or its answer 410 Gone. */
export type WebhookDisabledReason = 'merchant' | 'gone';

export interface WebhookEndpointRecord {
  id: string;
  merchantId: string;
  /** Live endpoints are held to the target policy (no loopback, private or link-local targets). */
  livemode: boolean;
  url: string;
  /** Event types, or `*` for all. */
  enabledEvents: string[];
  description: string | null;
  metadata: Record<string, string>;
  status: WebhookEndpointStatus;
  disabledReason: WebhookDisabledReason | null;
  created: number;
  updated: number;
}

/** A signing secret as stored: AES-256-GCM ciphertext only. */
export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

export interface NewWebhookSecret extends SealedSecret {
  /** SHA-256 of the Idempotency-Key of the request that made it (a resumed retry finds it), or null. */
  creationKey: string | null;
  created: number;
}

export interface WebhookSecretRecord extends SealedSecret {
  id: number;
  endpointId: string;
  created: number;
  /** null: the current secret; else it keeps signing until then (rotation). */
  expires: number | null;
}

/** An event as the outbox holds it, with how many endpoints still wait for it. */
export interface StoredEvent {
  id: string;
  type: string;
  created: number;
  /** The Stripe-shaped event body, exactly as delivered. */
  payload: string;
  pendingWebhooks: number;
}

/** A delivery the worker may attempt now, with what it needs to make the attempt. */
export interface DueWebhookDelivery {
  id: number;
  endpointId: string;
  merchantId: string;
  eventId: string;
  eventCreated: number;
  objectId: string;
  payload: string;
  attempts: number;
  /** The work token of an attempt in flight (or of one whose maker died). */
  owner: string | null;
  url: string;
  livemode: boolean;
}

export type WebhookAttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'endpoint_disabled';

/** One attempt's result, recorded with the delivery's next state in one transaction. */
export interface WebhookAttemptResult {
  deliveryId: number;
  endpointId: string;
  eventId: string;
  /** The token that claimed the delivery: the write is refused if it no longer holds it. */
  owner: string;
  started: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: WebhookAttemptOutcome;
  /** When the next attempt is due (outcome `retrying`), else null. */
  nextRetry: number | null;
}

export interface WebhookAttemptRecord {
  attempt: number;
  started: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: WebhookAttemptOutcome;
  nextRetry: number | null;
}

/** The read model a dashboard shows: one delivery and its attempts. */
export interface WebhookDeliveryRecord {
  id: number;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: WebhookAttemptRecord[];
  nextAttemptAt: number | null;
  created: number;
  finished: number | null;
}
