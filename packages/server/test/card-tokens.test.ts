/**
 * Cards that come as tokens instead of through Kassa's card frame, through the real server:
 *   - a provider's own token (`payment_method_data[type]=card`, `[card][token]`): a Stripe.js
 *     PaymentMethod or Token, charged at the Stripe account that made it and nowhere else;
 *   - a device wallet's token (`apple_pay`, `google_pay`): at the provider that decrypts it
 *     (Adyen for both; Stripe for Google Pay with Stripe as its gateway).
 * Against the strict fakes, with the official `stripe` SDK as the merchant's client. What is
 * checked: the payment, the routing (one provider, never failed over), the token sealed at rest
 * and dropped once answered, never in logs, every bad input a clear 4xx, and the flows a token
 * cannot have (saving it, charging it off-session) refused before any call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Stripe from 'stripe';
import { Sensitive } from '../src/domain/ports.js';
import { FUTURE_YEAR, boot } from './helpers.js';
import type { Harness } from './helpers.js';
import { StripeFake, stripeJsOf } from './fakes/stripe-fake.js';
import { ADYEN_TEST_CARDS, AdyenFake } from './fakes/adyen-fake.js';

const API_KEY = 'AQE_card_tokens';
const MERCHANT = 'KassaECOM';

interface Rig {
  h: Harness;
  stripeFake: StripeFake;
  adyenFake: AdyenFake;
  logs: string[];
  /** The merchant's backend: the official SDK against Kassa. */
  sdk: Stripe;
}

/** Test mode with Stripe and Adyen (Stripe first in the default order), as `kassa serve` would configure them. */
async function withProviders(fn: (r: Rig) => Promise<void>, o: { routing?: NonNullable<Parameters<typeof boot>[0]>['routing']; sandboxOnly?: boolean; secondStripe?: StripeFake } = {}): Promise<void> {
  const stripeFake = await StripeFake.start();
  const hmacKey = randomBytes(32).toString('hex');
  const adyenFake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey });
  const logs: string[] = [];
  const stripe = { type: 'stripe' as const, secretKey: new Sensitive(stripeFake.secretKey), apiBase: stripeFake.url };
  const adyen = { type: 'adyen' as const, apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: adyenFake.checkoutBase, hmacKey: new Sensitive(hmacKey) };
  const h = await boot({
    publicUrl: 'https://pay.shop.test',
    ...(o.sandboxOnly ? {} : { providerSpecs: { test: o.secondStripe ? [stripe, { ...stripe, name: 'stripe-eu', secretKey: new Sensitive(o.secondStripe.secretKey), apiBase: o.secondStripe.url }, adyen] : [stripe, adyen] } }),
    ...(o.routing ? { routing: o.routing } : {}),
    logLevel: 'debug',
    logDestination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const url = new URL(h.url);
  const sdk = new Stripe(h.secretKey, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  try {
    await fn({ h, stripeFake, adyenFake, logs, sdk });
  } finally {
    await h.close();
    await stripeFake.close();
    await adyenFake.close();
  }
}

/** What the intent's row keeps of a token (sealed; null once answered). */
function tokenColumns(h: Harness, id: string): { card_token: string | null; method_token: string | null } {
  return h.db().prepare('SELECT card_token, method_token FROM payment_intents WHERE id = ?').get(id) as { card_token: string | null; method_token: string | null };
}

/** The provider's own code for the latest authorization's refusal, as the attempt recorded it. */
function rawCodeOf(h: Harness, id: string): string | undefined {
  const row = h.db().prepare("SELECT outcome FROM payment_attempts WHERE payment_intent_id = ? AND operation = 'authorize' ORDER BY created DESC, rowid DESC LIMIT 1").get(id) as { outcome: string } | undefined;
  return row ? (JSON.parse(row.outcome) as { outcome?: { rawCode?: string }; rawCode?: string }).rawCode : undefined;
}

/** The whole database file as text, to search for a value that must not be there in clear. */
function everyRow(h: Harness): string {
  const db = h.db();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
  return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
}

describe("a provider's own card token (Stripe.js), through Kassa's API", () => {
  it('a Stripe PaymentMethod is charged at Stripe, once, by the official SDK; the token is sealed at rest and dropped once answered', () =>
    withProviders(async ({ h, stripeFake, sdk, logs }) => {
      const pm = await stripeJsOf(stripeFake).paymentMethod();
      const intent = await sdk.paymentIntents.create({ amount: 2500, currency: 'usd' });
      const paid = await sdk.paymentIntents.confirm(intent.id, { payment_method_data: { type: 'card', card: { token: pm } } as unknown as Stripe.PaymentIntentConfirmParams.PaymentMethodData });
      assert.equal(paid.status, 'succeeded');
      const view = paid as unknown as Record<string, unknown>;
      assert.equal(view['payment_method_type'], 'card', 'a card, as Stripe counts it');
      assert.equal(view['payment_method'], null, "no Kassa payment method: the card is Stripe's");
      const routing = view['kassa_routing'] as { candidates: string[]; tried: Array<{ provider: string; result: string }> };
      assert.deepEqual(routing.candidates, ['stripe'], 'a token goes to one provider: never failed over');
      const confirm = stripeFake.requests.find((r) => r.route === 'confirm');
      assert.match(String(confirm?.rawBody), new RegExp(`payment_method=${pm}`), 'confirmed at Stripe with the PaymentMethod itself');
      assert.equal(stripeFake.acted('confirm'), 1);
      assert.equal(stripeFake.account('4242424242424242', 'usd')?.balance, 1_000_000 - 2500);

      assert.deepEqual(tokenColumns(h, intent.id), { card_token: 'provider_token', method_token: null }, 'dropped once answered');
      assert.ok(!everyRow(h).includes(pm), 'the token is never stored in clear');
      assert.ok(!logs.join('').includes(pm), 'nor logged');
      // Spent at Stripe: a second confirm with it (a new intent) is refused there, nothing charged.
      const again = await sdk.paymentIntents.create({ amount: 700, currency: 'usd' });
      await assert.rejects(
        sdk.paymentIntents.confirm(again.id, { payment_method_data: { type: 'card', card: { token: pm } } as unknown as Stripe.PaymentIntentConfirmParams.PaymentMethodData }),
        (e: unknown) => e instanceof Stripe.errors.StripeCardError && e.code === 'processing_error',
      );
      assert.equal(rawCodeOf(h, again.id), 'payment_method_unexpected_state', "Stripe's own code, kept for the operator");
      assert.equal(stripeFake.account('4242424242424242', 'usd')?.balance, 1_000_000 - 2500, 'nothing more charged');
    }));

  it('a Stripe Token (`tok_…`) goes as payment_method_data[card][token]; a hold is captured later', () =>
    withProviders(async ({ h, stripeFake }) => {
      const tok = await stripeJsOf(stripeFake, '5555555555554444').token();
      const intent = await h.createIntent({ amount: 4000, currency: 'usd', capture_method: 'manual' });
      const held = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: tok, provider: 'stripe' } } });
      assert.equal(held.status, 200, JSON.stringify(held.body));
      assert.equal(held.body.status, 'requires_capture');
      const confirm = stripeFake.requests.find((r) => r.route === 'confirm');
      assert.match(decodeURIComponent(String(confirm?.rawBody)), new RegExp(`payment_method_data\\[card\\]\\[token\\]=${tok}`));
      const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 3000 });
      assert.equal(captured.body.status, 'succeeded', JSON.stringify(captured.body));
      assert.equal(stripeFake.account('5555555555554444', 'usd')?.balance, 1_000_000 - 3000);
    }));

  it('from the shopper\'s page too (the publishable-key client API): Google Pay with Stripe as its gateway', () =>
    withProviders(async ({ h, stripeFake }) => {
      const googlePay = await stripeJsOf(stripeFake).googlePay();
      const intent = await h.createIntent({ amount: 1900, currency: 'usd' });
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'google_pay', google_pay: { token: googlePay } } });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.status, 'succeeded');
      const seen = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(seen.body.kassa_routing.candidates.join(), 'stripe', 'the first provider that takes Google Pay, alone');
      assert.equal(stripeFake.account('4242424242424242', 'usd')?.balance, 1_000_000 - 1900);
    }));

  it('a token Stripe does not know is its refusal (processing_error, Stripe\'s message), nothing charged, and the shopper can pay again', () =>
    withProviders(async ({ h, stripeFake }) => {
      const intent = await h.createIntent({ amount: 1200, currency: 'usd' });
      const refused = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: 'pm_doesnotexist' } } });
      assert.equal(refused.status, 402, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'processing_error');
      assert.equal(rawCodeOf(h, intent.id), 'resource_missing', "Stripe's own code (No such PaymentMethod), kept for the operator");
      assert.equal(refused.body.error.payment_intent.status, 'requires_payment_method');
      const pm = await stripeJsOf(stripeFake).paymentMethod();
      const paid = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: pm } } });
      assert.equal(paid.body.status, 'succeeded', JSON.stringify(paid.body));
    }));
});

describe("a device wallet's token (Apple Pay, Google Pay) at Adyen", () => {
  const toAdyen = { test: [{ name: 'wallets-to-adyen', when: { paymentMethod: ['apple_pay' as const] }, use: ['adyen'] }] };

  it('Apple Pay goes where the routing rule says (Adyen), as applePayToken; captured once, no challenge', () =>
    withProviders(
      async ({ h, adyenFake, logs }) => {
        adyenFake.setBalance(ADYEN_TEST_CARDS.visa, 1_000_000);
        const token = adyenFake.walletToken('apple_pay', ADYEN_TEST_CARDS.visa);
        const intent = await h.createIntent({ amount: 5100, currency: 'eur' });
        const paid = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'apple_pay', apple_pay: { token } } });
        assert.equal(paid.status, 200, JSON.stringify(paid.body));
        assert.equal(paid.body.status, 'succeeded');
        assert.equal(paid.body.payment_method_type, 'card');
        assert.deepEqual([paid.body.kassa_routing.rule, paid.body.kassa_routing.candidates], ['wallets-to-adyen', ['adyen']]);
        const payments = adyenFake.paymentsFor(intent.id);
        assert.equal(payments.length, 1);
        assert.equal(payments[0]?.captured, 5100);
        assert.equal(adyenFake.account(ADYEN_TEST_CARDS.visa)?.balance, 1_000_000 - 5100);
        assert.ok(!everyRow(h).includes(token.slice(0, 40)), 'the wallet token is never stored in clear');
        assert.ok(!logs.join('').includes(token.slice(0, 40)), 'nor logged');
      },
      { routing: toAdyen },
    ));

  it('a wallet token cannot be kept for later: setup_future_usage and off_session are refused before any call', () =>
    withProviders(
      async ({ h, adyenFake }) => {
        const customer = await h.customer();
        const token = adyenFake.walletToken('apple_pay', ADYEN_TEST_CARDS.visa);
        const intent = await h.createIntent({ amount: 900, currency: 'eur', customer });
        const save = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'apple_pay', apple_pay: { token } }, setup_future_usage: 'off_session' });
        assert.equal(save.status, 400, JSON.stringify(save.body));
        assert.equal(save.body.error.param, 'setup_future_usage');
        const off = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'apple_pay', apple_pay: { token } }, off_session: true });
        assert.equal(off.status, 400, JSON.stringify(off.body));
        assert.equal(off.body.error.param, 'off_session');
        assert.equal(adyenFake.paymentsFor(intent.id).length, 0, 'Adyen was never asked');
        assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
      },
      { routing: toAdyen },
    ));
});

describe('card tokens: bad input is a clear 4xx, nothing written', () => {
  it('each mistake names its parameter; a card number where a token belongs says where card numbers go', () =>
    withProviders(async ({ h, stripeFake, sdk }) => {
      const intent = await h.createIntent({ amount: 1000, currency: 'usd' });
      const confirm = (body: Record<string, unknown>) => h.v1('POST', `/payment_intents/${intent.id}/confirm`, body);
      const pm = await stripeJsOf(stripeFake).paymentMethod();
      const cases: Array<[Record<string, unknown>, number, string, RegExp?]> = [
        [{ payment_method_data: { type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: FUTURE_YEAR } } }, 400, 'payment_method_data[card][number]', /secure frame/],
        [{ payment_method_data: { type: 'card' } }, 400, 'payment_method_data[card]'],
        [{ payment_method_data: { type: 'card', card: {} } }, 400, 'payment_method_data[card][token]'],
        [{ payment_method_data: { type: 'apple_pay' } }, 400, 'payment_method_data[apple_pay]'],
        [{ payment_method_data: { type: 'apple_pay', apple_pay: { token: 'x'.repeat(12_001) } } }, 400, 'payment_method_data[apple_pay][token]'],
        [{ payment_method_data: { type: 'venmo' } }, 400, 'payment_method_data[type]', /alipay, paypal, card, apple_pay, google_pay/],
        [{ payment_method_data: { type: 'card', card: { token: pm } }, payment_method: 'pm_card_visa' }, 400, 'payment_method_data'],
        [{ payment_method_data: { type: 'card', card: { token: pm, provider: 'nope' } } }, 400, 'payment_method_data[card][provider]', /stripe/],
        [{ payment_method_data: { type: 'card', card: { token: pm } }, setup_future_usage: 'off_session' }, 400, 'setup_future_usage'],
      ];
      for (const [body, status, param, message] of cases) {
        const r = await confirm(body);
        assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 120)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.param, param, JSON.stringify(r.body));
        if (message) assert.match(r.body.error.message, message);
        assert.ok(!JSON.stringify(r.body).includes('4242424242424242'), 'the number is never echoed');
      }
      // The official SDK sees the same, as a Stripe error it knows.
      await assert.rejects(
        sdk.paymentIntents.confirm(intent.id, { payment_method_data: { type: 'card', card: { provider: 'stripe' } } } as unknown as Stripe.PaymentIntentConfirmParams),
        (e: unknown) => e instanceof Stripe.errors.StripeInvalidRequestError && e.param === 'payment_method_data[card][token]',
      );
      const after = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(after.body.status, 'requires_payment_method', 'nothing was written');
      assert.equal(stripeFake.acted('confirm'), 0, 'Stripe was never asked');
      assert.deepEqual(tokenColumns(h, intent.id), { card_token: null, method_token: null });
    }));

  it('a token type no provider of the mode takes is payment_method_unactivated (the sandbox takes none)', () =>
    withProviders(
      async ({ h }) => {
        const intent = await h.createIntent({ amount: 1000, currency: 'usd' });
        for (const data of [{ type: 'card', card: { token: 'pm_123' } }, { type: 'apple_pay', apple_pay: { token: 'abc' } }, { type: 'google_pay', google_pay: { token: '{}' } }]) {
          const r = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: data });
          assert.equal(r.status, 400, JSON.stringify(r.body));
          assert.equal(r.body.error.code, 'payment_method_unactivated', JSON.stringify(r.body));
        }
      },
      { sandboxOnly: true },
    ));

  it('two providers that take provider tokens: the token must name its provider', async () => {
    const other = await StripeFake.start();
    try {
      await withProviders(async ({ h, stripeFake }) => {
        const pm = await stripeJsOf(stripeFake).paymentMethod();
        const intent = await h.createIntent({ amount: 1000, currency: 'usd' });
        const r = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: pm } } });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.deepEqual([r.body.error.code, r.body.error.param], ['parameter_missing', 'payment_method_data[card][provider]']);
        assert.match(r.body.error.message, /stripe, stripe-eu/);
        const named = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'card', card: { token: pm, provider: 'stripe' } } });
        assert.equal(named.body.status, 'succeeded', JSON.stringify(named.body));
        assert.equal(other.acted('confirm'), 0, 'the other Stripe account was never asked');
      }, { secondStripe: other });
    } finally {
      await other.close();
    }
  });
});
