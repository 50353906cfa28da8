/**
 * Idempotent POSTs (docs/API.md, Conventions; docs/ARCHITECTURE.md, Exactly once). With an
 * Idempotency-Key, the key's row is the request's journal: the first request takes the key
 * (locked by its work token), the use case records each local step in it, and the answer is
 * stored once it is final. The same key with the same body replays the stored answer; with
 * another body it is a 400 `idempotency_error` (Stripe's answer); while a live request holds it, a 409.
 *
 * A request that never stored an answer — its process died, or the provider did not answer
 * (502) — left the key at its last recovery point. The next request with the key takes it
 * over once the holder is not working any more (leases: see instances.ts), runs the same
 * handler with the journal, and the use case *resumes* there instead of starting over.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { IdempotencyKeyRef, Store } from '../store/port.js';
import type { Journal } from '../domain/model.js';
import { NO_FAULTS } from '../domain/ports.js';
import type { Clock, FaultPoints, Liveness } from '../domain/ports.js';
import { FailureKind, KassaError } from '../domain/errors.js';
import { errorResult, presenterOf, UNEXPECTED_ERROR } from './errors.js';
import type { HttpResult } from './errors.js';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

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
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
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
    private readonly liveness: Liveness,
    private readonly logger: { error(obj: object, msg: string): void },
    private readonly faults: FaultPoints = NO_FAULTS,
  ) {}

  /**
   * Runs `handler` for this request and sends its result; with a key, at most one request
   * runs it at a time and it sees the key's journal. `input` is the parsed request body:
   * what "same request" means. `replay` turns a stored body back into the one to send, for
   * a handler whose result stores something else (`HttpResult.stored`).
   */
  async respond(
    req: Request,
    res: Response,
    scope: { merchantId: string; scope: string },
    input: unknown,
    handler: (journal: Journal | undefined) => Promise<HttpResult>,
    replay?: (storedBody: string) => Promise<string>,
  ): Promise<void> {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      send(res, await handler(undefined));
      return;
    }
    const ref = { ...scope, key };
    const hash = createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${stableStringify(input)}`).digest('hex');
    const owner = this.liveness.begin();
    try {
      const taken = await this.take(ref, hash, owner);
      if (taken.replay) {
        const body = replay ? await replay(taken.replay.body) : taken.replay.body;
        res.status(taken.replay.status).set('Idempotent-Replayed', 'true').type('json').send(body);
        return;
      }
      await this.run(res, taken.journal, handler);
    } finally {
      this.liveness.end(owner);
    }
  }

  /** Takes the key for `owner`: new, or resumed from a holder that stopped working; else refuses. */
  private async take(ref: IdempotencyKeyRef, hash: string, owner: string): Promise<{ journal: Journal; replay?: undefined } | { replay: { status: number; body: string } }> {
    // A few rounds: two resumers may race for a freed key; the loser reads it again.
    for (let round = 0; round < 3; round++) {
      const begun = await this.store.beginIdempotent(ref, hash, owner, this.clock.now());
      switch (begun.state) {
        case 'started':
          return { journal: { ref, owner, recoveryPoint: 'started', intentId: null, attemptId: null, objectId: null } };
        case 'done':
          return { replay: { status: begun.status, body: begun.body } };
        case 'mismatch':
          throw new KassaError(
            FailureKind.IdempotencyMismatch,
            'idempotency_key_reused',
            'This Idempotency-Key was already used with different parameters or another endpoint.',
          );
        case 'unfinished': {
          if (begun.lockedBy !== null && (await this.liveness.isWorking(begun.lockedBy))) throw inFlight();
          if (await this.store.takeOverIdempotent(ref, begun.lockedBy, owner, this.clock.now())) {
            return {
              journal: { ref, owner, recoveryPoint: begun.recoveryPoint, intentId: begun.intentId, attemptId: begun.attemptId, objectId: begun.objectId },
            };
          }
          break;
        }
        default: {
          const unreachable: never = begun;
          throw new Error(`unknown idempotency state ${JSON.stringify(unreachable)}`);
        }
      }
    }
    throw inFlight();
  }

  private async run(res: Response, journal: Journal, handler: (journal: Journal) => Promise<HttpResult>): Promise<void> {
    let result: HttpResult;
    let bug: unknown;
    // Final answers are stored and replayed, errors included (a decline, a wrong state). Not
    // final: "the provider did not answer" and "still running", after which a retry resumes
    // and learns the outcome — and a bug, which the retry may find fixed.
    let final = true;
    try {
      result = await handler(journal);
    } catch (error) {
      const mapped = await errorResult(error, presenterOf(res)).catch(() => null);
      if (!mapped) bug = error;
      result = mapped ?? UNEXPECTED_ERROR;
      final = mapped !== null && !(error instanceof KassaError && RESUMABLE.includes(error.kind));
    }
    const now = this.clock.now();
    if (final) {
      this.faults.reach('before:response');
      // false: another request took the key over meanwhile (we were thought dead); its answer stands.
      await this.store.finishIdempotent(journal.ref, journal.owner, result.status, JSON.stringify(result.stored ?? result.body), now);
      this.faults.reach('after:response');
    } else {
      // If this write fails the key is still free for a retry: its owner token ends with this
      // request, and a token that is not running is not working. The answer goes out anyway.
      await this.store.releaseIdempotent(journal.ref, journal.owner, now).catch((err: unknown) => {
        this.logger.error({ err, scope: journal.ref.scope }, 'could not release an idempotency key; its owner token has ended, so a retry still resumes');
      });
    }
    // A bug still goes to the error handler, to be logged; it answers the same 500.
    if (bug !== undefined) throw bug;
    send(res, result);
  }
}

/** Failures after which the work may go on: the key keeps its journal for the retry. */
const RESUMABLE: readonly FailureKind[] = [FailureKind.ProviderUnavailable, FailureKind.IdempotencyInFlight];

const inFlight = () =>
  new KassaError(FailureKind.IdempotencyInFlight, 'idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress.');

function send(res: Response, result: HttpResult): void {
  res.status(result.status).json(result.body);
}
