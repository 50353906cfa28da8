/**
 * Idempotency-Key (docs/API.md): same key + same body → the stored response again; another
 * body → 400 idempotency_error (Stripe's status); still running → 409. Keys belong to a merchant, and to an intent for widget calls.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, boot, outboxTypes, timingOutAfterActing } from './helpers.js';
import type { Harness } from './helpers.js';

describe('idempotency', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('when a create is retried with the same key and body, then the same intent comes back, marked replayed', async () => {
    const body = { amount: 4200, currency: 'cny', metadata: { order: '1' } };
    const first = await h.v1('POST', '/payment_intents', body, { idem: 'create-1' });
    const again = await h.v1('POST', '/payment_intents', { metadata: { order: '1' }, currency: 'cny', amount: 4200 }, { idem: 'create-1' });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    const count = h.db().prepare('SELECT COUNT(*) AS n FROM payment_intents WHERE amount = 4200').get() as { n: number };
    assert.equal(count.n, 1);
  });

  it('the same request in form encoding is the same request', async () => {
    const first = await h.v1('POST', '/payment_intents', { amount: 4300, currency: 'cny' }, { idem: 'create-form' });
    const again = await h.v1('POST', '/payment_intents', { amount: '4300', currency: 'cny' }, { idem: 'create-form', form: true });
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.id, first.body.id);
  });

  it('when a key is reused with a different body or on another endpoint, then 400 idempotency_error idempotency_key_reused and nothing is written', async () => {
    await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { idem: 'create-2' });
    const other = await h.v1('POST', '/payment_intents', { amount: 101, currency: 'cny' }, { idem: 'create-2' });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.type, 'idempotency_error');
    assert.equal(other.body.error.type, 'idempotency_error');
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    const intent = await h.createIntent();
    const elsewhere = await h.v1('POST', `/payment_intents/${intent.id}/cancel`, {}, { idem: 'create-2' });
    assert.equal(elsewhere.status, 400);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
    const count = h.db().prepare('SELECT COUNT(*) AS n FROM payment_intents WHERE amount IN (100, 101)').get() as { n: number };
    assert.equal(count.n, 1);
  });

  it('errors are stored too: a declined confirm replays its 402 without asking the issuer again', async () => {
    const intent = await h.createIntent();
    const token = await h.tokenize(intent.client_secret, { number: CARDS.genericDecline });
    const path = `/payment_intents/${intent.id}/confirm`;
    const first = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'pay-1' });
    const again = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'pay-1' });
    assert.equal(first.status, 402);
    assert.equal(again.status, 402);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    const attempts = h.db().prepare('SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ?').get(intent.id) as { n: number };
    assert.equal(attempts.n, 1);
  });

  it('when a widget confirm is retried with the same key, then the card is charged once', async () => {
    const intent = await h.createIntent({ amount: 9900 });
    const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
    const path = `/payment_intents/${intent.id}/confirm`;
    const before = h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance ?? 100_000_000;
    const first = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'pay-2' });
    const again = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'pay-2' });
    assert.equal(first.body.status, 'succeeded');
    assert.deepEqual(again.body, first.body);
    assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, before - 9900);
    assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
  });

  it('when the same confirm is sent twice at once, then one runs and the other gets 409 in use (or the replay), and the card is charged once', async () => {
    const intent = await h.createIntent({ amount: 3100 });
    const token = await h.tokenize(intent.client_secret, { number: CARDS.jcb });
    const path = `/payment_intents/${intent.id}/confirm`;
    const before = h.kassa.sandboxAccount(CARDS.jcb, 'cny')?.balance ?? 100_000_000;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'pay-concurrent' })),
    );
    const ok = results.filter((r) => r.status === 200);
    const busy = results.filter((r) => r.status === 409);
    assert.ok(ok.length >= 1);
    assert.equal(ok.length + busy.length, results.length);
    for (const r of busy) assert.equal(r.body.error.code, 'idempotency_key_in_use');
    for (const r of ok) assert.equal(r.body.status, 'succeeded');
    assert.equal(h.kassa.sandboxAccount(CARDS.jcb, 'cny')?.balance, before - 3100);
  });

  it('when two different keys confirm the same intent at once, then exactly one charges and the other is refused', async () => {
    const intent = await h.createIntent({ amount: 3200 });
    const t1 = await h.tokenize(intent.client_secret, { number: CARDS.unionpay });
    const t2 = await h.tokenize(intent.client_secret, { number: CARDS.unionpay });
    const before = h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance ?? 100_000_000;
    const path = `/payment_intents/${intent.id}/confirm`;
    const [a, b] = await Promise.all([
      h.client('POST', path, intent.client_secret, { payment_method: t1.body.id }, { idem: 'k-a' }),
      h.client('POST', path, intent.client_secret, { payment_method: t2.body.id }, { idem: 'k-b' }),
    ]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 400]);
    const refused = a.status === 400 ? a : b;
    assert.equal(refused.body.error.code, 'payment_intent_unexpected_state');
    assert.equal(h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance, before - 3200);
  });

  it('keys are scoped: the same key at another merchant, or for another intent from the widget, is a new request', async () => {
    const other = await h.kassa.createMerchant();
    const mine = await h.v1('POST', '/payment_intents', { amount: 555, currency: 'cny' }, { idem: 'shared-key' });
    const theirs = await h.v1('POST', '/payment_intents', { amount: 555, currency: 'cny' }, { idem: 'shared-key', key: other.secretKey });
    assert.equal(theirs.status, 200);
    assert.notEqual(theirs.body.id, mine.body.id);
    assert.equal(theirs.headers.get('idempotent-replayed'), null);

    const i1 = await h.createIntent();
    const i2 = await h.createIntent();
    const tok1 = await h.tokenize(i1.client_secret);
    const tok2 = await h.tokenize(i2.client_secret);
    const c1 = await h.client('POST', `/payment_intents/${i1.id}/confirm`, i1.client_secret, { payment_method: tok1.body.id }, { idem: 'widget-key' });
    const c2 = await h.client('POST', `/payment_intents/${i2.id}/confirm`, i2.client_secret, { payment_method: tok2.body.id }, { idem: 'widget-key' });
    assert.equal(c1.body.status, 'succeeded');
    assert.equal(c2.body.status, 'succeeded');
    assert.equal(c2.body.id, i2.id);
  });

  it('when the key is not 1–255 printable characters, then 400 and nothing runs', async () => {
    const r = await h.v1('POST', '/payment_intents', { amount: 777, currency: 'cny' }, { idem: 'x'.repeat(256) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.param, 'Idempotency-Key');
    const count = h.db().prepare('SELECT COUNT(*) AS n FROM payment_intents WHERE amount = 777').get() as { n: number };
    assert.equal(count.n, 0);
  });

  it('a request that fails validation stores nothing: the key stays usable', async () => {
    const bad = await h.v1('POST', '/payment_intents', { amount: -1, currency: 'cny' }, { idem: 'fix-me' });
    assert.equal(bad.status, 400);
    const good = await h.v1('POST', '/payment_intents', { amount: 1, currency: 'cny' }, { idem: 'fix-me' });
    assert.equal(good.status, 200);
    assert.equal(good.headers.get('idempotent-replayed'), null);
  });
});

describe('idempotency: a retry after the provider did not answer resumes the request', () => {
  it('create with confirm=true: the retry finishes the one intent the key made (never a second), and the card is charged once', async () => {
    // The issuer acts, then the answer is lost (a timeout), while 'authorize' is in `lose`.
    const lose = new Set<string>();
    const h = await boot({ wrapProvider: timingOutAfterActing(lose) });
    try {
      // A returning customer's saved card: the server-side flow a retry could charge again.
      const customer = await h.customer();
      const saved = await h.pay(CARDS.mastercardLimited, { customer, setup_future_usage: 'on_session', amount: 5000 });
      assert.equal(saved.confirm.body.status, 'succeeded');
      const pm = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id as string;
      const balance = () => h.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny')?.balance;
      const before = balance();

      lose.add('authorize');
      lose.add('lookup');
      const body = { amount: 3000, currency: 'cny', customer, payment_method: pm, confirm: true };
      const first = await h.v1('POST', '/payment_intents', body, { idem: 'order-77' });
      assert.equal(first.status, 502, JSON.stringify(first.body));
      assert.equal(first.body.error.code, 'api_error');
      const intentId = first.body.error.payment_intent?.id as string;
      assert.match(intentId, /^pi_/);
      assert.equal(first.body.error.payment_intent.status, 'unknown');

      // Still failing: the retry resumes, asks again, and is told the same (nothing runs twice).
      const still = await h.v1('POST', '/payment_intents', body, { idem: 'order-77' });
      assert.equal(still.status, 502);
      assert.equal(still.body.error.payment_intent.id, intentId);

      // The SDK (or the merchant) retries with the same key once the provider is back.
      lose.clear();
      const again = await h.v1('POST', '/payment_intents', body, { idem: 'order-77' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.headers.get('idempotent-replayed'), null, 'a resumed request is answered, not replayed');
      assert.equal(again.body.id, intentId);
      assert.equal(again.body.status, 'succeeded');
      const intents = h.db().prepare('SELECT COUNT(*) AS n FROM payment_intents WHERE amount = 3000').get() as { n: number };
      assert.equal(intents.n, 1, 'one intent for one key');
      assert.equal(balance(), (before ?? 0) - 3000, 'charged exactly once');

      // From now on the answer is stored.
      const replay = await h.v1('POST', '/payment_intents', body, { idem: 'order-77' });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.body.status, 'succeeded');
      assert.equal(await h.kassa.recover(), 0, 'nothing left for recovery');
    } finally {
      await h.close();
    }
  });

  it('a widget confirm retried after a 502 gets the outcome (not a 400 for the unknown state), and charges once', async () => {
    const lose = new Set<string>();
    const h = await boot({ wrapProvider: timingOutAfterActing(lose) });
    try {
      const intent = await h.createIntent({ amount: 4100 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.unionpay });
      const before = h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance ?? 100_000_000;
      const path = `/payment_intents/${intent.id}/confirm`;
      lose.add('authorize');
      const first = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'click-1' });
      assert.equal(first.status, 502);
      lose.delete('authorize');
      const again = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'click-1' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.status, 'succeeded');
      assert.equal(h.kassa.sandboxAccount(CARDS.unionpay, 'cny')?.balance, before - 4100);
      assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.outcome_unknown', 'charge.succeeded', 'payment_intent.succeeded']);
    } finally {
      await h.close();
    }
  });

  it('a capture retried after a 502 records the capture the provider made, once', async () => {
    const lose = new Set<string>();
    const h = await boot({ wrapProvider: timingOutAfterActing(lose) });
    try {
      const { intent } = await h.pay(CARDS.visa, { amount: 7000, capture_method: 'manual' });
      lose.add('capture');
      const first = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 6000 }, { idem: 'cap-1' });
      assert.equal(first.status, 502);
      lose.delete('capture');
      const again = await h.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 6000 }, { idem: 'cap-1' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.status, 'succeeded');
      assert.equal(again.body.amount_received, 6000);
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.visa, 'cny'), { balance: 100_000_000 - 6000, held: 0 });
    } finally {
      await h.close();
    }
  });
});
