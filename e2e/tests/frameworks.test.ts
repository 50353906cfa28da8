/**
 * The same ¥128.00 purchase through each integration the demo shows: the script tag, the
 * React wrapper and the Vue wrapper. Each must end in a succeeded intent on the server.
 * The script tag is pinned (`/kassa@<version>.js` with an integrity hash): Chromium must run
 * it, and must refuse it when its bytes differ from the hash.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { CARDS, cspViolations, fillCard, intentIdOf, openShop, payButton, screenshot, startStack, waitForKassaEvent, type Stack } from '../harness.js';

let stack: Stack;

/** The page's classic kassa.js script element, as the demo rendered it. */
async function kassaScriptTag(page: Page): Promise<{ src: string; integrity: string | null; crossOrigin: string | null } | null> {
  return page.evaluate(() => {
    const el = document.querySelector<HTMLScriptElement>('script[src*="/kassa"][src$=".js"]:not([type="module"])');
    return el ? { src: el.src, integrity: el.getAttribute('integrity'), crossOrigin: el.getAttribute('crossorigin') } : null;
  });
}

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

for (const [label, path] of [
  ['script tag', '/'],
  ['React', '/react'],
  ['Vue', '/vue'],
] as const) {
  test(`${label} page (${path}): the success card pays ¥128.00 and the intent is succeeded`, async () => {
    const page = await stack.newPage();
    await openShop(stack, page, path);
    if (path === '/') {
      // Pinned, with the integrity Kassa publishes; the element being defined means Chromium ran
      // the script, i.e. the bytes it fetched matched the hash.
      const manifest = (await (await fetch(`${stack.kassaUrl}/kassa.json`)).json()) as { version: string; integrity: string };
      assert.deepEqual(await kassaScriptTag(page), {
        src: `${stack.kassaUrl}/kassa@${manifest.version}.js`,
        integrity: manifest.integrity,
        crossOrigin: 'anonymous',
      });
      assert.equal(await page.evaluate(() => customElements.get('kassa-checkout') !== undefined), true);
    }
    assert.match((await payButton(page).textContent()) ?? '', /^\s*Pay\s+CN¥128\.00\s*$/);
    await fillCard(page, CARDS.visa);
    await payButton(page).click();
    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    await screenshot(page, `framework-${path === '/' ? 'script' : path.slice(1)}`);

    const intent = await stack.retrieveIntent(intentIdOf(detail));
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 12800);
    assert.equal(intent.currency, 'cny');
    // The demo serves a strict CSP (no inline script or style); nothing may have been refused.
    assert.deepEqual(await cspViolations(page), []);
  });
}

test('script tag page: a kassa.js whose bytes do not match the integrity is refused by Chromium', async () => {
  const page = await stack.newPage();
  const refused: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') refused.push(message.text());
  });
  // Play a compromised CDN or proxy: the same response with one byte more.
  await page.route(/\/kassa@[^/]+\.js$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `${await response.text()}\n;` });
  });
  await page.goto(`${stack.demoUrl}/`);
  const tag = await kassaScriptTag(page);
  assert.match(tag?.integrity ?? '', /^sha384-/);
  await page.waitForLoadState('load');
  assert.equal(await page.evaluate(() => customElements.get('kassa-checkout') === undefined), true, 'the tampered script did not run');
  assert.ok(refused.some((text) => /integrity/i.test(text)), `Chromium reports the integrity failure: ${JSON.stringify(refused)}`);
});
