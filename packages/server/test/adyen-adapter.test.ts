/**
 * The Adyen adapter against the local fake of Adyen's Checkout API (test/fakes/adyen-fake.ts):
 * the provider port's conformance suite, then what only this adapter must get right — Adyen's
 * headers, the classification of each failure, the refusal codes, the 3-D Secure redirect,
 * `received` modifications, lookup by replay, and the notification signatures (checked against
 * the official SDK's HmacValidator as an independent party).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { hmacValidator as HmacValidator } from '@adyen/api-library';
import type { Currency } from '@kassa/core';
import { AdyenProvider, adyenIdempotencyKey } from '../src/adapters/adyen/provider.js';
import { ADYEN_NOTIFICATION_ACK, signAdyenItem, verifyAdyenNotification } from '../src/adapters/adyen/notifications.js';
import type { AdyenNotificationItem } from '../src/adapters/adyen/notifications.js';
import { authorizeOutcomeFor, declineCodeFor, REFUSAL_REASON_CODES, REFUSAL_REASON_NAMES, RESULT_CODES, refusalFrom, refusalFromReason } from '../src/adapters/adyen/mapping.js';
import { ProviderFailure, Sensitive } from '../src/domain/ports.js';
import type { AuthorizeRequest, LookupRequest, ProviderCard, ProviderNotification } from '../src/domain/ports.js';
import { ADYEN_TEST_CARDS, AdyenFake } from './fakes/adyen-fake.js';
import { lookupOf, providerConformance, withoutReference } from './provider-conformance.js';

const API_KEY = 'AQE_test_api_key_for_the_fake';
const MERCHANT = 'KassaECOM';
/** `cvc: null` is a card without its CVC (a saved card, or one whose CVC a restart dropped). */
const card = (number: string, cvc: string | null = '737', expMonth = 3, expYear = 2030): ProviderCard => ({
  number: new Sensitive(number),
  cvc: cvc === null ? undefined : new Sensitive(cvc),
  expMonth,
  expYear,
});

interface Rig {
  fake: AdyenFake;
  provider: AdyenProvider;
  hmacKey: string;
  /** The shopper's return from the 3-D Secure redirect, by pspReference (what the return page would store). */
  returned: Map<string, string>;
  close(): Promise<void>;
}

async function rig(options: { timeoutMs?: number; multiplePartialCaptures?: boolean } = {}): Promise<Rig> {
  const hmacKey = randomBytes(32).toString('hex');
  const multi = options.multiplePartialCaptures === true;
  const fake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey, ...(multi ? { multiplePartialCaptures: true } : {}) });
  const returned = new Map<string, string>();
  const provider = new AdyenProvider({
    apiKey: new Sensitive(API_KEY),
    merchantAccount: MERCHANT,
    checkoutBase: fake.checkoutBase,
    hmacKey: new Sensitive(hmacKey),
    returnUrl: (reference) => `https://pay.example.test/adyen/return/${reference}`,
    returnPayload: (psp) => {
      const redirectResult = returned.get(psp);
      return redirectResult ? { redirectResult } : undefined;
    },
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(multi ? { multiplePartialCaptures: true } : {}),
  });
  return { fake, provider, hmacKey, returned, close: () => fake.close() };
}

/** A card payment; `card` overrides the card (the port carries it as `method`). */
const request = ({ card: given, ...o }: Partial<AuthorizeRequest> & { card?: ProviderCard } = {}): AuthorizeRequest => ({
  idempotencyKey: randomUUID(),
  amount: 1200,
  currency: 'eur',
  capture: true,
  method: { type: 'card', card: given ?? card(ADYEN_TEST_CARDS.visa) },
  reference: `pi_${randomUUID().slice(0, 12)}`,
  offSession: false,
  ...o,
});

async function failure(promise: Promise<unknown>): Promise<ProviderFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderFailure, `expected a ProviderFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

async function within(fn: (r: Rig) => Promise<void>, options?: { timeoutMs?: number; multiplePartialCaptures?: boolean }): Promise<void> {
  const r = await rig(options);
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

providerConformance('adyen', async () => {
  // An account with multiple partial captures (Adyen's setting): the suite's multiple-capture case
  // runs, and a partial capture's rest is released by the adapter (the default account is
  // Adyen's own, tested below).
  const r = await rig({ multiplePartialCaptures: true });
  const approved = card(ADYEN_TEST_CARDS.visa);
  const insufficientFunds = card(ADYEN_TEST_CARDS.mastercard);
  r.fake.setBalance(ADYEN_TEST_CARDS.mastercard, 500);
  return {
    provider: r.provider,
    approved,
    insufficientFunds,
    challenged: card(ADYEN_TEST_CARDS.threeDSecure),
    currency: 'eur' as Currency,
    account: (c) => r.fake.account(c.number.reveal()),
    laterVerdict: async (psp) => {
      const last = r.fake.notificationsFor(psp).at(-1);
      return last ? (last.success === 'true' ? 'succeeded' : 'failed') : undefined;
    },
    // The fake refuses a key reused with another body (see its header): the CVC-less retry is unknown, not a new payment.
    cvcLessRetry: 'ambiguous',
    // The fake notifies modifications: a small refund of the payment, and the batch Adyen would post about it.
    notification: async ({ request: paid, providerRef }) => {
      await r.provider.refund({ idempotencyKey: randomUUID(), reference: providerRef, amount: 100, currency: paid.currency });
      const item = r.fake.notificationsFor(providerRef).at(-1);
      assert.ok(item, `the fake notified about ${providerRef}`);
      const raw = JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: item }] });
      return { raw: Buffer.from(raw), headers: { 'content-type': 'application/json' } };
    },
    // Tokens the shopper's device would give for this account, for a card the fake approves.
    tokens: {
      apple_pay: async () => r.fake.walletToken('apple_pay', ADYEN_TEST_CARDS.visa),
      google_pay: async () => r.fake.walletToken('google_pay', ADYEN_TEST_CARDS.visa),
    },
    close: r.close,
  };
});

describe('the fake is as strict as Adyen', () => {
  const post = async (fake: AdyenFake, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${fake.checkoutBase}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const payment = (o: Record<string, unknown> = {}) => ({
    merchantAccount: MERCHANT,
    amount: { value: 1000, currency: 'EUR' },
    reference: 'order-1',
    returnUrl: 'https://shop.test/return',
    paymentMethod: { type: 'scheme', number: ADYEN_TEST_CARDS.visa, expiryMonth: '03', expiryYear: '2030', cvc: '737' },
    ...o,
  });

  it('refuses what Adyen refuses, with Adyen’s error shape', () =>
    within(async ({ fake }) => {
      assert.deepEqual((await post(fake, '/payments', payment(), { 'x-api-key': 'wrong' })).body, {
        status: 401,
        errorCode: '000',
        message: 'HTTP Status Response - Unauthorized',
        errorType: 'security',
      });
      const cases: [Record<string, unknown> | string, number, string][] = [
        ['{"amount":', 400, '702'],
        [payment({ shopperColour: 'blue' }), 400, '702'],
        [payment({ amount: { value: 10.5, currency: 'EUR' } }), 400, '702'],
        [payment({ amount: { value: '1000', currency: 'EUR' } }), 400, '702'],
        [payment({ amount: { value: 1000, currency: 'eur' } }), 422, '000'],
        [payment({ amount: { value: 1000, currency: 'XXY' } }), 422, '000'],
        [payment({ amount: undefined }), 422, '100'],
        [payment({ reference: undefined }), 422, '130'],
        [payment({ returnUrl: undefined }), 422, '14_030'],
        [payment({ merchantAccount: 'SomeoneElse' }), 403, '901'],
        [payment({ shopperInteraction: 'Phone' }), 422, '000'],
        [payment({ paymentMethod: { type: 'scheme', number: ADYEN_TEST_CARDS.visa, expiryMonth: '3', expiryYear: '2030' } }), 422, '129'],
        [payment({ paymentMethod: { type: 'scheme', number: ADYEN_TEST_CARDS.visa, expiryMonth: '03', expiryYear: '2030', cvc: '73' } }), 422, '103'],
        [payment({ paymentMethod: { type: 'scheme', number: ADYEN_TEST_CARDS.visa, expiryMonth: '03', expiryYear: '2030', pin: '1' } }), 400, '702'],
      ];
      for (const [body, status, errorCode] of cases) {
        const res = await post(fake, '/payments', body);
        assert.deepEqual([res.status, res.body['status'], res.body['errorCode'], typeof res.body['message'], typeof res.body['errorType']], [status, status, errorCode, 'string', 'string'], JSON.stringify(body));
      }
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa), null, 'nothing was authorised');
    }));

  it('replays a key with the same body, refuses it with another, and keeps no refused request under its key', () =>
    within(async ({ fake }) => {
      const key = randomUUID();
      const first = await post(fake, '/payments', payment(), { 'idempotency-key': key });
      assert.equal(first.body['resultCode'], 'Authorised');
      assert.equal(first.headers.get('idempotency-key'), key);
      const reordered = { ...payment(), merchantAccount: MERCHANT }; // same body, other key order
      assert.deepEqual((await post(fake, '/payments', reordered, { 'idempotency-key': key })).body, first.body);
      const other = await post(fake, '/payments', payment({ reference: 'order-2' }), { 'idempotency-key': key });
      assert.deepEqual([other.status, other.body['errorCode']], [422, '704']);
      assert.equal((await post(fake, '/payments', payment(), { 'idempotency-key': 'k'.repeat(65) })).status, 422);
      const fixKey = randomUUID();
      assert.equal((await post(fake, '/payments', payment({ returnUrl: undefined }), { 'idempotency-key': fixKey })).status, 422);
      assert.equal((await post(fake, '/payments', payment(), { 'idempotency-key': fixKey })).body['resultCode'], 'Authorised');
      const holder = await post(fake, '/payments', payment({ paymentMethod: { ...payment().paymentMethod, holderName: 'NOT_ENOUGH_BALANCE' } }));
      assert.deepEqual([holder.body['resultCode'], holder.body['refusalReasonCode'], holder.body['refusalReason']], ['Refused', '12', 'Not enough balance']);
    }));
});

describe('adyen adapter: what it sends', () => {
  it('an authorization carries the API key, a derived Idempotency-Key and Adyen-shaped fields', () =>
    within(async ({ fake, provider }) => {
      const r = request();
      const outcome = await provider.authorize(r);
      assert.equal(outcome.status, 'captured');
      const sent = fake.requests.at(-1);
      assert.ok(sent);
      assert.equal(sent.path, '/v71/payments');
      assert.equal(sent.headers['x-api-key'], API_KEY);
      assert.equal(sent.headers['idempotency-key'], adyenIdempotencyKey('authorize', r.idempotencyKey));
      assert.ok(String(sent.headers['idempotency-key']).length <= 64);
      const body = sent.body as Record<string, unknown>;
      assert.deepEqual(body['amount'], { value: 1200, currency: 'EUR' });
      assert.equal(body['reference'], r.reference);
      assert.equal(body['merchantAccount'], MERCHANT);
      assert.equal(body['captureDelayHours'], 0);
      assert.equal(body['additionalData'], undefined);
      assert.equal(body['shopperInteraction'], 'Ecommerce');
      assert.deepEqual(body['paymentMethod'], { type: 'scheme', number: '****1142', expiryMonth: '03', expiryYear: '2030', cvc: '***' });
      assert.equal(body['returnUrl'], `https://pay.example.test/adyen/return/${r.reference}`);
    }));

  it('a hold asks for manual capture; an off-session payment is ContAuth on a stored card', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false }));
      assert.equal(held.status, 'authorized');
      const hold = fake.requests.at(-1)?.body as Record<string, unknown>;
      assert.deepEqual(hold['additionalData'], { manualCapture: 'true' });
      assert.equal(hold['captureDelayHours'], undefined);
      await provider.authorize(request({ offSession: true, card: card(ADYEN_TEST_CARDS.visa, null) }));
      const off = fake.requests.at(-1)?.body as Record<string, unknown>;
      assert.equal(off['shopperInteraction'], 'ContAuth');
      assert.equal(off['recurringProcessingModel'], 'UnscheduledCardOnFile');
      assert.equal((off['paymentMethod'] as Record<string, unknown>)['cvc'], undefined);
    }));

  it('a call repeated with its key sends the same key and acts once; one key for two bodies is refused, not a new payment', () =>
    within(async ({ fake, provider }) => {
      const r = request({ amount: 700 });
      const first = await provider.authorize(r);
      const balance = fake.account(ADYEN_TEST_CARDS.visa)?.balance;
      assert.deepEqual(await provider.authorize(r), first);
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa)?.balance, balance, 'charged once');
      const keys = fake.requests.slice(-2).map((q) => q.headers['idempotency-key']);
      assert.equal(keys[0], keys[1]);
      const other = await failure(provider.authorize({ ...r, amount: 800 }));
      assert.deepEqual([other.certainty, other.rawCode], ['ambiguous', '704']);
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa)?.balance, balance, 'still once');
    }));

  it('the same Kassa key for an authorization and a capture makes two Adyen keys', () =>
    within(async ({ fake, provider }) => {
      const key = randomUUID();
      const held = await provider.authorize(request({ idempotencyKey: key, capture: false }));
      assert.equal(held.status, 'authorized');
      if (held.status !== 'authorized') return;
      assert.deepEqual(withoutReference(await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: key, reference: held.reference, amount: 1200, currency: 'eur' })), { status: 'captured', amount: 1200 });
      const [a, c] = fake.requests.slice(-2).map((q) => q.headers['idempotency-key']);
      assert.notEqual(a, c);
    }));
});

describe('adyen adapter: failures, classified', () => {
  it('a refused connection is definite', async () => {
    const r = await rig();
    await r.close(); // nothing listens on that port any more
    const f = await failure(r.provider.authorize(request()));
    assert.equal(f.certainty, 'definite');
    assert.equal(f.rawCode, 'ECONNREFUSED');
  });

  it('a wrong API key (401) and a wrong merchant account (403) are definite, with Adyen’s code', () =>
    within(async ({ fake }) => {
      const wrongKey = new AdyenProvider({ apiKey: new Sensitive('nope'), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, returnUrl: () => 'https://x.test/' });
      const f401 = await failure(wrongKey.authorize(request()));
      assert.deepEqual([f401.certainty, f401.rawCode], ['definite', '000']);
      assert.match(f401.message, /401/);
      const wrongMerchant = new AdyenProvider({ apiKey: new Sensitive(API_KEY), merchantAccount: 'Other', checkoutBase: fake.checkoutBase, returnUrl: () => 'https://x.test/' });
      const f403 = await failure(wrongMerchant.authorize(request()));
      assert.deepEqual([f403.certainty, f403.rawCode], ['definite', '901']);
    }));

  it('a validation error (422) is definite, and its message holds no card number', () =>
    within(async ({ fake, provider }) => {
      const bad = '4111111145551143'; // fails Luhn
      const f = await failure(provider.authorize(request({ card: card(bad) })));
      assert.deepEqual([f.certainty, f.rawCode], ['definite', '101']);
      assert.ok(!f.message.includes(bad) && !JSON.stringify(fake.requests).includes(bad));
      const noMonth = await failure(provider.authorize(request({ card: card(ADYEN_TEST_CARDS.visa, '737', 13) })));
      assert.deepEqual([noMonth.certainty, noMonth.rawCode], ['definite', '129']);
    }));

  it('a 500 after Adyen acted is ambiguous; the retry under the key gets the first answer, charged once', () =>
    within(async ({ fake, provider }) => {
      await provider.authorize(request({ amount: 100 }));
      const before = fake.account(ADYEN_TEST_CARDS.visa)?.balance ?? NaN;
      fake.fault('error_after', /\/payments$/);
      const r = request({ amount: 900 });
      const f = await failure(provider.authorize(r));
      assert.equal(f.certainty, 'ambiguous');
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa)?.balance, before - 900, 'Adyen did act');
      const retry = await provider.authorize(r);
      assert.equal(retry.status, 'captured');
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa)?.balance, before - 900, 'and only once');
    }));

  it('a connection dropped after sending is ambiguous', () =>
    within(async ({ fake, provider }) => {
      fake.fault('drop_after');
      assert.equal((await failure(provider.authorize(request()))).certainty, 'ambiguous');
    }));

  it('a hung call rejects promptly when the caller aborts, and at the adapter’s own timeout', async () => {
    await within(async ({ fake, provider }) => {
      fake.fault('hang');
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      const f = await failure(provider.authorize(request({ signal: controller.signal })));
      assert.equal(f.certainty, 'ambiguous');
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    });
    await within(
      async ({ fake, provider }) => {
        fake.fault('hang');
        const started = Date.now();
        assert.equal((await failure(provider.authorize(request()))).certainty, 'ambiguous');
        assert.ok(Date.now() - started < 2000);
      },
      { timeoutMs: 150 },
    );
  });
});

describe('adyen adapter: refusals', () => {
  it('each refusal maps to core’s taxonomy with Adyen’s code kept', () =>
    within(async ({ fake, provider }) => {
      const number = '4988438843884305';
      const cases = [
        ['NOT_ENOUGH_BALANCE', 'insufficient_funds', '12'],
        ['CVC_DECLINED', 'incorrect_cvc', '24'],
        ['CARD_EXPIRED', 'expired_card', '6'],
        ['FRAUD', 'generic_decline', '20'],
        ['ERROR', 'processing_error', '4'],
        ['CANCELLED', 'generic_decline', '15'],
        ['NOT_3D_AUTHENTICATED', 'authentication_failure', '11'],
        ['AUTHENTICATION_REQUIRED', 'authentication_required', '38'],
      ] as const;
      for (const [trigger, declineCode, rawCode] of cases) {
        fake.refuseCard(number, trigger);
        const outcome = await provider.authorize(request({ card: card(number) }));
        assert.equal(outcome.status, 'declined', trigger);
        if (outcome.status === 'declined') assert.deepEqual([outcome.declineCode, outcome.rawCode], [declineCode, rawCode], trigger);
      }
    }));

  it('a wrong CVC and an expired card, as Adyen’s test cards are refused', () =>
    within(async ({ provider }) => {
      const cvc = await provider.authorize(request({ card: card(ADYEN_TEST_CARDS.visa, '123') }));
      assert.deepEqual(cvc.status === 'declined' && [cvc.declineCode, cvc.rawCode, cvc.message], ['incorrect_cvc', '24', 'CVC Declined']);
      const expired = await provider.authorize(request({ card: card(ADYEN_TEST_CARDS.visa, '737', 1, 2020) }));
      assert.deepEqual(expired.status === 'declined' && [expired.declineCode, expired.rawCode], ['expired_card', '6']);
    }));

  it('the mappings: every documented refusal code has a taxonomy code; an unknown one is generic with its code; an undecided result is pending; one the adapter cannot run throws', () => {
    for (const code of REFUSAL_REASON_CODES) assert.ok(typeof declineCodeFor(code) === 'string');
    assert.deepEqual(refusalFrom('99', 'New reason'), { declineCode: 'generic_decline', message: 'New reason', rawCode: '99' });
    assert.equal(RESULT_CODES.length, 14);
    for (const resultCode of ['Pending', 'Received']) {
      assert.deepEqual(authorizeOutcomeFor({ resultCode, pspReference: 'ABCDEFGHIJKLMNOP' }, { capture: true, amount: 1 }), { status: 'pending', reference: 'ABCDEFGHIJKLMNOP' }, resultCode);
    }
    for (const resultCode of ['IdentifyShopper', 'PartiallyAuthorised', 'Unheard']) {
      assert.throws(
        () => authorizeOutcomeFor({ resultCode, pspReference: 'ABCDEFGHIJKLMNOP' }, { capture: true, amount: 1 }),
        (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous',
        resultCode,
      );
    }
    assert.throws(() => authorizeOutcomeFor({ resultCode: 'Authorised' }, { capture: true, amount: 1 }), ProviderFailure, 'an authorisation without a pspReference');
  });
});

describe('adyen adapter: 3-D Secure', () => {
  it('a challenge card asks for the redirect; completeAction waits for the shopper, then submits the return payload once', () =>
    within(async ({ fake, provider, returned }) => {
      const r = request({ card: card(ADYEN_TEST_CARDS.threeDSecure), capture: false, amount: 2500 });
      const action = await provider.authorize(r);
      assert.equal(action.status, 'requires_action');
      if (action.status !== 'requires_action' || action.action.type !== 'three_d_secure') return assert.fail(JSON.stringify(action));
      assert.match(action.action.url, new RegExp(`/fake/3ds/${action.reference}$`));
      const sentBefore = fake.requests.length;
      const key = randomUUID();
      assert.equal((await provider.completeAction({ idempotencyKey: key, reference: action.reference, amount: 2500, currency: 'eur', capture: false })).status, 'requires_action', 'the shopper has not returned');
      assert.equal(fake.requests.length, sentBefore, 'nothing sent to Adyen yet');
      returned.set(action.reference, fake.completeChallenge(action.reference, true));
      const done = await provider.completeAction({ idempotencyKey: key, reference: action.reference, amount: 2500, currency: 'eur', capture: false });
      assert.deepEqual(done, { status: 'authorized', reference: action.reference, amount: 2500 });
      const details = fake.requests.at(-1);
      assert.equal(details?.path, '/v71/payments/details');
      assert.equal(details?.headers['idempotency-key'], adyenIdempotencyKey('complete_action', key));
      assert.deepEqual(details?.body, { details: { redirectResult: returned.get(action.reference) } });
      assert.deepEqual(withoutReference(await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: done.reference, amount: 2500, currency: 'eur' })), { status: 'captured', amount: 2500 });
    }));

  it('a failed challenge is authentication_failure (11); off-session the issuer refuses 38', () =>
    within(async ({ fake, provider, returned }) => {
      const action = await provider.authorize(request({ card: card(ADYEN_TEST_CARDS.threeDSecure) }));
      assert.equal(action.status, 'requires_action');
      returned.set(action.status === 'requires_action' ? action.reference : '', fake.completeChallenge(action.status === 'requires_action' ? action.reference : '', false));
      const failed = await provider.completeAction({ idempotencyKey: randomUUID(), reference: action.status === 'requires_action' ? action.reference : '', amount: 1200, currency: 'eur', capture: true });
      assert.deepEqual(failed.status === 'declined' && [failed.declineCode, failed.rawCode], ['authentication_failure', '11']);
      const off = await provider.authorize(request({ card: card(ADYEN_TEST_CARDS.threeDSecure, null), offSession: true }));
      assert.deepEqual(off.status === 'declined' && [off.declineCode, off.rawCode], ['authentication_required', '38']);
    }));
});

describe('adyen adapter: modifications and lookup', () => {
  it('without multiple partial captures (Adyen default) none is declared; with them, the last capture releases the rest by a cancel — a release that fails is a warning on the capture, and a replay makes it', async () => {
    await within(async ({ provider }) => assert.equal(provider.capabilities.multipleCapture, false));
    await within(
      async ({ fake, provider }) => {
        assert.equal(provider.capabilities.multipleCapture, true);
        const held = await provider.authorize(request({ capture: false, amount: 3000 }));
        assert.equal(held.status, 'authorized');
        if (held.status !== 'authorized') return;
        const start = fake.account(ADYEN_TEST_CARDS.visa)?.balance ?? 0;
        const part = { final: false, capturedBefore: 0, remaining: 2000, idempotencyKey: randomUUID(), reference: held.reference, amount: 1000, currency: 'eur' } as const;
        assert.equal((await provider.capture(part)).status, 'captured');
        assert.equal(fake.requests.filter((q) => q.path.endsWith('/cancels')).length, 0, 'a capture that is not the last releases nothing');
        assert.deepEqual(fake.account(ADYEN_TEST_CARDS.visa), { balance: start - 1000, held: 2000 });

        const last = { final: true, capturedBefore: 1000, remaining: 500, idempotencyKey: randomUUID(), reference: held.reference, amount: 1500, currency: 'eur' } as const;
        fake.fault('drop_before', /\/cancels$/);
        const made = await provider.capture(last);
        // The capture happened: that is the answer; the rest stays authorised at Adyen, and the operator is told.
        assert.equal(made.status, 'captured');
        assert.match(made.status === 'captured' ? (made.warning ?? '') : '', /releasing the rest of the hold \(500\) failed/);
        assert.deepEqual(fake.account(ADYEN_TEST_CARDS.visa), { balance: start - 2500, held: 500 });
        // Made again under its key (a retry): the capture replayed, the release made this time.
        assert.deepEqual(withoutReference(await provider.capture(last)), { status: 'captured', amount: 1500 });
        assert.deepEqual(fake.account(ADYEN_TEST_CARDS.visa), { balance: start - 2500, held: 0 });
        assert.deepEqual(fake.notificationsFor(held.reference).map((n) => [n.eventCode, n.success]), [
          ['AUTHORISATION', 'true'],
          ['CAPTURE', 'true'],
          ['CAPTURE', 'true'],
          ['CANCELLATION', 'true'],
        ]);
      },
      { multiplePartialCaptures: true },
    );
  });

  it('capture, cancel and refund are answered "received" and mapped to success; the decision comes by notification', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false, amount: 3000 }));
      assert.equal(held.status, 'authorized');
      if (held.status !== 'authorized') return;
      const key = randomUUID();
      const captured = await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: key, reference: held.reference, amount: 2000, currency: 'eur' });
      assert.deepEqual(withoutReference(captured), { status: 'captured', amount: 2000 });
      const sent = fake.requests.at(-1);
      assert.equal(sent?.path, `/v71/payments/${held.reference}/captures`);
      assert.equal(sent?.status, 201);
      assert.equal(sent?.headers['idempotency-key'], adyenIdempotencyKey('capture', key));
      assert.deepEqual((sent?.body as Record<string, unknown>)['amount'], { value: 2000, currency: 'EUR' });
      assert.deepEqual(fake.notificationsFor(held.reference).map((n) => [n.eventCode, n.success]), [['AUTHORISATION', 'true'], ['CAPTURE', 'true']]);
      // The answer carries the modification's own pspReference: what a later CAPTURE_FAILED names.
      assert.equal(captured.status === 'captured' && captured.reference, fake.notificationsFor(held.reference).at(-1)?.pspReference);
      assert.notEqual(captured.status === 'captured' && captured.reference, held.reference, "not the payment's");
      // Adyen accepts a capture it will refuse: the adapter cannot know yet. Its CAPTURE
      // success=false notification is the port's `failed` (parseNotification, below).
      assert.equal((await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: held.reference, amount: 2000, currency: 'eur' })).status, 'captured');
      assert.deepEqual(fake.notificationsFor(held.reference).at(-1)?.success, 'false');
      assert.deepEqual(withoutReference(await provider.refund({ idempotencyKey: randomUUID(), reference: held.reference, amount: 500, currency: 'eur' })), { status: 'succeeded', amount: 500 });
      assert.equal(fake.requests.at(-1)?.path, `/v71/payments/${held.reference}/refunds`);
      const other = await provider.authorize(request({ capture: false }));
      assert.equal(other.status, 'authorized');
      if (other.status !== 'authorized') return;
      assert.deepEqual(await provider.cancel({ idempotencyKey: randomUUID(), reference: other.reference, amount: 1200, currency: 'eur' }), { status: 'canceled' });
      assert.deepEqual(fake.requests.at(-1)?.body, { merchantAccount: MERCHANT, reference: (fake.requests.at(-1)?.body as Record<string, unknown>)['reference'] });
    }));

  it('a capture after a restart (a new adapter, nothing in memory) is sent with the amount and currency the call carries', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false }));
      assert.equal(held.status, 'authorized');
      if (held.status !== 'authorized') return;
      const fresh = new AdyenProvider({ apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, returnUrl: () => 'https://x.test/' });
      assert.deepEqual(withoutReference(await fresh.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: held.reference, amount: 1200, currency: 'eur' })), { status: 'captured', amount: 1200 });
      const sent = fake.requests.at(-1);
      assert.equal(sent?.path, `/v71/payments/${held.reference}/captures`);
      assert.deepEqual((sent?.body as { amount?: unknown } | undefined)?.amount, { value: 1200, currency: 'EUR' });
    }));

  it('lookup: an authorization is never answered (ambiguous, not null); a modification is replayed under its key and acts once', () =>
    within(async ({ fake, provider }) => {
      assert.equal(provider.capabilities.lookup, false);
      const r = request({ capture: false });
      const held = await provider.authorize(r);
      assert.equal(held.status, 'authorized');
      if (held.status !== 'authorized') return;
      const made = { reference: r.reference, currency: 'eur' as Currency, capture: false, madeAt: Date.now() };
      const auth = await failure(provider.lookup({ idempotencyKey: r.idempotencyKey, operation: 'authorize', amount: 1200, ...made }));
      assert.equal(auth.certainty, 'ambiguous');
      const key = randomUUID();
      const captured = await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: key, reference: held.reference, amount: 1200, currency: 'eur' });
      const balance = fake.account(ADYEN_TEST_CARDS.visa)?.balance;
      assert.deepEqual(await provider.lookup({ idempotencyKey: key, operation: 'capture', providerRef: held.reference, amount: 1200, ...made }), { operation: 'capture', outcome: captured });
      assert.deepEqual(fake.notificationsFor(held.reference).map((n) => n.eventCode), ['AUTHORISATION', 'CAPTURE'], 'the replay did not capture again');
      assert.equal(fake.account(ADYEN_TEST_CARDS.visa)?.balance, balance);
      const old = await failure(provider.lookup({ idempotencyKey: key, operation: 'capture', providerRef: held.reference, amount: 1200, ...made, madeAt: Date.now() - 8 * 24 * 3600 * 1000 }));
      assert.equal(old.certainty, 'ambiguous');
    }));
});

describe('adyen notifications', () => {
  const item = (o: Partial<AdyenNotificationItem> = {}): AdyenNotificationItem => ({
    pspReference: 'QFQTPCQ8HXSKGK82',
    originalReference: 'LDN2Q5QQZ8HT5T82',
    merchantAccountCode: MERCHANT,
    merchantReference: 'pi_123',
    amount: { value: 1130, currency: 'EUR' },
    eventCode: 'CAPTURE',
    success: 'true',
    eventDate: '2026-12-02T10:00:00+01:00',
    ...o,
  });
  const body = (...items: AdyenNotificationItem[]): string => JSON.stringify({ live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })) });
  const validator = new HmacValidator();
  type SdkItem = Parameters<typeof validator.validateHMAC>[0];

  it('accepts an item signed as Adyen signs (by the SDK), and the SDK accepts what the fake signs', () => {
    const key = randomBytes(32).toString('hex');
    const unsigned = item();
    const signed = { ...unsigned, additionalData: { hmacSignature: validator.calculateHmac(unsigned as unknown as SdkItem, key) } };
    assert.deepEqual(verifyAdyenNotification(body(signed), new Sensitive(key)), [signed]);
    const noOriginal = item({ originalReference: undefined, eventCode: 'AUTHORISATION' });
    const ours = { ...noOriginal, additionalData: { hmacSignature: signAdyenItem(noOriginal, new Sensitive(key)) } };
    assert.equal(validator.validateHMAC(ours as unknown as SdkItem, key), true);
    assert.equal(verifyAdyenNotification(body(ours), new Sensitive(key)).length, 1);
  });

  it('the fake’s notifications verify, by our verifier and by the SDK', () =>
    within(async ({ fake, provider, hmacKey }) => {
      const held = await provider.authorize(request({ capture: false }));
      if (held.status !== 'authorized') return assert.fail('expected a hold');
      await provider.cancel({ idempotencyKey: randomUUID(), reference: held.reference, amount: 1200, currency: 'eur' });
      const [n] = fake.notificationsFor(held.reference);
      assert.ok(n);
      assert.equal(validator.validateHMAC(n as unknown as SdkItem, hmacKey), true);
      assert.deepEqual(verifyAdyenNotification(body(n), new Sensitive(hmacKey)), [n]);
    }));

  it('rejects a tampered field, a wrong key, an unsigned item, and a forged item beside a genuine one', () => {
    const key = randomBytes(32).toString('hex');
    const sign = (i: AdyenNotificationItem): AdyenNotificationItem => ({ ...i, additionalData: { hmacSignature: validator.calculateHmac(i as unknown as SdkItem, key) } });
    const good = sign(item());
    const k = new Sensitive(key);
    for (const tampered of [
      { ...good, amount: { value: 1, currency: 'EUR' } },
      { ...good, success: 'false' },
      { ...good, eventCode: 'REFUND' },
      { ...good, pspReference: 'AAAAAAAAAAAAAAAA' },
      { ...good, merchantReference: 'pi_other' },
    ]) {
      assert.throws(() => verifyAdyenNotification(body(tampered), k), /wrong signature/);
    }
    assert.throws(() => verifyAdyenNotification(body(good), new Sensitive(randomBytes(32).toString('hex'))), /wrong signature/);
    assert.throws(() => verifyAdyenNotification(body(good), new Sensitive('not hex!')), /not hex/);
    assert.throws(() => verifyAdyenNotification(body(item()), k), /not signed/);
    assert.throws(() => verifyAdyenNotification(body(good, { ...good, amount: { value: 99999, currency: 'EUR' } }), k), /item 1/);
    assert.throws(() => verifyAdyenNotification('{', k), /not JSON/);
    assert.equal(verifyAdyenNotification(body(good), k).length, 1, 'and the genuine one alone passes');
  });

  it('the provider verifies with its configured key, and refuses without one', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false }));
      if (held.status !== 'authorized') return assert.fail('expected a hold');
      await provider.cancel({ idempotencyKey: randomUUID(), reference: held.reference, amount: 1200, currency: 'eur' });
      const raw = body(...fake.notificationsFor(held.reference));
      assert.deepEqual(provider.verifyNotification(raw).map((n) => n.eventCode), ['AUTHORISATION', 'CANCELLATION']);
      const keyless = new AdyenProvider({ apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, returnUrl: () => 'https://x.test/' });
      assert.throws(() => keyless.verifyNotification(raw), /no HMAC key/);
    }));

  it('the acknowledgement is exactly [accepted]', () => {
    assert.equal(ADYEN_NOTIFICATION_ACK, '[accepted]');
  });
});

describe('adyen adapter: a verified AUTHORISATION settles what Adyen cannot be asked about', () => {
  const batch = (...items: AdyenNotificationItem[]): Buffer =>
    Buffer.from(JSON.stringify({ live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })) }));
  const parsed = async (provider: AdyenProvider, ...items: AdyenNotificationItem[]): Promise<ProviderNotification[]> =>
    (await provider.parseNotification(batch(...items))).notifications;
  const asked = (r: AuthorizeRequest, evidence: ProviderNotification[], o: Partial<LookupRequest> = {}): LookupRequest =>
    lookupOf(r, { evidence: evidence.flatMap((n) => (n.evidence ? [{ kind: n.kind, evidence: n.evidence, receivedAt: Date.now() }] : [])), ...o });
  const authorisationOf = (fake: AdyenFake, reference: string): AdyenNotificationItem => {
    const item = fake.notifications.find((n) => n.eventCode === 'AUTHORISATION' && n.merchantReference === reference);
    assert.ok(item, 'the fake notified the authorization');
    return item;
  };

  it('the fake signs its AUTHORISATION as Adyen does: the SDK verifies it; it carries the documented fields', () =>
    within(async ({ fake, provider, hmacKey }) => {
      const r = request({ capture: false });
      const held = await provider.authorize(r);
      const item = authorisationOf(fake, r.reference);
      assert.equal(new HmacValidator().validateHMAC(item as unknown as Parameters<HmacValidator['validateHMAC']>[0], hmacKey), true);
      assert.equal(held.status === 'authorized' && held.reference, item.pspReference);
      assert.deepEqual([item.success, item.amount, item.merchantAccountCode, item.originalReference], ['true', { value: 1200, currency: 'EUR' }, MERCHANT, undefined]);
      assert.match(String(item.reason), /^012345:1142:03\/2030$/);
      assert.deepEqual(item['operations'], ['CANCEL', 'CAPTURE', 'REFUND']);
    }));

  it('a lost authorization is answered from the evidence as /payments would have: a hold, or a charge when the call captured', () =>
    within(async ({ fake, provider }) => {
      for (const capture of [false, true]) {
        const r = request({ capture });
        await provider.authorize(r); // the answer is "lost": only the notification is used below
        const item = authorisationOf(fake, r.reference);
        const notes = await parsed(provider, item);
        assert.equal(notes[0]?.failed, undefined);
        assert.ok(notes[0]?.evidence, 'an AUTHORISATION keeps evidence');
        assert.deepEqual(await provider.lookup(asked(r, notes)), {
          operation: 'authorize',
          outcome: { status: capture ? 'captured' : 'authorized', reference: item.pspReference, amount: 1200 },
        });
      }
    }));

  it('a refused one is the decline its reason names; nothing else settles (another reference, two payments, another currency, another psp, no evidence)', () =>
    within(async ({ fake, provider }) => {
      fake.refuseCard(ADYEN_TEST_CARDS.mastercard, 'NOT_ENOUGH_BALANCE');
      const r = request({ card: card(ADYEN_TEST_CARDS.mastercard) });
      const answered = await provider.authorize(r);
      const refused = authorisationOf(fake, r.reference);
      assert.deepEqual([refused.success, refused.reason], ['false', 'Not enough balance']);
      assert.equal(answered.status === 'declined' && answered.reference, refused.pspReference, "the refusal keeps Adyen's psp, the one its notification names");
      assert.deepEqual(await provider.lookup(asked(r, await parsed(provider, refused))), {
        operation: 'authorize',
        outcome: { status: 'declined', declineCode: 'insufficient_funds', message: 'Not enough balance', rawCode: '12', reference: refused.pspReference },
      });

      const ok = request();
      await provider.authorize(ok);
      const item = authorisationOf(fake, ok.reference);
      const ambiguous = async (lookup: LookupRequest, why: string) => assert.equal((await failure(provider.lookup(lookup))).certainty, 'ambiguous', why);
      await ambiguous(asked(ok, []), 'no evidence');
      await ambiguous(asked({ ...ok, reference: 'pi_other' }, await parsed(provider, item)), 'about another intent');
      const second = fake.signed({ ...item, pspReference: 'ZZZZZZZZZZZZZZZZ' });
      await ambiguous(asked(ok, await parsed(provider, item, second)), 'two payments under one reference');
      await ambiguous(asked(ok, await parsed(provider, fake.signed({ ...item, amount: { value: 1200, currency: 'USD' } }))), 'another currency');
      await ambiguous(asked(ok, await parsed(provider, item), { operation: 'complete_action', providerRef: 'YYYYYYYYYYYYYYYY' }), 'a completion of another payment');
      const otherAccount = await parsed(provider, fake.signed({ ...item, merchantAccountCode: 'SomeoneElseECOM' }));
      assert.equal(otherAccount[0]?.evidence, undefined, "another merchant account's item is no evidence");
      // Another amount is Adyen's to say: answered as it is, for the domain to hold as a discrepancy.
      const more = await provider.lookup(asked(ok, await parsed(provider, fake.signed({ ...item, amount: { value: 1300, currency: 'EUR' } }))));
      assert.equal(more?.operation === 'authorize' && more.outcome.status === 'captured' && more.outcome.amount, 1300);
    }));

  it('CAPTURE_FAILED, REFUND_FAILED and a refused CAPTURE / REFUND are failures of what Kassa booked; a successful one is not', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false, amount: 3000 }));
      if (held.status !== 'authorized') return assert.fail('expected a hold');
      const captured = await provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: held.reference, amount: 3000, currency: 'eur' });
      const refunded = await provider.refund({ idempotencyKey: randomUUID(), reference: held.reference, amount: 700, currency: 'eur' });
      const refundFailed = fake.rejectRefund(held.reference);
      const captureFailed = fake.rejectCapture(held.reference);
      const capture = fake.notificationsFor(held.reference).find((n) => n.eventCode === 'CAPTURE');
      assert.ok(capture);
      const [ok, r, c, refusedCapture] = await parsed(provider, capture, refundFailed, captureFailed, fake.signed({ ...capture, success: 'false', reason: 'Insufficient balance on payment' }));
      assert.equal(ok?.failed, undefined);
      // Each names the modification by its own pspReference, which the capture's and the refund's answers gave.
      assert.deepEqual(r?.failed, { operation: 'refund', amount: 700, currency: 'eur', declineCode: 'processing_error', message: 'Refund rejected by card scheme because of a technical issue.', rawCode: 'REFUND_FAILED', providerRef: refunded.status === 'succeeded' ? refunded.reference : 'none' });
      assert.deepEqual(c?.failed, { operation: 'capture', amount: 3000, currency: 'eur', declineCode: 'processing_error', message: 'Capture rejected by card scheme because of a technical issue.', rawCode: 'CAPTURE_FAILED', providerRef: captured.status === 'captured' ? captured.reference : 'none' });
      assert.deepEqual([refusedCapture?.failed?.operation, refusedCapture?.failed?.rawCode], ['capture', 'CAPTURE']);
      assert.deepEqual([c?.providerRef, c?.kind, c?.evidence], [held.reference, 'CAPTURE_FAILED:true', undefined]);
      // Adyen's own record: the capture did not happen; the refund neither.
      assert.deepEqual(fake.paymentsFor(capture.merchantReference).map((p) => [p.status, p.captured, p.refunded]), [['capture_failed', 0, 0]]);
    }));

  it('a CANCELLATION with success false is a failure of the void Kassa booked; one with success true is not', () =>
    within(async ({ fake, provider }) => {
      const held = await provider.authorize(request({ capture: false, amount: 2500 }));
      if (held.status !== 'authorized') return assert.fail('expected a hold');
      fake.refuseNextCancel('Transaction Not Permitted');
      assert.deepEqual(await provider.cancel({ idempotencyKey: randomUUID(), reference: held.reference, amount: 2500, currency: 'eur' }), { status: 'canceled' });
      const other = await provider.authorize(request({ capture: false, amount: 1200 }));
      if (other.status !== 'authorized') return assert.fail('expected a hold');
      await provider.cancel({ idempotencyKey: randomUUID(), reference: other.reference, amount: 1200, currency: 'eur' });
      const refused = fake.notificationsFor(held.reference).find((n) => n.eventCode === 'CANCELLATION');
      const done = fake.notificationsFor(other.reference).find((n) => n.eventCode === 'CANCELLATION');
      assert.ok(refused && done);
      const [r, d] = await parsed(provider, refused, done);
      assert.deepEqual(r?.failed, { operation: 'cancel', amount: 2500, currency: 'eur', declineCode: 'processing_error', message: 'Transaction Not Permitted', rawCode: 'CANCELLATION' });
      assert.equal(d?.failed, undefined);
    }));

  it('every refusal reason name reads back as its code', () => {
    for (const code of REFUSAL_REASON_CODES) assert.equal(refusalFromReason(REFUSAL_REASON_NAMES[code]).rawCode, code, code);
    assert.deepEqual(refusalFromReason('Something new'), { declineCode: 'generic_decline', message: 'Something new', rawCode: undefined });
  });
});
