/**
 * Which country issued a card, by its BIN (the leading digits): the table an operator's acquirer
 * or card scheme hands out, loaded once at start for the `cardCountry` routing condition. Kassa
 * ships no BIN data of its own — there is no well-kept offline table to take, and asking an
 * online BIN service would send card prefixes to a third party — so without a table no card has
 * a country and a rule naming one is refused at start.
 *
 * The file is CSV: one `prefix,country` per line (1–8 digits, ISO 3166-1 alpha-2), `#` comments
 * and blank lines ignored, an optional `bin,country` header. The longest prefix that matches
 * decides, so a table may name a scheme's range and carve an issuer's country out of it.
 */

const PREFIX = /^\d{1,8}$/;
const COUNTRY = /^[A-Z]{2}$/;
/** A table is a list of ranges, not a copy of the world's cards. */
const MAX_ROWS = 200_000;

export class BinTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinTableError';
  }
}

export class BinTable {
  /** Prefix → country, for each prefix length present (longest tried first). */
  readonly #byLength: Map<number, Map<string, string>>;
  readonly #lengths: number[];
  readonly size: number;

  private constructor(rows: Map<string, string>) {
    this.#byLength = new Map();
    for (const [prefix, country] of rows) {
      let bucket = this.#byLength.get(prefix.length);
      if (!bucket) this.#byLength.set(prefix.length, (bucket = new Map()));
      bucket.set(prefix, country);
    }
    this.#lengths = [...this.#byLength.keys()].sort((a, b) => b - a);
    this.size = rows.size;
  }

  /** Parses a table; every mistake names its line (`source` says which file), and nothing half-read is kept. */
  static parse(text: string, source = 'the BIN table'): BinTable {
    const rows = new Map<string, string>();
    const lines = text.split(/\r?\n/);
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const at = `${source}, line ${i + 1}`;
      const cells = line.split(',').map((c) => c.trim());
      if (rows.size === 0 && cells[0]?.toLowerCase() === 'bin' && cells[1]?.toLowerCase() === 'country') continue;
      if (cells.length !== 2) throw new BinTableError(`${at}: expected "prefix,country", found ${cells.length} field(s)`);
      const [prefix, country] = cells as [string, string];
      if (!PREFIX.test(prefix)) throw new BinTableError(`${at}: the prefix must be 1 to 8 digits`);
      if (!COUNTRY.test(country)) throw new BinTableError(`${at}: the country must be a two-letter ISO 3166-1 code in capitals (e.g. CN)`);
      const before = rows.get(prefix);
      if (before !== undefined && before !== country) throw new BinTableError(`${at}: the prefix ${prefix} is already ${before}`);
      rows.set(prefix, country);
      if (rows.size > MAX_ROWS) throw new BinTableError(`${source}: more than ${MAX_ROWS} rows`);
    }
    if (rows.size === 0) throw new BinTableError(`${source}: no rows`);
    return new BinTable(rows);
  }

  /** The issuing country of a card whose number starts with `digits` (its first 6–8), or undefined. */
  countryOf(digits: string): string | undefined {
    for (const length of this.#lengths) {
      if (length > digits.length) continue;
      const country = this.#byLength.get(length)?.get(digits.slice(0, length));
      if (country !== undefined) return country;
    }
    return undefined;
  }
}
