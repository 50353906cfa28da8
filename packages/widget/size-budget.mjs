/**
 * The one place the browser bundles' size is measured and budgeted: gzip at level 9 (as
 * `gzip -9 -c file | wc -c`), 12.5 KiB (12,800 bytes) each: 12 KiB until wallet payments (Alipay,
 * PayPal) took kassa.js past it (README.md, "Builds and sizes", says why and by how much).
 * kassa.js ships on every merchant page, the card frame's script on every card entry; both
 * carry Lit. The frame counts its entry plus every chunk the entry imports statically (what the
 * page must load before the fields show); locale chunks, loaded on demand, are listed on their
 * own. Used by check-size.mjs (the build fails over budget), e2e/tests/bundles.test.ts (the
 * test run) and bench/run.ts (the report).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 12.5 * 1024;

export const gzipSize = (bytes) => gzipSync(bytes, { level: 9 }).length;

const dist = new URL('./dist/', import.meta.url);

/** `{ name, files, raw, gzip, budget }` per budgeted bundle; throws if the widget is not built. */
export function bundleSizes() {
  const frameFiles = ['frame/card.js', ...staticImports('frame/card.js')];
  return [
    { name: 'kassa.js', files: ['kassa.js'] },
    { name: 'frame (card.js + static chunks)', files: frameFiles },
  ].map(({ name, files }) => {
    const bytes = files.map((f) => readFileSync(new URL(f, dist)));
    return {
      name,
      files,
      raw: bytes.reduce((n, b) => n + b.length, 0),
      gzip: bytes.reduce((n, b) => n + gzipSize(b), 0),
      budget: BUDGET_BYTES,
    };
  });
}

/** The frame's locale chunks, loaded only for the locale a shopper needs. */
export function localeChunks() {
  return readdirSync(new URL('frame/', dist))
    .filter((f) => f.endsWith('.js') && f !== 'card.js')
    .map((f) => ({ file: `frame/${f}`, gzip: gzipSize(readFileSync(new URL(`frame/${f}`, dist))) }));
}

/** Chunks a module imports statically (`import … from "./x.js"`), transitively. */
function staticImports(file, seen = new Set()) {
  const code = readFileSync(new URL(file, dist), 'utf8');
  for (const match of code.matchAll(/(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) {
    const dep = `frame/${match[1]}`;
    if (!seen.has(dep)) {
      seen.add(dep);
      staticImports(dep, seen);
    }
  }
  return [...seen];
}
