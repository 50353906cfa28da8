/**
 * What a phone, a shopper who asks for less motion, and forced-colours mode get: the checkout
 * reflows at 320 CSS px with nothing cut off or scrolling sideways (WCAG 1.4.10), every target
 * is at least 24 px (2.5.8), no focus ring is clipped by the frame's edge, the busy pulse stops
 * under prefers-reduced-motion, and field borders survive forced colours.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CARDS, cardFrame, checkout, fillCard, openShop, payButton, startStack, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/**
 * Waits until the checkout's box and its frame's height stay the same over five animation frames
 * (at most 3 s): the frame grows to its content after each message from it, so a measure taken
 * between two of those steps sees a layout the shopper never ends with.
 */
async function settledLayout(page: Parameters<typeof checkout>[0]): Promise<void> {
  // No named functions inside: the test runner's transform would wrap them in a helper the page lacks.
  await page.evaluate(async () => {
    const host = document.querySelector('kassa-checkout')!;
    const deadline = performance.now() + 3000;
    let last = '';
    let same = 0;
    while (same < 5 && performance.now() < deadline) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const r = host.getBoundingClientRect();
      const now = `${r.x},${r.width},${host.shadowRoot?.querySelector('iframe')?.clientHeight ?? 0}`;
      same = now === last ? same + 1 : 0;
      last = now;
    }
  });
}

test('reflows at 320 px: no sideways scrolling in the page or the frame, the whole form shown', async () => {
  for (const locale of ['en', 'zh-CN'] as const) {
    const page = await stack.newPage({ locale, width: 320 });
    await openShop(stack, page, '/', { locale, ready: true });
    await fillCard(page, CARDS.visa);
    await settledLayout(page);
    const frame = page.frames().find((f) => f.url().includes('/frame/card'))!;
    const inside = await frame.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth }));
    assert.ok(inside.scroll <= inside.width, `${locale}: the frame scrolls sideways: ${JSON.stringify(inside)}`);
    const box = await checkout(page).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 320, `${locale}: element outside the viewport: ${JSON.stringify(box)}`);
    const shown = await page.evaluate(() => document.querySelector('kassa-checkout')!.shadowRoot!.querySelector('iframe')!.clientHeight);
    const content = await frame.evaluate(() => Math.ceil(document.querySelector('kassa-card-frame')!.getBoundingClientRect().bottom));
    assert.ok(shown >= content, `${locale}: frame shows ${shown}px of ${content}px`);
    const fit = await cardFrame(page).locator('input[autocomplete="cc-number"]').evaluate((el) => [el.scrollWidth, el.clientWidth]);
    assert.ok(fit[0]! <= fit[1]!, `${locale}: the number overflows its field`);
  }
});

test('every control is at least 24 × 24 px, and a focused field’s ring lies inside the frame', async () => {
  const page = await stack.newPage();
  await openShop(stack, page, '/', { ready: true, signedIn: true });
  const small = await checkout(page).evaluate((el) =>
    Array.from(el.shadowRoot!.querySelectorAll("button, input")).map((c) => c.getBoundingClientRect()).filter((r) => r.width < 24 || r.height < 24).length,
  );
  assert.equal(small, 0);
  const number = cardFrame(page).locator('input[autocomplete="cc-number"]');
  await number.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const ring = await number.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    const out = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
    return { left: r.left - out, top: r.top - out, right: r.right + out, width: document.documentElement.clientWidth, outline: s.outlineStyle };
  });
  assert.equal(ring.outline, 'solid');
  assert.ok(ring.left >= 0 && ring.top >= 0 && ring.right <= ring.width, `ring clipped: ${JSON.stringify(ring)}`);
});

test('prefers-reduced-motion stops the busy pulse; forced colours keep the fields’ borders', async () => {
  const page = await stack.newPage();
  await page.emulateMedia({ reducedMotion: 'reduce', forcedColors: 'active' });
  await openShop(stack, page, '/', { ready: true });
  await fillCard(page, CARDS.threeDSecure);
  await payButton(page).click();
  await checkout(page).locator('iframe[part=challenge]').waitFor();
  const animation = await payButton(page).evaluate((el) => getComputedStyle(el).animationName);
  assert.equal(animation, 'none');
  const border = await cardFrame(page)
    .locator('input[autocomplete="cc-number"]')
    .evaluate((el) => [getComputedStyle(el).borderTopStyle, parseFloat(getComputedStyle(el).borderTopWidth)] as const);
  assert.equal(border[0], 'solid');
  assert.ok(border[1] >= 1);

  const moving = await stack.newPage();
  await openShop(stack, moving, '/', { ready: true });
  await fillCard(moving, CARDS.threeDSecure);
  await payButton(moving).click();
  assert.equal(await payButton(moving).evaluate((el) => getComputedStyle(el).animationName), 'kassa-busy');
});
