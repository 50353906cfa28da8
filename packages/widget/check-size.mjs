/**
 * Fails the build when a browser bundle outgrows its gzip budget (measured like
 * `gzip -c file | wc -c`: zlib's default level). kassa.js ships on every merchant page; the
 * frame script on every card entry. Both carry Lit.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 12_000;
const FILES = ['dist/kassa.js', 'dist/frame/card.js'];

let over = false;
for (const file of FILES) {
  const size = gzipSync(readFileSync(new URL(file, import.meta.url))).length;
  const ok = size <= BUDGET_BYTES;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${file}: ${size} bytes gzipped (budget ${BUDGET_BYTES})`);
}
// The whole ISO 4217 table (@kassa/core/currencies) is server and wire only: formatting needs
// just core's small minor-units table. One of the table's names in a bundle means it leaked in.
const TABLE_MARKER = 'Bond Markets Unit';
for (const file of [...FILES, 'dist/kassa.mjs']) {
  if (readFileSync(new URL(file, import.meta.url), 'utf8').includes(TABLE_MARKER)) {
    over = true;
    console.log(`OVER ${file}: contains the ISO 4217 table (import money from @kassa/core, not @kassa/core/currencies)`);
  }
}
if (over) process.exit(1);
