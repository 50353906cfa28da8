/**
 * The ledger's rules held by the database itself, not only by the code that writes it: entries
 * only under their transaction's header, no more than it declares, the last one checked to sum to
 * zero per currency and to agree with the balance transaction; nothing updated or deleted. And
 * migration 9 gives a ledger written before it exactly the headers the code writes now; migration
 * 18 rebuilds the table for a wider balance type without losing a row or a check.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CARDS, boot } from './helpers.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';

/** Pays a few ways (automatic, manual with a partial capture, refunds, a cancel) and returns the data directory. */
async function paidDataDir(): Promise<{ dir: string; intents: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-ledger-db-'));
  const h = await boot({}, dir);
  try {
    const auto = await h.pay(CARDS.visa, { amount: 5000, currency: 'usd' });
    const manual = await h.pay(CARDS.amex, { amount: 800, currency: 'jpy', capture_method: 'manual' });
    assert.equal((await h.v1('POST', `/payment_intents/${manual.intent.id}/capture`, { amount_to_capture: 600 })).status, 200);
    const held = await h.pay(CARDS.unionpay, { amount: 1234, currency: 'kwd', capture_method: 'manual' });
    assert.equal((await h.v1('POST', `/payment_intents/${held.intent.id}/cancel`, {})).status, 200);
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: auto.intent.id, amount: 1500 })).status, 200);
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: auto.intent.id, amount: 500 })).status, 200);
    assert.equal((await h.v1('POST', '/refunds', { payment_intent: manual.intent.id })).status, 200);
    return { dir, intents: [auto.intent.id, manual.intent.id, held.intent.id] };
  } finally {
    await h.close();
  }
}

describe('the ledger in the database', () => {
  let dir: string;
  let intent: string;
  let merchant: string;
  let db: Database.Database;

  before(async () => {
    const paid = await paidDataDir();
    dir = paid.dir;
    intent = paid.intents[0]!;
    db = new Database(join(dir, 'kassa.sqlite'));
    db.pragma('foreign_keys = ON');
    merchant = (db.prepare('SELECT merchant_id FROM payment_intents WHERE id = ?').get(intent) as { merchant_id: string }).merchant_id;
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const header = (id: string, entryCount: number, balance: { amount: number } | null = null) =>
    db
      .prepare(
        `INSERT INTO ledger_transactions (id, merchant_id, payment_intent_id, kind, entry_count, created,
           balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on)
         VALUES (?, ?, ?, 'charge', ?, 1000, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, merchant, intent, entryCount, ...(balance ? [`txn_${id}`, 'charge', `ch_${id}`, 'usd', balance.amount, 2000] : [null, null, null, null, null, null]));
  const entry = (txn: string, account: string, amount: number, currency = 'usd') =>
    db
      .prepare(`INSERT INTO ledger_entries (txn_id, merchant_id, payment_intent_id, kind, account, currency, amount, created) VALUES (?, ?, ?, 'charge', ?, ?, ?, 1000)`)
      .run(txn, merchant, intent, account, currency, amount);
  /** Runs `write` in a transaction that is always rolled back: each case starts from the same ledger. */
  const attempt = (write: () => void) => {
    db.exec('BEGIN');
    try {
      write();
    } finally {
      db.exec('ROLLBACK');
    }
  };

  it('a balanced transaction under its header is taken', () => {
    attempt(() => {
      header('ltx_ok', 2, { amount: 100 });
      entry('ltx_ok', 'acquirer_receivable', 100);
      entry('ltx_ok', 'merchant_payable', -100);
    });
  });

  it('an entry without its header is refused', () => {
    assert.throws(() => attempt(() => entry('ltx_nohead', 'acquirer_receivable', 100)), /ledger entry without its transaction/);
  });

  it('a transaction whose last entry leaves it unbalanced is refused, in any currency', () => {
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_bad', 2, { amount: 99 });
          entry('ltx_bad', 'acquirer_receivable', 100);
          entry('ltx_bad', 'merchant_payable', -99);
        }),
      /does not sum to zero per currency/,
    );
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_fx', 2);
          entry('ltx_fx', 'acquirer_holds', 100, 'usd');
          entry('ltx_fx', 'merchant_holds', -100, 'eur');
        }),
      /does not sum to zero per currency/,
    );
  });

  it('no entry beyond the count its header declares', () => {
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_more', 2);
          entry('ltx_more', 'acquirer_holds', 100);
          entry('ltx_more', 'merchant_holds', -100);
          entry('ltx_more', 'acquirer_holds', 5);
        }),
      /already complete/,
    );
  });

  it('a balance transaction must be what the entries say the merchant is owed', () => {
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_lie', 2, { amount: 200 });
          entry('ltx_lie', 'acquirer_receivable', 100);
          entry('ltx_lie', 'merchant_payable', -100);
        }),
      /balance transaction does not match/,
    );
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_none', 2, { amount: 100 });
          entry('ltx_none', 'acquirer_holds', 100);
          entry('ltx_none', 'merchant_holds', -100);
        }),
      /balance transaction does not match/,
      'a hold is no balance transaction',
    );
    assert.throws(
      () =>
        attempt(() => {
          header('ltx_hidden', 2);
          entry('ltx_hidden', 'acquirer_receivable', 100);
          entry('ltx_hidden', 'merchant_payable', -100);
        }),
      /balance transaction does not match/,
      'money owed to the merchant without a balance transaction',
    );
  });

  it('nothing in the ledger is updated or deleted', () => {
    for (const sql of [
      'UPDATE ledger_entries SET amount = amount + 1',
      'DELETE FROM ledger_entries',
      'UPDATE ledger_transactions SET available_on = 0',
      'DELETE FROM ledger_transactions',
    ]) {
      assert.throws(() => attempt(() => db.exec(sql)), /append-only/, sql);
    }
  });

  it('what the code wrote passes the same checks: every header complete, every transaction balanced', () => {
    const incomplete = db
      .prepare('SELECT t.id FROM ledger_transactions t WHERE t.entry_count <> (SELECT COUNT(*) FROM ledger_entries e WHERE e.txn_id = t.id)')
      .all();
    assert.deepEqual(incomplete, []);
    assert.deepEqual(db.prepare('SELECT txn_id FROM ledger_entries GROUP BY txn_id, currency HAVING SUM(amount) <> 0').all(), []);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM balance_transactions').get() as { n: number }).n, 5, 'two charges, three refunds');
  });
});

describe('migration 9 on a ledger written before it', () => {
  it('makes the headers and balance transactions the code writes now, and the checks apply from then on', async () => {
    const { dir } = await paidDataDir();
    try {
      const path = join(dir, 'kassa.sqlite');
      const written = new Database(path);
      const columns = 'id, merchant_id, livemode, payment_intent_id, kind, entry_count, created, balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on';
      const expected = written.prepare(`SELECT ${columns} FROM ledger_transactions ORDER BY seq`).all();
      assert.equal(expected.length, 8, 'a charge, an authorization and its capture, an authorization and its release, three refunds');
      // Back to version 8: no headers, no checks on entries (and none of what later migrations add).
      written.exec(`
        ALTER TABLE payment_attempts DROP COLUMN final_capture;
        DROP INDEX payment_intents_left_off;
        DROP TABLE provider_notifications;
        DROP TABLE provider_accounts;
        DROP INDEX payment_intents_awaiting;
        DROP INDEX payment_intents_provider_ref;
        ALTER TABLE payment_intents DROP COLUMN method_token;
        ALTER TABLE payment_intents DROP COLUMN card_token;
        ALTER TABLE payment_intents DROP COLUMN payment_method_types;
        ALTER TABLE payment_intents DROP COLUMN payment_method_type;
        ALTER TABLE payment_intents DROP COLUMN routing;
        DROP VIEW balance_transactions;
        DROP TRIGGER ledger_entries_under_header; DROP TRIGGER ledger_entries_within_count; DROP TRIGGER ledger_entries_complete;
        DROP TABLE ledger_transactions;
        PRAGMA user_version = 8;
      `);
      written.close();

      const h = await boot({}, dir);
      try {
        const migrated = h.db();
        assert.deepEqual(migrated.prepare(`SELECT ${columns} FROM ledger_transactions ORDER BY seq`).all(), expected);
        // And the merchant's balance reads the same as before.
        const balance = await h.v1('GET', '/balance');
        assert.deepEqual(
          balance.body.pending.map((p: { currency: string; amount: number }) => [p.currency, p.amount]),
          [
            ['jpy', 0],
            ['usd', 3000],
          ],
        );
        // The checks are in force on the migrated database.
        const pay = await h.pay(CARDS.visa, { amount: 700, currency: 'usd' });
        assert.equal(pay.confirm.status, 200);
        assert.equal((await h.v1('GET', '/balance')).body.pending.find((p: { currency: string }) => p.currency === 'usd').amount, 3700);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration 18 on a ledger whose balance types are charge and refund alone', () => {
  it('keeps every row, its seq and the checks, and takes refund_failure from then on', async () => {
    const { dir, intents } = await paidDataDir();
    try {
      const path = join(dir, 'kassa.sqlite');
      const written = new Database(path);
      const rows = (d: Database.Database) => d.prepare('SELECT * FROM ledger_transactions ORDER BY seq').all();
      const expected = rows(written);
      // Back to version 17: the same rebuild with migration 9's CHECK (the table as it was then).
      const v18 = MIGRATIONS.find((m) => m.version === 18);
      assert.ok(v18);
      const narrow = "balance_type IN ('charge', 'refund')";
      written.exec(v18.sql.replace("balance_type IN ('charge', 'refund', 'refund_failure')", narrow));
      // And what later migrations add (each is dropped here as it comes).
      written.exec('ALTER TABLE provider_accounts DROP COLUMN revision');
      written.exec('ALTER TABLE payment_attempts DROP COLUMN final_capture');
      written.exec('DROP INDEX payment_intents_left_off');
      written.pragma('user_version = 17');
      assert.match((written.prepare("SELECT sql FROM sqlite_master WHERE name = 'ledger_transactions'").get() as { sql: string }).sql, /IN \('charge', 'refund'\)\)/);
      const failureHeader = (d: Database.Database, id: string) =>
        d
          .prepare(
            `INSERT INTO ledger_transactions (id, merchant_id, payment_intent_id, kind, entry_count, created,
               balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on)
             SELECT ?, merchant_id, id, 'refund_failure', 2, 1000, ?, 'refund_failure', 're_x', 'usd', 500, 1000 FROM payment_intents WHERE id = ?`,
          )
          .run(id, `txn_${id}`, intents[0]);
      assert.throws(() => failureHeader(written, 'ltx_before'), /CHECK constraint failed/, 'version 17 refuses the type');
      written.close();

      const h = await boot({}, dir);
      // The harness's own handle reads only; the checks are tried through a writer of our own.
      const migrated = new Database(path);
      try {
        assert.equal(migrated.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)?.version);
        assert.deepEqual(rows(migrated), expected, 'every row as it was, seq included');
        // The checks are made again: append-only, entries under a header, balanced.
        assert.throws(() => migrated.exec('UPDATE ledger_transactions SET available_on = 0'), /append-only/);
        assert.throws(
          () =>
            migrated
              .prepare(`INSERT INTO ledger_entries (txn_id, merchant_id, payment_intent_id, kind, account, currency, amount, created) SELECT 'ltx_none', merchant_id, id, 'charge', 'merchant_payable', 'usd', 1, 1000 FROM payment_intents WHERE id = ?`)
              .run(intents[0]),
          /without its transaction/,
        );
        migrated.exec('BEGIN');
        try {
          failureHeader(migrated, 'ltx_after');
        } finally {
          migrated.exec('ROLLBACK');
        }
        // And the server writes on it as before.
        const pay = await h.pay(CARDS.visa, { amount: 700, currency: 'usd' });
        assert.equal(pay.confirm.status, 200);
        assert.equal((await h.v1('GET', '/balance_transactions?type=charge')).body.data[0]?.amount, 700);
      } finally {
        migrated.close();
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
