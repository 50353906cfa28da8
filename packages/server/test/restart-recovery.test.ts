/**
 * What survives a restart (keys, intents, the encrypted vault) and what a crash mid-payment
 * leaves: a recovery point that is settled at the next start, without charging twice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CARDS, accountBalance, boot, outboxTypes, overriding, timingOutAfterActing, unbalancedTransactions } from './helpers.js';
import type { PaymentProvider } from '../src/index.js';
import { startKassa } from '../src/index.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kassa-restart-'));
}

/** A provider that is down: the call never reaches it. */
function unreachable(inner: PaymentProvider): PaymentProvider {
  return overriding(inner, { authorize: async () => Promise.reject(new Error('ECONNREFUSED')) });
}

describe('restart', () => {
  it('keeps keys (not shown again), intents, saved cards and the vault across a restart', async () => {
    const dir = tempDir();
    try {
      const first = await boot({}, dir);
      assert.ok(first.kassa.keys, 'keys shown on first start');
      const keysFile = readFileSync(first.kassa.keysFile, 'utf8');
      const customer = await first.customer();
      const paid = await first.pay(CARDS.mastercardLimited, { customer, setup_future_usage: 'on_session', amount: 5000 });
      assert.equal(paid.confirm.body.status, 'succeeded');
      const pending = await first.createIntent({ customer, amount: 6000 });
      const unusedToken = await first.tokenize(pending.client_secret, { number: CARDS.visa });
      await first.close();

      const second = await boot({}, dir);
      try {
        assert.equal(second.kassa.keys, null, 'keys are not shown again');
        assert.equal(readFileSync(second.kassa.keysFile, 'utf8'), keysFile, 'keys file untouched');
        assert.equal(second.secretKey, first.secretKey);
        assert.equal(second.kassa.merchant, first.kassa.merchant);

        const again = await second.v1('GET', `/payment_intents/${paid.intent.id}`);
        assert.equal(again.body.status, 'succeeded');
        assert.equal(again.body.amount_received, 5000);

        // The saved card decrypts after the restart: one-click pay works, and the issuer's balance
        // carried over (¥200.00 − ¥50.00 − ¥60.00).
        const view = await second.v1('GET', `/payment_intents/${pending.id}`);
        const secret = view.body.client_secret;
        const client = await second.client('GET', `/payment_intents/${pending.id}`, secret);
        assert.equal(client.body.saved_payment_method.last4, '4444');
        const oneClick = await second.client('POST', `/payment_intents/${pending.id}/confirm`, secret, { payment_method: client.body.saved_payment_method.id });
        assert.equal(oneClick.body.status, 'succeeded');
        assert.deepEqual(second.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 20000 - 5000 - 6000, held: 0 });

        // A token made before the restart still works (its CVC was only in memory and is gone; the
        // sandbox does not need it for this card).
        const third = await second.createIntent({ amount: 100 });
        const withOldToken = await second.client('POST', `/payment_intents/${third.id}/confirm`, third.client_secret, { payment_method: unusedToken.body.id });
        assert.equal(withOldToken.body.status, 'succeeded');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a different vault key than the data directory was made with', async () => {
    const dir = tempDir();
    try {
      const key = randomBytes(32).toString('hex');
      const first = await boot({ vaultKey: key }, dir);
      const secrets = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(secrets.vault_key, undefined, 'a configured vault key is not written to disk');
      await first.close();
      await assert.rejects(startKassa({ dataDir: dir, port: 0, logLevel: 'silent', vaultKey: randomBytes(32).toString('hex') }), /vault key does not match/);
      await assert.rejects(startKassa({ dataDir: dir, port: 0, logLevel: 'silent', vaultKey: 'short' }), /32 bytes/);
      const ok = await boot({ vaultKey: key }, dir);
      await ok.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('crash recovery', () => {
  it('when the provider charged but the answer was lost, then the intent is unknown, and the next start settles it as charged — once', async () => {
    const dir = tempDir();
    try {
      const flaky = await boot({ wrapProvider: timingOutAfterActing(new Set(['authorize'])) }, dir);
      const { intent, confirm } = await flaky.pay(CARDS.mastercardLimited, { amount: 12800 });
      assert.equal(confirm.status, 502);
      assert.equal(confirm.body.error.type, 'api_error');
      assert.equal(confirm.body.error.payment_intent.status, 'unknown');
      // While the outcome is unknown, nothing else may happen to the intent.
      const token = await flaky.tokenize(intent.client_secret, { number: CARDS.visa });
      const retry = await flaky.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(retry.status, 400);
      assert.equal(retry.body.error.code, 'payment_intent_unexpected_state');
      assert.equal((await flaky.v1('POST', `/payment_intents/${intent.id}/cancel`, {})).status, 400);
      // The issuer did debit.
      assert.deepEqual(flaky.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 7200, held: 0 });
      await flaky.close();

      const restarted = await boot({}, dir);
      try {
        const view = await restarted.v1('GET', `/payment_intents/${intent.id}`);
        assert.equal(view.body.status, 'succeeded');
        assert.equal(view.body.amount_received, 12800);
        assert.deepEqual(restarted.kassa.sandboxAccount(CARDS.mastercardLimited, 'cny'), { balance: 7200, held: 0 }, 'not charged twice');
        const db = restarted.db();
        assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 12800);
        assert.deepEqual(unbalancedTransactions(db), []);
        assert.deepEqual(outboxTypes(db, intent.id), ['payment_intent.created', 'payment_intent.outcome_unknown', 'charge.succeeded', 'payment_intent.succeeded']);
        assert.equal(await restarted.kassa.recover(), 0, 'nothing left to recover');
      } finally {
        await restarted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('while running, an unknown outcome is settled by asking the provider again', async () => {
    const lose = new Set(['authorize']);
    const h = await boot({ wrapProvider: timingOutAfterActing(lose) });
    try {
      const { intent, confirm } = await h.pay(CARDS.amex, { amount: 2500 });
      assert.equal(confirm.status, 502);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.equal(await h.kassa.recover(), 1);
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.status, 'succeeded');
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.amex, 'cny'), { balance: 100_000_000 - 2500, held: 0 });
      assert.equal(await h.kassa.recover(), 0);
    } finally {
      await h.close();
    }
  });

  it('when a capture was made but its answer lost, then recovery records the capture', async () => {
    const dir = tempDir();
    try {
      const flaky = await boot({ wrapProvider: timingOutAfterActing(new Set(['capture'])) }, dir);
      const { intent } = await flaky.pay(CARDS.visa, { amount: 9000, capture_method: 'manual' });
      const capture = await flaky.v1('POST', `/payment_intents/${intent.id}/capture`, { amount_to_capture: 4000 });
      assert.equal(capture.status, 502);
      await flaky.close();
      const restarted = await boot({}, dir);
      try {
        const view = await restarted.v1('GET', `/payment_intents/${intent.id}`);
        assert.equal(view.body.status, 'succeeded');
        assert.equal(view.body.amount_received, 4000);
        assert.equal(accountBalance(restarted.db(), intent.id, 'acquirer_holds'), 0);
      } finally {
        await restarted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the provider never saw the call, then recovery makes it under the same key, as the request would have: charged once', async () => {
    const dir = tempDir();
    try {
      const down = await boot({ wrapProvider: unreachable }, dir);
      const { intent, confirm } = await down.pay(CARDS.visa, { amount: 1000 });
      assert.equal(confirm.status, 502);
      assert.equal(confirm.body.error.payment_intent.status, 'unknown');
      await down.close();
      const restarted = await boot({}, dir);
      try {
        const view = await restarted.v1('GET', `/payment_intents/${intent.id}`);
        assert.equal(view.body.status, 'succeeded');
        assert.equal(view.body.last_payment_error, null);
        assert.deepEqual(restarted.kassa.sandboxAccount(CARDS.visa, 'cny'), { balance: 100_000_000 - 1000, held: 0 });
        assert.equal(accountBalance(restarted.db(), intent.id, 'acquirer_receivable'), 1000);
        assert.equal(await restarted.kassa.recover(), 0);
      } finally {
        await restarted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a provider that cannot be asked is never guessed for: the intent stays unknown (with an event), and a retry with the key settles it', async () => {
    const dir = tempDir();
    try {
      const lose = new Set(['authorize']);
      // Acts, then times out; and has no way to say what it did for a key.
      const blind = (inner: PaymentProvider): PaymentProvider =>
        overriding(timingOutAfterActing(lose)(inner), { capabilities: { ...inner.capabilities, lookup: false } });
      const first = await boot({ wrapProvider: blind }, dir);
      const intent = await first.createIntent({ amount: 2200 });
      const token = await first.tokenize(intent.client_secret, { number: CARDS.jcb });
      const path = `/payment_intents/${intent.id}/confirm`;
      const confirm = await first.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'blind-1' });
      assert.equal(confirm.status, 502);
      await first.close();

      const second = await boot({ wrapProvider: blind }, dir);
      try {
        // Startup recovery could not ask: unknown, visible, with an event; not payable again.
        const view = await second.v1('GET', `/payment_intents/${intent.id}`);
        assert.equal(view.body.status, 'unknown');
        assert.deepEqual(outboxTypes(second.db(), intent.id), ['payment_intent.created', 'payment_intent.outcome_unknown']);
        assert.equal(await second.kassa.recover(), 0, 'recovery does not guess');
        assert.equal((await second.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
        assert.deepEqual(second.kassa.sandboxAccount(CARDS.jcb, 'cny'), { balance: 100_000_000 - 2200, held: 0 });

        // The widget retries with its key: the call is made again under the same provider key,
        // which the issuer deduplicates — it answers what it did, and moves no money twice.
        lose.clear();
        const retry = await second.client('POST', path, view.body.client_secret, { payment_method: token.body.id }, { idem: 'blind-1' });
        assert.equal(retry.status, 200, JSON.stringify(retry.body));
        assert.equal(retry.body.status, 'succeeded');
        assert.deepEqual(second.kassa.sandboxAccount(CARDS.jcb, 'cny'), { balance: 100_000_000 - 2200, held: 0 });
        assert.equal(accountBalance(second.db(), intent.id, 'acquirer_receivable'), 2200);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the provider settles another amount, a discrepancy is recorded and the intent held as unknown — a 502, never a 500, and never retried', async () => {
    const short = (inner: PaymentProvider): PaymentProvider =>
      overriding(inner, {
        authorize: async (r) => {
          const outcome = await inner.authorize(r);
          return outcome.status === 'captured' ? { ...outcome, amount: outcome.amount - 1 } : outcome;
        },
      });
    const h = await boot({ wrapProvider: short });
    try {
      const intent = await h.createIntent({ amount: 1500 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
      const path = `/payment_intents/${intent.id}/confirm`;
      const confirm = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'short-1' });
      assert.equal(confirm.status, 502, JSON.stringify(confirm.body));
      assert.equal(confirm.body.error.type, 'api_error');
      assert.equal(confirm.body.error.payment_intent.status, 'unknown');
      const db = h.db();
      const rows = db.prepare('SELECT expected, actual, operation FROM discrepancies WHERE payment_intent_id = ?').all(intent.id);
      assert.deepEqual(rows, [{ expected: 1500, actual: 1499, operation: 'authorize' }]);
      assert.deepEqual(outboxTypes(db, intent.id), ['payment_intent.created', 'payment_intent.outcome_unknown']);
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 0, 'the ledger does not guess');
      const again = await h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'short-1' });
      assert.equal(again.status, 502);
      assert.equal(await h.kassa.recover(), 0, 'a discrepancy is not retried');
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM discrepancies').get() as { n: number }).n, 1);
    } finally {
      await h.close();
    }
  });
});

describe('tokens', () => {
  it('are single-use: a second confirm with the same token is refused', async () => {
    const h = await boot();
    try {
      const a = await h.createIntent();
      const token = await h.tokenize(a.client_secret);
      assert.equal((await h.client('POST', `/payment_intents/${a.id}/confirm`, a.client_secret, { payment_method: token.body.id })).body.status, 'succeeded');
      const b = await h.createIntent();
      const reuse = await h.v1('POST', `/payment_intents/${b.id}/confirm`, { payment_method: token.body.id });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error.code, 'token_already_used');
      assert.equal((await h.v1('GET', `/payment_intents/${b.id}`)).body.status, 'requires_payment_method');
    } finally {
      await h.close();
    }
  });

  it('expire after 10 minutes, and their CVC is used once and then forgotten', async () => {
    let now = Date.now();
    const seen: Array<{ cvc: boolean }> = [];
    const h = await boot({
      now: () => now,
      wrapProvider: (inner) =>
        overriding(inner, {
          authorize: (r) => {
            const cvc = r.method.type === 'card' ? r.method.card.cvc : undefined;
            seen.push({ cvc: cvc !== undefined && /^\d{3}$/.test(cvc.reveal()) });
            return inner.authorize(r);
          },
        }),
    });
    try {
      const customer = await h.customer();
      const a = await h.createIntent({ customer, setup_future_usage: 'on_session' });
      const token = await h.tokenize(a.client_secret);
      await h.client('POST', `/payment_intents/${a.id}/confirm`, a.client_secret, { payment_method: token.body.id });
      const b = await h.createIntent({ customer });
      const pm = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id;
      await h.client('POST', `/payment_intents/${b.id}/confirm`, b.client_secret, { payment_method: pm });
      assert.deepEqual(seen, [{ cvc: true }, { cvc: false }], 'the CVC went to the issuer once; the saved card pays without');

      const c = await h.createIntent();
      const late = await h.tokenize(c.client_secret);
      now += 10 * 60 * 1000 + 1;
      const fresh = await h.v1('GET', `/payment_intents/${c.id}`);
      const expired = await h.client('POST', `/payment_intents/${c.id}/confirm`, fresh.body.client_secret, { payment_method: late.body.id });
      assert.equal(expired.status, 400);
      assert.equal(expired.body.error.code, 'token_expired');
      assert.equal(seen.length, 2, 'an expired token never reaches the issuer');
    } finally {
      await h.close();
    }
  });
});
