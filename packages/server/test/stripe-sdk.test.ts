/**
 * "An API shaped like Stripe's so existing code works": the official `stripe` Node SDK, pointed
 * at a real Kassa server, drives the merchant API end to end. The SDK sends form-encoded bodies
 * (nested `metadata[k]`, booleans as "true", arrays as `x[0]`), Stripe-Version and telemetry
 * headers, empty bodies for parameterless POSTs and its own Idempotency-Key on every POST; it
 * picks its error class from the status code. Each test is a piece of ordinary Stripe code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { CARDS, boot } from './helpers.js';
import type { Harness } from './helpers.js';

/** Runs `fn`, which must throw; returns what it threw. */
async function rejection(fn: () => Promise<unknown>): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof Stripe.errors.StripeError, `expected a StripeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to throw');
}

describe('the official stripe SDK against Kassa', () => {
  let h: Harness;
  let stripe: Stripe;
  let port: number;
  /** Idempotency keys of the requests the SDK sent, as its own 'request' event reports them. */
  const sentKeys: Array<string | undefined> = [];

  /** A card token, made as the card frame makes it: the intent's client secret as Bearer, no Origin. */
  async function tokenFor(intent: Stripe.PaymentIntent, number: string = CARDS.visa): Promise<string> {
    assert.ok(intent.client_secret);
    const r = await h.tokenize(intent.client_secret, { number });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.id as string;
  }

  before(async () => {
    h = await boot();
    port = Number(new URL(h.url).port);
    stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    stripe.on('request', (event: Stripe.RequestEvent) => sentKeys.push(event.idempotency_key));
  });
  after(async () => {
    await h.close();
  });

  it('creates an intent with every Stripe-style field and retrieves it as created', async () => {
    const shopper = await stripe.customers.create({ name: 'Mei Lin', email: 'mei@example.com' });
    const created = await stripe.paymentIntents.create({
      amount: 12800,
      currency: 'cny',
      capture_method: 'manual',
      customer: shopper.id,
      setup_future_usage: 'off_session',
      description: 'Mooncakes ×2',
      metadata: { order_id: 'A-1001', 'shop:channel': 'web' },
    });
    assert.match(created.id, /^pi_/);
    assert.equal(created.object, 'payment_intent');
    assert.equal(created.status, 'requires_payment_method');
    assert.equal(created.amount, 12800, 'the form string "12800" arrives as a number');
    assert.equal(created.currency, 'cny');
    assert.equal(created.capture_method, 'manual');
    assert.equal(created.customer, shopper.id);
    assert.equal(created.setup_future_usage, 'off_session');
    assert.equal(created.description, 'Mooncakes ×2');
    assert.deepEqual(created.metadata, { order_id: 'A-1001', 'shop:channel': 'web' });
    assert.equal(created.livemode, false);
    assert.equal(typeof created.client_secret, 'string');
    assert.equal(created.lastResponse.statusCode, 200);
    assert.match(created.lastResponse.requestId, /^req_/);

    const retrieved = await stripe.paymentIntents.retrieve(created.id);
    for (const field of ['id', 'amount', 'currency', 'status', 'capture_method', 'customer', 'setup_future_usage', 'description', 'created'] as const) {
      assert.equal(retrieved[field], created[field], field);
    }
    assert.deepEqual(retrieved.metadata, created.metadata);
  });

  it('confirms server-side with a card token, saves the card, and a partial capture releases the rest', async () => {
    const customer = (await stripe.customers.create()).id;
    const intent = await stripe.paymentIntents.create({ amount: 12800, currency: 'cny', capture_method: 'manual', customer, setup_future_usage: 'off_session' });
    const token = await tokenFor(intent, CARDS.mastercardLimited);
    const start = h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny')?.balance ?? 20000;

    const confirmed = await stripe.paymentIntents.confirm(intent.id, { payment_method: token });
    assert.equal(confirmed.status, 'requires_capture');
    assert.equal(confirmed.amount_capturable, 12800);
    assert.equal(confirmed.amount_received, 0);
    assert.match(String(confirmed.payment_method), /^pm_/, 'a card kept for the customer becomes a pm_');
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: start, held: 12800 });

    const captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 5000 });
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 5000);
    assert.equal(captured.amount_capturable, 0);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: start - 5000, held: 0 });

    const methods = await stripe.customers.listPaymentMethods(customer);
    assert.equal(methods.object, 'list');
    assert.equal(methods.data.length, 1);
    assert.equal(methods.data[0]?.id, confirmed.payment_method);
    assert.equal(methods.data[0]?.card?.last4, '4444');
    assert.equal(methods.data[0]?.card?.brand, 'mastercard');

    // The saved card pays the next order in one call: create with payment_method and confirm=true.
    const again = await stripe.paymentIntents.create({ amount: 3000, currency: 'cny', customer, payment_method: methods.data[0]!.id, confirm: true });
    assert.equal(again.status, 'succeeded');
    assert.equal(again.amount_received, 3000);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: start - 8000, held: 0 });
  });

  it('captures in full when capture is called without parameters (an empty POST body)', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd', capture_method: 'manual' });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: await tokenFor(intent) });
    const captured = await stripe.paymentIntents.capture(intent.id);
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 4200);
    assert.equal(captured.currency, 'usd');
  });

  it('captures one hold in parts with final_capture: false (multicapture), the last capture ending it', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 6000, currency: 'usd', capture_method: 'manual' });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: await tokenFor(intent) });
    const part = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 2500, final_capture: false });
    assert.deepEqual([part.status, part.amount_received, part.amount_capturable], ['requires_capture', 2500, 3500]);
    const last = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 3000 });
    assert.deepEqual([last.status, last.amount_received, last.amount_capturable], ['succeeded', 5500, 0]);
    const error = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 100, final_capture: false }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, String(error));
    assert.equal(error.code, 'payment_intent_unexpected_state');
  });

  it('confirms at creation with confirm: true (a boolean in form encoding) and a token', async () => {
    const holder = await stripe.paymentIntents.create({ amount: 100, currency: 'cny' });
    const paid = await stripe.paymentIntents.create({ amount: 1999, currency: 'jpy', payment_method: await tokenFor(holder), confirm: true });
    assert.equal(paid.status, 'succeeded');
    assert.equal(paid.amount_received, 1999);

    const unconfirmed = await stripe.paymentIntents.create({ amount: 100, currency: 'cny', confirm: false });
    assert.equal(unconfirmed.status, 'requires_payment_method', 'confirm=false is false, not the truthy string "false"');
  });

  it('cancels an authorized intent, releasing the hold, and cancels an unpaid one without parameters', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 15000, currency: 'cny', capture_method: 'manual' });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: await tokenFor(intent, CARDS.jcb) });
    const before = h.kassa.sandboxAccount(CARDS.jcb, 'cny');
    assert.equal(before?.held, 15000);

    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'requested_by_customer');
    assert.equal(typeof canceled.canceled_at, 'number');
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.jcb, 'cny'), { balance: before?.balance, held: 0 });

    const unpaid = await stripe.paymentIntents.create({ amount: 100, currency: 'cny' });
    assert.equal((await stripe.paymentIntents.cancel(unpaid.id)).status, 'canceled');

    // Stripe's answer to acting on a finished intent: payment_intent_unexpected_state, the intent attached.
    const err = await rejection(() => stripe.paymentIntents.capture(intent.id));
    assert.equal(err.rawType, 'invalid_request_error');
    assert.equal(err.code, 'payment_intent_unexpected_state');
    assert.equal(err.statusCode, 400);
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, 'the SDK raises the class Stripe would');
    assert.equal(err.payment_intent?.status, 'canceled');
  });

  describe('idempotency', () => {
    it('the same idempotencyKey twice creates one intent and replays it', async () => {
      const params = { amount: 6600, currency: 'cny', metadata: { order_id: 'idem-1' } } as const;
      const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-idem-1' });
      const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-idem-1' });
      assert.equal(second.id, first.id);
      assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
      assert.equal(first.lastResponse.headers['idempotent-replayed'], undefined);
      const rows = h.db().prepare("SELECT COUNT(*) AS n FROM payment_intents WHERE metadata LIKE '%idem-1%'").get() as { n: number };
      assert.equal(rows.n, 1);

      const other = await rejection(() => stripe.paymentIntents.create({ ...params, amount: 6700 }, { idempotencyKey: 'order-idem-1' }));
      // Stripe's class for it, which stripe-node picks only for a 400 (or 404) of this type.
      assert.ok(other instanceof Stripe.errors.StripeIdempotencyError, other.constructor.name);
      assert.equal(other.rawType, 'idempotency_error');
      assert.equal(other.code, 'idempotency_key_reused');
      assert.equal(other.statusCode, 400);
    });

    it('a replayed confirm charges the card once', async () => {
      const intent = await stripe.paymentIntents.create({ amount: 2500, currency: 'cny' });
      const token = await tokenFor(intent, CARDS.amex);
      const start = h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance ?? 100_000_000;
      const first = await stripe.paymentIntents.confirm(intent.id, { payment_method: token }, { idempotencyKey: `confirm-${intent.id}` });
      const second = await stripe.paymentIntents.confirm(intent.id, { payment_method: token }, { idempotencyKey: `confirm-${intent.id}` });
      assert.equal(first.status, 'succeeded');
      assert.equal(second.status, 'succeeded');
      assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, start - 2500);
    });

    it("the SDK's automatic keys (one per POST) neither merge distinct calls nor block a retry after a decline", async () => {
      sentKeys.length = 0;
      const a = await stripe.paymentIntents.create({ amount: 700, currency: 'cny' });
      const b = await stripe.paymentIntents.create({ amount: 700, currency: 'cny' });
      assert.notEqual(a.id, b.id, 'identical bodies without an explicit key are two intents');
      assert.equal(sentKeys.length, 2);
      for (const key of sentKeys) assert.match(String(key), /^stripe-node-retry-[0-9a-f-]{36}$/);
      assert.notEqual(sentKeys[0], sentKeys[1]);

      // A declined confirm is stored under its automatic key; the next call has its own key and runs.
      const declined = await rejection(async () => stripe.paymentIntents.confirm(a.id, { payment_method: await tokenFor(a, CARDS.insufficientFunds) }));
      assert.ok(declined instanceof Stripe.errors.StripeCardError);
      const paid = await stripe.paymentIntents.confirm(a.id, { payment_method: await tokenFor(a) });
      assert.equal(paid.status, 'succeeded');
    });
  });

  describe('errors, as the SDK classifies them', () => {
    it('a declined card throws StripeCardError with code, decline_code and the intent, as Stripe does', async () => {
      const intent = await stripe.paymentIntents.create({ amount: 12800, currency: 'cny' });
      const token = await tokenFor(intent, CARDS.insufficientFunds);
      const err = await rejection(() => stripe.paymentIntents.confirm(intent.id, { payment_method: token }));
      assert.ok(err instanceof Stripe.errors.StripeCardError, err.constructor.name);
      assert.equal(err.type, 'StripeCardError');
      assert.equal(err.rawType, 'card_error');
      assert.equal(err.statusCode, 402);
      assert.equal(err.code, 'card_declined');
      assert.equal(err.decline_code, 'insufficient_funds');
      assert.equal(err.message, 'Your card has insufficient funds.');
      assert.match(String(err.requestId), /^req_/);
      assert.equal(err.payment_intent?.id, intent.id);
      assert.equal(err.payment_intent?.status, 'requires_payment_method');
      assert.equal(err.payment_intent?.last_payment_error?.decline_code, 'insufficient_funds');

      const after = await stripe.paymentIntents.retrieve(intent.id);
      assert.equal(after.status, 'requires_payment_method');
      assert.equal(after.last_payment_error?.code, 'card_declined');
    });

    it('a wrong secret key throws StripeAuthenticationError', async () => {
      for (const key of ['sk_test_0000000000000000000000000', 'not-a-key']) {
        const wrong = new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
        const err = await rejection(() => wrong.paymentIntents.create({ amount: 100, currency: 'cny' }));
        assert.ok(err instanceof Stripe.errors.StripeAuthenticationError, `${key}: ${err.constructor.name}`);
        assert.equal(err.statusCode, 401);
        assert.equal(err.code, 'api_key_invalid');
      }
    });

    it('an unknown id throws StripeInvalidRequestError 404 resource_missing', async () => {
      for (const id of ['pi_doesNotExist0000000000', 'ch_notAnIntent']) {
        const err = await rejection(() => stripe.paymentIntents.retrieve(id));
        assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, err.constructor.name);
        assert.equal(err.statusCode, 404);
        assert.equal(err.code, 'resource_missing');
      }
      const err = await rejection(() => stripe.paymentIntents.capture('pi_doesNotExist0000000000'));
      assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(err.statusCode, 404);
    });

    it('bad parameters throw StripeInvalidRequestError naming the param, Stripe-style for nested ones', async () => {
      const cases: Array<[string, () => Promise<unknown>, string, string]> = [
        ['negative amount', () => stripe.paymentIntents.create({ amount: -5, currency: 'cny' }), 'amount', 'parameter_invalid'],
        ['fractional amount', () => stripe.paymentIntents.create({ amount: 12.5, currency: 'cny' }), 'amount', 'parameter_invalid'],
        ['unknown currency', () => stripe.paymentIntents.create({ amount: 100, currency: 'xxx' }), 'currency', 'parameter_invalid'],
        ['missing currency', () => stripe.paymentIntents.create({ amount: 100 } as Stripe.PaymentIntentCreateParams), 'currency', 'parameter_missing'],
        ['bad capture_method', () => stripe.paymentIntents.create({ amount: 100, currency: 'cny', capture_method: 'automatic_async' }), 'capture_method', 'parameter_invalid'],
        ['too long metadata value', () => stripe.paymentIntents.create({ amount: 100, currency: 'cny', metadata: { note: 'x'.repeat(501) } }), 'metadata[note]', 'parameter_invalid'],
        ['unknown parameter', () => stripe.paymentIntents.create({ amount: 100, currency: 'cny', application_fee_amount: 10 }), 'application_fee_amount', 'parameter_unknown'],
        ['off_session without confirm', () => stripe.paymentIntents.create({ amount: 100, currency: 'cny', off_session: true }), 'off_session', 'parameter_invalid'],
        ['unknown expansion', () => stripe.paymentIntents.create({ amount: 100, currency: 'cny', expand: ['review'] }), 'expand[0]', 'parameter_invalid'],
        ['capture over the amount', async () => {
          const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'cny', capture_method: 'manual' });
          await stripe.paymentIntents.confirm(intent.id, { payment_method: await tokenFor(intent) });
          return stripe.paymentIntents.capture(intent.id, { amount_to_capture: 1001 });
        }, 'amount_to_capture', 'amount_too_large'],
      ];
      for (const [name, call, param, code] of cases) {
        const err = await rejection(call);
        assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, `${name}: ${err.constructor.name}`);
        assert.equal(err.statusCode, 400, name);
        assert.equal(err.param, param, name);
        assert.equal(err.code, code, name);
      }
    });

    it('a used token is refused on the payment_method param', async () => {
      const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'cny' });
      const token = await tokenFor(intent);
      const other = await stripe.paymentIntents.create({ amount: 100, currency: 'cny' });
      await stripe.paymentIntents.confirm(intent.id, { payment_method: token });
      const err = await rejection(() => stripe.paymentIntents.confirm(other.id, { payment_method: token }));
      assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(err.param, 'payment_method');
      assert.equal(err.code, 'token_already_used');
    });
  });

  describe('what Stripe code commonly sends that Kassa has no use for', () => {
    it("Stripe's quick-start parameters are accepted: automatic_payment_methods[enabled], (allowed_)payment_method_types[]=card", async () => {
      const automatic = await stripe.paymentIntents.create({ amount: 1099, currency: 'usd', automatic_payment_methods: { enabled: true } });
      assert.equal(automatic.status, 'requires_payment_method');
      const noRedirects = await stripe.paymentIntents.create({
        amount: 1099,
        currency: 'usd',
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });
      assert.equal(noRedirects.amount, 1099);
      const allowed = await stripe.paymentIntents.create({ amount: 1099, currency: 'usd', allowed_payment_method_types: ['card'] });
      const paid = await stripe.paymentIntents.confirm(allowed.id, { payment_method: await tokenFor(allowed) });
      assert.equal(paid.status, 'succeeded');
      // Code written against API versions before 2026 names the list payment_method_types.
      const legacy = { amount: 1099, currency: 'usd', payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams;
      assert.equal((await stripe.paymentIntents.create(legacy)).status, 'requires_payment_method');

      assert.deepEqual(allowed.payment_method_types, ['card'], 'the list is kept, as Stripe shows it');
      // A method no provider of test mode takes (the sandbox takes cards) is refused by name, not ignored.
      const err = await rejection(() => stripe.paymentIntents.create({ amount: 1099, currency: 'usd', allowed_payment_method_types: ['alipay'] }));
      assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
      assert.deepEqual([err.code, err.param], ['payment_method_unactivated', 'payment_method_types']);
      const legacyErr = await rejection(() =>
        stripe.paymentIntents.create({ amount: 1099, currency: 'usd', payment_method_types: ['card', 'wechat_pay'] } as Stripe.PaymentIntentCreateParams),
      );
      assert.equal(legacyErr.param, 'payment_method_types[1]');
      const notBoolean = await rejection(() =>
        stripe.paymentIntents.create({ amount: 1099, currency: 'usd', automatic_payment_methods: { enabled: 'yes' as unknown as boolean } }),
      );
      assert.equal(notBoolean.param, 'automatic_payment_methods[enabled]');
    });

    it('expand[] gives the objects behind latest_charge, payment_method and customer, one level, on retrieve (a query) as on create (a body)', async () => {
      const customer = await stripe.customers.create({ name: 'Expand Me' });
      const created = await stripe.paymentIntents.create({
        amount: 1500,
        currency: 'cny',
        customer: customer.id,
        setup_future_usage: 'off_session',
        payment_method: 'pm_card_visa',
        confirm: true,
        expand: ['latest_charge', 'customer'],
      });
      assert.equal(created.status, 'succeeded');
      const charge = created.latest_charge as Stripe.Charge;
      assert.equal(charge.object, 'charge');
      assert.equal(charge.amount_captured, 1500);
      assert.equal((created.customer as Stripe.Customer).name, 'Expand Me');
      const retrieved = await stripe.paymentIntents.retrieve(created.id, { expand: ['payment_method'] });
      const pm = retrieved.payment_method as Stripe.PaymentMethod;
      assert.equal(pm.object, 'payment_method');
      assert.equal(pm.card?.last4, '4242');
      assert.equal(typeof retrieved.latest_charge, 'string', 'only what was asked is expanded');
      const bad = await rejection(() => stripe.paymentIntents.retrieve(created.id, { expand: ['latest_charge.balance_transaction'] }));
      assert.equal(bad.code, 'parameter_invalid');
      assert.equal(bad.param, 'expand[0]');
    });
  });
});
