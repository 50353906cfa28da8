/**
 * kill -9 under load. Workers pay concurrently, the way merchants' backends and widgets do —
 * a saved card charged server-side with confirm=true (sent twice at once, as a double click
 * would), a new card tokenized and confirmed from the widget, an authorization captured in
 * part, one voided — while the server process is killed with SIGKILL at random moments and
 * restarted on the same database. Every request that got no answer is retried with the same
 * Idempotency-Key until it gets one, as the Stripe SDKs do. Afterwards, read from both
 * databases as an auditor would:
 *
 *   - `PRAGMA integrity_check` is ok for Kassa's and the issuer's database;
 *   - every request was answered 200 and its payment is present and settled as answered;
 *   - no key made two intents, and no payment was authorized twice at the issuer;
 *   - the issuer's debits and holds equal Kassa's ledger;
 *   - no intent is stuck (pending, processing or unknown).
 *
 * KASSA_KILL_CYCLES sets the number of kills (30 by default, as CI runs it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CARDS, FUTURE_YEAR, request } from './helpers.js';
import type { Reply } from './helpers.js';
import { ChildKassa, freePort, openReadOnly, secretKeyOf } from './crash.js';

const CYCLES = Number(process.env.KASSA_KILL_CYCLES ?? '30');
const WORKERS = 6;
const CUSTOMERS = 4;
/** Every card used here starts with 1,000,000.00 per currency at the sandbox issuer. */
const OPENING_BALANCE = 100_000_000;

type JobKind = 'saved_card' | 'widget' | 'capture' | 'void' | 'refund';
interface Done {
  kind: JobKind;
  order: string;
  intentId: string;
  amount: number;
  /** The status the last answer gave, and (for captures) what it said was received. */
  status: string;
  received: number;
}

describe(`kill -9 loop: ${CYCLES} SIGKILLs under concurrent load, every unanswered request retried with its key`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-kill-'));
  let port = 0;
  let base = '';
  let server: ChildKassa;
  let sk = '';
  /** [customer, saved payment method] of each returning shopper. */
  const savedCards: Array<[string, string]> = [];
  const stats = { sent: 0, answered: 0, refused: 0, lost: 0, conflicts: 0, kills: 0 };
  const unexpected: string[] = [];
  const done: Done[] = [];

  const v1 = (method: string, path: string, body?: unknown, idem?: string) => request(`${base}/v1${path}`, method, body, sk, idem ? { idem } : {});
  const client = (method: string, path: string, secret: string, body?: unknown, idem?: string) =>
    request(`${base}/client${path}`, method, body, secret, idem ? { idem } : {});

  /** Sends until answered: lost answers (the server died) and 409 / 502 / 503 are retried as the SDKs do. */
  async function untilAnswered(label: string, send: () => Promise<Reply>): Promise<Reply> {
    for (let tries = 0; tries < 5000; tries++) {
      let reply: Reply;
      try {
        reply = await send();
      } catch (error) {
        // Refused: the server is down and the request never reached it. Anything else (a reset,
        // a socket closed mid-answer) may have run: that is a lost answer.
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code === 'ECONNREFUSED') stats.refused++;
        else {
          stats.sent++;
          stats.lost++;
        }
        await sleep(25);
        continue;
      }
      stats.sent++;
      stats.answered++;
      if (reply.status === 409 || reply.status === 502 || reply.status === 503) {
        stats.conflicts++;
        await sleep(20);
        continue;
      }
      if (reply.status !== 200) unexpected.push(`${label}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply;
    }
    throw new Error(`${label}: never answered`);
  }

  let jobs = 0;
  async function runJob(worker: number): Promise<void> {
    const n = ++jobs;
    const kind = (['saved_card', 'widget', 'capture', 'void', 'refund'] as const)[n % 5] ?? 'saved_card';
    const order = `job-${n}`;
    const amount = 100 + n;
    const [customer, pm] = savedCards[worker % CUSTOMERS] ?? ['', ''];
    switch (kind) {
      case 'saved_card': {
        const body = { amount, currency: 'cny', customer, payment_method: pm, confirm: true, metadata: { order } };
        // Sent twice at once with one key (a double click, an eager retry): one charge.
        const [a, b] = await Promise.all([0, 1].map(() => untilAnswered(`${order} create`, () => v1('POST', '/payment_intents', body, order))));
        if (a?.body.id !== b?.body.id) unexpected.push(`${order}: one key answered two intents`);
        done.push({ kind, order, intentId: a?.body.id, amount, status: a?.body.status, received: a?.body.amount_received });
        return;
      }
      case 'widget': {
        const created = await untilAnswered(`${order} create`, () => v1('POST', '/payment_intents', { amount, currency: 'cny', metadata: { order } }, order));
        const secret = created.body.client_secret as string;
        const token = await untilAnswered(`${order} token`, () =>
          client('POST', '/tokens', secret, { card: { number: CARDS.unionpay, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } }),
        );
        const paid = await untilAnswered(`${order} confirm`, () =>
          client('POST', `/payment_intents/${created.body.id}/confirm`, secret, { payment_method: token.body.id }, `${order}-pay`),
        );
        done.push({ kind, order, intentId: created.body.id, amount, status: paid.body.status, received: paid.body.amount_received ?? amount });
        return;
      }
      case 'refund': {
        const body = { amount, currency: 'cny', customer, payment_method: pm, confirm: true, metadata: { order } };
        const charged = await untilAnswered(`${order} charge`, () => v1('POST', '/payment_intents', body, order));
        const refunded = await untilAnswered(`${order} refund`, () =>
          v1('POST', '/refunds', { payment_intent: charged.body.id, amount: 40 }, `${order}-refund`),
        );
        if (refunded.body.status !== 'succeeded') unexpected.push(`${order}: refund ${JSON.stringify(refunded.body)}`);
        done.push({ kind, order, intentId: charged.body.id, amount, status: charged.body.status, received: charged.body.amount_received });
        return;
      }
      case 'capture':
      case 'void': {
        const body = { amount, currency: 'cny', customer, payment_method: pm, confirm: true, capture_method: 'manual', metadata: { order } };
        const held = await untilAnswered(`${order} authorize`, () => v1('POST', '/payment_intents', body, order));
        const id = held.body.id as string;
        const settled =
          kind === 'capture'
            ? await untilAnswered(`${order} capture`, () => v1('POST', `/payment_intents/${id}/capture`, { amount_to_capture: amount - 50 }, `${order}-capture`))
            : await untilAnswered(`${order} cancel`, () => v1('POST', `/payment_intents/${id}/cancel`, {}, `${order}-cancel`));
        done.push({ kind, order, intentId: id, amount, status: settled.body.status, received: settled.body.amount_received });
        return;
      }
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown job ${String(unreachable)}`);
      }
    }
  }

  before(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await ChildKassa.start(dir, port);
    sk = secretKeyOf(dir);
    for (let c = 0; c < CUSTOMERS; c++) {
      const customer = (await v1('POST', '/customers', { name: `Shopper ${c}` })).body.id as string;
      const intent = (await v1('POST', '/payment_intents', { amount: 100, currency: 'cny', customer, setup_future_usage: 'off_session' })).body;
      const token = await client('POST', '/tokens', intent.client_secret, {
        card: { number: [CARDS.visa, CARDS.amex, CARDS.jcb, CARDS.unionpay][c], exp_month: 12, exp_year: FUTURE_YEAR, cvc: c === 1 ? '1234' : '123' },
      });
      const paid = await client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(paid.body.status, 'succeeded');
      savedCards.push([customer, (await v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id]);
    }
  });

  after(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kills the server under load and restarts it; every job finishes', async () => {
    let stopping = false;
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      while (!stopping) await runJob(w);
    });
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(100 + Math.floor(Math.random() * 600));
      await server.kill();
      stats.kills++;
      server = await ChildKassa.start(dir, port);
    }
    stopping = true;
    await Promise.all(workers);
    assert.deepEqual(unexpected, [], 'every request was answered 200 in the end');
    assert.ok(done.length >= CYCLES, `enough work ran between kills (${done.length} jobs)`);
  });

  it('afterwards: databases intact, every payment settled as answered, one intent and one authorization per key, issuer = ledger, nothing stuck', (t) => {
    const kassa = openReadOnly(dir, 'kassa.sqlite');
    const sandbox = openReadOnly(dir, 'sandbox.sqlite');
    try {
      assert.equal(kassa.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(sandbox.pragma('integrity_check', { simple: true }), 'ok');

      const intentRow = kassa.prepare('SELECT status, amount_received, pending_operation FROM payment_intents WHERE id = ?');
      const byOrder = kassa.prepare("SELECT COUNT(*) AS n FROM payment_intents WHERE json_extract(metadata, '$.order') = ?");
      const holds = sandbox.prepare("SELECT COUNT(*) AS n FROM holds WHERE reference = ? AND status <> 'released'");
      const expected: Record<JobKind, string> = { saved_card: 'succeeded', widget: 'succeeded', capture: 'succeeded', void: 'canceled', refund: 'succeeded' };
      const refundsOf = kassa.prepare("SELECT COALESCE(SUM(amount), 0) AS total, COUNT(*) AS n FROM refunds WHERE payment_intent_id = ? AND status = 'succeeded'");
      let doubleCharges = 0;
      for (const job of done) {
        const row = intentRow.get(job.intentId) as { status: string; amount_received: number; pending_operation: string | null } | undefined;
        assert.ok(row, `${job.order}: the answered payment exists`);
        assert.equal(job.status, expected[job.kind], `${job.order}: answered ${job.status}`);
        assert.equal(row.status, job.status, `${job.order}: stored as answered`);
        assert.equal(row.pending_operation, null, `${job.order}: settled`);
        if (job.kind === 'capture') assert.equal(row.amount_received, job.amount - 50, `${job.order}: captured what was asked`);
        if (job.kind === 'refund') assert.deepEqual(refundsOf.get(job.intentId), { total: 40, n: 1 }, `${job.order}: refunded once`);
        assert.equal((byOrder.get(job.order) as { n: number }).n, 1, `${job.order}: one intent for one key`);
        if ((holds.get(job.intentId) as { n: number }).n > 1) doubleCharges++;
      }
      assert.equal(doubleCharges, 0, 'no payment authorized twice at the issuer');

      const debits = sandbox.prepare('SELECT COALESCE(SUM(? - balance), 0) AS total FROM accounts').get(OPENING_BALANCE) as { total: number };
      const held = sandbox.prepare("SELECT COALESCE(SUM(amount), 0) AS total FROM holds WHERE status = 'held'").get() as { total: number };
      const ledger = (account: string) =>
        (kassa.prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_entries WHERE account = ?').get(account) as { total: number }).total;
      assert.equal(ledger('acquirer_receivable'), debits.total, "the issuer's debits equal Kassa's ledger");
      assert.equal(ledger('acquirer_holds'), held.total, "the issuer's open holds equal Kassa's ledger");
      const unbalanced = kassa.prepare('SELECT txn_id FROM ledger_entries GROUP BY txn_id, currency HAVING SUM(amount) <> 0').all();
      assert.deepEqual(unbalanced, []);

      const stuck = kassa
        .prepare("SELECT id, status FROM payment_intents WHERE pending_operation IS NOT NULL OR status IN ('processing', 'unknown')")
        .all();
      assert.deepEqual(stuck, [], 'no intent stuck');
      const open = kassa.prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE status IN ('pending', 'unknown')").get() as { n: number };
      assert.equal(open.n, 0, 'no attempt left open');

      t.diagnostic(
        `kill loop: ${stats.kills} kills, ${done.length} payments, ${stats.sent} requests reached the server, ${stats.answered} answered, ` +
          `${stats.lost} answers lost to a kill (retried with the key), ${stats.conflicts} 409/502 retried, ` +
          `${stats.refused} refused while restarting, ${doubleCharges} double charges`,
      );
    } finally {
      kassa.close();
      sandbox.close();
    }
  });
});
