/**
 * Crash-test support: a Kassa server in a child process (crash-child.ts) that can be armed to
 * die at a fault point or killed at any moment, restarted on the same data directory and
 * port (so client secrets, whose issuer is the URL, stay valid), and read the way an auditor
 * would: Kassa's database and the sandbox issuer's own database, opened read-only.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FaultPoint } from '../src/index.js';
import type { FromChild, ToChild } from './crash-child.js';

const CHILD = new URL('./crash-child.ts', import.meta.url).pathname;

/** A port free right now, to pin every restart of a server to the same URL. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export class ChildKassa {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #alive = true;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly instanceId: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#alive = false;
        resolve({ code, signal });
      });
    });
  }

  /** `recoverOnStart: false` leaves interrupted calls to the retry alone (as another instance would find them). */
  static async start(
    dataDir: string,
    port: number,
    options: { recoverOnStart?: boolean; leaseMs?: number; authorizeDelayMs?: number; providerSpecs?: unknown; publicUrl?: string; providerTimeoutMs?: number } = {},
  ): Promise<ChildKassa> {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        KASSA_TEST_DATA_DIR: dataDir,
        KASSA_TEST_PORT: String(port),
        KASSA_TEST_RECOVER_ON_START: options.recoverOnStart === false ? '0' : '1',
        ...(options.leaseMs !== undefined ? { KASSA_TEST_LEASE_MS: String(options.leaseMs) } : {}),
        ...(options.authorizeDelayMs !== undefined ? { KASSA_TEST_AUTHORIZE_DELAY_MS: String(options.authorizeDelayMs) } : {}),
        ...(options.providerSpecs !== undefined ? { KASSA_TEST_PROVIDER_SPECS: JSON.stringify(options.providerSpecs) } : {}),
        ...(options.publicUrl !== undefined ? { KASSA_TEST_PUBLIC_URL: options.publicUrl } : {}),
        ...(options.providerTimeoutMs !== undefined ? { KASSA_TEST_PROVIDER_TIMEOUT_MS: String(options.providerTimeoutMs) } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<FromChild & { type: 'ready' }>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`crash child exited before ready (${code ?? signal})`));
      child.once('exit', onExit);
      child.on('message', (m: FromChild) => {
        if (m.type !== 'ready') return;
        child.off('exit', onExit);
        resolve(m);
      });
    });
    return new ChildKassa(child, ready.url, ready.instanceId);
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The next time the server reaches `point` (after `skip` passes), it dies there. */
  async arm(point: FaultPoint | null, skip = 0): Promise<void> {
    const acked = new Promise<void>((resolve) => {
      const onMessage = (m: FromChild) => {
        if (m.type !== 'armed') return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
    });
    const message: ToChild = point === null ? { type: 'disarm' } : { type: 'arm', point, skip };
    this.child.send(message);
    await acked;
  }

  /**
   * Arms `point` (null: already armed, e.g. before a shopper's action that leads to it), makes the
   * request that reaches it, and waits (15 s at most) for the server to die there by SIGKILL.
   * Says whether the request was answered first or cut off; the caller starts the server again.
   */
  async dieWhile(point: FaultPoint | null, send: () => Promise<unknown>, o: { skip?: number; label?: string } = {}): Promise<'answered' | 'cut off'> {
    if (point !== null) await this.arm(point, o.skip ?? 0);
    const answered = await send().then(
      () => 'answered' as const,
      () => 'cut off' as const,
    );
    const exit = await Promise.race([this.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
    assert.equal(exit?.signal, 'SIGKILL', `${o.label ?? String(point)}: the server died at the point (the request was ${answered})`);
    return answered;
  }

  /** kill -9, and wait until the process is gone (reaped, so its pid no longer exists). */
  async kill(): Promise<void> {
    if (this.#alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Opens a database of the data directory read-only, as an auditor would. */
export function openReadOnly(dataDir: string, file: 'kassa.sqlite' | 'sandbox.sqlite'): Database.Database {
  return new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
}

export function secretKeyOf(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, 'test-keys.json'), 'utf8')) as { secret_key: string }).secret_key;
}

export interface IssuerHold {
  status: string;
  amount: number;
  captured: number;
  refunded: number;
}

/** What the issuer holds, charged and gave back for one payment, from its own tables. */
export function issuerView(sandbox: Database.Database, reference: string): IssuerHold[] {
  return sandbox
    .prepare(
      `SELECT status, amount, captured, (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE hold_id = holds.id) AS refunded
       FROM holds WHERE reference = ? ORDER BY created, id`,
    )
    .all(reference) as IssuerHold[];
}

/** Kassa's ledger for one payment, per account. */
export function ledgerView(kassa: Database.Database, intentId: string): Record<string, number> {
  const rows = kassa
    .prepare('SELECT account, SUM(amount) AS total FROM ledger_entries WHERE payment_intent_id = ? GROUP BY account')
    .all(intentId) as Array<{ account: string; total: number }>;
  return Object.fromEntries(rows.filter((r) => r.total !== 0).map((r) => [r.account, r.total]));
}

/** The ledger the issuer's view implies: what Kassa must have recorded for this payment. */
export function expectedLedger(holds: IssuerHold[]): Record<string, number> {
  let held = 0;
  let captured = 0;
  for (const h of holds) {
    if (h.status === 'held') held += h.amount;
    if (h.status === 'captured') captured += h.captured - h.refunded;
  }
  const out: Record<string, number> = {};
  if (held) Object.assign(out, { acquirer_holds: held, merchant_holds: -held });
  if (captured) Object.assign(out, { acquirer_receivable: captured, merchant_payable: -captured });
  return out;
}
