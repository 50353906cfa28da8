/**
 * The PayPal adapter against the strict local fake of PayPal's REST API and approval page
 * (test/fakes/paypal-fake.ts): the port's conformance suite (as a wallet), then what is PayPal's
 * own — the approval redirect and its return, request ids per step, manual and partial capture,
 * void, refunds, declines with PayPal's raw codes, the definite / ambiguous classification of
 * each failure, exact lookup of a lost answer, deadlines, token expiry, webhook verification and
 * secrets — and that the fake refuses what PayPal refuses.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { inspect } from 'node:util';
import { DeclineCode } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { PayPalProvider, ORDER_KEY_RETENTION_MS, requestIdFor, CANCELED_DESCRIPTION } from '../src/adapters/paypal/provider.js';
import { fromPayPalMoney, orderOutcome, parseRef, toPayPalValue, captureOutcome } from '../src/adapters/paypal/mapping.js';
import { NotificationRejected, ProviderFailure, Sensitive } from '../src/domain/ports.js';
import type { ActionOutcome } from './provider-conformance.js';
import type { AuthorizeOutcome, AuthorizeRequest, CompleteActionRequest, LookupRequest } from '../src/domain/ports.js';
import { lookupOf, providerConformance } from './provider-conformance.js';
import { PayPalFake } from './fakes/paypal-fake.js';

const RETURN = 'https://pay.example.test/paypal/return';
const CANCEL = 'https://pay.example.test/paypal/cancel';

function adapterFor(fake: PayPalFake, o: { clientSecret?: string; apiBase?: string; now?: () => number; timeoutMs?: number; webhookId?: string | null } = {}): PayPalProvider {
  return new PayPalProvider({
    clientId: fake.clientId,
    clientSecret: new Sensitive(o.clientSecret ?? fake.clientSecret),
    apiBase: o.apiBase ?? fake.url,
    webhookId: o.webhookId === null ? undefined : (o.webhookId ?? fake.webhookId),
    returnUrl: (ref) => `${RETURN}?kassa_reference=${ref}`,
    cancelUrl: (ref) => `${CANCEL}?kassa_reference=${ref}`,
    ...(o.now ? { now: o.now } : {}),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
}

const payment = (o: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  idempotencyKey: randomUUID(),
  amount: 1200,
  currency: 'usd',
  capture: true,
  method: { type: 'paypal' },
  reference: `pi_kassa_${randomUUID().slice(0, 8)}`,
  offSession: false,
  ...o,
});

const completion = (r: AuthorizeRequest, reference: string, o: Partial<CompleteActionRequest> = {}): CompleteActionRequest => ({
  idempotencyKey: `${r.idempotencyKey}:complete`,
  reference,
  amount: r.amount,
  currency: r.currency,
  capture: r.capture,
  ...o,
});


async function failure(p: Promise<unknown>): Promise<ProviderFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProviderFailure, `expected a ProviderFailure, got ${inspect(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

function waiting(o: AuthorizeOutcome): ActionOutcome {
  assert.equal(o.status, 'requires_action', JSON.stringify(o));
  return o as ActionOutcome;
}

const refOf = (o: AuthorizeOutcome): string => {
  assert.ok(o.status === 'authorized' || o.status === 'captured', JSON.stringify(o));
  return o.reference;
};

/** The shopper on PayPal's approval page: opens the link, presses Approve, follows the redirect home. */
async function approveOnPage(action: ActionOutcome): Promise<Record<string, string>> {
  assert.equal(action.action.type, 'redirect');
  const url = action.action.type === 'redirect' ? action.action.url : '';
  const page = await fetch(url);
  const html = await page.text();
  assert.equal(page.status, 200);
  const form = /<form method="post" action="([^"]+)"><input type="hidden" name="token" value="([^"]+)">/.exec(html);
  assert.ok(form, html);
  assert.match(html, /<button type="submit" id="approve">Approve<\/button>/);
  const posted = await fetch(new URL(form[1]!, url), { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${form[2]}` });
  assert.equal(posted.status, 302);
  const back = new URL(posted.headers.get('location') ?? '');
  return Object.fromEntries(back.searchParams);
}

/** authorize → the shopper approves on the page → completeAction with the return URL's query. */
async function paid(paypal: PayPalProvider, r: AuthorizeRequest): Promise<AuthorizeOutcome> {
  const action = waiting(await paypal.authorize(r));
  const details = await approveOnPage(action);
  return paypal.completeAction(completion(r, action.reference, { details }));
}

providerConformance('paypal', async () => {
  const fake = await PayPalFake.start();
  return {
    provider: adapterFor(fake),
    currency: 'usd' as Currency,
    wallet: {
      method: { type: 'paypal' },
      approve: approveOnPage,
      refuse: async (action) => {
        fake.declineNext({ issue: 'INSTRUMENT_DECLINED' });
        return fake.approve(action.reference);
      },
    },
    // The order's completion as PayPal delivers it: the event and its transmission headers, signed for the fake's webhook.
    notification: async ({ providerRef }) => {
      const signed = fake.signedEvent(fake.orderEvent(parseRef(providerRef).orderId, 'CHECKOUT.ORDER.COMPLETED'));
      return { raw: Buffer.from(signed.body), headers: signed.headers };
    },
    close: () => fake.close(),
  };
});

describe('paypal adapter', () => {
  let fake: PayPalFake;
  let paypal: PayPalProvider;
  before(async () => {
    fake = await PayPalFake.start();
    paypal = adapterFor(fake);
  });
  after(() => fake.close());

  it('creates an order for the approval redirect: intent, decimal amount, custom_id, experience_context, a request id from the key', async () => {
    const r = payment({ amount: 1234 });
    const o = waiting(await paypal.authorize(r));
    assert.equal(o.action.type === 'redirect' && o.action.url, `${fake.url}/checkoutnow?token=${o.reference}`);
    const create = fake.requests.find((q) => q.requestId === `${r.idempotencyKey}:create`);
    assert.ok(create);
    assert.deepEqual(create.json, {
      intent: 'CAPTURE',
      purchase_units: [{ reference_id: 'default', custom_id: r.reference, amount: { currency_code: 'USD', value: '12.34' } }],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: `${RETURN}?kassa_reference=${r.reference}`,
            cancel_url: `${CANCEL}?kassa_reference=${r.reference}`,
            user_action: 'PAY_NOW',
            shipping_preference: 'NO_SHIPPING',
          },
        },
      },
    });
    assert.match(String(create.headers['authorization']), /^Bearer A21AA/);
    assert.match(String(create.headers['content-type']), /^application\/json/);
    assert.equal(create.headers['prefer'], 'return=representation');
    assert.deepEqual(fake.order(o.reference)?.status, 'PAYER_ACTION_REQUIRED');

    const held = waiting(await paypal.authorize(payment({ amount: 1500, currency: 'jpy', capture: false })));
    assert.deepEqual([fake.order(held.reference)?.intent, (fake.order(held.reference)?.purchase_units as { amount: unknown }[])[0]?.amount], ['AUTHORIZE', { currency_code: 'JPY', value: '1500' }]);
  });

  it('the shopper approves on the page, comes back with token and PayerID, and completeAction captures once', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    const page = await (await fetch(action.action.type === 'redirect' ? action.action.url : '')).text();
    assert.match(page, new RegExp(`<a id="cancel" href="${CANCEL.replace(/[.?]/g, '\\$&')}\\?kassa_reference=${r.reference}&#38;token=${action.reference}">`), 'a Cancel link to cancel_url');
    const details = await approveOnPage(action);
    assert.equal(details.token, action.reference);
    assert.match(details.PayerID ?? '', /^PAYER/);
    const captures = fake.acted('capture_order');
    const done = await paypal.completeAction(completion(r, action.reference, { details }));
    assert.equal(done.status, 'captured');
    const order = fake.order(action.reference) as { status: string; purchase_units: { payments: { captures: { id: string }[] } }[] };
    assert.deepEqual(done, { status: 'captured', reference: `${action.reference}:capture:${order.purchase_units[0]!.payments.captures[0]!.id}`, amount: 1200 });
    assert.equal(order.status, 'COMPLETED');
    assert.deepEqual(await paypal.completeAction(completion(r, action.reference, { details })), done, 'again (a notification, a reload): the same answer');
    assert.deepEqual(await paypal.completeAction(completion(r, action.reference, { idempotencyKey: randomUUID() })), done, 'under another key: the order says what was done');
    assert.equal(fake.acted('capture_order'), captures + 1, 'captured once');
    assert.deepEqual(fake.moneyOf(action.reference), { held: 0, captured: 1200, refunded: 0 });
    assert.equal(fake.requests.find((q) => q.route === 'capture_order' && q.replayed === false && q.path.includes(action.reference))?.requestId, `${r.idempotencyKey}:complete:capture-order`);
  });

  it('before the shopper approved, completeAction answers the same redirect and captures nothing; a return for another order is refused', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    const captures = fake.requests.filter((q) => q.route === 'capture_order').length;
    assert.deepEqual(await paypal.completeAction(completion(r, action.reference)), action);
    assert.equal(fake.requests.filter((q) => q.route === 'capture_order').length, captures, 'no capture attempted');
    const e = await failure(paypal.completeAction(completion(r, action.reference, { details: { token: 'SOMEOTHERORDER1', PayerID: 'X' } })));
    assert.deepEqual([e.certainty, e.rawCode], ['definite', 'token_mismatch']);
  });

  it('manual capture: the order is authorized, then captured in part (the rest released); a second capture is refused', async () => {
    const r = payment({ capture: false, amount: 3000 });
    const held = await paid(paypal, r);
    assert.equal(held.status, 'authorized');
    const ref = refOf(held);
    const parsed = parseRef(ref);
    assert.equal(parsed.kind, 'authorization');
    assert.equal(held.status === 'authorized' && held.amount, 3000);
    assert.deepEqual(fake.moneyOf(parsed.orderId).held, 3000);
    const key = randomUUID();
    assert.deepEqual(await paypal.capture({ idempotencyKey: key, reference: ref, amount: 1800, currency: 'usd' }), { status: 'captured', amount: 1800 });
    const sent = fake.requests.find((q) => q.requestId === `${key}:capture`);
    assert.deepEqual(sent?.json, { amount: { currency_code: 'USD', value: '18.00' }, final_capture: true });
    assert.deepEqual(fake.moneyOf(parsed.orderId), { held: 0, captured: 1800, refunded: 0 }, 'final_capture released the rest');
    assert.deepEqual(await paypal.capture({ idempotencyKey: key, reference: ref, amount: 1800, currency: 'usd' }), { status: 'captured', amount: 1800 }, 'replayed');
    const again = await paypal.capture({ idempotencyKey: randomUUID(), reference: ref, amount: 1200, currency: 'usd' });
    assert.deepEqual([again.status, again.status === 'failed' && again.rawCode], ['failed', 'AUTHORIZATION_ALREADY_CAPTURED']);
    // A refund names the authorization (Kassa keeps one reference): the adapter finds its capture.
    assert.deepEqual(await paypal.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 800, currency: 'usd' }), { status: 'succeeded', amount: 800 });
    assert.deepEqual(fake.moneyOf(parsed.orderId).refunded, 800);
  });

  it('void: an authorization is voided once, then cannot be captured; a waiting order is marked canceled and never captured', async () => {
    const ref = refOf(await paid(paypal, payment({ capture: false, amount: 2500 })));
    const cancel = { idempotencyKey: randomUUID(), reference: ref, amount: 2500, currency: 'usd' as Currency };
    assert.deepEqual(await paypal.cancel(cancel), { status: 'canceled' });
    assert.deepEqual(await paypal.cancel(cancel), { status: 'canceled' }, 'replayed');
    assert.equal(fake.acted('void_authorization') >= 1, true);
    assert.equal(fake.moneyOf(parseRef(ref).orderId).held, 0);
    const late = await paypal.capture({ idempotencyKey: randomUUID(), reference: ref, amount: 2500, currency: 'usd' });
    assert.deepEqual([late.status, late.status === 'failed' && late.rawCode], ['failed', 'AUTHORIZATION_VOIDED']);

    const r = payment();
    const action = waiting(await paypal.authorize(r));
    assert.deepEqual(await paypal.cancel({ idempotencyKey: randomUUID(), reference: action.reference, amount: 1200, currency: 'usd' }), { status: 'canceled' });
    assert.equal((fake.order(action.reference)?.purchase_units as { description?: string }[])[0]?.description, CANCELED_DESCRIPTION);
    const details = await approveOnPage(action); // the shopper approves anyway, from an old tab
    const captures = fake.acted('capture_order');
    const after = await paypal.completeAction(completion(r, action.reference, { details }));
    assert.deepEqual([after.status, after.status === 'declined' && after.rawCode], ['declined', 'CANCELED_BY_MERCHANT']);
    assert.equal(fake.acted('capture_order'), captures, 'a canceled order is never captured');
    assert.deepEqual(await paypal.lookup(lookupOf(r, { operation: 'cancel', idempotencyKey: randomUUID(), providerRef: action.reference })), { operation: 'cancel', outcome: { status: 'canceled' } });
  });

  it('refunds: partial and several, each once, never more than was captured', async () => {
    const ref = refOf(await paid(paypal, payment({ amount: 2000 })));
    const orderId = parseRef(ref).orderId;
    const first = { idempotencyKey: randomUUID(), reference: ref, amount: 500, currency: 'usd' as Currency };
    assert.deepEqual(await paypal.refund(first), { status: 'succeeded', amount: 500 });
    assert.deepEqual(await paypal.refund(first), { status: 'succeeded', amount: 500 }, 'replayed, not refunded again');
    assert.deepEqual(await paypal.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 700, currency: 'usd' }), { status: 'succeeded', amount: 700 });
    assert.equal(fake.moneyOf(orderId).refunded, 1200);
    const over = await paypal.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 900, currency: 'usd' });
    assert.deepEqual([over.status, over.status === 'failed' && over.rawCode, over.status === 'failed' && over.declineCode], ['failed', 'REFUND_AMOUNT_EXCEEDED', 'processing_error']);
    assert.deepEqual(await paypal.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 800, currency: 'usd' }), { status: 'succeeded', amount: 800 });
    const more = await paypal.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 1, currency: 'usd' });
    assert.deepEqual([more.status, more.status === 'failed' && more.rawCode], ['failed', 'CAPTURE_FULLY_REFUNDED']);
    assert.deepEqual(fake.moneyOf(orderId), { held: 0, captured: 2000, refunded: 2000 });
    const sent = fake.requests.find((q) => q.requestId === `${first.idempotencyKey}:refund`);
    assert.deepEqual(sent?.json, { amount: { currency_code: 'USD', value: '5.00' }, custom_id: first.idempotencyKey });
  });

  it("declines are answers in core's taxonomy, with PayPal's code kept as rawCode", async () => {
    const cases: [Parameters<PayPalFake['declineNext']>[0], string, string][] = [
      [{ issue: 'INSTRUMENT_DECLINED' }, DeclineCode.Generic, 'INSTRUMENT_DECLINED'],
      [{ issue: 'TRANSACTION_REFUSED' }, DeclineCode.Generic, 'TRANSACTION_REFUSED'],
      [{ status: 'DECLINED', code: '5120' }, DeclineCode.InsufficientFunds, '5120'],
      [{ status: 'DECLINED', code: '5400' }, DeclineCode.ExpiredCard, '5400'],
      [{ status: 'DECLINED', reason: 'DECLINED_BY_RISK_FRAUD_FILTERS' }, DeclineCode.Generic, 'DECLINED_BY_RISK_FRAUD_FILTERS'],
      [{ status: 'FAILED' }, DeclineCode.Generic, 'FAILED'],
    ];
    for (const [decline, declineCode, rawCode] of cases) {
      const r = payment();
      const action = waiting(await paypal.authorize(r));
      const details = fake.approve(action.reference);
      fake.declineNext(decline);
      const o = await paypal.completeAction(completion(r, action.reference, { details }));
      assert.deepEqual([o.status, o.status === 'declined' && o.declineCode, o.status === 'declined' && o.rawCode], ['declined', declineCode, rawCode], JSON.stringify(decline));
      assert.deepEqual(await paypal.completeAction(completion(r, action.reference, { details })), o, 'repeated under its key: the same decline');
      assert.equal(fake.moneyOf(action.reference).captured, 0, 'nothing taken');
    }
    // A denied authorization (manual capture) is a decline too.
    const r = payment({ capture: false });
    const action = waiting(await paypal.authorize(r));
    fake.approve(action.reference);
    fake.declineNext({ status: 'DECLINED' });
    const denied = await paypal.completeAction(completion(r, action.reference));
    assert.deepEqual([denied.status, denied.status === 'declined' && denied.rawCode], ['declined', 'DENIED']);
    // An order PayPal voided (never approved in time).
    const gone = waiting(await paypal.authorize(payment()));
    fake.voidOrder(gone.reference);
    const voided = await paypal.completeAction({ idempotencyKey: randomUUID(), reference: gone.reference, amount: 1200, currency: 'usd', capture: true });
    assert.deepEqual([voided.status, voided.status === 'declined' && voided.rawCode], ['declined', 'ORDER_VOIDED']);
  });

  it('a PENDING capture is neither a charge nor a decline: pending, and asking again or looking up says the same until PayPal decides', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    fake.approve(action.reference);
    fake.declineNext({ status: 'PENDING', reason: 'ECHECK' });
    const pending = await paypal.completeAction(completion(r, action.reference));
    assert.equal(pending.status, 'pending');
    const captures = fake.acted('capture_order');
    // Asked again (no shopper details): the order is read back, nothing is captured twice.
    const again = await paypal.completeAction({ ...completion(r, pending.reference), idempotencyKey: randomUUID(), details: undefined });
    assert.deepEqual(again, pending);
    assert.equal(fake.acted('capture_order'), captures, 'asking captures nothing');
    const found = await paypal.lookup(lookupOf(r, { operation: 'complete_action', idempotencyKey: `${r.idempotencyKey}:complete`, providerRef: action.reference }));
    assert.deepEqual(found, { operation: 'complete_action', outcome: pending });
  });

  it('a refused connection, bad credentials and token failures are definite (nothing was sent), and never show the secret', async () => {
    const gone = await PayPalFake.start();
    const url = gone.url;
    await gone.close();
    const refused = await failure(adapterFor(fake, { apiBase: url }).authorize(payment()));
    assert.deepEqual([refused.certainty, refused.rawCode], ['definite', 'ECONNREFUSED']);
    const orders = fake.orders().length;
    const wrongSecret = `EKwrong${randomUUID()}`;
    const bad = await failure(adapterFor(fake, { clientSecret: wrongSecret }).authorize(payment()));
    assert.deepEqual([bad.certainty, bad.rawCode], ['definite', 'invalid_client']);
    assert.match(bad.message, /401/);
    fake.fault('token', '500-before');
    const down = await failure(adapterFor(fake).authorize(payment()));
    assert.equal(down.certainty, 'definite', 'the token call moves no money');
    assert.equal(fake.orders().length, orders, 'no order was made');
    for (const e of [refused, bad, down]) {
      for (const shown of [e.message, inspect(e), JSON.stringify(e), String(e.rawCode), e.stack ?? '']) {
        assert.ok(!shown.includes(wrongSecret) && !shown.includes(fake.clientSecret), 'no secret in a failure');
      }
    }
  });

  it('the client secret goes only into the token request, as Basic credentials, and the Sensitive never prints', async () => {
    const local = await PayPalFake.start();
    try {
      const secret = new Sensitive(local.clientSecret);
      const p = new PayPalProvider({ clientId: local.clientId, clientSecret: secret, apiBase: local.url, returnUrl: () => RETURN });
      await paid(p, payment());
      for (const q of local.requests) {
        const all = JSON.stringify([q.path, q.headers, q.rawBody]);
        if (q.route === 'token') {
          assert.equal(q.headers['authorization'], `Basic ${Buffer.from(`${local.clientId}:${local.clientSecret}`).toString('base64')}`);
          assert.equal(q.rawBody, 'grant_type=client_credentials');
        } else assert.ok(!all.includes(local.clientSecret) && !all.includes(Buffer.from(`${local.clientId}:${local.clientSecret}`).toString('base64')), `secret in ${q.path}`);
      }
      assert.equal(local.requests.filter((q) => q.route === 'token').length, 1, 'the token is cached between calls');
      assert.ok(!inspect(p).includes(local.clientSecret) && !JSON.stringify(p).includes(local.clientSecret));
    } finally {
      await local.close();
    }
  });

  it('an expired token is refreshed once and the call goes through (PayPal refused the first before acting)', async () => {
    const r = payment();
    waiting(await paypal.authorize(r));
    const tokens = fake.requests.filter((q) => q.route === 'token').length;
    fake.expireTokens();
    const again = waiting(await paypal.authorize(payment()));
    assert.ok(again.reference);
    assert.equal(fake.requests.filter((q) => q.route === 'token').length, tokens + 1);
  });

  it('PayPal refusing the request (422 amount, 400 validation, 429) is definite and makes nothing', async () => {
    const orders = fake.orders().length;
    const zero = await failure(paypal.authorize(payment({ amount: 0 })));
    assert.deepEqual([zero.certainty, zero.rawCode], ['definite', 'CANNOT_BE_ZERO_OR_NEGATIVE']);
    const currency = await failure(paypal.authorize(payment({ currency: 'kwd' })));
    assert.deepEqual([currency.certainty, currency.rawCode], ['definite', 'CURRENCY_NOT_SUPPORTED'], 'PayPal does not take KWD (and the adapter does not declare it)');
    const long = await failure(paypal.authorize(payment({ reference: 'x'.repeat(200) })));
    assert.deepEqual([long.certainty, long.rawCode], ['definite', 'INVALID_STRING_LENGTH']);
    fake.fault('create_order', '429-before');
    const limited = await failure(paypal.authorize(payment()));
    assert.deepEqual([limited.certainty, limited.rawCode], ['definite', 'RATE_LIMIT_REACHED']);
    assert.equal(fake.orders().length, orders);
    assert.ok(!paypal.capabilities.currencies?.includes('kwd'));
  });

  it('a 500 or a dropped connection on a create is ambiguous; lookup tells a lost order from one never made', async () => {
    for (const kind of ['500-after', 'drop-after'] as const) {
      const r = payment();
      fake.fault('create_order', kind);
      assert.equal((await failure(paypal.authorize(r))).certainty, 'ambiguous', kind);
      const found = await paypal.lookup(lookupOf(r));
      assert.equal(found?.operation, 'authorize');
      const action = waiting(found!.outcome);
      assert.deepEqual(await paypal.authorize(r), action, 'the same call again: the same order');
      assert.equal(fake.orders().filter((o) => (o.purchase_units as { custom_id: string }[])[0]?.custom_id === r.reference).length, 1, 'one order');
    }
    for (const kind of ['500-before', 'drop-before'] as const) {
      const r = payment();
      fake.fault('create_order', kind);
      assert.equal((await failure(paypal.authorize(r))).certainty, 'ambiguous', `${kind}: PayPal documents no 5xx as side-effect free`);
      const before = fake.orders().length;
      assert.equal(await paypal.lookup(lookupOf(r)), null, `${kind}: never made`);
      assert.equal(fake.orders().length, before, 'the lookup made no order');
    }
  });

  it('a lost capture of the order: ambiguous; lookup finds it; the same call again answers it without capturing twice', async () => {
    for (const kind of ['500-after', 'drop-after', 'hang-after'] as const) {
      const r = payment();
      const action = waiting(await paypal.authorize(r));
      const details = fake.approve(action.reference);
      const ask = lookupOf(r, { operation: 'complete_action', idempotencyKey: `${r.idempotencyKey}:complete`, providerRef: action.reference });
      assert.equal(await paypal.lookup(ask), null, 'approved, not captured yet');
      fake.fault('capture_order', kind);
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 150);
      assert.equal((await failure(paypal.completeAction(completion(r, action.reference, { details, signal: abort.signal })))).certainty, 'ambiguous', kind);
      const found = await paypal.lookup(ask);
      assert.equal(found?.outcome.status, 'captured', kind);
      const captures = fake.acted('capture_order');
      assert.deepEqual(await paypal.completeAction(completion(r, action.reference, { details })), found?.outcome);
      assert.equal(fake.acted('capture_order'), captures, 'nothing captured again');
      assert.equal(fake.moneyOf(action.reference).captured, 1200);
    }
  });

  it('a decline whose answer was lost: lookup says nothing moved, and the same call under its key replays the decline', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    const details = fake.approve(action.reference);
    fake.declineNext({ issue: 'INSTRUMENT_DECLINED' });
    fake.fault('capture_order', 'drop-after');
    assert.equal((await failure(paypal.completeAction(completion(r, action.reference, { details })))).certainty, 'ambiguous');
    assert.equal(await paypal.lookup(lookupOf(r, { operation: 'complete_action', idempotencyKey: `${r.idempotencyKey}:complete`, providerRef: action.reference })), null);
    const again = await paypal.completeAction(completion(r, action.reference, { details }));
    assert.deepEqual([again.status, again.status === 'declined' && again.rawCode], ['declined', 'INSTRUMENT_DECLINED']);
    assert.equal(fake.moneyOf(action.reference).captured, 0);
  });

  it('a failed read of the order (500 on GET) is definite: nothing was asked to move', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    fake.approve(action.reference);
    fake.fault('get_order', '500-before');
    const e = await failure(paypal.completeAction(completion(r, action.reference)));
    assert.deepEqual([e.certainty, e.rawCode], ['definite', 'INTERNAL_SERVER_ERROR']);
    assert.equal(fake.moneyOf(action.reference).captured, 0);
  });

  it('a request id still running is ambiguous (409): the first request may still capture', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    fake.approve(action.reference);
    fake.fault('capture_order', 'hang-before');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    assert.equal((await failure(paypal.completeAction(completion(r, action.reference, { signal: abort.signal })))).certainty, 'ambiguous');
    const busy = await failure(paypal.completeAction(completion(r, action.reference)));
    assert.deepEqual([busy.certainty, busy.rawCode], ['ambiguous', 'PREVIOUS_REQUEST_IN_PROGRESS']);
    assert.match(busy.message, /409/);
  });

  it('lookup of a lost capture, void and refund; null for those never made', async () => {
    const r = payment({ capture: false, amount: 3000 });
    const ref = refOf(await paid(paypal, r));
    const ask = (operation: LookupRequest['operation'], key: string, amount: number, providerRef = ref) => paypal.lookup(lookupOf(r, { operation, idempotencyKey: key, providerRef, amount }));
    const captureKey = randomUUID();
    assert.equal(await ask('capture', captureKey, 2000), null, 'not captured yet');
    fake.fault('capture_authorization', 'drop-after');
    assert.equal((await failure(paypal.capture({ idempotencyKey: captureKey, reference: ref, amount: 2000, currency: 'usd' }))).certainty, 'ambiguous');
    assert.deepEqual(await ask('capture', captureKey, 2000), { operation: 'capture', outcome: { status: 'captured', amount: 2000 } });
    assert.deepEqual(await paypal.capture({ idempotencyKey: captureKey, reference: ref, amount: 2000, currency: 'usd' }), { status: 'captured', amount: 2000 }, 'the same call: replayed');
    assert.equal(fake.acted('capture_authorization'), fake.requests.filter((q) => q.route === 'capture_authorization' && q.replayed === false).length);

    const refundKey = randomUUID();
    assert.equal(await ask('refund', refundKey, 500), null, 'no refund under this key');
    fake.fault('refund_capture', '500-after');
    assert.equal((await failure(paypal.refund({ idempotencyKey: refundKey, reference: ref, amount: 500, currency: 'usd' }))).certainty, 'ambiguous');
    assert.deepEqual(await ask('refund', refundKey, 500), { operation: 'refund', outcome: { status: 'succeeded', amount: 500 } });
    const refunds = fake.acted('refund_capture');
    assert.deepEqual(await paypal.refund({ idempotencyKey: refundKey, reference: ref, amount: 500, currency: 'usd' }), { status: 'succeeded', amount: 500 });
    assert.equal(fake.acted('refund_capture'), refunds, 'refunded once');
    assert.equal(fake.moneyOf(parseRef(ref).orderId).refunded, 500);

    const other = refOf(await paid(paypal, payment({ capture: false })));
    const voidKey = randomUUID();
    assert.equal(await ask('cancel', voidKey, 1200, other), null);
    fake.fault('void_authorization', 'drop-after');
    assert.equal((await failure(paypal.cancel({ idempotencyKey: voidKey, reference: other, amount: 1200, currency: 'usd' }))).certainty, 'ambiguous');
    assert.deepEqual(await ask('cancel', voidKey, 1200, other), { operation: 'cancel', outcome: { status: 'canceled' } });
  });

  it("lookup of an authorize past PayPal's request-id retention is not sure, and asks nothing", async () => {
    const r = payment();
    waiting(await paypal.authorize(r));
    const sent = fake.requests.length;
    const e = await failure(paypal.lookup(lookupOf(r, { madeAt: Date.now() - ORDER_KEY_RETENTION_MS - 60_000 })));
    assert.deepEqual([e.certainty, e.rawCode], ['ambiguous', 'key_expired']);
    assert.equal(fake.requests.length, sent);
  });

  it('a hung call is torn down at the signal, promptly, as ambiguous; the adapter timeout does the same; aborted before sending is definite', async () => {
    fake.fault('create_order', 'hang-before');
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 150);
    const e = await failure(paypal.authorize(payment({ signal: abort.signal })));
    assert.equal(e.certainty, 'ambiguous');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    const hung = fake.requests.findLast((q) => q.route === 'create_order');
    for (let i = 0; i < 50 && !hung?.abandoned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(hung?.abandoned, true, 'the connection itself was torn down');

    fake.fault('capture_authorization', 'hang-after');
    const ref = refOf(await paid(paypal, payment({ capture: false })));
    const quick = adapterFor(fake, { timeoutMs: 200 });
    const t0 = Date.now();
    const timedOut = await failure(quick.capture({ idempotencyKey: randomUUID(), reference: ref, amount: 1200, currency: 'usd' }));
    assert.equal(timedOut.certainty, 'ambiguous');
    assert.ok(Date.now() - t0 < 2000);

    const already = new AbortController();
    already.abort();
    const sent = fake.requests.length;
    assert.equal((await failure(paypal.authorize(payment({ signal: already.signal })))).certainty, 'definite');
    assert.equal(fake.requests.length, sent, 'never sent');
  });

  it('only PayPal payments; off-session is declined authentication_required without a call', async () => {
    const sent = fake.requests.length;
    const card = await failure(paypal.authorize(payment({ method: { type: 'card', card: { number: new Sensitive('4242424242424242'), cvc: undefined, expMonth: 1, expYear: 2040 } } })));
    assert.deepEqual([card.certainty, card.rawCode], ['definite', 'unsupported_payment_method']);
    const off = await paypal.authorize(payment({ offSession: true }));
    assert.deepEqual([off.status, off.status === 'declined' && off.declineCode], ['declined', 'authentication_required']);
    assert.equal(fake.requests.length, sent);
    assert.deepEqual(paypal.capabilities.paymentMethods, ['paypal']);
    assert.equal(paypal.type, 'paypal');
  });

  it('request ids: deterministic per step, at most 108 characters', () => {
    assert.equal(requestIdFor('k1', 'create'), 'k1:create');
    const long = requestIdFor('x'.repeat(200), 'refund');
    assert.ok(long.length <= 108 && long.endsWith(':refund'));
    assert.equal(long, requestIdFor('x'.repeat(200), 'refund'));
    assert.notEqual(long, requestIdFor(`${'x'.repeat(199)}y`, 'refund'));
  });
});

describe('paypal notifications', () => {
  let fake: PayPalFake;
  let paypal: PayPalProvider;
  before(async () => {
    fake = await PayPalFake.start();
    paypal = adapterFor(fake);
  });
  after(() => fake.close());

  it('a genuine event is verified by PayPal on the raw body, and names the order and the intent', async () => {
    const r = payment();
    const action = waiting(await paypal.authorize(r));
    fake.approve(action.reference);
    const event = fake.orderEvent(action.reference);
    const { body, headers } = fake.signedEvent(event);
    const parsed = await paypal.parseNotification(Buffer.from(body), headers);
    assert.deepEqual(parsed, { notifications: [{ id: event.id, kind: 'CHECKOUT.ORDER.APPROVED', providerRef: action.reference, reference: r.reference }], ack: '' });
    const verify = fake.requests.findLast((q) => q.route === 'verify_webhook');
    assert.ok(verify?.rawBody.endsWith(`"webhook_event":${body}}`), 'the event spliced in as received');
    assert.equal((verify?.json as { webhook_id: string }).webhook_id, fake.webhookId);

    const capture = { id: 'WH-CAP1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource_type: 'capture', resource: { id: 'CAP1', custom_id: r.reference, supplementary_data: { related_ids: { order_id: action.reference } } } };
    const signed = fake.signedEvent(capture);
    assert.deepEqual((await paypal.parseNotification(Buffer.from(signed.body), signed.headers)).notifications, [{ id: 'WH-CAP1', kind: 'PAYMENT.CAPTURE.COMPLETED', reference: r.reference, providerRef: action.reference }]);
  });

  it('a tampered body, a missing header, another webhook and no configured webhook are rejected', async () => {
    const action = waiting(await paypal.authorize(payment()));
    const { body, headers } = fake.signedEvent(fake.orderEvent(action.reference));
    await assert.rejects(paypal.parseNotification(Buffer.from(body.replace(action.reference, 'AAAAAAAAAAAAAAAAA')), headers), NotificationRejected);
    await assert.rejects(paypal.parseNotification(Buffer.from(body.replace('"CHECKOUT.ORDER.APPROVED"', '"CHECKOUT.ORDER.COMPLETED"')), headers), NotificationRejected);
    for (const name of ['paypal-transmission-id', 'paypal-transmission-time', 'paypal-transmission-sig', 'paypal-cert-url', 'paypal-auth-algo']) {
      const sent = fake.requests.length;
      const { [name]: _, ...rest } = headers;
      await assert.rejects(paypal.parseNotification(Buffer.from(body), rest), NotificationRejected, name);
      assert.equal(fake.requests.length, sent, 'refused before asking PayPal');
    }
    const forOther = fake.signedEvent(fake.orderEvent(action.reference), { webhookId: 'WH-OTHER' });
    await assert.rejects(paypal.parseNotification(Buffer.from(forOther.body), forOther.headers), NotificationRejected);
    await assert.rejects(adapterFor(fake, { webhookId: null }).parseNotification(Buffer.from(body), headers), NotificationRejected);
    await assert.rejects(paypal.parseNotification(Buffer.from('not json'), headers), NotificationRejected);
  });

  it('PayPal unable to verify (5xx) is a failure, not a rejection: PayPal redelivers', async () => {
    const action = waiting(await paypal.authorize(payment()));
    const { body, headers } = fake.signedEvent(fake.orderEvent(action.reference));
    fake.fault('verify_webhook', '500-before');
    await assert.rejects(paypal.parseNotification(Buffer.from(body), headers), (e: unknown) => e instanceof ProviderFailure && !(e instanceof NotificationRejected));
  });

  it('notify() delivers a signed event over HTTP that the adapter accepts', async () => {
    const action = waiting(await paypal.authorize(payment()));
    const { createServer } = await import('node:http');
    let got: Promise<unknown> | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got = paypal.parseNotification(Buffer.concat(chunks), req.headers as Record<string, string>);
        void got.then(() => res.writeHead(200).end(), () => res.writeHead(400).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      assert.equal(await fake.notify(`http://127.0.0.1:${port}/paypal`, fake.orderEvent(action.reference)), 200);
      assert.equal(((await got) as { notifications: { providerRef: string }[] }).notifications[0]?.providerRef, action.reference);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('paypal mapping', () => {
  it('amounts: minor units ↔ decimal strings by the currency exponent, never floats', () => {
    assert.equal(toPayPalValue(1234, 'usd'), '12.34');
    assert.equal(toPayPalValue(5, 'eur'), '0.05');
    assert.equal(toPayPalValue(1500, 'jpy'), '1500');
    assert.equal(toPayPalValue(1234, 'kwd'), '1.234');
    assert.equal(toPayPalValue(99_999_999, 'usd'), '999999.99');
    assert.equal(fromPayPalMoney({ currency_code: 'USD', value: '12.34' }, 'usd'), 1234);
    assert.equal(fromPayPalMoney({ currency_code: 'USD', value: '12' }, 'usd'), 1200);
    assert.equal(fromPayPalMoney({ currency_code: 'JPY', value: '1500' }, 'jpy'), 1500);
    assert.equal(fromPayPalMoney({ currency_code: 'USD', value: '0.10' }, 'usd') + fromPayPalMoney({ currency_code: 'USD', value: '0.20' }, 'usd'), 30);
    for (const bad of [{ currency_code: 'USD', value: '12.345' }, { currency_code: 'EUR', value: '12.34' }, { currency_code: 'USD', value: '1e3' }, { currency_code: 'USD', value: '-1.00' }]) {
      assert.throws(() => fromPayPalMoney(bad, 'usd'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous', JSON.stringify(bad));
    }
    assert.throws(() => toPayPalValue(12.5, 'usd'), ProviderFailure);
  });

  it('statuses: unknown ones are never guessed; SAVED is ambiguous; references are checked', () => {
    assert.throws(() => orderOutcome({ id: 'O1', status: 'PENDING_REVIEW' }, 'usd'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous');
    assert.throws(() => orderOutcome({ id: 'O1', status: 'SAVED' }, 'usd'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous');
    assert.throws(() => orderOutcome({ id: 'O1', status: 'COMPLETED' }, 'usd'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous', 'completed without a payment');
    assert.equal(orderOutcome({ id: 'O1', status: 'APPROVED' }, 'usd'), null);
    assert.throws(() => captureOutcome({ id: 'C1', status: 'REVERSED' }, 'usd'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous');
    assert.deepEqual(parseRef('ORDER1:auth:AUTH1'), { kind: 'authorization', orderId: 'ORDER1', id: 'AUTH1' });
    assert.throws(() => parseRef('pi_123:x:y'), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'definite');
  });
});

describe('the PayPal fake is strict', () => {
  let fake: PayPalFake;
  let token: string;
  before(async () => {
    fake = await PayPalFake.start();
    const res = await fetch(`${fake.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(() => fake.close());
  type Answer = { status: number; body: { name?: string; error?: string; details?: { issue: string; field?: string }[]; id?: string; status?: string } };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  };
  const order = (value = '10.00', currency = 'USD', extra: Record<string, unknown> = {}) => ({ intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: currency, value } }], ...extra });
  const issue = (a: Answer) => [a.status, a.body.details?.[0]?.issue];

  it('refuses bad credentials and tokens as PayPal does', async () => {
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const tok = (auth: string, body = 'grant_type=client_credentials') => fetch(`${fake.url}/v1/oauth2/token`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body }).then(async (r) => [r.status, ((await r.json()) as { error: string }).error]);
    assert.deepEqual(await tok(basic(fake.clientId, 'nope')), [401, 'invalid_client']);
    assert.deepEqual(await tok(basic(fake.clientId, fake.clientSecret), 'grant_type=password'), [400, 'unsupported_grant_type']);
    assert.deepEqual((await call('GET', '/v2/checkout/orders/ABC', undefined, { Authorization: '' })).status, 401);
    assert.deepEqual((await call('GET', '/v2/checkout/orders/ABC', undefined, { Authorization: 'Bearer A21AAforged' })).body.error, 'invalid_token');
  });

  it('refuses bodies PayPal refuses: schema, amounts, content type, a missing request id', async () => {
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('10.00', 'USD', { colour: 'red' }))), [400, 'UNKNOWN_FIELD']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', { purchase_units: order().purchase_units })), [400, 'MISSING_REQUIRED_PARAMETER']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', { ...order(), intent: 'SALE' })), [400, 'INVALID_PARAMETER_VALUE']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', { intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'USD', value: 10 } }] })), [400, 'INVALID_PARAMETER_VALUE']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('12.345'))), [422, 'DECIMAL_PRECISION']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('10.5', 'JPY'))), [422, 'DECIMALS_NOT_SUPPORTED']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('10.00', 'usd'))), [422, 'CURRENCY_NOT_SUPPORTED']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('0.00'))), [422, 'CANNOT_BE_ZERO_OR_NEGATIVE']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', order('1,00'))), [400, 'INVALID_PARAMETER_SYNTAX']);
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', '{"intent":')), [400, 'MALFORMED_REQUEST_JSON']);
    assert.equal((await call('POST', '/v2/checkout/orders', JSON.stringify(order()), { 'Content-Type': 'text/plain' })).status, 415);
    const withSource = order('10.00', 'USD', { payment_source: { paypal: { experience_context: { return_url: 'https://x.test/r', cancel_url: 'https://x.test/c' } } } });
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', withSource)), [400, 'PAYPAL_REQUEST_ID_REQUIRED']);
    const badUrl = order('10.00', 'USD', { payment_source: { paypal: { experience_context: { return_url: 'javascript:alert(1)' } } } });
    assert.deepEqual(issue(await call('POST', '/v2/checkout/orders', badUrl, { 'PayPal-Request-Id': randomUUID() })), [400, 'INVALID_PARAMETER_SYNTAX']);
    assert.equal(fake.orders().length, 0, 'nothing was made');
  });

  it('keeps request ids as documented: the latest status of the previous request, whatever the body; refusals are not kept', async () => {
    const id = randomUUID();
    const first = await call('POST', '/v2/checkout/orders', order('10.00'), { 'PayPal-Request-Id': id });
    assert.equal(first.status, 201);
    const other = await call('POST', '/v2/checkout/orders', order('99.00'), { 'PayPal-Request-Id': id });
    assert.deepEqual([other.status, other.body.id], [201, first.body.id], 'the same order back, not a new one');
    assert.equal(fake.orders().length, 1);
    const elsewhere = await call('POST', `/v2/checkout/orders/${first.body.id}/capture`, {}, { 'PayPal-Request-Id': id });
    assert.deepEqual(issue(elsewhere), [422, 'PAYPAL_REQUEST_ID_PREVIOUSLY_USED']);
    const captureId = randomUUID();
    assert.deepEqual(issue(await call('POST', `/v2/checkout/orders/${first.body.id}/capture`, {}, { 'PayPal-Request-Id': captureId })), [422, 'ORDER_NOT_APPROVED']);
    fake.approve(first.body.id!);
    const captured = await call('POST', `/v2/checkout/orders/${first.body.id}/capture`, {}, { 'PayPal-Request-Id': captureId, Prefer: 'return=representation' });
    assert.deepEqual([captured.status, captured.body.status], [201, 'COMPLETED'], 'the refusal before approval did not take the id');
    assert.deepEqual(issue(await call('POST', `/v2/checkout/orders/${first.body.id}/capture`, {}, { 'PayPal-Request-Id': randomUUID() })), [422, 'ORDER_ALREADY_CAPTURED']);
    assert.deepEqual(issue(await call('POST', `/v2/checkout/orders/${first.body.id}/authorize`, {}, { 'PayPal-Request-Id': randomUUID() })), [422, 'ACTION_DOES_NOT_MATCH_INTENT']);
    assert.deepEqual(issue(await call('POST', `/v2/checkout/orders/${first.body.id}/capture`, { payment_source: {} }, { 'PayPal-Request-Id': randomUUID() })), [400, 'UNKNOWN_FIELD']);
  });

  it('authorizations and refunds keep their limits', async () => {
    const created = await call('POST', '/v2/checkout/orders', { ...order('30.00'), intent: 'AUTHORIZE' }, { 'PayPal-Request-Id': randomUUID() });
    fake.approve(created.body.id!);
    const done = (await call('POST', `/v2/checkout/orders/${created.body.id}/authorize`, {}, { Prefer: 'return=representation' })).body as unknown as { purchase_units: { payments: { authorizations: { id: string }[] } }[] };
    const auth = done.purchase_units[0]!.payments.authorizations[0]!.id;
    assert.deepEqual(issue(await call('POST', `/v2/payments/authorizations/${auth}/capture`, { amount: { currency_code: 'USD', value: '30.01' } })), [422, 'MAX_CAPTURE_AMOUNT_EXCEEDED']);
    assert.deepEqual(issue(await call('POST', `/v2/payments/authorizations/${auth}/capture`, { amount: { currency_code: 'EUR', value: '1.00' } })), [422, 'CURRENCY_MISMATCH']);
    assert.deepEqual(issue(await call('POST', `/v2/payments/authorizations/${auth}/void`, '{}')), [400, 'MALFORMED_REQUEST_JSON'], 'a void takes no body');
    const cap = await call('POST', `/v2/payments/authorizations/${auth}/capture`, { amount: { currency_code: 'USD', value: '20.00' }, final_capture: true });
    assert.equal(cap.status, 201);
    assert.deepEqual(issue(await call('POST', `/v2/payments/authorizations/${auth}/void`)), [422, 'PREVIOUSLY_CAPTURED']);
    assert.deepEqual(issue(await call('POST', `/v2/payments/captures/${cap.body.id}/refund`, { amount: { currency_code: 'USD', value: '20.01' } })), [422, 'REFUND_AMOUNT_EXCEEDED']);
    assert.equal((await call('POST', `/v2/payments/captures/${cap.body.id}/refund`, {})).status, 201, 'no amount: the whole rest');
    assert.deepEqual(issue(await call('POST', `/v2/payments/captures/${cap.body.id}/refund`, { amount: { currency_code: 'USD', value: '0.01' } })), [422, 'CAPTURE_FULLY_REFUNDED']);
    assert.deepEqual(issue(await call('PATCH', `/v2/checkout/orders/${created.body.id}`, [{ op: 'add', path: "/purchase_units/@reference_id=='default'/description", value: 'x' }])), [422, 'ORDER_COMPLETED_OR_VOIDED']);
    assert.deepEqual(issue(await call('GET', '/v2/checkout/orders/NOSUCHORDER')), [404, 'INVALID_RESOURCE_ID']);
  });

  it('the approval page: plain HTML, only for an order waiting for the payer', async () => {
    const created = await call('POST', '/v2/checkout/orders', order(), { 'PayPal-Request-Id': randomUUID() });
    const page = await fetch(`${fake.url}/checkoutnow?token=${created.body.id}`);
    const html = await page.text();
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(!/<script/i.test(html), 'no script needed');
    assert.match(html, /Pay 10\.00 USD/);
    assert.equal((await fetch(`${fake.url}/checkoutnow?token=NOSUCHORDER`)).status, 404);
    fake.approve(created.body.id!);
    assert.equal((await fetch(`${fake.url}/checkoutnow?token=${created.body.id}`)).status, 409, 'approved already');
    const again = await fetch(`${fake.url}/checkoutnow/approve`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${created.body.id}` });
    assert.equal(again.status, 409);
  });

  it('runs alone for an end-to-end test and prints its URL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/paypal-fake.ts', '--port', '0', '--client-id', 'cid', '--client-secret', 'csecret'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^listening (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const res = await fetch(`${url}/v1/oauth2/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      assert.equal(res.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
