/**
 * The Alipay adapter against the strict local fake of Alipay's gateway (test/fakes/alipay-fake.ts):
 * the port's conformance suite (as a wallet: the shopper scans and pays the QR code), then what is
 * Alipay's own — both flows, expiry, refunds by out_request_no, exact lookup of lost answers, the
 * definite / ambiguous classification of each failure, RSA2 signatures both ways, notifications,
 * amounts, secrets — and tests of the fake itself, so its strictness is not taken on trust.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import type { Currency } from '@kassa/core';
import { AlipayProvider, beijingTime } from '../src/adapters/alipay/provider.js';
import type { AlipayProviderConfig } from '../src/adapters/alipay/provider.js';
import { fromAlipayAmount, toAlipayAmount } from '../src/adapters/alipay/amounts.js';
import { decodeReference, outRequestNoFor, outTradeNoFor, referenceOf } from '../src/adapters/alipay/references.js';
import { NotificationRejected, ProviderFailure, Sensitive } from '../src/domain/ports.js';
import type { AuthorizeOutcome, AuthorizeRequest } from '../src/domain/ports.js';
import { lookupOf, providerConformance } from './provider-conformance.js';
import type { ActionOutcome } from './provider-conformance.js';
import { AlipayFake, beijing, generateRsaKeyPair, rsa2Sign, rsa2Verify, signContent } from './fakes/alipay-fake.js';

const EXPIRY_MS = 15 * 60_000;
const TIMEOUT_MS = 15_000;
/** Past the adapter's decision time for an unpaid payment: its expiry, one call's timeout and a minute of clock skew. */
const PAST_EXPIRY_MS = EXPIRY_MS + TIMEOUT_MS + 60_000 + 1000;
/** Nothing listens there: the fake's deliveries fail at once and are only recorded. */
const NOWHERE = 'http://127.0.0.1:9/alipay/notify';
const returnUrl = (ref: string): string => `https://shop.example.test/alipay/return/${ref}`;

function adapterFor(fake: AlipayFake, o: Partial<AlipayProviderConfig> = {}): AlipayProvider {
  return new AlipayProvider({
    appId: fake.appId,
    privateKey: new Sensitive(fake.appPrivateKey!),
    alipayPublicKey: fake.alipayPublicKey,
    gateway: fake.gateway,
    returnUrl,
    notifyUrl: NOWHERE,
    timeoutMs: TIMEOUT_MS,
    now: () => fake.now(),
    ...o,
  });
}

const payment = (o: Partial<AuthorizeRequest> & { flow?: 'qr_code' | 'redirect' } = {}): AuthorizeRequest => {
  const { flow = 'qr_code', ...rest } = o;
  return {
    idempotencyKey: randomUUID(),
    amount: 1234,
    currency: 'cny',
    capture: true,
    method: { type: 'alipay', flow },
    reference: `pi_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    offSession: false,
    ...rest,
  };
};


function waiting(o: AuthorizeOutcome): ActionOutcome {
  assert.equal(o.status, 'requires_action', JSON.stringify(o));
  return o as ActionOutcome;
}

function qrOf(o: AuthorizeOutcome): { data: string; expiresAt: number; reference: string } {
  const w = waiting(o);
  assert.equal(w.action.type, 'qr_code');
  return w.action.type === 'qr_code' ? { data: w.action.data, expiresAt: w.action.expiresAt, reference: w.reference } : assert.fail();
}

async function failure(p: Promise<unknown>): Promise<ProviderFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProviderFailure, `expected a ProviderFailure, got ${inspect(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

const complete = (provider: AlipayProvider, reference: string, o: { amount?: number; details?: Record<string, string> } = {}) =>
  provider.completeAction({ idempotencyKey: randomUUID(), reference, amount: o.amount ?? 1234, currency: 'cny', capture: true, details: o.details });

/** The shopper scans the code and pays in the Alipay app (the fake's app page, over HTTP). */
async function scanAndPay(o: ActionOutcome): Promise<undefined> {
  assert.equal(o.action.type, 'qr_code');
  const paid = await fetch(`${o.action.type === 'qr_code' ? o.action.data : ''}/pay`, { method: 'POST' });
  assert.equal(paid.status, 200, await paid.text());
  return undefined;
}

providerConformance('alipay', async () => {
  const fake = await AlipayFake.start();
  return {
    provider: adapterFor(fake),
    currency: 'cny' as Currency,
    wallet: {
      method: { type: 'alipay', flow: 'qr_code' },
      approve: scanAndPay,
      // Nobody scans: the code expires (the fake's clock, which the adapter reads too, moves on).
      refuse: async () => {
        fake.advance(PAST_EXPIRY_MS);
        return undefined;
      },
    },
    // What the fake posted to notify_url when the shopper paid (to nowhere here: kept all the same).
    notification: async ({ providerRef }) => {
      const sent = (await fake.delivered()).findLast((n) => n.params.out_trade_no === providerRef);
      assert.ok(sent, `the fake notified about ${providerRef}`);
      return { raw: Buffer.from(sent.body), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
    },
    close: () => fake.close(),
  };
});

describe('alipay adapter', () => {
  let fake: AlipayFake;
  let alipay: AlipayProvider;
  before(async () => {
    fake = await AlipayFake.start();
    alipay = adapterFor(fake);
  });
  after(() => fake.close());

  describe('QR code (alipay.trade.precreate)', () => {
    it('precreates with a derived out_trade_no, a decimal amount, the expiry and notify_url, signed and stamped in Beijing time', async () => {
      const r = payment({ amount: 1999 });
      const before = fake.now();
      const qr = qrOf(await adapterFor(fake, { now: () => before }).authorize(r));
      const sent = fake.requests.findLast((q) => q.method === 'alipay.trade.precreate');
      assert.ok(sent, 'the precreate was sent');
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      assert.deepEqual(sent.biz, { out_trade_no: outTradeNo, total_amount: '19.99', subject: `Payment ${r.reference}`, product_code: 'FACE_TO_FACE_PAYMENT', qr_code_timeout_express: '15m' });
      assert.equal(sent.params.notify_url, NOWHERE);
      assert.equal(sent.params.sign_type, 'RSA2');
      assert.equal(sent.params.timestamp, beijing(before), 'Beijing time from the adapter clock, whatever the machine zone');
      assert.equal(sent.code, '10000');
      assert.equal(qr.data, fake.trade(outTradeNo)?.qrCode);
      assert.match(qr.data, /^http:\/\/127\.0\.0\.1:\d+\/qr\/[0-9a-f]+$/);
      assert.equal(qr.expiresAt, before + EXPIRY_MS);
      assert.equal(decodeReference(qr.reference).outTradeNo, outTradeNo);
    });

    it('not paid yet → the same action again; scanned, still unpaid → the same; paid → captured with the amount Alipay reports', async () => {
      const r = payment();
      const first = waiting(await alipay.authorize(r));
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      assert.deepEqual(await complete(alipay, first.reference), first, 'a precreated code does not exist at Alipay until scanned (ACQ.TRADE_NOT_EXIST)');
      fake.scan(outTradeNo);
      assert.equal(fake.trade(outTradeNo)?.status, 'WAIT_BUYER_PAY');
      assert.deepEqual(await complete(alipay, first.reference), first);
      await fake.pay(outTradeNo);
      assert.deepEqual(await complete(alipay, first.reference), { status: 'captured', reference: outTradeNo, amount: 1234 });
      assert.deepEqual(await complete(alipay, first.reference, { amount: 1 }), { status: 'captured', reference: outTradeNo, amount: 1234 }, "the amount is Alipay's, not the request's");
    });

    it('repeated under its key: one pre-order, the same code — even after a restart (a new adapter), where only the expiry is recomputed', async () => {
      const r = payment();
      const t0 = fake.now();
      const adapter = adapterFor(fake, { now: () => t0 });
      const first = qrOf(await adapter.authorize(r));
      assert.deepEqual(await adapter.authorize(r), await adapter.authorize(r));
      const restarted = qrOf(await adapterFor(fake, { now: () => t0 + 60_000 }).authorize(r));
      assert.equal(restarted.data, first.data, "Alipay's idempotency by out_trade_no: the same code");
      assert.equal(restarted.expiresAt, first.expiresAt + 60_000, 'a later deadline (safe: it only waits longer before closing)');
      assert.equal(fake.trades().filter((t) => t.outTradeNo === outTradeNoFor(r.reference, r.idempotencyKey)).length, 1);
    });

    it('expired and never scanned → declined (authentication_failure, raw `expired`), and the code cannot be paid any more', async () => {
      const qr = qrOf(await alipay.authorize(payment()));
      fake.advance(EXPIRY_MS + 1000);
      assert.equal((await complete(alipay, qr.reference)).status, 'requires_action', 'until the margin for a late scan has passed');
      fake.advance(PAST_EXPIRY_MS - EXPIRY_MS);
      assert.deepEqual(await complete(alipay, qr.reference), { status: 'declined', declineCode: 'authentication_failure', message: 'The shopper did not pay with Alipay before the payment expired.', rawCode: 'expired' });
      assert.equal((await fetch(`${qr.data}/pay`, { method: 'POST' })).status, 410);
    });

    it('scanned, unpaid, past the adapter\'s expiry (its clock ahead of Alipay\'s) → the adapter closes the trade, then declines', async () => {
      let skew = 0;
      const fast = adapterFor(fake, { qrExpiryMs: 60_000, timeoutMs: 1000, now: () => fake.now() + skew });
      const r = payment();
      const qr = qrOf(await fast.authorize(r));
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      fake.scan(outTradeNo);
      skew = 60_000 + 1000 + 60_000 + 1; // Alipay's clock has not reached the code's expiry yet
      const closesBefore = fake.acted('alipay.trade.close');
      assert.deepEqual(await complete(fast, qr.reference), { status: 'declined', declineCode: 'authentication_failure', message: 'The shopper did not pay with Alipay before the payment expired.', rawCode: 'expired' });
      assert.equal(fake.acted('alipay.trade.close'), closesBefore + 1);
      assert.equal(fake.trade(outTradeNo)?.status, 'TRADE_CLOSED', 'closed at Alipay: the shopper cannot pay it any more');
      await assert.rejects(fake.pay(outTradeNo), /not payable/);
    });

    it('a trade Alipay closed itself (its timeout after a scan) is declined as TRADE_CLOSED', async () => {
      const r = payment();
      const qr = qrOf(await alipay.authorize(r));
      fake.scan(outTradeNoFor(r.reference, r.idempotencyKey));
      fake.advance(EXPIRY_MS);
      assert.deepEqual(await complete(alipay, qr.reference), { status: 'declined', declineCode: 'generic_decline', message: 'Alipay closed the trade unpaid.', rawCode: 'TRADE_CLOSED' });
    });

    it('cancel revokes the code (alipay.trade.cancel): canceled, the code dead, completeAction declines; a paid payment is not canceled', async () => {
      const r = payment();
      const qr = qrOf(await alipay.authorize(r));
      const key = randomUUID();
      assert.deepEqual(await alipay.cancel({ idempotencyKey: key, reference: qr.reference, amount: 1234, currency: 'cny' }), { status: 'canceled' });
      assert.equal(fake.requests.findLast((q) => q.method === 'alipay.trade.cancel')?.code, '10000');
      assert.equal((await fetch(`${qr.data}/pay`, { method: 'POST' })).status, 410);
      assert.deepEqual(await alipay.lookup(lookupOf(r, { operation: 'cancel', idempotencyKey: key, providerRef: qr.reference })), { operation: 'cancel', outcome: { status: 'canceled' } });
      assert.equal((await complete(alipay, qr.reference)).status, 'declined');

      const paid = payment();
      const pq = qrOf(await alipay.authorize(paid));
      await fake.pay(outTradeNoFor(paid.reference, paid.idempotencyKey));
      const done = await complete(alipay, pq.reference);
      assert.equal(done.status, 'captured');
      const refused = await alipay.cancel({ idempotencyKey: randomUUID(), reference: done.status === 'captured' ? done.reference : '', amount: 1234, currency: 'cny' });
      assert.deepEqual([refused.status, refused.status === 'failed' && refused.rawCode], ['failed', 'TRADE_SUCCESS']);
      assert.equal(fake.requests.findLast((q) => q.method === 'alipay.trade.close')?.subCode, 'ACQ.TRADE_STATUS_ERROR', "a paid trade's reference is closed (refused), never revoked (which would refund it)");
    });
  });

  describe('cashier redirect (alipay.trade.wap.pay)', () => {
    it('is a signed GET URL to the gateway built without a call; the fake verifies it, and a tampered one is refused', async () => {
      const r = payment({ flow: 'redirect' });
      const sentBefore = fake.requests.length;
      const started = fake.now();
      const w = waiting(await adapterFor(fake, { now: () => started }).authorize(r));
      assert.equal(fake.requests.length, sentBefore, 'no call to Alipay: the shopper\'s browser sends it');
      assert.equal(w.action.type, 'redirect');
      const url = new URL(w.action.type === 'redirect' ? w.action.url : '');
      assert.equal(`${url.origin}${url.pathname}`, fake.gateway);
      const params = Object.fromEntries(url.searchParams);
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      assert.equal(params.method, 'alipay.trade.wap.pay');
      assert.equal(params.timestamp, beijing(started));
      assert.equal(params.return_url, returnUrl(w.reference));
      assert.equal(params.notify_url, NOWHERE);
      assert.deepEqual(JSON.parse(params.biz_content!), {
        out_trade_no: outTradeNo,
        total_amount: '12.34',
        subject: `Payment ${r.reference}`,
        product_code: 'QUICK_WAP_WAY',
        time_expire: beijing(started + EXPIRY_MS),
        quit_url: returnUrl(w.reference),
      });
      assert.ok(rsa2Verify(signContent(params), params.sign!, fake.appPublicKey), 'RSA2 over the sorted parameters, with the app key');

      const tampered = new URL(url);
      tampered.searchParams.set('biz_content', params.biz_content!.replace('"12.34"', '"0.01"'));
      const refused = await (await fetch(tampered)).text();
      assert.match(refused, /data-sub-code="isv\.invalid-signature"/);
      assert.equal(fake.trade(outTradeNo), undefined, 'a refused URL makes no trade');

      const page = await (await fetch(url)).text();
      assert.match(page, /<button type="submit" id="pay">Pay<\/button>/);
      assert.equal(fake.trade(outTradeNo)?.status, 'WAIT_BUYER_PAY', 'opening the cashier creates the trade');
    });

    it('pay at the cashier → notification and a signed return to return_url; completeAction (with the return query) captures', async () => {
      const r = payment({ flow: 'redirect' });
      const w = waiting(await alipay.authorize(r));
      assert.deepEqual(await complete(alipay, w.reference), w, 'not opened yet: the same action again');
      const back = await fake.payCashier(w.action.type === 'redirect' ? w.action.url : '');
      assert.ok(back.location.startsWith(returnUrl(w.reference)), back.location);
      assert.equal(back.details.method, 'alipay.trade.wap.pay.return');
      const { sign, sign_type: _, ...signed } = back.details;
      assert.ok(rsa2Verify(signContent(signed), sign!, fake.alipayPublicKey), "the return parameters carry Alipay's signature");
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      assert.deepEqual(await complete(alipay, w.reference, { details: back.details }), { status: 'captured', reference: outTradeNo, amount: 1234 });
      const sent = fake.notifications.findLast((n) => n.params.out_trade_no === outTradeNo);
      assert.equal(sent?.params.trade_status, 'TRADE_SUCCESS');
    });

    it('cancel: a cashier never opened cannot be withdrawn before its time_expire (failed), then is; an opened one is closed', async () => {
      const never = waiting(await alipay.authorize(payment({ flow: 'redirect' })));
      const early = await alipay.cancel({ idempotencyKey: randomUUID(), reference: never.reference, amount: 1234, currency: 'cny' });
      assert.deepEqual([early.status, early.status === 'failed' && early.rawCode], ['failed', 'ACQ.TRADE_NOT_EXIST']);

      const opened = payment({ flow: 'redirect' });
      const w = waiting(await alipay.authorize(opened));
      await fetch(w.action.type === 'redirect' ? w.action.url : '');
      assert.deepEqual(await alipay.cancel({ idempotencyKey: randomUUID(), reference: w.reference, amount: 1234, currency: 'cny' }), { status: 'canceled' });
      assert.equal(fake.trade(outTradeNoFor(opened.reference, opened.idempotencyKey))?.status, 'TRADE_CLOSED');
      assert.deepEqual(await alipay.cancel({ idempotencyKey: randomUUID(), reference: w.reference, amount: 1234, currency: 'cny' }), { status: 'canceled' }, 'again: still canceled');
      assert.equal((await complete(alipay, w.reference)).status, 'declined');

      fake.advance(PAST_EXPIRY_MS);
      assert.deepEqual(await alipay.cancel({ idempotencyKey: randomUUID(), reference: never.reference, amount: 1234, currency: 'cny' }), { status: 'canceled' }, 'past its time_expire it can never be paid');
      assert.match(await (await fetch(never.action.type === 'redirect' ? never.action.url : '')).text(), /ACQ\.TRADE_HAS_CLOSE/, 'the late URL makes no trade');
    });
  });

  describe('refunds (alipay.trade.refund, by out_request_no)', () => {
    async function paidTrade(amount = 2000): Promise<string> {
      const r = payment({ amount });
      const qr = qrOf(await alipay.authorize(r));
      await fake.pay(outTradeNoFor(r.reference, r.idempotencyKey));
      const done = await complete(alipay, qr.reference, { amount });
      assert.equal(done.status, 'captured');
      return done.status === 'captured' ? done.reference : '';
    }

    it('partial and several, each once by its out_request_no; more than is left → failed with the refusal; never more than paid', async () => {
      const ref = await paidTrade(2000);
      const first = { idempotencyKey: randomUUID(), reference: ref, amount: 701, currency: 'cny' as Currency };
      assert.deepEqual(await alipay.refund(first), { status: 'succeeded', amount: 701 });
      const sent = fake.requests.findLast((q) => q.method === 'alipay.trade.refund');
      assert.deepEqual(sent?.biz, { out_trade_no: ref, refund_amount: '7.01', out_request_no: outRequestNoFor(first.idempotencyKey) });
      const queries = fake.requests.filter((q) => q.method === 'alipay.trade.fastpay.refund.query').length;
      assert.deepEqual(await alipay.refund(first), { status: 'succeeded', amount: 701 }, 'repeated: Alipay answers fund_change N');
      assert.equal(fake.requests.filter((q) => q.method === 'alipay.trade.fastpay.refund.query').length, queries + 1, 'fund_change N is confirmed by the refund query');
      assert.deepEqual(await alipay.refund({ ...first, idempotencyKey: randomUUID(), amount: 1000 }), { status: 'succeeded', amount: 1000 });
      assert.deepEqual(await alipay.refund({ ...first, idempotencyKey: randomUUID(), amount: 300 }), {
        status: 'failed',
        declineCode: 'processing_error',
        message: '退款金额超限',
        rawCode: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
      });
      assert.deepEqual(await alipay.refund({ ...first, idempotencyKey: randomUUID(), amount: 299 }), { status: 'succeeded', amount: 299 });
      assert.equal(fake.trade(ref)?.refundedFen, 2000);
      assert.equal(fake.trade(ref)?.status, 'TRADE_CLOSED', 'refunded in full');
      const again = await alipay.refund({ ...first, idempotencyKey: randomUUID(), amount: 1 });
      assert.deepEqual([again.status, again.status === 'failed' && again.rawCode], ['failed', 'ACQ.TRADE_STATUS_ERROR']);
    });

    it('a refund of an unpaid or unknown trade is refused: failed, or definite when Alipay has no trade', async () => {
      const r = payment();
      const qr = qrOf(await alipay.authorize(r));
      const e = await failure(alipay.refund({ idempotencyKey: randomUUID(), reference: qr.reference, amount: 100, currency: 'cny' }));
      assert.deepEqual([e.certainty, e.rawCode], ['definite', 'ACQ.TRADE_NOT_EXIST']);
      fake.scan(outTradeNoFor(r.reference, r.idempotencyKey));
      const unpaid = await alipay.refund({ idempotencyKey: randomUUID(), reference: qr.reference, amount: 100, currency: 'cny' });
      assert.deepEqual([unpaid.status, unpaid.status === 'failed' && unpaid.rawCode], ['failed', 'ACQ.TRADE_STATUS_ERROR']);
    });

    it('lookup finds a refund whose answer was lost, and says null for one Alipay never received', async () => {
      const ref = await paidTrade(1500);
      const lost = { idempotencyKey: randomUUID(), reference: ref, amount: 500, currency: 'cny' as Currency };
      fake.fault('alipay.trade.refund', '500-after');
      assert.equal((await failure(alipay.refund(lost))).certainty, 'ambiguous');
      const asked = { idempotencyKey: lost.idempotencyKey, operation: 'refund', reference: 'pi_x', providerRef: ref, amount: 500, currency: 'cny', capture: true, madeAt: Date.now() } as const;
      assert.deepEqual(await alipay.lookup(asked), { operation: 'refund', outcome: { status: 'succeeded', amount: 500 } });
      const never = { ...lost, idempotencyKey: randomUUID() };
      fake.fault('alipay.trade.refund', '500-before');
      assert.equal((await failure(alipay.refund(never))).certainty, 'ambiguous', 'a 500 cannot tell before from after');
      assert.equal(await alipay.lookup({ ...asked, idempotencyKey: never.idempotencyKey }), null);
      assert.deepEqual(await alipay.refund(never), { status: 'succeeded', amount: 500 }, 'made again under its key');
      assert.deepEqual(await alipay.refund(lost), { status: 'succeeded', amount: 500 }, 'and the lost one, again: once');
      assert.equal(fake.trade(ref)?.refundedFen, 1000);
    });
  });

  describe('lookup of lost answers', () => {
    it('authorize: a precreate whose answer was lost is null (no shopper has the code), and made again is the same pre-order; paid → captured', async () => {
      const r = payment();
      fake.fault('alipay.trade.precreate', 'drop-after');
      assert.equal((await failure(alipay.authorize(r))).certainty, 'ambiguous');
      const outTradeNo = outTradeNoFor(r.reference, r.idempotencyKey);
      const made = fake.trade(outTradeNo);
      assert.equal(made?.status, 'PRECREATED', 'the fake did make it');
      assert.equal(await alipay.lookup(lookupOf(r)), null);
      assert.equal(qrOf(await alipay.authorize(r)).data, made.qrCode, 'the same code: Alipay keeps one pre-order per out_trade_no');
      await fake.pay(outTradeNo);
      assert.deepEqual(await adapterFor(fake).lookup(lookupOf(r)), { operation: 'authorize', outcome: { status: 'captured', reference: outTradeNo, amount: 1234 } });
    });

    it('authorize: scanned but not paid, and no answer known → not sure (ambiguous) rather than "never saw it"', async () => {
      const r = payment();
      await alipay.authorize(r);
      fake.scan(outTradeNoFor(r.reference, r.idempotencyKey));
      const e = await failure(adapterFor(fake).lookup(lookupOf(r)));
      assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'WAIT_BUYER_PAY']);
    });

    it('complete_action: a query whose answer was lost is asked again', async () => {
      const r = payment();
      const qr = qrOf(await alipay.authorize(r));
      await fake.pay(outTradeNoFor(r.reference, r.idempotencyKey));
      fake.fault('alipay.trade.query', 'drop-after');
      assert.equal((await failure(complete(alipay, qr.reference))).certainty, 'ambiguous');
      assert.deepEqual(await alipay.lookup(lookupOf(r, { operation: 'complete_action', idempotencyKey: randomUUID(), providerRef: qr.reference })), {
        operation: 'complete_action',
        outcome: { status: 'captured', reference: outTradeNoFor(r.reference, r.idempotencyKey), amount: 1234 },
      });
      assert.equal(await alipay.lookup(lookupOf(r, { operation: 'capture', providerRef: qr.reference })), null, 'the adapter never captures');
    });
  });

  describe('failures: definite or ambiguous', () => {
    it('a refused connection (nothing sent) is definite', async () => {
      const gone = await AlipayFake.start();
      const gateway = gone.gateway;
      await gone.close();
      const e = await failure(adapterFor(fake, { gateway }).authorize(payment()));
      assert.deepEqual([e.certainty, e.rawCode], ['definite', 'ECONNREFUSED']);
    });

    const faults = [
      ['500-before', 'http_500'],
      ['500-after', 'http_500'],
      ['drop-before', undefined],
      ['drop-after', undefined],
      ['system-error-before', 'ACQ.SYSTEM_ERROR'],
      ['system-error-after', 'ACQ.SYSTEM_ERROR'],
      ['garbage', 'unreadable_answer'],
      ['unsigned', 'unsigned_answer'],
      ['bad-sign', 'invalid_response_signature'],
    ] as const;
    for (const [kind, raw] of faults) {
      it(`${kind} → ambiguous${raw ? ` (${raw})` : ''}, and the trade's truth is found by lookup afterwards`, async () => {
        const r = payment();
        const qr = qrOf(await alipay.authorize(r));
        await fake.pay(outTradeNoFor(r.reference, r.idempotencyKey));
        fake.fault('alipay.trade.query', kind);
        const e = await failure(complete(alipay, qr.reference));
        assert.equal(e.certainty, 'ambiguous');
        if (raw) assert.equal(e.rawCode, raw);
        else assert.ok(e.rawCode === 'connection_lost' || /^(ECONNRESET|UND_ERR_SOCKET)$/.test(String(e.rawCode)), String(e.rawCode));
        assert.equal((await complete(alipay, qr.reference)).status, 'captured');
      });
    }

    it('a precreate answered ACQ.SYSTEM_ERROR after acting is ambiguous, and the same call under its key finds the code', async () => {
      const r = payment();
      fake.fault('alipay.trade.precreate', 'system-error-after');
      assert.deepEqual((await failure(alipay.authorize(r))).certainty, 'ambiguous');
      assert.equal(qrOf(await alipay.authorize(r)).data, fake.trade(outTradeNoFor(r.reference, r.idempotencyKey))?.qrCode);
    });

    it("Alipay's refusals of the request (bad signature, unknown app, invalid parameter) are definite, and nothing was made", async () => {
      const count = fake.trades().length;
      const wrongKey = await failure(adapterFor(fake, { privateKey: new Sensitive(generateRsaKeyPair().privateKey) }).authorize(payment()));
      assert.deepEqual([wrongKey.certainty, wrongKey.rawCode], ['definite', 'isv.invalid-signature']);
      const wrongApp = await failure(adapterFor(fake, { appId: '2021000000000001' }).authorize(payment()));
      assert.deepEqual([wrongApp.certainty, wrongApp.rawCode], ['definite', 'isv.invalid-app-id']);
      const badSubject = await failure(adapterFor(fake, { subject: () => 'a/b=c' }).authorize(payment()));
      assert.deepEqual([badSubject.certainty, badSubject.rawCode], ['definite', 'ACQ.INVALID_PARAMETER']);
      assert.equal(fake.trades().length, count);
    });

    it("an answer signed with another key than Alipay's configured one is not believed (ambiguous)", async () => {
      const other = adapterFor(fake, { alipayPublicKey: generateRsaKeyPair().publicKey });
      const e = await failure(other.authorize(payment()));
      assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'invalid_response_signature']);
    });

    it('the same out_trade_no with other parameters (ACQ.CONTEXT_INCONSISTENT) is ambiguous: the first request may be paid', async () => {
      const r = payment();
      await alipay.authorize(r);
      const e = await failure(adapterFor(fake).authorize({ ...r, amount: 999 }));
      assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'ACQ.CONTEXT_INCONSISTENT']);
    });

    it('what the adapter refuses itself is definite and sends nothing: another method, a manual capture, off-session, another currency, capture', async () => {
      const sent = fake.requests.length;
      const cases: [Promise<unknown>, string][] = [
        [alipay.authorize(payment({ method: { type: 'paypal' } })), 'unsupported_payment_method'],
        [alipay.authorize(payment({ capture: false })), 'manual_capture_unsupported'],
        [alipay.authorize(payment({ offSession: true })), 'off_session_unsupported'],
        [alipay.authorize(payment({ currency: 'usd' })), 'unsupported_currency'],
        [alipay.capture({ idempotencyKey: randomUUID(), reference: 'x', amount: 100, currency: 'cny' }), 'capture_unsupported'],
        [alipay.refund({ idempotencyKey: randomUUID(), reference: 'not/ours', amount: 100, currency: 'cny' }), 'invalid_reference'],
      ];
      for (const [call, raw] of cases) {
        const e = await failure(call);
        assert.deepEqual([e.certainty, e.rawCode], ['definite', raw]);
      }
      assert.equal(fake.requests.length, sent);
    });

    it('a hung call is torn down at the signal, promptly, as ambiguous; an already aborted signal sends nothing (definite)', async () => {
      const r = payment();
      const qr = qrOf(await alipay.authorize(r));
      fake.fault('alipay.trade.query', 'hang-before');
      const abort = new AbortController();
      const started = Date.now();
      setTimeout(() => abort.abort(), 150);
      const e = await failure(alipay.completeAction({ idempotencyKey: randomUUID(), reference: qr.reference, amount: 1234, currency: 'cny', capture: true, signal: abort.signal }));
      const took = Date.now() - started;
      assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'timeout']);
      assert.match(e.message, /Kassa's deadline/);
      assert.ok(took < 2000, `rejected after ${took} ms (the adapter's own timeout is ${TIMEOUT_MS} ms)`);
      const hung = fake.requests.findLast((q) => q.method === 'alipay.trade.query');
      for (let i = 0; i < 50 && !hung?.abandoned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(hung?.abandoned, true, 'the connection itself was closed');
      const already = new AbortController();
      already.abort();
      const sent = fake.requests.length;
      assert.equal((await failure(alipay.authorize({ ...payment(), signal: already.signal }))).certainty, 'definite');
      assert.equal(fake.requests.length, sent);
    });

    it("the adapter's own timeout ends a hung call as ambiguous", async () => {
      const quick = adapterFor(fake, { timeoutMs: 200 });
      fake.fault('alipay.trade.precreate', 'hang-after');
      const e = await failure(quick.authorize(payment()));
      assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'timeout']);
      assert.match(e.message, /no answer in 200 ms/);
    });
  });

  describe('notifications', () => {
    it('are delivered to notify_url; a genuine one is accepted with ack "success", naming the intent and Alipay\'s trade', async () => {
      const bodies: { body: string; type: string | undefined }[] = [];
      const receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push({ body: Buffer.concat(chunks).toString('utf8'), type: req.headers['content-type'] });
          res.end('success');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alipay/notify`;
        const provider = adapterFor(fake, { notifyUrl });
        const r = payment();
        await provider.authorize(r);
        const trade = await fake.pay(outTradeNoFor(r.reference, r.idempotencyKey));
        assert.equal(bodies.length, 1);
        assert.equal(fake.notifications.at(-1)?.answer, 'success');
        const parsed = await provider.parseNotification(Buffer.from(bodies[0]!.body), { 'content-type': bodies[0]!.type });
        assert.deepEqual(parsed, {
          notifications: [{ id: fake.notifications.at(-1)?.params.notify_id, kind: 'TRADE_SUCCESS', reference: r.reference, providerRef: trade.tradeNo }],
          ack: 'success',
        });
      } finally {
        await new Promise((resolve) => receiver.close(resolve));
      }
    });

    async function notification(): Promise<Record<string, string>> {
      const r = payment();
      await alipay.authorize(r);
      await fake.pay(outTradeNoFor(r.reference, r.idempotencyKey));
      return { ...fake.notifications.at(-1)!.params };
    }
    const form = (p: Record<string, string>): Buffer => Buffer.from(new URLSearchParams(p).toString());
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

    it('tampered, unsigned, signed by another key, for another app, or not a form → NotificationRejected', async () => {
      const genuine = await notification();
      assert.equal((await alipay.parseNotification(form(genuine), headers)).ack, 'success', 'the untouched one passes');
      const { sign: _, ...unsigned } = genuine;
      const forgedKey = generateRsaKeyPair().privateKey;
      const forged = { ...genuine, sign: rsa2Sign(signContent(genuine, ['sign', 'sign_type']), forgedKey) };
      const otherApp: Record<string, string> = { ...genuine, app_id: '2021000000000009' };
      otherApp.sign = fake.signParams(otherApp);
      for (const [what, body, h] of [
        ['tampered amount', form({ ...genuine, total_amount: '0.01' }), headers],
        ['tampered status', form({ ...genuine, trade_status: 'TRADE_CLOSED' }), headers],
        ['no sign', form(unsigned), headers],
        ['another key', form(forged), headers],
        ['another app', form(otherApp), headers],
        ['RSA (SHA-1)', form({ ...genuine, sign_type: 'RSA' }), headers],
        ['a JSON body', Buffer.from(JSON.stringify(genuine)), { 'content-type': 'application/json' }],
        ['a parameter twice', Buffer.from(`${new URLSearchParams(genuine).toString()}&trade_status=TRADE_SUCCESS`), headers],
      ] as const) {
        await assert.rejects(alipay.parseNotification(body, h), NotificationRejected, what);
      }
    });
  });

  describe('amounts', () => {
    it('minor units ↔ "yuan.fen" strings, exactly, for every amount Alipay takes', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (fen) => {
          const yuan = toAlipayAmount(fen, 'cny');
          assert.match(yuan, /^(0|[1-9]\d*)\.\d{2}$/);
          assert.equal(yuan, `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);
          assert.equal(fromAlipayAmount(yuan, 'cny'), fen);
        }),
      );
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }), (yuan, tenth) => {
          assert.equal(fromAlipayAmount(`${yuan}.${tenth}`, 'cny'), yuan * 100 + tenth * 10, 'one decimal, as Alipay sometimes writes');
          assert.equal(fromAlipayAmount(String(yuan), 'cny'), yuan * 100, 'no decimals');
        }),
      );
      assert.equal(toAlipayAmount(1, 'cny'), '0.01');
      assert.equal(toAlipayAmount(1999, 'cny'), '19.99');
      assert.equal(toAlipayAmount(1999, 'jpy'), '1999', 'a zero-decimal currency has no point');
      for (const bad of ['1.234', '1e3', '-1.00', ' 1.00', '01.00', '1.', '.5', 12, null]) {
        assert.throws(() => fromAlipayAmount(bad, 'cny'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous', String(bad));
      }
      for (const bad of [0, -1, 1.5, 10_000_000_001, Number.NaN]) {
        assert.throws(() => toAlipayAmount(bad, 'cny'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'definite', String(bad));
      }
    });
  });

  describe('names and references', () => {
    it('out_trade_no: deterministic, per key, within 64 letters, digits and _; carries the intent id back (or falls back for one that does not fit)', () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.string({ minLength: 1, maxLength: 300 }), (reference, key) => {
          const no = outTradeNoFor(reference, key);
          assert.match(no, /^[A-Za-z0-9_]{1,64}$/);
          assert.equal(outTradeNoFor(reference, key), no);
          const back = referenceOf(no);
          if (back !== undefined) assert.equal(back, reference);
          assert.match(outRequestNoFor(key), /^r_[0-9a-f]{40}$/);
        }),
      );
      assert.equal(referenceOf(outTradeNoFor('pi_abc123XYZ', 'k')), 'pi_abc123XYZ');
      assert.notEqual(outTradeNoFor('pi_a', 'k1'), outTradeNoFor('pi_a', 'k2'));
      assert.equal(referenceOf(outTradeNoFor(`pi_${'x'.repeat(60)}`, 'k')), undefined, 'too long for Alipay: the hash alone');
      assert.notEqual(outRequestNoFor('k1'), outRequestNoFor('k2'));
    });
  });

  describe('secrets', () => {
    it('the app private key never appears in errors, messages or the adapter\'s inspection', async () => {
      const pem = fake.appPrivateKey!;
      const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
      const probes = [body[3]!, body[10]!, body.join('').slice(100, 160)];
      const leaks = (s: string): boolean => probes.some((p) => s.includes(p)) || s.includes(pem);
      const errors: unknown[] = [];
      const calls = [
        // An answer that does not verify; a refusal whose message quotes the string Alipay verified; an unknown app.
        () => adapterFor(fake, { alipayPublicKey: generateRsaKeyPair().publicKey }).authorize(payment()),
        () => adapterFor(fake, { privateKey: new Sensitive(generateRsaKeyPair().privateKey) }).authorize(payment()),
        () => adapterFor(fake, { appId: '2021000000000001' }).authorize(payment()),
      ];
      for (const call of calls) errors.push(await call().then(() => 'no failure', (e: unknown) => e));
      assert.match((errors[1] as Error).message, /验签出错/, "Alipay's own words are kept");
      try {
        new AlipayProvider({ appId: fake.appId, privateKey: new Sensitive(`${pem.slice(0, -40)}broken`), alipayPublicKey: fake.alipayPublicKey, returnUrl, notifyUrl: NOWHERE });
        assert.fail('a broken key is refused');
      } catch (e) {
        errors.push(e);
      }
      assert.equal(errors.length, 4);
      for (const e of errors) {
        assert.ok(e instanceof Error, `expected an error, got ${inspect(e)}`);
        for (const shown of [e.message, inspect(e), JSON.stringify(e), String((e as ProviderFailure).rawCode)]) assert.ok(!leaks(shown), shown);
      }
      assert.ok(!leaks(inspect(alipay, { depth: 10 })), 'not in the inspected adapter');
      assert.ok(!leaks(JSON.stringify(alipay)), 'not in the serialized adapter');
      assert.ok(!leaks(JSON.stringify(fake.requests)), 'nor in anything sent to Alipay');
    });

    it('keys are taken as PEM (PKCS#8, PKCS#1) or the bare base64 of Alipay\'s key tool', async () => {
      const pem = fake.appPrivateKey!;
      const { createPrivateKey } = await import('node:crypto');
      const pkcs1 = String(createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' }));
      const bare = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      const bareAlipay = fake.alipayPublicKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      for (const key of [pkcs1, bare]) {
        const provider = adapterFor(fake, { privateKey: new Sensitive(key), alipayPublicKey: bareAlipay });
        assert.equal((await provider.authorize(payment())).status, 'requires_action');
      }
    });
  });

  describe('the fake is as strict as Alipay', () => {
    async function call(
      params: Record<string, string>,
      o: { key?: string; sign?: boolean; mutate?: (p: Record<string, string>) => void; contentType?: string } = {},
    ): Promise<{ key: string; body: Record<string, string>; signed: boolean }> {
      const p: Record<string, string> = { app_id: fake.appId, charset: 'utf-8', sign_type: 'RSA2', timestamp: beijing(fake.now()), version: '1.0', ...params };
      if (o.sign !== false) p.sign = rsa2Sign(signContent(p), o.key ?? fake.appPrivateKey!);
      o.mutate?.(p);
      const res = await fetch(fake.gateway, { method: 'POST', headers: { 'content-type': o.contentType ?? 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(p).toString() });
      const text = await res.text();
      const m = /^\{"(\w+)":(\{.*\})(?:,"sign":"([^"]+)")?\}$/.exec(text);
      assert.ok(m, text);
      const signed = m[3] !== undefined;
      if (signed) assert.ok(rsa2Verify(m[2]!, m[3]!, fake.alipayPublicKey), "the fake signs its answers with its Alipay key, over the raw text");
      return { key: m[1]!, body: JSON.parse(m[2]!) as Record<string, string>, signed };
    }
    const precreate = (biz: Record<string, unknown>): Record<string, string> => ({ method: 'alipay.trade.precreate', biz_content: JSON.stringify(biz) });
    const good = (): Record<string, unknown> => ({ out_trade_no: `t_${randomUUID().replaceAll('-', '')}`, total_amount: '12.00', subject: 'x' });

    it('a correctly signed request is served (so the refusals below are the fake being strict, not the helper being wrong)', async () => {
      const biz = good();
      const first = await call(precreate(biz));
      assert.deepEqual([first.key, first.body.code, first.signed], ['alipay_trade_precreate_response', '10000', true]);
      assert.equal((await call(precreate(biz))).body.qr_code, first.body.qr_code, 'the same parameters: the same code');
      const changed = await call(precreate({ ...biz, total_amount: '12.01' }));
      assert.deepEqual([changed.body.code, changed.body.sub_code], ['40004', 'ACQ.CONTEXT_INCONSISTENT']);
      const query = await call({ method: 'alipay.trade.query', biz_content: JSON.stringify({ out_trade_no: biz.out_trade_no }) });
      assert.equal(query.body.sub_code, 'ACQ.TRADE_NOT_EXIST', 'not scanned: no trade yet');
    });

    it('refuses bad signatures and bad common parameters with Alipay\'s codes', async () => {
      const cases: [string, Parameters<typeof call>[1], Record<string, string>, string][] = [
        ['another key', { key: generateRsaKeyPair().privateKey }, {}, 'isv.invalid-signature'],
        ['a parameter changed after signing', { mutate: (p) => (p.biz_content = p.biz_content!.replace('12.00', '0.01')) }, {}, 'isv.invalid-signature'],
        ['no signature', { sign: false }, {}, 'isv.missing-signature'],
        ['RSA (SHA-1) declared', {}, { sign_type: 'RSA' }, 'isv.invalid-signature-type'],
        ['a stale timestamp', {}, { timestamp: beijing(fake.now() - 20 * 60_000) }, 'isv.invalid-timestamp'],
        ['a timestamp in UTC, not Beijing time', {}, { timestamp: new Date(fake.now() - 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ') }, 'isv.invalid-timestamp'],
        ['a malformed timestamp', {}, { timestamp: '2026/12/01 10:00:00' }, 'isv.invalid-timestamp'],
        ['charset gbk', {}, { charset: 'gbk' }, 'isv.invalid-charset'],
        ['version 2.0', {}, { version: '2.0' }, 'isv.invalid-version'],
        ['an unknown parameter', {}, { extra: '1' }, 'isv.invalid-parameter'],
        ['return_url on a server call', {}, { return_url: 'https://x.test/' }, 'isv.invalid-parameter'],
      ];
      for (const [what, o, extra, sub] of cases) {
        const { body } = await call({ ...precreate(good()), ...extra }, o);
        assert.equal(body.sub_code, sub, what);
        assert.match(body.code!, /^4000[12]$/, what);
      }
      const app = await call({ ...precreate(good()), app_id: '2021000000000001' });
      assert.deepEqual([app.key, app.body.sub_code, app.signed], ['error_response', 'isv.invalid-app-id', false]);
      assert.equal((await call({ biz_content: '{}' })).body.sub_code, 'isv.missing-method');
      assert.equal((await call({ method: 'alipay.trade.pay.nope', biz_content: '{}' })).body.sub_code, 'isv.invalid-method');
      assert.equal((await call(precreate(good()), { contentType: 'application/json' })).body.sub_code, 'isv.invalid-content-type');
      const twice = await fetch(`${fake.gateway}?app_id=${fake.appId}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `app_id=${fake.appId}&method=alipay.trade.query` });
      assert.match(await twice.text(), /参数重复: app_id/);
    });

    it('checks biz_content field by field: required, unknown, amounts, out_trade_no, timeouts', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['unknown field', { ...good(), discount: '1.00' }],
        ['no subject', { ...good(), subject: undefined }],
        ['three decimals', { ...good(), total_amount: '12.345' }],
        ['an amount as a number', { ...good(), total_amount: 12 }],
        ['zero', { ...good(), total_amount: '0.00' }],
        ['over the maximum', { ...good(), total_amount: '100000000.01' }],
        ['a leading zero', { ...good(), total_amount: '012.00' }],
        ['a dash in out_trade_no', { ...good(), out_trade_no: 'a-b' }],
        ['65 characters', { ...good(), out_trade_no: 'a'.repeat(65) }],
        ['a bad timeout', { ...good(), qr_code_timeout_express: '15s' }],
        ['a timeout over 15 days', { ...good(), timeout_express: '16d' }],
        ['a subject with &', { ...good(), subject: 'a&b' }],
      ];
      for (const [what, biz] of cases) {
        const { body } = await call(precreate(biz));
        assert.deepEqual([body.code, body.sub_code], ['40004', 'ACQ.INVALID_PARAMETER'], what);
      }
      assert.equal((await call({ method: 'alipay.trade.precreate', biz_content: 'not json' })).body.sub_code, 'isv.invalid-biz-content');
      assert.equal((await call({ method: 'alipay.trade.precreate' })).body.sub_code, 'isv.missing-biz-content');
      assert.equal((await call({ method: 'alipay.trade.query', biz_content: '{}' })).body.sub_code, 'ACQ.INVALID_PARAMETER', 'out_trade_no or trade_no');
      assert.equal((await call(precreate({ ...good(), total_amount: '12' }))).body.code, '10000', 'a whole amount is fine');
    });

    it('the cashier is only a signed GET; the API methods are only POSTs', async () => {
      const p: Record<string, string> = { app_id: fake.appId, method: 'alipay.trade.wap.pay', charset: 'utf-8', sign_type: 'RSA2', timestamp: beijing(fake.now()), version: '1.0', biz_content: JSON.stringify({ ...good(), product_code: 'QUICK_WAP_WAY' }) };
      const asPost = await call(p);
      assert.equal(asPost.body.sub_code, 'isv.invalid-http-method');
      p.sign = rsa2Sign(signContent(p), fake.appPrivateKey!);
      assert.match(await (await fetch(`${fake.gateway}?${new URLSearchParams(p)}`)).text(), /id="pay"/);
      const noProduct: Record<string, string> = { ...p, biz_content: JSON.stringify({ ...good(), product_code: undefined }) };
      noProduct.sign = rsa2Sign(signContent(noProduct), fake.appPrivateKey!);
      assert.match(await (await fetch(`${fake.gateway}?${new URLSearchParams(noProduct)}`)).text(), /data-sub-code="ACQ\.INVALID_PARAMETER"/);
    });
  });

  it("timestamps are Beijing time (UTC+8, no daylight saving), whatever the machine's zone", () => {
    assert.equal(beijingTime(Date.UTC(2026, 0, 1, 16, 30, 5)), '2026-01-02 00:30:05');
    assert.equal(beijingTime(Date.UTC(2026, 6, 1, 0, 0, 0)), '2026-07-01 08:00:00');
  });
});
