/**
 * The sandbox provider: a simulated issuer with state. It keeps per-card balances (keyed by
 * a fingerprint, never the number), places holds on authorization, debits on capture,
 * releases on void, and runs 3-D Secure challenges. Every call is deduplicated by its
 * idempotency key, as a real provider's API is.
 */
import { createHmac } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { currencyExponent } from '@kassa/core';
import type { Currency, DeclineCode } from '@kassa/core';
import type {
  CompleteActionRequest,
  LookupRequest,
  CaptureRequest,
  PaymentCallRequest,
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  RefundOutcome,
  Clock,
  PaymentProvider,
  ProviderCapabilities,
  ProviderOutcome,
} from '../../domain/ports.js';
import { cardOf } from '../../domain/ports.js';
import { newId } from '../../domain/ids.js';
import { Checkpointer, GroupCommit, openSqlite } from '../../store/sqlite/open.js';
import { behaviorFor } from './cards.js';
import { SANDBOX_MIGRATIONS } from './migrations.js';

export interface ChallengeRecord {
  id: string;
  currency: Currency;
  amount: number;
  status: 'pending' | 'passed' | 'failed' | 'completed' | 'canceled';
  reference: string;
}

interface HoldRow {
  id: string;
  fingerprint: string;
  currency: string;
  amount: number;
  status: 'held' | 'captured' | 'released';
  captured: number;
}

interface ChallengeRow {
  id: string;
  fingerprint: string;
  currency: string;
  amount: number;
  capture: number;
  balance_major: number;
  status: ChallengeRecord['status'];
  reference: string;
}

export interface SandboxOptions {
  /** The name intents record (default `sandbox`). */
  name?: string | undefined;
  /** File of the issuer's own database. */
  path: string;
  /** Key for card fingerprints (derived from the server secret). */
  fingerprintKey: Buffer;
  /** The server's public URL, for the challenge page address (known only once listening). */
  publicUrl: () => string;
  clock: Clock;
  /** How long the shopper of an in-app approval card takes to approve (default 5 s; what QA sees the waiting page for). */
  approvalDelayMs?: number | undefined;
}

const DEFAULT_APPROVAL_DELAY_MS = 5_000;
/** How long an in-app approval may take before the bank gives up on it. */
const APPROVAL_EXPIRY_MS = 10 * 60_000;
/** Challenge ids of in-app approvals (the other rows are 3-D Secure challenges and pending answers). */
const APPROVAL_PREFIX = 'apv';

export class SandboxProvider implements PaymentProvider {
  /** `sandbox`, unless configured under another name (two of one type in a mode, or test and live apart). */
  readonly name: string;
  readonly type = 'sandbox';
  readonly capabilities: ProviderCapabilities = {
    manualCapture: true,
    partialCapture: true,
    multipleCapture: true,
    cancel: true,
    refund: true,
    savedMethods: true,
    nextActions: ['three_d_secure', 'await_notification'],
    lookup: true,
    paymentMethods: ['card'],
    notifications: false,
  };

  readonly #db: Database;
  readonly #s: ReturnType<typeof prepare>;
  readonly #options: SandboxOptions;
  readonly #writes: GroupCommit;
  readonly #checkpointer: Checkpointer;

  constructor(options: SandboxOptions) {
    this.name = options.name ?? 'sandbox';
    this.#options = options;
    this.#db = openSqlite(options.path, SANDBOX_MIGRATIONS);
    this.#s = prepare(this.#db);
    this.#writes = new GroupCommit(this.#db);
    this.#checkpointer = new Checkpointer(this.#db);
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const card = cardOf(request);
    return this.#once(request.idempotencyKey, 'authorize', (): AuthorizeOutcome => {
      const digits = card.number.reveal();
      const fingerprint = this.#fingerprint(digits);
      const behavior = behaviorFor(digits);
      if (isExpired(card.expMonth, card.expYear, this.#options.clock.now())) return declined('expired_card');
      switch (behavior.kind) {
        case 'processing_error':
          return declined('processing_error');
        case 'decline':
          return declined(behavior.declineCode);
        case 'three_d_secure': {
          // Nobody to authenticate: the bank declines what it would have challenged.
          if (request.offSession) return declined('authentication_required');
          const { id } = this.#openChallenge('tds', fingerprint, request, behavior.balanceMajor);
          return {
            status: 'requires_action',
            reference: id,
            action: { type: 'three_d_secure', url: this.challengeUrl(id), redirectUrl: `${this.challengeUrl(id)}/redirect` },
          };
        }
        case 'pending':
        case 'approve_in_app': {
          // Both wait in a challenge row: decided already (the issuer answers when asked), or
          // pending until the shopper approves in their app.
          const pending = behavior.kind === 'pending';
          if (!pending && request.offSession) return declined('authentication_required');
          const { id, created } = this.#openChallenge(pending ? 'pnd' : APPROVAL_PREFIX, fingerprint, request, behavior.balanceMajor);
          if (pending) {
            this.#s.setChallengeStatus.run('passed', id, 'pending');
            return { status: 'pending', reference: id };
          }
          return { status: 'requires_action', reference: id, action: { type: 'await_notification', expiresAt: created + APPROVAL_EXPIRY_MS } };
        }
        case 'approve':
          return this.#hold(fingerprint, request.currency, request.amount, request.capture, behavior.balanceMajor, request.reference);
        default: {
          const unreachable: never = behavior;
          throw new Error(`unknown card behaviour ${JSON.stringify(unreachable)}`);
        }
      }
    });
  }

  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    const challenge = this.#s.getChallenge.get(request.reference) as ChallengeRow | undefined;
    if (!challenge) throw new Error(`unknown challenge ${request.reference}`);
    if (challenge.status === 'pending' && challenge.id.startsWith(`${APPROVAL_PREFIX}_`)) {
      // The shopper's app: approved once the delay has passed, refused once the approval expired.
      const created = (this.#s.getChallengeCreated.get(challenge.id) as { created: number }).created;
      const now = this.#options.clock.now();
      const expired = now >= created + APPROVAL_EXPIRY_MS;
      if (!expired && now < created + (this.#options.approvalDelayMs ?? DEFAULT_APPROVAL_DELAY_MS)) {
        return { status: 'requires_action', reference: challenge.id, action: { type: 'await_notification', expiresAt: created + APPROVAL_EXPIRY_MS } };
      }
      await this.#writes.run(() => this.#s.setChallengeStatus.run(expired ? 'failed' : 'passed', challenge.id, 'pending'));
    } else if (challenge.status === 'pending') {
      // Not decided yet: nothing to record, the same call may be made again later.
      return {
        status: 'requires_action',
        reference: challenge.id,
        action: { type: 'three_d_secure', url: this.challengeUrl(challenge.id), redirectUrl: `${this.challengeUrl(challenge.id)}/redirect` },
      };
    }
    return this.#once(request.idempotencyKey, 'complete_action', (): AuthorizeOutcome => {
      const current = this.#s.getChallenge.get(request.reference) as ChallengeRow;
      if (current.status !== 'passed') return declined('authentication_failure');
      this.#s.setChallengeStatus.run('completed', current.id, 'passed');
      return this.#hold(current.fingerprint, current.currency as Currency, current.amount, current.capture === 1, current.balance_major, current.reference);
    });
  }

  async capture(request: CaptureRequest): Promise<CaptureOutcome> {
    return this.#once(request.idempotencyKey, 'capture', (): CaptureOutcome => {
      const hold = this.#s.getHold.get(request.reference) as HoldRow | undefined;
      if (!hold || hold.status !== 'held' || request.amount > hold.amount - hold.captured || request.amount <= 0) {
        return { status: 'failed', declineCode: 'processing_error', message: 'No open authorization for this amount.' };
      }
      // Debit what is captured. The last capture closes the hold, releasing the rest; another
      // keeps it open with what is left still reserved.
      this.#s.debit.run(request.amount, hold.fingerprint, hold.currency);
      const captured = hold.captured + request.amount;
      this.#s.closeHold.run(request.final || captured === hold.amount ? 'captured' : 'held', captured, hold.id);
      return { status: 'captured', amount: request.amount };
    });
  }

  async cancel(request: PaymentCallRequest): Promise<CancelOutcome> {
    return this.#once(request.idempotencyKey, 'cancel', (): CancelOutcome => {
      const hold = this.#s.getHold.get(request.reference) as HoldRow | undefined;
      if (hold) {
        if (hold.status === 'captured') return { status: 'failed', declineCode: 'processing_error', message: 'Already captured.' };
        // A hold partly captured already keeps what it took: closed as captured, the rest released.
        if (hold.status === 'held') this.#s.closeHold.run(hold.captured > 0 ? 'captured' : 'released', hold.captured, hold.id);
        return { status: 'canceled' };
      }
      const challenge = this.#s.getChallenge.get(request.reference) as ChallengeRow | undefined;
      if (challenge) {
        if (challenge.status === 'completed') return { status: 'failed', declineCode: 'processing_error', message: 'Already authorized.' };
        this.#s.cancelChallenge.run(challenge.id);
        return { status: 'canceled' };
      }
      return { status: 'failed', declineCode: 'processing_error', message: 'Unknown authorization.' };
    });
  }

  async refund(request: PaymentCallRequest): Promise<RefundOutcome> {
    return this.#once(request.idempotencyKey, 'refund', (): RefundOutcome => {
      const hold = this.#s.getHold.get(request.reference) as HoldRow | undefined;
      if (!hold || hold.status !== 'captured') {
        return { status: 'failed', declineCode: 'processing_error', message: 'Nothing captured to refund.' };
      }
      const { refunded } = this.#s.sumRefunded.get(hold.id) as { refunded: number };
      if (request.amount <= 0 || refunded + request.amount > hold.captured) {
        return { status: 'failed', declineCode: 'processing_error', message: 'The refund exceeds what is left of the charge.' };
      }
      this.#s.credit.run(request.amount, hold.fingerprint, hold.currency);
      this.#s.insertRefund.run(newId('rf'), hold.id, request.amount, this.#options.clock.now());
      return { status: 'succeeded', amount: request.amount };
    });
  }

  /** The issuer keeps every operation by its key, so it can always say (and it never needs the reference). */
  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    const row = this.#s.getOperation.get(request.idempotencyKey) as { operation: string; result: string } | undefined;
    if (!row) return null;
    return { operation: row.operation, outcome: JSON.parse(row.result) } as ProviderOutcome;
  }

  // ---- the challenge, as the shopper sees it ----

  /** Where the shopper's browser loads the challenge page (the server's public URL). */
  challengeUrl(id: string): string {
    return `${this.#options.publicUrl()}/sandbox/3ds/${id}`;
  }

  challenge(id: string): ChallengeRecord | null {
    const row = this.#s.getChallenge.get(id) as ChallengeRow | undefined;
    if (!row) return null;
    return { id: row.id, currency: row.currency as Currency, amount: row.amount, status: row.status, reference: row.reference };
  }

  /** Records the shopper's choice; only a pending challenge can be decided, and only once. */
  async decideChallenge(id: string, passed: boolean): Promise<ChallengeRecord | null> {
    await this.#writes.run(() => this.#s.setChallengeStatus.run(passed ? 'passed' : 'failed', id, 'pending'));
    return this.challenge(id);
  }

  /** A card's account as the issuer sees it (tests and the demo's QA page). */
  account(cardNumber: string, currency: Currency): { balance: number; held: number } | null {
    const fingerprint = this.#fingerprint(cardNumber);
    const row = this.#s.getAccount.get(fingerprint, currency) as { balance: number } | undefined;
    if (!row) return null;
    return { balance: row.balance, held: this.#held(fingerprint, currency) };
  }

  async close(): Promise<void> {
    this.#writes.flush();
    await this.#checkpointer.stop();
    if (this.#db.open) this.#db.close();
  }

  // ---- internals ----

  #fingerprint(digits: string): string {
    return createHmac('sha256', this.#options.fingerprintKey).update(digits).digest('base64url');
  }

  /** A payment waiting at the issuer (a challenge, an approval, an answer to come), with what it will hold or charge. */
  #openChallenge(prefix: string, fingerprint: string, request: AuthorizeRequest, balanceMajor: number): { id: string; created: number } {
    const id = newId(prefix);
    const created = this.#options.clock.now();
    this.#s.insertChallenge.run({
      id,
      fingerprint,
      currency: request.currency,
      amount: request.amount,
      capture: request.capture ? 1 : 0,
      balance_major: balanceMajor,
      reference: request.reference,
      created,
    });
    return { id, created };
  }

  #held(fingerprint: string, currency: string): number {
    return (this.#s.sumHeld.get(fingerprint, currency) as { held: number }).held;
  }

  /** Places a hold, or charges at once; refuses when balance − holds cannot cover it. */
  #hold(fingerprint: string, currency: Currency, amount: number, capture: boolean, balanceMajor: number, reference: string): AuthorizeOutcome {
    this.#s.openAccount.run(fingerprint, currency, balanceMajor * 10 ** currencyExponent(currency));
    const { balance } = this.#s.getAccount.get(fingerprint, currency) as { balance: number };
    if (balance - this.#held(fingerprint, currency) < amount) return declined('insufficient_funds');
    const id = newId('auth');
    const now = this.#options.clock.now();
    if (capture) {
      this.#s.debit.run(amount, fingerprint, currency);
      this.#s.insertHold.run({ id, fingerprint, currency, amount, status: 'captured', captured: amount, reference, created: now });
      return { status: 'captured', reference: id, amount };
    }
    this.#s.insertHold.run({ id, fingerprint, currency, amount, status: 'held', captured: 0, reference, created: now });
    return { status: 'authorized', reference: id, amount };
  }

  /** Runs an operation once per idempotency key, atomically with the record of its answer. */
  #once<T>(key: string, operation: ProviderOutcome['operation'], run: () => T): Promise<T> {
    const tx = this.#db.transaction((): T => {
      const seen = this.#s.getOperation.get(key) as { operation: string; result: string } | undefined;
      if (seen) {
        if (seen.operation !== operation) throw new Error(`idempotency key reused for ${operation} after ${seen.operation}`);
        return JSON.parse(seen.result) as T;
      }
      const result = run();
      this.#s.insertOperation.run(key, operation, JSON.stringify(result), this.#options.clock.now());
      return result;
    });
    return this.#writes.run(() => tx());
  }
}

function declined(declineCode: DeclineCode): AuthorizeOutcome {
  return { status: 'declined', declineCode };
}

function isExpired(month: number, year: number, now: number): boolean {
  const d = new Date(now);
  return year < d.getUTCFullYear() || (year === d.getUTCFullYear() && month < d.getUTCMonth() + 1);
}

function prepare(db: Database) {
  const st = (sql: string): Statement => db.prepare(sql);
  return {
    getOperation: st('SELECT operation, result FROM operations WHERE idempotency_key = ?'),
    insertOperation: st('INSERT INTO operations (idempotency_key, operation, result, created) VALUES (?, ?, ?, ?)'),
    openAccount: st('INSERT INTO accounts (fingerprint, currency, balance) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    getAccount: st('SELECT balance FROM accounts WHERE fingerprint = ? AND currency = ?'),
    debit: st('UPDATE accounts SET balance = balance - ? WHERE fingerprint = ? AND currency = ?'),
    credit: st('UPDATE accounts SET balance = balance + ? WHERE fingerprint = ? AND currency = ?'),
    sumRefunded: st('SELECT COALESCE(SUM(amount), 0) AS refunded FROM refunds WHERE hold_id = ?'),
    insertRefund: st('INSERT INTO refunds (id, hold_id, amount, created) VALUES (?, ?, ?, ?)'),
    sumHeld: st("SELECT COALESCE(SUM(amount - captured), 0) AS held FROM holds WHERE fingerprint = ? AND currency = ? AND status = 'held'"),
    insertHold: st(`INSERT INTO holds (id, fingerprint, currency, amount, status, captured, reference, created)
      VALUES (@id, @fingerprint, @currency, @amount, @status, @captured, @reference, @created)`),
    getHold: st('SELECT * FROM holds WHERE id = ?'),
    closeHold: st("UPDATE holds SET status = ?, captured = ? WHERE id = ? AND status = 'held'"),
    insertChallenge: st(`INSERT INTO challenges (id, fingerprint, currency, amount, capture, balance_major, status, reference, created)
      VALUES (@id, @fingerprint, @currency, @amount, @capture, @balance_major, 'pending', @reference, @created)`),
    getChallenge: st('SELECT * FROM challenges WHERE id = ?'),
    getChallengeCreated: st('SELECT created FROM challenges WHERE id = ?'),
    setChallengeStatus: st('UPDATE challenges SET status = ? WHERE id = ? AND status = ?'),
    cancelChallenge: st("UPDATE challenges SET status = 'canceled' WHERE id = ? AND status IN ('pending', 'passed', 'failed')"),
  };
}
