/**
 * Opens a SQLite database the way every Kassa database is run: WAL, synchronous=FULL (a
 * committed payment survives a power cut), a busy timeout for the rare second process
 * (the CLI), foreign keys on, and migrations applied in one immediate transaction.
 */
import Database from 'better-sqlite3';
import type { Database as DatabaseType } from 'better-sqlite3';

export interface SqlMigration {
  version: number;
  sql: string;
}

export function openSqlite(path: string, migrations: readonly SqlMigration[]): DatabaseType {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Freed pages are zeroed, so deleted rows do not linger in the file.
  db.pragma('secure_delete = ON');
  migrate(db, migrations);
  return db;
}

function migrate(db: DatabaseType, migrations: readonly SqlMigration[]): void {
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  });
  apply.immediate();
}
