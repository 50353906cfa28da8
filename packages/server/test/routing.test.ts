/**
 * Routing and failover: which of a mode's providers a payment goes to (rules by currency,
 * method, amount, brand, BIN, merchant; weighted splits decided by the intent id), and what
 * happens when the chosen one fails. A definite failure (nothing happened there) fails over to
 * the next eligible provider, silently for the merchant (no payment_failed, no failed charge);
 * an ambiguous one never does: the intent goes `unknown` and nothing is sent elsewhere. The
 * decision is on the intent (`kassa_routing`) and in the events that carry it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SandboxProvider } from '../src/adapters/sandbox/provider.js';
import { ProviderFailure } from '../src/domain/ports.js';
import type { PaymentProvider, ProviderChoice } from '../src/domain/ports.js';
import { ConfiguredProviders } from '../src/providers.js';
import { route, routingSchema } from '../src/routing.js';
import { BinTable } from '../src/bin-table.js';
import type { RoutingRule } from '../src/routing.js';
import { CARDS, boot, outboxTypes, overriding } from './helpers.js';
import Database from 'better-sqlite3';
import { issuerView } from './crash.js';

/** A provider for the pure routing tests: only its name and capabilities are read. */
const named = (name: string, methods: Array<'card' | 'alipay' | 'paypal'> = ['card'], currencies?: string[]): PaymentProvider =>
  ({ name, capabilities: { paymentMethods: methods, ...(currencies ? { currencies } : {}) } }) as unknown as PaymentProvider;

const choice = (o: Partial<ProviderChoice> = {}): ProviderChoice => ({
  merchantId: 'acct_test',
  livemode: false,
  currency: 'usd',
  amount: 1000,
  paymentMethod: 'card',
  reference: 'pi_routing',
  ...o,
});
const names = (r: { providers: PaymentProvider[] }) => r.providers.map((p) => p.name);

describe('routing rules', () => {
  const a = named('a');
  const b = named('b');
  const cny = named('cny-only', ['card'], ['cny']);
  const wallet = named('wallet', ['alipay']);

  it('without rules: the configured order, only providers that take the method and currency', () => {
    assert.deepEqual(names(route([a, b, wallet], [], choice())), ['a', 'b']);
    assert.deepEqual(names(route([a, cny], [], choice({ currency: 'eur' }))), ['a']);
    assert.deepEqual(names(route([a, wallet], [], choice({ paymentMethod: 'alipay', currency: 'cny' }))), ['wallet']);
    assert.deepEqual(route([a], [], choice({ paymentMethod: 'paypal' })), { providers: [], rule: null });
  });

  it('the first rule whose conditions all hold decides, by name; conditions on currency, amount, brand, BIN and merchant', () => {
    const rules = routingSchema.parse([
      { name: 'big-eur', when: { currency: ['eur'], minAmount: 100_000 }, use: ['b', 'a'] },
      { name: 'amex', when: { cardBrand: ['amex'] }, use: ['b'] },
      { name: 'bin', when: { binPrefix: ['4000'] }, use: ['b', 'a'] },
      { name: 'vip', when: { merchant: ['acct_vip'] }, use: ['b'] },
    ]);
    assert.deepEqual(route([a, b], rules, choice({ currency: 'eur', amount: 100_000 })).rule, 'big-eur');
    assert.deepEqual(names(route([a, b], rules, choice({ currency: 'eur', amount: 100_000 }))), ['b', 'a']);
    assert.equal(route([a, b], rules, choice({ currency: 'eur', amount: 99_999 })).rule, null, 'below the bound');
    assert.deepEqual(names(route([a, b], rules, choice({ cardBrand: 'amex' }))), ['b'], 'a rule lists only its providers: no failover beyond them');
    assert.equal(route([a, b], rules, choice({ bin: '400012' })).rule, 'bin');
    assert.equal(route([a, b], rules, choice({ bin: '424242' })).rule, null);
    assert.equal(route([a, b], rules, choice({ merchantId: 'acct_vip' })).rule, 'vip');
    assert.equal(route([a, b], rules, choice({ paymentMethod: 'alipay' })).rule, null, 'no provider takes it: no rule holds');
  });

  it('a rule none of whose providers takes the payment does not hold: the next one decides', () => {
    const rules: RoutingRule[] = [
      { name: 'cny-first', use: ['cny-only'] },
      { name: 'fallback', use: ['a'] },
    ];
    assert.deepEqual(route([a, cny], rules, choice({ currency: 'usd' })), { providers: [a], rule: 'fallback' });
    assert.deepEqual(route([a, cny], rules, choice({ currency: 'cny' })), { providers: [cny], rule: 'cny-first' });
  });

  it('a weighted split: decided by the intent id (the same intent, the same provider), near the weights over many, the rest as failover', () => {
    const rules = routingSchema.parse([{ name: 'split', use: [{ provider: 'a', weight: 3 }, { provider: 'b', weight: 1 }] }]);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const r = route([a, b], rules, choice({ reference: `pi_${i}` }));
      assert.equal(r.providers.length, 2, 'the other one follows for failover');
      assert.deepEqual(names(route([a, b], rules, choice({ reference: `pi_${i}` }))), names(r), 'stable per intent');
      counts[r.providers[0]!.name as 'a' | 'b']++;
    }
    assert.ok(counts.a > 2800 && counts.a < 3200, `3:1 split, got ${JSON.stringify(counts)}`);
  });

  it('the configuration is checked at start: unknown providers, duplicate names, the sandbox in live mode', () => {
    assert.throws(() => new ConfiguredProviders({ test: [a], live: null }, [], { test: [{ name: 'r', use: ['nope'] }] }), /names the provider nope/);
    assert.throws(() => new ConfiguredProviders({ test: [a, named('a')], live: null }), /two providers named a/);
    assert.throws(() => new ConfiguredProviders({ test: [a], live: null }, [], { test: [{ name: 'r', use: ['a'] }, { name: 'r', use: ['a'] }] }), /named twice/);
    assert.throws(() => new ConfiguredProviders({ test: null, live: [a, named('sandbox')] }), /cannot take live payments/);
    assert.equal(routingSchema.safeParse([{ name: 'x', when: { currency: ['usd'], color: 'red' }, use: ['a'] }]).success, false, 'an unknown condition is refused, not ignored');
    assert.equal(routingSchema.safeParse([{ name: 'x', use: [{ provider: 'a', weight: 0 }] }]).success, false);
  });
});

describe("routing by the card's issuing country (the operator's BIN table)", () => {
  const a = named('a');
  const cn = named('cn-acquirer');
  const table = BinTable.parse(
    [
      '# from the acquirer, 2026-11',
      'bin,country',
      '4,US',
      '62,CN',
      '400012,GB',
      '40001234,CN',
      '',
    ].join('\n'),
    'bins.csv',
  );

  it('the longest prefix decides; a card the table does not know has no country', () => {
    assert.equal(table.size, 4);
    assert.equal(table.countryOf('42424242'), 'US');
    assert.equal(table.countryOf('62000000'), 'CN');
    assert.equal(table.countryOf('40001299'), 'GB', 'six digits carve GB out of 4');
    assert.equal(table.countryOf('40001234'), 'CN', 'eight digits carve CN out of GB');
    assert.equal(table.countryOf('37828224'), undefined);
  });

  it('a rule by cardCountry holds for the cards of those countries, through the directory that knows the table', () => {
    const rules = routingSchema.parse([{ name: 'cn-cards', when: { cardCountry: ['CN'] }, use: ['cn-acquirer', 'a'] }]);
    const providers = new ConfiguredProviders({ test: [a, cn], live: null }, [], { test: rules }, undefined, table);
    const chosen = (bin: string | undefined) => providers.route(choice({ bin }));
    assert.deepEqual([chosen('62000000').rule, names(chosen('62000000'))], ['cn-cards', ['cn-acquirer', 'a']]);
    assert.equal(chosen('40001234').rule, 'cn-cards');
    assert.deepEqual([chosen('40001299').rule, names(chosen('40001299'))], [null, ['a', 'cn-acquirer']], 'GB: the default order');
    assert.equal(chosen('37828224').rule, null, 'unknown country: the rule does not hold');
    assert.equal(chosen(undefined).rule, null, 'no card (a wallet): no country');
    // What the caller says of the country is not trusted: the table decides.
    assert.equal(providers.route(choice({ bin: '42424242', cardCountry: 'CN' })).rule, null);
  });

  it('through the server: a Chinese card is paid at the acquirer the rule names, any other at the first provider; the intent says by which rule', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-routing-country-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const home = issuer(dir, 'home');
    const china = issuer(dir, 'china');
    t.after(home.close);
    t.after(china.close);
    const h = await boot(
      {
        providers: { test: [home.provider, china.provider] },
        routing: { test: [{ name: 'cn-cards', when: { cardCountry: ['CN'] }, use: ['china', 'home'] }] },
        binTable: BinTable.parse('62,CN\n4,US'),
      },
      dir,
    );
    try {
      const unionpay = await h.pay(CARDS.unionpay, { amount: 8800, currency: 'cny' });
      const visa = await h.pay(CARDS.visa, { amount: 8800, currency: 'cny' });
      for (const [paid, provider, rule] of [[unionpay, 'china', 'cn-cards'], [visa, 'home', null]] as const) {
        assert.equal(paid.confirm.body.status, 'succeeded', JSON.stringify(paid.confirm.body));
        const seen = (await h.v1('GET', `/payment_intents/${paid.intent.id}`)).body;
        assert.deepEqual([seen.kassa_routing.rule, seen.kassa_routing.tried.map((x: { provider: string }) => x.provider)], [rule, [provider]]);
      }
      // Each issuer's own record: the card went there and nowhere else.
      for (const [name, paidThere, notThere] of [['china', unionpay, visa], ['home', visa, unionpay]] as const) {
        const db = new Database(join(dir, `${name}.sqlite`), { readonly: true });
        try {
          assert.equal(issuerView(db, paidThere.intent.id).length, 1, `${name} charged its card`);
          assert.deepEqual(issuerView(db, notThere.intent.id), [], `${name} never saw the other`);
        } finally {
          db.close();
        }
      }
    } finally {
      await h.close();
    }
  });

  it('a rule by country without a table, and a table with a mistake, stop the start with the line named', () => {
    const rules = routingSchema.parse([{ name: 'cn-cards', when: { cardCountry: ['CN'] }, use: ['a'] }]);
    assert.throws(() => new ConfiguredProviders({ test: [a], live: null }, [], { test: rules }), /cn-cards \(test mode\) routes by cardCountry, but no BIN table is configured/);
    assert.equal(routingSchema.safeParse([{ name: 'x', when: { cardCountry: ['cn'] }, use: ['a'] }]).success, false, 'capitals, as ISO writes them');
    assert.equal(routingSchema.safeParse([{ name: 'x', when: { cardCountry: ['CHN'] }, use: ['a'] }]).success, false, 'alpha-2, not alpha-3');
    const bad: Array<[string, RegExp]> = [
      ['4,US\n42,usa', /bins\.csv, line 2: the country must be a two-letter/],
      ['4,US\n4x,GB', /line 2: the prefix must be 1 to 8 digits/],
      ['123456789,US', /line 1: the prefix must be 1 to 8 digits/],
      ['4,US,extra', /line 1: expected "prefix,country", found 3 field/],
      ['4,US\n4,GB', /line 2: the prefix 4 is already US/],
      ['# nothing\n\n', /bins\.csv: no rows/],
    ];
    for (const [text, error] of bad) assert.throws(() => BinTable.parse(text, 'bins.csv'), error, JSON.stringify(text));
    assert.equal(BinTable.parse('4,US\n4,US', 'bins.csv').size, 1, 'the same row twice is one row');
  });
});

/** A second real issuer (the sandbox on its own database) under another name. */
function issuer(dir: string, name: string): { provider: PaymentProvider; close: () => void; issuer: SandboxProvider } {
  const sandbox = new SandboxProvider({ path: join(dir, `${name}.sqlite`), fingerprintKey: randomBytes(32), publicUrl: () => 'http://127.0.0.1:1', clock: { now: Date.now } });
  return { issuer: sandbox, provider: { ...overriding(sandbox, {}), name }, close: () => sandbox.close() };
}

describe('failover through the server', () => {
  it('a definite failure at the first provider: the payment goes to the next, once, with no failure event or failed charge; the decision is on the intent', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-routing-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const down = issuer(dir, 'down');
    t.after(down.close);
    let asked = 0;
    const refused = overriding(down.provider, {
      authorize: async () => {
        asked++;
        throw new ProviderFailure('definite', 'connection refused', 'ECONNREFUSED');
      },
    });
    const backup = issuer(dir, 'backup');
    t.after(backup.close);
    const h = await boot({ providers: { test: [{ ...refused, name: 'down' }, backup.provider] } }, dir);
    try {
      const intent = await h.createIntent({ amount: 4200 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
      const paid = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(paid.body.status, 'succeeded', JSON.stringify(paid.body));
      assert.equal(asked, 1);
      assert.notEqual(backup.issuer.account(CARDS.visa, 'cny'), null, 'the backup issuer has the card: the charge went there');
      assert.equal(down.issuer.account(CARDS.visa, 'cny'), null, 'the first one never saw it');
      const seen = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual(seen.body.kassa_routing, {
        rule: null,
        candidates: ['down', 'backup'],
        tried: [
          { provider: 'down', result: 'definite_failure' },
          { provider: 'backup', result: 'answered' },
        ],
      });
      assert.equal(seen.body.last_payment_error, null);
      const types = outboxTypes(h.db(), intent.id);
      assert.ok(!types.includes('payment_intent.payment_failed') && !types.includes('charge.failed'), `no failure told to the merchant: ${types.join(', ')}`);
      assert.equal(types.filter((type) => type === 'charge.succeeded').length, 1);
      const charges = h.db().prepare('SELECT status FROM charges WHERE payment_intent_id = ?').all(intent.id) as Array<{ status: string }>;
      assert.deepEqual(charges.map((c) => c.status), ['succeeded'], 'one charge, at the backup');
      const succeeded = h.db().prepare("SELECT payload FROM outbox WHERE payment_intent_id = ? AND type = 'payment_intent.succeeded'").get(intent.id) as { payload: string };
      assert.equal(JSON.parse(succeeded.payload).data.object.kassa_routing.tried.length, 2, 'the event shows the decision');
    } finally {
      await h.close();
    }
  });

  it('an ambiguous failure never fails over: the intent is unknown, nothing is sent to the next provider', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-routing-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = issuer(dir, 'first');
    t.after(first.close);
    const backup = issuer(dir, 'backup');
    t.after(backup.close);
    let backupAsked = 0;
    const timesOut = overriding(first.provider, {
      authorize: async () => {
        throw new ProviderFailure('ambiguous', 'socket hang up after the request was sent');
      },
    });
    const counted = overriding(backup.provider, {
      authorize: async (r) => {
        backupAsked++;
        return backup.provider.authorize(r);
      },
    });
    const h = await boot({ providers: { test: [{ ...timesOut, name: 'first' }, { ...counted, name: 'backup' }] } }, dir);
    try {
      const intent = await h.createIntent({ amount: 4200 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
      const r = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(backupAsked, 0, 'maybe charged at the first: never sent to the backup');
      const seen = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(seen.body.status, 'unknown');
      assert.deepEqual(seen.body.kassa_routing.tried, [{ provider: 'first', result: 'unknown' }]);
    } finally {
      await h.close();
    }
  });

  it('a rule sends CNY card payments to one issuer and the rest to another; a method no provider takes is refused clearly', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-routing-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const other = issuer(dir, 'other');
    t.after(other.close);
    const h = await boot(
      { providers: { test: [other.provider] }, routing: { test: [{ name: 'only', when: { currency: ['usd'] }, use: ['other'] }] } },
      dir,
    );
    try {
      const usd = await h.createIntent({ amount: 1500, currency: 'usd' });
      const token = await h.tokenize(usd.client_secret, { number: CARDS.visa });
      const paid = await h.client('POST', `/payment_intents/${usd.id}/confirm`, usd.client_secret, { payment_method: token.body.id });
      assert.equal(paid.body.status, 'succeeded');
      assert.equal((await h.v1('GET', `/payment_intents/${usd.id}`)).body.kassa_routing.rule, 'only');

      const wallet = await h.createIntent({ amount: 1500, currency: 'cny' });
      const refused = await h.client('POST', `/payment_intents/${wallet.id}/confirm`, wallet.client_secret, { payment_method_data: { type: 'alipay' } });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'payment_method_unactivated');
      assert.equal(refused.body.error.param, 'payment_method_data[type]');
      assert.match(refused.body.error.message, /alipay payments in CNY/);
      assert.equal((await h.v1('GET', `/payment_intents/${wallet.id}`)).body.status, 'requires_payment_method', 'nothing written');
    } finally {
      await h.close();
    }
  });
});
