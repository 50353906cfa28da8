/**
 * The merchant API of webhooks: /v1/webhook_endpoints and /v1/events — shapes, Stripe's list
 * paging, merchants kept apart, idempotent POSTs, bad input on every route (a 4xx, never a 500,
 * nothing written), and the official stripe SDK driving both resources.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { assertError, boot, tableCounts } from './helpers.js';
import type { Harness } from './helpers.js';

const HOOK = 'https://hooks.shop.example/kassa';

describe('webhook endpoints and events API', () => {
  let h: Harness;
  let now = Date.now();
  let other: { secretKey: string; merchant: string };

  before(async () => {
    h = await boot({ webhookPollMs: 0, now: () => now });
    other = await h.kassa.createMerchant();
  });
  after(async () => {
    await h.close();
  });

  const create = async (body: Record<string, unknown> = {}, key?: string) => {
    const r = await h.v1('POST', '/webhook_endpoints', { url: HOOK, enabled_events: ['*'], ...body }, key ? { key } : {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const removeAll = async () => {
    for (const e of (await h.v1('GET', '/webhook_endpoints?limit=100')).body.data) await h.v1('DELETE', `/webhook_endpoints/${e.id}`);
  };

  it('create answers the Stripe object with its secret, once; retrieve, list and update never show it', async () => {
    const created = await create({
      enabled_events: ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.succeeded'],
      description: 'orders service',
      metadata: { team: 'payments', env: 'staging' },
    });
    assert.match(created.id, /^we_[A-Za-z0-9]{24}$/);
    assert.deepEqual(
      { ...created, id: undefined, secret: undefined, created: undefined },
      {
        id: undefined,
        object: 'webhook_endpoint',
        api_version: null,
        application: null,
        created: undefined,
        description: 'orders service',
        enabled_events: ['payment_intent.succeeded', 'payment_intent.payment_failed'],
        livemode: false,
        metadata: { team: 'payments', env: 'staging' },
        status: 'enabled',
        url: HOOK,
        secret: undefined,
      },
    );
    assert.equal(created.created, Math.floor(now / 1000));
    assert.match(created.secret, /^whsec_/);
    const { secret: _secret, ...shown } = created;
    const retrieved = await h.v1('GET', `/webhook_endpoints/${created.id}`);
    assert.deepEqual(retrieved.body, shown);
    assert.ok(!JSON.stringify((await h.v1('GET', '/webhook_endpoints')).body).includes(created.secret));

    const updated = await h.v1('POST', `/webhook_endpoints/${created.id}`, {
      url: `${HOOK}/v2`,
      enabled_events: ['*'],
      description: '',
      metadata: { env: '', region: 'cn' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.secret, undefined);
    assert.equal(updated.body.url, `${HOOK}/v2`);
    assert.deepEqual(updated.body.enabled_events, ['*']);
    assert.equal(updated.body.description, null);
    assert.deepEqual(updated.body.metadata, { team: 'payments', region: 'cn' }, 'merged; a key set to "" is removed');
    assert.deepEqual((await h.v1('POST', `/webhook_endpoints/${created.id}`, { metadata: '' })).body.metadata, {}, 'metadata "" clears it');
    assert.deepEqual((await h.v1('POST', `/webhook_endpoints/${created.id}`, {})).body, { ...updated.body, metadata: {} }, 'an empty update changes nothing');
    assert.deepEqual(await h.v1('GET', `/webhook_endpoints/${created.id}`).then((r) => r.body.url), `${HOOK}/v2`);
    await removeAll();
  });

  it('lists page like Stripe: newest first, limit, starting_after and ending_before by id, has_more', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ description: `e${i}` })).id);
    await create({}, other.secretKey);
    const [e0, e1, e2, e3, e4] = ids;
    const page = async (query: string) => {
      const r = await h.v1('GET', `/webhook_endpoints${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.object, 'list');
      assert.equal(r.body.url, '/v1/webhook_endpoints');
      return { ids: (r.body.data as Array<{ id: string }>).map((e) => e.id), more: r.body.has_more as boolean };
    };
    assert.deepEqual(await page(''), { ids: [e4, e3, e2, e1, e0], more: false });
    assert.deepEqual(await page('?limit=2'), { ids: [e4, e3], more: true });
    assert.deepEqual(await page(`?limit=2&starting_after=${e3}`), { ids: [e2, e1], more: true });
    assert.deepEqual(await page(`?limit=2&starting_after=${e1}`), { ids: [e0], more: false });
    assert.deepEqual(await page(`?limit=2&ending_before=${e0}`), { ids: [e2, e1], more: true });
    assert.deepEqual(await page(`?limit=2&ending_before=${e2}`), { ids: [e4, e3], more: false });
    assert.deepEqual(await page(`?starting_after=${e0}`), { ids: [], more: false });
    const foreign = (await h.v1('GET', '/webhook_endpoints', undefined, { key: other.secretKey })).body.data[0].id as string;
    assertError(await h.v1('GET', `/webhook_endpoints?starting_after=${foreign}`), 404, 'resource_missing', 'starting_after', "another merchant's id is no cursor");
    assertError(await h.v1('GET', `/webhook_endpoints?ending_before=we_unknown00000000`), 404, 'resource_missing', 'ending_before');
    assertError(await h.v1('GET', `/webhook_endpoints?starting_after=${e1}&ending_before=${e3}`), 400, 'parameter_invalid', 'ending_before');
    await removeAll();
  });

  it('a merchant has at most 16 endpoints (per mode); the 17th is refused and nothing is written', async () => {
    for (let i = 0; i < 16; i++) await create();
    const before = tableCounts(h);
    assertError(await h.v1('POST', '/webhook_endpoints', { url: HOOK, enabled_events: ['*'] }), 400, 'webhook_endpoint_limit');
    assert.deepEqual(tableCounts(h), before);
    assert.equal((await h.v1('POST', '/webhook_endpoints', { url: HOOK, enabled_events: ['*'] }, { key: other.secretKey })).status, 200, 'another merchant is counted apart');
    await removeAll();
  });

  it("another merchant's endpoint or event is 404 on every route, and stays as it was", async () => {
    const mine = await create({ description: 'mine' });
    await h.createIntent();
    const event = (await h.v1('GET', '/events?limit=1')).body.data[0].id as string;
    const as = { key: other.secretKey };
    assertError(await h.v1('GET', `/webhook_endpoints/${mine.id}`, undefined, as), 404, 'resource_missing');
    assertError(await h.v1('POST', `/webhook_endpoints/${mine.id}`, { description: 'theirs' }, as), 404, 'resource_missing');
    assertError(await h.v1('POST', `/webhook_endpoints/${mine.id}/roll_secret`, {}, as), 404, 'resource_missing');
    assertError(await h.v1('DELETE', `/webhook_endpoints/${mine.id}`, undefined, as), 404, 'resource_missing');
    assertError(await h.v1('GET', `/events/${event}`, undefined, as), 404, 'resource_missing');
    assert.ok(!(await h.v1('GET', '/events', undefined, as)).body.data.some((e: { id: string }) => e.id === event));
    const still = await h.v1('GET', `/webhook_endpoints/${mine.id}`);
    assert.equal(still.body.description, 'mine');
    await removeAll();
  });

  it('bad input on every route is a Stripe-shaped 4xx — never a 500 — and writes nothing', async () => {
    const ep = await create();
    const before = tableCounts(h);
    const id = ep.id as string;
    const posts: Array<[string, string, Record<string, unknown>]> = [
      ['POST /v1/webhook_endpoints', '/webhook_endpoints', { url: HOOK, enabled_events: ['*'] }],
      ['POST /v1/webhook_endpoints/:id', `/webhook_endpoints/${id}`, {}],
      ['POST /v1/webhook_endpoints/:id/roll_secret', `/webhook_endpoints/${id}/roll_secret`, {}],
    ];
    for (const [label, path, valid] of posts) {
      for (const raw of ['{', '{"url": 1,}', '"a string"', '12', 'null']) {
        const r = await h.v1('POST', path, undefined, { raw, headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, `${label} ${raw}: ${JSON.stringify(r.body)}`);
      }
      assertError(await h.v1('POST', path, { ...valid, nonsense: 1 }), 400, 'parameter_unknown', 'nonsense', label);
      assertError(await h.v1('POST', path, { ...valid, nonsense: 1 }, { form: true }), 400, 'parameter_unknown', 'nonsense', `${label} (form)`);
      assertError(await h.v1('POST', path, { description: 'x'.repeat(270_000) }), 413, 'body_too_large', undefined, label);
      assertError(await h.v1('POST', path, undefined, { raw: 'url=x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', undefined, label);
      assertError(await h.v1('POST', path, {}, { key: null }), 401, 'api_key_invalid', undefined, label);
      assertError(await h.v1('POST', path, {}, { key: 'sk_test_wrongwrongwrongwrongwrong' }), 401, 'api_key_invalid', undefined, label);
      assertError(await h.v1('POST', path, {}, { key: 'pk_test_notasecretkeyatallreally' }), 401, 'api_key_invalid', undefined, label);
    }
    // Create: the fields themselves.
    const createWith = (body: Record<string, unknown>) => h.v1('POST', '/webhook_endpoints', body);
    assertError(await createWith({ enabled_events: ['*'] }), 400, 'parameter_missing', 'url');
    assertError(await createWith({ url: HOOK }), 400, 'parameter_missing', 'enabled_events');
    assertError(await createWith({ url: 'not a url', enabled_events: ['*'] }), 400, 'url_invalid', 'url');
    assertError(await createWith({ url: '/relative/path', enabled_events: ['*'] }), 400, 'url_invalid', 'url');
    assertError(await createWith({ url: 'ftp://hooks.example/', enabled_events: ['*'] }), 400, 'url_invalid', 'url');
    assertError(await createWith({ url: 'https://user:pw@hooks.example/', enabled_events: ['*'] }), 400, 'url_invalid', 'url');
    assertError(await createWith({ url: `https://h.example/${'a'.repeat(2048)}`, enabled_events: ['*'] }), 400, 'parameter_invalid', 'url');
    assertError(await createWith({ url: 42, enabled_events: ['*'] }), 400, 'parameter_invalid', 'url');
    assertError(await createWith({ url: HOOK, enabled_events: [] }), 400, 'parameter_invalid', 'enabled_events');
    assertError(await createWith({ url: HOOK, enabled_events: '*' }), 400, 'parameter_invalid', 'enabled_events');
    assertError(await createWith({ url: HOOK, enabled_events: ['*', 'charge.nonsense'] }), 400, 'parameter_invalid', 'enabled_events[1]');
    assertError(await createWith({ url: HOOK, enabled_events: ['*'], metadata: { ['__proto__']: 'x' } }), 400, 'parameter_invalid');
    assertError(await createWith({ url: HOOK, enabled_events: ['*'], metadata: { k: 'v'.repeat(501) } }), 400, 'parameter_invalid', 'metadata[k]');
    assertError(await createWith({ url: HOOK, enabled_events: ['*'], description: 7 }), 400, 'parameter_invalid', 'description');
    assertError(await createWith({ url: HOOK, enabled_events: ['*'], api_version: '2026-01-01' }), 400, 'parameter_unknown', 'api_version');
    // Form bodies (the stripe SDK's encoding) are held to the same rules.
    assertError(await h.v1('POST', '/webhook_endpoints', { url: HOOK, enabled_events: { 0: 'nope' } }, { form: true }), 400, 'parameter_invalid', 'enabled_events[0]');
    assertError(await h.v1('POST', '/webhook_endpoints', undefined, { raw: `url=${encodeURIComponent(HOOK)}&enabled_events[0]=*&__proto__[x]=1`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'parameter_unknown', '__proto__');
    // Update and roll.
    assertError(await h.v1('POST', `/webhook_endpoints/${id}`, { disabled: 'yes' }), 400, 'parameter_invalid', 'disabled');
    assertError(await h.v1('POST', `/webhook_endpoints/${id}`, { url: 'javascript:alert(1)' }), 400, 'url_invalid', 'url');
    assertError(await h.v1('POST', `/webhook_endpoints/${id}`, { metadata: 'x' }), 400, 'parameter_invalid', 'metadata');
    assertError(await h.v1('POST', `/webhook_endpoints/${id}`, { enabled_events: ['payment_intent.*'] }), 400, 'parameter_invalid', 'enabled_events[0]');
    assertError(await h.v1('POST', `/webhook_endpoints/${id}`, { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }), 400, 'parameter_invalid', 'metadata');
    for (const v of [-1, 604_801, 1.5, '60']) {
      assertError(await h.v1('POST', `/webhook_endpoints/${id}/roll_secret`, { previous_secret_expires_in: v }), 400, 'parameter_invalid', 'previous_secret_expires_in', String(v));
    }
    // Ids not shaped like ours, or unknown: 404 on every route.
    for (const bad of ['we_unknownunknownunknown1', 'pi_123456789012', 'we_', 'we_short', '%20']) {
      assertError(await h.v1('GET', `/webhook_endpoints/${bad}`), 404, 'resource_missing', undefined, bad);
      assertError(await h.v1('POST', `/webhook_endpoints/${bad}`, {}), 404, 'resource_missing', undefined, bad);
      assertError(await h.v1('POST', `/webhook_endpoints/${bad}/roll_secret`, {}), 404, 'resource_missing', undefined, bad);
      assertError(await h.v1('DELETE', `/webhook_endpoints/${bad}`), 404, 'resource_missing', undefined, bad);
    }
    for (const bad of ['evt_unknownunknownunknown', 'we_123456789012', 'evt_']) assertError(await h.v1('GET', `/events/${bad}`), 404, 'resource_missing', undefined, bad);
    // Queries: GET routes take only what they name.
    for (const q of ['limit=0', 'limit=101', 'limit=ten', 'limit=-1', 'limit=', 'limit=1&limit=2', 'expand[0]=data', 'created[gte]=1', 'starting_after=']) {
      const r = await h.v1('GET', `/webhook_endpoints?${q}`);
      assert.equal(r.status, 400, `list endpoints ?${q}: ${JSON.stringify(r.body)}`);
    }
    for (const q of ['limit=0', 'created[gte]=yesterday', 'created[between]=1', 'created=-5', 'type=Payment Intent', 'type=a&types[0]=b', 'types[0]=ok.x&types[1]=BAD', 'delivery_success=true', 'type=payment_intent.succeeded&type=payment_intent.created']) {
      const r = await h.v1('GET', `/events?${q}`);
      assert.equal(r.status, 400, `list events ?${q}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error.param, 'string', `list events ?${q} names its param`);
    }
    assertError(await h.v1('GET', `/webhook_endpoints/${id}?expand[0]=x`), 400, 'parameter_unknown', 'expand[0]');
    assertError(await h.v1('GET', `/events/evt_unknownunknownunknown?foo=1`), 400, 'parameter_unknown', 'foo');
    assertError(await h.v1('DELETE', `/webhook_endpoints/${id}`, { confirm: true }), 400, 'parameter_unknown', 'confirm');
    // Methods and keys.
    assertError(await h.v1('PUT', '/webhook_endpoints'), 405, 'method_not_allowed');
    assertError(await h.v1('PATCH', `/webhook_endpoints/${id}`, {}), 405, 'method_not_allowed');
    assertError(await h.v1('GET', `/webhook_endpoints/${id}/roll_secret`), 405, 'method_not_allowed');
    assertError(await h.v1('POST', '/events', {}), 405, 'method_not_allowed');
    assertError(await h.v1('DELETE', '/events/evt_unknownunknownunknown'), 405, 'method_not_allowed');
    for (const path of ['/webhook_endpoints', `/webhook_endpoints/${id}`, '/events', '/events/evt_unknownunknownunknown']) {
      assertError(await h.v1('GET', path, undefined, { key: null }), 401, 'api_key_invalid', undefined, path);
      assertError(await h.v1('GET', path, undefined, { key: 'sk_test_wrongwrongwrongwrongwrong' }), 401, 'api_key_invalid', undefined, path);
    }
    assertError(await h.v1('DELETE', `/webhook_endpoints/${id}`, undefined, { key: null }), 401, 'api_key_invalid');
    assert.deepEqual(tableCounts(h), before, 'nothing was written by any refused request');
    assert.equal((await h.v1('GET', `/webhook_endpoints/${id}`)).status, 200);
    await removeAll();
  });

  it('POSTs are idempotent: the same key replays the same answer (the secret too, stored sealed), another body is 400 idempotency_error, and one endpoint exists', async () => {
    const body = { url: HOOK, enabled_events: ['payment_intent.succeeded'] };
    const first = await h.v1('POST', '/webhook_endpoints', body, { idem: 'we-create-1' });
    const again = await h.v1('POST', '/webhook_endpoints', body, { idem: 'we-create-1' });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    assert.match(again.body.secret, /^whsec_/);
    assert.equal((await h.v1('GET', '/webhook_endpoints')).body.data.length, 1);
    assertError(await h.v1('POST', '/webhook_endpoints', { ...body, description: 'other' }, { idem: 'we-create-1' }), 400, 'idempotency_key_reused');
    const stored = h.db().prepare("SELECT response_body FROM idempotency_keys WHERE key = 'we-create-1'").get() as { response_body: string };
    assert.ok(!stored.response_body.includes(first.body.secret), 'the stored answer does not hold the secret in clear');
    assert.match(JSON.parse(stored.response_body).secret, /^kassa-sealed:v1:/);

    const id = first.body.id as string;
    const rolled = await h.v1('POST', `/webhook_endpoints/${id}/roll_secret`, { previous_secret_expires_in: 60 }, { idem: 'we-roll-1' });
    const rolledAgain = await h.v1('POST', `/webhook_endpoints/${id}/roll_secret`, { previous_secret_expires_in: 60 }, { idem: 'we-roll-1' });
    assert.equal(rolledAgain.headers.get('idempotent-replayed'), 'true');
    assert.equal(rolledAgain.body.secret, rolled.body.secret);
    const secrets = h.db().prepare('SELECT COUNT(*) AS n FROM webhook_secrets WHERE endpoint_id = ?').get(id) as { n: number };
    assert.equal(secrets.n, 2, 'rolled once: the new secret and the one rotating out');

    const updated = await h.v1('POST', `/webhook_endpoints/${id}`, { description: 'v1' }, { idem: 'we-update-1' });
    await h.v1('POST', `/webhook_endpoints/${id}`, { description: 'v2' });
    const replayed = await h.v1('POST', `/webhook_endpoints/${id}`, { description: 'v1' }, { idem: 'we-update-1' });
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replayed.body, updated.body, 'the stored answer, not a second update');
    assert.equal((await h.v1('GET', `/webhook_endpoints/${id}`)).body.description, 'v2');
    // A refused request stores nothing: the key stays free for a corrected one.
    assertError(await h.v1('POST', '/webhook_endpoints', { url: 'nope', enabled_events: ['*'] }, { idem: 'we-create-2' }), 400, 'url_invalid');
    assertError(await h.v1('POST', '/webhook_endpoints', { url: HOOK, enabled_events: [] }, { idem: 'we-create-2' }), 400, 'parameter_invalid');
    assert.equal((await h.v1('POST', '/webhook_endpoints', body, { idem: 'we-create-2' })).status, 200);
    await removeAll();
  });

  it('events: newest first, filtered by type (exact, prefix, several) and created (exact, gt, gte, lt, lte), paged by id', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;
    const intents: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++) {
      now = t0 + i * 10_000;
      const intent = await h.createIntent();
      intents.push(intent);
      if (i % 2 === 1) await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {});
    }
    const s0 = t0 / 1000;
    const list = async (query: string) => {
      const r = await h.v1('GET', `/events?${query}`);
      assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.url, '/v1/events');
      return r.body as { has_more: boolean; data: Array<{ id: string; type: string; created: number; data: { object: { id: string } } }> };
    };
    const recent = await list(`created[gte]=${s0}&limit=100`);
    assert.deepEqual(
      recent.data.map((e) => `${e.type}@${e.created - s0}`),
      ['payment_intent.canceled@30', 'payment_intent.created@30', 'payment_intent.created@20', 'payment_intent.canceled@10', 'payment_intent.created@10', 'payment_intent.created@0'],
    );
    assert.deepEqual((await list(`created[gte]=${s0}&type=payment_intent.canceled`)).data.map((e) => e.data.object.id), [intents[3]?.id, intents[1]?.id]);
    assert.equal((await list(`created[gte]=${s0}&type=payment_intent.*`)).data.length, 6);
    assert.equal((await list(`created[gte]=${s0}&type=payment_intent.cancel`)).data.length, 0, 'an exact type is not a prefix');
    assert.equal((await list(`created[gte]=${s0}&types[0]=payment_intent.canceled&types[1]=payment_intent.succeeded`)).data.length, 2);
    assert.equal((await list(`created[gte]=${s0}&types[]=payment_intent.canceled`)).data.length, 2);
    const at = (q: string) => list(q).then((l) => l.data.map((e) => e.created - s0));
    assert.deepEqual(await at(`created=${s0 + 10}`), [10, 10]);
    assert.deepEqual(await at(`created[gt]=${s0 + 10}`), [30, 30, 20]);
    assert.deepEqual(await at(`created[gte]=${s0 + 10}&created[lt]=${s0 + 30}`), [20, 10, 10]);
    assert.deepEqual(await at(`created[gte]=${s0}&created[lte]=${s0 + 10}`), [10, 10, 0]);
    assert.deepEqual(await at(`created[gt]=${s0 + 30}`), []);
    // Paging by id, the filter kept.
    const first = await list(`created[gte]=${s0}&limit=4`);
    assert.equal(first.has_more, true);
    const rest = await list(`created[gte]=${s0}&limit=4&starting_after=${first.data[3]?.id}`);
    assert.equal(rest.has_more, false);
    assert.deepEqual([...first.data, ...rest.data].map((e) => e.id), recent.data.map((e) => e.id));
    const back = await list(`created[gte]=${s0}&limit=2&ending_before=${rest.data[0]?.id}`);
    assert.deepEqual(back.data.map((e) => e.id), first.data.slice(2).map((e) => e.id));
    assert.equal(back.has_more, true);
    // Default limit 10; retrieve one.
    assert.ok((await list('')).data.length <= 10);
    const one = await h.v1('GET', `/events/${recent.data[0]?.id}`);
    assert.equal(one.body.id, recent.data[0]?.id);
    assert.equal(one.body.object, 'event');
    assert.equal(one.body.livemode, false);
    assert.equal(one.body.pending_webhooks, 0);
    assertError(await h.v1('GET', '/events?starting_after=evt_notanevent000000000'), 404, 'resource_missing', 'starting_after');
    now = Date.now();
  });

  it('the official stripe SDK manages endpoints and reads events', async () => {
    const port = Number(new URL(h.url).port);
    const stripe = new Stripe(h.secretKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    const created = await stripe.webhookEndpoints.create({
      url: HOOK,
      enabled_events: ['payment_intent.succeeded', 'payment_intent.canceled'],
      description: 'from the SDK',
      metadata: { order_system: 'v3' },
    });
    assert.match(created.secret ?? '', /^whsec_/);
    assert.deepEqual(created.enabled_events, ['payment_intent.succeeded', 'payment_intent.canceled']);
    const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
    assert.equal(retrieved.secret, undefined);
    assert.equal(retrieved.description, 'from the SDK');
    const updated = await stripe.webhookEndpoints.update(created.id, { disabled: true, metadata: { order_system: '', region: 'eu' } });
    assert.equal(updated.status, 'disabled');
    assert.deepEqual(updated.metadata, { region: 'eu' });
    await stripe.webhookEndpoints.create({ url: `${HOOK}/2`, enabled_events: ['*'] });
    const listed = await stripe.webhookEndpoints.list({ limit: 1 }).autoPagingToArray({ limit: 10 });
    assert.equal(listed.length, 2);
    assert.equal(listed[1]?.id, created.id, 'newest first, paged one by one');
    const deleted = await stripe.webhookEndpoints.del(created.id);
    assert.equal(deleted.deleted, true);
    try {
      await stripe.webhookEndpoints.retrieve(created.id);
      assert.fail('expected a 404');
    } catch (error) {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, 'resource_missing');
    }

    const intent = await h.createIntent();
    const since = Math.floor(now / 1000) - 1;
    const events = await stripe.events.list({ type: 'payment_intent.created', created: { gte: since }, limit: 3 });
    assert.equal(events.data[0]?.type, 'payment_intent.created');
    assert.equal((events.data[0]?.data.object as { id: string }).id, intent.id);
    const all = await stripe.events.list({ limit: 2 }).autoPagingToArray({ limit: 1000 });
    assert.ok(all.length >= 7);
    assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'no event twice across pages');
    const one = await stripe.events.retrieve(events.data[0]?.id ?? '');
    assert.equal(one.id, events.data[0]?.id);
    await removeAll();
  });
});
