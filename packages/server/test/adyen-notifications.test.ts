/**
 * Adyen's verified notifications settle what Adyen cannot be asked about. Adyen has no API for
 * "what became of the authorization I sent under this reference", so an authorization whose
 * answer was lost (the process killed after the call, a connection dropped after Adyen acted)
 * is settled by Adyen's documented record of truth for it: the HMAC-signed AUTHORISATION
 * notification. And a capture Adyen accepted (`received`, which Kassa books) that fails
 * afterwards (CAPTURE_FAILED) is a discrepancy for the operator; a refund that does
 * (REFUND_FAILED) is undone, its money back in the merchant's balance.
 *
 * The fake (test/fakes/adyen-fake.ts) decides and signs as Adyen does; its own record of
 * payments (and the card's balance) is the witness of what moved, not Kassa's tables. The
 * notifications are posted to `/providers/adyen/webhooks` as Adyen posts them.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { ChildKassa, freePort, ledgerView, openReadOnly, secretKeyOf } from './crash.js';
import { FUTURE_YEAR, boot, outboxTypes, request } from './helpers.js';
import type { Harness } from './helpers.js';
import { Sensitive } from '../src/domain/ports.js';
import { ADYEN_TEST_CARDS, AdyenFake, postAdyenNotifications } from './fakes/adyen-fake.js';
import type { AdyenNotificationItem } from '../src/adapters/adyen/notifications.js';

const API_KEY = 'AQE_notifications';
const MERCHANT = 'KassaECOM';
const CARD = ADYEN_TEST_CARDS.visa;
const START_BALANCE = 1_000_000;


/** A notification is applied just after it is acknowledged: wait until `done` holds (or time out). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, label: string): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  assert.ok(done(value), `${label}: ${JSON.stringify(value).slice(0, 400)}`);
  return value;
}

function authorisationOf(fake: AdyenFake, intentId: string): AdyenNotificationItem {
  const items = fake.notifications.filter((n) => n.eventCode === 'AUTHORISATION' && n.merchantReference === intentId);
  assert.equal(items.length, 1, 'Adyen decided the payment once, and notified it');
  return items[0] as AdyenNotificationItem;
}

describe('an Adyen authorization whose answer died with the process (killed after:provider.authorize)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function rig() {
    const hmacKey = randomBytes(32).toString('hex');
    const fake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey });
    fake.setBalance(CARD, START_BALANCE);
    const dir = mkdtempSync(join(tmpdir(), 'kassa-adyen-truth-'));
    dirs.push(dir);
    const port = await freePort();
    const spec = { type: 'adyen', apiKey: API_KEY, merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, hmacKey };
    const start = (options: { recoverOnStart?: boolean } = {}) =>
      ChildKassa.start(dir, port, { providerSpecs: { test: [spec] }, publicUrl: `http://127.0.0.1:${port}`, ...options });
    let server = await start();
    const sk = secretKeyOf(dir);
    const v1 = (method: string, path: string, body?: unknown) => request(`${server.url}/v1${path}`, method, body, sk);
    const intentOf = async (id: string) => (await v1('GET', `/payment_intents/${id}`)).body as Record<string, any>;
    const taken = () => START_BALANCE - (fake.account(CARD)?.balance ?? START_BALANCE);

    /** Confirms, and the server dies just after Adyen answered (the answer is never recorded). */
    async function killedAfterAuthorize(params: Record<string, unknown>) {
      const created = await v1('POST', '/payment_intents', { amount: 2300, currency: 'eur', ...params });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const intent = created.body as { id: string; client_secret: string };
      const client = (path: string, body: unknown, idem?: string) => request(`${server.url}/client${path}`, 'POST', body, intent.client_secret, idem ? { idem } : {});
      const token = await client('/tokens', { card: { number: CARD, exp_month: 3, exp_year: FUTURE_YEAR, cvc: '737' } });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      const key = randomUUID();
      const confirm = () => client(`/payment_intents/${intent.id}/confirm`, { payment_method: token.body.id }, key);
      await server.arm('after:provider.authorize');
      await confirm().catch(() => undefined);
      const exit = await Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
      assert.equal(exit?.signal, 'SIGKILL', 'the server died just after the call');
      return { intent, confirm };
    }

    return {
      fake,
      dir,
      get server() {
        return server;
      },
      async restart(options: { recoverOnStart?: boolean } = {}) {
        if (server.alive) await server.kill();
        server = await start(options);
        return server;
      },
      intentOf,
      taken,
      killedAfterAuthorize,
      async close() {
        await server.kill();
        await fake.close();
      },
    };
  }

  it('ends unknown; then Adyen’s signed AUTHORISATION charges it exactly once — a replay and the client’s retry change nothing', async () => {
    const r = await rig();
    try {
      const { intent, confirm } = await r.killedAfterAuthorize({});
      await r.restart();
      // Recovery at start cannot ask Adyen: the intent says unknown, and nothing was charged twice.
      assert.equal((await r.intentOf(intent.id)).status, 'unknown');
      assert.equal(r.taken(), 2300, 'Adyen took it once, before the crash');

      const item = authorisationOf(r.fake, intent.id);
      assert.deepEqual(await postAdyenNotifications(r.server.url, item), { status: 200, text: '[accepted]' });
      const settled = await eventually(() => r.intentOf(intent.id), (i) => i.status === 'succeeded', 'settled by the notification');
      assert.equal(settled.amount_received, 2300);
      assert.equal(settled.latest_charge?.startsWith('ch_'), true);

      const auditor = openReadOnly(r.dir, 'kassa.sqlite');
      const events = () => outboxTypes(auditor, intent.id);
      try {
        assert.deepEqual(ledgerView(auditor, intent.id), { acquirer_receivable: 2300, merchant_payable: -2300 });
        assert.deepEqual(events(), ['payment_intent.created', 'payment_intent.outcome_unknown', 'charge.succeeded', 'payment_intent.succeeded']);

        // The same notification again (Adyen retries until acknowledged), and the client's retry.
        assert.deepEqual(await postAdyenNotifications(r.server.url, item), { status: 200, text: '[accepted]' });
        const retried = await confirm();
        assert.equal(retried.body.status, 'succeeded', JSON.stringify(retried.body));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal((await r.intentOf(intent.id)).status, 'succeeded');
        assert.deepEqual(ledgerView(auditor, intent.id), { acquirer_receivable: 2300, merchant_payable: -2300 }, 'booked once');
        assert.equal(events().filter((t) => t === 'payment_intent.succeeded').length, 1, 'the merchant is told once');
      } finally {
        auditor.close();
      }
      assert.deepEqual(
        r.fake.paymentsFor(intent.id).map((p) => [p.status, p.captured]),
        [['captured', 2300]],
        "Adyen's own record: one payment",
      );
      assert.equal(r.taken(), 2300);
    } finally {
      await r.close();
    }
  });

  it('a notification stored before the next restart (its applying died too) settles the hold at the start, once', async () => {
    const r = await rig();
    try {
      const { intent } = await r.killedAfterAuthorize({ capture_method: 'manual' });
      // The next instance does not recover at start, and dies as it applies the notification:
      // the notification is stored and acknowledged, not applied.
      const second = await r.restart({ recoverOnStart: false });
      await second.arm('before:claim');
      const item = authorisationOf(r.fake, intent.id);
      const acked = await postAdyenNotifications(second.url, item).catch(() => ({ status: 0, text: 'cut off' }));
      const exit = await Promise.race([second.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
      assert.equal(exit?.signal, 'SIGKILL', `died applying it (the post was answered ${JSON.stringify(acked)})`);
      const row = openReadOnly(r.dir, 'kassa.sqlite');
      try {
        const stored = row.prepare("SELECT kind, applied_at, evidence IS NOT NULL AS kept FROM provider_notifications WHERE payment_intent = ?").all(intent.id);
        assert.deepEqual(stored, [{ kind: 'AUTHORISATION:true', applied_at: null, kept: 1 }]);
        assert.equal((row.prepare('SELECT status FROM payment_intents WHERE id = ?').get(intent.id) as { status: string }).status, 'processing');
      } finally {
        row.close();
      }

      await r.restart();
      const held = await r.intentOf(intent.id);
      assert.equal(held.status, 'requires_capture', 'settled at the start, by the stored notification');
      assert.equal(held.amount_capturable, 2300);
      const auditor = openReadOnly(r.dir, 'kassa.sqlite');
      try {
        assert.deepEqual(ledgerView(auditor, intent.id), { acquirer_holds: 2300, merchant_holds: -2300 });
        assert.equal(outboxTypes(auditor, intent.id).filter((t) => t === 'payment_intent.amount_capturable_updated').length, 1);
        const applied = auditor.prepare('SELECT applied_at IS NOT NULL AS applied FROM provider_notifications WHERE payment_intent = ?').all(intent.id);
        assert.deepEqual(applied, [{ applied: 1 }], 'and the stored notification is applied (it changes nothing more)');
      } finally {
        auditor.close();
      }
      // And again at the start after: nothing more.
      await r.restart();
      assert.equal((await r.intentOf(intent.id)).status, 'requires_capture');
      assert.deepEqual(r.fake.paymentsFor(intent.id).map((p) => [p.status, p.amount]), [['authorised', 2300]], "Adyen's own record: one hold");
      assert.equal(r.fake.account(CARD)?.held, 2300);
    } finally {
      await r.close();
    }
  });
});

describe('Adyen notifications about a lost answer, in process (Adyen acted, then the connection dropped)', () => {
  async function rig(): Promise<{ h: Harness; fake: AdyenFake; close(): Promise<void> }> {
    const hmacKey = randomBytes(32).toString('hex');
    const fake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey });
    fake.setBalance(CARD, START_BALANCE);
    const h = await boot({
      publicUrl: 'https://pay.shop.test',
      providerSpecs: { test: { type: 'adyen', apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, hmacKey: new Sensitive(hmacKey) } },
    });
    return {
      h,
      fake,
      async close() {
        await h.close();
        await fake.close();
      },
    };
  }

  async function lost(h: Harness, fake: AdyenFake, params: Record<string, unknown> = {}, card: string = CARD) {
    const intent = await h.createIntent({ amount: 2300, currency: 'eur', ...params });
    const token = await h.tokenize(intent.client_secret, { number: card, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
    fake.fault('drop_after', /\/payments$/);
    const r = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
    assert.equal(r.status, 502, JSON.stringify(r.body));
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
    return intent as { id: string };
  }

  const report = (h: Harness) => request(`${h.url}/operator/reconciliation`, 'GET', undefined, h.kassa.operatorKey ?? '');

  it('answered Received: the intent waits as processing (asking Adyen changes nothing); its AUTHORISATION then charges it once', async () => {
    const { h, fake, close } = await rig();
    try {
      fake.holdBack(CARD);
      const intent = await h.createIntent({ amount: 2300, currency: 'eur' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      const r = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.status, r.body.next_action], ['processing', null]);
      assert.equal(await h.kassa.askAwaiting(), 1);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'processing', 'Adyen has not decided: still waiting, not a decline');
      assert.equal(fake.account(CARD)?.balance, START_BALANCE, 'nothing taken yet');
      const [payment] = fake.paymentsFor(intent.id);
      const item = fake.decide(payment!.psp);
      assert.deepEqual(await postAdyenNotifications(h.url, item), { status: 200, text: '[accepted]' });
      const paid = await eventually(
        async () => (await h.v1('GET', `/payment_intents/${intent.id}`)).body,
        (i) => i.status === 'succeeded',
        'charged by the notification',
      );
      assert.equal(paid.amount_received, 2300);
      assert.equal(START_BALANCE - (fake.account(CARD)?.balance ?? START_BALANCE), 2300, 'taken once');
      assert.deepEqual(await postAdyenNotifications(h.url, item), { status: 200, text: '[accepted]' }, 'a replay is acknowledged');
      await h.kassa.askAwaiting();
      assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.processing', 'charge.succeeded', 'payment_intent.succeeded']);
    } finally {
      await close();
    }
  });

  it('refused (success false): back to requires_payment_method with the refusal’s decline code; nothing charged or booked', async () => {
    const { h, fake, close } = await rig();
    try {
      fake.refuseCard(CARD, 'NOT_ENOUGH_BALANCE');
      const intent = await lost(h, fake);
      const item = authorisationOf(fake, intent.id);
      assert.deepEqual([item.success, item.reason], ['false', 'Not enough balance']);
      assert.deepEqual(await postAdyenNotifications(h.url, item), { status: 200, text: '[accepted]' });
      const back = await eventually(
        async () => (await h.v1('GET', `/payment_intents/${intent.id}`)).body,
        (i) => i.status === 'requires_payment_method',
        'declined by the notification',
      );
      assert.equal(back.last_payment_error?.decline_code, 'insufficient_funds');
      assert.deepEqual(ledgerView(h.db(), intent.id), {}, 'nothing booked');
      assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.outcome_unknown', 'charge.failed', 'payment_intent.payment_failed']);
      assert.deepEqual(fake.paymentsFor(intent.id).map((p) => p.status), ['refused']);
      assert.equal(fake.account(CARD)?.balance, START_BALANCE, 'nothing taken');
      assert.deepEqual((await report(h)).body.open_calls, []);
    } finally {
      await close();
    }
  });

  it("a second authorization of an intent, after a refusal, whose answer was lost: its AUTHORISATION settles it; the first one's refusal (its psp known) is told apart", async () => {
    const { h, fake, close } = await rig();
    try {
      const REFUSED = ADYEN_TEST_CARDS.mastercard;
      fake.refuseCard(REFUSED, 'NOT_ENOUGH_BALANCE');
      const intent = await h.createIntent({ amount: 2300, currency: 'eur' });
      const first = await h.tokenize(intent.client_secret, { number: REFUSED, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      const refused = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: first.body.id });
      assert.equal(refused.status, 402, JSON.stringify(refused.body));
      const second = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      fake.fault('drop_after', /\/payments$/);
      const lostAnswer = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: second.body.id });
      assert.equal(lostAnswer.status, 502, JSON.stringify(lostAnswer.body));
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      const items = fake.notifications.filter((n) => n.eventCode === 'AUTHORISATION' && n.merchantReference === intent.id);
      assert.deepEqual(items.map((i) => i.success), ['false', 'true'], 'Adyen decided both, under the one reference');
      // The refusal first: it is the first call's (its psp was answered), so it settles nothing.
      assert.deepEqual(await postAdyenNotifications(h.url, items[0]!), { status: 200, text: '[accepted]' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown', "the first call's refusal is not this call's answer");
      assert.deepEqual(await postAdyenNotifications(h.url, items[1]!), { status: 200, text: '[accepted]' });
      const paid = await eventually(async () => (await h.v1('GET', `/payment_intents/${intent.id}`)).body, (i) => i.status === 'succeeded', 'settled by its own AUTHORISATION');
      assert.equal(paid.amount_received, 2300);
      assert.equal(START_BALANCE - (fake.account(CARD)?.balance ?? START_BALANCE), 2300, 'taken once');
      assert.deepEqual(ledgerView(h.db(), intent.id), { acquirer_receivable: 2300, merchant_payable: -2300 });
      assert.deepEqual((await report(h)).body.open_calls, []);
    } finally {
      await close();
    }
  });

  it('another amount than asked: a discrepancy (report, log), the intent held unknown, never a 500 and never booked at either amount', async () => {
    const { h, fake, close } = await rig();
    try {
      const intent = await lost(h, fake);
      // What Adyen would sign had it authorised 2400: genuine (the HMAC checks), just not what was asked.
      const other = fake.signed({ ...authorisationOf(fake, intent.id), amount: { value: 2400, currency: 'EUR' } });
      assert.deepEqual(await postAdyenNotifications(h.url, other), { status: 200, text: '[accepted]' });
      const listed = await eventually(() => report(h), (r) => r.body.discrepancies?.length === 1, 'the discrepancy is reported');
      assert.deepEqual(
        { ...listed.body.discrepancies[0], id: undefined, created: undefined },
        { id: undefined, created: undefined, payment_intent: intent.id, merchant: h.kassa.merchant, operation: 'authorize', currency: 'eur', expected: 2300, actual: 2400 },
      );
      assert.deepEqual(listed.body.open_calls, [], 'settled as a discrepancy, not open any more');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.deepEqual(ledgerView(h.db(), intent.id), {}, 'no ledger entry guesses which amount is right');
      // The genuine notification of the asked amount, later: the call is settled (as a discrepancy); nothing moves.
      await postAdyenNotifications(h.url, authorisationOf(fake, intent.id));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.deepEqual(ledgerView(h.db(), intent.id), {});
      assert.equal((await report(h)).body.discrepancies.length, 1);
    } finally {
      await close();
    }
  });

  it('for an intent already settled, a notification changes nothing — not even a genuine refusal of another payment under its reference', async () => {
    const { h, fake, close } = await rig();
    try {
      const intent = await h.createIntent({ amount: 2300, currency: 'eur' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(paid.body.status, 'succeeded');
      const item = authorisationOf(fake, intent.id);
      const refusal = fake.signed({ ...item, pspReference: 'RRRRRRRRRRRRRRRR', success: 'false', reason: 'Refused' });
      assert.deepEqual(await postAdyenNotifications(h.url, item, refusal), { status: 200, text: '[accepted]' });
      const rows = await eventually(
        async () => h.db().prepare('SELECT kind, outcome FROM provider_notifications WHERE payment_intent = ? ORDER BY kind').all(intent.id) as Array<{ outcome: string | null }>,
        (all) => all.length === 2 && all.every((n) => n.outcome !== null),
        'both applied',
      );
      assert.deepEqual(rows, [
        { kind: 'AUTHORISATION:false', outcome: 'unchanged:succeeded' },
        { kind: 'AUTHORISATION:true', outcome: 'unchanged:succeeded' },
      ]);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
      assert.deepEqual(ledgerView(h.db(), intent.id), { acquirer_receivable: 2300, merchant_payable: -2300 });
    } finally {
      await close();
    }
  });

  it('CAPTURE_FAILED after a capture booked on "received": a discrepancy in the report, one event, once on a replay; REFUND_FAILED undoes the refund, once', async () => {
    const { h, fake, close } = await rig();
    try {
      const intent = await h.createIntent({ amount: 3000, currency: 'eur', capture_method: 'manual' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      assert.equal((await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id })).body.status, 'requires_capture');
      assert.equal((await h.v1('POST', `/payment_intents/${intent.id}/capture`, {})).body.status, 'succeeded');
      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      assert.equal(refund.body.status, 'succeeded', JSON.stringify(refund.body));
      const psp = authorisationOf(fake, intent.id).pspReference;
      const booked = ledgerView(h.db(), intent.id);

      const captureFailed = fake.rejectCapture(psp);
      assert.deepEqual(await postAdyenNotifications(h.url, captureFailed), { status: 200, text: '[accepted]' });
      const listed = await eventually(() => report(h), (r) => r.body.discrepancies?.length === 1, 'the failed capture is reported');
      assert.deepEqual(
        { ...listed.body.discrepancies[0], id: undefined, created: undefined },
        { id: undefined, created: undefined, payment_intent: intent.id, merchant: h.kassa.merchant, operation: 'capture', currency: 'eur', expected: 3000, actual: 0 },
      );
      // A replay (Adyen retries until acknowledged), and the same item in a new batch: nothing more.
      await postAdyenNotifications(h.url, captureFailed);
      await postAdyenNotifications(h.url, captureFailed, authorisationOf(fake, intent.id));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await report(h)).body.discrepancies.length, 1, 'recorded once');
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'payment_intent.discrepancy').length, 1, 'the merchant is told once');
      const seen = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
      assert.equal(seen.status, 'succeeded', 'never moved backwards (the status table has no way back from succeeded)');

      // A capture is not unbooked: the ledger has no reversal of one; the operator settles it.
      assert.deepEqual(ledgerView(h.db(), intent.id), booked);

      // A failed refund is undone: the refund failed, its money back with the merchant.
      const refundFailed = fake.rejectRefund(psp);
      await postAdyenNotifications(h.url, refundFailed);
      const undone = await eventually(() => h.v1('GET', `/refunds/${refund.body.id}`), (r) => r.body.status === 'failed', 'the refund is failed');
      assert.equal(undone.body.failure_reason, refundFailed.reason);
      await postAdyenNotifications(h.url, refundFailed);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await report(h)).body.discrepancies.length, 1, 'no discrepancy for the refund: the truth, applied');
      assert.deepEqual(ledgerView(h.db(), intent.id), { ...booked, acquirer_receivable: (booked.acquirer_receivable ?? 0) + 1000, merchant_payable: (booked.merchant_payable ?? 0) - 1000 });
      const charge = (await h.v1('GET', `/charges/${seen.latest_charge}`)).body;
      assert.equal(charge.amount_refunded, 0);
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'refund.failed').length, 1, 'the merchant is told once');
      const rows = h.db().prepare("SELECT kind, outcome FROM provider_notifications WHERE kind LIKE '%FAILED%' ORDER BY kind").all();
      assert.deepEqual(rows, [
        { kind: 'CAPTURE_FAILED:true', outcome: 'discrepancy:capture_failed' },
        { kind: 'REFUND_FAILED:true', outcome: 'refund_failed:balance_restored' },
      ]);
    } finally {
      await close();
    }
  });

  it('REFUND_FAILED names its refund by the modification pspReference: of two refunds of one amount the other stays; applied again after a crash between the undo and its bookkeeping, nothing more; one about a refund Kassa never made undoes nothing', async () => {
    const hmacKey = randomBytes(32).toString('hex');
    const fake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey });
    fake.setBalance(CARD, START_BALANCE);
    const dir = mkdtempSync(join(tmpdir(), 'kassa-adyen-refund-failed-'));
    const options = {
      publicUrl: 'https://pay.shop.test',
      providerSpecs: { test: { type: 'adyen' as const, apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, hmacKey: new Sensitive(hmacKey) } },
    };
    let h = await boot(options, dir);
    try {
      const intent = await h.createIntent({ amount: 3000, currency: 'eur' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      assert.equal((await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id })).body.status, 'succeeded');
      const first = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      const second = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      assert.deepEqual([first.body.status, second.body.status], ['succeeded', 'succeeded'], JSON.stringify([first.body, second.body]));
      const psp = authorisationOf(fake, intent.id).pspReference;
      // The card scheme rejects the second (the latest); matching by amount would undo the first.
      const refundFailed = fake.rejectRefund(psp);
      await postAdyenNotifications(h.url, refundFailed);
      await eventually(() => h.v1('GET', `/refunds/${second.body.id}`), (r) => r.body.status === 'failed', 'the second refund is failed');
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded', 'the other refund of the same amount stays');
      const undone = ledgerView(h.db(), intent.id);

      // A refund made in Adyen's Customer Area (a pspReference Kassa never got) fails: not Kassa's to undo.
      const strange = fake.signed({ ...refundFailed, pspReference: 'ZZZZ9999ZZZZ9999' });
      await postAdyenNotifications(h.url, strange);
      const outcomeOf = (id: string) => (h.db().prepare("SELECT outcome FROM provider_notifications WHERE provider_event_id = ?").get(id) as { outcome: string | null } | undefined)?.outcome;
      await eventually(async () => outcomeOf(`${strange.pspReference}:REFUND_FAILED:true`), (o) => o !== null && o !== undefined, 'applied');
      assert.equal(outcomeOf(`${strange.pspReference}:REFUND_FAILED:true`), 'no_booked_refund');
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded');

      // The process died after the undo's commit, before the notification was marked applied: the next start applies it again.
      await h.close();
      const writable = new Database(join(dir, 'kassa.sqlite'), { fileMustExist: true });
      writable.prepare("UPDATE provider_notifications SET applied_at = NULL, outcome = NULL WHERE kind = 'REFUND_FAILED:true'").run();
      writable.close();
      h = await boot(options, dir);
      await eventually(async () => outcomeOf(`${refundFailed.pspReference}:REFUND_FAILED:true`), (o) => o !== null && o !== undefined, 'applied at the start');
      assert.equal(outcomeOf(`${refundFailed.pspReference}:REFUND_FAILED:true`), 'unchanged:refund_failed');
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded', 'the refund that happened is never undone');
      assert.deepEqual(ledgerView(h.db(), intent.id), undone, 'the ledger moved once');
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'refund.failed').length, 1, 'the merchant is told once');
      assert.equal((await h.v1('GET', `/charges/${(await h.v1('GET', `/payment_intents/${intent.id}`)).body.latest_charge}`)).body.amount_refunded, 1000);
    } finally {
      await h.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a REFUND_FAILED that comes while a call on its intent is open waits, and is applied once the call is settled (the minute timer), not at the next start', async () => {
    const { h, fake, close } = await rig();
    try {
      const intent = await h.createIntent({ amount: 3000, currency: 'eur' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      assert.equal((await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id })).body.status, 'succeeded');
      const first = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 1000 });
      assert.equal(first.body.status, 'succeeded', JSON.stringify(first.body));
      const psp = authorisationOf(fake, intent.id).pspReference;
      const refundFailed = fake.rejectRefund(psp);
      // A second refund whose answer is lost: the intent has a call open until recovery settles it.
      fake.fault('drop_after', /\/refunds$/);
      const key = randomUUID();
      const second = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 500 }, { idem: key });
      assert.ok(second.status >= 500, JSON.stringify(second.body));
      await postAdyenNotifications(h.url, refundFailed);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const unapplied = () => h.db().prepare("SELECT COUNT(*) AS n FROM provider_notifications WHERE kind = 'REFUND_FAILED:true' AND applied_at IS NULL").get() as { n: number };
      assert.equal(unapplied().n, 1, 'not applied while the call is open');
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'succeeded');
      // The merchant's same-key retry settles the open call (Adyen cannot be asked; the replay acts once).
      assert.equal((await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 500 }, { idem: key })).body.status, 'succeeded');
      assert.equal(await h.kassa.applyNotifications(), 1);
      assert.equal(unapplied().n, 0);
      assert.equal((await h.v1('GET', `/refunds/${first.body.id}`)).body.status, 'failed', 'applied without a restart');
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'refund.failed').length, 1);
    } finally {
      await close();
    }
  });

  it('a void Adyen accepted and then refused (CANCELLATION, success false): a discrepancy for the operator, once; the intent stays canceled', async () => {
    const { h, fake, close } = await rig();
    try {
      const intent = await h.createIntent({ amount: 1800, currency: 'eur', capture_method: 'manual' });
      const token = await h.tokenize(intent.client_secret, { number: CARD, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      assert.equal((await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id })).body.status, 'requires_capture');
      fake.refuseNextCancel('Transaction Not Permitted');
      const canceled = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
      assert.equal(canceled.body.status, 'canceled', 'booked on "received", as Adyen answers');
      const psp = authorisationOf(fake, intent.id).pspReference;
      const refusal = fake.notificationsFor(psp).find((n) => n.eventCode === 'CANCELLATION');
      assert.equal(refusal?.success, 'false');
      assert.equal(fake.paymentsFor(intent.id)[0]?.status, 'authorised', 'at Adyen the hold stands');
      assert.deepEqual(await postAdyenNotifications(h.url, refusal!), { status: 200, text: '[accepted]' });
      const listed = await eventually(() => report(h), (r) => r.body.discrepancies?.some((d: { payment_intent: string }) => d.payment_intent === intent.id), 'the failed void is reported');
      const row = listed.body.discrepancies.find((d: { payment_intent: string }) => d.payment_intent === intent.id);
      assert.deepEqual([row.operation, row.expected, row.actual, row.currency], ['cancel', 1800, 0, 'eur']);
      await postAdyenNotifications(h.url, refusal!);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await report(h)).body.discrepancies.filter((d: { payment_intent: string }) => d.payment_intent === intent.id).length, 1, 'recorded once');
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'payment_intent.discrepancy').length, 1, 'the merchant is told once');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'canceled', 'never moved backwards');
    } finally {
      await close();
    }
  });
});
