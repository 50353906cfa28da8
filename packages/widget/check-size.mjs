/** Fails the build when a browser bundle outgrows its budget (measured and budgeted in size-budget.mjs). */
import { readFileSync, readdirSync } from 'node:fs';
import { bundleSizes } from './size-budget.mjs';

let over = false;
for (const { name, gzip, budget } of bundleSizes()) {
  const ok = gzip <= budget;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${name}: ${gzip} bytes gzip -9 (budget ${budget})`);
}
// The whole ISO 4217 table (@kassa/core/currencies) is server and wire only: formatting needs
// just core's small minor-units table. One of the table's names in a bundle means it leaked in.
const TABLE_MARKER = 'Bond Markets Unit';
const scripts = readdirSync(new URL('./dist/', import.meta.url), { recursive: true }).filter((f) => String(f).endsWith('.js'));
for (const file of scripts.map((f) => `dist/${String(f)}`)) {
  if (readFileSync(new URL(file, import.meta.url), 'utf8').includes(TABLE_MARKER)) {
    over = true;
    console.log(`OVER ${file}: contains the ISO 4217 table (import money from @kassa/core, not @kassa/core/currencies)`);
  }
}
if (over) process.exit(1);
