/**
 * A charge whose answer was lost, at each recovery point around the provider call, with each
 * real provider's adapter (configured as `kassa serve` configures it, against its strict fake):
 * the server is killed (SIGKILL, in a process of its own) just before or just after the call
 * that moves money, started again (recovery runs at start), and the client retries with the
 * same Idempotency-Key. It must end charged exactly once at the provider, and Kassa's intent
 * must say so. Where the provider cannot be asked (Adyen's authorizations), the retry leaves it
 * `unknown` and never charges a second time; the provider's signed notification (Adyen's
 * AUTHORISATION, posted to the inbound route as Adyen posts it) then settles it, once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FaultPoint } from '../src/index.js';
import { ChildKassa, freePort, openReadOnly, secretKeyOf } from './crash.js';
import { FUTURE_YEAR, request } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';
import { ADYEN_TEST_CARDS, AdyenFake, postAdyenNotifications } from './fakes/adyen-fake.js';
import { PayPalFake } from './fakes/paypal-fake.js';
import { AlipayFake } from './fakes/alipay-fake.js';

interface Subject {
  name: string;
  currency: string;
  /** The provider spec, secrets as plain strings (the child makes them Sensitive). */
  spec: Record<string, unknown>;
  /** Card adapters: the card; wallets: the shopper's approval of the action, returning the return URL's query. */
  card?: string;
  /**
   * A wallet: the shopper's part, once the intent waits for them. Returns what moves the payment
   * on, called again for each try: PayPal's return (the shopper's browser back from PayPal);
   * for Alipay, the shopper paying in the app (Alipay then notifies Kassa), and after that the
   * widget's page asking Kassa where it stands.
   */
  shopper?: (intent: { id: string; next_action: Record<string, any> }, kassaUrl: () => string) => Promise<() => Promise<unknown>>;
  /** What the provider has taken in total for this payment (money moved once?). */
  taken(reference: { kassa: string; action?: string }): number;
  /** The points around the call that moves the money. */
  points: FaultPoint[];
  /**
   * Where the provider cannot say what happened to a lost call: the retry leaves the intent
   * unknown, never charged twice, until `notify` posts the provider's signed notification about it.
   */
  unknowable?: FaultPoint[];
  notify?: (intentId: string, kassaUrl: string) => Promise<void>;
  close(): Promise<void>;
}

async function stripe(): Promise<Subject> {
  const fake = await StripeFake.start();
  const card = '4242424242424242';
  const before = () => fake.account(card, 'usd')?.balance ?? 1_000_000;
  const start = before();
  return {
    name: 'stripe',
    currency: 'usd',
    spec: { type: 'stripe', secretKey: fake.secretKey, apiBase: fake.url },
    card,
    taken: () => start - before(),
    points: ['before:provider.authorize', 'after:provider.authorize'],
    close: () => fake.close(),
  };
}

async function adyen(): Promise<Subject> {
  const hmacKey = randomBytes(32).toString('hex');
  const fake = await AdyenFake.start({ apiKey: 'AQE_crash_key', merchantAccount: 'KassaECOM', hmacKey });
  const card = ADYEN_TEST_CARDS.visa;
  fake.setBalance(card, 1_000_000);
  return {
    name: 'adyen',
    currency: 'eur',
    spec: { type: 'adyen', apiKey: 'AQE_crash_key', merchantAccount: 'KassaECOM', checkoutBase: fake.checkoutBase, hmacKey },
    card,
    taken: () => 1_000_000 - (fake.account(card)?.balance ?? 1_000_000),
    points: ['before:provider.authorize', 'after:provider.authorize'],
    unknowable: ['after:provider.authorize'],
    notify: async (intentId, kassaUrl) => {
      const items = fake.notifications.filter((n) => n.eventCode === 'AUTHORISATION' && n.merchantReference === intentId);
      assert.equal(items.length, 1, 'Adyen decided the payment once');
      assert.deepEqual(await postAdyenNotifications(kassaUrl, ...items), { status: 200, text: '[accepted]' });
    },
    close: () => fake.close(),
  };
}

async function paypal(): Promise<Subject> {
  const fake = await PayPalFake.start();
  return {
    name: 'paypal',
    currency: 'usd',
    spec: { type: 'paypal', clientId: fake.clientId, clientSecret: fake.clientSecret, apiBase: fake.url, webhookId: fake.webhookId },
    shopper: async (intent, kassaUrl) => {
      const order = new URL(String(intent.next_action.redirect_to_url.url)).searchParams.get('token') ?? '';
      const back = new URLSearchParams({ kassa_reference: intent.id, ...fake.approve(order) });
      return () => fetch(`${kassaUrl()}/providers/paypal/return?${back}`, { redirect: 'manual' }).then((r) => r.text());
    },
    taken: ({ action }) => (action ? fake.moneyOf(action).captured : 0),
    points: ['before:provider.complete_action', 'after:provider.complete_action'],
    close: () => fake.close(),
  };
}

async function alipay(): Promise<Subject> {
  const fake = await AlipayFake.start();
  return {
    name: 'alipay',
    currency: 'cny',
    spec: { type: 'alipay', appId: fake.appId, privateKey: fake.appPrivateKey, alipayPublicKey: fake.alipayPublicKey, gateway: fake.gateway },
    shopper: async (intent, kassaUrl) => {
      const qr = intent.next_action.display_qr_code as { data: string; hosted_instructions_url: string };
      let paid = false;
      return async () => {
        if (!paid) {
          paid = true;
          // Paid in the app: Alipay notifies Kassa, which completes the payment (and dies there).
          return fetch(`${qr.data}/pay`, { method: 'POST' }).then((r) => r.text());
        }
        return fetch(`${kassaUrl()}${qr.hosted_instructions_url}/status`).then((r) => r.text());
      };
    },
    // Every trade made for the intent (its out_trade_no starts with the intent id), paid in full.
    taken: ({ kassa }) =>
      fake
        .trades()
        .filter((t) => kassa !== '' && t.outTradeNo.startsWith(`${kassa}_`) && t.status === 'TRADE_SUCCESS')
        .reduce((n, t) => n + t.totalFen, 0),
    points: ['before:provider.complete_action', 'after:provider.complete_action'],
    close: () => fake.close(),
  };
}

const SUBJECTS: Array<() => Promise<Subject>> = [stripe, adyen, paypal, alipay];

for (const make of SUBJECTS) {
  describe(`a lost answer at each recovery point, at ${make.name}`, () => {
    const dirs: string[] = [];
    after(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('ends charged exactly once (where the provider cannot be asked: unknown, never charged twice, until its signed notification settles it)', async () => {
      const s = await make();
      const dir = mkdtempSync(join(tmpdir(), `kassa-provider-crash-${s.name}-`));
      dirs.push(dir);
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const start = () => ChildKassa.start(dir, port, { providerSpecs: { test: [s.spec] }, publicUrl });
      let server = await start();
      try {
        const sk = secretKeyOf(dir);
        const v1 = (method: string, path: string, body?: unknown, idem?: string) => request(`${server.url}/v1${path}`, method, body, sk, idem ? { idem } : {});
        const client = (method: string, path: string, secret: string, body?: unknown, idem?: string) =>
          request(`${server.url}/client${path}`, method, body, secret, idem ? { idem } : {});

        for (const point of s.points) {
          const label = `${s.name} ${point}`;
          const before = s.taken({ kassa: '' });
          const created = await v1('POST', '/payment_intents', { amount: 2300, currency: s.currency });
          assert.equal(created.status, 200, JSON.stringify(created.body));
          const intent = created.body as { id: string; client_secret: string };
          const key = randomUUID();
          let action: string | undefined;
          let send: () => Promise<unknown>;
          if (s.card) {
            const token = await client('POST', '/tokens', intent.client_secret, { card: { number: s.card, exp_month: 3, exp_year: FUTURE_YEAR, cvc: '737' } });
            assert.equal(token.status, 200, `${label}: ${JSON.stringify(token.body)}`);
            send = () => client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id }, key);
          } else {
            const waiting = await client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: s.name } });
            assert.equal(waiting.body.status, 'requires_action', `${label}: ${JSON.stringify(waiting.body)}`);
            const row = openReadOnly(dir, 'kassa.sqlite');
            action = (row.prepare('SELECT action_ref FROM payment_intents WHERE id = ?').get(intent.id) as { action_ref: string }).action_ref;
            row.close();
            // Armed before the shopper acts: the shopper's action itself may reach the point (Alipay's notification).
            await server.arm(point);
            send = await s.shopper!(waiting.body, () => server.url);
          }

          // Killed at the point, while serving the call.
          await server.dieWhile(s.card ? point : null, send, { label });
          server = await start();

          // The client (or the shopper's browser) tries again, the same call under the same key.
          const retried = await send();
          const seen = await v1('GET', `/payment_intents/${intent.id}`);
          const taken = s.taken({ kassa: intent.id, ...(action ? { action } : {}) }) - (s.card ? before : 0);
          if (s.unknowable?.includes(point)) {
            assert.equal(seen.body.status, 'unknown', `${label}: the provider cannot be asked; the intent says unknown (${JSON.stringify(retried).slice(0, 300)})`);
            assert.equal(taken, 2300, `${label}: taken once at the provider, not again`);
            assert.ok(s.notify, `${label}: only the provider's notification can settle it`);
            await s.notify(intent.id, server.url);
            // Applied just after it is acknowledged.
            for (let i = 0; i < 100 && (await v1('GET', `/payment_intents/${intent.id}`)).body.status === 'unknown'; i++) {
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
          const settled = s.unknowable?.includes(point) ? await v1('GET', `/payment_intents/${intent.id}`) : seen;
          assert.equal(settled.body.status, 'succeeded', `${label}: ${JSON.stringify(settled.body).slice(0, 400)} (retry: ${JSON.stringify(retried).slice(0, 300)})`);
          assert.equal(settled.body.amount_received, 2300, label);
          assert.equal(taken, 2300, `${label}: taken exactly once at the provider`);
          // And once more, later: nothing more is taken.
          await send();
          assert.equal(s.taken({ kassa: intent.id, ...(action ? { action } : {}) }) - (s.card ? before : 0), 2300, `${label}: a third try takes nothing`);
        }
      } finally {
        await server.kill();
        await s.close();
      }
    });
  });
}
