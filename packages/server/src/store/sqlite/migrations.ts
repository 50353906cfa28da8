/**
 * Schema migrations for the SQLite store, applied in order; `PRAGMA user_version` records
 * the last one applied. Never edit a shipped migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: /* sql */ `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE merchants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        allowed_origins TEXT NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;

      -- API keys are stored as SHA-256 hashes; prefix is only for display ("sk_test_AbC…").
      CREATE TABLE api_keys (
        hash TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        kind TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
        prefix TEXT NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;

      -- The vault: card numbers only as AES-256-GCM ciphertext. There is no column for a
      -- security code, on purpose: it lives in memory for one use.
      CREATE TABLE vault_cards (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        ciphertext BLOB NOT NULL,
        iv BLOB NOT NULL,
        tag BLOB NOT NULL,
        fingerprint TEXT NOT NULL,
        brand TEXT NOT NULL,
        last4 TEXT NOT NULL CHECK (length(last4) = 4),
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        vault_card_id TEXT NOT NULL REFERENCES vault_cards(id),
        created INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT;

      CREATE TABLE payment_methods (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        customer TEXT NOT NULL,
        vault_card_id TEXT NOT NULL REFERENCES vault_cards(id),
        fingerprint TEXT NOT NULL,
        brand TEXT NOT NULL,
        last4 TEXT NOT NULL,
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        created INTEGER NOT NULL,
        UNIQUE (merchant_id, customer, fingerprint)
      ) STRICT;
      CREATE INDEX payment_methods_customer ON payment_methods (merchant_id, customer, created);

      CREATE TABLE payment_intents (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        amount INTEGER NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        status TEXT NOT NULL,
        capture_method TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
        customer TEXT,
        setup_future_usage TEXT,
        description TEXT,
        statement_descriptor TEXT,
        metadata TEXT NOT NULL,
        payment_method TEXT,
        vault_card_id TEXT REFERENCES vault_cards(id),
        save_card INTEGER NOT NULL,
        amount_capturable INTEGER NOT NULL CHECK (amount_capturable BETWEEN 0 AND amount),
        amount_received INTEGER NOT NULL CHECK (amount_received BETWEEN 0 AND amount),
        last_payment_error TEXT,
        next_action TEXT,
        action_ref TEXT UNIQUE,
        provider TEXT,
        provider_ref TEXT,
        cancellation_reason TEXT,
        canceled_at INTEGER,
        pending_operation TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        version INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX payment_intents_merchant ON payment_intents (merchant_id, created);
      CREATE INDEX payment_intents_pending ON payment_intents (pending_operation) WHERE pending_operation IS NOT NULL;

      -- One row per provider call, written before the call (recovery point) and settled after.
      CREATE TABLE payment_attempts (
        id TEXT PRIMARY KEY,
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        operation TEXT NOT NULL,
        provider_key TEXT NOT NULL,
        status TEXT NOT NULL,
        amount INTEGER NOT NULL,
        resume_status TEXT NOT NULL,
        outcome TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX payment_attempts_intent ON payment_attempts (payment_intent_id);
      CREATE INDEX payment_attempts_provider_key ON payment_attempts (provider_key);

      -- Double-entry, append-only: each txn_id sums to zero per currency (checked on insert).
      CREATE TABLE ledger_entries (
        id INTEGER PRIMARY KEY,
        txn_id TEXT NOT NULL,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount <> 0),
        created INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX ledger_entries_intent ON ledger_entries (payment_intent_id);
      CREATE INDEX ledger_entries_txn ON ledger_entries (txn_id);
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
      CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

      -- Events written with the state change that caused them; delivery reads from here.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        type TEXT NOT NULL,
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        payload TEXT NOT NULL,
        created INTEGER NOT NULL,
        delivered_at INTEGER
      ) STRICT;
      CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;

      CREATE TABLE idempotency_keys (
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_flight', 'done')),
        response_status INTEGER,
        response_body TEXT,
        created INTEGER NOT NULL,
        locked_at INTEGER,
        PRIMARY KEY (merchant_id, scope, key)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'idempotency keys as request journals; lock owners and instance leases; discrepancies',
    sql: /* sql */ `
      -- A running server process. A lock's owner is a work token '<instance id>.<n>'; the lock is
      -- live while that instance's lease is current and it has not stopped.
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started INTEGER NOT NULL,
        lease_expires INTEGER NOT NULL,
        stopped INTEGER
      ) STRICT;
      CREATE INDEX instances_running ON instances (id) WHERE stopped IS NULL;

      -- The key's row is the request's journal: how far it got (recovery_point) and what it
      -- made (intent_id, attempt_id), written in the same transaction as each local step.
      -- owner is the work token holding the lock (NULL: free to resume).
      ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
      ALTER TABLE idempotency_keys ADD COLUMN recovery_point TEXT NOT NULL DEFAULT 'started'
        CHECK (recovery_point IN ('started', 'intent_created', 'attempt_started', 'intent_changed', 'finished'));
      ALTER TABLE idempotency_keys ADD COLUMN intent_id TEXT REFERENCES payment_intents(id);
      ALTER TABLE idempotency_keys ADD COLUMN attempt_id TEXT REFERENCES payment_attempts(id);
      ALTER TABLE idempotency_keys ADD COLUMN updated INTEGER;
      -- Rows of version 1 locked by a process that is gone: free them (their journal is empty).
      UPDATE idempotency_keys SET locked_at = NULL WHERE status = 'in_flight';

      -- The work token making a pending call; NULL once it is settled or its outcome unknown.
      ALTER TABLE payment_attempts ADD COLUMN owner TEXT;

      -- A provider settled another amount than asked for: recorded for reconciliation.
      CREATE TABLE discrepancies (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        attempt_id TEXT NOT NULL REFERENCES payment_attempts(id),
        operation TEXT NOT NULL,
        currency TEXT NOT NULL,
        expected INTEGER NOT NULL,
        actual INTEGER NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX discrepancies_intent ON discrepancies (payment_intent_id);
    `,
  },
  {
    version: 3,
    name: 'charges and refunds',
    sql: /* sql */ `
      ALTER TABLE payment_intents ADD COLUMN latest_charge TEXT;

      -- One authorization's money, as Stripe's Charge shows it. amount_refunded includes the part
      -- of a hold that was never captured (released by a partial capture or a void).
      CREATE TABLE charges (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        attempt_id TEXT NOT NULL UNIQUE REFERENCES payment_attempts(id),
        amount INTEGER NOT NULL CHECK (amount > 0),
        amount_captured INTEGER NOT NULL CHECK (amount_captured BETWEEN 0 AND amount),
        amount_refunded INTEGER NOT NULL CHECK (amount_refunded BETWEEN 0 AND amount),
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
        captured INTEGER NOT NULL CHECK (captured IN (0, 1)),
        payment_method TEXT,
        card_brand TEXT,
        card_last4 TEXT,
        card_exp_month INTEGER,
        card_exp_year INTEGER,
        failure_code TEXT,
        failure_message TEXT,
        decline_code TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX charges_intent ON charges (payment_intent_id, created);
      CREATE INDEX charges_merchant ON charges (merchant_id, created);

      CREATE TABLE refunds (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        charge_id TEXT NOT NULL REFERENCES charges(id),
        attempt_id TEXT NOT NULL UNIQUE REFERENCES payment_attempts(id),
        amount INTEGER NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        reason TEXT,
        failure_reason TEXT,
        metadata TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX refunds_charge ON refunds (charge_id);
      CREATE INDEX refunds_merchant ON refunds (merchant_id, created);

      -- Refunds never exceed what was captured: enforced here as well as in the domain, so no
      -- race between two refunds of one charge can get past it.
      CREATE TRIGGER refunds_within_captured BEFORE INSERT ON refunds
        WHEN NEW.status <> 'failed' AND
          (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE charge_id = NEW.charge_id AND status <> 'failed') + NEW.amount >
          (SELECT amount_captured FROM charges WHERE id = NEW.charge_id)
        BEGIN SELECT RAISE(ABORT, 'refunds exceed the captured amount'); END;
      CREATE TRIGGER refunds_stay_within_captured BEFORE UPDATE OF status, amount ON refunds
        WHEN NEW.status <> 'failed' AND
          (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE charge_id = NEW.charge_id AND status <> 'failed' AND id <> OLD.id) + NEW.amount >
          (SELECT amount_captured FROM charges WHERE id = NEW.charge_id)
        BEGIN SELECT RAISE(ABORT, 'refunds exceed the captured amount'); END;
    `,
  },
  {
    version: 4,
    name: 'customers; payment methods that can be detached',
    sql: /* sql */ `
      CREATE TABLE customers (
        id TEXT NOT NULL,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        email TEXT,
        name TEXT,
        description TEXT,
        phone TEXT,
        metadata TEXT NOT NULL,
        address TEXT,
        shipping TEXT,
        default_payment_method TEXT,
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        PRIMARY KEY (merchant_id, id)
      ) STRICT;
      CREATE INDEX customers_created ON customers (merchant_id, created);
      CREATE INDEX customers_email ON customers (merchant_id, email) WHERE email IS NOT NULL;

      -- Customers named before they were objects (free-form ids on intents and saved cards) become
      -- customers, so every reference keeps pointing at something.
      INSERT INTO customers (id, merchant_id, metadata, created, updated)
        SELECT customer, merchant_id, '{}', MIN(created), MIN(created) FROM (
          SELECT customer, merchant_id, created FROM payment_intents WHERE customer IS NOT NULL
          UNION ALL SELECT customer, merchant_id, created FROM payment_methods
        ) GROUP BY merchant_id, customer;

      -- A payment method may exist without a customer (a test payment method, a detached card):
      -- the table is rebuilt with customer nullable and a detached time.
      CREATE TABLE payment_methods_v4 (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        customer TEXT,
        vault_card_id TEXT NOT NULL REFERENCES vault_cards(id),
        fingerprint TEXT NOT NULL,
        brand TEXT NOT NULL,
        last4 TEXT NOT NULL,
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        detached INTEGER,
        created INTEGER NOT NULL,
        UNIQUE (merchant_id, customer, fingerprint),
        FOREIGN KEY (merchant_id, customer) REFERENCES customers (merchant_id, id)
      ) STRICT;
      INSERT INTO payment_methods_v4 (id, merchant_id, customer, vault_card_id, fingerprint, brand, last4, exp_month, exp_year, created)
        SELECT id, merchant_id, customer, vault_card_id, fingerprint, brand, last4, exp_month, exp_year, created FROM payment_methods;
      DROP TABLE payment_methods;
      ALTER TABLE payment_methods_v4 RENAME TO payment_methods;
      CREATE INDEX payment_methods_customer ON payment_methods (merchant_id, customer, created);

      -- Journals name any object a request made or changed (a customer, a payment method), not
      -- only intents and attempts: rebuilt for the new column and recovery point.
      CREATE TABLE idempotency_keys_v4 (
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_flight', 'done')),
        response_status INTEGER,
        response_body TEXT,
        created INTEGER NOT NULL,
        locked_at INTEGER,
        owner TEXT,
        recovery_point TEXT NOT NULL DEFAULT 'started'
          CHECK (recovery_point IN ('started', 'intent_created', 'attempt_started', 'intent_changed', 'object_written', 'finished')),
        intent_id TEXT REFERENCES payment_intents(id),
        attempt_id TEXT REFERENCES payment_attempts(id),
        object_id TEXT,
        updated INTEGER,
        PRIMARY KEY (merchant_id, scope, key)
      ) STRICT;
      INSERT INTO idempotency_keys_v4 (merchant_id, scope, key, request_hash, status, response_status, response_body, created, locked_at,
          owner, recovery_point, intent_id, attempt_id, updated)
        SELECT merchant_id, scope, key, request_hash, status, response_status, response_body, created, locked_at,
          owner, recovery_point, intent_id, attempt_id, updated FROM idempotency_keys;
      DROP TABLE idempotency_keys;
      ALTER TABLE idempotency_keys_v4 RENAME TO idempotency_keys;
    `,
  },
  {
    version: 5,
    name: 'webhooks',
    sql: /* sql */ `
      -- A merchant's receiver of events. seq orders lists (newest first) and is the cursor's
      -- position; outbox_cursor is the last outbox seq this endpoint has been fanned out through
      -- (set to the newest event at creation: an endpoint gets the events after it was made).
      -- creation_key: SHA-256 of the Idempotency-Key that created it, so a retry whose first run
      -- died after the insert answers with this endpoint instead of making a second one.
      CREATE TABLE webhook_endpoints (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
        url TEXT NOT NULL,
        enabled_events TEXT NOT NULL,
        description TEXT,
        metadata TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
        disabled_reason TEXT CHECK (disabled_reason IN ('merchant', 'gone')),
        outbox_cursor INTEGER NOT NULL,
        creation_key TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        UNIQUE (merchant_id, creation_key)
      ) STRICT;
      CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, livemode, seq);

      -- Signing secrets, AES-256-GCM sealed (key: HKDF of the server secret; AAD: endpoint and
      -- merchant). expires NULL is the current secret; a rolled one keeps signing until expires.
      CREATE TABLE webhook_secrets (
        id INTEGER PRIMARY KEY,
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        ciphertext BLOB NOT NULL,
        iv BLOB NOT NULL,
        tag BLOB NOT NULL,
        creation_key TEXT,
        created INTEGER NOT NULL,
        expires INTEGER
      ) STRICT;
      CREATE INDEX webhook_secrets_endpoint ON webhook_secrets (endpoint_id, id);
      CREATE UNIQUE INDEX webhook_secrets_current ON webhook_secrets (endpoint_id) WHERE expires IS NULL;
      CREATE UNIQUE INDEX webhook_secrets_creation ON webhook_secrets (endpoint_id, creation_key);

      -- One event to one endpoint. owner is the work token making an attempt right now (NULL
      -- between attempts); a delivery whose owner stopped working is claimed again, so a crash
      -- mid-attempt ends in a redelivery, never a lost event. object_id (the payment intent)
      -- keeps one object's events in order.
      CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        event_seq INTEGER NOT NULL REFERENCES outbox(seq),
        event_id TEXT NOT NULL,
        object_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL CHECK (attempts >= 0),
        next_attempt_at INTEGER,
        owner TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        finished INTEGER,
        UNIQUE (endpoint_id, event_seq),
        CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
      ) STRICT;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, object_id, event_seq) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

      -- Every attempt, for the dashboard: when, how long, what came back, what happens next.
      CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        endpoint_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'retrying', 'failed', 'endpoint_disabled')),
        next_retry INTEGER
      ) STRICT;
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

      -- Events by merchant, newest first (/v1/events) and the fan-out's range scans.
      CREATE INDEX outbox_merchant ON outbox (merchant_id, seq);
    `,
  },
  {
    version: 6,
    name: 'the rest of the intent API: lists, Stripe create parameters',
    sql: /* sql */ `
      -- Lists page newest first by rowid within a merchant: an index on the merchant alone is
      -- ordered by (merchant_id, rowid), which is the order of those pages.
      CREATE INDEX payment_intents_merchant_rowid ON payment_intents (merchant_id);
      CREATE INDEX payment_intents_customer ON payment_intents (merchant_id, customer) WHERE customer IS NOT NULL;
      CREATE INDEX customers_merchant_rowid ON customers (merchant_id);
      CREATE INDEX charges_merchant_rowid ON charges (merchant_id);
      CREATE INDEX refunds_merchant_rowid ON refunds (merchant_id);

      ALTER TABLE payment_intents ADD COLUMN receipt_email TEXT;
      ALTER TABLE payment_intents ADD COLUMN statement_descriptor_suffix TEXT;
      ALTER TABLE payment_intents ADD COLUMN shipping TEXT;
      -- Confirmed without the shopper (a saved card charged by the merchant): a challenge is a decline.
      ALTER TABLE payment_intents ADD COLUMN off_session INTEGER NOT NULL DEFAULT 0 CHECK (off_session IN (0, 1));
      ALTER TABLE payment_intents ADD COLUMN return_url TEXT;
    `,
  },
  {
    version: 7,
    name: 'onboarding: merchant accounts with a test and a live scope, keys with modes, permissions, rotation and use',
    sql: /* sql */ `
      -- A merchant account has one row per mode: the test scope (id = the account's id) and, once
      -- the operator activates it, a live scope of its own id. Everything a merchant owns is
      -- stored under a scope's id, so a key of one mode cannot reach the other mode's objects.
      ALTER TABLE merchants ADD COLUMN account_id TEXT;
      ALTER TABLE merchants ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1));
      ALTER TABLE merchants ADD COLUMN country TEXT;
      ALTER TABLE merchants ADD COLUMN default_currency TEXT;
      ALTER TABLE merchants ADD COLUMN email TEXT;
      ALTER TABLE merchants ADD COLUMN status TEXT NOT NULL DEFAULT 'test' CHECK (status IN ('test', 'live'));
      UPDATE merchants SET account_id = id;
      CREATE UNIQUE INDEX merchants_scope ON merchants (account_id, livemode);

      CREATE TABLE api_keys_v7 (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        kind TEXT NOT NULL CHECK (kind IN ('secret', 'publishable', 'restricted')),
        livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
        prefix TEXT NOT NULL,
        name TEXT,
        -- restricted keys only: {"payment_intents": "write", "customers": "read", …}
        permissions TEXT,
        created INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER
      ) STRICT;
      INSERT INTO api_keys_v7 (id, hash, merchant_id, kind, livemode, prefix, created)
        SELECT 'key_' || lower(hex(randomblob(12))), hash, merchant_id, kind, 0, prefix, created FROM api_keys;
      DROP TABLE api_keys;
      ALTER TABLE api_keys_v7 RENAME TO api_keys;
      CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created);

      -- Every object says which mode it belongs to (its scope decides; this is for the wire).
      ALTER TABLE payment_intents ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE charges ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE refunds ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE customers ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE payment_methods ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    name: 'housekeeping: finished idempotency keys by age, unused tokens and unreferenced cards',
    sql: /* sql */ `
      CREATE INDEX idempotency_keys_finished ON idempotency_keys (updated) WHERE status = 'done';
      -- The card purge asks, for each old sealed card, whether anything still points at it.
      CREATE INDEX tokens_unused ON tokens (expires_at) WHERE used_at IS NULL;
      CREATE INDEX tokens_vault_card ON tokens (vault_card_id);
      CREATE INDEX payment_methods_vault_card ON payment_methods (vault_card_id);
      CREATE INDEX payment_intents_vault_card ON payment_intents (vault_card_id) WHERE vault_card_id IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'money: ledger transactions checked by the database, balance transactions',
    sql: /* sql */ `
      -- Each ledger transaction's header, written before its entries. It declares how many entries
      -- the transaction has; the database then refuses entries without a header or beyond that
      -- count, and checks on the last entry that the transaction sums to zero per currency (SQLite
      -- has no deferred checks, so the last entry is where "complete" is known).
      --
      -- The balance_* columns are what the merchant's balance sees of it — Stripe's balance
      -- transaction (txn_…) — for the transactions that move the merchant's payable account
      -- (a charge, a capture, a refund); all NULL for holds and their release. balance_amount is
      -- the merchant's side (minus the merchant_payable entries), checked against the entries on
      -- the last one too; available_on is when the funds stop being pending (domain/balance.ts).
      -- livemode: the mode of the merchant scope (merchants.livemode), as on every other object.
      CREATE TABLE ledger_transactions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1)),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        kind TEXT NOT NULL,
        entry_count INTEGER NOT NULL CHECK (entry_count >= 2),
        created INTEGER NOT NULL,
        balance_transaction TEXT UNIQUE,
        balance_type TEXT CHECK (balance_type IN ('charge', 'refund')),
        balance_source TEXT,
        balance_currency TEXT,
        balance_amount INTEGER CHECK (balance_amount <> 0),
        available_on INTEGER,
        CHECK ((balance_transaction IS NULL) + (balance_type IS NULL) + (balance_source IS NULL) +
          (balance_currency IS NULL) + (balance_amount IS NULL) + (available_on IS NULL) IN (0, 6))
      ) STRICT;

      -- The ledger so far gets its headers, in the order it was written. Its balance transactions:
      -- a charge or capture names its intent's charge (the one succeeded authorization), a refund
      -- the refund settled with it (same intent, amount and moment); payments from before charges
      -- existed name their intent. The settlement delay is the one in force when this shipped
      -- (domain/balance.ts: 2 days), and a refund is available no earlier than the charge it gives back.
      CREATE TEMP TABLE ledger_v9 AS
        SELECT e.txn_id AS id, e.merchant_id, e.payment_intent_id, e.kind, COUNT(*) AS entry_count, MIN(e.created) AS created,
          MIN(e.id) AS first_entry, MIN(e.currency) AS currency,
          -SUM(CASE WHEN e.account = 'merchant_payable' THEN e.amount END) AS payable
        FROM ledger_entries e GROUP BY e.txn_id;
      CREATE TEMP TABLE ledger_v9_sources AS
        SELECT l.id, CASE WHEN l.kind = 'refund'
            THEN (SELECT r.id FROM refunds r WHERE r.payment_intent_id = l.payment_intent_id AND r.status = 'succeeded'
                    AND r.amount = -l.payable AND r.updated = l.created ORDER BY r.created, r.id LIMIT 1)
            ELSE (SELECT i.latest_charge FROM payment_intents i WHERE i.id = l.payment_intent_id)
          END AS source
        FROM ledger_v9 l WHERE l.payable IS NOT NULL;
      INSERT INTO ledger_transactions (id, merchant_id, livemode, payment_intent_id, kind, entry_count, created,
          balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on)
        SELECT l.id, l.merchant_id, (SELECT m.livemode FROM merchants m WHERE m.id = l.merchant_id), l.payment_intent_id, l.kind, l.entry_count, l.created,
          CASE WHEN l.payable IS NULL THEN NULL
            ELSE 'txn_' || substr(COALESCE(s.source, l.id), instr(COALESCE(s.source, l.id), '_') + 1) END,
          CASE WHEN l.payable IS NULL THEN NULL WHEN l.kind = 'refund' THEN 'refund' ELSE 'charge' END,
          CASE WHEN l.payable IS NULL THEN NULL ELSE COALESCE(s.source, l.payment_intent_id) END,
          CASE WHEN l.payable IS NULL THEN NULL ELSE l.currency END,
          l.payable,
          CASE WHEN l.payable IS NULL THEN NULL WHEN l.kind = 'refund' THEN l.created ELSE l.created + 172800000 END
        FROM ledger_v9 l LEFT JOIN ledger_v9_sources s ON s.id = l.id
        ORDER BY l.first_entry;
      -- A refund of funds still pending becomes available with them.
      CREATE TEMP TABLE ledger_v9_refunds AS
        SELECT t.id, MAX(t.available_on, c.available_on) AS available_on
        FROM ledger_transactions t JOIN refunds r ON r.id = t.balance_source
        JOIN ledger_transactions c ON c.balance_source = r.charge_id
        WHERE t.balance_type = 'refund';
      UPDATE ledger_transactions SET available_on = (SELECT available_on FROM ledger_v9_refunds v WHERE v.id = ledger_transactions.id)
        WHERE id IN (SELECT id FROM ledger_v9_refunds);
      DROP TABLE ledger_v9;
      DROP TABLE ledger_v9_sources;
      DROP TABLE ledger_v9_refunds;

      CREATE INDEX ledger_transactions_intent ON ledger_transactions (payment_intent_id);
      -- Balances per currency, and balance transaction lists newest first (by seq) per merchant and mode.
      CREATE INDEX ledger_transactions_balances ON ledger_transactions (merchant_id, livemode, balance_currency)
        WHERE balance_transaction IS NOT NULL;
      CREATE INDEX ledger_transactions_balance_list ON ledger_transactions (merchant_id, livemode, seq)
        WHERE balance_transaction IS NOT NULL;

      CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
      CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

      CREATE TRIGGER ledger_entries_under_header BEFORE INSERT ON ledger_entries
        WHEN NOT EXISTS (
          SELECT 1 FROM ledger_transactions t WHERE t.id = NEW.txn_id AND t.merchant_id = NEW.merchant_id
            AND t.payment_intent_id = NEW.payment_intent_id AND t.kind = NEW.kind AND t.created = NEW.created
        )
        BEGIN SELECT RAISE(ABORT, 'ledger entry without its transaction'); END;
      CREATE TRIGGER ledger_entries_within_count BEFORE INSERT ON ledger_entries
        WHEN (SELECT COUNT(*) FROM ledger_entries WHERE txn_id = NEW.txn_id) >=
          (SELECT entry_count FROM ledger_transactions WHERE id = NEW.txn_id)
        BEGIN SELECT RAISE(ABORT, 'ledger transaction already complete'); END;
      CREATE TRIGGER ledger_entries_complete AFTER INSERT ON ledger_entries
        WHEN (SELECT COUNT(*) FROM ledger_entries WHERE txn_id = NEW.txn_id) =
          (SELECT entry_count FROM ledger_transactions WHERE id = NEW.txn_id)
        BEGIN
          SELECT RAISE(ABORT, 'ledger transaction does not sum to zero per currency')
            WHERE EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = NEW.txn_id GROUP BY currency HAVING SUM(amount) <> 0);
          SELECT RAISE(ABORT, 'balance transaction does not match its ledger entries')
            FROM ledger_transactions t WHERE t.id = NEW.txn_id AND NOT (
              CASE WHEN t.balance_transaction IS NULL
                THEN NOT EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable')
                -- IS, not =: with no payable entry the sum is NULL, and that is a mismatch too.
                ELSE t.balance_amount IS -(SELECT SUM(amount) FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable')
                  AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable' AND currency <> t.balance_currency)
              END
            );
        END;

      -- Stripe's balance transactions, as the lists page them (Pager: seq, id, created).
      CREATE VIEW balance_transactions AS
        SELECT seq, balance_transaction AS id, id AS ledger_transaction, merchant_id, livemode, payment_intent_id,
          balance_type AS type, balance_source AS source, balance_currency AS currency, balance_amount AS amount, available_on, created
        FROM ledger_transactions WHERE balance_transaction IS NOT NULL;
    `,
  },
  {
    // The worker's due query orders by (next_attempt_at, event_seq): with the first term alone
    // indexed, SQLite sorted every due delivery (and checked each one's order) on every round,
    // which under a backlog cost more than the deliveries. Now it reads in order and stops at
    // the limit.
    version: 10,
    name: 'webhooks: the due index in the order the worker reads',
    sql: `
      DROP INDEX webhook_deliveries_due;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, event_seq) WHERE status = 'pending';
    `,
  },
  {
    // Wallets (Alipay, PayPal) pay without a card; the routing decision is kept with the intent;
    // provider notifications are stored before they are acknowledged (then applied).
    version: 11,
    name: 'providers: payment method types, routing decisions, inbound notifications',
    sql: `
      ALTER TABLE payment_intents ADD COLUMN payment_method_type TEXT CHECK (payment_method_type IN ('card', 'alipay', 'paypal'));
      ALTER TABLE payment_intents ADD COLUMN routing TEXT;
      CREATE TABLE provider_notifications (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        -- The provider's own id for it, when it has one: a replay is stored once.
        provider_event_id TEXT,
        kind TEXT NOT NULL,
        payment_intent TEXT,
        provider_ref TEXT,
        raw TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        applied_at INTEGER,
        outcome TEXT,
        UNIQUE (provider, provider_event_id)
      );
      CREATE INDEX provider_notifications_unapplied ON provider_notifications (received_at) WHERE applied_at IS NULL;
    `,
  },
  {
    // Each merchant's own provider accounts, per mode. The keys are sealed (AES-256-GCM, a key
    // derived from the vault's for this purpose alone, bound to the row and merchant); only what
    // may be shown is in the clear. A deactivated account keeps its row: intents paid there are
    // still captured, refunded, recovered and notified through it.
    version: 12,
    name: 'provider accounts: each merchant\'s providers, per mode, keys sealed',
    sql: `
      CREATE TABLE provider_accounts (
        id TEXT PRIMARY KEY,
        -- The merchant account (acct_…, its test scope's id) and the scope of the mode.
        account_id TEXT NOT NULL REFERENCES merchants(id),
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
        name TEXT,
        type TEXT NOT NULL CHECK (type IN ('stripe', 'adyen', 'paypal', 'alipay')),
        config TEXT NOT NULL,
        -- The last characters of each secret field, to recognize a key; never the key.
        secret_hints TEXT NOT NULL,
        secrets_ciphertext BLOB NOT NULL,
        secrets_iv BLOB NOT NULL,
        secrets_tag BLOB NOT NULL,
        created INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        deactivated_at INTEGER
      ) STRICT;
      -- Creation order is failover order: seq, monotonic across instances sharing the file.
      CREATE UNIQUE INDEX provider_accounts_order ON provider_accounts (seq);
      CREATE INDEX provider_accounts_by_account ON provider_accounts (account_id, seq);
    `,
  },
  {
    // Adyen cannot be asked about an authorization: its signed notification is the record of
    // truth. What the adapter read from it is kept with the row, so a notification received
    // before a crash (or while the call was still in flight) settles the call later.
    version: 13,
    name: 'provider notifications: the adapter\'s evidence, and modifications that failed afterwards',
    sql: `
      ALTER TABLE provider_notifications ADD COLUMN evidence TEXT;
      ALTER TABLE provider_notifications ADD COLUMN failed TEXT;
      CREATE INDEX provider_notifications_evidence ON provider_notifications (provider, payment_intent) WHERE evidence IS NOT NULL;
    `,
  },
  {
    // Payments a provider answered `pending`: asked about again now and then, oldest first,
    // without reading every intent to find the few that wait.
    version: 14,
    name: 'providers: the payments waiting for a pending answer',
    sql: `
      CREATE INDEX payment_intents_awaiting ON payment_intents (updated) WHERE status = 'processing' AND pending_operation IS NULL;
    `,
  },
  {
    // The methods a merchant created an intent for (`payment_method_types`), enforced at confirm.
    version: 15,
    name: 'payment intents: the payment method types they take',
    sql: `
      ALTER TABLE payment_intents ADD COLUMN payment_method_types TEXT;
    `,
  },
  {
    // A provider's event may name the payment by the provider's id alone (Stripe's refund events).
    version: 16,
    name: "payment intents: found by the provider's id for them",
    sql: `
      CREATE INDEX payment_intents_provider_ref ON payment_intents (provider, provider_ref) WHERE provider_ref IS NOT NULL;
    `,
  },
  {
    // A card may come as a token the provider made (Stripe.js) or a device wallet's (Apple Pay,
    // Google Pay): which, and the token itself sealed by the vault, so a call made again after a
    // crash sends the same token under the same key.
    version: 17,
    name: 'payment intents: cards that come as tokens',
    sql: `
      ALTER TABLE payment_intents ADD COLUMN card_token TEXT CHECK (card_token IN ('provider_token', 'apple_pay', 'google_pay'));
      ALTER TABLE payment_intents ADD COLUMN method_token TEXT;
    `,
  },
  {
    // A refund the provider accepted and then did not carry out (Stripe's failed refund, Adyen's
    // REFUND_FAILED) gives its money back to the merchant: a ledger transaction of its own with a
    // balance transaction of type refund_failure, as Stripe books it. SQLite cannot change a
    // CHECK in place, so the table is rebuilt as migration 9 made it with the wider CHECK, rows,
    // seq and ids kept, and its triggers, indexes and view made again (unchanged).
    version: 18,
    name: 'money: refund failures in the ledger and the balance',
    sql: /* sql */ `
      DROP VIEW balance_transactions;
      DROP TRIGGER ledger_entries_under_header;
      DROP TRIGGER ledger_entries_within_count;
      DROP TRIGGER ledger_entries_complete;
      DROP TRIGGER ledger_transactions_no_update;
      DROP TRIGGER ledger_transactions_no_delete;

      CREATE TABLE ledger_transactions_v18 (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1)),
        payment_intent_id TEXT NOT NULL REFERENCES payment_intents(id),
        kind TEXT NOT NULL,
        entry_count INTEGER NOT NULL CHECK (entry_count >= 2),
        created INTEGER NOT NULL,
        balance_transaction TEXT UNIQUE,
        balance_type TEXT CHECK (balance_type IN ('charge', 'refund', 'refund_failure')),
        balance_source TEXT,
        balance_currency TEXT,
        balance_amount INTEGER CHECK (balance_amount <> 0),
        available_on INTEGER,
        CHECK ((balance_transaction IS NULL) + (balance_type IS NULL) + (balance_source IS NULL) +
          (balance_currency IS NULL) + (balance_amount IS NULL) + (available_on IS NULL) IN (0, 6))
      ) STRICT;
      INSERT INTO ledger_transactions_v18 (seq, id, merchant_id, livemode, payment_intent_id, kind, entry_count, created,
          balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on)
        SELECT seq, id, merchant_id, livemode, payment_intent_id, kind, entry_count, created,
          balance_transaction, balance_type, balance_source, balance_currency, balance_amount, available_on
        FROM ledger_transactions ORDER BY seq;
      DROP TABLE ledger_transactions;
      ALTER TABLE ledger_transactions_v18 RENAME TO ledger_transactions;

      CREATE INDEX ledger_transactions_intent ON ledger_transactions (payment_intent_id);
      CREATE INDEX ledger_transactions_balances ON ledger_transactions (merchant_id, livemode, balance_currency)
        WHERE balance_transaction IS NOT NULL;
      CREATE INDEX ledger_transactions_balance_list ON ledger_transactions (merchant_id, livemode, seq)
        WHERE balance_transaction IS NOT NULL;

      CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
      CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

      CREATE TRIGGER ledger_entries_under_header BEFORE INSERT ON ledger_entries
        WHEN NOT EXISTS (
          SELECT 1 FROM ledger_transactions t WHERE t.id = NEW.txn_id AND t.merchant_id = NEW.merchant_id
            AND t.payment_intent_id = NEW.payment_intent_id AND t.kind = NEW.kind AND t.created = NEW.created
        )
        BEGIN SELECT RAISE(ABORT, 'ledger entry without its transaction'); END;
      CREATE TRIGGER ledger_entries_within_count BEFORE INSERT ON ledger_entries
        WHEN (SELECT COUNT(*) FROM ledger_entries WHERE txn_id = NEW.txn_id) >=
          (SELECT entry_count FROM ledger_transactions WHERE id = NEW.txn_id)
        BEGIN SELECT RAISE(ABORT, 'ledger transaction already complete'); END;
      CREATE TRIGGER ledger_entries_complete AFTER INSERT ON ledger_entries
        WHEN (SELECT COUNT(*) FROM ledger_entries WHERE txn_id = NEW.txn_id) =
          (SELECT entry_count FROM ledger_transactions WHERE id = NEW.txn_id)
        BEGIN
          SELECT RAISE(ABORT, 'ledger transaction does not sum to zero per currency')
            WHERE EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = NEW.txn_id GROUP BY currency HAVING SUM(amount) <> 0);
          SELECT RAISE(ABORT, 'balance transaction does not match its ledger entries')
            FROM ledger_transactions t WHERE t.id = NEW.txn_id AND NOT (
              CASE WHEN t.balance_transaction IS NULL
                THEN NOT EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable')
                -- IS, not =: with no payable entry the sum is NULL, and that is a mismatch too.
                ELSE t.balance_amount IS -(SELECT SUM(amount) FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable')
                  AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE txn_id = t.id AND account = 'merchant_payable' AND currency <> t.balance_currency)
              END
            );
        END;

      CREATE VIEW balance_transactions AS
        SELECT seq, balance_transaction AS id, id AS ledger_transaction, merchant_id, livemode, payment_intent_id,
          balance_type AS type, balance_source AS source, balance_currency AS currency, balance_amount AS amount, available_on, created
        FROM ledger_transactions WHERE balance_transaction IS NOT NULL;
    `,
  },
  {
    // A merchant's provider account can be changed (its keys rolled, a field corrected, its name)
    // and reactivated: each change counts up its revision, which tells every instance sharing the
    // file to build its adapter again (the version check sums them).
    version: 19,
    name: 'provider accounts: revisions (keys rolled, reactivation)',
    sql: `
      ALTER TABLE provider_accounts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0);
    `,
  },
  {
    // Multiple capture: a capture that leaves the rest of the hold for later ones (0), made again
    // as it was by a retry or recovery. NULL: every other call, and a capture that releases the rest.
    version: 20,
    name: 'payment attempts: captures that leave the rest of the hold',
    sql: `
      ALTER TABLE payment_attempts ADD COLUMN final_capture INTEGER CHECK (final_capture IS NULL OR (final_capture = 0 AND operation = 'capture'));
    `,
  },
  {
    // Confirmations a crash left mid-failover that no retry carried on: the minute timer closes
    // them (their decline told to the merchant). Few rows ever match, so the index is small.
    version: 21,
    name: 'payment intents: failovers left off by a crash',
    sql: `
      CREATE INDEX payment_intents_left_off ON payment_intents (updated)
        WHERE status = 'requires_payment_method' AND pending_operation IS NULL AND json_extract(routing, '$.next') IS NOT NULL;
    `,
  },
];
