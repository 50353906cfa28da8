/**
 * Test harness: a real Kassa server on port 0 with a fresh data directory, spoken to over
 * real HTTP with global fetch. Helpers name the steps a merchant and a widget take.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startKassa } from '../src/index.js';
import type { KassaOptions, KassaServer, PaymentProvider } from '../src/index.js';

export const SHOP = 'http://localhost:3000';
const LOTS = { points: 1_000_000, seconds: 1 };
export const UNLIMITED = { perKey: LOTS, authFailuresPerIp: LOTS, clientPerIp: LOTS, tokensPerIp: LOTS, tokensPerIntent: LOTS, pagesPerIp: LOTS, notificationsPerIp: LOTS };
export const FUTURE_YEAR = new Date().getUTCFullYear() + 3;

export const CARDS = {
  visa: '4242424242424242',
  unionpay: '6200000000000005',
  mastercardLimited: '5555555555554444',
  amex: '378282246310005',
  jcb: '3566002020360505',
  insufficientFunds: '4000000000009995',
  genericDecline: '4000000000000002',
  expired: '4000000000000069',
  incorrectCvc: '4000000000000127',
  threeDS: '4000000000003220',
  processingError: '4000000000000119',
} as const;

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  key?: string | null;
  idem?: string;
  form?: boolean;
  headers?: Record<string, string>;
  /** Raw body, sent as is (with the content type in headers). */
  raw?: string;
}

export interface Harness {
  kassa: KassaServer;
  url: string;
  dataDir: string;
  secretKey: string;
  v1(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<Reply>;
  client(method: string, path: string, secret: string | null, body?: unknown, options?: RequestOptions): Promise<Reply>;
  createIntent(params?: Record<string, unknown>, options?: RequestOptions): Promise<any>;
  /** Creates a customer (with `fields`, e.g. a name) and returns its id. */
  customer(fields?: Record<string, unknown>, options?: RequestOptions): Promise<string>;
  tokenize(secret: string, card?: Partial<{ number: string; exp_month: number; exp_year: number; cvc: string }>): Promise<Reply>;
  /** Create an intent, tokenize the card, confirm from the widget. */
  pay(number: string, params?: Record<string, unknown>, confirmExtra?: Record<string, unknown>): Promise<{ intent: any; confirm: Reply }>;
  /** Opens the Kassa database read-only, as an auditor would. */
  db(): Database.Database;
  close(): Promise<void>;
}

export function formEncode(body: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (typeof v === 'object' && v !== null) parts.push(formEncode(v as Record<string, unknown>, key));
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  }
  return parts.filter(Boolean).join('&');
}

export async function request(url: string, method: string, body: unknown, auth: string | null, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (options.idem) headers['idempotency-key'] = options.idem;
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (body !== undefined) {
    if (options.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      payload = formEncode(body as Record<string, unknown>);
    } else {
      headers['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
  }
  const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function boot(options: Partial<KassaOptions> = {}, dataDir?: string): Promise<Harness> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'kassa-test-'));
  const kassa = await startKassa({
    dataDir: dir,
    port: 0,
    logLevel: 'silent',
    allowedOrigins: [SHOP],
    widgetDistDir: join(dir, 'no-widget-here'),
    // Tests send bursts from one address; the limits have tests of their own (rate-limits.test.ts).
    rateLimits: UNLIMITED,
    ...options,
  });
  const keys = JSON.parse(readFileSync(kassa.keysFile, 'utf8')) as { secret_key: string };
  const secretKey = keys.secret_key;
  const url = kassa.url;
  const opened: Database.Database[] = [];

  const h: Harness = {
    kassa,
    url,
    dataDir: dir,
    secretKey,
    v1: (method, path, body, o = {}) => request(`${url}/v1${path}`, method, body, o.key === undefined ? secretKey : o.key, o),
    client: (method, path, secret, body, o = {}) => request(`${url}/client${path}`, method, body, secret, o),
    async createIntent(params = {}, o = {}) {
      const r = await h.v1('POST', '/payment_intents', { amount: 12800, currency: 'cny', ...params }, o);
      if (r.status !== 200) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async customer(fields = {}, o = {}) {
      const r = await h.v1('POST', '/customers', fields, o);
      if (r.status !== 200) throw new Error(`customer create failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    tokenize: (secret, card = {}) =>
      h.client('POST', '/tokens', secret, {
        card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: card.number?.startsWith('37') ? '1234' : '123', ...card },
      }),
    async pay(number, params = {}, confirmExtra = {}) {
      const intent = await h.createIntent(params);
      const token = await h.tokenize(intent.client_secret, { number });
      if (token.status !== 200) throw new Error(`tokenize failed: ${token.status} ${JSON.stringify(token.body)}`);
      const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, {
        payment_method: token.body.id,
        ...confirmExtra,
      });
      return { intent, confirm };
    },
    db() {
      const db = new Database(join(dir, 'kassa.sqlite'), { readonly: true, fileMustExist: true });
      opened.push(db);
      return db;
    },
    async close() {
      for (const db of opened) if (db.open) db.close();
      await kassa.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Sum of ledger entries per (transaction, currency): every one must be zero. */
export function unbalancedTransactions(db: Database.Database): unknown[] {
  return db.prepare('SELECT txn_id, currency, SUM(amount) AS total FROM ledger_entries GROUP BY txn_id, currency HAVING total <> 0').all();
}

/** Balance of a ledger account for one intent (positive = debit). */
export function accountBalance(db: Database.Database, intentId: string, account: string): number {
  const row = db
    .prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_entries WHERE payment_intent_id = ? AND account = ?')
    .get(intentId, account) as { total: number };
  return row.total;
}

export function outboxTypes(db: Database.Database, intentId: string): string[] {
  return (db.prepare('SELECT type FROM outbox WHERE payment_intent_id = ? ORDER BY seq').all(intentId) as { type: string }[]).map((r) => r.type);
}

/** Parameters to frame a 3-D Secure challenge as the widget does. */
export function challengeUrl(nextActionUrl: string, origin = SHOP, channel = 'chan_12345678'): string {
  const u = new URL(nextActionUrl);
  u.searchParams.set('channel', channel);
  u.searchParams.set('origin', origin);
  return u.href;
}

/**
 * The provider with some operations replaced, the rest passed through (a class instance's
 * methods do not survive a spread, so each is delegated by name).
 */
export function overriding(inner: PaymentProvider, replaced: Partial<Omit<PaymentProvider, 'name'>>): PaymentProvider {
  return {
    name: inner.name,
    capabilities: replaced.capabilities ?? inner.capabilities,
    authorize: replaced.authorize ?? ((r) => inner.authorize(r)),
    completeAction: replaced.completeAction ?? ((r) => inner.completeAction(r)),
    capture: replaced.capture ?? ((r) => inner.capture(r)),
    cancel: replaced.cancel ?? ((r) => inner.cancel(r)),
    refund: replaced.refund ?? ((r) => inner.refund(r)),
    lookup: replaced.lookup ?? ((r) => inner.lookup(r)),
  };
}

/**
 * A provider that does its work, then "times out" before the answer arrives, for the
 * operations in the set (tests may add and remove them while the server runs); with 'lookup'
 * in the set it cannot be asked either. The provider deduplicates on the derived key, so the
 * second call only reads the outcome back.
 */
export function timingOutAfterActing(operations: Set<string>) {
  return (inner: PaymentProvider): PaymentProvider =>
    overriding(inner, {
      lookup: async (r) => {
        if (operations.has('lookup')) throw new Error('ECONNRESET');
        return inner.lookup(r);
      },
      authorize: async (r) => {
        await inner.authorize(r);
        if (operations.has('authorize')) throw new Error('socket hang up');
        return inner.authorize(r);
      },
      capture: async (r) => {
        await inner.capture(r);
        if (operations.has('capture')) throw new Error('ETIMEDOUT');
        return inner.capture(r);
      },
      refund: async (r) => {
        await inner.refund(r);
        if (operations.has('refund')) throw new Error('ETIMEDOUT');
        return inner.refund(r);
      },
      cancel: async (r) => {
        await inner.cancel(r);
        if (operations.has('cancel')) throw new Error('ETIMEDOUT');
        return inner.cancel(r);
      },
    });
}

/** A Stripe-shaped error answer: its status, code, a message, and the param when one is named. */
export function assertError(r: Reply, status: number, code: string, param?: string, label = '') {
  assert.equal(r.status, status, `${label}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.error?.type, 'string', label);
  assert.equal(r.body.error.code, code, label);
  assert.equal(typeof r.body.error.message, 'string', label);
  if (param !== undefined) assert.equal(r.body.error.param, param, label);
}

/** Rows per table of the Kassa database: a refused request must leave every count as it was. */
export function tableCounts(h: Harness): Record<string, number> {
  const db = h.db();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = (db.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n;
  db.close();
  return counts;
}

/** Collects what a logger writes, to search it for secrets. */
export class LogCapture extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.chunks.push(chunk.toString());
    done();
  }
  get text() {
    return this.chunks.join('');
  }
}

