/**
 * Bad input on every route gets a clear Stripe-shaped 4xx — never a 500, never a partial
 * write. Each route is sent malformed JSON, an oversized body, the wrong content type, unknown,
 * missing and invalid parameters; then the database must look exactly as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CARDS, FUTURE_YEAR, assertError, boot, request, tableCounts } from './helpers.js';
import type { Harness, Reply } from './helpers.js';

/**
 * Whether a body survives form encoding unchanged in meaning: flat, plain keys, primitive
 * values (form encoding has no way to say "empty object" or null, so those would vanish).
 */
function formSafe(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return Object.entries(body).every(([k, v]) => /^\w+$/.test(k) && ['string', 'number', 'boolean'].includes(typeof v));
}

/** True unless the text is JSON for a plain object (which could be a valid request). */
function notAnObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v !== 'object' || v === null || Array.isArray(v);
  } catch {
    return true;
  }
}

describe('bad input', () => {
  let h: Harness;
  let intent: any;
  let manual: any;
  let token: string;
  let routes: Array<{ name: string; send: (body: unknown, o?: Parameters<Harness['v1']>[3]) => Promise<Reply>; form: boolean }>;

  before(async () => {
    h = await boot();
    intent = await h.createIntent();
    manual = await h.createIntent({ capture_method: 'manual' });
    token = (await h.tokenize(intent.client_secret)).body.id;
    const customer = await h.customer({ name: 'Bad input' });
    await h.pay(CARDS.visa, { customer, setup_future_usage: 'on_session' });
    const pm = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id as string;
    routes = [
      { name: 'POST /v1/payment_intents', send: (b, o) => h.v1('POST', '/payment_intents', b, o), form: true },
      { name: 'POST /v1/payment_intents/:id/confirm', send: (b, o) => h.v1('POST', `/payment_intents/${intent.id}/confirm`, b, o), form: true },
      { name: 'POST /v1/payment_intents/:id/capture', send: (b, o) => h.v1('POST', `/payment_intents/${manual.id}/capture`, b, o), form: true },
      { name: 'POST /v1/payment_intents/:id/cancel', send: (b, o) => h.v1('POST', `/payment_intents/${intent.id}/cancel`, b, o), form: true },
      {
        name: 'POST /client/payment_intents/:id/confirm',
        send: (b, o) => h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, b, o),
        form: false,
      },
      { name: 'POST /client/tokens', send: (b, o) => h.client('POST', '/tokens', intent.client_secret, b, o), form: false },
      { name: 'POST /v1/refunds', send: (b, o) => h.v1('POST', '/refunds', b, o), form: true },
      { name: 'POST /v1/customers', send: (b, o) => h.v1('POST', '/customers', b, o), form: true },
      { name: 'POST /v1/customers/:id', send: (b, o) => h.v1('POST', `/customers/${customer}`, b, o), form: true },
      { name: 'POST /v1/payment_methods/:id', send: (b, o) => h.v1('POST', `/payment_methods/${pm}`, b, o), form: true },
      { name: 'POST /v1/payment_methods/:id/attach', send: (b, o) => h.v1('POST', `/payment_methods/${pm}/attach`, b, o), form: true },
      { name: 'POST /v1/payment_methods/:id/detach', send: (b, o) => h.v1('POST', `/payment_methods/${pm}/detach`, b, o), form: true },
    ];
  });
  after(async () => {
    await h.close();
  });

  it('malformed JSON is 400 invalid_json on every POST route', async () => {
    const before = tableCounts(h);
    for (const r of routes) {
      for (const raw of ['{', '{"amount": 1,}', 'nul', '"just a string"', '12']) {
        assertError(await r.send(undefined, { raw, headers: { 'content-type': 'application/json' } }), 400, 'invalid_json', undefined, `${r.name} ${raw}`);
      }
      // Valid JSON that is not an object is bad input too.
      assertError(await r.send(undefined, { raw: '[]', headers: { 'content-type': 'application/json' } }), 400, 'parameter_invalid', undefined, r.name);
    }
    assert.deepEqual(tableCounts(h), before);
  });

  it('a body over 256 KB (merchant API) or 16 KB (widget API) is 413 on every POST route, in either encoding', async () => {
    const before = tableCounts(h);
    for (const r of routes) {
      // The merchant API is the one with form encoding: it takes Stripe's full-size metadata.
      const big = { description: 'x'.repeat((r.form ? 257 : 17) * 1024) };
      assertError(await r.send(big), 413, 'body_too_large', undefined, r.name);
      if (r.form) assertError(await r.send(big, { form: true }), 413, 'body_too_large', undefined, `${r.name} form`);
    }
    assert.deepEqual(tableCounts(h), before);
  });

  it('a wrong content type is 415 on every POST route (form only on /v1)', async () => {
    const before = tableCounts(h);
    for (const r of routes) {
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
        assertError(await r.send(undefined, { raw: '{"a":1}', headers: { 'content-type': type } }), 415, 'unsupported_media_type', undefined, `${r.name} ${type}`);
      }
      assertError(await r.send(undefined, { raw: '{"a":1}', headers: {} }), 415, 'unsupported_media_type', undefined, `${r.name} none`);
      if (!r.form) {
        assertError(await r.send({ payment_method: 'x' }, { form: true }), 415, 'unsupported_media_type', undefined, `${r.name} form`);
      }
    }
    assert.deepEqual(tableCounts(h), before);
  });

  it('unknown, missing and invalid parameters are 400 with the param named, on every POST route', async () => {
    const before = tableCounts(h);
    const card = { number: '4242424242424242', exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' };
    const cases: Array<[number, unknown, string, string]> = [
      // create
      [0, { amount: 100, currency: 'cny', colour: 'red' }, 'parameter_unknown', 'colour'],
      [0, { currency: 'cny' }, 'parameter_missing', 'amount'],
      [0, { amount: 100 }, 'parameter_missing', 'currency'],
      [0, { amount: 0, currency: 'cny' }, 'parameter_invalid', 'amount'],
      [0, { amount: 12.5, currency: 'cny' }, 'parameter_invalid', 'amount'],
      [0, { amount: '100', currency: 'cny' }, 'parameter_invalid', 'amount'],
      [0, { amount: 100_000_000, currency: 'cny' }, 'parameter_invalid', 'amount'],
      [0, { amount: 100, currency: 'CNY' }, 'parameter_invalid', 'currency'],
      [0, { amount: 100, currency: 'xyz' }, 'parameter_invalid', 'currency'],
      [0, { amount: 100, currency: 'cny', capture_method: 'later' }, 'parameter_invalid', 'capture_method'],
      [0, { amount: 100, currency: 'cny', customer: 'has spaces' }, 'parameter_invalid', 'customer'],
      [0, { amount: 100, currency: 'cny', metadata: { order: 5 } }, 'parameter_invalid', 'metadata[order]'],
      [0, { amount: 100, currency: 'cny', metadata: 'x' }, 'parameter_invalid', 'metadata'],
      [0, { amount: 100, currency: 'cny', confirm: true }, 'parameter_missing', 'payment_method'],
      [0, { amount: 100, currency: 'cny', payment_method: 'tok_doesnotexist0000' }, 'resource_missing', 'payment_method'],
      // merchant confirm
      [1, { payment_method: token, extra: 1 }, 'parameter_unknown', 'extra'],
      [1, {}, 'parameter_missing', 'payment_method'],
      [1, { payment_method: 'card_4242' }, 'parameter_invalid', 'payment_method'],
      [1, { payment_method: token, setup_future_usage: 'forever' }, 'parameter_invalid', 'setup_future_usage'],
      // capture
      [2, { amount_to_capture: -5 }, 'parameter_invalid', 'amount_to_capture'],
      [2, { amount_to_capture: 100, amount: 1 }, 'parameter_unknown', 'amount'],
      // cancel
      [3, { cancellation_reason: 'bored' }, 'parameter_invalid', 'cancellation_reason'],
      // client confirm
      [4, {}, 'parameter_missing', 'payment_method'],
      [4, { payment_method: token, amount: 1 }, 'parameter_unknown', 'amount'],
      [4, { payment_method: '' }, 'parameter_invalid', 'payment_method'],
      [4, { payment_method: 'tok_doesnotexist0000' }, 'resource_missing', 'payment_method'],
      [1, { payment_method: token, return_url: 'javascript:alert(1)' }, 'parameter_invalid', 'return_url'],
      [4, { payment_method: token, return_url: 'https://shop.example/back' }, 'parameter_unknown', 'return_url'],
      [4, { payment_method: token, off_session: true }, 'parameter_unknown', 'off_session'],
      // refunds
      [6, { payment_intent: intent.id, amount: -1 }, 'parameter_invalid', 'amount'],
      [6, { payment_intent: intent.id, reason: 'meh' }, 'parameter_invalid', 'reason'],
      [6, { payment_intent: intent.id, refund_application_fee: true }, 'parameter_unknown', 'refund_application_fee'],
      // customers
      [7, { email: 'nope' }, 'parameter_invalid', 'email'],
      [7, { sources: [] }, 'parameter_unknown', 'sources'],
      [8, { address: { country: 'cn' } }, 'parameter_invalid', 'address[country]'],
      [8, { invoice_settings: { footer: 'x' } }, 'parameter_unknown', 'invoice_settings[footer]'],
      // payment methods
      [9, { card: { exp_month: 1 } }, 'parameter_unknown', 'card'],
      [10, {}, 'parameter_missing', 'customer'],
      [10, { customer: 'cus_nobody' }, 'resource_missing', 'customer'],
      [11, { customer: 'x' }, 'parameter_unknown', 'customer'],
      // tokens
      [5, {}, 'parameter_missing', 'card'],
      [5, { card: { ...card, name: 'Alice' } }, 'parameter_unknown', 'card[name]'],
      [5, { card, customer: 'x' }, 'parameter_unknown', 'customer'],
      [5, { card: { ...card, number: undefined } }, 'parameter_missing', 'card[number]'],
      [5, { card: { ...card, exp_month: '12' } }, 'parameter_invalid', 'card[exp_month]'],
      [5, { card: { ...card, exp_month: 13 } }, 'parameter_invalid', 'card[exp_month]'],
      [5, { card: { ...card, number: '4242424242424241' } }, 'parameter_invalid', 'card[number]'],
      [5, { card: { ...card, number: '4242 4242 4242' } }, 'parameter_invalid', 'card[number]'],
      [5, { card: { ...card, number: '9999999999999995' } }, 'parameter_invalid', 'card[number]'],
      [5, { card: { ...card, number: '4242x4242x4242x4242' } }, 'parameter_invalid', 'card[number]'],
      [5, { card: { ...card, exp_year: 2001 } }, 'parameter_invalid', 'card[exp_year]'],
      [5, { card: { ...card, cvc: '12' } }, 'parameter_invalid', 'card[cvc]'],
      [5, { card: { ...card, number: '378282246310005', cvc: '123' } }, 'parameter_invalid', 'card[cvc]'],
      [5, { card: { ...card, cvc: 'abc' } }, 'parameter_invalid', 'card[cvc]'],
    ];
    for (const [i, body, code, param] of cases) {
      const route = routes[i]!;
      const r = await route.send(body);
      assertError(r, code === 'resource_missing' ? 404 : 400, code, param, `${route.name} ${JSON.stringify(body)}`);
      // The message names the rule, never the value sent.
      if (i === 5) assert.ok(!r.body.error.message.includes('4242'), r.body.error.message);
    }
    assert.deepEqual(tableCounts(h), before);
  });

  it('form bodies are coerced only where numbers are expected, and nested metadata works', async () => {
    const r = await h.v1('POST', '/payment_intents', { amount: '1000', currency: 'jpy', metadata: { a: '1', b: 'two' }, capture_method: 'manual' }, { form: true });
    assert.equal(r.status, 200);
    assert.equal(r.body.amount, 1000);
    assert.deepEqual(r.body.metadata, { a: '1', b: 'two' });
    const bad = await h.v1('POST', '/payment_intents', { amount: '10.5', currency: 'jpy' }, { form: true });
    assertError(bad, 400, 'parameter_invalid', 'amount');
    const deep = await h.v1('POST', '/payment_intents', undefined, {
      raw: 'amount=1&currency=cny&metadata[a][b][c][d]=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(deep.status, 400);
    const proto = await h.v1('POST', '/payment_intents', undefined, {
      raw: 'amount=1&currency=cny&__proto__[admin]=1&constructor[prototype][x]=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(proto.status, 400);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });

  it('full-width digits and spaces in a card number are accepted, as Chinese and Japanese keyboards type them', async () => {
    const r = await h.client('POST', '/tokens', intent.client_secret, {
      card: { number: '４２４２\u3000４２４２ ４２４２-４２４２', exp_month: 12, exp_year: FUTURE_YEAR, cvc: '１２３' },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.card, { brand: 'visa', last4: '4242', exp_month: 12, exp_year: FUTURE_YEAR });
  });

  it('unknown routes and ids are 404 JSON, wrong methods 405, on every route', async () => {
    const before = tableCounts(h);
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/v1'],
      ['GET', '/client/nope'],
      ['GET', '/sandbox/nope'],
      ['DELETE', '/'],
    ] as const) {
      const r = await request(`${h.url}${path}`, method, undefined, h.secretKey);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.error.code, 'route_not_found', path);
    }
    assert.equal((await h.v1('GET', '/nope')).body.error.code, 'route_not_found');
    for (const [send, label] of [
      [() => h.v1('DELETE', `/payment_intents/${intent.id}`), 'DELETE /v1/payment_intents/:id'],
      [() => h.v1('PUT', '/payment_intents'), 'PUT /v1/payment_intents'],
      [() => h.v1('DELETE', '/refunds'), 'DELETE /v1/refunds'],
      [() => h.v1('POST', '/charges', {}), 'POST /v1/charges'],
      [() => h.v1('GET', `/payment_intents/${intent.id}/confirm`), 'GET confirm'],
      [() => h.v1('PUT', `/payment_intents/${intent.id}/capture`, {}), 'PUT capture'],
      [() => h.v1('GET', `/payment_intents/${intent.id}/cancel`), 'GET cancel'],
      [() => h.v1('POST', '/customers/cus_1/payment_methods', {}), 'POST payment_methods'],
      [() => h.client('POST', `/payment_intents/${intent.id}`, intent.client_secret, {}), 'POST client intent'],
      [() => h.client('GET', `/payment_intents/${intent.id}/confirm`, intent.client_secret), 'GET client confirm'],
      [() => h.client('GET', '/tokens', intent.client_secret), 'GET tokens'],
      [() => request(`${h.url}/frame/card`, 'POST', {}, null), 'POST frame'],
    ] as const) {
      const r = await send();
      assertError(r, 405, 'method_not_allowed', undefined, label);
      assert.ok(r.headers.get('allow'), label);
    }
    for (const [send, label] of [
      [() => h.v1('GET', '/payment_intents/pi_unknown0000000000'), 'unknown id'],
      [() => h.v1('GET', '/payment_intents/%E0%A4%A'), 'malformed escape'],
      [() => h.v1('POST', '/payment_intents/pi_unknown0000000000/capture', {}), 'capture unknown'],
      [() => h.v1('POST', '/payment_intents/pi_unknown0000000000/cancel', {}), 'cancel unknown'],
      [() => h.v1('GET', '/customers/has%20space/payment_methods'), 'bad customer'],
      [() => h.client('GET', '/payment_intents/pi_unknown0000000000', intent.client_secret), 'client unknown'],
    ] as const) {
      const r = await send();
      assert.ok(r.status === 404 || r.status === 400, `${label}: ${r.status}`);
      assert.ok(r.body.error, label);
    }
    assert.deepEqual(tableCounts(h), before);
  });

  it('property: no body, of any shape, makes any POST route answer 5xx or write anything', async () => {
    const before = tableCounts(h);
    // Bodies that cannot succeed: anything with an unknown key, or not an object at all.
    const body = fc.oneof(
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).map((k) => `x_${k}`), fc.jsonValue(), { minKeys: 1, maxKeys: 5 }),
      fc.record({ amount: fc.jsonValue(), currency: fc.jsonValue(), x_extra: fc.jsonValue() }),
      fc.record({ card: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()), x_extra: fc.constant(1) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: routes.length - 1 }), body, fc.boolean(), async (i, b, form) => {
        const route = routes[i]!;
        const r = await route.send(b, { form: form && route.form && formSafe(b) });
        assert.ok(r.status >= 400 && r.status < 500, `${route.name} ${JSON.stringify(b)} → ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body.error?.code, 'string');
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: routes.length - 1 }), fc.string({ minLength: 1, maxLength: 200 }).filter(notAnObject), async (i, raw) => {
        const r = await routes[i]!.send(undefined, { raw, headers: { 'content-type': 'application/json' } });
        assert.ok(r.status < 500, `${raw} → ${r.status}`);
      }),
      { numRuns: 200 },
    );
    assert.deepEqual(tableCounts(h), before);
  });
});
