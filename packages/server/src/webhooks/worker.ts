/**
 * The delivery worker: drains the outbox to each endpoint, at least once.
 *
 * Every round it (1) fans new outbox events out into one delivery row per matching endpoint,
 * (2) takes the deliveries that are due, (3) claims each under a work token of this instance
 * (a compare-and-set on the row's owner, as idempotency keys are locked), (4) POSTs it signed
 * and (5) records the attempt and the delivery's next state in one transaction, if it still
 * holds the claim. All state is in the database: a restart, or another instance, picks up
 * where this one stopped. A claim is taken over only when its token is not working any more
 * (the same leases as every other lock: `Liveness`), so a crash after the POST and before the
 * record ends in the same event being sent again — never in an event lost, and never in two
 * live instances sending it at once.
 *
 * Failed attempts are retried with backoff (backoff.ts) for about three days; 2xx is success;
 * 410 Gone disables the endpoint. One object's events go out in order while the receiver
 * keeps up (see the store's due query).
 *
 * Payments come before webhooks: while the server is saturated with API requests (`busy`: the
 * composition root's signal, requests in flight on an event loop more than 80% busy), the
 * worker keeps at most `busyConcurrency` attempts in flight and pauses `busyPauseMs` between
 * rounds, so a burst of payments is not slowed by the deliveries it causes; the backlog waits in
 * the database and goes out at full speed once the burst is over. The floor (by default one
 * attempt per 50 ms, up to 20 a second) keeps deliveries moving through a long saturation.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, Liveness } from '../domain/ports.js';
import type { Sensitive } from '../domain/ports.js';
import type { DueWebhookDelivery, WebhookAttemptOutcome } from '../domain/webhook-model.js';
import type { Store } from '../store/port.js';
import { nextRetryAt } from './backoff.js';
import type { WebhookSecrets } from './secrets.js';
import { signDelivery } from './signing.js';
import { guardedLookup, staticRefusal } from './target-policy.js';
import { DeliveryAgents, httpTransport } from './transport.js';
import type { Transport, TransportResult } from './transport.js';

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookWorkerOptions {
  /** Pause between rounds when nothing was due (default 1 s). 0: no rounds of its own; only `drain()` delivers. */
  pollMs?: number;
  /** Deliveries attempted at once (default 8). */
  concurrency?: number;
  /** Bound on one attempt, connect to status line (default 15 s). */
  timeoutMs?: number;
  /** True while the server is busy with API requests (default: never): deliveries slow to the floor. */
  busy?: () => boolean;
  /** Attempts in flight while busy (default 1). */
  busyConcurrency?: number;
  /** Pause between rounds while busy (default 50 ms). */
  busyPauseMs?: number;
  /** Jitter source in [0, 1) (tests make it fixed). */
  random?: () => number;
  transport?: Transport;
}

export interface WebhookWorkerDeps {
  store: Store;
  secrets: WebhookSecrets;
  liveness: Liveness;
  clock: Clock;
  logger: WorkerLogger;
}

export const DEFAULT_POLL_MS = 1000;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_BUSY_CONCURRENCY = 1;
const DEFAULT_BUSY_PAUSE_MS = 50;
const DEFAULT_TIMEOUT_MS = 15_000;

export class WebhookWorker {
  readonly #d: WebhookWorkerDeps;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #random: () => number;
  readonly #busy: () => boolean;
  readonly #busyConcurrency: number;
  readonly #busyPauseMs: number;
  readonly #transport: Transport;
  readonly #lookup = guardedLookup();
  readonly #agents: DeliveryAgents;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<boolean>>();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(deps: WebhookWorkerDeps, options: WebhookWorkerOptions = {}) {
    this.#d = deps;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#random = options.random ?? Math.random;
    this.#busy = options.busy ?? (() => false);
    this.#busyConcurrency = Math.min(options.busyConcurrency ?? DEFAULT_BUSY_CONCURRENCY, this.#concurrency);
    this.#busyPauseMs = options.busyPauseMs ?? DEFAULT_BUSY_PAUSE_MS;
    this.#transport = options.transport ?? httpTransport;
    this.#agents = new DeliveryAgents(this.#concurrency);
  }

  start(): void {
    if (this.#pollMs <= 0 || this.#loop) return;
    this.#loop = this.#run();
  }

  /** Runs rounds until nothing is due now; resolves to the number of attempts made (tests, the CLI). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const attempted = await this.round();
      total += attempted;
      if (attempted === 0 || this.#stop.signal.aborted) return total;
    }
  }

  /** Stops the rounds; attempts in flight are cut off and their deliveries given back, due at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
    await Promise.all([...this.#inFlight]);
    this.#agents.destroy();
  }

  /**
   * One round: fan out, claim what is due (as many as there are free slots), attempt it. With
   * `wait` (drain, tests) it resolves once the attempts are recorded, to the number recorded (one
   * that could not be recorded is due again, but only in a later round). Without (the worker's
   * own loop) it resolves to the number started, and the attempts run on: a slow receiver holds
   * its slot, not the whole worker.
   */
  async round(options: { wait: boolean } = { wait: true }): Promise<number> {
    if (this.#stop.signal.aborted) return 0;
    const free = (this.#busy() ? this.#busyConcurrency : this.#concurrency) - this.#inFlight.size;
    if (free <= 0) return 0;
    const { store, liveness, clock } = this.#d;
    const now = clock.now();
    await store.fanOutWebhookEvents(now);
    // The ones in flight come first in the due order (and are skipped); then room to skip a few more.
    const due = await store.dueWebhookDeliveries(now, this.#inFlight.size + free * 2 + 4);
    const objects = new Set<string>();
    const candidates: DueWebhookDelivery[] = [];
    for (const delivery of due) {
      if (candidates.length >= free) break;
      // One delivery per object and endpoint in a round: the earliest, so their order holds.
      const object = `${delivery.endpointId}|${delivery.objectId}`;
      if (objects.has(object)) continue;
      objects.add(object);
      if (delivery.owner !== null && (await liveness.isWorking(delivery.owner))) continue;
      candidates.push(delivery);
    }
    // Claimed together: the claims share one group commit (one fsync), not one each.
    const claims = await Promise.all(
      candidates.map(async (delivery) => {
        const token = liveness.begin();
        // A token that did not get its claim ends here, error or not: a token left running would
        // keep whatever it holds from ever being taken over in this process.
        const won = await store.claimWebhookDelivery(delivery.id, delivery.owner, token, now).catch((err: unknown) => {
          this.#d.logger.error({ err, endpoint: delivery.endpointId, event: delivery.eventId }, 'could not claim a webhook delivery');
          return false;
        });
        if (won) return { delivery, token };
        liveness.end(token);
        return null;
      }),
    );
    const claimed = claims.filter((c): c is { delivery: DueWebhookDelivery; token: string } => c !== null);
    const attempts = claimed.map(({ delivery, token }) => {
      const attempt = this.#attempt(delivery, token).finally(() => {
        liveness.end(token);
        this.#inFlight.delete(attempt);
        // A slot is free: the loop need not sleep out its pause (while busy, it keeps its pace).
        if (!this.#busy()) this.#wake?.();
      });
      this.#inFlight.add(attempt);
      return attempt;
    });
    if (!options.wait) return claimed.length;
    const recorded = await Promise.all(attempts);
    return recorded.filter(Boolean).length;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      let started = 0;
      try {
        started = await this.round({ wait: false });
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        this.#d.logger.error({ err }, 'webhook delivery round failed');
      }
      if (this.#busy()) await this.#sleep(this.#busyPauseMs);
      else if (started === 0) await this.#sleep(this.#pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** Makes one attempt and records it; true once it is recorded. */
  async #attempt(delivery: DueWebhookDelivery, token: string): Promise<boolean> {
    const { store, clock, logger } = this.#d;
    const log = { endpoint: delivery.endpointId, event: delivery.eventId, attempt: delivery.attempts + 1 };
    try {
      const startedAt = clock.now();
      const begun = performance.now();
      const result = await this.#post(delivery, startedAt);
      const durationMs = performance.now() - begun;
      if (result.kind === 'aborted') {
        await store.releaseWebhookDelivery(delivery.id, token, clock.now());
        return false;
      }
      const statusCode = result.kind === 'answered' ? result.status : null;
      const error = result.kind === 'failed' ? result.error : null;
      let outcome: WebhookAttemptOutcome;
      let nextRetry: number | null = null;
      if (statusCode !== null && statusCode >= 200 && statusCode < 300) outcome = 'succeeded';
      else if (statusCode === 410) outcome = 'endpoint_disabled';
      else {
        nextRetry = nextRetryAt(delivery.attempts + 1, startedAt, delivery.eventCreated, this.#random);
        outcome = nextRetry === null ? 'failed' : 'retrying';
      }
      const recorded = await store.recordWebhookAttempt({
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        eventId: delivery.eventId,
        owner: token,
        started: startedAt,
        durationMs,
        statusCode,
        error,
        outcome,
        nextRetry,
      });
      const entry = { ...log, status: statusCode, ms: Math.round(durationMs), outcome, ...(error ? { error } : {}) };
      if (!recorded) logger.warn(entry, 'webhook attempt not recorded: the delivery was taken over or its endpoint deleted');
      else if (outcome === 'succeeded') logger.info(entry, 'webhook delivered');
      else if (outcome === 'endpoint_disabled') logger.warn(entry, 'webhook endpoint answered 410 Gone and is disabled');
      else if (outcome === 'failed') logger.error(entry, 'webhook delivery failed for good: no retries left');
      else logger.warn({ ...entry, nextRetry }, 'webhook attempt failed; will retry');
      return recorded;
    } catch (err) {
      // The claim ends with the token (finally, in round): the delivery is due again next round.
      logger.error({ ...log, err }, 'webhook attempt could not be made or recorded');
      return false;
    }
  }

  async #post(delivery: DueWebhookDelivery, now: number): Promise<TransportResult> {
    let url: URL;
    try {
      url = new URL(delivery.url);
    } catch {
      return { kind: 'failed', error: 'the endpoint URL is not valid', refused: true };
    }
    const refused = staticRefusal(url, delivery.livemode);
    if (refused) return { kind: 'failed', error: `refused by the target policy: ${refused.message}`, refused: true };
    let secrets: Sensitive[];
    try {
      const sealed = await this.#d.store.webhookSecrets(delivery.endpointId, now);
      secrets = sealed.map((s) => this.#d.secrets.open(delivery.endpointId, delivery.merchantId, s));
    } catch {
      // A wrong server secret or a damaged row: nothing can be signed; say so without detail.
      return { kind: 'failed', error: 'the signing secret could not be read', refused: false };
    }
    if (secrets.length === 0) return { kind: 'failed', error: 'the endpoint has no signing secret', refused: false };
    const headers = signDelivery({ eventId: delivery.eventId, timestamp: Math.floor(now / 1000), payload: delivery.payload, secrets });
    return this.#transport({
      url: delivery.url,
      headers: { ...headers },
      body: delivery.payload,
      timeoutMs: this.#timeoutMs,
      signal: this.#stop.signal,
      lookup: delivery.livemode ? this.#lookup : undefined,
      agent: this.#agents.for(url, delivery.livemode),
    });
  }
}
