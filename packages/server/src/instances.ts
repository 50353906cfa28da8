/**
 * This process as one server instance among those sharing a database: a row with a lease it
 * renews, and the work tokens (`<instance>.<n>`) its requests and recovery runs hold locks
 * under. Another instance's lock may be taken over only once that instance is gone: its
 * lease ran out, it shut down, or — found at start — it ran on this host under a process id
 * that no longer exists. A restarted server therefore resumes its predecessor's requests at
 * once instead of waiting out a timeout, and never takes over a live instance's work.
 */
import { hostname } from 'node:os';
import type { Clock, Liveness } from './domain/ports.js';
import type { Store } from './store/port.js';
import type { InstanceRecord } from './domain/model.js';
import { newId } from './domain/ids.js';

export interface InstanceOptions {
  /** How long a lease lasts without renewal. Another instance waits at most this long after a crash it cannot detect. */
  leaseMs?: number;
  /** How often the lease is renewed (a third of the lease by default, so two renewals may fail). */
  renewEveryMs?: number;
}

export interface InstanceLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const DEFAULT_LEASE_MS = 15_000;
/** Stopped instances are kept this long (for an operator reading who ran when), then forgotten. */
export const STOPPED_INSTANCE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Whether a process with this id exists on this host (EPERM: it exists, owned by someone else). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class InstanceRegistry implements Liveness {
  readonly instanceId: string;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: InstanceLogger;
  readonly #leaseMs: number;
  readonly #running = new Set<string>();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(store: Store, clock: Clock, logger: InstanceLogger, leaseMs: number) {
    this.instanceId = newId('inst');
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#leaseMs = leaseMs;
  }

  /** Registers this instance, declares dead predecessors stopped, and keeps the lease renewed. */
  static async start(store: Store, clock: Clock, logger: InstanceLogger, options: InstanceOptions = {}): Promise<InstanceRegistry> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const registry = new InstanceRegistry(store, clock, logger, leaseMs);
    const now = clock.now();
    const host = hostname();
    const dead = (await store.listRunningInstances()).filter(
      // Same host: the process id tells. The same pid as ours is an earlier life of this
      // process slot (a container restarts with the same pid), never a live peer.
      (i) => i.host === host && (i.pid === process.pid || !processExists(i.pid)),
    );
    await store.stopInstances(
      dead.map((i) => i.id),
      now,
    );
    // One row per start would grow for ever; a lock naming a forgotten instance is as dead as before.
    await store.pruneInstances(now - STOPPED_INSTANCE_RETENTION_MS);
    if (dead.length > 0) {
      logger.warn({ instances: dead.map((i) => i.id) }, 'earlier instances are gone; their requests may be resumed at once');
    }
    const me: InstanceRecord = { id: registry.instanceId, host, pid: process.pid, started: now, leaseExpires: now + leaseMs, stopped: null };
    await store.registerInstance(me);
    const every = options.renewEveryMs ?? Math.floor(leaseMs / 3);
    registry.#timer = setInterval(() => void registry.#renew(), every);
    registry.#timer.unref();
    return registry;
  }

  begin(): string {
    const token = `${this.instanceId}.${++this.#seq}`;
    this.#running.add(token);
    return token;
  }

  end(token: string): void {
    this.#running.delete(token);
  }

  async isWorking(token: string): Promise<boolean> {
    const instance = token.slice(0, token.lastIndexOf('.'));
    if (instance === this.instanceId) return this.#running.has(token);
    const row = await this.#store.getInstance(instance);
    return row !== null && row.stopped === null && row.leaseExpires > this.#clock.now();
  }

  /** Marks this instance stopped: whatever it still held is free for the next one. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#store.stopInstances([this.instanceId], this.#clock.now()).catch((err: unknown) => {
      this.#logger.error({ err }, 'could not record this instance as stopped; its lease will run out');
    });
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    try {
      const renewed = await this.#store.renewInstance(this.instanceId, this.#clock.now() + this.#leaseMs);
      if (!renewed) this.#logger.error({ instance: this.instanceId }, 'this instance was declared stopped by another; its locks may be taken over');
    } catch (err) {
      this.#logger.error({ err, instance: this.instanceId }, 'lease renewal failed');
    }
  }
}
