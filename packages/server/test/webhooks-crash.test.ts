/**
 * Webhooks under the exactly-once design: a Kassa server in a child process (crash-child.ts)
 * killed with SIGKILL while a delivery is in flight, restarted on the same data directory; a
 * create whose process died before its answer was stored; and two processes on one database,
 * where a live instance's claim is never taken over and a dead one's is, once its lease ran out.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { boot, request } from './helpers.js';
import { ChildKassa, freePort, openReadOnly, secretKeyOf } from './crash.js';
import { Receiver } from './webhook-receiver.js';
import type { Received } from './webhook-receiver.js';

const stripe = new Stripe('sk_test_only_for_its_webhook_verifier');

function verifyBoth(r: Received, secret: string): string {
  const event = new Webhook(secret).verify(r.body, Receiver.headersOf(r)) as { id: string };
  assert.equal(stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, secret).id, event.id);
  return event.id;
}

function deliveryRow(dir: string): { status: string; attempts: number; owner: string | null } {
  const db = openReadOnly(dir, 'kassa.sqlite');
  try {
    return db.prepare('SELECT status, attempts, owner FROM webhook_deliveries').get() as { status: string; attempts: number; owner: string | null };
  } finally {
    db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const never = () => new Promise<number>(() => undefined);

describe('webhooks and crashes', () => {
  it('a server killed (SIGKILL) mid-delivery delivers the event again after the restart: at least once, never lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-webhook-crash-'));
    const port = await freePort();
    // The first request is held open (the receiver is slow); the server dies while waiting.
    const rx = await Receiver.start((_r, i) => (i === 0 ? never() : 200));
    let server = await ChildKassa.start(dir, port);
    try {
      const sk = secretKeyOf(dir);
      const ep = await request(`${server.url}/v1/webhook_endpoints`, 'POST', { url: rx.url, enabled_events: ['payment_intent.created'] }, sk);
      assert.equal(ep.status, 200);
      const secret = ep.body.secret as string;
      const intent = await request(`${server.url}/v1/payment_intents`, 'POST', { amount: 500, currency: 'cny' }, sk);
      await rx.waitFor(1);
      const inFlight = deliveryRow(dir);
      assert.equal(inFlight.status, 'pending');
      assert.equal(inFlight.attempts, 0);
      assert.ok(inFlight.owner?.startsWith(server.instanceId), 'claimed under a work token of the running instance');

      await server.kill();
      server = await ChildKassa.start(dir, port);
      await rx.waitFor(2);
      const [first, second] = rx.requests as [Received, Received];
      assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'the same event, sent again');
      const eventId = verifyBoth(second, secret);
      assert.equal(second.event.data.object.id, intent.body.id);
      const done = await until('the redelivery to be recorded', () => {
        const row = deliveryRow(dir);
        return row.status === 'succeeded' ? row : null;
      });
      assert.deepEqual(done, { status: 'succeeded', attempts: 1, owner: null }, 'the lost attempt was never recorded; the redelivery was');
      const events = await request(`${server.url}/v1/events/${eventId}`, 'GET', undefined, sk);
      assert.equal(events.body.pending_webhooks, 0);
      await sleep(1500);
      assert.equal(rx.requests.length, 2, 'and not a third time');
    } finally {
      await server.kill();
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a create whose process died before its answer was stored is resumed by the retry: one endpoint, and the secret that signs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-webhook-create-crash-'));
    const port = await freePort();
    const rx = await Receiver.start();
    let server = await ChildKassa.start(dir, port, { recoverOnStart: false });
    try {
      const sk = secretKeyOf(dir);
      const body = { url: rx.url, enabled_events: ['payment_intent.created'] };
      await server.arm('before:response');
      const lost = await request(`${server.url}/v1/webhook_endpoints`, 'POST', body, sk, { idem: 'create-crash' }).catch((error: unknown) => error);
      assert.ok(lost instanceof Error, 'the connection died with the process');
      await server.exited;
      server = await ChildKassa.start(dir, port);
      const retry = await request(`${server.url}/v1/webhook_endpoints`, 'POST', body, sk, { idem: 'create-crash' });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.headers.get('idempotent-replayed'), null, 'resumed, not replayed: no answer had been stored');
      const list = await request(`${server.url}/v1/webhook_endpoints`, 'GET', undefined, sk);
      assert.deepEqual(
        list.body.data.map((e: { id: string }) => e.id),
        [retry.body.id],
        'one endpoint, the one the first run made',
      );
      const replay = await request(`${server.url}/v1/webhook_endpoints`, 'POST', body, sk, { idem: 'create-crash' });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.body.secret, retry.body.secret);
      await request(`${server.url}/v1/payment_intents`, 'POST', { amount: 500, currency: 'cny' }, sk);
      await rx.waitFor(1);
      verifyBoth(rx.requests[0] as Received, retry.body.secret);
    } finally {
      await server.kill();
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("two processes on one database: a live instance's claim is never taken over; once it died and its lease ran out, the other delivers", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-webhook-instances-'));
    const leaseMs = 1500;
    const rx = await Receiver.start((_r, i) => (i === 0 ? never() : 200));
    const a = await ChildKassa.start(dir, await freePort(), { leaseMs });
    let b: Awaited<ReturnType<typeof boot>> | undefined;
    try {
      const sk = secretKeyOf(dir);
      const ep = await request(`${a.url}/v1/webhook_endpoints`, 'POST', { url: rx.url, enabled_events: ['payment_intent.created'] }, sk);
      await request(`${a.url}/v1/payment_intents`, 'POST', { amount: 500, currency: 'cny' }, sk);
      await rx.waitFor(1);
      // B: this test process, another instance on the same database, delivering only when told.
      b = await boot({ webhookPollMs: 0, leaseMs }, dir);
      await sleep(leaseMs * 2);
      assert.equal(await b.kassa.deliverWebhooks(), 0, "A is alive and renews its lease: its claim is not B's to take");
      assert.equal(rx.requests.length, 1);
      assert.ok(deliveryRow(dir).owner?.startsWith(a.instanceId));

      await a.kill();
      // A renewed its lease at most a third of it ago: it still runs, and B still keeps off.
      assert.equal(await b.kassa.deliverWebhooks(), 0, "a dead instance's claim is kept until its lease runs out");
      // Then B takes the delivery over.
      const deadline = Date.now() + leaseMs * 4;
      while (rx.requests.length < 2 && Date.now() < deadline) {
        await b.kassa.deliverWebhooks();
        await sleep(100);
      }
      assert.equal(rx.requests.length, 2);
      verifyBoth(rx.requests[1] as Received, ep.body.secret);
      const row = deliveryRow(dir);
      assert.equal(row.status, 'succeeded');
      assert.equal(row.owner, null);
    } finally {
      await b?.close();
      await a.kill();
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
