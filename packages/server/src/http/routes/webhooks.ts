/**
 * `/v1/webhook_endpoints`, Stripe-shaped: create (the signing secret in that answer only),
 * retrieve, update, delete, list — and Kassa's `roll_secret`, which makes a new secret while the
 * old ones keep signing for a while. Thin routes: parse, call the use case, present; the POSTs
 * go through idempotency like every other POST. A replayed create or roll shows the secret again,
 * but the idempotency table stores it sealed (`HttpResult.stored`), never in clear.
 */
import { Router } from 'express';
import type { Response } from 'express';
import { z } from 'zod';
import { metadataSchema } from '@kassa/core/wire';
import { EventType } from '../../domain/model.js';
import { notFound } from '../../domain/errors.js';
import type { Sensitive } from '../../domain/ports.js';
import { DEFAULT_PREVIOUS_SECRET_TTL_MS } from '../../webhooks/endpoints.js';
import type { WebhookEndpoints } from '../../webhooks/endpoints.js';
import type { WebhookSecrets } from '../../webhooks/secrets.js';
import { deletedEndpointView, endpointView } from '../../webhooks/views.js';
import type { WebhookEndpointObject } from '../../webhooks/views.js';
import { merchantOf } from '../auth.js';
import { methodNotAllowed } from '../errors.js';
import type { HttpResult } from '../errors.js';
import type { Idempotency } from '../idempotency.js';
import { listBody, pageQuery, pagingQuerySchema } from '../lists.js';
import { parseBody, parseQuery } from '../validation.js';

/**
 * The mode of the calling key. Every key is a test key today (`sk_test_…`); live keys will set
 * `res.locals.livemode`, and nothing else here changes.
 */
export function keyLivemode(res: Response): boolean {
  return res.locals.livemode === true;
}

/** Every event type Kassa emits, and `*` for all of them (new types join through EventType). */
const EVENT_TYPES = ['*', ...Object.values(EventType)] as [string, ...string[]];
const enabledEvents = z.array(z.enum(EVENT_TYPES)).min(1).max(64).describe('Event types to send, or `*` for all');
const url = z.string().min(1).max(2048).describe('http(s), no user:password; a live endpoint must be https and public');
const description = z.string().max(5000);

export const createEndpointSchema = z
  .object({
    url,
    enabled_events: enabledEvents,
    description: description.optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();

export const updateEndpointSchema = z
  .object({
    url: url.optional(),
    enabled_events: enabledEvents.optional(),
    disabled: z.boolean().optional().describe('`false` re-enables (also after a 410)'),
    description: description.optional(),
    // Stripe's update: keys merge, a key set to '' is removed, metadata '' clears them all.
    metadata: z.union([z.literal(''), metadataSchema]).optional(),
  })
  .strict();

const MAX_PREVIOUS_SECRET_TTL_S = 7 * 24 * 60 * 60;
export const rollSecretSchema = z
  .object({
    /** Seconds the replaced secrets keep signing (0: they stop now). Default 24 h, at most 7 days. */
    previous_secret_expires_in: z.number().int().min(0).max(MAX_PREVIOUS_SECRET_TTL_S).optional(),
  })
  .strict();

const noQuerySchema = z.object({}).strict();
const noBodySchema = z.object({}).strict();
export const endpointListSchema = pagingQuerySchema({});

const ENDPOINT_ID = /^we_[A-Za-z0-9]{8,64}$/;

export function webhookEndpointsRouter(deps: { endpoints: WebhookEndpoints; secrets: WebhookSecrets; idempotency: Idempotency }): Router {
  const { endpoints, secrets, idempotency } = deps;
  const router = Router();

  /** An id not shaped like an endpoint's is as unknown as one that does not exist. */
  const endpointId = (raw: unknown): string => {
    const id = String(raw);
    if (!ENDPOINT_ID.test(id)) throw notFound('webhook endpoint', id);
    return id;
  };

  /** The answer shows the secret; the stored replay holds it sealed. */
  const withSecret = (merchantId: string, view: WebhookEndpointObject & { previous_secret_expires_at?: number }, secret: Sensitive | undefined): HttpResult =>
    secret === undefined
      ? { status: 200, body: view }
      : { status: 200, body: { ...view, secret: secret.reveal() }, stored: { ...view, secret: secrets.sealForReplay(merchantId, secret) } };

  const replaySecret = (merchantId: string) => async (stored: string) => {
    const body = JSON.parse(stored) as Record<string, unknown>;
    if (typeof body.secret !== 'string') return stored;
    const opened = secrets.openReplay(merchantId, body.secret);
    // A secret that cannot be opened is left out rather than shown sealed or failing the replay.
    if (opened === null) delete body.secret;
    else body.secret = opened;
    return JSON.stringify(body);
  };

  router
    .route('/webhook_endpoints')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const input = parseBody(createEndpointSchema, req, res);
      await endpoints.assertTarget(input.url, keyLivemode(res));
      await idempotency.respond(
        req,
        res,
        { merchantId, scope: 'v1' },
        input,
        async (journal) => {
          const created = await endpoints.create(
            merchantId,
            keyLivemode(res),
            { url: input.url, enabledEvents: input.enabled_events, description: input.description, metadata: input.metadata },
            journal?.ref.key,
          );
          return withSecret(merchantId, endpointView(created.endpoint), created.secret);
        },
        replaySecret(merchantId),
      );
    })
    .get(async (req, res) => {
      const query = pageQuery(parseQuery(endpointListSchema, req));
      const page = await endpoints.list(merchantOf(res), keyLivemode(res), query);
      res.json(listBody('/v1/webhook_endpoints', 'webhook endpoint', query, page, endpointView));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/webhook_endpoints/:id')
    .get(async (req, res) => {
      const id = endpointId(req.params.id);
      parseQuery(noQuerySchema, req);
      res.json(endpointView(await endpoints.retrieve(merchantOf(res), keyLivemode(res), id)));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = endpointId(req.params.id);
      const input = parseBody(updateEndpointSchema, req, res);
      if (input.url !== undefined) await endpoints.assertTarget(input.url, keyLivemode(res));
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async () => ({
        status: 200,
        body: endpointView(
          await endpoints.update(merchantId, keyLivemode(res), id, {
            url: input.url,
            enabledEvents: input.enabled_events,
            disabled: input.disabled,
            description: input.description,
            metadata: input.metadata,
          }),
        ),
      }));
    })
    .delete(async (req, res) => {
      const id = endpointId(req.params.id);
      parseQuery(noQuerySchema, req);
      parseBody(noBodySchema, req, res);
      await endpoints.delete(merchantOf(res), keyLivemode(res), id);
      res.json(deletedEndpointView(id));
    })
    .all(methodNotAllowed('GET, POST, DELETE'));

  router
    .route('/webhook_endpoints/:id/roll_secret')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = endpointId(req.params.id);
      const input = parseBody(rollSecretSchema, req, res);
      const ttlMs = input.previous_secret_expires_in === undefined ? DEFAULT_PREVIOUS_SECRET_TTL_MS : input.previous_secret_expires_in * 1000;
      await idempotency.respond(
        req,
        res,
        { merchantId, scope: 'v1' },
        input,
        async (journal) => {
          const rolled = await endpoints.rollSecret(merchantId, keyLivemode(res), id, ttlMs, journal?.ref.key);
          const view = { ...endpointView(rolled.endpoint), previous_secret_expires_at: Math.floor(rolled.previousExpires / 1000) };
          return withSecret(merchantId, view, rolled.secret);
        },
        replaySecret(merchantId),
      );
    })
    .all(methodNotAllowed('POST'));

  return router;
}
