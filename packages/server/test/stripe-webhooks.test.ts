/**
 * Stripe's events on Kassa's inbound route, `POST /providers/stripe/webhooks`, configured the way
 * `kassa serve` configures it (`providerSpecs` with the endpoint's `whsec_…` secret), against the
 * strict Stripe fake, which signs its events with the stripe SDK (not with Kassa's verifier) and
 * posts them as Stripe does. An event is a trigger: applying it asks Stripe, so a 3-D Secure
 * payment whose shopper never came back is still completed, once; a replay, a forgery, a stale
 * or early signature and an event about nothing Kassa handles change nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive } from '../src/domain/ports.js';
import { accountBalance, boot, outboxTypes, request, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';
import type { SentEvent } from './fakes/stripe-fake.js';

const VISA = '4242424242424242';
/** Stripe's test card that always asks for 3-D Secure. */
const THREE_DS = '4000002500003155';

async function withStripe(fn: (fake: StripeFake, h: Harness, url: string) => Promise<void>, o: { webhookSecret?: boolean } = {}): Promise<void> {
  const fake = await StripeFake.start();
  const h = await boot({
    publicUrl: 'https://pay.shop.test',
    providerSpecs: {
      test: { type: 'stripe', secretKey: new Sensitive(fake.secretKey), apiBase: fake.url, ...(o.webhookSecret === false ? {} : { webhookSecret: new Sensitive(fake.webhookSecret) }) },
    },
  });
  const url = `${h.url}/providers/stripe/webhooks`;
  fake.endpoint(url);
  try {
    await fn(fake, h, url);
  } finally {
    await fake.delivered();
    await h.close();
    await fake.close();
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  assert.fail(`never: ${what}`);
}

const stored = (h: Harness) =>
  h.db().prepare('SELECT provider, provider_event_id AS id, kind, payment_intent, provider_ref, outcome FROM provider_notifications ORDER BY received_at, id').all() as {
    provider: string;
    id: string;
    kind: string;
    payment_intent: string | null;
    provider_ref: string | null;
    outcome: string | null;
  }[];

/** A card payment confirmed from the widget; Stripe's events about it have been delivered (and answered). */
async function paid(h: Harness, fake: StripeFake, number: string, amount: number) {
  const intent = await h.createIntent({ amount, currency: 'usd' });
  const token = await h.tokenize(intent.client_secret, { number });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  await fake.delivered();
  // Applied after the acknowledgement: settled before the test moves on (else the race is the test's).
  await until(() => (h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications WHERE applied_at IS NULL').get() as { n: number }).n === 0, 'the events so far are applied');
  const pi = fake.intents().find((i) => i.metadata.kassa_reference === intent.id);
  assert.ok(pi, "the PaymentIntent carries Kassa's reference");
  return { intent, confirmed: confirmed.body, pi: pi.id };
}

const eventOf = (fake: StripeFake, pi: string, type: string): SentEvent => {
  const sent = fake.notifications.findLast((n) => n.event.type === type && n.event.data.object.id === pi);
  return sent ?? assert.fail(`no ${type} for ${pi}`);
};

describe("Stripe's events on /providers/stripe/webhooks", () => {
  it("a 3-D Secure payment whose shopper never came back is completed by payment_intent.succeeded: charged once, in the ledger, the merchant told once; a replay is acknowledged and stored once", () =>
    withStripe(async (fake, h, url) => {
      const { intent, confirmed, pi } = await paid(h, fake, THREE_DS, 5000);
      assert.equal(confirmed.status, 'requires_action');
      const created = eventOf(fake, pi, 'payment_intent.created');
      assert.deepEqual([created.url, created.status, created.answer], [url, 200, ''], 'an event Kassa does not handle: acknowledged');
      assert.equal(eventOf(fake, pi, 'payment_intent.requires_action').status, 200);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_action', 'Kassa asked Stripe: the shopper has not acted yet');

      // The shopper passes the challenge at the bank and closes the window: only Stripe's event tells Kassa.
      fake.challenge(pi, true);
      const succeeded = eventOf(fake, pi, 'payment_intent.succeeded');
      await fake.delivered();
      assert.deepEqual([succeeded.status, succeeded.answer, succeeded.error], [200, '', undefined], 'acknowledged with a 2xx, as Stripe needs');
      await until(async () => (await h.v1('GET', `/payment_intents/${intent.id}`)).body.status === 'succeeded', 'the event completes the payment');

      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([view.body.status, view.body.amount_received], ['succeeded', 5000]);
      assert.equal(fake.account(THREE_DS, 'usd')?.balance, 1_000_000 - 5000, 'charged at Stripe');
      assert.equal(fake.acted('confirm'), 1, 'confirmed at Stripe once: the event only made Kassa ask');
      const db = h.db();
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 5000, 'in the ledger');
      assert.deepEqual(unbalancedTransactions(db), []);
      const types = outboxTypes(db, intent.id);
      assert.equal(types.filter((t) => t === 'payment_intent.succeeded').length, 1, types.join(', '));
      assert.equal(types.filter((t) => t === 'charge.succeeded').length, 1, types.join(', '));
      const rows = stored(h);
      assert.ok(!rows.some((r) => r.kind === 'payment_intent.created'), 'an event about nothing Kassa handles is not stored');
      const row = rows.find((r) => r.id === succeeded.event.id);
      assert.deepEqual(row, { provider: 'stripe', id: succeeded.event.id, kind: 'payment_intent.succeeded', payment_intent: intent.id, provider_ref: pi, outcome: 'completed:succeeded' });

      // Stripe redelivers (newly signed), and a copy of the very request arrives again: both acknowledged, stored once.
      await fake.redeliver(succeeded);
      assert.equal(succeeded.status, 200);
      const again = await request(url, 'POST', undefined, null, { headers: { 'content-type': 'application/json', 'stripe-signature': succeeded.signature }, raw: succeeded.body });
      assert.equal(again.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(stored(h), rows, 'stored once, applied once');
      assert.equal(fake.account(THREE_DS, 'usd')?.balance, 1_000_000 - 5000, 'charged once');
      assert.equal(outboxTypes(db, intent.id).filter((t) => t === 'payment_intent.succeeded').length, 1);
    }));

  it("a refund event, which names the payment by Stripe's id alone, finds its intent (and changes nothing)", () =>
    withStripe(async (fake, h) => {
      const { intent, pi } = await paid(h, fake, VISA, 1500);
      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 500 });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      await fake.delivered();
      await until(() => (h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications WHERE applied_at IS NULL').get() as { n: number }).n === 0, 'applied');
      const refunds = stored(h).filter((r) => r.kind.startsWith('refund.') || r.kind === 'charge.refunded');
      assert.ok(refunds.length > 0, JSON.stringify(stored(h)));
      for (const r of refunds) {
        assert.equal(r.provider_ref, pi);
        assert.equal(r.outcome, 'unchanged:succeeded', `${r.kind}: found by Stripe's id, not no_payment`);
      }
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
    }));

  it("a refund Stripe accepted and then failed (refund.failed): the refund is failed, its money back in the balance as a refund_failure, the merchant told once; the other refund of the same amount untouched; replays change nothing", () =>
    withStripe(async (fake, h) => {
      const { intent, pi } = await paid(h, fake, VISA, 3000);
      const balanceOf = async () => ((await h.v1('GET', '/balance')).body.pending as Array<{ currency: string; amount: number }>).find((b) => b.currency === 'usd')?.amount ?? 0;
      const before = await balanceOf();
      // Two refunds of one amount: the failure names its own by the key Kassa made it under.
      const first = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 700 });
      const second = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 700 });
      assert.deepEqual([first.body.status, second.body.status], ['succeeded', 'succeeded'], JSON.stringify([first.body, second.body]));
      await fake.delivered();
      assert.equal(await balanceOf(), before - 1400);
      const atStripe = fake.refunds().filter((r) => r.payment_intent === pi);
      assert.equal(atStripe.length, 2);
      // Stripe made them in Kassa's order; fail the second one.
      fake.failRefund(atStripe[1]!.id);
      await fake.delivered();
      await until(() => (h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications WHERE applied_at IS NULL').get() as { n: number }).n === 0, 'applied');

      const failedOne = (await h.v1('GET', `/refunds/${second.body.id}`)).body;
      assert.deepEqual([failedOne.status, failedOne.failure_reason], ['failed', 'expired_or_canceled_card']);
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded', 'the other refund of the same amount stays');
      const charge = (await h.v1('GET', `/charges/${(await h.v1('GET', `/payment_intents/${intent.id}`)).body.latest_charge}`)).body;
      assert.deepEqual([charge.amount_refunded, charge.refunded], [700, false]);
      assert.equal(await balanceOf(), before - 700, 'the failed refund is back in the balance');
      const txns = (await h.v1('GET', `/balance_transactions?source=${second.body.id}`)).body.data as Array<{ type: string; amount: number; reporting_category: string }>;
      assert.deepEqual(txns.map((t) => [t.type, t.amount]).sort(), [['refund', -700], ['refund_failure', 700]]);
      const onlyFailures = (await h.v1('GET', '/balance_transactions?type=refund_failure')).body.data as Array<{ source: string }>;
      assert.deepEqual(onlyFailures.map((t) => t.source), [second.body.id]);
      assert.deepEqual(unbalancedTransactions(h.db()), []);
      assert.equal(accountBalance(h.db(), intent.id, 'merchant_payable'), -(3000 - 700));
      // Three events from Stripe about the one failure: the merchant hears of it once.
      const told = outboxTypes(h.db(), intent.id);
      assert.equal(told.filter((t) => t === 'refund.failed').length, 1, told.join(', '));
      const outcomes = stored(h).filter((r) => r.kind === 'refund.failed' || r.kind === 'charge.refund.updated' || (r.kind === 'refund.updated' && r.outcome !== 'unchanged:succeeded'));
      assert.deepEqual(outcomes.map((r) => r.outcome).sort(), ['refund_failed:balance_restored', 'unchanged:refund_failed', 'unchanged:refund_failed']);
      const report = await request(`${h.url}/operator/reconciliation`, 'GET', undefined, h.kassa.operatorKey ?? '');
      assert.deepEqual([report.status, report.body.discrepancies], [200, []], 'not a discrepancy: the truth, applied');
      // A refund made in Stripe's dashboard (no key of Kassa's, an id Kassa never got) of the same
      // amount fails: not Kassa's refund, so nothing of Kassa's is undone.
      const dashboard = await fetch(`${fake.url}/v1/refunds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `payment_intent=${pi}&amount=700`,
      });
      const made = (await dashboard.json()) as { id: string; metadata: Record<string, string> };
      assert.deepEqual([dashboard.status, made.metadata], [200, {}]);
      fake.failRefund(made.id);
      await fake.delivered();
      await until(() => (h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications WHERE applied_at IS NULL').get() as { n: number }).n === 0, 'applied');
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded', "a dashboard refund's failure undoes no refund of Kassa's");
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'refund.failed').length, 1);
      assert.equal(await balanceOf(), before - 700);
      // The refund failed: what is left to refund is 2300 again.
      const again = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 2300 });
      assert.equal(again.body.status, 'succeeded', JSON.stringify(again.body));
    }));

  it('a forged signature, one changed byte, a timestamp too old or ahead: 400 notification_invalid, nothing stored; an event Kassa ignores: 2xx, nothing stored', () =>
    withStripe(async (fake, h, url) => {
      const { intent, pi } = await paid(h, fake, VISA, 1200);
      const genuine = eventOf(fake, pi, 'payment_intent.succeeded');
      assert.equal(genuine.status, 200);
      const before = stored(h);
      const post = (body: string, signature: string) => request(url, 'POST', undefined, null, { headers: { 'content-type': 'application/json', 'stripe-signature': signature }, raw: body });
      const refused = async (body: string, signature: string, what: string) => {
        const res = await post(body, signature);
        assert.deepEqual([res.status, res.body?.error?.type, res.body?.error?.code], [400, 'invalid_request_error', 'notification_invalid'], `${what}: ${JSON.stringify(res.body)}`);
      };
      // Aimed at another payment: the intent id and Kassa's reference changed, each by one byte.
      const byte = (s: string) => `${s.slice(0, -1)}${s.endsWith('a') ? 'b' : 'a'}`;
      await refused(genuine.body.replace(pi, byte(pi)), genuine.signature, 'one byte of the PaymentIntent id');
      await refused(genuine.body.replace(intent.id, byte(intent.id)), genuine.signature, "one byte of Kassa's reference");
      await refused(genuine.body, fake.sign(genuine.body, { secret: 'whsec_not_the_endpoints' }), 'signed with another secret');
      await refused(genuine.body, genuine.signature.replace(/v1=([0-9a-f])/, (_, c: string) => `v1=${c === '0' ? '1' : '0'}`), 'a forged signature');
      await refused(genuine.body, '', 'no signature');
      const now = Math.floor(Date.now() / 1000);
      await refused(genuine.body, fake.sign(genuine.body, { timestamp: now - 3600 }), 'signed an hour ago');
      await refused(genuine.body, fake.sign(genuine.body, { timestamp: now + 3600 }), 'signed an hour ahead');
      assert.deepEqual(stored(h), before, 'nothing stored');

      const other = JSON.stringify({ id: 'evt_customer_1', object: 'event', api_version: '2026-01-01', created: now, livemode: false, type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } });
      const ignored = await post(other, fake.sign(other));
      assert.equal(ignored.status, 200, 'acknowledged, or Stripe retries it for days');
      assert.deepEqual(stored(h), before, 'and not stored');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded', 'nothing moved');

      // Signed, but a failed Refund without the amount it gives back cannot be applied: refused
      // (Stripe shows the endpoint failing) rather than dropped or guessed.
      const broken = JSON.stringify({
        id: 'evt_refund_broken', object: 'event', api_version: '2026-01-01', created: now, livemode: false, type: 'refund.failed',
        data: { object: { id: 're_1', object: 'refund', payment_intent: pi, status: 'failed', currency: 'usd', failure_reason: 'lost_or_stolen_card', metadata: {} } },
      });
      await refused(broken, fake.sign(broken), 'a failed Refund without its amount');
      assert.deepEqual(stored(h), before, 'nothing stored');
    }));

  it('without a webhook secret configured, the route refuses Stripe events (400) instead of taking them unverified', () =>
    withStripe(
      async (fake, h, url) => {
        const { pi } = await paid(h, fake, VISA, 1500);
        const genuine = eventOf(fake, pi, 'payment_intent.succeeded');
        assert.deepEqual([genuine.url, genuine.status], [url, 400], 'a genuinely signed event, refused');
        assert.match(genuine.answer ?? '', /notification_invalid/);
        assert.equal(eventOf(fake, pi, 'payment_intent.created').status, 400, 'even one Kassa would ignore: nothing is read unverified');
        assert.deepEqual(stored(h), []);
      },
      { webhookSecret: false },
    ));

  it('a webhook secret that is not whsec_ stops the server at start', async () => {
    await assert.rejects(
      boot({ publicUrl: 'https://pay.shop.test', providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive('sk_test_abc'), webhookSecret: new Sensitive('sk_test_abc') } } }),
      /Stripe webhook secret for test mode must start with whsec_/,
    );
  });
});
