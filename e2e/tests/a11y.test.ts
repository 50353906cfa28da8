/**
 * axe-core (from npm, injected into the page and into every frame) finds no WCAG 2.2 A/AA
 * violation in any state a shopper meets: ready, field errors, each decline, the 3-D Secure
 * challenge and its failure, success, the saved card — in English and Chinese.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  CARDS,
  assertAccessible,
  cardFrame,
  checkout,
  fillCard,
  openShop,
  payButton,
  startStack,
  statusLine,
  waitForKassaEvent,
  type Stack,
} from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const challenge = (page: Page) => page.frameLocator('kassa-checkout iframe[src*="/sandbox/3ds/"]');

/** The sandbox's declining cards (README "Test cards"), each with the sentence the shopper reads. */
const DECLINES: ReadonlyArray<[string, string, RegExp]> = [
  ['insufficient funds', CARDS.insufficientFunds, /insufficient funds/],
  ['generic decline', '4000000000000002', /was declined/],
  ['expired card', '4000000000000069', /has expired/],
  ['incorrect CVC', '4000000000000127', /security code is incorrect/],
  ['processing error', '4000000000000119', /error occurred while processing/],
];

for (const locale of ['en', 'zh-CN'] as const) {
  describe(`every state is accessible (${locale})`, () => {
    test('ready: the shop page, the element and the card frame', async () => {
      const page = await stack.newPage({ locale });
      await openShop(stack, page, '/', { locale, ready: true });
      await assertAccessible(page, 'ready');
    });

    test('field errors: an invalid number and an incomplete form pointed out', async () => {
      const page = await stack.newPage({ locale });
      await openShop(stack, page, '/', { locale, ready: true });
      const number = cardFrame(page).locator('input[autocomplete="cc-number"]');
      await number.fill('4242424242424241');
      await cardFrame(page).locator('input[autocomplete="cc-exp"]').fill('1');
      await number.focus();
      await payButton(page).click();
      await cardFrame(page).locator('[aria-invalid="true"]').first().waitFor();
      assert.ok((await cardFrame(page).locator('.error').allTextContents()).some((t) => t.trim() !== ''), 'an error is shown');
      await assertAccessible(page, 'field errors');
    });

    test('the 3-D Secure challenge, in the shopper’s language, and its failure', async () => {
      const page = await stack.newPage({ locale });
      await openShop(stack, page, '/', { locale, ready: true });
      await fillCard(page, CARDS.threeDSecure);
      await payButton(page).click();
      const fail = challenge(page).getByRole('button', { name: locale === 'en' ? 'Fail authentication' : '验证失败' });
      await fail.waitFor();
      assert.equal(await challenge(page).locator('html').getAttribute('lang'), locale);
      await assertAccessible(page, '3-D Secure challenge');
      await fail.click();
      await waitForKassaEvent(page, 'kassa-payment-failed');
      await assertAccessible(page, '3-D Secure failed');
    });

    test('success: the confirmation names the amount and the card', async () => {
      const page = await stack.newPage({ locale });
      await openShop(stack, page, '/', { locale, ready: true });
      await fillCard(page, CARDS.visa);
      await payButton(page).click();
      await waitForKassaEvent(page, 'kassa-payment-succeeded');
      const text = (await statusLine(page).textContent()) ?? '';
      assert.match(text, locale === 'en' ? /^Paid CN¥128\.00 with Visa ending 4242\. Thank you!$/ : /^已使用尾号 4242 的Visa卡支付 ¥128\.00，谢谢！$/);
      await assertAccessible(page, 'success');
    });

    test('the saved card: one button that says amount, brand and last digits', async () => {
      const page = await stack.newPage({ locale });
      await openShop(stack, page, '/', { locale, ready: true, signedIn: true, product: 'mooncakes' });
      // The demo has one signed-in shopper: the first run saves the card, later ones find it saved.
      if (await cardFrame(page).locator('input[autocomplete="cc-number"]').isVisible()) {
        await fillCard(page, CARDS.unionpay, { save: true });
        await payButton(page).click();
        await waitForKassaEvent(page, 'kassa-payment-succeeded');
        await page.getByTestId('new-order').click();
        await page.getByTestId('add-to-cart-mooncakes').click();
        await page.getByTestId('checkout-button').click();
      }
      const name = locale === 'en' ? 'Pay CN¥58.00 with UnionPay ending 0005' : '使用 尾号 0005 的银联卡 支付 ¥58.00';
      await checkout(page).getByRole('button', { name }).waitFor();
      await assertAccessible(page, 'saved card');
    });
  });
}

describe('each decline is accessible and says why', () => {
  for (const [label, number, sentence] of DECLINES) {
    test(label, async () => {
      const page = await stack.newPage();
      await openShop(stack, page, '/', { ready: true });
      await fillCard(page, number);
      await payButton(page).click();
      await waitForKassaEvent(page, 'kassa-payment-failed');
      assert.match((await statusLine(page).textContent()) ?? '', sentence);
      await assertAccessible(page, label);
    });
  }

  test('an incorrect-CVC decline clears only the CVC; the card and date stay', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/', { ready: true });
    await fillCard(page, '4000000000000127');
    await payButton(page).click();
    await waitForKassaEvent(page, 'kassa-payment-failed');
    const frame = cardFrame(page);
    assert.equal((await frame.locator('input[autocomplete="cc-number"]').inputValue()).replace(/\s/g, ''), '4000000000000127');
    assert.equal(await frame.locator('input[autocomplete="cc-exp"]').inputValue(), '12/34');
    assert.equal(await frame.locator('input[autocomplete="cc-csc"]').inputValue(), '');
    // The caret waits in the one field that needs typing again.
    await frame.locator('input[autocomplete="cc-csc"]:focus').waitFor();
  });
});
