/**
 * Wire shapes: Stripe's WebhookEndpoint and Event objects (timestamps in Unix seconds), and the
 * deliveries read model as a dashboard would show it. The two wire objects are zod schemas (the
 * OpenAPI document is generated from them; the endpoint's type is derived from its schema).
 */
import { z } from 'zod';
import { chargeObjectSchema, paymentIntentObjectSchema, refundObjectSchema } from '@kassa/core/wire';
import { seconds } from '../domain/views.js';
import { EventType } from '../domain/model.js';
import type { StoredEvent, WebhookDeliveryRecord, WebhookEndpointRecord } from '../domain/webhook-model.js';

const EVENT_TYPE_VALUES = Object.values(EventType) as [EventType, ...EventType[]];

export const webhookEndpointSchema = z
  .object({
    id: z.string().describe('`we_…`'),
    object: z.literal('webhook_endpoint'),
    api_version: z.null(),
    application: z.null(),
    created: z.number().int().describe('Unix time in seconds'),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()).describe('Event types as enabled (the request accepts those of Event `type`), or `*` for all'),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    status: z.enum(['enabled', 'disabled']).describe('`disabled` by the merchant, or by a 410 from the endpoint'),
    url: z.string(),
  })
  .strict();
export type WebhookEndpointObject = z.infer<typeof webhookEndpointSchema>;

/**
 * Create's answer: the only one with the signing secret. A replayed create shows it again, from
 * the sealed copy; it is left out only if that copy cannot be opened (another server secret).
 */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({ secret: z.string().regex(/^whsec_/).optional().describe('`whsec_…`, shown in this answer only') })
  .strict();

/** roll_secret's answer: the new secret, and until when the replaced ones keep signing. */
export const rolledWebhookEndpointSchema = webhookEndpointWithSecretSchema
  .extend({ previous_secret_expires_at: z.number().int().describe('Unix time in seconds') })
  .strict();

export const deletedWebhookEndpointSchema = z
  .object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) })
  .strict();

/** An event's intent: the merchant's view without the client secret, related objects as ids. */
export const eventPaymentIntentSchema = paymentIntentObjectSchema.omit({ client_secret: true }).strict();

/** The event as delivered: its object is the intent (without its client secret), a Charge or a Refund. */
export const eventSchema = z
  .object({
    id: z.string().describe('`evt_…`; the `webhook-id` of its deliveries'),
    object: z.literal('event'),
    type: z.enum(EVENT_TYPE_VALUES),
    created: z.number().int().describe('Unix time in seconds'),
    livemode: z.boolean(),
    data: z
      .object({
        object: z.discriminatedUnion('object', [eventPaymentIntentSchema, chargeObjectSchema, refundObjectSchema]),
      })
      .strict(),
    pending_webhooks: z.number().int().nonnegative().describe('Endpoints still waiting for it (not in the delivered body)'),
  })
  .strict();

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

export const deletedEndpointView = (id: string): z.infer<typeof deletedWebhookEndpointSchema> => ({ id, object: 'webhook_endpoint', deleted: true });

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
