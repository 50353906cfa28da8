/**
 * Stripe-style pages over a table with `seq INTEGER PRIMARY KEY` (or a table's own `rowid`), `id`
 * and `created`: newest first by seq (the order rows were written, which is the order of
 * `created`), cursors by id.
 * Filters vary per request, so statements are prepared per distinct SQL text and kept.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Page, PageQuery } from '../pages.js';

export interface PageSpec {
  /** Table (or a FROM clause); trusted text, never input. */
  from: string;
  /** Columns to select (default `*`). */
  columns?: string;
  /** Who may see the rows (merchant, mode): applies to the cursor's row too. Trusted SQL with named parameters. */
  scope: string[];
  /** Further filters of this request (type, created): not applied to the cursor. */
  filters?: string[];
  /** The column that orders rows as they were written: `seq` (default), or `rowid` for tables keyed by id. */
  seq?: 'seq' | 'rowid';
  params: Record<string, unknown>;
}

export class Pager {
  readonly #db: Database;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  page<R>(spec: PageSpec, query: PageQuery): Page<R> {
    const where = [...spec.scope, ...(spec.filters ?? [])];
    const params: Record<string, unknown> = { ...spec.params, pageLimit: query.limit + 1 };
    if (query.created?.gte !== undefined) {
      where.push('created >= @createdGte');
      params.createdGte = query.created.gte;
    }
    if (query.created?.lt !== undefined) {
      where.push('created < @createdLt');
      params.createdLt = query.created.lt;
    }
    let order: 'DESC' | 'ASC' = 'DESC';
    const cursor = query.startingAfter ?? query.endingBefore;
    if (cursor !== undefined) {
      const seq = spec.seq ?? 'seq';
      const found = this.#statement(`SELECT ${seq} AS seq FROM ${spec.from} WHERE id = @cursorId AND ${spec.scope.join(' AND ')}`).get({
        ...spec.params,
        cursorId: cursor,
      }) as { seq: number } | undefined;
      if (!found) return { missingCursor: query.startingAfter !== undefined ? 'starting_after' : 'ending_before' };
      params.cursorSeq = found.seq;
      if (query.startingAfter !== undefined) where.push(`${seq} < @cursorSeq`);
      else {
        // Read upwards from the cursor, then turn the page round: still newest first.
        where.push(`${seq} > @cursorSeq`);
        order = 'ASC';
      }
    }
    const sql = `SELECT ${spec.columns ?? '*'} FROM ${spec.from} WHERE ${where.join(' AND ')} ORDER BY ${spec.seq ?? 'seq'} ${order} LIMIT @pageLimit`;
    const rows = this.#statement(sql).all(params) as R[];
    const hasMore = rows.length > query.limit;
    const data = rows.slice(0, query.limit);
    if (order === 'ASC') data.reverse();
    return { data, hasMore };
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
