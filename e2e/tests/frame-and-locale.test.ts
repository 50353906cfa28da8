/**
 * The card frame's isolation from the host page, and the Chinese locale.
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CARDS, cardFrame, checkout, fillCard, openShop, payButton, SCREENSHOT_DIR, startStack, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test('the host page cannot read the card input: the frame is cross-origin', async () => {
  const page = await stack.newPage();
  await openShop(stack, page, '/');
  await fillCard(page, CARDS.visa);
  // The shopper really typed the number (inside the frame)…
  assert.equal(await cardFrame(page).locator('input[autocomplete="cc-number"]').inputValue().then((v) => v.replace(/\D/g, '')), CARDS.visa);

  // …and the merchant's own scripts cannot get at it.
  const seen = await page.evaluate(() => {
    const host = document.querySelector('kassa-checkout');
    const iframe = host?.shadowRoot?.querySelector('iframe') ?? document.querySelector('kassa-checkout iframe');
    if (!(iframe instanceof HTMLIFrameElement)) return { found: false };
    let windowDocument = 'readable';
    try {
      void iframe.contentWindow?.document;
    } catch (err) {
      windowDocument = (err as Error).name;
    }
    return {
      found: true,
      src: iframe.src,
      contentDocumentIsNull: iframe.contentDocument === null,
      windowDocument,
      // The page's own DOM must hold no trace of the number either.
      pageHasNumber: document.documentElement.outerHTML.includes('4242424242424242') ||
        (host?.shadowRoot?.innerHTML ?? '').includes('4242'),
    };
  });
  assert.equal(seen.found, true, 'the element renders an iframe');
  assert.ok(seen.src?.startsWith(`${stack.kassaUrl}/frame/card`), `frame served by Kassa: ${seen.src}`);
  assert.equal(new URL(seen.src ?? '').origin === stack.demoOrigin, false);
  assert.equal(seen.contentDocumentIsNull, true);
  assert.equal(seen.windowDocument, 'SecurityError');
  assert.equal(seen.pageHasNumber, false);
});

test('in Chinese the button reads 支付 ¥128.00', async () => {
  const page = await stack.newPage({ locale: 'zh-CN' });
  await openShop(stack, page, '/', { locale: 'zh-CN' });
  const text = (await payButton(page).textContent())?.replace(/\s+/g, ' ').trim();
  assert.equal(text, '支付 ¥128.00');
  assert.equal(await checkout(page).getAttribute('locale'), 'zh-CN');
  await assertFrameShowsWholeForm(page);
  await page.screenshot({ path: `${SCREENSHOT_DIR}zh-CN.png` });
});

test('a typed 16-digit number is fully visible in the frame, next to the brand', async () => {
  const page = await stack.newPage();
  await openShop(stack, page, '/');
  await fillCard(page, CARDS.visa);
  const number = cardFrame(page).locator('input[autocomplete="cc-number"]');
  await number.blur();
  // Shoppers check the last digits they typed; none may be cut off or hidden under the brand.
  const fit = await number.evaluate((el) => {
    const input = el as HTMLInputElement;
    return { clientWidth: input.clientWidth, scrollWidth: input.scrollWidth };
  });
  assert.ok(fit.scrollWidth <= fit.clientWidth, `number overflows its field: ${JSON.stringify(fit)}`);
});

test('README screenshot: the checkout with a card typed in, brand recognised in the frame', async () => {
  const page = await stack.newPage();
  await openShop(stack, page, '/');
  await fillCard(page, CARDS.visa);
  // The brand is detected inside the frame as the shopper types, and shown next to the number.
  assert.equal((await cardFrame(page).locator('#number-brand').textContent())?.trim(), 'Visa');
  await page.getByTestId('checkout').scrollIntoViewIfNeeded();
  const shot = `${SCREENSHOT_DIR}checkout.png`;
  await page.screenshot({ path: shot });
  // docs/checkout.png is committed; refresh it only when asked, so test runs leave git clean.
  if (process.env.KASSA_UPDATE_DOCS_SCREENSHOT === '1') {
    await copyFile(shot, fileURLToPath(new URL('../../docs/checkout.png', import.meta.url)));
  }
});

/**
 * The card frame sizes itself (it posts `resize`); the host must end up showing the whole form,
 * in every language, or the shopper sees inputs cut off. Waits for the sizes to settle.
 */
async function assertFrameShowsWholeForm(page: Page): Promise<void> {
  let last = { content: 0, shown: 0 };
  for (let i = 0; i < 50; i++) {
    const frame = page.frames().find((f) => f.url().includes('/frame/card'));
    const content = frame ? await frame.evaluate(() => document.querySelector('kassa-card-frame')?.getBoundingClientRect().bottom ?? 0) : 0;
    const shown = await page.evaluate(() => {
      const iframe = document.querySelector('kassa-checkout')?.shadowRoot?.querySelector('iframe');
      return iframe ? iframe.clientHeight : 0;
    });
    last = { content, shown };
    if (content > 0 && shown >= content) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`the card frame shows ${last.shown}px of its ${last.content}px form`);
}
