/** Fails the build when a browser bundle outgrows its budget (measured and budgeted in size-budget.mjs). */
import { bundleSizes } from './size-budget.mjs';

let over = false;
for (const { name, gzip, budget } of bundleSizes()) {
  const ok = gzip <= budget;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${name}: ${gzip} bytes gzip -9 (budget ${budget})`);
}
if (over) process.exit(1);
