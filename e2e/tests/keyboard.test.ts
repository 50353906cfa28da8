/**
 * Keyboard-only purchases, in English and Chinese: nothing is clicked. The shopper tabs into
 * the card frame, types (the frame moves on by itself as each field completes), presses Enter
 * in the last field; a 3-D Secure challenge takes the focus once its page has loaded, Enter
 * completes it, and focus comes back out to the confirmation; a returning shopper tabs to the
 * saved-card button and presses Enter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { CARDS, CVC, EXPIRY, focused, intentIdOf, startStack, waitForKassaEvent, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/** Presses Tab until `where` holds (at most `max` times), as a shopper would look for the field. */
async function tabUntil(page: Page, where: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (where(await focused(page))) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`never reached by Tab; focus is on ${JSON.stringify(await focused(page))}`);
}

/** Activates a control of the shop itself by keyboard: focus it, press Enter (or Space for a checkbox). */
async function press(page: Page, testId: string, key = 'Enter'): Promise<void> {
  await page.getByTestId(testId).focus();
  await page.keyboard.press(key);
}

const inCardFrame = (field: string) => (f: Awaited<ReturnType<typeof focused>>) => f.some((x) => x.frame === '/frame/card' && x.id === field);

async function startCheckout(page: Page, locale: 'en' | 'zh-CN', { signedIn = false, product = 'tea' } = {}): Promise<void> {
  await page.goto(`${stack.demoUrl}/?locale=${locale}`);
  await press(page, `add-to-cart-${product}`);
  if (signedIn && !(await page.getByTestId('signed-in-toggle').isChecked())) await press(page, 'signed-in-toggle', 'Space');
  await press(page, 'checkout-button');
  await waitForKassaEvent(page, 'kassa-ready');
}

async function typeCard(page: Page, number: string): Promise<void> {
  await tabUntil(page, inCardFrame('number'));
  await page.keyboard.type(number);
  // A complete number moves the caret on; so does a complete expiry date.
  await tabUntil(page, inCardFrame('expiry'), 1);
  await page.keyboard.type(EXPIRY);
  await tabUntil(page, inCardFrame('cvc'), 1);
  await page.keyboard.type(CVC);
}

const text = {
  en: { paid: /^Paid CN¥128\.00 with Visa ending 4242\. Thank you!$/, complete: 'Complete authentication', saved: 'Pay CN¥58.00 with UnionPay ending 0005' },
  'zh-CN': { paid: /^已使用尾号 4242 的Visa卡支付 ¥128\.00，谢谢！$/, complete: '完成验证', saved: '使用 尾号 0005 的银联卡 支付 ¥58.00' },
} as const;

for (const locale of ['en', 'zh-CN'] as const) {
  describe(`keyboard only (${locale})`, () => {
    test('a new card: Tab into the frame, type, Enter pays; focus lands on the confirmation', async () => {
      const page = await stack.newPage({ locale });
      await startCheckout(page, locale);
      await typeCard(page, CARDS.visa);
      await page.keyboard.press('Enter');
      const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
      assert.equal((await stack.retrieveIntent(intentIdOf(detail))).status, 'succeeded');
      const [where] = await focused(page);
      assert.equal(where?.tag, 'p', 'focus on the status line');
      assert.match(where?.text ?? '', text[locale].paid);
    });

    test('3-D Secure: focus moves into the challenge once loaded, Enter completes it, focus comes back', async () => {
      const page = await stack.newPage({ locale });
      await startCheckout(page, locale);
      await typeCard(page, CARDS.threeDSecure);
      await page.keyboard.press('Enter');
      await waitForKassaEvent(page, 'kassa-action-required');
      // Focus moves into the bank's frame by itself once its page is there (its own page script
      // then puts it on the first choice when the window has the focus; one Tab gets there too).
      const inChallenge = (where: Awaited<ReturnType<typeof focused>>) => where.find((f) => f.frame.startsWith('/sandbox/3ds/'));
      let where: Awaited<ReturnType<typeof focused>> = [];
      for (let i = 0; i < 50 && !inChallenge(where); i++) {
        await page.waitForTimeout(100);
        where = await focused(page);
      }
      assert.ok(inChallenge(where), `focus never moved into the challenge: ${JSON.stringify(where)}`);
      if (inChallenge(where)?.tag === 'body') await page.keyboard.press('Tab');
      const choice = inChallenge(await focused(page));
      assert.equal(choice?.tag, 'button', `focus: ${JSON.stringify(await focused(page))}`);
      assert.equal(choice?.text, text[locale].complete);
      await page.keyboard.press('Enter');
      const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
      assert.equal((await stack.retrieveIntent(intentIdOf(detail))).status, 'succeeded');
      await page.waitForFunction(() => {
        const host = document.querySelector('kassa-checkout');
        return host?.shadowRoot?.activeElement?.getAttribute('role') === 'status';
      });
    });

    test('a saved card: save it by keyboard, then the next order is Tab to the button and Enter', async () => {
      const page = await stack.newPage({ locale });
      await startCheckout(page, locale, { signedIn: true, product: 'mooncakes' });
      if (await page.locator('kassa-checkout').getByRole('button', { name: text[locale].saved }).isVisible()) {
        // Saved by the other locale's run (one signed-in shopper in the demo): pay with it by keyboard.
        await tabUntil(page, (f) => f.some((x) => x.tag === 'button' && x.text === text[locale].saved));
        await page.keyboard.press('Enter');
        await waitForKassaEvent(page, 'kassa-payment-succeeded');
        return;
      }
      await tabUntil(page, inCardFrame('number'));
      await page.keyboard.type(CARDS.unionpay);
      await page.keyboard.type(EXPIRY);
      await page.keyboard.type(CVC);
      // Out of the frame to the "Save card" box, Space ticks it, then on to the pay button.
      await tabUntil(page, (f) => f.some((x) => x.frame === '/' && x.tag === 'input'));
      await page.keyboard.press('Space');
      await tabUntil(page, (f) => f.some((x) => x.frame === '/' && x.tag === 'button' && /^(Pay|支付)/.test(x.text)));
      await page.keyboard.press('Enter');
      await waitForKassaEvent(page, 'kassa-payment-succeeded');

      await press(page, 'new-order');
      await press(page, 'add-to-cart-mooncakes');
      await press(page, 'checkout-button');
      await page.locator('kassa-checkout').getByRole('button', { name: text[locale].saved }).waitFor();
      await tabUntil(page, (f) => f.some((x) => x.tag === 'button' && x.text === text[locale].saved));
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => (window as unknown as { __kassaEvents: { type: string }[] }).__kassaEvents.filter((e) => e.type === 'kassa-payment-succeeded').length === 2);
    });
  });
}
