/**
 * Lock ownership across server processes on one database. A lock belongs to a work token of
 * one running instance: a live instance's lock is never taken over, however old it is (its
 * lease is renewed); an instance that died is known dead — at once by a restart on the same
 * host (its process id is gone), or by any other instance once its lease ran out — and its
 * requests are resumed by their retries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CARDS, FUTURE_YEAR, boot, request } from './helpers.js';
import type { Reply } from './helpers.js';
import { ChildKassa, expectedLedger, freePort, issuerView, ledgerView, openReadOnly, secretKeyOf } from './crash.js';

/** A payment whose confirm is in flight on `server` (its provider is slow), with the request to retry it. */
async function confirmInFlight(dir: string, server: ChildKassa, idem: string) {
  const sk = secretKeyOf(dir);
  const created = await request(`${server.url}/v1/payment_intents`, 'POST', { amount: 4400, currency: 'cny' }, sk);
  const intent = created.body as { id: string; client_secret: string };
  const token = await request(`${server.url}/client/tokens`, 'POST', { card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } }, intent.client_secret);
  const body = { payment_method: token.body.id as string };
  const confirmAt = (url: string): Promise<Reply> => request(`${url}/v1/payment_intents/${intent.id}/confirm`, 'POST', body, sk, { idem });
  const first = confirmAt(server.url).catch((error: unknown) => error);
  // Wait until the first request committed to its provider call.
  for (;;) {
    const db = openReadOnly(dir, 'kassa.sqlite');
    try {
      const row = db.prepare('SELECT recovery_point FROM idempotency_keys WHERE key = ?').get(idem) as { recovery_point: string } | undefined;
      if (row?.recovery_point === 'attempt_started') break;
    } finally {
      db.close();
    }
    await sleep(20);
  }
  return { intent, confirmAt, first };
}

function assertChargedOnce(dir: string, intentId: string, amount: number): void {
  const kassa = openReadOnly(dir, 'kassa.sqlite');
  const sandbox = openReadOnly(dir, 'sandbox.sqlite');
  try {
    const holds = issuerView(sandbox, intentId);
    assert.deepEqual(holds, [{ status: 'captured', amount, captured: amount, refunded: 0 }]);
    assert.deepEqual(ledgerView(kassa, intentId), expectedLedger(holds));
  } finally {
    kassa.close();
    sandbox.close();
  }
}

describe('instances: who owns a lock', () => {
  it("a live instance's lock is never taken over, however old; once the instance dies and its lease runs out, another resumes the request — charged once", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-instances-'));
    const leaseMs = 1500;
    const a = await ChildKassa.start(dir, await freePort(), { leaseMs, authorizeDelayMs: 120_000 });
    let b: ChildKassa | undefined;
    try {
      const { intent, confirmAt } = await confirmInFlight(dir, a, 'two-instances');
      // A second process on the same database; A is alive and renews its lease.
      b = await ChildKassa.start(dir, await freePort(), { leaseMs });
      const early = await confirmAt(b.url);
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.equal(early.body.error.code, 'idempotency_key_in_use');
      await sleep(leaseMs * 2);
      const later = await confirmAt(b.url);
      assert.equal(later.status, 409, 'still held: the lock is old, but its owner is alive');

      await a.kill();
      const killed = Date.now();
      let refused = 0;
      let reply: Reply;
      for (;;) {
        reply = await confirmAt(b.url);
        if (reply.status !== 409) break;
        refused++;
        assert.ok(Date.now() - killed < 30_000, 'taken over once the lease ran out');
        await sleep(100);
      }
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.id, intent.id);
      assert.equal(reply.body.status, 'succeeded');
      assertChargedOnce(dir, intent.id, 4400);
      t.diagnostic(`resumed by the other instance ${Date.now() - killed} ms after the kill (lease ${leaseMs} ms; ${refused} retries got 409 meanwhile)`);
    } finally {
      await a.kill();
      await b?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a restarted server knows its predecessor is gone and resumes its request on the first retry, without waiting for the lease', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-instances-'));
    const port = await freePort();
    // The default lease (15 s): a takeover by lease alone could not happen on the first retry.
    const first = await ChildKassa.start(dir, port, { authorizeDelayMs: 120_000 });
    let second: ChildKassa | undefined;
    try {
      const { intent, confirmAt } = await confirmInFlight(dir, first, 'restart-at-once');
      await first.kill();
      // Recovery at start off: the retry itself must find the lock free and resume.
      second = await ChildKassa.start(dir, port, { recoverOnStart: false });
      const retry = await confirmAt(second.url);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.status, 'succeeded');
      assertChargedOnce(dir, intent.id, 4400);
      const db = openReadOnly(dir, 'kassa.sqlite');
      try {
        const rows = db.prepare('SELECT id, stopped FROM instances ORDER BY started').all() as Array<{ id: string; stopped: number | null }>;
        assert.equal(rows.length, 2);
        assert.notEqual(rows[0]?.stopped, null, 'the dead predecessor is recorded as stopped');
        assert.deepEqual(rows[1], { id: second.instanceId, stopped: null });
      } finally {
        db.close();
      }
    } finally {
      await first.kill();
      await second?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an instance that shut down is recorded as stopped, and forgotten a week later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-instances-'));
    try {
      const first = await boot({}, dir);
      const firstId = first.kassa.instanceId;
      await first.close();
      const later = await boot({ now: () => Date.now() + 8 * 24 * 60 * 60 * 1000 }, dir);
      try {
        const rows = later.db().prepare('SELECT id, stopped FROM instances').all() as Array<{ id: string; stopped: number | null }>;
        assert.deepEqual(rows, [{ id: later.kassa.instanceId, stopped: null }], `${firstId} is forgotten`);
      } finally {
        await later.close();
      }
      const db = openReadOnly(dir, 'kassa.sqlite');
      try {
        const stopped = db.prepare('SELECT stopped FROM instances WHERE id = ?').get(later.kassa.instanceId) as { stopped: number | null };
        assert.notEqual(stopped.stopped, null, 'a clean shutdown records the instance stopped');
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
