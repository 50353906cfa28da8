/**
 * Idempotent POSTs (docs/API.md, Conventions). With an Idempotency-Key, the first request
 * runs and its response (status and body, errors included) is stored; the same key with the
 * same body replays it; with another body it is a 422; while the first still runs, a 409.
 * 5xx answers are stored too (Stripe does the same): a create with confirm=true that got no
 * answer from the provider must not run again and make a second intent. A crashed request's
 * key is taken over once its lock is stale.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Store } from '../store/port.js';
import type { Clock } from '../domain/ports.js';
import { FailureKind, KassaError } from '../domain/errors.js';
import { errorResult, presenterOf, UNEXPECTED_ERROR } from './errors.js';
import type { HttpResult } from './errors.js';

/** A lock older than this was left by a crashed process and may be taken over. */
export const IDEMPOTENCY_LOCK_STALE_MS = 60_000;

const KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** JSON with sorted keys, so {a,b} and {b,a} hash the same. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!KEY.test(key)) {
    throw new KassaError(
      FailureKind.InvalidRequest,
      'parameter_invalid',
      'Idempotency-Key must be 1–255 printable ASCII characters.',
      { param: 'Idempotency-Key' },
    );
  }
  return key;
}

export class Idempotency {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs `handler` at most once per (merchant, scope, key) and sends its result.
   * `input` is the parsed request body: what "same request" means.
   */
  async respond(
    req: Request,
    res: Response,
    scope: { merchantId: string; scope: string },
    input: unknown,
    handler: () => Promise<HttpResult>,
  ): Promise<void> {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      send(res, await handler());
      return;
    }
    const ref = { ...scope, key };
    const hash = createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${stableStringify(input)}`).digest('hex');
    const begun = await this.store.beginIdempotent(ref, hash, this.clock.now(), IDEMPOTENCY_LOCK_STALE_MS);
    switch (begun.state) {
      case 'done':
        res.status(begun.status).set('Idempotent-Replayed', 'true').type('json').send(begun.body);
        return;
      case 'mismatch':
        throw new KassaError(
          FailureKind.IdempotencyMismatch,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with different parameters or another endpoint.',
        );
      case 'in_flight':
        throw new KassaError(FailureKind.IdempotencyInFlight, 'idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress.');
      case 'started':
        break;
    }
    // As at Stripe, the first answer is the answer, 5xx included: once the handler ran, a
    // provider may have acted, and running it again could charge twice (a create with
    // confirm=true would make a second intent). A replay shows the intent as it was then;
    // retrieving it shows how it settled.
    let result: HttpResult;
    let bug: unknown;
    try {
      result = await handler();
    } catch (error) {
      const mapped = await errorResult(error, presenterOf(res)).catch(() => null);
      if (!mapped) bug = error;
      result = mapped ?? UNEXPECTED_ERROR;
    }
    await this.store.finishIdempotent(ref, result.status, JSON.stringify(result.body), this.clock.now());
    // A bug still goes to the error handler, to be logged; it answers the same 500.
    if (bug !== undefined) throw bug;
    send(res, result);
  }
}

function send(res: Response, result: HttpResult): void {
  res.status(result.status).json(result.body);
}
