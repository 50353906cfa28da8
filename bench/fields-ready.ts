/**
 * Navigation → fields ready, in Debian's Chromium, against the bare minimum any card frame costs:
 * the same browser loading a page with one cross-origin iframe. Both pages are served from
 * `localhost` and frame content from `127.0.0.1` (another site, as in production).
 *
 * - Kassa: a page with `<script src=…/kassa.js>` and `<kassa-checkout client-secret>` for a fresh
 *   intent; the time is `kassa-ready` (intent loaded, card frame rendered in the shopper's
 *   language and talking to the element), as `performance.now()` since navigation start.
 * - Bare: a page with one `<iframe>` of a tiny HTML document on the other site that posts a message
 *   to its parent as soon as it runs; the time is that message.
 *
 * Each run is a fresh browser context (cold caches: a first-time shopper), the two alternate,
 * and the medians are compared. The Kassa server runs in this process, the browser in its own.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Types only (erased): bench/ is not a package, so name the e2e package's copy by path.
import type * as Playwright from '../e2e/node_modules/playwright-core/index.js';
import { startKassa } from '../packages/server/src/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

const requireFromE2e = createRequire(new URL('../e2e/package.json', import.meta.url));
const { chromium } = requireFromE2e('playwright-core') as typeof Playwright;

/**
 * How the page knows the fields are ready. By default the element's own \`kassa-ready\`. With
 * BENCH_READY=frame, without the element's help (for builds before kassa-ready existed, to compare
 * like with like): the card frame has posted \`ready\` to the page and the pay button is rendered.
 */
const READY_SCRIPT =
  process.env.BENCH_READY === 'frame'
    ? `let framed = false;
addEventListener('message', (e) => { if (e.data && e.data.type === 'ready') framed = true; });
(function poll() {
  const button = document.querySelector('kassa-checkout')?.shadowRoot?.querySelector('[part=button]');
  if (framed && button) window.__done = performance.now(); else requestAnimationFrame(poll);
})();`
    : `addEventListener('kassa-ready', () => { window.__done = performance.now(); });`;

export interface FieldsReady {
  runs: number;
  kassaMs: number[];
  bareMs: number[];
  kassaMedian: number;
  bareMedian: number;
  ratio: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function listen(handler: RequestListener, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
}

export async function fieldsReady(runs = Number(process.env.BENCH_BROWSER_RUNS ?? 15)): Promise<FieldsReady> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kassa-bench-browser-'));
  // The shop's port first: Kassa must allow its origin when it starts.
  let shopPort = 0;
  const secrets: string[] = [];
  const shop = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/kassa') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>checkout</title>
<script>${READY_SCRIPT}</script>
<script src="${kassaUrl}/kassa.js"></script></head>
<body><kassa-checkout client-secret="${secrets.shift() ?? ''}"></kassa-checkout></body></html>`);
    } else if (url.pathname === '/bare') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare</title>
<script>addEventListener('message', (e) => { if (e.data === 'framed') window.__done = performance.now(); });</script></head>
<body><iframe title="bare" src="http://127.0.0.1:${framePort}/framed"></iframe></body></html>`);
    } else res.writeHead(404).end();
  }, '127.0.0.1');
  shopPort = shop.port;
  const framed = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>f</title></head><body><script>parent.postMessage('framed', 'http://localhost:${shopPort}')</script></body></html>`);
  }, '127.0.0.1');
  const framePort = framed.port;
  const kassa = await startKassa({ dataDir, port: 0, host: '127.0.0.1', allowedOrigins: [`http://localhost:${shopPort}`], logLevel: 'warn' });
  const kassaUrl = kassa.url;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const result: FieldsReady = { runs, kassaMs: [], bareMs: [], kassaMedian: 0, bareMedian: 0, ratio: 0 };
  try {
    const measure = async (path: string): Promise<number> => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`http://localhost:${shopPort}${path}`);
      const done = await page.waitForFunction(() => (window as unknown as { __done?: number }).__done, undefined, { timeout: 20_000 });
      const ms = (await done.jsonValue()) as number;
      await context.close();
      return ms;
    };
    const intent = async () => {
      const res = await fetch(`${kassaUrl}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kassa.keys?.secretKey ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 12800, currency: 'cny' }),
      });
      secrets.push(((await res.json()) as { client_secret: string }).client_secret);
    };
    // One of each to warm the server (JIT, SQLite), not counted.
    await intent();
    await measure('/kassa');
    await measure('/bare');
    for (let i = 0; i < runs; i++) {
      await intent();
      result.kassaMs.push(await measure('/kassa'));
      result.bareMs.push(await measure('/bare'));
    }
  } finally {
    await browser.close();
    await kassa.close();
    shop.server.close();
    framed.server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  result.kassaMedian = median(result.kassaMs);
  result.bareMedian = median(result.bareMs);
  result.ratio = result.kassaMedian / result.bareMedian;
  return result;
}

// `node --import tsx bench/fields-ready.ts`: this measurement alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await fieldsReady();
  console.log(JSON.stringify({ ...r, kassaMs: r.kassaMs.map(Math.round), bareMs: r.bareMs.map(Math.round) }));
}
