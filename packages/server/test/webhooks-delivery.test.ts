/**
 * Webhook delivery as a merchant's backend sees it: real receivers on port 0, each delivery
 * verified with the `standardwebhooks` library and with the official `stripe` SDK's
 * `webhooks.constructEvent` — never with Kassa's own code. Retries run on an injected clock
 * (the server's `now`) and `deliverWebhooks()`, so nothing here waits for real backoff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { CARDS, boot, outboxTypes } from './helpers.js';
import type { Harness } from './helpers.js';
import { Receiver } from './webhook-receiver.js';
import type { Received } from './webhook-receiver.js';
import { RETRY_CAP_MS, RETRY_WINDOW_MS, nextRetryAt } from '../src/webhooks/backoff.js';

const stripe = new Stripe('sk_test_only_for_its_webhook_verifier', { maxNetworkRetries: 0 });

async function createEndpoint(h: Harness, url: string, events: string[] = ['*'], extra: Record<string, unknown> = {}) {
  const r = await h.v1('POST', '/webhook_endpoints', { url, enabled_events: events, ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { id: string; secret: string; status: string };
}

/**
 * Verifies one delivery with both libraries, as a merchant's handler would; returns the event.
 * `receivedAt`: the receiver's clock when the server runs on an injected one (standardwebhooks
 * reads Date.now, so it is set to that for the call; stripe takes it as an argument).
 */
function verifyBoth(r: Received, secret: string, receivedAt?: number) {
  const realNow = Date.now;
  if (receivedAt !== undefined) Date.now = () => receivedAt;
  let standard: { id: string; type: string };
  try {
    standard = new Webhook(secret).verify(r.body, Receiver.headersOf(r)) as { id: string; type: string };
  } finally {
    Date.now = realNow;
  }
  const signature = r.headers['stripe-signature'];
  assert.equal(typeof signature, 'string');
  const event = stripe.webhooks.constructEvent(r.body, signature as string, secret, undefined, undefined, receivedAt);
  assert.equal(standard.id, event.id);
  return event;
}

describe('webhook delivery', () => {
  it("a payment's events arrive in order, signed so that standardwebhooks and stripe.webhooks.constructEvent both verify them unchanged", async () => {
    const rx = await Receiver.start();
    const h = await boot({ webhookPollMs: 0 });
    try {
      const ep = await createEndpoint(h, rx.url);
      assert.match(ep.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const { intent, confirm } = await h.pay(CARDS.visa);
      assert.equal(confirm.body.status, 'succeeded');
      const attempts = await h.kassa.deliverWebhooks();
      const expected = outboxTypes(h.db(), intent.id);
      assert.deepEqual(expected, ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
      assert.equal(attempts, expected.length);
      assert.deepEqual(
        rx.requests.map((r) => r.event.type),
        expected,
      );
      for (const r of rx.requests) {
        const event = verifyBoth(r, ep.secret);
        assert.equal(r.headers['webhook-id'], event.id, 'webhook-id is the event id (receivers deduplicate on it)');
        // About the intent, or about its charge (which names the intent).
        const object = event.data.object as { id: string; payment_intent?: string };
        assert.equal(object.payment_intent ?? object.id, intent.id);
        assert.equal(typeof event.created, 'number');
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
        // The body is the event exactly as /v1/events serves it (without the live counter).
        const served = await h.v1('GET', `/events/${event.id}`);
        const { pending_webhooks: pending, ...stored } = served.body;
        assert.equal(pending, 0);
        assert.deepEqual(stored, JSON.parse(r.body));

        // The verifiers are real: a changed byte, another secret, or a stale timestamp fails both.
        const tampered = r.body.replace('"amount":12800', '"amount":12801');
        assert.notEqual(tampered, r.body);
        assert.throws(() => new Webhook(ep.secret).verify(tampered, Receiver.headersOf(r)), WebhookVerificationError);
        assert.throws(() => stripe.webhooks.constructEvent(tampered, r.headers['stripe-signature'] as string, ep.secret), Stripe.errors.StripeSignatureVerificationError);
        const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
        assert.throws(() => new Webhook(other).verify(r.body, Receiver.headersOf(r)), WebhookVerificationError);
        assert.throws(() => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, other), Stripe.errors.StripeSignatureVerificationError);
        assert.throws(
          () => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, ep.secret, 300, undefined, Date.now() + 600_000),
          Stripe.errors.StripeSignatureVerificationError,
        );
      }
      // Delivered once each, and nothing more is due.
      assert.equal(await h.kassa.deliverWebhooks(), 0);
      assert.equal(rx.requests.length, expected.length);
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it('an endpoint gets only its enabled event types, and only events made after it existed', async () => {
    const all = await Receiver.start();
    const some = await Receiver.start();
    const h = await boot({ webhookPollMs: 0 });
    try {
      const before = await h.createIntent();
      const a = await createEndpoint(h, all.url, ['*']);
      const s = await createEndpoint(h, some.url, ['payment_intent.succeeded', 'payment_intent.canceled']);
      const paid = await h.pay(CARDS.visa);
      const canceled = await h.createIntent();
      assert.equal((await h.v1('POST', `/payment_intents/${canceled.id}/cancel`, {})).status, 200);
      await h.kassa.deliverWebhooks();
      const objects = (rx: Receiver) => rx.requests.map((r) => `${r.event.type} ${r.event.data.object.id}`);
      const charge = (await h.v1('GET', `/payment_intents/${paid.intent.id}`)).body.latest_charge as string;
      assert.ok(!objects(all).some((o) => o.endsWith(before.id)), 'the event from before the endpoint existed is not sent');
      assert.deepEqual(objects(all).sort(), [
        `payment_intent.canceled ${canceled.id}`,
        `payment_intent.created ${canceled.id}`,
        `payment_intent.created ${paid.intent.id}`,
        `charge.succeeded ${charge}`,
        `payment_intent.succeeded ${paid.intent.id}`,
      ].sort());
      assert.deepEqual(objects(some).sort(), [`payment_intent.canceled ${canceled.id}`, `payment_intent.succeeded ${paid.intent.id}`].sort());
      for (const r of all.requests) verifyBoth(r, a.secret);
      for (const r of some.requests) verifyBoth(r, s.secret);
      // Each endpoint's secret is its own.
      assert.throws(() => verifyBoth(some.requests[0] as Received, a.secret));
    } finally {
      await h.close();
      await all.close();
      await some.close();
    }
  });

  it('rolling the secret: during the overlap every delivery carries a signature per valid secret, each verifying with both libraries; expiring them leaves only the new one', async () => {
    const rx = await Receiver.start();
    const h = await boot({ webhookPollMs: 0 });
    try {
      const ep = await createEndpoint(h, rx.url, ['payment_intent.created']);
      const rolled = await h.v1('POST', `/webhook_endpoints/${ep.id}/roll_secret`, { previous_secret_expires_in: 3600 });
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      const second = rolled.body.secret as string;
      assert.match(second, /^whsec_/);
      assert.notEqual(second, ep.secret);
      assert.ok(Math.abs(rolled.body.previous_secret_expires_at - (Math.floor(Date.now() / 1000) + 3600)) <= 2);
      assert.equal((await h.v1('GET', `/webhook_endpoints/${ep.id}`)).body.secret, undefined, 'the secret is never shown again');

      await h.createIntent();
      await h.kassa.deliverWebhooks();
      const overlap = rx.requests[0] as Received;
      assert.equal((overlap.headers['webhook-signature'] as string).split(' ').length, 2);
      assert.equal((overlap.headers['stripe-signature'] as string).split(',').filter((p) => p.startsWith('v1=')).length, 2);
      verifyBoth(overlap, ep.secret);
      verifyBoth(overlap, second);

      // A third secret, the previous ones expiring now: only it signs from here on.
      const third = (await h.v1('POST', `/webhook_endpoints/${ep.id}/roll_secret`, { previous_secret_expires_in: 0 })).body.secret as string;
      await h.createIntent();
      await h.kassa.deliverWebhooks();
      const after = rx.requests[1] as Received;
      assert.equal((after.headers['webhook-signature'] as string).split(' ').length, 1);
      verifyBoth(after, third);
      for (const old of [ep.secret, second]) {
        assert.throws(() => new Webhook(old).verify(after.body, Receiver.headersOf(after)), WebhookVerificationError);
        assert.throws(() => stripe.webhooks.constructEvent(after.body, after.headers['stripe-signature'] as string, old), Stripe.errors.StripeSignatureVerificationError);
      }
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it('a failing receiver is retried with exponential backoff (on the injected clock), every attempt recorded with its status, duration and next retry, until it answers 2xx', async () => {
    let now = Date.now();
    const answers = [500, 503, 429, 204];
    const rx = await Receiver.start((_r, i) => answers[i] ?? 500);
    // random 0.5: each wait is 3/4 of its ceiling (1 min, 2 min, 4 min, …).
    const h = await boot({ webhookPollMs: 0, now: () => now, webhookRandom: () => 0.5 });
    try {
      const ep = await createEndpoint(h, rx.url, ['payment_intent.created']);
      const intent = await h.createIntent();
      const eventId = (await h.v1('GET', '/events?limit=1')).body.data[0].id as string;
      const expectedWaits = [45_000, 90_000, 180_000];
      for (const [i, wait] of expectedWaits.entries()) {
        assert.equal(await h.kassa.deliverWebhooks(), 1);
        assert.equal(rx.requests.length, i + 1);
        assert.equal((await h.v1('GET', `/events/${eventId}`)).body.pending_webhooks, 1, 'still pending');
        const [delivery] = await h.kassa.webhookDeliveries(h.kassa.merchant, ep.id);
        const attempt = delivery?.attempts[i];
        assert.equal(attempt?.status_code, answers[i]);
        assert.equal(attempt?.outcome, 'retrying');
        assert.equal(attempt?.next_retry, Math.floor((now + wait) / 1000));
        assert.ok(typeof attempt?.duration_ms === 'number' && attempt.duration_ms >= 0);
        // Not before its time: a millisecond early, nothing is sent.
        now += wait - 1;
        assert.equal(await h.kassa.deliverWebhooks(), 0);
        now += 1;
      }
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      assert.equal(rx.requests.length, 4);
      const [done] = await h.kassa.webhookDeliveries(h.kassa.merchant, ep.id);
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual(
        done?.attempts.map((a) => [a.attempt, a.status_code, a.outcome]),
        [
          [1, 500, 'retrying'],
          [2, 503, 'retrying'],
          [3, 429, 'retrying'],
          [4, 204, 'succeeded'],
        ],
      );
      assert.equal(done?.next_attempt_at, null);
      // Same event, same webhook-id every time; each attempt signed at its own time (5m15s later).
      assert.deepEqual(new Set(rx.requests.map((r) => r.headers['webhook-id'])), new Set([eventId]));
      const stamps = rx.requests.map((r) => Number(r.headers['webhook-timestamp']));
      assert.deepEqual(
        stamps.map((s) => s - (stamps[0] as number)),
        [0, 45, 135, 315],
      );
      const last = rx.requests[3] as Received;
      const event = verifyBoth(last, ep.secret, now);
      assert.equal((event.data.object as { id: string }).id, intent.id);
      assert.equal((await h.v1('GET', `/events/${eventId}`)).body.pending_webhooks, 0);
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it('a receiver that never recovers is retried for about three days, then given up', async () => {
    let now = Date.now();
    const rx = await Receiver.start(() => 500);
    const h = await boot({ webhookPollMs: 0, now: () => now });
    try {
      const ep = await createEndpoint(h, rx.url, ['payment_intent.created']);
      await h.createIntent();
      const created = now;
      for (let i = 0; i < 60; i++) {
        assert.equal(await h.kassa.deliverWebhooks(), 1);
        const [delivery] = await h.kassa.webhookDeliveries(h.kassa.merchant, ep.id);
        if (delivery?.status !== 'pending') break;
        now = (delivery.next_attempt_at as number) * 1000 + 999;
      }
      const [delivery] = await h.kassa.webhookDeliveries(h.kassa.merchant, ep.id);
      assert.equal(delivery?.status, 'failed');
      const attempts = delivery?.attempts ?? [];
      const last = attempts.at(-1);
      assert.equal(last?.outcome, 'failed');
      assert.equal(last?.next_retry, null);
      assert.ok(attempts.length >= 17 && attempts.length <= 26, `${attempts.length} attempts`);
      const span = ((last?.started ?? 0) * 1000 - created) / 3_600_000;
      assert.ok(span > 64 && span <= 72, `last attempt ${span.toFixed(1)} h after the event`);
      // Waits grow, and none is longer than the cap.
      const gaps = attempts.slice(1).map((a, i) => a.started - (attempts[i]?.started ?? 0));
      assert.ok((gaps[0] ?? 0) <= 61 && (gaps[5] ?? 0) > 10 * 60, `gaps ${gaps.join(',')}`);
      assert.ok(gaps.every((g) => g <= RETRY_CAP_MS / 1000 + 1));
      assert.equal(rx.requests.length, attempts.length);
      now += RETRY_WINDOW_MS;
      assert.equal(await h.kassa.deliverWebhooks(), 0, 'nothing after giving up');
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it('backoff: the n-th wait lies between half and all of min(1 min × 2^(n−1), 8 h), and nothing is scheduled past three days', () => {
    const t0 = 1_800_000_000_000;
    for (let n = 1; n <= 20; n++) {
      const ceiling = Math.min(60_000 * 2 ** (n - 1), RETRY_CAP_MS);
      assert.equal(nextRetryAt(n, t0, t0, () => 0), t0 + ceiling / 2);
      assert.equal(nextRetryAt(n, t0, t0, () => 0.999999), Math.round(t0 + ceiling / 2 + 0.999999 * (ceiling / 2)));
    }
    assert.equal(nextRetryAt(3, t0 + RETRY_WINDOW_MS - 60_000, t0, () => 0), null);
    assert.equal(nextRetryAt(1, t0 + RETRY_WINDOW_MS - 60_000, t0, () => 0), t0 + RETRY_WINDOW_MS - 30_000);
    assert.throws(() => nextRetryAt(0, t0, t0));
  });

  it('a receiver answering 410 Gone disables its endpoint: nothing more is sent until the merchant enables it again', async () => {
    let status = 410;
    const rx = await Receiver.start(() => status);
    const h = await boot({ webhookPollMs: 0 });
    try {
      const ep = await createEndpoint(h, rx.url, ['payment_intent.created']);
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      const disabled = await h.v1('GET', `/webhook_endpoints/${ep.id}`);
      assert.equal(disabled.body.status, 'disabled');
      const [gone] = await h.kassa.webhookDeliveries(h.kassa.merchant, ep.id);
      assert.equal(gone?.status, 'failed');
      assert.deepEqual(gone?.attempts.map((a) => [a.status_code, a.outcome, a.next_retry]), [[410, 'endpoint_disabled', null]]);

      const whileDisabled = await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 0);
      assert.equal(rx.requests.length, 1);

      status = 200;
      const enabled = await h.v1('POST', `/webhook_endpoints/${ep.id}`, { disabled: false });
      assert.equal(enabled.body.status, 'enabled');
      const later = await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      assert.deepEqual(
        rx.requests.map((r) => r.event.data.object.id).slice(1),
        [later.id],
        'events made while disabled are not sent (as at Stripe); those after it are',
      );
      assert.ok(!rx.requests.some((r) => r.event.data.object.id === whileDisabled.id));
      // The merchant's own disable works the same way.
      assert.equal((await h.v1('POST', `/webhook_endpoints/${ep.id}`, { disabled: true })).body.status, 'disabled');
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 0);
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it("one object's events go out in order while the receiver keeps up, and one failed event does not hold back the rest", async () => {
    let now = Date.now();
    let failFirstOf: string | null = null;
    const rx = await Receiver.start(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 15)));
      if (r.event.data.object.id === failFirstOf && r.event.type === 'payment_intent.created') {
        failFirstOf = null;
        return 500;
      }
      return 200;
    });
    const h = await boot({ webhookPollMs: 0, now: () => now });
    try {
      await createEndpoint(h, rx.url);
      const paid = await Promise.all([1, 2, 3, 4, 5].map(() => h.pay(CARDS.visa)));
      await h.kassa.deliverWebhooks();
      for (const { intent } of paid) {
        // The intent's events and those of its charge (whose object names the intent).
        const received = rx.requests
          .filter((r) => r.event.data.object.id === intent.id || r.event.data.object.payment_intent === intent.id)
          .map((r) => r.event.type);
        assert.deepEqual(received, outboxTypes(h.db(), intent.id), `order for ${intent.id}`);
      }

      const stuck = await h.createIntent();
      failFirstOf = stuck.id;
      await h.v1('POST', `/payment_intents/${stuck.id}/cancel`, {});
      await h.kassa.deliverWebhooks();
      const forStuck = () => rx.requests.filter((r) => r.event.data.object.id === stuck.id).map((r) => r.event.type);
      assert.deepEqual(forStuck(), ['payment_intent.created', 'payment_intent.canceled'], 'the later event went once the first had its attempt');
      now += 60_000;
      await h.kassa.deliverWebhooks();
      assert.deepEqual(forStuck(), ['payment_intent.created', 'payment_intent.canceled', 'payment_intent.created'], 'and the failed one is retried');
    } finally {
      await h.close();
      await rx.close();
    }
  });

  it('a receiver that hangs holds only its own slot: the worker delivers to others meanwhile, and the hung attempt times out and is retried', async () => {
    const hung = await Receiver.start(() => new Promise<number>(() => undefined));
    const fast = await Receiver.start();
    const h = await boot({ webhookPollMs: 20, webhookTimeoutMs: 1500 });
    try {
      const slow = await createEndpoint(h, hung.url, ['payment_intent.created']);
      await createEndpoint(h, fast.url, ['payment_intent.created']);
      const started = Date.now();
      await h.createIntent();
      await hung.waitFor(1);
      await fast.waitFor(1);
      await h.createIntent();
      await fast.waitFor(2);
      assert.ok(Date.now() - started < 1400, 'both events reached the fast receiver while the slow one was still hanging');
      for (let i = 0; i < 100; i++) {
        const [d] = await h.kassa.webhookDeliveries(h.kassa.merchant, slow.id);
        if ((d?.attempts.length ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const deliveries = await h.kassa.webhookDeliveries(h.kassa.merchant, slow.id);
      const timedOut = deliveries.find((d) => d.attempts.length > 0);
      assert.equal(timedOut?.attempts[0]?.error, 'timed out');
      assert.equal(timedOut?.attempts[0]?.outcome, 'retrying');
      assert.ok((timedOut?.attempts[0]?.duration_ms ?? 0) >= 1400);
    } finally {
      await h.close();
      await hung.close();
      await fast.close();
    }
  });

  it('payments come first: while the server is busy serving requests, one delivery at a time; every event still goes out, and at full speed once it is idle', async () => {
    let inFlight = 0;
    let most = 0;
    const receiver = await Receiver.start(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 150));
      inFlight--;
      return 200;
    });
    // Any request in flight counts as busy here (a saturated loop is hard to make on purpose).
    const h = await boot({ webhookPollMs: 20, webhookBusyUtilization: 0 });
    try {
      await createEndpoint(h, receiver.url, ['payment_intent.created']);
      // A request the server is still serving: its headers are in (authorized), its body never comes.
      const { port } = new URL(h.url);
      const stalled = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.write(`POST /v1/payment_intents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.secretKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
      for (let i = 0; i < 6; i++) await h.createIntent();
      await receiver.waitFor(6);
      assert.equal(most, 1, 'one at a time while busy (six events of six objects could all have gone at once)');

      stalled.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      most = 0;
      for (let i = 0; i < 6; i++) await h.createIntent();
      await receiver.waitFor(12);
      assert.ok(most > 1, `idle again: several at once (saw ${most})`);
    } finally {
      await h.close();
      await receiver.close();
    }
  });

  it('connections are kept alive between deliveries; one the receiver dropped meanwhile is not a failed attempt: it is sent again on a new connection', async () => {
    const sockets = new Set<unknown>();
    let dropped = 0;
    const received: string[] = [];
    // Answers the first request on each connection, keeping it open; drops the connection on the second.
    const server = createServer((req, res) => {
      const socket = req.socket as typeof req.socket & { served?: number };
      sockets.add(socket);
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) {
        dropped++;
        socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id']));
        res.writeHead(200).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const h = await boot({ webhookPollMs: 0 });
    try {
      const endpoint = await createEndpoint(h, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, ['payment_intent.created']);
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      assert.equal(received.length, 2);
      assert.equal(dropped, 1, 'the second delivery was tried on the kept connection first');
      assert.equal(sockets.size, 2);
      const deliveries = await h.kassa.webhookDeliveries(h.kassa.merchant, endpoint.id);
      assert.deepEqual(
        deliveries.map((d) => d.attempts.map((a) => a.outcome)),
        [['succeeded'], ['succeeded']],
        'one attempt each, both succeeded',
      );
    } finally {
      await h.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('pending deliveries survive a restart on the same data directory and are delivered by the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-webhooks-restart-'));
    let status = 500;
    const rx = await Receiver.start(() => status);
    try {
      const first = await boot({ webhookPollMs: 0 }, dir);
      const ep = await createEndpoint(first, rx.url, ['payment_intent.created']);
      await first.createIntent();
      assert.equal(await first.kassa.deliverWebhooks(), 1);
      await first.close();

      status = 200;
      // The next start runs its worker on its own (every 50 ms here), a minute later: the retry is due.
      const second = await boot({ webhookPollMs: 50, now: () => Date.now() + 61_000 }, dir);
      try {
        await rx.waitFor(2);
        assert.equal(rx.requests[1]?.headers['webhook-id'], rx.requests[0]?.headers['webhook-id']);
        verifyBoth(rx.requests[1] as Received, ep.secret, Date.now() + 61_000);
        for (let i = 0; i < 100; i++) {
          const [d] = await second.kassa.webhookDeliveries(second.kassa.merchant, ep.id);
          if (d?.status === 'succeeded') break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const [delivery] = await second.kassa.webhookDeliveries(second.kassa.merchant, ep.id);
        assert.equal(delivery?.status, 'succeeded');
        assert.deepEqual(delivery?.attempts.map((a) => a.status_code), [500, 200]);
      } finally {
        await second.close();
      }
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a deleted endpoint is sent nothing more, and its pending deliveries go with it', async () => {
    const rx = await Receiver.start(() => 500);
    const h = await boot({ webhookPollMs: 0 });
    try {
      const ep = await createEndpoint(h, rx.url, ['payment_intent.created']);
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 1);
      const deleted = await h.v1('DELETE', `/webhook_endpoints/${ep.id}`);
      assert.deepEqual(deleted.body, { id: ep.id, object: 'webhook_endpoint', deleted: true });
      const db = h.db();
      const left = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE endpoint_id = ?`).get(ep.id) as { n: number }).n;
      assert.deepEqual([left('webhook_secrets'), left('webhook_deliveries'), left('webhook_attempts')], [0, 0, 0]);
      await h.createIntent();
      assert.equal(await h.kassa.deliverWebhooks(), 0);
      assert.equal(rx.requests.length, 1);
      assert.equal((await h.v1('GET', `/webhook_endpoints/${ep.id}`)).status, 404);
    } finally {
      await h.close();
      await rx.close();
    }
  });
});
