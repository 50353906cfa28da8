/**
 * The API description (/openapi.json) against the server that serves it: it is valid OpenAPI
 * 3.1; it names every route the app serves (read from the Express router stack) and nothing
 * else; and real answers — success and errors, of every documented operation — match what it
 * says, checked with ajv. Also the two routes' own headers and bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CARDS, FUTURE_YEAR, SHOP, UNLIMITED, boot, challengeUrl, formEncode, overriding } from './helpers.js';
import type { Harness } from './helpers.js';
import { Contract } from './openapi-contract.js';
import { PayPalFake } from './fakes/paypal-fake.js';
import { AlipayFake } from './fakes/alipay-fake.js';
import { AlipayProvider } from '../src/adapters/alipay/provider.js';
import { PayPalProvider } from '../src/adapters/paypal/provider.js';
import { Sensitive } from '../src/domain/ports.js';
import type { Answer } from './openapi-contract.js';

type Doc = ConstructorParameters<typeof Contract>[0];

interface CallOptions {
  /** Bearer credential: the secret key by default on /v1, the operator key on /operator, none elsewhere. */
  auth?: string | null;
  /** Another server than the suite's (same document), e.g. one with tight rate limits. */
  at?: Harness;
  body?: unknown;
  form?: boolean;
  raw?: string;
  headers?: Record<string, string>;
  idem?: string;
}

describe('API description (/openapi.json, /docs)', () => {
  let h: Harness;
  let dist: string;
  let doc: Doc;
  let contract: Contract;
  /** The credential each path was called with (to call an example again). */
  const credentials = new Map<string, string | null>();

  /** The credential a path takes by default. */
  const defaultAuth = (at: Harness, path: string): string | null =>
    path.startsWith('/v1/') ? at.secretKey : path.startsWith('/operator/') ? at.kassa.operatorKey : null;

  /** One request, its answer checked against the document (its JSON request body too). */
  async function call(method: string, path: string, o: CallOptions = {}): Promise<Answer> {
    const at = o.at ?? h;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const auth = o.auth === undefined ? defaultAuth(at, path) : o.auth;
    if (auth) headers.authorization = `Bearer ${auth}`;
    if (!credentials.has(path) && at === h) credentials.set(path, auth);
    if (o.idem) headers['idempotency-key'] = o.idem;
    let payload: string | undefined = o.raw;
    if (payload === undefined && o.body !== undefined) {
      if (o.form) {
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
        payload = formEncode(o.body as Record<string, unknown>);
      } else {
        headers['content-type'] ??= 'application/json';
        payload = JSON.stringify(o.body);
      }
    }
    const res = await fetch(`${at.url}${path}`, { method, headers, redirect: 'manual', ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json') && text !== '';
    const answer: Answer = { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : text };
    const pathOnly = path.split('?')[0]!;
    // A JSON body the server took must be one the document allows: the document is not stricter than the server.
    if (o.body !== undefined && !o.form && o.raw === undefined && answer.status < 400) contract.checkRequest(method, pathOnly, 'application/json', o.body);
    contract.check(method, pathOnly, answer, path);
    // Every /v1 answer names its Stripe-Version, errors too, but for a version Kassa does not speak.
    if (path.startsWith('/v1/') && (answer.body as { error?: { code?: string } } | null)?.error?.code !== 'api_version_unsupported') {
      assert.match(res.headers.get('stripe-version') ?? '', /^\d{4}-\d{2}-\d{2}/, `${method} ${path}: no Stripe-Version`);
    }
    return answer;
  }

  const ok = async (method: string, path: string, o: CallOptions = {}, status = 200): Promise<any> => {
    const a = await call(method, path, o);
    assert.equal(a.status, status, `${method} ${path}: ${JSON.stringify(a.body).slice(0, 400)}`);
    return a.body;
  };

  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'kassa-openapi-widget-'));
    mkdirSync(join(dist, 'frame'));
    writeFileSync(join(dist, 'kassa.js'), 'console.log("kassa")\n');
    writeFileSync(join(dist, 'frame', 'card.js'), 'console.log("card")\n');
    writeFileSync(join(dist, 'frame', 'ja-CTHxDTLF.js'), 'export const ja = {}\n');
    // Locale files for two locales, so that a third (built nowhere) answers "not built".
    mkdirSync(join(dist, 'locales'));
    writeFileSync(join(dist, 'locales', 'en.json'), '{"frameTitle":"Card details"}\n');
    writeFileSync(join(dist, 'locales', 'zh-CN.json'), '{"frameTitle":"银行卡信息"}\n');
    h = await boot({ widgetDistDir: dist });
    const res = await fetch(`${h.url}/openapi.json`);
    assert.equal(res.status, 200);
    doc = (await res.json()) as Doc;
    contract = new Contract(doc);
  });
  after(async () => {
    await h.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('is a valid OpenAPI 3.1 document (the official schema), naming this server', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 3000));
    assert.match(String(doc.openapi), /^3\.1\./);
    assert.deepEqual(doc.servers, [{ url: h.url }]);
    // Every $ref points at something.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const path = ref.slice(8, -1).replace(/^#\//, '').split('/');
      let at: unknown = doc;
      for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      assert.ok(at !== undefined, `dangling ${ref}`);
    }
    // Every example a path parameter gives is one its own schema allows.
    for (const key of contract.operations()) {
      const [method, template] = key.split(' ') as [string, string];
      for (const p of contract.parameters(method, template)) {
        if (p.example === undefined) continue;
        assert.ok(contract.ajv.validate(p.schema as object, p.example), `${key}: example ${String(p.example)} of ${String(p.name)}`);
      }
    }
  });

  it('describes every route the app serves, and only those (the Express router stack)', () => {
    const served = h.kassa.routes();
    assert.ok(served.length > 40, `the walk found ${served.length} routes`);
    const documented = contract.operations();
    // Each described operation is one served route: the same path, or one a regular expression
    // matches (filled with the parameters' documented examples: patterned asset routes).
    const claimed = new Set<number>();
    for (const key of documented) {
      const [method, template] = key.split(' ') as [string, string];
      const concrete = contract.fill(method, template, 'x0Sample');
      const index = served.findIndex((r) => r.method === method && (r.openApiPath === template || (r.openApiPath === null && r.matches(concrete))));
      assert.ok(index >= 0, `${key} is described but not served`);
      claimed.add(index);
    }
    const undocumented = served.filter((_r, i) => !claimed.has(i)).map((r) => `${r.method} ${r.express}`);
    assert.deepEqual(undocumented, [], 'served but not described');
    assert.equal(claimed.size, documented.length, 'two operations claim one route');
  });

  it('answers other methods with 405 and exactly the documented methods in Allow', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const key of contract.operations()) {
      const [method, template] = key.split(' ') as [string, string];
      byPath.set(template, (byPath.get(template) ?? new Set()).add(method));
    }
    const refusing = h.kassa.routes().filter((r) => r.answersOtherMethods);
    // Only the version this server has reaches a versioned route.
    const version = String(((await (await fetch(`${h.url}/kassa.json`)).json()) as { version: string }).version);
    let checked = 0;
    let expected = 0;
    for (const [template, methods] of byPath) {
      const path = contract.fill([...methods][0]!, template, 'x_sample', { version });
      // Routes without an .all() (static assets) leave other methods to the 404 handler.
      if (!refusing.some((r) => r.openApiPath === template || (r.openApiPath === null && r.matches(path)))) continue;
      expected++;
      const auth = defaultAuth(h, path);
      const res = await fetch(`${h.url}${path}`, { method: 'PATCH', headers: auth ? { authorization: `Bearer ${auth}` } : {} });
      assert.equal(res.status, 405, `PATCH ${path}`);
      const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim()).sort();
      assert.deepEqual(allow, [...methods].sort(), `Allow of ${template}`);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'method_not_allowed');
      checked++;
    }
    assert.equal(checked, expected);
    assert.ok(checked >= 30, `405 checked on ${checked} paths`);
  });

  it('real answers of every documented operation match it, success and errors', async () => {
    // Customers, JSON and form.
    const cus = await ok('POST', '/v1/customers', { body: { email: 'ada@example.com', name: 'Ada', address: { city: 'Hangzhou', country: 'CN' }, metadata: { tier: 'gold' } }, idem: 'oa-cus-1' });
    await ok('POST', '/v1/customers', { body: { email: 'ada@example.com', name: 'Ada', address: { city: 'Hangzhou', country: 'CN' }, metadata: { tier: 'gold' } }, idem: 'oa-cus-1' });
    const other = await ok('POST', '/v1/customers', { body: { name: 'Bo', metadata: { a: '1' }, shipping: { name: 'Bo', address: { line1: '1 Road' } } }, form: true });
    await ok('POST', `/v1/customers/${cus.id}`, { body: { phone: '+86 1', description: '' } });
    await ok('GET', `/v1/customers/${cus.id}`);
    await ok('GET', '/v1/customers?limit=2');

    // An intent paid from the widget, the card saved for the customer.
    const pi = await ok('POST', '/v1/payment_intents', { body: { amount: 12800, currency: 'cny', customer: cus.id, metadata: { order: '1' }, shipping: { name: 'Ada', address: { city: 'Hangzhou' } } }, idem: 'oa-pi-1' });
    await ok('POST', `/v1/payment_intents/${pi.id}`, { body: { description: 'Order 1', metadata: { order: '1b' } } });
    await ok('GET', `/client/payment_intents/${pi.id}`, { auth: pi.client_secret });
    const tok = await ok('POST', '/client/tokens', { auth: pi.client_secret, body: { card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } } });
    const paid = await ok('POST', `/client/payment_intents/${pi.id}/confirm`, { auth: pi.client_secret, body: { payment_method: tok.id, setup_future_usage: 'off_session' }, idem: 'oa-confirm-1' });
    assert.equal(paid.status, 'succeeded');
    await ok('GET', `/client/payment_intents/${pi.id}`, { auth: pi.client_secret }); // with saved_payment_method

    // Server-side: create-and-confirm with a Stripe test id, manual capture, partial capture.
    const held = await ok('POST', '/v1/payment_intents', { body: { amount: 5000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true }, form: true, idem: 'oa-pi-2' });
    assert.equal(held.status, 'requires_capture');
    await ok('POST', `/v1/payment_intents/${held.id}/capture`, { body: { amount_to_capture: 3000 }, idem: 'oa-cap-1' });
    const toCancel = await ok('POST', '/v1/payment_intents', { body: { amount: 900, currency: 'jpy', capture_method: 'manual', payment_method: 'tok_mastercard' } });
    await ok('POST', `/v1/payment_intents/${toCancel.id}/confirm`, { body: {}, idem: 'oa-confirm-2' });
    await ok('POST', `/v1/payment_intents/${toCancel.id}/cancel`, { body: { cancellation_reason: 'requested_by_customer' } });

    // Refunds and charges.
    const refund = await ok('POST', '/v1/refunds', { body: { payment_intent: pi.id, amount: 2800, reason: 'requested_by_customer', metadata: { why: 'late' } }, idem: 'oa-re-1' });
    await ok('GET', `/v1/refunds/${refund.id}`);
    await ok('GET', `/v1/refunds?payment_intent=${pi.id}`);
    await ok('GET', `/v1/charges/${paid.latest_charge ?? (await ok('GET', `/v1/payment_intents/${pi.id}`)).latest_charge}`);
    await ok('GET', '/v1/charges?limit=5');

    // Reading intents, expanded every way.
    const expanded = await ok('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge&expand[]=customer&expand[]=payment_method`);
    assert.equal(typeof expanded.latest_charge, 'object');
    assert.equal(typeof expanded.customer, 'object');
    await ok('GET', `/v1/payment_intents?limit=3&expand[0]=latest_charge&customer=${cus.id}`);
    await ok('GET', `/v1/payment_intents/search?query=${encodeURIComponent("status:'succeeded' AND currency:'cny'")}&limit=2`);

    // Payment methods.
    const pms = await ok('GET', `/v1/customers/${cus.id}/payment_methods`);
    const pm = pms.data[0].id as string;
    await ok('GET', `/v1/payment_methods?customer=${cus.id}&type=card`);
    await ok('GET', `/v1/payment_methods/${pm}`);
    await ok('POST', `/v1/payment_methods/${pm}`, { body: { metadata: { nick: 'work' } } });
    const attached = await ok('POST', '/v1/payment_methods/pm_card_amex/attach', { body: { customer: cus.id }, idem: 'oa-attach-1' });
    await ok('POST', `/v1/payment_methods/${attached.id}/detach`, { body: {} });

    // Declines: the intent comes back inside the error, in each API's view.
    const declined = await call('POST', '/v1/payment_intents', { body: { amount: 700, currency: 'cny', payment_method: 'pm_card_chargeDeclined', confirm: true } });
    assert.equal(declined.status, 402);
    const widgetIntent = await h.createIntent();
    const badCard = await h.tokenize(widgetIntent.client_secret, { number: CARDS.insufficientFunds });
    const clientDeclined = await call('POST', `/client/payment_intents/${widgetIntent.id}/confirm`, { auth: widgetIntent.client_secret, body: { payment_method: badCard.body.id } });
    assert.equal(clientDeclined.status, 402);
    assert.equal((clientDeclined.body as { error: { payment_intent: { object: string } } }).error.payment_intent.object, 'payment_intent');

    // 3-D Secure, framed (widget) and as a whole page (return_url).
    const tds = await h.createIntent({ amount: 3000 });
    const tdsToken = await h.tokenize(tds.client_secret, { number: CARDS.threeDS });
    const action = await ok('POST', `/client/payment_intents/${tds.id}/confirm`, { auth: tds.client_secret, body: { payment_method: tdsToken.body.id } });
    const framed = new URL(challengeUrl(action.next_action.three_d_secure.url));
    const page = await ok('GET', `${framed.pathname}${framed.search}`);
    const formToken = /name="token" value="([^"]+)"/.exec(String(page))?.[1] ?? '';
    await ok('POST', `${framed.pathname}${framed.search}`, {
      raw: `result=pass&token=${encodeURIComponent(formToken)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', origin: h.url },
    });
    const redirect = await ok('POST', '/v1/payment_intents', { body: { amount: 2500, currency: 'cny', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://shop.example/back' } });
    const whole = new URL(redirect.next_action.redirect_to_url.url);
    const wholePage = await ok('GET', whole.pathname);
    const wholeToken = /name="token" value="([^"]+)"/.exec(String(wholePage))?.[1] ?? '';
    await ok('POST', whole.pathname, { raw: `result=pass&token=${encodeURIComponent(wholeToken)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 303);
    await ok('GET', whole.pathname, {}, 303); // decided: straight back

    // Webhook endpoints and events (charge and refund events among them).
    const we = await ok('POST', '/v1/webhook_endpoints', { body: { url: 'http://127.0.0.1:9/hooks', enabled_events: ['payment_intent.succeeded', 'charge.refunded'], metadata: { env: 'test' } }, idem: 'oa-we-1' });
    assert.match(we.secret, /^whsec_/);
    await ok('GET', '/v1/webhook_endpoints');
    await ok('GET', `/v1/webhook_endpoints/${we.id}`);
    await ok('POST', `/v1/webhook_endpoints/${we.id}`, { body: { description: 'shop', disabled: true } });
    await ok('POST', `/v1/webhook_endpoints/${we.id}/roll_secret`, { body: { previous_secret_expires_in: 60 } });
    await ok('DELETE', `/v1/webhook_endpoints/${we.id}`);
    const events = await ok('GET', '/v1/events?limit=100');
    const kinds = new Set((events.data as Array<{ data: { object: { object: string } } }>).map((e) => e.data.object.object));
    assert.deepEqual([...kinds].sort(), ['charge', 'payment_intent', 'refund'], 'every kind of event object was checked');
    await ok('GET', `/v1/events/${events.data[0].id}`);
    await ok('GET', '/v1/events?type=charge.*&limit=1');

    // Deleting a customer.
    await ok('DELETE', `/v1/customers/${other.id}`);
    const gone = await ok('GET', `/v1/customers/${other.id}`);
    assert.equal(gone.deleted, true);

    // Pages.
    const manifest = await ok('GET', '/kassa.json');
    await ok('GET', '/kassa.js');
    const pinned = new URL(manifest.url).pathname;
    const script = await call('GET', pinned);
    assert.equal(script.status, 200);
    await ok('GET', pinned, { headers: { 'if-none-match': script.headers.get('etag') ?? '', 'cache-control': 'max-age=0' } }, 304);
    await ok('GET', `/frame/card?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}&locale=zh-CN`);
    await ok('GET', '/frame/frame.css');
    await ok('GET', '/frame/card.js');
    await ok('GET', '/sandbox/assets/challenge.css');
    await ok('GET', '/sandbox/assets/challenge-complete.js');
    const self = await call('GET', '/openapi.json');
    assert.equal(self.status, 200);
    await ok('GET', '/openapi.json', { headers: { 'if-none-match': self.headers.get('etag') ?? '', 'cache-control': 'max-age=0' } }, 304);
    await ok('GET', '/docs');

    // Errors the document lists, and their shape.
    const expectError = async (method: string, path: string, o: CallOptions, status: number, code: string) => {
      const a = await call(method, path, o);
      assert.equal(a.status, status, `${method} ${path}: ${JSON.stringify(a.body).slice(0, 300)}`);
      assert.equal((a.body as { error: { code: string } }).error.code, code, `${method} ${path}`);
    };
    await expectError('GET', '/v1/payment_intents', { auth: null }, 401, 'api_key_invalid');
    await expectError('GET', `/v1/payment_intents/pi_${'0'.repeat(24)}`, {}, 404, 'resource_missing');
    await expectError('GET', `/client/payment_intents/${pi.id}`, { auth: 'not-a-jwt' }, 401, 'client_secret_invalid');
    await expectError('GET', `/client/payment_intents/${pi.id}`, { auth: pi.client_secret, headers: { origin: 'https://evil.example' } }, 403, 'origin_not_allowed');
    await expectError('POST', '/v1/payment_intents', { raw: 'amount=1', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type');
    await expectError('POST', '/v1/payment_intents', { raw: '{"amount":', headers: { 'content-type': 'application/json' } }, 400, 'invalid_json');
    await expectError('POST', '/v1/customers', { body: { description: 'x'.repeat(270_000) } }, 413, 'body_too_large');
    await expectError('POST', '/v1/customers', { body: { name: 'Other body' }, idem: 'oa-cus-1' }, 400, 'idempotency_key_reused');
    await expectError('POST', `/v1/payment_intents/${pi.id}/capture`, { body: {} }, 400, 'payment_intent_unexpected_state');
    await expectError('POST', '/v1/refunds', { body: { payment_intent: held.id, amount: 999_999 } }, 400, 'amount_too_large');
    await expectError('POST', '/v1/webhook_endpoints', { body: { url: 'ftp://example.com/x', enabled_events: ['*'] } }, 400, 'url_invalid');
    await expectError('GET', '/kassa@0.0.0-nope.js', {}, 404, 'resource_missing');
    await expectError('GET', '/frame/card?channel=chan_12345678&origin=https://evil.example', {}, 400, 'origin_not_allowed');
    await expectError('GET', '/frame/nope.js', {}, 404, 'route_not_found');
    await expectError('POST', `${framed.pathname}${framed.search}`, { raw: 'result=pass', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 403, 'form_token_invalid');

    // Balance: the captures and refunds above are in it.
    const balance = await ok('GET', '/v1/balance');
    assert.ok(balance.available.length + balance.pending.length > 0, 'the balance has money in it');
    const txns = await ok('GET', '/v1/balance_transactions?limit=3&type=charge');
    assert.ok(txns.data.length > 0, 'captures are balance transactions');
    await ok('GET', `/v1/balance_transactions?currency=cny&source=${encodeURIComponent(refund.charge)}`);
    await ok('GET', `/v1/balance_transactions/${txns.data[0].id}`);
    await expectError('GET', '/v1/balance_transactions?type=payout', {}, 400, 'parameter_invalid');
    await expectError('GET', `/v1/balance_transactions/txn_${'0'.repeat(24)}`, {}, 404, 'resource_missing');

    // Stripe-Version: echoed when Kassa speaks it, a 400 when not.
    const versioned = await call('GET', '/v1/balance', { headers: { 'stripe-version': '2024-06-20' } });
    assert.equal(versioned.status, 200);
    assert.equal(versioned.headers.get('stripe-version'), '2024-06-20');
    await expectError('GET', '/v1/balance', { headers: { 'stripe-version': '2019-01-01' } }, 400, 'api_version_unsupported');

    // The operator API: a merchant from registration to live mode, and its keys.
    const registered = await ok('POST', '/operator/merchants', { body: { business_name: 'Shop 2', allowed_origins: [SHOP], country: 'CN', default_currency: 'cny', email: 'ops@example.com' } });
    const account = registered.merchant.id as string;
    await ok('GET', '/operator/merchants');
    await ok('GET', `/operator/merchants/${account}`);
    await ok('POST', `/operator/merchants/${account}`, { body: { email: 'billing@example.com', allowed_origins: [SHOP, 'https://shop2.example'] } });
    await expectError('POST', `/operator/merchants/${account}/keys`, { body: { type: 'secret', livemode: true } }, 400, 'account_not_live');
    const restricted = await ok('POST', `/operator/merchants/${account}/keys`, { body: { type: 'restricted', name: 'reporting', permissions: { balance: 'read' } } });
    await ok('GET', '/v1/balance', { auth: restricted.secret });
    await expectError('GET', '/v1/payment_intents', { auth: restricted.secret }, 403, 'permission_denied');
    await expectError('GET', '/v1/balance', { auth: registered.keys.publishable_key }, 403, 'permission_denied');
    const keys = await ok('GET', `/operator/merchants/${account}/keys`);
    assert.equal(keys.data.length, 3);
    await ok('POST', `/operator/merchants/${account}/activate`, { body: {} });
    await expectError('POST', `/operator/merchants/${account}/activate`, { body: {} }, 400, 'account_already_live');
    const rolled = await ok('POST', `/operator/keys/${restricted.id}/roll`, { body: { expires_in: 0 } });
    await ok('POST', `/operator/keys/${rolled.id}/revoke`, { body: {} });
    await expectError('POST', `/operator/keys/${rolled.id}/revoke`, { body: {} }, 400, 'api_key_expired');
    await expectError('POST', `/operator/keys/${rolled.id}/roll`, { body: {} }, 400, 'api_key_expired');
    await ok('GET', '/operator/reconciliation');
    await ok('POST', '/operator/reconciliation', { body: {} });
    await expectError('POST', '/operator/reconciliation', { body: { now: true } }, 400, 'parameter_unknown');
    await expectError('GET', '/operator/merchants', { auth: h.secretKey }, 401, 'api_key_invalid');
    await expectError('POST', '/operator/merchants', { body: { business_name: 'Bad', allowed_origins: ['https://shop.example/checkout'] } }, 400, 'parameter_invalid');
    await expectError('POST', '/operator/merchants', { body: { business_name: 'Form' }, form: true }, 415, 'unsupported_media_type');
    await expectError('GET', '/operator/merchants/acct_00000000', {}, 404, 'resource_missing');
    await expectError('POST', `/operator/merchants/${account}`, { body: { email: 'not an address' } }, 400, 'parameter_invalid');
    await expectError('GET', '/operator/merchants/acct_00000000/keys', {}, 404, 'resource_missing');
    await expectError('POST', `/operator/merchants/${account}/keys`, { body: { type: 'secret', permissions: { balance: 'read' } } }, 400, 'parameter_invalid');
    await expectError('POST', '/operator/keys/key_00000000/roll', { body: {} }, 404, 'resource_missing');
    // A merchant's own provider account (Stripe, test mode): made, listed, read, deactivated.
    const providerAccounts = `/operator/merchants/${account}/provider_accounts`;
    const pa = await ok('POST', providerAccounts, { body: { type: 'stripe', mode: 'test', name: 'main', secretKey: 'sk_test_openapi00000000', apiBase: 'http://127.0.0.1:9' } });
    await ok('GET', providerAccounts);
    await ok('GET', `${providerAccounts}/${pa.id}`);
    await ok('DELETE', `${providerAccounts}/${pa.id}`);
    await ok('POST', `${providerAccounts}/${pa.id}`, { body: { active: true, secretKey: 'sk_test_openapi11111111' } });
    await expectError('POST', `${providerAccounts}/${pa.id}`, { body: { mode: 'live' } }, 400, 'parameter_invalid');
    await expectError('POST', `${providerAccounts}/pa_00000000`, { body: { name: 'x' } }, 404, 'resource_missing');
    await expectError('POST', providerAccounts, { body: { type: 'stripe', mode: 'test', secretKey: 'sk_live_openapi00000000' } }, 400, 'parameter_invalid');
    await expectError('GET', '/operator/merchants/acct_00000000/provider_accounts', {}, 404, 'resource_missing');
    await expectError('GET', `${providerAccounts}/pa_00000000`, {}, 404, 'resource_missing');
    await expectError('DELETE', `${providerAccounts}/pa_00000000`, {}, 404, 'resource_missing');

    // The widget's locale files and the card page's content-addressed scripts.
    const locales = `/kassa@${manifest.version}/locales`;
    const strings = await call('GET', `${locales}/zh-CN.json`);
    assert.equal(strings.status, 200);
    await ok('GET', `${locales}/zh-CN.json`, { headers: { 'if-none-match': strings.headers.get('etag') ?? '', 'cache-control': 'max-age=0' } }, 304);
    await expectError('GET', `${locales}/xx.json`, {}, 404, 'resource_missing');
    await expectError('GET', `/kassa@0.0.0-nope/locales/en.json`, {}, 404, 'resource_missing');
    await expectError('GET', `${locales}/fr.json`, {}, 503, 'widget_not_built');
    const framePage = await ok('GET', `/frame/card?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}`);
    const hashed = /src="(\/frame\/card\.[0-9a-f]{16}\.js)"/.exec(String(framePage))?.[1];
    assert.ok(hashed, 'the card page links its script by hash');
    await ok('GET', hashed);
    await expectError('GET', '/frame/card.0000000000000000.js', {}, 404, 'route_not_found');
    await ok('GET', '/frame/ja-CTHxDTLF.js');
    await expectError('GET', '/frame/ko-ABCDEFGH.js', {}, 404, 'route_not_found');
    await ok('GET', '/sandbox/assets/challenge.js');

    // An error of each remaining operation that documents one.
    const noIntent = `pi_${'0'.repeat(24)}`;
    await expectError('POST', `/v1/payment_intents/${noIntent}`, { body: { description: 'x' } }, 404, 'resource_missing');
    await expectError('POST', `/v1/payment_intents/${pi.id}/confirm`, { body: {} }, 400, 'payment_intent_unexpected_state');
    await expectError('POST', `/v1/payment_intents/${pi.id}/cancel`, { body: {} }, 400, 'payment_intent_unexpected_state');
    await expectError('POST', `/v1/customers/cus_${'0'.repeat(24)}`, { body: { name: 'x' } }, 404, 'resource_missing');
    await expectError('POST', `/v1/payment_methods/pm_${'0'.repeat(24)}`, { body: {} }, 404, 'resource_missing');
    await expectError('POST', `/v1/payment_methods/${attached.id}/attach`, { body: { customer: cus.id } }, 400, 'payment_method_unexpected_state');
    await expectError('POST', `/v1/payment_methods/pm_${'0'.repeat(24)}/detach`, { body: {} }, 404, 'resource_missing');
    await expectError('POST', `/v1/webhook_endpoints/${we.id}`, { body: { description: 'gone' } }, 404, 'resource_missing');
    await expectError('POST', `/v1/webhook_endpoints/${we.id}/roll_secret`, { body: {} }, 404, 'resource_missing');
    await expectError('POST', '/client/tokens', { auth: 'not-a-jwt', body: { card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } } }, 401, 'client_secret_invalid');
    await expectError('GET', '/openapi.json?format=yaml', {}, 400, 'parameter_unknown');
    await expectError('GET', '/docs?q=1', {}, 400, 'parameter_unknown');
    await expectError('GET', '/sandbox/3ds/tds_000000000000/redirect', {}, 404, 'resource_missing');
    await expectError('POST', '/sandbox/3ds/tds_000000000000/redirect', { raw: 'result=pass', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 404, 'resource_missing');

    // A wallet payment at PayPal (the strict fake), on a server whose test mode has it: Kassa's
    // action page, the provider's return (GET and POST), its notifications.
    const paypalFake = await PayPalFake.start();
    const alipayFake = await AlipayFake.start();
    let walletUrl = '';
    const wallet = await boot({
      providers: {
        test: [
          new PayPalProvider({
            clientId: paypalFake.clientId,
            clientSecret: new Sensitive(paypalFake.clientSecret),
            apiBase: paypalFake.url,
            webhookId: paypalFake.webhookId,
            returnUrl: (reference) => `${walletUrl}/providers/paypal/return?kassa_reference=${reference}`,
          }),
          new AlipayProvider({
            appId: alipayFake.appId,
            privateKey: new Sensitive(alipayFake.appPrivateKey!),
            alipayPublicKey: alipayFake.alipayPublicKey,
            gateway: alipayFake.gateway,
            returnUrl: (reference) => `${walletUrl}/providers/alipay/return?kassa_reference=${reference}`,
            notifyUrl: 'http://127.0.0.1:9/nowhere',
            now: () => alipayFake.now(),
          }),
        ],
      },
      actionPollIntervalMs: 0,
    });
    walletUrl = wallet.url;
    try {
      const at = { at: wallet };
      const wpi = await ok('POST', '/v1/payment_intents', { ...at, auth: wallet.secretKey, body: { amount: 1999, currency: 'usd' } });
      const waiting = await ok('POST', `/client/payment_intents/${wpi.id}/confirm`, { ...at, auth: wpi.client_secret, body: { payment_method_data: { type: 'paypal' } } });
      const order = new URL(waiting.next_action.redirect_to_url.url).searchParams.get('token') ?? '';
      await ok('GET', '/actions/assets/action.css', at);
      await ok('GET', '/actions/assets/action.js', at);
      await ok('GET', `/actions/${order}?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}&locale=ja`, at);
      await ok('GET', `/actions/${order}/status`, at);
      const api = await ok('POST', '/v1/payment_intents', { ...at, auth: wallet.secretKey, body: { amount: 880, currency: 'cny' } });
      const scan = await ok('POST', `/client/payment_intents/${api.id}/confirm`, { ...at, auth: api.client_secret, body: { payment_method_data: { type: 'alipay' } } });
      const svg = await call('GET', scan.next_action.display_qr_code.image_url_svg, at);
      assert.equal(svg.status, 200);
      await expectError('GET', `/actions/${order}?channel=chan_12345678&origin=${encodeURIComponent('https://evil.example')}`, at, 400, 'origin_not_allowed');
      await expectError('GET', '/actions/NOPE', at, 404, 'resource_missing');
      await expectError('GET', `/actions/${order}/qr.svg`, at, 404, 'resource_missing');
      await expectError('GET', '/actions/NOPE/status', at, 404, 'resource_missing');
      await expectError('GET', `/providers/paypal/return?token=${order}`, at, 400, 'parameter_invalid');
      await expectError('GET', `/providers/worldpay/return?kassa_reference=${wpi.id}`, at, 404, 'resource_missing');
      await expectError('POST', '/providers/paypal/return', { ...at, raw: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, 'parameter_invalid');
      await expectError('POST', '/providers/worldpay/return', { ...at, raw: 'kassa_reference=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 404, 'resource_missing');
      const back = paypalFake.approve(order);
      const returned = await call('POST', `/providers/paypal/return?kassa_reference=${wpi.id}`, { ...at, raw: `token=${back.token}&PayerID=${back.PayerID}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(returned.status, 200);
      await ok('GET', `/providers/paypal/return?kassa_reference=${wpi.id}&token=${back.token}`, at);
      const event = paypalFake.signedEvent(paypalFake.orderEvent(order, 'CHECKOUT.ORDER.COMPLETED'));
      await ok('POST', '/providers/paypal/webhooks', { ...at, raw: event.body, headers: event.headers });
      await expectError('POST', '/providers/paypal/webhooks', { ...at, raw: event.body.replace('COMPLETED', 'VOIDED'), headers: event.headers }, 400, 'notification_invalid');
      await expectError('POST', '/providers/worldpay/webhooks', { ...at, raw: '{}', headers: { 'content-type': 'application/json' } }, 404, 'resource_missing');
      await expectError('POST', '/providers/paypal/webhooks', { ...at, raw: 'x'.repeat(300_000), headers: event.headers }, 413, 'body_too_large');
    } finally {
      await wallet.close();
      await paypalFake.close();
      await alipayFake.close();
    }

    // A provider page reached by POST: Kassa's form page for it.
    const posting = await boot({
      wrapProvider: (inner) =>
        overriding(inner, {
          authorize: async (r) => ({ status: 'requires_action', reference: `post_${r.reference}`, action: { type: 'redirect', url: 'https://acs.example.test/pareq', method: 'POST', fields: { MD: 'x' } } }),
        }),
    });
    try {
      const at = { at: posting };
      const ppi = await ok('POST', '/v1/payment_intents', { ...at, auth: posting.secretKey, body: { amount: 700, currency: 'cny' } });
      const redirected = await ok('POST', `/v1/payment_intents/${ppi.id}/confirm`, { ...at, auth: posting.secretKey, body: { payment_method: 'pm_card_visa', return_url: 'https://shop.example/back' } });
      await ok('GET', `${new URL(redirected.next_action.redirect_to_url.url).pathname}?locale=zh-CN`, at);
      await expectError('GET', '/actions/NOPE/redirect', at, 404, 'resource_missing');
    } finally {
      await posting.close();
    }

    // Every operation with a documented query refuses a parameter it does not document.
    let queried = 0;
    for (const key of contract.operations()) {
      const [method, template] = key.split(' ') as [string, string];
      const takesQuery = contract.parameters(method, template).some((p) => p.in === 'query');
      // The document's rule: every merchant and operator API read (GET, DELETE) refuses what it does not take, and so does every route with a query.
      const apiRead = (template.startsWith('/v1/') || template.startsWith('/operator/')) && (method === 'GET' || method === 'DELETE');
      if (!takesQuery && !apiRead) continue;
      const example = contract.examples.get(key);
      assert.ok(example, `${key} takes a query but was never exercised`);
      const a = await call(method, `${example}${example.includes('?') ? '&' : '?'}zz_unknown=1`, { auth: credentials.get(example) ?? null });
      assert.equal(a.status, 400, `${key} with an unknown query parameter: ${JSON.stringify(a.body).slice(0, 200)}`);
      const error = (a.body as { error: { code: string; param?: string } }).error;
      assert.ok(
        (error.code === 'parameter_unknown' && error.param === 'zz_unknown') || (template.startsWith('/sandbox/') && error.code === 'parameter_invalid'),
        `${key}: ${JSON.stringify(error)}`,
      );
      queried++;
    }
    assert.ok(queried >= 20, `unknown query parameters tried on ${queried} operations`);

    // Every documented operation was seen answering with success.
    const missing = contract.operations().filter((key) => ![...(contract.seen.get(key) ?? [])].some((s) => s < 400));
    assert.deepEqual(missing, [], 'operations never exercised');
    // …and answering with an error, each that documents one beyond the unexpected (`default`);
    // the widget scripts' "not built" answers are seen on a server without a build (below).
    const unbuilt = new Set(['GET /kassa.js', 'GET /kassa.json']);
    const documentsErrors = (key: string) => {
      const [method, template] = key.split(' ') as [string, string];
      return Object.keys(contract.operation(method, template).responses as object).some((status) => Number(status) >= 400);
    };
    const noError = contract.operations().filter((key) => documentsErrors(key) && !unbuilt.has(key) && ![...(contract.seen.get(key) ?? [])].some((status) => status >= 400));
    assert.deepEqual(noError, [], 'operations never seen answering an error');
  });

  it('rate limited answers (429, Retry-After) match it on /v1, /client and /operator', async () => {
    // A server of its own with tiny budgets; the same document describes it.
    const tight = await boot({ rateLimits: { ...UNLIMITED, perKey: { points: 2, seconds: 60 }, clientPerIp: { points: 1, seconds: 60 }, authFailuresPerIp: { points: 1, seconds: 60 } } });
    try {
      const limited = async (method: string, path: string, o: CallOptions, message: RegExp) => {
        const a = await call(method, path, { ...o, at: tight });
        assert.equal(a.status, 429, `${method} ${path}: ${JSON.stringify(a.body).slice(0, 300)}`);
        const error = (a.body as { error: { type: string; code: string; message: string } }).error;
        assert.deepEqual([error.type, error.code], ['rate_limit_error', 'rate_limit']);
        assert.match(error.message, message);
      };
      const intent = await ok('POST', '/v1/payment_intents', { at: tight, body: { amount: 500, currency: 'cny' } });
      await ok('GET', '/v1/balance', { at: tight });
      await limited('POST', '/v1/payment_intents', { body: { amount: 500, currency: 'cny' }, idem: 'oa-429' }, /for this API key/);
      await limited('GET', '/v1/balance_transactions', {}, /for this API key/);
      await ok('GET', `/client/payment_intents/${intent.id}`, { at: tight, auth: intent.client_secret });
      await limited('GET', `/client/payment_intents/${intent.id}`, { auth: intent.client_secret }, /from this address/);
      await limited('POST', '/client/tokens', { auth: intent.client_secret, body: { card: { number: CARDS.visa, exp_month: 12, exp_year: FUTURE_YEAR, cvc: '123' } } }, /from this address/);
      await ok('GET', '/operator/merchants', { at: tight });
      const wrong = await call('GET', '/operator/merchants', { at: tight, auth: 'op_guess' });
      assert.equal(wrong.status, 401);
      // Locked out after a failed authentication, even with the right key, on both APIs.
      await limited('GET', '/operator/merchants', {}, /failed authentications/);
      await limited('POST', `/operator/merchants/${'acct_00000000'}/activate`, { body: {} }, /failed authentications/);
      // This server has no widget build.
      for (const path of ['/kassa.js', '/kassa.json']) {
        const a = await call('GET', path, { at: tight });
        assert.deepEqual([a.status, (a.body as { error: { code: string } }).error.code], [503, 'widget_not_built'], path);
      }
    } finally {
      await tight.close();
    }
  });

  it('/openapi.json and /docs: strict headers, gzip, ETag, no query, GET only', async () => {
    const json = await fetch(`${h.url}/openapi.json`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
    assert.equal(json.headers.get('access-control-allow-origin'), '*');
    assert.equal(json.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(json.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(json.headers.get('cache-control'), 'no-cache');
    assert.equal(json.headers.get('content-encoding'), null);
    const text = await json.text();
    assert.equal(Buffer.byteLength(text), Number(json.headers.get('content-length')));

    const page = await fetch(`${h.url}/docs`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /^default-src 'none';style-src 'sha256-[A-Za-z0-9+/]+=*';frame-ancestors 'none';base-uri 'none';form-action 'none'$/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cross-origin-resource-policy'), 'same-origin');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('access-control-allow-origin'), null);
    const html = await page.text();
    // The one inline stylesheet is the one the CSP hash allows; no script, nothing from elsewhere.
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
    assert.equal(styles.length, 1);
    const { createHash } = await import('node:crypto');
    assert.ok(csp.includes(`'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`), 'the CSP allows exactly the page stylesheet');
    assert.doesNotMatch(html, /<script|javascript:|\son\w+=|style="/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'nothing from another origin');
    // Every operation and every named schema has its section.
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods)) assert.ok(html.includes(`id="${String(op.operationId)}"`), `${path}: no section`);
    }
    for (const name of Object.keys((doc.components as { schemas: object }).schemas)) assert.ok(html.includes(`id="schema-${name}"`), name);

    // gzip when asked, the same bytes, with its own ETag.
    for (const path of ['/openapi.json', '/docs']) {
      const plain = await fetch(`${h.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      const raw = await new Promise<{ encoding: string | undefined; etag: string | undefined; bytes: Buffer }>((resolve, reject) => {
        // fetch would decompress: read the wire bytes with node:http.
        import('node:http').then(({ get }) => {
          get(`${h.url}${path}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], etag: res.headers.etag, bytes: Buffer.concat(chunks) }));
          }).on('error', reject);
        }, reject);
      });
      assert.equal(raw.encoding, 'gzip', path);
      assert.equal(gunzipSync(raw.bytes).toString('utf8'), await plain.text(), path);
      assert.notEqual(raw.etag, plain.headers.get('etag'), `${path}: each encoding has its own ETag`);
      assert.equal(plain.headers.get('vary'), 'Accept-Encoding');
      const again = await fetch(`${h.url}${path}`, { headers: { 'accept-encoding': 'identity', 'if-none-match': plain.headers.get('etag') ?? '', 'cache-control': 'max-age=0' } });
      assert.equal(again.status, 304, path);
    }

    // Bad input: any query parameter is unknown; other methods are 405; errors are not cached.
    for (const path of ['/openapi.json', '/docs']) {
      const bad = await fetch(`${h.url}${path}?format=yaml`);
      assert.equal(bad.status, 400, path);
      const body = (await bad.json()) as { error: { type: string; code: string; param: string } };
      assert.deepEqual([body.error.type, body.error.code, body.error.param], ['invalid_request_error', 'parameter_unknown', 'format']);
      assert.equal(bad.headers.get('cache-control'), 'no-store', path);
      assert.ok((bad.headers.get('content-security-policy') ?? '').startsWith("default-src 'none'"), path);
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const wrong = await fetch(`${h.url}${path}`, { method });
        assert.equal(wrong.status, 405, `${method} ${path}`);
        assert.equal(wrong.headers.get('allow'), 'GET');
        assert.equal(wrong.headers.get('cache-control'), 'no-store');
        assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
      }
      const head = await fetch(`${h.url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200, `HEAD ${path}`);
    }
  });
});
