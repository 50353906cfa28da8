/**
 * The merchant's balance and balance transactions (GET /v1/balance, /v1/balance_transactions):
 * derived from the ledger, pending for the settlement delay on a moving clock, refunds taken
 * from the side their funds are on, Stripe's list paging and filters, every kind of bad input,
 * merchants apart, and the official stripe SDK reading them. Also: currencies over HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { CARDS, boot } from './helpers.js';
import type { Harness, Reply } from './helpers.js';
import { SETTLEMENT_DELAY_MS } from '../src/domain/balance.js';


function assertError(r: Reply, status: number, code: string, param?: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
  if (param !== undefined) assert.equal(r.body.error.param, param, JSON.stringify(r.body));
}

const sides = (balance: { available: Array<{ currency: string; amount: number }>; pending: Array<{ currency: string; amount: number }> }, currency: string) => ({
  available: balance.available.find((b) => b.currency === currency)?.amount,
  pending: balance.pending.find((b) => b.currency === currency)?.amount,
});

describe('balance and balance transactions', () => {
  let h: Harness;
  let offset = 0;
  /** Moves the server's clock (and ours) forward. */
  const wait = (ms: number) => {
    offset += ms;
  };
  const now = () => Date.now() + offset;

  before(async () => {
    h = await boot({ now });
  });
  after(async () => {
    await h.close();
  });

  it('a new merchant has an empty balance in test mode', async () => {
    const other = await h.kassa.createMerchant();
    const r = await h.v1('GET', '/balance', undefined, { key: other.secretKey });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { object: 'balance', available: [], pending: [], livemode: false });
  });

  it('captured funds are pending for the settlement delay, then available; holds are not in the balance', async () => {
    const other = await h.kassa.createMerchant();
    const key = { key: other.secretKey };
    const paid = await h.v1('POST', '/payment_intents', { amount: 12800, currency: 'cny', payment_method: 'pm_card_visa', confirm: true }, key);
    assert.equal(paid.body.status, 'succeeded');
    const held = await h.v1('POST', '/payment_intents', { amount: 999, currency: 'cny', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true }, key);
    assert.equal(held.body.status, 'requires_capture');

    let balance = (await h.v1('GET', '/balance', undefined, key)).body;
    assert.deepEqual(balance.available, [{ amount: 0, currency: 'cny', source_types: { card: 0 } }]);
    assert.deepEqual(balance.pending, [{ amount: 12800, currency: 'cny', source_types: { card: 12800 } }]);

    const charge = (await h.v1('GET', `/charges/${paid.body.latest_charge}`, undefined, key)).body;
    assert.match(charge.balance_transaction, /^txn_/);
    assert.equal((await h.v1('GET', `/charges/${held.body.latest_charge}`, undefined, key)).body.balance_transaction, null, 'a hold has none');
    const txn = (await h.v1('GET', `/balance_transactions/${charge.balance_transaction}`, undefined, key)).body;
    assert.deepEqual(
      { ...txn, available_on: undefined, created: undefined },
      {
        id: charge.balance_transaction,
        object: 'balance_transaction',
        amount: 12800,
        currency: 'cny',
        type: 'charge',
        reporting_category: 'charge',
        fee: 0,
        fee_details: [],
        net: 12800,
        exchange_rate: null,
        status: 'pending',
        available_on: undefined,
        created: undefined,
        source: charge.id,
      },
    );
    assert.equal(txn.available_on, txn.created + SETTLEMENT_DELAY_MS / 1000);

    wait(SETTLEMENT_DELAY_MS - 60_000);
    assert.deepEqual(sides((await h.v1('GET', '/balance', undefined, key)).body, 'cny'), { available: 0, pending: 12800 }, 'a minute early');
    wait(120_000);
    balance = (await h.v1('GET', '/balance', undefined, key)).body;
    assert.deepEqual(sides(balance, 'cny'), { available: 12800, pending: 0 });
    assert.equal((await h.v1('GET', `/balance_transactions/${charge.balance_transaction}`, undefined, key)).body.status, 'available');

    // Captured two days later: pending from then, for two days.
    const captured = await h.v1('POST', `/payment_intents/${held.body.id}/capture`, { amount_to_capture: 900 }, key);
    assert.equal(captured.body.status, 'succeeded');
    assert.deepEqual(sides((await h.v1('GET', '/balance', undefined, key)).body, 'cny'), { available: 12800, pending: 900 });
  });

  it('a refund of pending funds comes out of pending; a refund of available funds out of available, at once', async () => {
    const other = await h.kassa.createMerchant();
    const key = { key: other.secretKey };
    const paid = await h.v1('POST', '/payment_intents', { amount: 5000, currency: 'usd', payment_method: 'pm_card_mastercard', confirm: true }, key);
    const first = await h.v1('POST', '/refunds', { payment_intent: paid.body.id, amount: 1000 }, key);
    assert.equal(first.body.status, 'succeeded');
    assert.deepEqual(sides((await h.v1('GET', '/balance', undefined, key)).body, 'usd'), { available: 0, pending: 4000 });
    const refundTxn = (await h.v1('GET', `/balance_transactions/${first.body.balance_transaction}`, undefined, key)).body;
    const chargeTxn = (await h.v1('GET', `/balance_transactions/${(await h.v1('GET', `/charges/${paid.body.latest_charge}`, undefined, key)).body.balance_transaction}`, undefined, key)).body;
    assert.deepEqual([refundTxn.type, refundTxn.amount, refundTxn.net, refundTxn.source, refundTxn.status], ['refund', -1000, -1000, first.body.id, 'pending']);
    assert.equal(refundTxn.available_on, chargeTxn.available_on, 'available together with the funds it gives back');

    wait(SETTLEMENT_DELAY_MS);
    assert.deepEqual(sides((await h.v1('GET', '/balance', undefined, key)).body, 'usd'), { available: 4000, pending: 0 });
    const second = await h.v1('POST', '/refunds', { payment_intent: paid.body.id }, key);
    assert.equal(second.body.amount, 4000);
    assert.deepEqual(sides((await h.v1('GET', '/balance', undefined, key)).body, 'usd'), { available: 0, pending: 0 });
    assert.equal((await h.v1('GET', `/balance_transactions/${second.body.balance_transaction}`, undefined, key)).body.status, 'available');
  });

  it('amounts are minor units in every currency: JPY has no decimals, KWD three', async () => {
    const other = await h.kassa.createMerchant();
    const key = { key: other.secretKey };
    for (const [currency, amount] of [
      ['jpy', 128],
      ['kwd', 1234],
      ['bhd', 5],
      ['krw', 900_000],
    ] as const) {
      const r = await h.v1('POST', '/payment_intents', { amount, currency, payment_method: 'pm_card_visa', confirm: true }, key);
      assert.equal(r.body.status, 'succeeded', `${currency}: ${JSON.stringify(r.body)}`);
    }
    const pending = (await h.v1('GET', '/balance', undefined, key)).body.pending.map((p: { currency: string; amount: number }) => [p.currency, p.amount]);
    assert.deepEqual(pending, [
      ['bhd', 5],
      ['jpy', 128],
      ['krw', 900_000],
      ['kwd', 1234],
    ]);
    // The sandbox issuer keeps each card's account in that currency's minor units too.
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.visa, 'kwd')?.balance, 1_000_000 * 1000 - 1234);
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.visa, 'jpy')?.balance, 1_000_000 - 128);
  });

  describe('lists', () => {
    let key: { key: string };
    let ids: string[];
    let charges: string[];
    let refunds: string[];

    before(async () => {
      const other = await h.kassa.createMerchant();
      key = { key: other.secretKey };
      charges = [];
      refunds = [];
      for (const [amount, currency] of [
        [100, 'usd'],
        [200, 'eur'],
        [300, 'usd'],
      ] as const) {
        const r = await h.v1('POST', '/payment_intents', { amount, currency, payment_method: 'pm_card_visa', confirm: true }, key);
        charges.push(r.body.latest_charge);
        const refund = await h.v1('POST', '/refunds', { payment_intent: r.body.id, amount: amount / 2 }, key);
        refunds.push(refund.body.id);
      }
      const all = await h.v1('GET', '/balance_transactions?limit=100', undefined, key);
      ids = all.body.data.map((t: { id: string }) => t.id);
    });

    it('newest first, with Stripe paging', async () => {
      assert.equal(ids.length, 6);
      const sources = (await h.v1('GET', '/balance_transactions', undefined, key)).body.data.map((t: { source: string }) => t.source);
      assert.deepEqual(sources, [refunds[2], charges[2], refunds[1], charges[1], refunds[0], charges[0]]);
      const first = await h.v1('GET', '/balance_transactions?limit=2', undefined, key);
      assert.deepEqual([first.body.object, first.body.url, first.body.has_more], ['list', '/v1/balance_transactions', true]);
      assert.deepEqual(first.body.data.map((t: { id: string }) => t.id), ids.slice(0, 2));
      const next = await h.v1('GET', `/balance_transactions?limit=2&starting_after=${ids[1]}`, undefined, key);
      assert.deepEqual(next.body.data.map((t: { id: string }) => t.id), ids.slice(2, 4));
      const last = await h.v1('GET', `/balance_transactions?limit=2&starting_after=${ids[3]}`, undefined, key);
      assert.deepEqual([last.body.data.map((t: { id: string }) => t.id), last.body.has_more], [ids.slice(4), false]);
      const back = await h.v1('GET', `/balance_transactions?limit=2&ending_before=${ids[4]}`, undefined, key);
      assert.deepEqual([back.body.data.map((t: { id: string }) => t.id), back.body.has_more], [ids.slice(2, 4), true]);
    });

    it('filters by type, currency, source and created', async () => {
      const list = async (q: string) => (await h.v1('GET', `/balance_transactions?limit=100&${q}`, undefined, key)).body.data as Array<{ id: string; type: string; currency: string; source: string; created: number }>;
      assert.deepEqual((await list('type=refund')).map((t) => t.source), [...refunds].reverse());
      assert.deepEqual((await list('type=charge')).map((t) => t.source), [...charges].reverse());
      assert.deepEqual((await list('currency=eur')).map((t) => t.source), [refunds[1], charges[1]]);
      assert.deepEqual((await list(`source=${charges[0]}`)).map((t) => t.type), ['charge']);
      assert.deepEqual(await list('source=ch_nothing'), []);
      const all = await list('');
      const created = all.at(-1)!.created;
      assert.deepEqual((await list(`created[lt]=${created}`)).length, 0);
      assert.deepEqual((await list(`created[gte]=${created}`)).length, 6);
      assert.deepEqual((await list(`created[gt]=${all[0]!.created}`)).length, 0);
      assert.deepEqual((await list('type=refund&currency=usd')).map((t) => t.source), [refunds[2], refunds[0]]);
    });

    it('refunds and charges point at their balance transactions', async () => {
      for (const id of refunds) {
        const refund = (await h.v1('GET', `/refunds/${id}`, undefined, key)).body;
        const txn = (await h.v1('GET', `/balance_transactions/${refund.balance_transaction}`, undefined, key)).body;
        assert.deepEqual([txn.source, txn.amount, txn.currency], [id, -refund.amount, refund.currency]);
      }
      for (const id of charges) {
        const charge = (await h.v1('GET', `/charges/${id}`, undefined, key)).body;
        const txn = (await h.v1('GET', `/balance_transactions/${charge.balance_transaction}`, undefined, key)).body;
        assert.deepEqual([txn.source, txn.amount, txn.currency], [id, charge.amount_captured, charge.currency]);
      }
    });

    it("another merchant's balance transactions are unknown: retrieve and cursors are 404", async () => {
      const r = await h.v1('GET', `/balance_transactions/${ids[0]}`);
      assertError(r, 404, 'resource_missing');
      assertError(await h.v1('GET', `/balance_transactions?starting_after=${ids[0]}`), 404, 'resource_missing', 'starting_after');
      assertError(await h.v1('GET', `/balance_transactions?ending_before=${ids[0]}`), 404, 'resource_missing', 'ending_before');
      const mine = (await h.v1('GET', '/balance_transactions?limit=100')).body.data.map((t: { id: string }) => t.id);
      assert.ok(mine.every((id: string) => !ids.includes(id)), 'lists never mix merchants');
    });
  });

  it('bad input: unknown parameters, bad values and cursors, wrong ids, methods, keys', async () => {
    assertError(await h.v1('GET', '/balance?currency=usd'), 400, 'parameter_unknown', 'currency');
    assertError(await h.v1('GET', '/balance_transactions?payout=po_123'), 400, 'parameter_unknown', 'payout');
    assertError(await h.v1('GET', '/balance_transactions?type=payout'), 400, 'parameter_invalid', 'type');
    assertError(await h.v1('GET', '/balance_transactions?currency=xau'), 400, 'parameter_invalid', 'currency');
    assertError(await h.v1('GET', '/balance_transactions?currency=USD'), 400, 'parameter_invalid', 'currency');
    assertError(await h.v1('GET', '/balance_transactions?limit=0'), 400, 'parameter_invalid', 'limit');
    assertError(await h.v1('GET', '/balance_transactions?limit=101'), 400, 'parameter_invalid', 'limit');
    assertError(await h.v1('GET', '/balance_transactions?created=yesterday'), 400, 'parameter_invalid', 'created');
    assertError(await h.v1('GET', '/balance_transactions?starting_after=txn_a&ending_before=txn_b'), 400, 'parameter_invalid', 'ending_before');
    assertError(await h.v1('GET', '/balance_transactions?starting_after=txn_doesnotexist00000000'), 404, 'resource_missing', 'starting_after');
    assertError(await h.v1('GET', '/balance_transactions?starting_after=nonsense'), 404, 'resource_missing', 'starting_after');
    assertError(await h.v1('GET', '/balance_transactions/txn_doesnotexist00000000'), 404, 'resource_missing');
    assertError(await h.v1('GET', '/balance_transactions/ch_notatxn00000000000000'), 404, 'resource_missing');
    assertError(await h.v1('GET', '/balance_transactions/txn_x?expand[0]=source'), 404, 'resource_missing');
    await h.v1('POST', '/payment_intents', { amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const some = (await h.v1('GET', '/balance_transactions?limit=1')).body.data[0]?.id as string | undefined;
    assert.ok(some);
    assertError(await h.v1('GET', `/balance_transactions/${some}?expand[0]=source`), 400, 'parameter_unknown');
    for (const path of ['/balance', '/balance_transactions', `/balance_transactions/${some}`]) {
      assertError(await h.v1('POST', path, {}), 405, 'method_not_allowed');
      assertError(await h.v1('DELETE', path), 405, 'method_not_allowed');
      assertError(await h.v1('GET', path, undefined, { key: null }), 401, 'api_key_invalid');
      assertError(await h.v1('GET', path, undefined, { key: 'sk_test_wrongwrongwrongwrong' }), 401, 'api_key_invalid');
      assertError(await h.v1('GET', path, undefined, { key: 'pk_test_wrongwrongwrongwrong' }), 401, 'api_key_invalid');
    }
  });

  it('the stripe SDK reads the balance and its transactions', async () => {
    const other = await h.kassa.createMerchant();
    const stripe = new Stripe(other.secretKey, { host: '127.0.0.1', port: Number(new URL(h.url).port), protocol: 'http', maxNetworkRetries: 0 });
    const intent = await stripe.paymentIntents.create({ amount: 2500, currency: 'gbp', payment_method: 'pm_card_visa', confirm: true });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    const balance = await stripe.balance.retrieve();
    assert.deepEqual(
      balance.pending.map((p) => [p.currency, p.amount]),
      [['gbp', 2000]],
    );
    const txns = await stripe.balanceTransactions.list({ limit: 1, type: 'charge' });
    assert.equal(txns.data.length, 1);
    const txn = await stripe.balanceTransactions.retrieve(txns.data[0]!.id);
    assert.deepEqual([txn.amount, txn.net, txn.fee, txn.type, txn.status], [2500, 2500, 0, 'charge', 'pending']);
    const seen: string[] = [];
    for await (const t of stripe.balanceTransactions.list({ limit: 1 })) seen.push(t.type);
    assert.deepEqual(seen, ['refund', 'charge'], 'auto-paging follows has_more and starting_after');
  });
});

describe('currencies over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('every kind of refused currency is a 400 on currency that says why, in JSON and form bodies; nothing is created', async () => {
    const before = (await h.v1('GET', '/payment_intents?limit=100')).body.data.length;
    for (const [currency, why] of [
      ['xau', /has no minor unit/],
      ['xts', /has no minor unit/],
      ['xxx', /has no minor unit/],
      ['clf', /fund code/],
      ['uyw', /unit of account/],
      ['USD', /lower case: usd/],
      ['abc', /not an active ISO 4217/],
      ['dollars', /three-letter/],
    ] as const) {
      for (const form of [false, true]) {
        const r = await h.v1('POST', '/payment_intents', { amount: 100, currency }, { form });
        assertError(r, 400, 'parameter_invalid', 'currency');
        assert.match(r.body.error.message, why, currency);
      }
    }
    assertError(await h.v1('POST', '/payment_intents', { amount: 1.5, currency: 'usd' }), 400, 'parameter_invalid', 'amount');
    assertError(await h.v1('POST', '/payment_intents', { amount: 100_000_000, currency: 'jpy' }), 400, 'parameter_invalid', 'amount');
    assertError(await h.v1('POST', '/payment_intents', { amount: 0, currency: 'kwd' }), 400, 'parameter_invalid', 'amount');
    const intent = await h.createIntent({ amount: 100, currency: 'usd' });
    assertError(await h.v1('POST', `/payment_intents/${intent.id}`, { currency: 'xag' }), 400, 'parameter_invalid', 'currency');
    assert.equal((await h.v1('GET', '/payment_intents?limit=100')).body.data.length, before + 1);
  });

  it('every currency Kassa charges can be paid, captured and refunded in its own minor units', async () => {
    // A sample across exponents and regions; the core tests run the whole table through the schema.
    for (const currency of ['aed', 'bif', 'clp', 'iqd', 'isk', 'lyd', 'mga', 'omr', 'tnd', 'vnd', 'xof', 'zwg']) {
      const r = await h.v1('POST', '/payment_intents', { amount: 4321, currency, payment_method: 'pm_card_visa', confirm: true });
      assert.equal(r.body.status, 'succeeded', `${currency}: ${JSON.stringify(r.body)}`);
      const refund = await h.v1('POST', '/refunds', { payment_intent: r.body.id, amount: 321 });
      assert.equal(refund.body.status, 'succeeded', currency);
    }
  });
});
