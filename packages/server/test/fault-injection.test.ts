/**
 * Fault injection at every recovery point. For each state-changing request — create with
 * confirm=true, confirm (merchant and widget), capture, cancel (with and without a provider
 * call) and the 3-D Secure completion — the server process is killed (SIGKILL, in a child
 * process) before and after each commit and each provider call. It restarts on the same
 * database, the same request is retried with the same Idempotency-Key (or the same form), and
 * then, read from the sandbox issuer's own tables and Kassa's ledger:
 *
 *   - exactly one authorization exists at the issuer for the payment, in the expected state;
 *   - Kassa's ledger matches the issuer's view of it;
 *   - nothing is left pending, and one intent exists per create key;
 *   - the retry's answer is the outcome, and a further retry replays it.
 *
 * Most cases restart with recovery at start turned off, so the *retry* must resume the work
 * (as another instance would find it); create+confirm runs with recovery on too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultPoint, FaultStep } from '../src/index.js';
import { CARDS, FUTURE_YEAR, SHOP, request } from './helpers.js';
import type { Reply } from './helpers.js';
import { ChildKassa, expectedLedger, freePort, issuerView, ledgerView, openReadOnly, secretKeyOf } from './crash.js';

const around = (...steps: FaultStep[]): FaultPoint[] => steps.flatMap((s): FaultPoint[] => [`before:${s}`, `after:${s}`]);

/** What must hold at the issuer for the payment once the retry answered. */
type Money =
  | { status: 'captured'; captured: number; refunded?: number }
  | { status: 'held'; amount: number }
  | { status: 'released' }
  | { status: 'none' };

interface Case {
  /** The request, sent the same way every time (same key, same body), to the server's current URL. */
  send(): Promise<Reply>;
  /** Checks the retry's answer; returns the payment intent id (null when no money is involved). */
  answered(reply: Reply): string | null;
  money: Money;
  /** Whether a second retry replays the stored answer (false for the 3-D Secure form). */
  replays: boolean;
}

interface Scenario {
  name: string;
  points: FaultPoint[];
  recoverOnStart: boolean;
  prepare(n: number): Promise<Case>;
}

describe('fault injection: the process dies at every recovery point, restarts, and the retry ends in exactly one charge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-faults-'));
  let port = 0;
  let server: ChildKassa;
  let sk = '';
  let savedCard = '';
  let shopper = '';
  let counter = 0;

  const v1 = (method: string, path: string, body?: unknown, idem?: string) =>
    request(`${server.url}/v1${path}`, method, body, sk, idem ? { idem } : {});
  const client = (method: string, path: string, secret: string, body?: unknown, idem?: string) =>
    request(`${server.url}/client${path}`, method, body, secret, idem ? { idem } : {});

  async function createIntent(params: Record<string, unknown>): Promise<{ id: string; client_secret: string; status: string }> {
    const r = await v1('POST', '/payment_intents', { currency: 'cny', ...params });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function tokenize(secret: string, number: string): Promise<string> {
    const r = await client('POST', '/tokens', secret, { card: { number, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  }

  /** Kills the server at `point` while it serves `send()`, and starts it again. */
  async function crashAt(point: FaultPoint, send: () => Promise<Reply>, recoverOnStart: boolean): Promise<void> {
    await server.arm(point);
    const outcome: Reply | Error = await send().then(
      (reply) => reply,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    if (!(outcome instanceof Error)) {
      await server.arm(null);
      assert.fail(`${point} was never reached: the request was answered ${outcome.status} ${JSON.stringify(outcome.body)}`);
    }
    assert.equal((await server.exited).signal, 'SIGKILL', `the server died at ${point}`);
    server = await ChildKassa.start(dir, port, { recoverOnStart });
  }

  function checkSettled(intentId: string, money: Money, label: string): void {
    const kassa = openReadOnly(dir, 'kassa.sqlite');
    const sandbox = openReadOnly(dir, 'sandbox.sqlite');
    try {
      const holds = issuerView(sandbox, intentId);
      if (money.status === 'none') assert.deepEqual(holds, [], `${label}: nothing at the issuer`);
      else {
        assert.equal(holds.length, 1, `${label}: exactly one authorization at the issuer (${JSON.stringify(holds)})`);
        const [hold] = holds;
        assert.equal(hold?.status, money.status, label);
        if (money.status === 'captured') {
          assert.equal(hold?.captured, money.captured, `${label}: captured once, in full`);
          assert.equal(hold?.refunded, money.refunded ?? 0, `${label}: refunded once`);
        }
        if (money.status === 'held') assert.equal(hold?.amount, money.amount, label);
      }
      assert.deepEqual(ledgerView(kassa, intentId), expectedLedger(holds), `${label}: Kassa's ledger matches the issuer`);
      const row = kassa.prepare('SELECT pending_operation FROM payment_intents WHERE id = ?').get(intentId) as { pending_operation: string | null };
      assert.equal(row.pending_operation, null, `${label}: nothing pending`);
      const open = kassa
        .prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ? AND status IN ('pending', 'unknown')")
        .get(intentId) as { n: number };
      assert.equal(open.n, 0, `${label}: every attempt settled`);
    } finally {
      kassa.close();
      sandbox.close();
    }
  }

  function intentsForOrder(order: string): string[] {
    const kassa = openReadOnly(dir, 'kassa.sqlite');
    try {
      return (kassa.prepare("SELECT id FROM payment_intents WHERE json_extract(metadata, '$.order') = ?").all(order) as { id: string }[]).map((r) => r.id);
    } finally {
      kassa.close();
    }
  }

  const intentAnswer = (status: string) => (reply: Reply): string => {
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.status, status);
    return reply.body.id as string;
  };

  const scenarios: Scenario[] = [
    ...[false, true].map(
      (recoverOnStart): Scenario => ({
        name: `create with confirm=true and a saved card${recoverOnStart ? ' (recovery at start on)' : ''}`,
        points: around('create', 'attempt', 'provider.authorize', 'outcome', 'response'),
        recoverOnStart,
        async prepare(n) {
          const order = `order-${n}`;
          const amount = 1000 + n;
          const body = { amount, currency: 'cny', customer: shopper, payment_method: savedCard, confirm: true, metadata: { order } };
          return {
            send: () => v1('POST', '/payment_intents', body, order),
            answered(reply) {
              const id = intentAnswer('succeeded')(reply);
              assert.deepEqual(intentsForOrder(order), [id], 'one intent for one key');
              return id;
            },
            money: { status: 'captured', captured: amount },
            replays: true,
          };
        },
      }),
    ),
    {
      name: 'merchant confirm with a saved card',
      points: around('attempt', 'provider.authorize', 'outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 2000 + n, customer: shopper });
        return {
          send: () => v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method: savedCard }, `confirm-${n}`),
          answered: intentAnswer('succeeded'),
          money: { status: 'captured', captured: 2000 + n },
          replays: true,
        };
      },
    },
    {
      name: 'widget confirm with a new card',
      points: around('attempt', 'provider.authorize', 'outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 3000 + n });
        const token = await tokenize(intent.client_secret, CARDS.unionpay);
        return {
          send: () => client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token }, `click-${n}`),
          answered: intentAnswer('succeeded'),
          money: { status: 'captured', captured: 3000 + n },
          replays: true,
        };
      },
    },
    {
      name: 'partial capture',
      points: around('attempt', 'provider.capture', 'outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 4000 + n, customer: shopper, capture_method: 'manual', payment_method: savedCard, confirm: true });
        assert.equal(intent.status, 'requires_capture');
        return {
          send: () => v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1500 }, `capture-${n}`),
          answered(reply) {
            const id = intentAnswer('succeeded')(reply);
            assert.equal(reply.body.amount_received, 1500);
            return id;
          },
          money: { status: 'captured', captured: 1500 },
          replays: true,
        };
      },
    },
    {
      name: 'cancel of an authorization (void at the provider)',
      points: around('attempt', 'provider.cancel', 'outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 5000 + n, customer: shopper, capture_method: 'manual', payment_method: savedCard, confirm: true });
        return {
          send: () => v1('POST', `/payment_intents/${intent.id}/cancel`, { cancellation_reason: 'abandoned' }, `cancel-${n}`),
          answered(reply) {
            const id = intentAnswer('canceled')(reply);
            assert.equal(reply.body.cancellation_reason, 'abandoned');
            return id;
          },
          money: { status: 'released' },
          replays: true,
        };
      },
    },
    {
      name: 'partial refund',
      points: around('attempt', 'provider.refund', 'outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 9000 + n, customer: shopper, payment_method: savedCard, confirm: true });
        assert.equal(intent.status, 'succeeded');
        return {
          send: () => v1('POST', '/refunds', { payment_intent: intent.id, amount: 2500 }, `refund-${n}`),
          answered(reply) {
            assert.equal(reply.status, 200, JSON.stringify(reply.body));
            assert.equal(reply.body.status, 'succeeded');
            assert.equal(reply.body.amount, 2500);
            return reply.body.payment_intent as string;
          },
          money: { status: 'captured', captured: 9000 + n, refunded: 2500 },
          replays: true,
        };
      },
    },
    {
      name: 'customer create with a test payment method',
      points: around('object', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const email = `shopper-${n}@example.com`;
        const body = { email, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } };
        return {
          send: () => v1('POST', '/customers', body, `customer-${n}`),
          answered(reply) {
            assert.equal(reply.status, 200, JSON.stringify(reply.body));
            const kassa = openReadOnly(dir, 'kassa.sqlite');
            try {
              const made = kassa.prepare('SELECT id FROM customers WHERE email = ?').all(email) as { id: string }[];
              assert.deepEqual(made.map((r) => r.id), [reply.body.id], 'one customer for one key');
              const cards = kassa.prepare('SELECT id FROM payment_methods WHERE customer = ?').all(reply.body.id) as { id: string }[];
              assert.deepEqual(cards.map((r) => r.id), [reply.body.invoice_settings.default_payment_method], 'its card attached once, as its default');
            } finally {
              kassa.close();
            }
            return null;
          },
          money: { status: 'none' },
          replays: true,
        };
      },
    },
    {
      name: 'cancel before any provider call',
      points: around('outcome', 'response'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 6000 + n });
        return {
          send: () => v1('POST', `/payment_intents/${intent.id}/cancel`, {}, `cancel-local-${n}`),
          answered: intentAnswer('canceled'),
          money: { status: 'none' },
          replays: true,
        };
      },
    },
    {
      name: '3-D Secure completion',
      points: around('attempt', 'provider.complete_action', 'outcome'),
      recoverOnStart: false,
      async prepare(n) {
        const intent = await createIntent({ amount: 7000 + n });
        const token = await tokenize(intent.client_secret, CARDS.threeDS);
        const confirm = await client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token }, `tds-${n}`);
        assert.equal(confirm.body.status, 'requires_action');
        const page = new URL(confirm.body.next_action.three_d_secure.url);
        page.searchParams.set('channel', 'chan_12345678');
        page.searchParams.set('origin', SHOP);
        const html = await (await fetch(page)).text();
        const formToken = /name="token" value="([^"]+)"/.exec(html)?.[1];
        assert.ok(formToken, 'the challenge page carries its form token');
        return {
          // The same form, posted again (the shopper reloads or presses the button again).
          send: async () => {
            const res = await fetch(page.href.replace(page.origin, server.url), {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `result=pass&token=${encodeURIComponent(formToken)}`,
            });
            return { status: res.status, body: await res.text(), headers: res.headers };
          },
          answered(reply) {
            assert.equal(reply.status, 200, String(reply.body));
            assert.match(String(reply.body), /data-outcome="passed"/);
            return intent.id;
          },
          money: { status: 'captured', captured: 7000 + n },
          replays: false,
        };
      },
    },
  ];

  let crashes = 0;
  before(async () => {
    port = await freePort();
    server = await ChildKassa.start(dir, port);
    sk = secretKeyOf(dir);
    // A returning customer's saved card, for the server-side flows.
    shopper = (await v1('POST', '/customers', { name: 'Fault Injection' })).body.id as string;
    const intent = await createIntent({ amount: 100, customer: shopper, setup_future_usage: 'off_session' });
    const token = await tokenize(intent.client_secret, CARDS.visa);
    const paid = await client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token });
    assert.equal(paid.body.status, 'succeeded');
    savedCard = (await v1('GET', `/customers/${shopper}/payment_methods`)).body.data[0].id as string;
  });

  after(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const scenario of scenarios) {
    it(`${scenario.name}: dies at ${scenario.points.join(', ')}`, async () => {
      for (const point of scenario.points) {
        const label = `${scenario.name} @ ${point}`;
        const c = await scenario.prepare(++counter);
        await crashAt(point, c.send, scenario.recoverOnStart);
        crashes++;
        const retry = await c.send();
        const intentId = c.answered(retry);
        if (intentId) checkSettled(intentId, c.money, label);
        const again = await c.send();
        if (c.replays) {
          assert.equal(again.headers.get('idempotent-replayed'), 'true', `${label}: the answer is stored`);
          assert.deepEqual(again.body, retry.body, `${label}: and replayed as given`);
        } else {
          assert.equal(again.status, 200, label);
        }
        if (intentId) checkSettled(intentId, c.money, `${label} (after a second retry)`);
      }
    });
  }

  it('a retry that dies while resuming (before and after claiming the attempt) is resumed again, and charges once', async () => {
    for (const point of around('claim')) {
      const n = ++counter;
      const intent = await createIntent({ amount: 8000 + n });
      const token = await tokenize(intent.client_secret, CARDS.jcb);
      const send = () => client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token }, `claim-${n}`);
      // The issuer charged, the answer was lost with the process; then the retry dies too.
      await crashAt('after:provider.authorize', send, false);
      await crashAt(point, send, false);
      crashes += 2;
      const retry = await send();
      assert.equal(intentAnswer('succeeded')(retry), intent.id);
      checkSettled(intent.id, { status: 'captured', captured: 8000 + n }, `resume @ ${point}`);
    }
  });

  it('the databases are intact after every crash', (t) => {
    for (const file of ['kassa.sqlite', 'sandbox.sqlite'] as const) {
      const db = openReadOnly(dir, file);
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', file);
      } finally {
        db.close();
      }
    }
    t.diagnostic(`${crashes} crashes (SIGKILL at a fault point), each followed by a restart and a retry`);
  });
});
