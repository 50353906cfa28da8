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
import { randomBytes, randomUUID } from 'node:crypto';
import type { FaultPoint } from '../src/index.js';
import { ChildKassa, freePort, issuerView, openReadOnly, secretKeyOf } from './crash.js';
import { FUTURE_YEAR, boot, outboxTypes, request } from './helpers.js';
import { Sensitive } from '../src/domain/ports.js';
import { StripeFake } from './fakes/stripe-fake.js';
import { ADYEN_TEST_CARDS, AdyenFake, postAdyenNotifications } from './fakes/adyen-fake.js';

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
          const told = outboxTypes(kassa, intent.id).filter((t) => t.startsWith('payment_intent.') && t !== 'payment_intent.created');
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

  // The server dies during the second provider's call, before it reached Stripe. After the
  // restart (two deadlines later) Stripe says it never saw the key, and the call made again is refused definitely (429):
  // nothing happened there either, so the payment goes on to the third provider, as the
  // confirmation would have — whether recovery at start or the client's retry settles that call.
  for (const { recoverOnStart, early } of [
    { recoverOnStart: true, early: false },
    { recoverOnStart: false, early: false },
    // A retry at once, while the cut-off call's first request could still reach Stripe: its
    // definite refusal proves nothing yet, so the payment is unknown (502), not failed over.
    { recoverOnStart: false, early: true },
  ]) {
    it(`a failover the crash interrupted during a later provider's call carries on past it (recovery at start: ${recoverOnStart}${early ? '; a retry too early first' : ''})`, async () => {
      const down = await StripeFake.start();
      const unreachable = down.url;
      await down.close();
      const stripe = await StripeFake.start();
      const dir = mkdtempSync(join(tmpdir(), 'kassa-failover-crash-'));
      dirs.push(dir);
      const port = await freePort();
      const specs = {
        test: [
          { type: 'stripe', name: 'stripe-eu', secretKey: stripe.secretKey, apiBase: unreachable },
          { type: 'stripe', secretKey: stripe.secretKey, apiBase: stripe.url },
          { type: 'sandbox' },
        ],
      };
      // A short deadline: "never seen" is trusted for a call made two deadlines ago, which the
      // restart takes longer than (with Kassa's 30 s default the retry would wait a minute).
      const start = (o: { recoverOnStart?: boolean; providerTimeoutMs?: number } = {}) => ChildKassa.start(dir, port, { providerSpecs: specs, publicUrl: `http://127.0.0.1:${port}`, providerTimeoutMs: 400, ...o });
      let server = await start();
      try {
        const sk = secretKeyOf(dir);
        const v1 = (method: string, path: string, body?: unknown) => request(`${server.url}/v1${path}`, method, body, sk);
        const created = await v1('POST', '/payment_intents', { amount: 5100, currency: 'usd' });
        const intent = created.body as { id: string; client_secret: string };
        const token = await request(`${server.url}/client/tokens`, 'POST', { card: { number: '4242424242424242', exp_month: 3, exp_year: FUTURE_YEAR, cvc: '123' } }, intent.client_secret);
        assert.equal(token.status, 200, JSON.stringify(token.body));
        const key = randomUUID();
        const send = () => request(`${server.url}/client/payment_intents/${intent.id}/confirm`, 'POST', { payment_method: token.body.id }, intent.client_secret, { idem: key });

        // The first provider's call fails before it is made (refused connection); the second's is cut off.
        await server.dieWhile('before:provider.authorize', send, { skip: 1 });
        if (early) {
          server = await start({ recoverOnStart, providerTimeoutMs: 10_000 });
          stripe.fault('confirm', '429-before', 1);
          const tooSoon = await send();
          assert.equal(tooSoon.status, 502, JSON.stringify(tooSoon.body).slice(0, 400));
          assert.equal((await v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
          await server.kill();
        }
        // Stripe is there again, and refuses the next confirm before acting on it.
        stripe.fault('confirm', '429-before', 1);
        // Two deadlines after the call began: its first request cannot still be on its way.
        await new Promise((resolve) => setTimeout(resolve, 800));
        server = await start({ recoverOnStart });

        const retried = await send();
        assert.equal(retried.status, 200, JSON.stringify(retried.body).slice(0, 400));
        assert.equal(retried.body.status, 'succeeded');
        const seen = await v1('GET', `/payment_intents/${intent.id}`);
        assert.deepEqual([seen.body.status, seen.body.amount_received], ['succeeded', 5100]);
        const tried = (seen.body.kassa_routing.tried as Array<{ provider: string; result: string }>).map((t) => `${t.provider}:${t.result}`);
        assert.deepEqual(tried, ['stripe-eu:definite_failure', 'stripe:definite_failure', 'sandbox:answered']);
        assert.equal(seen.body.kassa_routing.next, undefined);
        // Stripe was asked (its create replayed under the key, found unconfirmed) and charged nothing.
        assert.equal(stripe.requests.filter((r) => r.route === 'confirm').length, early ? 2 : 1, 'the confirms, each refused');
        assert.equal(stripe.acted('confirm'), 0);
        assert.ok(stripe.intents().every((pi) => pi.status === 'requires_payment_method'), JSON.stringify(stripe.intents().map((pi) => pi.status)));

        const sandbox = openReadOnly(dir, 'sandbox.sqlite');
        const kassa = openReadOnly(dir, 'kassa.sqlite');
        try {
          const holds = issuerView(sandbox, intent.id);
          assert.deepEqual(holds.map((h) => [h.status, h.captured]), [['captured', 5100]], 'charged once, at the sandbox');
          const told = outboxTypes(kassa, intent.id).filter((t) => t.startsWith('payment_intent.') && t !== 'payment_intent.created');
          // Told of the unknown outcome when it was one (the early retry), never of a failure.
          assert.deepEqual(told, [...(early ? ['payment_intent.outcome_unknown'] : []), 'payment_intent.succeeded'], told.join(', '));
          const failed = kassa.prepare("SELECT COUNT(*) AS n FROM charges WHERE payment_intent_id = ? AND status = 'failed'").get(intent.id) as { n: number };
          assert.equal(failed.n, 0, 'no failed charge: the providers\' failures were not the payment\'s');
        } finally {
          sandbox.close();
          kassa.close();
        }
      } finally {
        await server.kill();
        await stripe.close();
      }
    });
  }

  // Killed between Stripe's definite failure and the sandbox's attempt, and no retry comes: the
  // shopper left. After a while (the minute timer waits 10 minutes) the payment ends as the
  // decline it was, which the merchant hears; a late retry under the key gets that decline.
  it('a failover a crash left off that no retry carries on ends as its decline, told to the merchant', async () => {
    const down = await StripeFake.start();
    const secretKey = down.secretKey;
    const unreachable = down.url;
    await down.close();
    const dir = mkdtempSync(join(tmpdir(), 'kassa-failover-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const child = await ChildKassa.start(dir, port, { providerSpecs: { test: [{ type: 'stripe', secretKey, apiBase: unreachable }, { type: 'sandbox' }] }, publicUrl });
    const sk = secretKeyOf(dir);
    const created = await request(`${child.url}/v1/payment_intents`, 'POST', { amount: 3300, currency: 'usd' }, sk);
    const intent = created.body as { id: string; client_secret: string };
    const token = await request(`${child.url}/client/tokens`, 'POST', { card: { number: '4242424242424242', exp_month: 3, exp_year: FUTURE_YEAR, cvc: '123' } }, intent.client_secret);
    const key = randomUUID();
    await child.dieWhile('after:outcome', () => request(`${child.url}/client/payment_intents/${intent.id}/confirm`, 'POST', { payment_method: token.body.id }, intent.client_secret, { idem: key }));

    // The same files, in this process: what the minute timer would find.
    const h = await boot({ providerSpecs: { test: [{ type: 'stripe', secretKey: new Sensitive(secretKey), apiBase: unreachable }, { type: 'sandbox' }] }, publicUrl }, dir);
    try {
      const left = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.deepEqual([left.status, left.kassa_routing.next], ['requires_payment_method', 'sandbox']);
      assert.ok(!outboxTypes(h.db(), intent.id).includes('payment_intent.payment_failed'), 'quiet while a retry may carry it on');

      assert.equal(await h.kassa.closeLeftOffFailovers(), 1);
      const closed = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.deepEqual([closed.status, closed.kassa_routing.next, closed.last_payment_error?.code], ['requires_payment_method', undefined, 'processing_error']);
      const charge = (await h.v1('GET', `/charges/${closed.latest_charge}`)).body;
      assert.deepEqual([charge.status, charge.amount_captured, charge.failure_code], ['failed', 0, 'processing_error']);
      assert.deepEqual(outboxTypes(h.db(), intent.id).slice(-2), ['charge.failed', 'payment_intent.payment_failed']);
      assert.equal(await h.kassa.closeLeftOffFailovers(), 0, 'closed once');

      // A late retry under the key gets the decline, and charges nothing.
      const late = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id }, { idem: key });
      assert.equal(late.status, 402, JSON.stringify(late.body).slice(0, 300));
      const sandbox = openReadOnly(dir, 'sandbox.sqlite');
      try {
        assert.deepEqual(issuerView(sandbox, intent.id), []);
      } finally {
        sandbox.close();
      }
      // The shopper may pay again: a new confirm starts the route over (Stripe, then the sandbox).
      const again = await h.tokenize(intent.client_secret, { number: '4242424242424242' });
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: again.body.id });
      assert.deepEqual([paid.status, paid.body.status], [200, 'succeeded'], JSON.stringify(paid.body).slice(0, 300));
    } finally {
      await h.close();
    }
  });

  // Adyen cannot be asked what a lost call did. Its authorization went through and the answer was
  // lost; at the retry Adyen refuses connections (a definite failure of the call made again). That
  // says nothing of the first call, which holds the money: the intent stays unknown — not declined
  // (a shopper would pay again), not failed over to the sandbox — until Adyen's notification says.
  it('a repeated call that fails definitely at a provider that cannot be asked leaves the payment unknown, never declined or failed over', async () => {
    const hmacKey = randomBytes(32).toString('hex');
    const adyen = await AdyenFake.start({ apiKey: 'AQE_failover_key', merchantAccount: 'KassaECOM', hmacKey });
    const card = ADYEN_TEST_CARDS.visa;
    adyen.setBalance(card, 1_000_000);
    const taken = () => 1_000_000 - (adyen.account(card)?.balance ?? 1_000_000);
    const refusing = `http://127.0.0.1:${await freePort()}`;
    const dir = mkdtempSync(join(tmpdir(), 'kassa-failover-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const specs = (checkoutBase: string) => ({
      test: [{ type: 'adyen', apiKey: 'AQE_failover_key', merchantAccount: 'KassaECOM', checkoutBase, hmacKey }, { type: 'sandbox' }],
    });
    const start = (checkoutBase: string) => ChildKassa.start(dir, port, { providerSpecs: specs(checkoutBase), publicUrl: `http://127.0.0.1:${port}` });
    let server = await start(adyen.checkoutBase);
    try {
      const sk = secretKeyOf(dir);
      const v1 = (method: string, path: string, body?: unknown) => request(`${server.url}/v1${path}`, method, body, sk);
      const created = await v1('POST', '/payment_intents', { amount: 2300, currency: 'eur' });
      const intent = created.body as { id: string; client_secret: string };
      const token = await request(`${server.url}/client/tokens`, 'POST', { card: { number: card, exp_month: 3, exp_year: FUTURE_YEAR, cvc: '737' } }, intent.client_secret);
      assert.equal(token.status, 200, JSON.stringify(token.body));
      const key = randomUUID();
      const send = () => request(`${server.url}/client/payment_intents/${intent.id}/confirm`, 'POST', { payment_method: token.body.id }, intent.client_secret, { idem: key });

      await server.dieWhile('after:provider.authorize', send);
      assert.equal(taken(), 2300, 'Adyen authorized it before the answer was lost');
      server = await start(refusing);

      const retried = await send();
      assert.equal(retried.status, 502, JSON.stringify(retried.body).slice(0, 400));
      const seen = await v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(seen.body.status, 'unknown', JSON.stringify(seen.body).slice(0, 400));
      assert.deepEqual((seen.body.kassa_routing.tried as Array<{ provider: string; result: string }>).map((t) => `${t.provider}:${t.result}`), ['adyen:unknown']);
      const sandbox = openReadOnly(dir, 'sandbox.sqlite');
      const kassa = openReadOnly(dir, 'kassa.sqlite');
      try {
        assert.deepEqual(issuerView(sandbox, intent.id), [], 'nothing at the sandbox');
        const told = outboxTypes(kassa, intent.id);
        assert.ok(!told.includes('payment_intent.payment_failed'), told.join(', '));
      } finally {
        sandbox.close();
        kassa.close();
      }

      // Adyen's AUTHORISATION notification settles it: charged once, where it was.
      const items = adyen.notifications.filter((n) => n.eventCode === 'AUTHORISATION' && n.merchantReference === intent.id);
      assert.equal(items.length, 1);
      assert.deepEqual(await postAdyenNotifications(server.url, ...items), { status: 200, text: '[accepted]' });
      let status = '';
      for (let i = 0; i < 100 && (status = (await v1('GET', `/payment_intents/${intent.id}`)).body.status) === 'unknown'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(status, 'succeeded');
      assert.equal(taken(), 2300, 'taken once');
    } finally {
      await server.kill();
      await adyen.close();
    }
  });
});
