/**
 * Wire shapes: Stripe's WebhookEndpoint and Event objects (timestamps in Unix seconds), and the
 * deliveries read model as a dashboard would show it.
 */
import { seconds } from '../domain/views.js';
import type { StoredEvent, WebhookDeliveryRecord, WebhookEndpointRecord } from '../domain/webhook-model.js';

export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  api_version: null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Record<string, string>;
  status: 'enabled' | 'disabled';
  url: string;
  /** Only in the answers that make a secret: create and roll_secret. */
  secret?: string;
  /** roll_secret only: until when the secrets it replaced keep signing. */
  previous_secret_expires_at?: number;
}

export function endpointView(e: WebhookEndpointRecord): WebhookEndpointObject {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: seconds(e.created),
    description: e.description,
    enabled_events: e.enabledEvents,
    livemode: e.livemode,
    metadata: e.metadata,
    status: e.status,
    url: e.url,
  };
}

export const deletedEndpointView = (id: string) => ({ id, object: 'webhook_endpoint' as const, deleted: true as const });

/** The event as delivered, plus how many endpoints have yet to acknowledge it (Stripe's `pending_webhooks`). */
export function eventView(e: StoredEvent): Record<string, unknown> {
  return { ...(JSON.parse(e.payload) as Record<string, unknown>), pending_webhooks: e.pendingWebhooks };
}

export function deliveryView(d: WebhookDeliveryRecord) {
  return {
    event: d.eventId,
    event_type: d.eventType,
    status: d.status,
    created: seconds(d.created),
    finished: d.finished === null ? null : seconds(d.finished),
    next_attempt_at: d.nextAttemptAt === null ? null : seconds(d.nextAttemptAt),
    attempts: d.attempts.map((a) => ({
      attempt: a.attempt,
      started: seconds(a.started),
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      error: a.error,
      outcome: a.outcome,
      next_retry: a.nextRetry === null ? null : seconds(a.nextRetry),
    })),
  };
}
