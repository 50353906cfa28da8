/**
 * Who may call what, over every route the server serves (kassa.routes(), the same walk the
 * OpenAPI test uses): a route added later is checked here without anyone remembering to, and
 * the test fails until it has a request below. For each merchant-API route: no key and a wrong
 * key are 401, the publishable key is 403, another merchant's secret key and the same
 * merchant's live key see none of this merchant's test objects (404 on the path, nothing in a
 * list, references refused), and afterwards every object reads exactly as before. Operator
 * routes take only the operator key; widget routes only a client secret for that intent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, boot, request } from './helpers.js';
import type { Harness, Reply } from './helpers.js';

/** What a request to a route is made of, with this merchant's objects filled in. */
interface Call {
  path: string;
  body?: Record<string, unknown>;
}
interface Objects {
  pi: string;
  ch: string;
  re: string;
  cus: string;
  pm: string;
  we: string;
  evt: string;
  txn: string;
  /** A customer of the caller's own (the other merchant's), for attach. */
  ownCustomer: string;
}
/**
 * One entry per merchant-API route. `kind` says what a foreign caller must get: `object`, a
 * route on one of our objects (404); `list`, our objects absent from the answer; `reference`,
 * a create naming our objects, refused as missing; `own`, a create that names nothing of ours
 * (only the key checks apply).
 */
type Kind = 'object' | 'list' | 'reference' | 'own';
const V1: Record<string, { kind: Kind; call: (o: Objects) => Call }> = {
  'GET /v1/payment_intents': { kind: 'list', call: (o) => ({ path: `/v1/payment_intents?customer=${o.cus}&limit=100` }) },
  'POST /v1/payment_intents': {
    kind: 'reference',
    call: (o) => ({ path: '/v1/payment_intents', body: { amount: 100, currency: 'cny', customer: o.cus, payment_method: o.pm } }),
  },
  'GET /v1/payment_intents/search': { kind: 'list', call: () => ({ path: `/v1/payment_intents/search?query=${encodeURIComponent("status:'succeeded'")}` }) },
  'GET /v1/payment_intents/:id': { kind: 'object', call: (o) => ({ path: `/v1/payment_intents/${o.pi}` }) },
  'POST /v1/payment_intents/:id': { kind: 'object', call: (o) => ({ path: `/v1/payment_intents/${o.pi}`, body: { metadata: { taken: 'yes' } } }) },
  'POST /v1/payment_intents/:id/confirm': { kind: 'object', call: (o) => ({ path: `/v1/payment_intents/${o.pi}/confirm`, body: { payment_method: 'pm_card_visa' } }) },
  'POST /v1/payment_intents/:id/capture': { kind: 'object', call: (o) => ({ path: `/v1/payment_intents/${o.pi}/capture`, body: {} }) },
  'POST /v1/payment_intents/:id/cancel': { kind: 'object', call: (o) => ({ path: `/v1/payment_intents/${o.pi}/cancel`, body: {} }) },
  'GET /v1/refunds': { kind: 'list', call: (o) => ({ path: `/v1/refunds?payment_intent=${o.pi}` }) },
  'POST /v1/refunds': { kind: 'reference', call: (o) => ({ path: '/v1/refunds', body: { payment_intent: o.pi, amount: 100 } }) },
  'GET /v1/refunds/:id': { kind: 'object', call: (o) => ({ path: `/v1/refunds/${o.re}` }) },
  'GET /v1/charges': { kind: 'list', call: (o) => ({ path: `/v1/charges?payment_intent=${o.pi}` }) },
  'GET /v1/charges/:id': { kind: 'object', call: (o) => ({ path: `/v1/charges/${o.ch}` }) },
  'GET /v1/customers': { kind: 'list', call: () => ({ path: '/v1/customers?limit=100' }) },
  'POST /v1/customers': { kind: 'own', call: () => ({ path: '/v1/customers', body: { name: 'Someone else' } }) },
  'GET /v1/customers/:id': { kind: 'object', call: (o) => ({ path: `/v1/customers/${o.cus}` }) },
  'POST /v1/customers/:id': { kind: 'object', call: (o) => ({ path: `/v1/customers/${o.cus}`, body: { name: 'Taken over' } }) },
  'DELETE /v1/customers/:id': { kind: 'object', call: (o) => ({ path: `/v1/customers/${o.cus}` }) },
  'GET /v1/customers/:id/payment_methods': { kind: 'object', call: (o) => ({ path: `/v1/customers/${o.cus}/payment_methods` }) },
  'GET /v1/payment_methods': { kind: 'list', call: (o) => ({ path: `/v1/payment_methods?customer=${o.cus}` }) },
  'GET /v1/payment_methods/:id': { kind: 'object', call: (o) => ({ path: `/v1/payment_methods/${o.pm}` }) },
  'POST /v1/payment_methods/:id': { kind: 'object', call: (o) => ({ path: `/v1/payment_methods/${o.pm}`, body: { metadata: { taken: 'yes' } } }) },
  'POST /v1/payment_methods/:id/attach': { kind: 'object', call: (o) => ({ path: `/v1/payment_methods/${o.pm}/attach`, body: { customer: o.ownCustomer } }) },
  'POST /v1/payment_methods/:id/detach': { kind: 'object', call: (o) => ({ path: `/v1/payment_methods/${o.pm}/detach`, body: {} }) },
  'POST /v1/webhook_endpoints': { kind: 'own', call: () => ({ path: '/v1/webhook_endpoints', body: { url: 'https://93.184.215.14/k', enabled_events: ['*'] } /* a literal address: live mode resolves names */ }) },
  'GET /v1/webhook_endpoints': { kind: 'list', call: () => ({ path: '/v1/webhook_endpoints' }) },
  'GET /v1/webhook_endpoints/:id': { kind: 'object', call: (o) => ({ path: `/v1/webhook_endpoints/${o.we}` }) },
  'POST /v1/webhook_endpoints/:id': { kind: 'object', call: (o) => ({ path: `/v1/webhook_endpoints/${o.we}`, body: { url: 'https://93.184.215.15/k' } }) },
  'DELETE /v1/webhook_endpoints/:id': { kind: 'object', call: (o) => ({ path: `/v1/webhook_endpoints/${o.we}` }) },
  'POST /v1/webhook_endpoints/:id/roll_secret': { kind: 'object', call: (o) => ({ path: `/v1/webhook_endpoints/${o.we}/roll_secret`, body: {} }) },
  'GET /v1/events': { kind: 'list', call: () => ({ path: '/v1/events?limit=100' }) },
  'GET /v1/events/:id': { kind: 'object', call: (o) => ({ path: `/v1/events/${o.evt}` }) },
  'GET /v1/balance': { kind: 'list', call: () => ({ path: '/v1/balance' }) },
  'GET /v1/balance_transactions': { kind: 'list', call: () => ({ path: '/v1/balance_transactions?limit=100' }) },
  'GET /v1/balance_transactions/:id': { kind: 'object', call: (o) => ({ path: `/v1/balance_transactions/${o.txn}` }) },
};

const OPERATOR: Record<string, (account: string) => Call> = {
  'GET /operator/merchants': () => ({ path: '/operator/merchants' }),
  'POST /operator/merchants': () => ({ path: '/operator/merchants', body: { business_name: 'Intruder Ltd', country: 'CN', default_currency: 'cny' } }),
  'GET /operator/merchants/:id': (a) => ({ path: `/operator/merchants/${a}` }),
  'POST /operator/merchants/:id': (a) => ({ path: `/operator/merchants/${a}`, body: { business_name: 'Renamed' } }),
  'POST /operator/merchants/:id/activate': (a) => ({ path: `/operator/merchants/${a}/activate`, body: {} }),
  'GET /operator/merchants/:id/keys': (a) => ({ path: `/operator/merchants/${a}/keys` }),
  'POST /operator/merchants/:id/keys': (a) => ({ path: `/operator/merchants/${a}/keys`, body: { type: 'secret', livemode: false } }),
  'POST /operator/keys/:id/roll': () => ({ path: '/operator/keys/key_abcdefghijklmnop/roll', body: {} }),
  'POST /operator/keys/:id/revoke': () => ({ path: '/operator/keys/key_abcdefghijklmnop/revoke', body: {} }),
  'GET /operator/reconciliation': () => ({ path: '/operator/reconciliation' }),
  'POST /operator/reconciliation': () => ({ path: '/operator/reconciliation', body: {} }),
  'GET /operator/merchants/:id/provider_accounts': (a) => ({ path: `/operator/merchants/${a}/provider_accounts` }),
  'POST /operator/merchants/:id/provider_accounts': (a) => ({ path: `/operator/merchants/${a}/provider_accounts`, body: { type: 'stripe', mode: 'test', secretKey: 'sk_test_intruder0000' } }),
  'GET /operator/merchants/:id/provider_accounts/:provider_account': (a) => ({ path: `/operator/merchants/${a}/provider_accounts/pa_abcdefghijklmnop` }),
  'DELETE /operator/merchants/:id/provider_accounts/:provider_account': (a) => ({ path: `/operator/merchants/${a}/provider_accounts/pa_abcdefghijklmnop` }),
  'POST /operator/merchants/:id/provider_accounts/:provider_account': (a) => ({ path: `/operator/merchants/${a}/provider_accounts/pa_abcdefghijklmnop`, body: { secretKey: 'sk_test_intruder0000' } }),
};

const key = (route: { method: string; express: string }) => `${route.method} ${route.express}`;
const send = (h: Harness, method: string, call: Call, auth: string | null): Promise<Reply> => request(`${h.url}${call.path}`, method, call.body, auth);
const idsOf = (o: Objects) => [o.pi, o.ch, o.re, o.cus, o.pm, o.we, o.evt, o.txn];

describe('every route, every caller who must not get in', () => {
  let h: Harness;
  let o: Objects;
  let publishable = '';
  let other: { secretKey: string; publishableKey: string };
  let live = '';
  /** Our objects as we read them before the foreign calls, to compare after. */
  let before_: Map<string, unknown>;
  const ownReads = (objects: Objects) => [
    `/v1/payment_intents/${objects.pi}`,
    `/v1/charges/${objects.ch}`,
    `/v1/refunds/${objects.re}`,
    `/v1/customers/${objects.cus}`,
    `/v1/payment_methods/${objects.pm}`,
    `/v1/webhook_endpoints/${objects.we}`,
    `/v1/events/${objects.evt}`,
    `/v1/balance_transactions/${objects.txn}`,
    `/v1/customers/${objects.cus}/payment_methods`,
  ];
  const readAll = async () => {
    const out = new Map<string, unknown>();
    for (const path of ownReads(o)) {
      const r = await request(`${h.url}${path}`, 'GET', undefined, h.secretKey);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      // A client secret is minted afresh on each read (its own iat and jti); the rest must not move.
      const { client_secret: _fresh, ...rest } = r.body as Record<string, unknown>;
      out.set(path, rest);
    }
    return out;
  };

  before(async () => {
    h = await boot();
    publishable = h.kassa.keys!.publishableKey;
    // A paid intent with a saved card, a partial refund, a webhook endpoint: one of everything.
    const cus = await h.customer({ name: '王小明' });
    const { intent, confirm } = await h.pay(CARDS.visa, { customer: cus, setup_future_usage: 'off_session', amount: 12800 });
    assert.equal(confirm.body.status, 'succeeded', JSON.stringify(confirm.body));
    const paid = (await h.v1('GET', `/payment_intents/${intent.id}`)).body;
    const re = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 800 });
    assert.equal(re.status, 200, JSON.stringify(re.body));
    const we = await h.v1('POST', '/webhook_endpoints', { url: 'https://hooks.shop.example/kassa', enabled_events: ['*'] });
    assert.equal(we.status, 200, JSON.stringify(we.body));
    const evt = (await h.v1('GET', '/events?limit=1')).body.data[0].id as string;
    const txn = (await h.v1('GET', '/balance_transactions?limit=1')).body.data[0].id as string;
    const otherKeys = await h.kassa.createMerchant({ name: 'Other shop' });
    other = { secretKey: otherKeys.secretKey, publishableKey: otherKeys.publishableKey };
    const ownCustomer = (await h.v1('POST', '/customers', { name: 'Theirs' }, { key: other.secretKey })).body.id as string;
    o = { pi: intent.id, ch: paid.latest_charge, re: re.body.id, cus, pm: paid.payment_method, we: we.body.id, evt, txn, ownCustomer };
    for (const [name, id] of Object.entries(o)) assert.equal(typeof id, 'string', name);
    // The same merchant in live mode: its live key must not see test-mode objects.
    const activated = await request(`${h.url}/operator/merchants/${h.kassa.keys!.merchant}/activate`, 'POST', {}, h.kassa.operatorKey);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    live = activated.body.keys.secret_key;
    assert.match(live, /^sk_live_/);
    before_ = await readAll();
  });
  after(async () => {
    await h.close();
  });

  it('has a request for every merchant, operator and widget route the server serves (and none it does not)', () => {
    const served = h.kassa.routes().map(key);
    const guarded = served.filter((r) => /^\w+ \/(v1|operator)\//.test(r));
    assert.deepEqual(guarded.filter((r) => !(r in V1) && !(r in OPERATOR)), [], 'routes with no request here: add them to V1 or OPERATOR');
    assert.deepEqual([...Object.keys(V1), ...Object.keys(OPERATOR)].filter((r) => !served.includes(r)), [], 'requests here for routes no longer served');
  });

  it('no key, a wrong key, a malformed key and the operator key are 401 on every merchant route', async () => {
    for (const [route, { call }] of Object.entries(V1)) {
      const method = route.split(' ')[0]!;
      for (const auth of [null, 'sk_test_wrongwrongwrongwrongwrongwrong', `${h.secretKey}x`, 'Basic', h.kassa.operatorKey]) {
        const r = await send(h, method, call(o), auth);
        assert.equal(r.status, 401, `${route} with ${auth === h.kassa.operatorKey ? 'the operator key' : String(auth)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual([r.body.error.type, r.body.error.code], ['authentication_error', 'api_key_invalid'], route);
      }
    }
  });

  it('a publishable key (ours or another merchant\'s) is 403 on every merchant route', async () => {
    for (const [route, { call }] of Object.entries(V1)) {
      for (const pk of [publishable, other.publishableKey]) {
        const r = await send(h, route.split(' ')[0]!, call(o), pk);
        assert.equal(r.status, 403, `${route}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'permission_denied', route);
      }
    }
  });

  for (const who of ['another merchant', 'our own live key'] as const) {
    it(`${who}: our objects are 404, absent from lists, and refused as references`, async () => {
      const auth = who === 'another merchant' ? other.secretKey : live;
      const ours = idsOf(o);
      for (const [route, { kind, call }] of Object.entries(V1)) {
        const method = route.split(' ')[0]!;
        const r = await send(h, method, call(o), auth);
        const text = JSON.stringify(r.body);
        if (kind === 'object') {
          assert.equal(r.status, 404, `${route}: ${text}`);
          assert.deepEqual([r.body.error.type, r.body.error.code], ['invalid_request_error', 'resource_missing'], route);
        } else if (kind === 'reference') {
          assert.ok(r.status === 400 || r.status === 404, `${route}: ${r.status} ${text}`);
          assert.equal(r.body.error.code, 'resource_missing', route);
        } else if (kind === 'list') {
          // A filter naming our object either finds nothing or is refused as missing; never ours.
          if (r.status !== 200) assert.equal(r.body.error.code, 'resource_missing', `${route}: ${text}`);
        } else {
          assert.equal(r.status, 200, `${route}: ${text}`);
        }
        // An error may name the id that was asked for (as Stripe's "No such …" does); nothing
        // else of ours may appear, and a successful answer shows none of our ids at all.
        const asked = call(o).path + JSON.stringify(call(o).body ?? {});
        for (const id of ours) {
          if (r.status !== 200 && asked.includes(id)) continue;
          assert.ok(!text.includes(id), `${route} (${r.status}) shows ${id}: ${text}`);
        }
      }
      const balance = (await send(h, 'GET', { path: '/v1/balance' }, auth)).body as { available: Array<{ amount: number }>; pending: Array<{ amount: number }> };
      assert.deepEqual([...balance.available, ...balance.pending].filter((b) => b.amount !== 0), [], 'their balance holds none of our money');
    });
  }

  it('after all that, every one of our objects reads exactly as before', async () => {
    assert.deepEqual(await readAll(), before_);
  });

  it('operator routes take the operator key only: merchant keys of either mode and no key are 401', async () => {
    const account = h.kassa.keys!.merchant;
    for (const [route, call] of Object.entries(OPERATOR)) {
      for (const auth of [null, h.secretKey, publishable, live, other.secretKey, `${h.kassa.operatorKey}x`]) {
        const r = await send(h, route.split(' ')[0]!, call(account), auth);
        assert.equal(r.status, 401, `${route}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'api_key_invalid', route);
      }
    }
    const merchants = await request(`${h.url}/operator/merchants`, 'GET', undefined, h.kassa.operatorKey);
    assert.deepEqual(merchants.body.data.map((m: { business_name?: string }) => m.business_name).filter((n: unknown) => n === 'Intruder Ltd' || n === 'Renamed'), []);
  });

  it('widget routes: no secret is 401; a secret for another intent, ours or another merchant\'s, is 404', async () => {
    const served = h.kassa.routes().filter((r) => r.express.startsWith('/client/')).map(key);
    assert.deepEqual(served, ['GET /client/payment_intents/:id', 'POST /client/payment_intents/:id/confirm', 'POST /client/tokens']);
    const mine = await h.createIntent();
    const theirs = (await h.v1('POST', '/payment_intents', { amount: 500, currency: 'cny' }, { key: other.secretKey })).body;
    for (const [method, path, body] of [
      ['GET', `/client/payment_intents/${mine.id}`, undefined],
      ['POST', `/client/payment_intents/${mine.id}/confirm`, { payment_method: 'tok_abcdefghijklmnopqrstuvwx' }],
    ] as const) {
      const none = await request(`${h.url}${path}`, method, body, null);
      assert.equal(none.status, 401, path);
      for (const secret of [theirs.client_secret as string, (await h.createIntent()).client_secret as string]) {
        const r = await request(`${h.url}${path}`, method, body, secret);
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'resource_missing');
      }
    }
    assert.equal((await request(`${h.url}/client/tokens`, 'POST', { card: { number: CARDS.visa } }, null)).status, 401);
    assert.equal((await h.v1('GET', `/payment_intents/${mine.id}`)).body.status, 'requires_payment_method');
  });
});
