/**
 * Failover across a crash. Test mode routes to Stripe first and to the sandbox issuer second;
 * Stripe is unreachable (its port refuses connections: a definite failure, nothing happened), so
 * a payment fails over to the sandbox. The server is killed (SIGKILL, in a process of its own) at
 * each point around the failover, started again, and the client retries under the same
 * Idempotency-Key. Whatever the point, the payment is charged at most once by the retry and
 * exactly once in the end, only at the sandbox, and the routing record on the intent says where.
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
  /** What the same-key retry answers: the payment (failed over), or the first provider's definite failure. */
  retry: 'succeeded' | 'declined';
}

const POINTS: Point[] = [
  // Stripe's refusal recorded, the failover not begun: the retry is the recorded answer (nothing
  // charged anywhere); the shopper's next confirm fails over and pays.
  { point: 'after:outcome', skip: 0, retry: 'declined' },
  // The sandbox's attempt committed, its call not made: the retry makes it, once.
  { point: 'after:attempt', skip: 1, retry: 'succeeded' },
  // The sandbox charged, its answer lost: recovery at start asks it (by key) and applies that.
  { point: 'after:provider.authorize', skip: 0, retry: 'succeeded' },
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

      for (const { point, skip, retry } of POINTS) {
        const label = `${point} (skip ${skip})`;
        const created = await v1('POST', '/payment_intents', { amount: 4400, currency: 'usd' });
        const intent = created.body as { id: string; client_secret: string };
        const key = randomUUID();
        const token = await tokenize(intent.client_secret);
        const send = () => client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token }, key);

        await server.dieWhile(point, send, { skip, label });
        server = await start();

        const retried = await send();
        if (retry === 'succeeded') {
          assert.equal(retried.status, 200, `${label}: ${JSON.stringify(retried.body).slice(0, 400)}`);
          assert.equal(retried.body.status, 'succeeded', label);
        } else {
          assert.equal(retried.status, 402, `${label}: ${JSON.stringify(retried.body).slice(0, 400)}`);
          assert.equal(retried.body.error.code, 'processing_error', label);
          const sandbox = openReadOnly(dir, 'sandbox.sqlite');
          assert.deepEqual(issuerView(sandbox, intent.id), [], `${label}: nothing charged anywhere yet`);
          sandbox.close();
          // The shopper tries again (a new confirm): Stripe still refuses, the sandbox pays.
          const again = await client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: await tokenize(intent.client_secret) }, randomUUID());
          assert.equal(again.body.status, 'succeeded', `${label}: ${JSON.stringify(again.body).slice(0, 400)}`);
        }
        // A third try under the first key takes nothing more.
        await send();

        const seen = await v1('GET', `/payment_intents/${intent.id}`);
        assert.deepEqual([seen.body.status, seen.body.amount_received], ['succeeded', 4400], label);
        const tried = (seen.body.kassa_routing.tried as Array<{ provider: string; result: string }>).map((t) => `${t.provider}:${t.result}`);
        assert.deepEqual(tried, ['stripe:definite_failure', 'sandbox:answered'], `${label}: the routing record says where it went`);
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
