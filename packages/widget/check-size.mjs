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
if (over) process.exit(1);
