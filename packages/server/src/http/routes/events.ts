/**
 * `/v1/events`: retrieve one, or list them newest first with Stripe's paging, `created` filters
 * and `type` (an exact type, or a prefix such as `payment_intent.*`) or `types` (up to 20 of
 * those, `types[0]=…&types[1]=…` as the stripe SDK sends an array).
 */
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { hasPrefix } from '@kassa/core';
import { FailureKind, KassaError, notFound } from '../../domain/errors.js';
import type { Events } from '../../webhooks/events.js';
import { eventView } from '../../webhooks/views.js';
import { methodNotAllowed } from '../errors.js';
import { merchantOf } from '../auth.js';
import { listBody, listQuerySchema, pageQuery } from '../lists.js';
import { parseQuery, zodError } from '../validation.js';
import { keyLivemode } from './webhooks.js';

const eventType = z
  .string()
  .max(100)
  .regex(/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/, 'must be an event type such as payment_intent.succeeded, or a prefix such as payment_intent.*');

export const eventListSchema = listQuerySchema({
  type: eventType.optional().describe('An event type, or a prefix such as `payment_intent.*`'),
  types: z.array(eventType).min(1).max(20).optional().describe('Up to 20 of those (not with `type`)'),
});
const noQuerySchema = z.object({}).strict();

/** `types[0]=a&types[1]=b` (or `types[]=…`) arrive as flat keys: gathered into one `types` array, in index order. */
function gatherTypes(query: Record<string, unknown>): Record<string, unknown> {
  const indexed: Array<[number, unknown]> = [];
  const rest: Record<string, unknown> = {};
  let appended = 0;
  for (const [key, value] of Object.entries(query)) {
    const m = /^types\[(\d{0,3})\]$/.exec(key);
    if (!m) {
      rest[key] = value;
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) indexed.push([m[1] === '' ? 1000 + appended++ : Number(m[1]), v]);
  }
  if (indexed.length === 0) return rest;
  if (rest.types !== undefined) {
    throw new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', 'Send types either as types[n] or as types, not both.', { param: 'types' });
  }
  rest.types = indexed.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return rest;
}

function parseListQuery(req: Request) {
  const raw = gatherTypes({ ...(req.query as Record<string, unknown>) });
  // A repeated plain `types=a&types=b` arrives as an array already; a single one as a string.
  if (typeof raw.types === 'string') raw.types = [raw.types];
  const parsed = eventListSchema.safeParse(raw);
  if (!parsed.success) throw zodError(parsed.error, raw);
  if (parsed.data.type !== undefined && parsed.data.types !== undefined) {
    throw new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', 'You may only specify one of these parameters: type, types.', { param: 'types' });
  }
  return parsed.data;
}

export function eventsRouter(deps: { events: Events }): Router {
  const { events } = deps;
  const router = Router();

  router
    .route('/events')
    .get(async (req, res) => {
      const params = parseListQuery(req);
      const query = pageQuery(params);
      const types = params.types ?? (params.type !== undefined ? [params.type] : undefined);
      const page = await events.list(merchantOf(res), keyLivemode(res), { ...query, types });
      res.json(listBody('/v1/events', 'event', query, page, eventView));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/events/:id')
    .get(async (req, res) => {
      const id = String(req.params.id);
      if (!hasPrefix(id, 'evt')) throw notFound('event', id);
      parseQuery(noQuerySchema, req);
      res.json(eventView(await events.retrieve(merchantOf(res), keyLivemode(res), id)));
    })
    .all(methodNotAllowed('GET'));

  return router;
}
