/**
 * The same ¥128.00 purchase through each integration the demo shows: the script tag, the
 * React wrapper and the Vue wrapper. Each must end in a succeeded intent on the server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CARDS, cspViolations, fillCard, intentIdOf, openShop, payButton, screenshot, startStack, waitForKassaEvent, type Stack } from '../harness.js';

let stack: Stack;
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
    assert.match((await payButton(page).textContent()) ?? '', /Pay\s+¥128\.00/);
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
