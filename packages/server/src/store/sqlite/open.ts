/**
 * Opens a SQLite database the way every Kassa database is run: WAL, synchronous=FULL (a
 * committed payment survives a power cut), a busy timeout for the rare second process
 * (the CLI), foreign keys on, and migrations applied in one immediate transaction.
 */
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Database as DatabaseType, Transaction } from 'better-sqlite3';

export interface SqlMigration {
  version: number;
  sql: string;
}

export function openSqlite(path: string, migrations: readonly SqlMigration[]): DatabaseType {
  const db = new Database(path);
  // Owner-only, before the WAL exists: SQLite gives the -wal and -shm files the database's mode.
  chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Freed pages are zeroed, so deleted rows do not linger in the file.
  db.pragma('secure_delete = ON');
  migrate(db, migrations);
  return db;
}

function migrate(db: DatabaseType, migrations: readonly SqlMigration[]): void {
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  });
  apply.immediate();
}

interface QueuedWrite {
  run: () => unknown;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  ok?: boolean;
  value?: unknown;
  error?: unknown;
}

/**
 * Group commit. With synchronous=FULL every COMMIT waits for the disk, and better-sqlite3
 * waits on the event loop; one commit per write caps throughput at the disk's fsync rate.
 * Writes queued in the same turn of the event loop therefore share one transaction and one
 * fsync. Each runs in its own savepoint (better-sqlite3 nests transaction functions), so a
 * write that fails rolls back alone; every caller's promise settles only once the shared
 * COMMIT has returned, i.e. once its write is durable.
 *
 * A write can say it need not be durable on its own (`durable: false`): bookkeeping that is
 * safe to lose in a power cut because what it records is redone, such as a webhook delivery's
 * claim and attempt record (at least once: a lost record means the event is sent again). A
 * group made only of such writes commits with synchronous=NORMAL: no fsync of its own, yet in
 * WAL order, so the next durable commit (or checkpoint) makes it durable too, and a crash of
 * the process alone loses nothing (the WAL is in the OS's cache). Any durable write in the
 * group makes the whole group's commit wait for the disk as before.
 */
export class GroupCommit {
  #queue: QueuedWrite[] = [];
  #scheduled = false;
  /** Groups committed without an fsync of their own (tests, benchmarks). */
  lazyCommits = 0;
  readonly #flushAll: Transaction<(items: QueuedWrite[]) => void>;

  constructor(private readonly db: DatabaseType) {
    const savepoint = db.transaction((run: () => unknown) => run());
    this.#flushAll = db.transaction((items: QueuedWrite[]) => {
      for (const item of items) {
        try {
          item.value = savepoint(item.run);
          item.ok = true;
        } catch (error) {
          item.error = error;
        }
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction; then nothing
        // of this group is written, and the rest must not run outside a transaction.
        if (!db.inTransaction) throw item.error ?? new Error('group transaction aborted');
      }
    });
  }

  /**
   * Runs `work` (synchronous SQL) in the next group transaction; resolves once it is committed
   * (durable on disk, unless `durable: false` and no durable write shared the commit).
   */
  run<T>(work: () => T, options: { durable: boolean } = { durable: true }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: work, durable: options.durable, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also used before closing the database). */
  flush(): void {
    this.#scheduled = false;
    const items = this.#queue;
    this.#queue = [];
    if (items.length === 0 || !this.db.open) {
      for (const item of items) item.reject(new Error('database closed'));
      return;
    }
    const lazy = !items.some((item) => item.durable);
    try {
      if (lazy) this.db.pragma('synchronous = NORMAL');
      this.#flushAll.immediate(items);
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    } finally {
      // Back at once: any other commit on this connection (a migration, a direct transaction)
      // keeps the durability the database is opened with.
      if (lazy && this.db.open) this.db.pragma('synchronous = FULL');
    }
    if (lazy) this.lazyCommits++;
    for (const item of items) {
      if (item.ok) item.resolve(item.value);
      else item.reject(item.error);
    }
  }
}

// Runs in a worker thread: its own connection, checkpointing when asked. Plain CommonJS so
// it needs no TypeScript loader.
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  } else if (message === 'close') {
    db.close();
    parentPort.close();
  }
});
`;

/**
 * WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold, stalling that request (and, with a synchronous driver, the
 * whole event loop) for milliseconds. Here a worker thread with its own connection runs
 * PASSIVE checkpoints on a timer instead; the main connection's automatic checkpoint stays
 * as a distant backstop in case the worker falls behind.
 */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #timer: NodeJS.Timeout;

  constructor(db: DatabaseType, intervalMs = 1000) {
    db.pragma('wal_autocheckpoint = 20000');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.#worker = new Worker(CHECKPOINTER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: db.name },
    });
    this.#worker.unref();
    this.#timer = setInterval(() => this.#worker.postMessage('checkpoint'), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    // Unref'd while running so it never holds the process open; ref'd now so its exit is awaited.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
  }
}
