/**
 * The browser bundles' budgets, measured the one way there is (packages/widget/size-budget.mjs:
 * gzip -9, 12 KiB each), and what the real server sends: compressed, with ETags, the frame
 * script from its immutable content-addressed URL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BUDGET_BYTES, bundleSizes } from '../../packages/widget/size-budget.mjs';
import { startStack, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test('kassa.js and the card frame each fit in 12 KiB gzip -9', () => {
  const sizes = bundleSizes();
  assert.equal(sizes.length, 2);
  for (const s of sizes) assert.ok(s.gzip <= BUDGET_BYTES, `${s.name}: ${s.gzip} bytes gzip -9, over ${BUDGET_BYTES}`);
});

test('the server sends kassa.js and the frame script brotli-compressed, the frame script from an immutable URL', async () => {
  const raw = await fetch(`${stack.kassaUrl}/kassa.js`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(raw.headers.get('content-encoding'), 'br');
  assert.ok(raw.headers.get('etag'));
  const html = await (await fetch(`${stack.kassaUrl}/frame/card?channel=chan_abcdefgh&origin=${encodeURIComponent(stack.demoOrigin)}&locale=ja`)).text();
  const src = /src="(\/frame\/card\.[0-9a-f]{16}\.js)"/.exec(html)?.[1];
  assert.ok(src, 'the frame page links a content-addressed script');
  assert.match(html, /<link rel="modulepreload" href="\/frame\/ja-[\w-]+\.js">/);
  const script = await fetch(`${stack.kassaUrl}${src}`, { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(script.headers.get('content-encoding'), 'br');
});
