/** The sandbox issuer's own database: it plays a bank, so it keeps a bank's records, not Kassa's. */
export const SANDBOX_MIGRATIONS = [
  {
    version: 1,
    sql: /* sql */ `
      -- Card accounts keyed by HMAC(sandbox key, card number); one balance per currency,
      -- created lazily in that currency's minor units.
      CREATE TABLE accounts (
        fingerprint TEXT NOT NULL,
        currency TEXT NOT NULL,
        balance INTEGER NOT NULL CHECK (balance >= 0),
        PRIMARY KEY (fingerprint, currency)
      ) STRICT;

      -- An authorization: 'held' reserves funds; capture debits (the rest is released); void releases.
      CREATE TABLE holds (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        status TEXT NOT NULL CHECK (status IN ('held', 'captured', 'released')),
        captured INTEGER NOT NULL DEFAULT 0 CHECK (captured BETWEEN 0 AND amount),
        created INTEGER NOT NULL,
        FOREIGN KEY (fingerprint, currency) REFERENCES accounts (fingerprint, currency)
      ) STRICT;
      CREATE INDEX holds_active ON holds (fingerprint, currency) WHERE status = 'held';

      -- A 3-D Secure challenge: funds are only touched once the shopper passes it.
      CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL,
        capture INTEGER NOT NULL,
        balance_major INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'passed', 'failed', 'completed', 'canceled')),
        reference TEXT NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;

      -- What the issuer answered per idempotency key: a repeated call gets the same answer
      -- and moves no money twice.
      CREATE TABLE operations (
        idempotency_key TEXT PRIMARY KEY,
        operation TEXT NOT NULL,
        result TEXT NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: /* sql */ `
      -- The merchant's reference for the payment (Kassa's intent id), as a bank keeps it: it lets
      -- an auditor (and the tests) count what the issuer holds and charged per payment.
      ALTER TABLE holds ADD COLUMN reference TEXT;
      CREATE INDEX holds_reference ON holds (reference);
    `,
  },
  {
    version: 3,
    sql: /* sql */ `
      -- Money given back to the card from a captured authorization; never more than was captured.
      CREATE TABLE refunds (
        id TEXT PRIMARY KEY,
        hold_id TEXT NOT NULL REFERENCES holds(id),
        amount INTEGER NOT NULL CHECK (amount > 0),
        created INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX refunds_hold ON refunds (hold_id);
    `,
  },
] as const;
