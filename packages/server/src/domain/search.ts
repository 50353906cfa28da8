/**
 * Stripe's search query language for payment intents (`/v1/payment_intents/search`), parsed
 * into one SQL condition with parameters. No library speaks this dialect, so it is written here,
 * small and strict: what it does not understand is a 400 that says where.
 *
 *   query   := clause (( AND | OR ) clause)*        — AND and OR are not mixed, as at Stripe
 *   clause  := ['-'] field op value                   — '-' negates
 *   field   := status | customer | currency | amount | created | description | metadata['key']
 *   op      := ':' (equals) | '~' (contains; text fields) | '>' | '>=' | '<' | '<=' (numbers)
 *   value   := 'text' | "text" | integer
 *
 * `created` is Unix seconds, as on the wire; the table keeps milliseconds.
 */
import { invalidParam } from './errors.js';

export interface SearchCondition {
  sql: string;
  params: Record<string, unknown>;
}

type Op = ':' | '~' | '>' | '>=' | '<' | '<=';
type FieldKind = 'text' | 'exact' | 'number' | 'time';

const FIELDS: Readonly<Record<string, { column: string; kind: FieldKind }>> = {
  status: { column: 'status', kind: 'exact' },
  customer: { column: 'customer', kind: 'exact' },
  currency: { column: 'currency', kind: 'exact' },
  amount: { column: 'amount', kind: 'number' },
  created: { column: 'created', kind: 'time' },
  description: { column: 'description', kind: 'text' },
};

export const MAX_CLAUSES = 10;
export const MAX_QUERY_LENGTH = 1000;

const bad = (message: string) => invalidParam('query', `Invalid search query: ${message}`);

class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  match(re: RegExp): string | null {
    this.skipSpace();
    const m = re.exec(this.text.slice(this.pos));
    if (!m || m.index !== 0) return null;
    this.pos += m[0].length;
    return m[0];
  }
  quoted(): string | null {
    this.skipSpace();
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') return null;
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '\\' && i + 1 < this.text.length) {
        out += this.text[++i];
        continue;
      }
      if (c === quote) {
        this.pos = i + 1;
        return out;
      }
      out += c;
    }
    throw bad(`unterminated string at position ${this.pos + 1}`);
  }
}

export function parseSearch(query: string): SearchCondition {
  if (query.trim() === '') throw bad('the query is empty');
  if (query.length > MAX_QUERY_LENGTH) throw bad(`at most ${MAX_QUERY_LENGTH} characters`);
  const r = new Reader(query);
  const params: Record<string, unknown> = {};
  const clauses: string[] = [];
  let joiner: 'AND' | 'OR' | null = null;
  for (;;) {
    clauses.push(clause(r, params, clauses.length));
    if (clauses.length > MAX_CLAUSES) throw bad(`at most ${MAX_CLAUSES} clauses`);
    if (r.done) break;
    const word = r.match(/^(AND|OR)(?=\s)/);
    if (!word) throw bad(`expected AND or OR at position ${r.pos + 1}`);
    if (joiner && joiner !== word) throw bad('AND and OR cannot be combined in one query');
    joiner = word as 'AND' | 'OR';
  }
  return { sql: clauses.join(` ${joiner ?? 'AND'} `), params };
}

function clause(r: Reader, params: Record<string, unknown>, n: number): string {
  const negated = r.match(/^-/) !== null;
  const at = r.pos + 1;
  const name = r.match(/^[a-z_]+/);
  if (!name) throw bad(`expected a field at position ${at}`);
  let metadataKey: string | null = null;
  if (name === 'metadata') {
    if (!r.match(/^\[/)) throw bad("metadata needs a key: metadata['key']");
    metadataKey = r.quoted();
    if (metadataKey === null || !r.match(/^\]/)) throw bad("metadata needs a quoted key: metadata['key']");
  }
  const field = metadataKey === null ? FIELDS[name] : { column: 'metadata', kind: 'text' as const };
  if (!field) throw bad(`unknown field '${name}' (searchable: ${[...Object.keys(FIELDS), "metadata['key']"].join(', ')})`);
  const op = r.match(/^(>=|<=|:|~|>|<)/) as Op | null;
  if (!op) throw bad(`expected one of : ~ > >= < <= after '${name}'`);
  const text = r.quoted();
  const number = text === null ? r.match(/^-?\d{1,15}/) : null;
  if (text === null && number === null) throw bad(`expected a quoted value or a number after '${name}${op}'`);

  const p = `q${n}`;
  let sql: string;
  const numeric = field.kind === 'number' || field.kind === 'time';
  if (numeric) {
    if (number === null) throw bad(`'${name}' takes a number`);
    if (op === '~') throw bad(`'~' is for text, not '${name}'`);
    const v = Number(number);
    if (field.kind === 'number') {
      params[p] = v;
      sql = `${field.column} ${op === ':' ? '=' : op} @${p}`;
    } else {
      // Unix seconds against milliseconds: one second is [s·1000, (s+1)·1000).
      const lo = v * 1000;
      const hi = (v + 1) * 1000;
      const bounds: Record<Exclude<Op, '~'>, string> = {
        ':': `created >= ${lo} AND created < ${hi}`,
        '>': `created >= ${hi}`,
        '>=': `created >= ${lo}`,
        '<': `created < ${lo}`,
        '<=': `created < ${hi}`,
      };
      sql = `(${bounds[op]})`;
    }
  } else {
    if (text === null) throw bad(`'${name}' takes a quoted value`);
    if (op !== ':' && op !== '~') throw bad(`'${name}' takes ':' or '~'`);
    if (op === '~' && field.kind === 'exact') throw bad(`'~' is not supported for '${name}'`);
    params[p] = text;
    const match = op === ':' ? `IS @${p}` : '';
    if (metadataKey !== null) {
      params[`${p}k`] = metadataKey;
      sql =
        op === ':'
          ? `EXISTS (SELECT 1 FROM json_each(metadata) WHERE key = @${p}k AND value = @${p})`
          : `EXISTS (SELECT 1 FROM json_each(metadata) WHERE key = @${p}k AND instr(lower(value), lower(@${p})) > 0)`;
    } else {
      sql = op === ':' ? `${field.column} ${match}` : `instr(lower(coalesce(${field.column}, '')), lower(@${p})) > 0`;
    }
  }
  return negated ? `NOT (${sql})` : `(${sql})`;
}
