/**
 * Stripe's list conventions, once, for every list endpoint of the merchant API:
 *
 * - query: `limit` (1–100, default 10), `starting_after` / `ending_before` (an object id of the
 *   same list; at most one of them), and for lists that filter by time `created` — an exact Unix
 *   second, or `created[gt]`, `[gte]`, `[lt]`, `[lte]` (the app's simple query parser keeps
 *   `created[gte]` as one flat key, which is how the stripe SDK sends it);
 * - order: newest first; `starting_after=X` pages to older objects, `ending_before=X` to newer;
 * - envelope: `{ object: 'list', url, has_more, data }`.
 *
 * A route builds its schema with `listQuerySchema({ ...its own filters })` (or
 * `pagingQuerySchema` without `created`; strict: an unknown parameter is a 400 naming it),
 * parses with `parseQuery`, hands `pageQuery(parsed)` to its use case and answers
 * `listBody(url, what, query, page, present)`.
 */
import { z } from 'zod';
import { FailureKind, KassaError, notFound } from '../domain/errors.js';
import type { Page, PageQuery } from '../store/pages.js';
import type { CreatedRange } from '../store/pages.js';

export const LIST_LIMIT_DEFAULT = 10;
export const LIST_LIMIT_MAX = 100;

const limit = z
  .string()
  .regex(/^\d{1,3}$/, `must be an integer between 1 and ${LIST_LIMIT_MAX}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(LIST_LIMIT_MAX));
const cursor = z.string().min(1).max(255);
/** Unix seconds, as every `created` on the wire. */
const timestamp = z.string().regex(/^\d{1,12}$/, 'must be a Unix timestamp in seconds').transform(Number);

// Descriptions are for the OpenAPI document, which lists these as each list's query parameters.
const pagingShape = {
  limit: limit.optional().describe(`How many objects, 1–${LIST_LIMIT_MAX} (default ${LIST_LIMIT_DEFAULT})`),
  starting_after: cursor.optional().describe('An id of this list: the page of older objects after it'),
  ending_before: cursor.optional().describe('An id of this list: the page of newer objects before it (not with starting_after)'),
};

const createdShape = {
  created: timestamp.optional().describe('Created in exactly this second (Unix time)'),
  'created[gt]': timestamp.optional().describe('Created after this second (Unix time)'),
  'created[gte]': timestamp.optional().describe('Created in or after this second (Unix time)'),
  'created[lt]': timestamp.optional().describe('Created before this second (Unix time)'),
  'created[lte]': timestamp.optional().describe('Created in or before this second (Unix time)'),
};

export interface ListParams {
  limit?: number | undefined;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
  created?: number | undefined;
  'created[gt]'?: number | undefined;
  'created[gte]'?: number | undefined;
  'created[lt]'?: number | undefined;
  'created[lte]'?: number | undefined;
}

/** The strict query schema of a list filtered by time: paging, `created` filters, and the route's own. */
export function listQuerySchema<E extends z.ZodRawShape>(extra: E) {
  return z.object({ ...pagingShape, ...createdShape, ...extra }).strict();
}

/** The same for a list Stripe does not filter by time (webhook endpoints): paging and the route's own. */
export function pagingQuerySchema<E extends z.ZodRawShape>(extra: E) {
  return z.object({ ...pagingShape, ...extra }).strict();
}

/** The store's page query from parsed list parameters; both cursors at once is a 400, as at Stripe. */
export function pageQuery(params: ListParams): PageQuery {
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw new KassaError(
      FailureKind.InvalidRequest,
      'parameter_invalid',
      'You may only specify one of these parameters: starting_after, ending_before.',
      { param: 'ending_before' },
    );
  }
  return {
    limit: params.limit ?? LIST_LIMIT_DEFAULT,
    ...(params.starting_after !== undefined ? { startingAfter: params.starting_after } : {}),
    ...(params.ending_before !== undefined ? { endingBefore: params.ending_before } : {}),
    ...createdRange(params),
  };
}

/**
 * Wire `created` is floor(ms / 1000), so "created ≥ s" is "ms ≥ s·1000" and "created ≤ s" is
 * "ms < (s+1)·1000": every filter becomes one half-open range in milliseconds.
 */
function createdRange(p: ListParams): { created?: CreatedRange } {
  const lower: number[] = [];
  const upper: number[] = [];
  if (p.created !== undefined) {
    lower.push(p.created * 1000);
    upper.push((p.created + 1) * 1000);
  }
  if (p['created[gt]'] !== undefined) lower.push((p['created[gt]'] + 1) * 1000);
  if (p['created[gte]'] !== undefined) lower.push(p['created[gte]'] * 1000);
  if (p['created[lt]'] !== undefined) upper.push(p['created[lt]'] * 1000);
  if (p['created[lte]'] !== undefined) upper.push((p['created[lte]'] + 1) * 1000);
  if (lower.length === 0 && upper.length === 0) return {};
  return {
    created: {
      ...(lower.length > 0 ? { gte: Math.max(...lower) } : {}),
      ...(upper.length > 0 ? { lt: Math.min(...upper) } : {}),
    },
  };
}

export interface ListBody<T> {
  object: 'list';
  url: string;
  has_more: boolean;
  data: T[];
}

/**
 * The list envelope. A cursor naming no object of this list (unknown, another merchant's) is
 * a 404 `resource_missing` with `param` the cursor, as Stripe answers it.
 */
export function listBody<R, T>(url: string, what: string, query: PageQuery, page: Page<R>, present: (record: R) => T): ListBody<T> {
  if (page.missingCursor) throw notFound(what, query.startingAfter ?? query.endingBefore ?? '', page.missingCursor);
  return { object: 'list', url, has_more: page.hasMore, data: page.data.map(present) };
}
