/**
 * The Stripe adapter against the strict local fake of Stripe's API (test/fakes/stripe-fake.ts):
 * the port's conformance suite, then what is Stripe's own — keys per underlying call, the
 * definite / ambiguous classification of each failure, declines with Stripe's raw codes, 3-D
 * Secure, exact lookup of a lost answer, and webhook signatures.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import Stripe from 'stripe';
import { DeclineCode } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { StripeProvider, KEY_RETENTION_MS, verifyStripeWebhook, StripeWebhookError } from '../src/adapters/stripe/provider.js';
import { intentOutcome } from '../src/adapters/stripe/mapping.js';
import { NotificationRejected, ProviderFailure, Sensitive } from '../src/domain/ports.js';
import type { AuthorizeRequest, LookupRequest, ProviderCard } from '../src/domain/ports.js';
import { FUTURE_YEAR } from './helpers.js';
import { lookupOf, providerConformance, withoutCvcOf as withoutCvc, withoutReference } from './provider-conformance.js';
import { StripeFake, stripeJsOf } from './fakes/stripe-fake.js';

const VISA = '4242424242424242';
const card = (number: string, cvc: string | undefined = '123'): ProviderCard => ({
  number: new Sensitive(number),
  cvc: cvc === undefined ? undefined : new Sensitive(cvc),
  expMonth: 12,
  expYear: FUTURE_YEAR,
});
const RETURN_URL = 'https://pay.example.test/stripe/return';

/** `webhookSecret: null`: configured without one (Stripe's events cannot be verified). */
function adapterFor(fake: StripeFake, o: { secretKey?: string; now?: () => number; apiBase?: string; webhookSecret?: string | null; multicapture?: boolean } = {}): StripeProvider {
  return new StripeProvider({
    ...(o.multicapture ? { multicapture: true } : {}),
    secretKey: new Sensitive(o.secretKey ?? fake.secretKey),
    apiBase: o.apiBase ?? fake.url,
    returnUrl: RETURN_URL,
    ...(o.webhookSecret === null ? {} : { webhookSecret: new Sensitive(o.webhookSecret ?? fake.webhookSecret) }),
    ...(o.now ? { now: o.now } : {}),
  });
}

/** A card payment; `card` overrides the card (the port carries it as `method`). */
const authorization = ({ card: given, ...o }: Partial<AuthorizeRequest> & { card?: ProviderCard } = {}): AuthorizeRequest => ({
  idempotencyKey: randomUUID(),
  amount: 1200,
  currency: 'usd',
  capture: true,
  method: { type: 'card', card: given ?? card(VISA) },
  reference: `pi_kassa_${randomUUID().slice(0, 8)}`,
  offSession: false,
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

providerConformance('stripe', async () => {
  const fake = await StripeFake.start();
  const js = stripeJsOf(fake);
  return {
    // An account Stripe enabled multicapture on: the suite's multiple-capture case runs here too.
    provider: adapterFor(fake, { multicapture: true }),
    approved: card(VISA),
    insufficientFunds: card('4000000000009995'),
    // Stripe's test card that always asks for 3-D Secure.
    challenged: card('4000002500003155'),
    currency: 'usd' as Currency,
    account: (c) => fake.account(c.number.reveal(), 'usd'),
    // The event the fake signed when the PaymentIntent succeeded (no endpoint: signed and kept).
    notification: async ({ providerRef }) => {
      const sent = fake.notifications.findLast((n) => n.event.type === 'payment_intent.succeeded' && n.event.data.object.id === providerRef);
      assert.ok(sent, `the fake signed payment_intent.succeeded for ${providerRef}`);
      return { raw: Buffer.from(sent.body), headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': sent.signature } };
    },
    tokens: { provider_token: js.paymentMethod, google_pay: js.googlePay },
    close: () => fake.close(),
  };
});

describe('stripe adapter', () => {
  let fake: StripeFake;
  let stripe: StripeProvider;
  before(async () => {
    fake = await StripeFake.start();
    stripe = adapterFor(fake);
  });
  after(() => fake.close());

  it('passes distinct keys per Stripe call, derived from the port key; a repeat acts once at Stripe', async () => {
    const r = authorization();
    const first = await stripe.authorize(r);
    assert.equal(first.status, 'captured');
    const mine = () => fake.requests.filter((q) => q.idempotencyKey?.startsWith(`${r.idempotencyKey}:`));
    assert.deepEqual(mine().map((q) => [q.route, q.idempotencyKey]), [
      ['create_intent', `${r.idempotencyKey}:create`],
      ['confirm', `${r.idempotencyKey}:confirm`],
    ]);
    const confirmedBefore = fake.acted('confirm');
    assert.deepEqual(await stripe.authorize(r), first);
    assert.equal(fake.acted('confirm'), confirmedBefore, 'the repeat confirmed nothing new');
    assert.deepEqual(mine().slice(2).map((q) => [q.route, q.replayed]), [['create_intent', true], ['confirm', true]], 'Stripe replayed both');
    const pi = fake.intent(first.status === 'captured' ? first.reference : '');
    assert.deepEqual([pi?.amount_received, pi?.metadata], [1200, { kassa_reference: r.reference }]);
    for (const q of mine()) {
      assert.equal(q.headers['authorization'], `Bearer ${fake.secretKey}`);
      assert.match(String(q.headers['content-type']), /^application\/x-www-form-urlencoded/);
      assert.equal(q.headers['stripe-version'], Stripe.API_VERSION, "the SDK's pinned API version");
    }
  });

  it('sends the card only in the confirm body, never in metadata, keys, paths or failures', async () => {
    const number = '5555555555554444';
    const r = authorization({ card: card(number, '737') });
    await stripe.authorize(r);
    fake.fault('confirm', '500-after');
    const e = await failure(stripe.authorize(authorization({ card: card(number, '737') })));
    // The number (16 digits) cannot turn up by chance; the CVC (3 digits) can, inside random ids
    // and keys, so it is looked for as a parameter value, where it could only have been put.
    const leaves = (p: unknown, at: string): [string, string][] =>
      typeof p === 'string' ? [[at, p]] : Object.entries((p ?? {}) as Record<string, unknown>).flatMap(([k, v]) => leaves(v, `${at}[${k}]`));
    for (const q of fake.requests) {
      const outside = JSON.stringify([q.path, q.headers, q.idempotencyKey]);
      assert.ok(!outside.includes(number), `card number outside a body: ${q.path}`);
      if (q.route !== 'confirm') assert.ok(!q.rawBody.includes(number), `card number in a ${q.route} body`);
      for (const [at, value] of leaves(q.params, '')) {
        if (at !== '[payment_method_data][card][number]') assert.ok(!value.includes(number), `card number in ${at}`);
        if (at !== '[payment_method_data][card][cvc]') assert.notEqual(value, '737', `the CVC in ${at}`);
      }
      assert.ok(!Object.values(q.headers).some((v) => v === '737'), 'the CVC as a header');
    }
    const confirm = fake.requests.find((q) => q.route === 'confirm' && q.rawBody.includes(number));
    assert.ok(confirm, 'the confirm carried the card');
    assert.equal((confirm.params?.payment_method_data as { card: { cvc: string } }).card.cvc, '737');
    for (const pi of fake.intents()) assert.ok(!JSON.stringify(pi.metadata).includes(number));
    for (const shown of [e.message, inspect(e), JSON.stringify(e), String(e.rawCode)]) assert.ok(!shown.includes(number));
  });

  it('passes minor units through unchanged (zero-decimal jpy too), and capture_method from capture', async () => {
    const held = await stripe.authorize(authorization({ amount: 5000, currency: 'jpy', capture: false }));
    assert.equal(held.status, 'authorized');
    const pi = fake.intent(held.status === 'authorized' ? held.reference : '');
    assert.deepEqual([pi?.amount, pi?.currency, pi?.capture_method], [5000, 'jpy', 'manual']);
  });

  it('a refused connection (nothing sent) is definite', async () => {
    const gone = await StripeFake.start();
    const url = gone.url;
    await gone.close();
    const e = await failure(adapterFor(fake, { apiBase: url }).authorize(authorization()));
    assert.deepEqual([e.certainty, e.rawCode], ['definite', 'ECONNREFUSED']);
  });

  it("Stripe's refusals of the request (401, 400) are definite, and nothing was made", async () => {
    const count = fake.intents().length;
    const badKey = await failure(adapterFor(fake, { secretKey: 'sk_test_wrong' }).authorize(authorization()));
    assert.equal(badKey.certainty, 'definite');
    assert.match(badKey.message, /401/);
    const badAmount = await failure(stripe.authorize(authorization({ amount: 12.5 })));
    assert.deepEqual([badAmount.certainty, badAmount.rawCode], ['definite', 'parameter_invalid_integer']);
    const tooSmall = await failure(stripe.authorize(authorization({ amount: 10 })));
    assert.deepEqual([tooSmall.certainty, tooSmall.rawCode], ['definite', 'amount_too_small']);
    assert.equal(fake.intents().length, count, 'no intent was created');
  });

  it('a 500 after Stripe acted is ambiguous, and lookup then finds what was done', async () => {
    const r = authorization();
    fake.fault('confirm', '500-after');
    const e = await failure(stripe.authorize(r));
    assert.equal(e.certainty, 'ambiguous');
    const found = await stripe.lookup(lookupOf(r));
    assert.equal(found?.operation, 'authorize');
    assert.equal(found?.outcome.status, 'captured');
    // Stripe saved the 500 as the key's answer: the same call under the same key cannot get past it.
    assert.equal((await failure(stripe.authorize(r))).certainty, 'ambiguous');
  });

  it('a hung call is torn down at the signal, promptly, as ambiguous', async () => {
    fake.fault('confirm', 'hang-before');
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 150);
    const e = await failure(stripe.authorize(authorization({ signal: abort.signal })));
    const took = Date.now() - started;
    assert.equal(e.certainty, 'ambiguous');
    assert.ok(took < 2000, `rejected after ${took} ms (the SDK's own timeout is 30 s)`);
    const hung = fake.requests.findLast((q) => q.route === 'confirm');
    for (let i = 0; i < 50 && !hung?.abandoned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(hung?.abandoned, true, 'the connection itself was torn down, not only the promise');
    const already = new AbortController();
    already.abort();
    const sent = fake.requests.length;
    assert.equal((await failure(stripe.authorize(authorization({ signal: already.signal })))).certainty, 'definite', 'aborted before: never sent');
    assert.equal(fake.requests.length, sent);
  });

  it("declines are answers in core's taxonomy, with Stripe's code kept as rawCode", async () => {
    const cases: [string, string, string][] = [
      ['4000000000000002', DeclineCode.Generic, 'generic_decline'],
      ['4000000000009995', DeclineCode.InsufficientFunds, 'insufficient_funds'],
      ['4000000000000069', DeclineCode.ExpiredCard, 'expired_card'],
      ['4000000000000127', DeclineCode.IncorrectCvc, 'incorrect_cvc'],
      ['4000000000000119', DeclineCode.ProcessingError, 'processing_error'],
      ['4000000000009987', DeclineCode.LostCard, 'lost_card'],
      ['4000000000009979', DeclineCode.StolenCard, 'stolen_card'],
      ['4242424242424241', DeclineCode.Generic, 'incorrect_number'],
    ];
    for (const [number, declineCode, rawCode] of cases) {
      const r = authorization({ card: card(number) });
      const o = await stripe.authorize(r);
      assert.equal(o.status, 'declined', number);
      if (o.status !== 'declined') continue;
      assert.deepEqual([o.declineCode, o.rawCode], [declineCode, rawCode], number);
      assert.ok(o.message);
      assert.deepEqual(await stripe.authorize(withoutCvc(r)), o, 'a retry without the CVC: the same decline');
      assert.deepEqual(await stripe.lookup(lookupOf(r)), { operation: 'authorize', outcome: o }, 'lookup says the same');
    }
  });

  it('3-D Secure: requires_action with the challenge URL, then completeAction once the challenge passed', async () => {
    const r = authorization({ card: card('4000002500003155') });
    const o = await stripe.authorize(r);
    assert.equal(o.status, 'requires_action');
    if (o.status !== 'requires_action' || o.action.type !== 'three_d_secure') return assert.fail(JSON.stringify(o));
    assert.equal(o.action.url, `${fake.url}/3ds/${o.reference}`);
    const confirm = fake.requests.find((q) => q.idempotencyKey === `${r.idempotencyKey}:confirm`);
    assert.equal(confirm?.params?.return_url, `${RETURN_URL}?kassa_reference=${r.reference}`, 'Stripe needs a return_url to answer with a redirect');
    const waiting = await stripe.completeAction({ idempotencyKey: randomUUID(), reference: o.reference });
    assert.equal(waiting.status, 'requires_action', 'not decided yet');
    fake.challenge(o.reference, true);
    assert.deepEqual(await stripe.completeAction({ idempotencyKey: randomUUID(), reference: o.reference }), { status: 'captured', reference: o.reference, amount: 1200 });
  });

  it('3-D Secure: a failed challenge is authentication_failure; off-session it is authentication_required', async () => {
    const o = await stripe.authorize(authorization({ card: card('4000000000003220'), capture: false }));
    assert.equal(o.status, 'requires_action');
    if (o.status !== 'requires_action') return;
    fake.challenge(o.reference, false);
    const failed = await stripe.completeAction({ idempotencyKey: randomUUID(), reference: o.reference });
    assert.deepEqual([failed.status, failed.status === 'declined' && failed.declineCode, failed.status === 'declined' && failed.rawCode], ['declined', 'authentication_failure', 'payment_intent_authentication_failure']);
    const off = await stripe.authorize(authorization({ card: card('4000000000003220'), offSession: true }));
    assert.deepEqual([off.status, off.status === 'declined' && off.declineCode], ['declined', 'authentication_required']);
  });

  it('lookup: a charge whose answer was lost is found, and reported once', async () => {
    const r = authorization();
    const intents = fake.intents().length;
    const confirms = fake.acted('confirm');
    fake.fault('confirm', 'drop-after');
    assert.equal((await failure(stripe.authorize(r))).certainty, 'ambiguous');
    const found = await stripe.lookup(lookupOf(r));
    assert.equal(found?.outcome.status, 'captured');
    assert.equal(fake.intents().length, intents + 1, 'the replayed create found the same intent');
    assert.deepEqual(await stripe.authorize(r), found?.outcome, 'the same call again: the same answer');
    assert.equal(fake.acted('confirm'), confirms + 1, 'charged once');
    const outcome = found?.outcome;
    const pi = fake.intent(outcome && 'reference' in outcome ? (outcome.reference ?? '') : '');
    assert.equal(pi?.amount_received, 1200);
  });

  it('lookup: an authorization Stripe refused as written is null (no intent ever existed)', async () => {
    const r = authorization({ amount: 10 });
    assert.equal((await failure(stripe.authorize(r))).certainty, 'definite');
    assert.equal(await stripe.lookup(lookupOf(r)), null);
  });

  it('lookup: an authorization never sent is null, and making it again charges once', async () => {
    const r = authorization();
    const intents = fake.intents().length;
    fake.fault('create_intent', 'drop-before');
    assert.equal((await failure(stripe.authorize(r))).certainty, 'ambiguous', 'a dropped connection could have been processed');
    assert.equal(await stripe.lookup(lookupOf(r)), null, 'the intent exists now, unconfirmed: never charged');
    const again = await stripe.authorize(r);
    assert.equal(again.status, 'captured');
    assert.equal(fake.intents().length, intents + 1, 'one intent for the key');
  });

  it("lookup past Stripe's key retention is not sure (and asks nothing); with Stripe's id it still knows", async () => {
    const r = authorization({ capture: false });
    const held = await stripe.authorize(r);
    const sent = fake.requests.length;
    const late = lookupOf(r, { madeAt: Date.now() - KEY_RETENTION_MS - 60_000 });
    assert.equal((await failure(stripe.lookup(late))).certainty, 'ambiguous');
    assert.equal(fake.requests.length, sent, 'no replay that could create a new intent');
    const ref = held.status === 'authorized' ? held.reference : '';
    assert.deepEqual(await stripe.lookup({ ...late, providerRef: ref }), { operation: 'authorize', outcome: held });
  });

  it('lookup of a lost capture, cancel and refund; null for a refund never made', async () => {
    const r = authorization({ capture: false, amount: 3000 });
    const held = await stripe.authorize(r);
    const ref = held.status === 'authorized' ? held.reference : '';
    const ask = (operation: LookupRequest['operation'], key: string, amount: number) => stripe.lookup(lookupOf(r, { operation, idempotencyKey: key, providerRef: ref, amount }));
    const captureKey = randomUUID();
    assert.equal(await ask('capture', captureKey, 2000), null, 'not captured yet');
    fake.fault('capture', 'drop-after');
    assert.equal((await failure(stripe.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: captureKey, reference: ref, amount: 2000, currency: 'usd' }))).certainty, 'ambiguous');
    assert.deepEqual(await ask('capture', captureKey, 2000), { operation: 'capture', outcome: { status: 'captured', amount: 2000 } });
    const refundKey = randomUUID();
    assert.equal(await ask('refund', refundKey, 500), null);
    fake.fault('create_refund', 'drop-after');
    assert.equal((await failure(stripe.refund({ idempotencyKey: refundKey, reference: ref, amount: 500 }))).certainty, 'ambiguous');
    const found = await ask('refund', refundKey, 500);
    assert.deepEqual(found?.operation === 'refund' && withoutReference(found.outcome), { status: 'succeeded', amount: 500 });
    const refundId = found?.outcome.status === 'succeeded' ? found.outcome.reference : undefined;
    assert.deepEqual([refundId, fake.refunds().filter((x) => x.payment_intent === ref).map((x) => x.id)], [refundId, [refundId]], "the one Refund, by Stripe's id");
    assert.deepEqual(await stripe.refund({ idempotencyKey: refundKey, reference: ref, amount: 500 }), found?.outcome, 'the same refund again');
    assert.equal(fake.acted('create_refund'), fake.requests.filter((q) => q.route === 'create_refund' && q.replayed === false).length);
    const other = await stripe.authorize(authorization({ capture: false }));
    const otherRef = other.status === 'authorized' ? other.reference : '';
    const cancelKey = randomUUID();
    fake.fault('cancel', 'drop-after');
    assert.equal((await failure(stripe.cancel({ idempotencyKey: cancelKey, reference: otherRef }))).certainty, 'ambiguous');
    assert.deepEqual(await stripe.lookup(lookupOf(r, { operation: 'cancel', idempotencyKey: cancelKey, providerRef: otherRef })), { operation: 'cancel', outcome: { status: 'canceled' } });
  });

  it('a 409 (the key is still in use) is ambiguous — the first request under it may still charge — a 429 is definite, a 500 before acting is ambiguous to the adapter', async () => {
    const r = authorization();
    fake.fault('confirm', 'hang-before');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    assert.equal((await failure(stripe.authorize({ ...r, signal: abort.signal }))).certainty, 'ambiguous');
    // Stripe is still working on the first confirm: the repeat is refused and did nothing, but
    // the first may still charge — so not definite (that would let Kassa settle it as failed).
    const busy = await failure(stripe.authorize(r));
    assert.deepEqual([busy.certainty, busy.rawCode], ['ambiguous', 'idempotency_key_in_use']);
    assert.match(busy.message, /409/);
    fake.fault('create_intent', '429-before');
    const limited = await failure(stripe.authorize(authorization()));
    assert.deepEqual([limited.certainty, limited.rawCode], ['definite', 'rate_limit']);
    fake.fault('create_intent', '500-before');
    assert.equal((await failure(stripe.authorize(authorization()))).certainty, 'ambiguous', 'Stripe does not say which 500s followed processing');
  });

  it('a hung answer after Stripe acted: the repeat under the same key gets the saved answer', async () => {
    const r = authorization();
    fake.fault('confirm', 'hang-after');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    assert.equal((await failure(stripe.authorize({ ...r, signal: abort.signal }))).certainty, 'ambiguous');
    const confirms = fake.acted('confirm');
    assert.equal((await stripe.authorize(r)).status, 'captured');
    assert.equal(fake.acted('confirm'), confirms, 'replayed, not charged again');
  });

  it('status mapping: processing is pending (asked again, never guessed); unknown statuses are ambiguous', () => {
    const base = { id: 'pi_1', amount: 100, amount_capturable: 0, amount_received: 0 };
    assert.deepEqual(intentOutcome({ ...base, status: 'processing' }), { status: 'pending', reference: 'pi_1' });
    assert.throws(() => intentOutcome({ ...base, status: 'requires_reauthorization' }), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous');
    assert.equal(intentOutcome({ ...base, status: 'requires_payment_method' }), null);
    assert.throws(() => intentOutcome({ ...base, status: 'requires_action', next_action: { type: 'use_stripe_sdk' } }), (e: unknown) => e instanceof ProviderFailure && e.certainty === 'definite');
  });
});

describe('the Stripe fake is strict', () => {
  let fake: StripeFake;
  before(async () => {
    fake = await StripeFake.start();
  });
  after(() => fake.close());
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { type: string; code?: string; param?: string }; id?: string }, headers: r.headers }));

  it('refuses what Stripe refuses', async () => {
    const unknown = await post('/v1/payment_intents', 'amount=100&currency=usd&colour=red');
    assert.deepEqual([unknown.status, unknown.body.error?.code, unknown.body.error?.param], [400, 'parameter_unknown', 'colour']);
    const nested = await post('/v1/payment_intents', 'amount=100&currency=usd&payment_method_data[type]=card&payment_method_data[card][pin]=1');
    assert.deepEqual([nested.body.error?.code, nested.body.error?.param], ['parameter_unknown', 'payment_method_data[card][pin]']);
    const missing = await post('/v1/payment_intents', 'currency=usd');
    assert.deepEqual([missing.status, missing.body.error?.code, missing.body.error?.param], [400, 'parameter_missing', 'amount']);
    const notInt = await post('/v1/payment_intents', 'amount=1.5&currency=usd');
    assert.equal(notInt.body.error?.code, 'parameter_invalid_integer');
    const json = await post('/v1/payment_intents', JSON.stringify({ amount: 100, currency: 'usd' }), { 'Content-Type': 'application/json' });
    assert.equal(json.status, 400);
    const badKey = await post('/v1/payment_intents', 'amount=100&currency=usd', { Authorization: 'Bearer sk_test_nope' });
    assert.deepEqual([badKey.status, badKey.body.error?.type], [401, 'invalid_request_error']);
    const version = await post('/v1/payment_intents', 'amount=100&currency=usd', { 'Stripe-Version': 'latest' });
    assert.equal(version.status, 400);
  });

  it('keeps idempotency like Stripe: replays the same, refuses other parameters, saves no validation error', async () => {
    const key = randomUUID();
    const first = await post('/v1/payment_intents', 'amount=100&currency=usd&metadata[a]=1', { 'Idempotency-Key': key });
    const again = await post('/v1/payment_intents', 'metadata[a]=1&currency=usd&amount=100', { 'Idempotency-Key': key });
    assert.equal(first.status, 200);
    assert.deepEqual(again.body, first.body, 'the same parameters in another order: replayed');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await post('/v1/payment_intents', 'amount=200&currency=usd&metadata[a]=1', { 'Idempotency-Key': key });
    assert.deepEqual([other.status, other.body.error?.type], [400, 'idempotency_error']);
    const k2 = randomUUID();
    assert.equal((await post('/v1/payment_intents', 'currency=usd', { 'Idempotency-Key': k2 })).status, 400);
    assert.equal((await post('/v1/payment_intents', 'amount=100&currency=usd', { 'Idempotency-Key': k2 })).status, 200, 'a refused request did not take the key');
  });
});

describe('stripe webhook verification', () => {
  const secret = new Sensitive(`whsec_${randomUUID().replace(/-/g, '')}`);
  const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } });
  const header = (o: { at?: number; secret?: string; body?: string } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload: o.body ?? payload, secret: o.secret ?? secret.reveal(), timestamp: o.at ?? Math.floor(Date.now() / 1000) });
  const rejects = (fn: () => unknown) => assert.throws(fn, StripeWebhookError);

  it('accepts a header Stripe would send, on the raw body (string or Buffer)', () => {
    assert.equal(verifyStripeWebhook(payload, header(), secret, 300).id, 'evt_1');
    assert.equal(verifyStripeWebhook(Buffer.from(payload), header({ at: Math.floor(Date.now() / 1000) + 30 }), secret, 300).type, 'payment_intent.succeeded', 'a little clock skew is fine');
  });

  it('rejects a tampered body, a wrong secret, an old and a future timestamp', () => {
    rejects(() => verifyStripeWebhook(payload.replace('pi_1', 'pi_2'), header(), secret, 300));
    rejects(() => verifyStripeWebhook(payload, header({ secret: 'whsec_other' }), secret, 300));
    rejects(() => verifyStripeWebhook(payload, header({ at: Math.floor(Date.now() / 1000) - 600 }), secret, 300));
    rejects(() => verifyStripeWebhook(payload, header({ at: Math.floor(Date.now() / 1000) + 600 }), secret, 300));
    assert.throws(() => verifyStripeWebhook(payload, header(), secret, 0), RangeError, 'a tolerance of 0 would switch the check off');
  });
});

describe('stripe events (parseNotification)', () => {
  let fake: StripeFake;
  let stripe: StripeProvider;
  before(async () => {
    fake = await StripeFake.start();
    stripe = adapterFor(fake);
  });
  after(() => fake.close());

  const parse = (p: StripeProvider, sent: { body: string; signature: string }, body = sent.body) => {
    assert.ok(p.parseNotification, 'declared');
    return p.parseNotification(Buffer.from(body), { 'content-type': 'application/json', 'stripe-signature': sent.signature });
  };
  /** The events the fake signed about one PaymentIntent, by type, in order. */
  const eventsOf = (pi: string) => fake.notifications.filter((n) => n.event.data.object.id === pi || n.event.data.object.payment_intent === pi);
  const idOf = (o: { status: string; reference?: string }): string => o.reference ?? assert.fail(JSON.stringify(o));

  it('declares notifications exactly when a webhook secret is configured; without one there is no parseNotification', () => {
    assert.equal(stripe.capabilities.notifications, true);
    assert.equal(typeof stripe.parseNotification, 'function');
    const without = adapterFor(fake, { webhookSecret: null });
    assert.equal(without.capabilities.notifications, false);
    assert.equal(without.parseNotification, undefined);
  });

  it("maps each PaymentIntent event to the intent and Kassa's reference, a refund's to the intent; the event id is the dedupe key; the ack is an empty 2xx body", async () => {
    const held = authorization({ capture: false });
    const pi = idOf((await stripe.authorize(held)) as { status: string; reference: string });
    await stripe.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: pi, amount: 1000, currency: 'usd' });
    await stripe.refund({ idempotencyKey: randomUUID(), reference: pi, amount: 400 });
    const read: (readonly [string, Awaited<ReturnType<typeof parse>>])[] = [];
    for (const sent of eventsOf(pi)) read.push([sent.event.type, await parse(stripe, sent)]);
    const byType = (type: string) => read.find(([t]) => t === type)?.[1] ?? assert.fail(`no ${type} in ${read.map(([t]) => t).join(', ')}`);
    assert.deepEqual(read.map(([t]) => t), ['payment_intent.created', 'payment_intent.amount_capturable_updated', 'payment_intent.succeeded', 'charge.refunded', 'refund.created']);
    assert.deepEqual(byType('payment_intent.created'), { notifications: [], ack: '' }, 'about nothing Kassa acts on: acknowledged, no notification');
    for (const type of ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded', 'charge.refunded']) {
      const sent = eventsOf(pi).find((n) => n.event.type === type);
      assert.deepEqual(byType(type), { notifications: [{ id: sent?.event.id, kind: type, providerRef: pi, reference: held.reference }], ack: '' }, type);
    }
    const refund = eventsOf(pi).find((n) => n.event.type === 'refund.created');
    assert.deepEqual(byType('refund.created').notifications, [{ id: refund?.event.id, kind: 'refund.created', providerRef: pi }], "a refund's metadata is its own: the intent only");
  });

  it('maps the 3-D Secure, decline and cancel events', async () => {
    const challenged = authorization({ card: card('4000002500003155') });
    const pi = idOf((await stripe.authorize(challenged)) as { status: string; reference: string });
    fake.challenge(pi, false);
    const declined = authorization({ card: card('4000000000000002') });
    await stripe.authorize(declined);
    const declinedPi = fake.intents().find((i) => i.metadata.kassa_reference === declined.reference)?.id ?? assert.fail('no intent');
    const held = authorization({ capture: false });
    const heldPi = idOf((await stripe.authorize(held)) as { status: string; reference: string });
    await stripe.cancel({ idempotencyKey: randomUUID(), reference: heldPi });
    const kinds = async (id: string) => (await Promise.all(eventsOf(id).map((n) => parse(stripe, n)))).flatMap((r) => r.notifications.map((n) => [n.kind, n.providerRef, n.reference]));
    assert.deepEqual(await kinds(pi), [['payment_intent.requires_action', pi, challenged.reference], ['payment_intent.payment_failed', pi, challenged.reference]]);
    assert.deepEqual(await kinds(declinedPi), [['payment_intent.payment_failed', declinedPi, declined.reference]]);
    assert.deepEqual(await kinds(heldPi), [['payment_intent.amount_capturable_updated', heldPi, held.reference], ['payment_intent.canceled', heldPi, held.reference]]);
  });

  it('refuses an event not signed with the secret, changed by a byte, stamped too long ago or ahead, without the header, or of the other mode', async () => {
    const r = authorization();
    const pi = idOf((await stripe.authorize(r)) as { status: string; reference: string });
    const sent = eventsOf(pi).find((n) => n.event.type === 'payment_intent.succeeded') ?? assert.fail('no event');
    const refused = (p: Promise<unknown>, what: string) => assert.rejects(p, NotificationRejected, what);
    await refused(parse(stripe, { body: sent.body, signature: fake.sign(sent.body, { secret: 'whsec_someone_else' }) }), 'another secret');
    await refused(parse(stripe, sent, sent.body.replace(pi, `${pi.slice(0, -1)}${pi.endsWith('x') ? 'y' : 'x'}`)), 'one byte of the intent id');
    const t = Math.floor(Date.now() / 1000);
    await refused(parse(stripe, { body: sent.body, signature: fake.sign(sent.body, { timestamp: t - 301 - 5 }) }), 'older than the tolerance');
    await refused(parse(stripe, { body: sent.body, signature: fake.sign(sent.body, { timestamp: t + 301 + 5 }) }), 'ahead of the tolerance');
    assert.equal((await parse(stripe, { body: sent.body, signature: fake.sign(sent.body, { timestamp: t - 60 }) })).notifications.length, 1, 'within it: read');
    // The adapter's clock, not the machine's: ten minutes later the same delivery is too old.
    await refused(parse(adapterFor(fake, { now: () => Date.now() + 600_000 }), sent), "too old by the adapter's clock");
    await refused(stripe.parseNotification!(Buffer.from(sent.body), {}), 'no Stripe-Signature');
    const live = JSON.stringify({ ...sent.event, livemode: true });
    await refused(parse(stripe, { body: live, signature: fake.sign(live) }), 'a live-mode event to a test-mode account');
  });

  it('reads what Stripe may send beyond the payments it made: other types acknowledged, unreadable ones refused', async () => {
    const signedEvent = (event: Record<string, unknown>) => {
      const body = JSON.stringify({ id: `evt_${randomUUID().slice(0, 8)}`, object: 'event', livemode: false, created: 1, ...event });
      return { body, signature: fake.sign(body) };
    };
    assert.deepEqual(await parse(stripe, signedEvent({ type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } })), { notifications: [], ack: '' });
    assert.deepEqual(
      await parse(stripe, signedEvent({ type: 'charge.refunded', data: { object: { id: 'ch_1', object: 'charge', payment_intent: null } } })),
      { notifications: [], ack: '' },
      'a charge of no PaymentIntent (the legacy Charges API) is not one of Kassa’s',
    );
    await assert.rejects(parse(stripe, signedEvent({ type: 'payment_intent.succeeded', data: { object: { id: 'ch_1', object: 'charge' } } })), NotificationRejected, 'a handled type whose object is not its PaymentIntent');
    await assert.rejects(parse(stripe, signedEvent({ object: 'list', type: 'payment_intent.succeeded', data: {} })), NotificationRejected, 'not an event');
    const notJson = 'not json';
    await assert.rejects(parse(stripe, { body: notJson, signature: fake.sign(notJson) }), NotificationRejected, 'signed, but not JSON');
  });
});
