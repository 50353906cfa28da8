/**
 * Group commit: writes from one event-loop turn share a transaction, but each succeeds or
 * fails on its own, and each caller resumes only after the commit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit, openSqlite } from '../src/store/sqlite/open.js';

describe('group commit', () => {
  it('commits a turn of writes together; a failing write rolls back alone', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-gc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'test.sqlite');
    const db = openSqlite(path, [{ version: 1, sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT;' }]);
    t.after(() => db.close());
    const writes = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const twoRows = db.transaction((id: number) => {
      insert.run(id, 'first');
      insert.run(id + 1000, 'second');
      if (id === 2) throw new Error('changed my mind');
    });

    const results = await Promise.allSettled([
      writes.run(() => twoRows(1)),
      writes.run(() => twoRows(2)), // fails after writing both its rows: both undone
      writes.run(() => insert.run(1, 'duplicate')), // constraint violation
      writes.run(() => twoRows(3)),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    // Read through another connection: what the callers were told is committed, is.
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    assert.deepEqual(
      (reader.prepare('SELECT id FROM t ORDER BY id').all() as { id: number }[]).map((r) => r.id),
      [1, 3, 1001, 1003],
    );
  });

  it('a caller does not resume before its write is visible to other connections', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-gc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'test.sqlite');
    const db = openSqlite(path, [{ version: 1, sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT;' }]);
    t.after(() => db.close());
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    const writes = new GroupCommit(db);
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    const pending = writes.run(() => db.prepare('INSERT INTO t (id) VALUES (1)').run());
    assert.equal(count(), 0, 'queued, not yet written');
    await pending;
    assert.equal(count(), 1);
  });
});
