/**
 * Group commit: writes from one event-loop turn share a transaction, but each succeeds or
 * fails on its own, and each caller resumes only after the commit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
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

  it('a group of writes that need not be durable commits without waiting for the disk; one durable write makes the group wait; the connection is FULL again after', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-gc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = openSqlite(join(dir, 'test.sqlite'), [{ version: 1, sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT;' }]);
    t.after(() => db.close());
    const writes = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
    // What the commit will use, read inside the transaction: 1 = NORMAL (no fsync in WAL mode), 2 = FULL.
    const level = () => db.pragma('synchronous', { simple: true }) as number;
    const lazy = { durable: false };

    const onlyLazy = await Promise.all([writes.run(() => (insert.run(1), level()), lazy), writes.run(() => (insert.run(2), level()), lazy)]);
    assert.deepEqual(onlyLazy, [1, 1]);
    assert.equal(level(), 2, 'back to FULL outside the group');
    assert.equal(writes.lazyCommits, 1);

    const mixed = await Promise.all([writes.run(() => (insert.run(3), level()), lazy), writes.run(() => (insert.run(4), level()))]);
    assert.deepEqual(mixed, [2, 2], 'a durable write in the group: the whole commit waits for the disk');
    assert.equal(writes.lazyCommits, 1);

    assert.equal(await writes.run(() => (insert.run(5), level())), 2, 'the default is durable');
  });

  it('a write committed without an fsync survives the process being killed right after', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-gc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'test.sqlite');
    const open = new URL('../src/store/sqlite/open.ts', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { GroupCommit, openSqlite } = await import(${JSON.stringify(open)});
         const db = openSqlite(${JSON.stringify(path)}, [{ version: 1, sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT;' }]);
         const writes = new GroupCommit(db);
         await writes.run(() => db.prepare('INSERT INTO t (id) VALUES (7)').run(), { durable: false });
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    assert.deepEqual(reader.prepare('SELECT id FROM t').all(), [{ id: 7 }]);
  });
});
