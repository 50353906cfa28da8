/**
 * Failover across a crash. Test mode routes to Stripe first and to the sandbox issuer second;
 * Stripe is unreachable (its port refuses connections: a definite failure, nothing happened), so
 * a payment fails over to the sandbox. The server is killed (SIGKILL, in a process of its own) at
 * each point around the failover, started again, and the client retries under the same
 * Idempotency-Key. Whatever the point, the retry carries the payment on to the sandbox and it is
 * charged exactly once, only there; the merchant hears of it succeeding and never of a failure,
 * and the routing record on the intent says where it went.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FaultPoint } from '../src/index.js';
import { ChildKassa, freePort, issuerView, openReadOnly, secretKeyOf } from './crash.js';
import { FUTURE_YEAR, request } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';

interface Point {
  point: FaultPoint;
  /** Occurrences of the point to let pass first (the second provider's commits come after the first's). */
  skip: number;
}

const POINTS: Point[] = [
  // Stripe's definite failure recorded, the sandbox's attempt not begun: the routing record names
  // the sandbox as next, and the retry carries the payment on to it.
  { point: 'after:outcome', skip: 0 },
  // The sandbox's attempt committed, its call not made: the retry makes it, once.
  { point: 'after:attempt', skip: 1 },
  // The sandbox charged, its answer lost: recovery at start asks it (by key) and applies that.
  { point: 'after:provider.authorize', skip: 0 },
];

describe('failover across a crash', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('at each point around a failover, the payment ends charged exactly once, at the provider it failed over to', async () => {
    const stripe = await StripeFake.start();
    const secretKey = stripe.secretKey;
    const unreachable = stripe.url;
    await stripe.close(); // nothing listens there any more: connections are refused
    const dir = mkdtempSync(join(tmpdir(), 'kassa-failover-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const start = () =>
      ChildKassa.start(dir, port, { providerSpecs: { test: [{ type: 'stripe', secretKey, apiBase: unreachable }, { type: 'sandbox' }] }, publicUrl });
    let server = await start();
    try {
      const sk = secretKeyOf(dir);
      const v1 = (method: string, path: string, body?: unknown) => request(`${server.url}/v1${path}`, method, body, sk);
      const client = (method: string, path: string, secret: string, body?: unknown, idem?: string) =>
        request(`${server.url}/client${path}`, method, body, secret, idem ? { idem } : {});
      const tokenize = async (secret: string) => {
        const token = await client('POST', '/tokens', secret, { card: { number: '4242424242424242', exp_month: 3, exp_year: FUTURE_YEAR, cvc: '123' } });
        assert.equal(token.status, 200, JSON.stringify(token.body));
        return token.body.id as string;
      };

      for (const { point, skip } of POINTS) {
        const label = `${point} (skip ${skip})`;
        const created = await v1('POST', '/payment_intents', { amount: 4400, currency: 'usd' });
        const intent = created.body as { id: string; client_secret: string };
        const key = randomUUID();
        const token = await tokenize(intent.client_secret);
        const send = () => client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token }, key);

        await server.dieWhile(point, send, { skip, label });
        server = await start();

        const retried = await send();
        assert.equal(retried.status, 200, `${label}: ${JSON.stringify(retried.body).slice(0, 400)}`);
        assert.equal(retried.body.status, 'succeeded', label);
        // A third try under the first key takes nothing more, and answers the same.
        const third = await send();
        assert.deepEqual([third.status, third.body.status], [200, 'succeeded'], label);

        const seen = await v1('GET', `/payment_intents/${intent.id}`);
        assert.deepEqual([seen.body.status, seen.body.amount_received], ['succeeded', 4400], label);
        const tried = (seen.body.kassa_routing.tried as Array<{ provider: string; result: string }>).map((t) => `${t.provider}:${t.result}`);
        assert.deepEqual(tried, ['stripe:definite_failure', 'sandbox:answered'], `${label}: the routing record says where it went`);
        assert.equal(seen.body.kassa_routing.next, undefined, `${label}: nothing left to carry on`);
        const sandbox = openReadOnly(dir, 'sandbox.sqlite');
        const kassa = openReadOnly(dir, 'kassa.sqlite');
        try {
          const holds = issuerView(sandbox, intent.id);
          assert.equal(holds.length, 1, `${label}: exactly one charge at the sandbox (${JSON.stringify(holds)})`);
          assert.deepEqual([holds[0]?.status, holds[0]?.captured], ['captured', 4400], label);
          const charges = kassa.prepare("SELECT COUNT(*) AS n FROM charges WHERE payment_intent_id = ? AND status = 'succeeded'").get(intent.id) as { n: number };
          assert.equal(charges.n, 1, `${label}: one succeeded charge in Kassa`);
          const open = kassa.prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ? AND status IN ('pending', 'unknown')").get(intent.id) as { n: number };
          assert.equal(open.n, 0, `${label}: every attempt settled`);
          const events = kassa.prepare('SELECT type FROM outbox WHERE payment_intent_id = ? ORDER BY seq').all(intent.id) as Array<{ type: string }>;
          const told = events.map((e) => e.type).filter((t) => t.startsWith('payment_intent.') && t !== 'payment_intent.created');
          assert.deepEqual(told, ['payment_intent.succeeded'], `${label}: the merchant hears of the success alone (${told.join(', ')})`);
        } finally {
          sandbox.close();
          kassa.close();
        }
      }
    } finally {
      await server.kill();
    }
  });
});
