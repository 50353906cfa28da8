/**
 * A provider that answers later: `pending` (the payment waits as `processing`, nothing booked,
 * until the provider's notification or an asking brings the answer) and `await_notification`
 * (the shopper approves in their bank's app; Kassa's page waits). Through the real server with
 * the sandbox issuer's cards for both, its accounts as the witness of what moved, and a real
 * killed process for an asking that dies half-way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_CARDS } from '../src/adapters/sandbox/cards.js';
import type { CardBehavior } from '../src/adapters/sandbox/cards.js';
import { ProviderFailure } from '../src/domain/ports.js';
import { FUTURE_YEAR, SHOP, boot, outboxTypes, overriding, request } from './helpers.js';
import { ChildKassa, expectedLedger, freePort, issuerView, ledgerView, openReadOnly, secretKeyOf } from './crash.js';

/** The sandbox's card of a behaviour (its one source: SANDBOX_CARDS). */
function cardOf(kind: CardBehavior['kind']): string {
  const found = Object.entries(SANDBOX_CARDS).find(([, b]) => b.kind === kind);
  if (!found) throw new Error(`no sandbox card answers ${kind}`);
  return found[0];
}
const PENDING = cardOf('pending');
const APPROVE_IN_APP = cardOf('approve_in_app');

describe('a provider that answers later: pending', () => {
  it('a pending answer leaves the intent processing with nothing booked; asking again settles it once, with its events', async () => {
    const h = await boot();
    try {
      const { intent, confirm } = await h.pay(PENDING, { amount: 4200 });
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
      assert.deepEqual([confirm.body.status, confirm.body.next_action], ['processing', null]);
      assert.equal(h.kassa.sandboxAccount(PENDING, 'cny'), null, 'the issuer moved nothing yet');
      const ledger = h.db().prepare('SELECT COUNT(*) AS n FROM ledger_entries WHERE payment_intent_id = ?');
      assert.equal((ledger.get(intent.id) as { n: number }).n, 0, 'nothing booked while pending');
      assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.processing']);

      // Not the shopper's to retry, nor the merchant's to cancel: the provider has it.
      const again = await h.tokenize(intent.client_secret, { number: PENDING });
      const reconfirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: again.body.id });
      assert.equal(reconfirm.status, 400);
      assert.equal(reconfirm.body.error.code, 'payment_intent_unexpected_state');
      const cancel = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
      assert.equal(cancel.status, 400);

      assert.equal(await h.kassa.askAwaiting(), 1);
      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([paid.body.status, paid.body.amount_received], ['succeeded', 4200]);
      assert.equal(h.kassa.sandboxAccount(PENDING, 'cny')!.balance, 1_000_000 * 100 - 4200, 'charged once');
      assert.equal(await h.kassa.askAwaiting(), 0, 'nothing waits any more');
      assert.equal(h.kassa.sandboxAccount(PENDING, 'cny')!.balance, 1_000_000 * 100 - 4200, 'still charged once');
      const types = outboxTypes(h.db(), intent.id);
      assert.deepEqual(types.filter((t) => t === 'payment_intent.processing' || t === 'payment_intent.succeeded'), ['payment_intent.processing', 'payment_intent.succeeded']);
    } finally {
      await h.close();
    }
  });

  it('with manual capture the answer is a hold, and it is captured like any other', async () => {
    const h = await boot();
    try {
      const { intent, confirm } = await h.pay(PENDING, { amount: 3100, capture_method: 'manual' });
      assert.equal(confirm.body.status, 'processing');
      await h.kassa.askAwaiting();
      const held = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([held.body.status, held.body.amount_capturable], ['requires_capture', 3100]);
      const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 1000 });
      assert.deepEqual([captured.status, captured.body.amount_received], [200, 1000]);
    } finally {
      await h.close();
    }
  });

  it('an asking that definitely failed changes nothing (still processing, no event); an ambiguous one leaves it unknown until the provider is asked', async () => {
    let failure: ProviderFailure | null = null;
    const h = await boot({
      wrapProvider: (inner) =>
        overriding(inner, {
          completeAction: async (r) => {
            if (failure) throw failure;
            return inner.completeAction(r);
          },
        }),
    });
    try {
      const { intent } = await h.pay(PENDING, { amount: 900 });
      failure = new ProviderFailure('definite', 'connect ECONNREFUSED', 'ECONNREFUSED');
      await h.kassa.askAwaiting();
      const still = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([still.body.status, still.body.last_payment_error], ['processing', null], 'a refused asking is not a decline');
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'payment_intent.processing').length, 1, 'no second processing event');

      failure = new ProviderFailure('ambiguous', 'socket hang up', 'ECONNRESET');
      await h.kassa.askAwaiting();
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown', 'never guessed');
      failure = null;
      await h.kassa.recover();
      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(paid.body.status, 'succeeded');
      assert.equal(h.kassa.sandboxAccount(PENDING, 'cny')!.balance, 1_000_000 * 100 - 900, 'charged once');
    } finally {
      await h.close();
    }
  });

  it("the action page's status poll asks about a pending payment too (at most once per interval)", async () => {
    let asked = 0;
    const h = await boot({
      wrapProvider: (inner) =>
        overriding(inner, {
          completeAction: async (r) => {
            asked++;
            return inner.completeAction(r);
          },
        }),
    });
    try {
      const { intent } = await h.pay(PENDING, { amount: 700 });
      const ref = (h.db().prepare('SELECT action_ref FROM payment_intents WHERE id = ?').get(intent.id) as { action_ref: string }).action_ref;
      const status = await fetch(`${h.url}/actions/${ref}/status`);
      assert.deepEqual(await status.json(), { status: 'succeeded', over: true, shown: 'paid' });
      assert.equal(asked, 1);
    } finally {
      await h.close();
    }
  });
});

describe('a provider that answers later: the shopper approves in their app (await_notification)', () => {
  it("the intent waits with Kassa's page as its action; once the shopper approved, the page's poll completes it", async () => {
    let offset = 0;
    const h = await boot({ now: () => Date.now() + offset });
    try {
      const { intent, confirm } = await h.pay(APPROVE_IN_APP, { amount: 5600 });
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
      assert.equal(confirm.body.status, 'requires_action');
      const action = confirm.body.next_action;
      assert.equal(action.type, 'await_notification');
      assert.ok(action.await_notification.expires_at * 1000 > Date.now(), 'an approval expires in the future');
      const page = action.await_notification.hosted_instructions_url as string;
      assert.match(page, /^\/actions\//);

      const html = await fetch(`${h.url}${page}?locale=zh-CN&channel=chan_12345678&origin=${encodeURIComponent(SHOP)}`);
      assert.equal(html.status, 200);
      const text = await html.text();
      assert.match(text, /请在应用中确认/, 'the page in Chinese asks to approve in the app');
      assert.doesNotMatch(text, /qr\.svg/, 'no code to scan');
      const qr = await fetch(`${h.url}${page}/qr.svg`);
      assert.equal(qr.status, 404, 'an approval has no QR code');

      // Not approved yet: the poll asks, and it still waits.
      const waiting = await fetch(`${h.url}${page}/status`);
      assert.deepEqual(await waiting.json(), { status: 'requires_action', over: false, shown: 'waiting' });
      assert.equal(h.kassa.sandboxAccount(APPROVE_IN_APP, 'cny'), null);

      offset += 10_000; // the shopper approved in their bank's app
      const polls = async () => (await (await fetch(`${h.url}${page}/status`)).json()) as { shown: string };
      let shown = (await polls()).shown;
      for (let i = 0; i < 20 && shown === 'waiting'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        shown = (await polls()).shown;
      }
      assert.equal(shown, 'paid');
      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([paid.body.status, paid.body.next_action], ['succeeded', null]);
      assert.equal(h.kassa.sandboxAccount(APPROVE_IN_APP, 'cny')!.balance, 1_000_000 * 100 - 5600, 'charged once');
    } finally {
      await h.close();
    }
  });

  it('an approval that timed out is refused and nothing is charged', async () => {
    let offset = 0;
    const h = await boot({ now: () => Date.now() + offset });
    try {
      const { intent } = await h.pay(APPROVE_IN_APP, { amount: 800 });
      const ref = (h.db().prepare('SELECT action_ref FROM payment_intents WHERE id = ?').get(intent.id) as { action_ref: string }).action_ref;
      offset += 11 * 60_000;
      const over = await fetch(`${h.url}/actions/${ref}/status`);
      assert.deepEqual(await over.json(), { status: 'requires_payment_method', over: true, shown: 'not_paid' });
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.last_payment_error.code, 'payment_intent_authentication_failure');
      assert.equal(h.kassa.sandboxAccount(APPROVE_IN_APP, 'cny'), null, 'nothing charged');
    } finally {
      await h.close();
    }
  });
});

describe('a provider that answers later: crash while asking', () => {
  for (const point of ['before:provider.complete_action', 'after:provider.complete_action'] as const) {
    it(`killed ${point} while asking about a pending payment: the restart settles it, charged exactly once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kassa-pending-crash-'));
      const port = await freePort();
      let server = await ChildKassa.start(dir, port);
      try {
        const sk = secretKeyOf(dir);
        const v1 = (method: string, path: string, body?: unknown) => request(`${server.url}/v1${path}`, method, body, sk);
        const created = await v1('POST', '/payment_intents', { amount: 6100, currency: 'cny' });
        const intent = created.body as { id: string; client_secret: string };
        const token = await request(`${server.url}/client/tokens`, 'POST', { card: { number: PENDING, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } }, intent.client_secret);
        const confirm = await request(`${server.url}/client/payment_intents/${intent.id}/confirm`, 'POST', { payment_method: token.body.id }, intent.client_secret);
        assert.equal(confirm.body.status, 'processing', JSON.stringify(confirm.body));
        const kassa = openReadOnly(dir, 'kassa.sqlite');
        const ref = (kassa.prepare('SELECT action_ref FROM payment_intents WHERE id = ?').get(intent.id) as { action_ref: string }).action_ref;
        kassa.close();

        await server.arm(point);
        await fetch(`${server.url}/actions/${ref}/status`).then(
          () => undefined,
          () => undefined,
        );
        assert.equal((await server.exited).signal, 'SIGKILL', `the server died at ${point}`);
        server = await ChildKassa.start(dir, port);

        const after = await v1('GET', `/payment_intents/${intent.id}`);
        assert.equal(after.body.status, 'succeeded', JSON.stringify(after.body));
        const db = openReadOnly(dir, 'kassa.sqlite');
        const sandbox = openReadOnly(dir, 'sandbox.sqlite');
        try {
          const holds = issuerView(sandbox, intent.id);
          assert.equal(holds.length, 1, `exactly one charge at the issuer (${JSON.stringify(holds)})`);
          assert.deepEqual([holds[0]?.status, holds[0]?.captured], ['captured', 6100]);
          assert.deepEqual(ledgerView(db, intent.id), expectedLedger(holds), "Kassa's ledger matches the issuer");
          const open = db.prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ? AND status IN ('pending', 'unknown')").get(intent.id) as { n: number };
          assert.equal(open.n, 0, 'every attempt settled');
        } finally {
          db.close();
          sandbox.close();
        }
      } finally {
        await server.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
