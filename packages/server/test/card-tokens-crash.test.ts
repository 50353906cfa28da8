/**
 * A card that came as a token, across a crash. Test mode is Stripe (the strict fake, in this
 * process); the shopper's card is a Stripe.js PaymentMethod. The server (a process of its own) is
 * killed by SIGKILL at each point of the confirm, started again, and the client retries under the
 * same Idempotency-Key. The token was sealed with the intent at the attempt's commit, so the call
 * is made (or asked about) again with the same token under the same key: whatever the point, the
 * card is charged exactly once, and the sealed token is gone once the payment is answered.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FaultPoint } from '../src/index.js';
import { ChildKassa, freePort, openReadOnly, secretKeyOf } from './crash.js';
import { request } from './helpers.js';
import { StripeFake, stripeJsOf } from './fakes/stripe-fake.js';

const POINTS: FaultPoint[] = [
  // The attempt (and the sealed token) committed, Stripe not asked: the retry makes the call.
  'after:attempt',
  // Stripe asked, nothing heard: the retry replays the same confirm under the same key.
  'before:provider.authorize',
  // Stripe charged, the answer lost: recovery at start asks Stripe and applies what it did.
  'after:provider.authorize',
  // The answer recorded, the response lost: the retry is the recorded answer.
  'after:outcome',
];

describe('a card token across a crash', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('at each point of the confirm, a Stripe PaymentMethod ends charged exactly once', async () => {
    const stripe = await StripeFake.start();
    const dir = mkdtempSync(join(tmpdir(), 'kassa-token-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const start = () =>
      ChildKassa.start(dir, port, { providerSpecs: { test: { type: 'stripe', secretKey: stripe.secretKey, apiBase: stripe.url } }, publicUrl: `http://127.0.0.1:${port}` });
    let server = await start();
    try {
      const sk = secretKeyOf(dir);
      const v1 = (method: string, path: string, body?: unknown, idem?: string) => request(`${server.url}/v1${path}`, method, body, sk, idem ? { idem } : {});
      for (const point of POINTS) {
        const intent = (await v1('POST', '/payment_intents', { amount: 3700, currency: 'usd' })).body as { id: string };
        const pm = await stripeJsOf(stripe).paymentMethod();
        const key = randomUUID();
        const confirmsBefore = stripe.acted('confirm');
        const balanceBefore = stripe.account('4242424242424242', 'usd')?.balance ?? 1_000_000;
        const send = () => v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: pm } } }, key);

        await server.dieWhile(point, send, { label: point });
        server = await start();

        const retried = await send();
        assert.equal(retried.status, 200, `${point}: ${JSON.stringify(retried.body).slice(0, 400)}`);
        assert.equal(retried.body.status, 'succeeded', point);
        await send(); // and once more: nothing new
        assert.equal(stripe.acted('confirm') - confirmsBefore, 1, `${point}: confirmed at Stripe once`);
        assert.equal(stripe.account('4242424242424242', 'usd')?.balance, balanceBefore - 3700, `${point}: charged once`);
        const kassa = openReadOnly(dir, 'kassa.sqlite');
        try {
          const row = kassa.prepare('SELECT status, amount_received, card_token, method_token FROM payment_intents WHERE id = ?').get(intent.id);
          assert.deepEqual(row, { status: 'succeeded', amount_received: 3700, card_token: 'provider_token', method_token: null }, point);
          const charges = kassa.prepare("SELECT COUNT(*) AS n FROM charges WHERE payment_intent_id = ? AND status = 'succeeded'").get(intent.id) as { n: number };
          assert.equal(charges.n, 1, `${point}: one succeeded charge in Kassa`);
        } finally {
          kassa.close();
        }
      }
    } finally {
      await server.kill();
      await stripe.close();
    }
  });
});
