/**
 * Multiple capture across a crash, at the sandbox and at Stripe (an account with multicapture,
 * against its strict fake). The server is killed (SIGKILL, in a process of its own) just before
 * and just after a capture that is not the last, and again around the last one; started again,
 * the merchant retries each capture under the same Idempotency-Key. Each part is taken exactly
 * once, the rest stays held until the last capture releases it, and Kassa's intent and ledger say
 * what the provider did. At Stripe, which keeps one running total of an intent's captures, the
 * lost answer is found by that total (lookup with what earlier captures took).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FaultPoint } from '../src/index.js';
import { ChildKassa, freePort, issuerView, ledgerView, openReadOnly, secretKeyOf } from './crash.js';
import { CARDS, FUTURE_YEAR, request } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';

interface Subject {
  name: string;
  currency: string;
  card: string;
  spec: Record<string, unknown>;
  /** What the provider took (captured) and still holds for the payment. */
  money(dir: string, intentId: string): { taken: number; held: number };
  close(): Promise<void>;
}

async function sandbox(): Promise<Subject> {
  return {
    name: 'sandbox',
    currency: 'cny',
    card: CARDS.visa,
    spec: { type: 'sandbox' },
    money(dir, intentId) {
      const db = openReadOnly(dir, 'sandbox.sqlite');
      try {
        const holds = issuerView(db, intentId);
        assert.equal(holds.length, 1, JSON.stringify(holds));
        const h = holds[0]!;
        return { taken: h.captured, held: h.status === 'held' ? h.amount - h.captured : 0 };
      } finally {
        db.close();
      }
    },
    close: async () => {},
  };
}

async function stripe(): Promise<Subject> {
  const fake = await StripeFake.start();
  return {
    name: 'stripe',
    currency: 'usd',
    card: '4242424242424242',
    spec: { type: 'stripe', secretKey: fake.secretKey, apiBase: fake.url, multicapture: true },
    money(_dir, intentId) {
      const pi = fake.intents().find((i) => i.metadata?.['kassa_reference'] === intentId);
      assert.ok(pi, 'the intent at Stripe');
      return { taken: pi.amount_received, held: pi.amount_capturable };
    },
    close: () => fake.close(),
  };
}

const STEPS: Array<{ amount: number; final: boolean; point: FaultPoint }> = [
  { amount: 1000, final: false, point: 'after:provider.capture' }, // taken, the answer lost
  { amount: 1500, final: false, point: 'before:provider.capture' }, // committed to, not made
  { amount: 700, final: true, point: 'after:provider.capture' }, // the last, the answer lost
];

for (const make of [sandbox, stripe]) {
  describe(`multiple capture across a crash, at ${make.name}`, () => {
    const dirs: string[] = [];
    after(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('each part is taken exactly once, the rest held until the last capture releases it', async () => {
      const s = await make();
      const dir = mkdtempSync(join(tmpdir(), `kassa-multicapture-crash-${s.name}-`));
      dirs.push(dir);
      const port = await freePort();
      const start = () => ChildKassa.start(dir, port, { providerSpecs: { test: [s.spec] }, publicUrl: `http://127.0.0.1:${port}` });
      let server = await start();
      try {
        const sk = secretKeyOf(dir);
        const v1 = (method: string, path: string, body?: unknown, idem?: string) => request(`${server.url}/v1${path}`, method, body, sk, idem ? { idem } : {});
        const created = await v1('POST', '/payment_intents', { amount: 4000, currency: s.currency, capture_method: 'manual' });
        const intent = created.body as { id: string; client_secret: string };
        const token = await request(`${server.url}/client/tokens`, 'POST', { card: { number: s.card, exp_month: 3, exp_year: FUTURE_YEAR, cvc: '123' } }, intent.client_secret);
        const held = await request(`${server.url}/client/payment_intents/${intent.id}/confirm`, 'POST', { payment_method: token.body.id }, intent.client_secret);
        assert.equal(held.body.status, 'requires_capture', JSON.stringify(held.body));

        let taken = 0;
        for (const step of STEPS) {
          const label = `${s.name}: ${step.amount} (${step.final ? 'last' : 'not last'}) killed ${step.point}`;
          const key = randomUUID();
          const send = () => v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: step.amount, ...(step.final ? {} : { final_capture: false }) }, key);
          await server.dieWhile(step.point, send, { label });
          server = await start();

          const retried = await send();
          assert.equal(retried.status, 200, `${label}: ${JSON.stringify(retried.body).slice(0, 400)}`);
          taken += step.amount;
          const expected = step.final ? ['succeeded', taken, 0] : ['requires_capture', taken, 4000 - taken];
          assert.deepEqual([retried.body.status, retried.body.amount_received, retried.body.amount_capturable], expected, label);
          const third = await send();
          assert.deepEqual([third.status, third.body.amount_received], [200, taken], `${label}: the same key again takes nothing`);
          assert.deepEqual(s.money(dir, intent.id), { taken, held: step.final ? 0 : 4000 - taken }, `${label}: at the provider`);

          const kassa = openReadOnly(dir, 'kassa.sqlite');
          try {
            const ledger = ledgerView(kassa, intent.id);
            assert.equal(ledger['acquirer_receivable'] ?? 0, taken, `${label}: the ledger took it once`);
            assert.equal(ledger['acquirer_holds'] ?? 0, step.final ? 0 : 4000 - taken, `${label}: and holds the rest`);
            const captures = kassa.prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ? AND operation = 'capture' AND status = 'succeeded'").get(intent.id) as { n: number };
            assert.equal(captures.n, STEPS.indexOf(step) + 1, `${label}: one settled capture per part`);
          } finally {
            kassa.close();
          }
        }
      } finally {
        await server.kill();
        await s.close();
      }
    });
  });
}
