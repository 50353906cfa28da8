/**
 * Card outcomes through the script-tag page, checked twice: what the shopper and the host
 * page see, and what the merchant API says actually happened to the money.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CARDS,
  cardFrame,
  cspViolations,
  events,
  fillCard,
  intentIdOf,
  intentIdOnPage,
  openShop,
  payButton,
  screenshot,
  startStack,
  statusLine,
  waitForKassaEvent,
  type Stack,
} from '../harness.js';
import type { Page } from 'playwright-core';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/** The 3-D Secure challenge is the sandbox issuer's page, framed inside the element. */
function challengeFrame(page: Page) {
  return page.frameLocator('kassa-checkout iframe[src*="/sandbox/3ds/"]');
}

describe('paying on the script-tag page', () => {
  test('the success card pays, the page hears kassa-payment-succeeded and the intent is succeeded', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    assert.match((await payButton(page).textContent()) ?? '', /^\s*Pay\s+CN¥128\.00\s*$/);

    await fillCard(page, CARDS.visa);
    await payButton(page).click();
    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    await screenshot(page, 'pay-success');

    const id = intentIdOf(detail);
    assert.equal(id, await intentIdOnPage(page));
    const intent = await stack.retrieveIntent(id);
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount, 12800);
    assert.equal(intent.currency, 'cny');
    assert.equal(intent.amount_received, 12800);
    assert.deepEqual(
      (await events(page)).map((e) => e.type).filter((t) => t !== 'kassa-ready'),
      ['kassa-payment-succeeded'],
      'exactly one outcome event, and no failure before it',
    );
  });

  test('refresh(): the merchant updates the amount on the server, the element shows and charges the new one, and what was typed stays', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    const id = await intentIdOnPage(page);
    await fillCard(page, CARDS.visa);
    const frameUrl = await page.locator('kassa-checkout iframe').first().getAttribute('src');
    // The merchant's backend changes the order (a coupon): POST /v1/payment_intents/:id.
    const updated = await stack.api('POST', `/v1/payment_intents/${id}`, { amount: 9900 });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await page.evaluate(async () => {
      const el = document.querySelector('kassa-checkout') as HTMLElement & { refresh(): Promise<void> };
      await el.refresh();
    });
    await page.waitForFunction(() => /CN¥99\.00/.test(document.querySelector('kassa-checkout')?.shadowRoot?.textContent ?? ''));
    assert.equal(await page.locator('kassa-checkout iframe').first().getAttribute('src'), frameUrl, 'the card frame was not reloaded');
    await payButton(page).click();
    await waitForKassaEvent(page, 'kassa-payment-succeeded');
    const intent = await stack.retrieveIntent(id);
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 9900, 'the card typed before the change paid the new amount');
  });

  test('insufficient funds: declined with a clear message, and nothing is charged', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    const id = await intentIdOnPage(page);

    await fillCard(page, CARDS.insufficientFunds);
    await payButton(page).click();
    const detail = await waitForKassaEvent(page, 'kassa-payment-failed');
    await screenshot(page, 'pay-insufficient-funds');

    const error = (detail as { error?: { code?: string; decline_code?: string } }).error;
    assert.ok(error?.code === 'card_declined' || error?.code === 'insufficient_funds', JSON.stringify(error));
    assert.equal(error?.decline_code ?? error?.code, 'insufficient_funds');
    assert.equal((await statusLine(page).textContent())?.trim(), 'Your card has insufficient funds.');

    const intent = await stack.retrieveIntent(id);
    assert.notEqual(intent.status, 'succeeded');
    assert.equal(intent.status, 'requires_payment_method', 'the shopper may try another card');
    assert.equal(intent.amount_received, 0);
    assert.equal(intent.amount_capturable, 0, 'no hold left on the card');
    assert.equal(intent.last_payment_error?.decline_code, 'insufficient_funds');
    assert.ok(!(await events(page)).some((e) => e.type === 'kassa-payment-succeeded'));
  });

  test('after a decline the shopper pays the same order with another card', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    const id = await intentIdOnPage(page);
    await fillCard(page, CARDS.insufficientFunds);
    await payButton(page).click();
    await waitForKassaEvent(page, 'kassa-payment-failed');

    // Same element, same intent: a new token and a new idempotency key, no page reload.
    await fillCard(page, CARDS.visa);
    await payButton(page).click();
    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    assert.equal(intentIdOf(detail), id);
    const intent = await stack.retrieveIntent(id);
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 12800, 'charged once, not twice');
  });

  test('the limited-balance Mastercard pays ¥128.00 once, then the second purchase is refused', async () => {
    const first = await stack.newPage();
    await openShop(stack, first, '/');
    await fillCard(first, CARDS.limitedMastercard);
    await payButton(first).click();
    const ok = await waitForKassaEvent(first, 'kassa-payment-succeeded');
    assert.equal((await stack.retrieveIntent(intentIdOf(ok))).status, 'succeeded');
    // The issuer's side: ¥200.00 − ¥128.00 captured, nothing left on hold.
    assert.deepEqual(stack.sandboxAccount(CARDS.limitedMastercard, 'cny'), { balance: 7200, held: 0 });

    const second = await stack.newPage();
    await openShop(stack, second, '/');
    const secondId = await intentIdOnPage(second);
    assert.notEqual(secondId, intentIdOf(ok), 'each visit gets its own intent');
    await fillCard(second, CARDS.limitedMastercard);
    await payButton(second).click();
    const failed = await waitForKassaEvent(second, 'kassa-payment-failed');
    const error = (failed as { error?: { decline_code?: string; code?: string } }).error;
    assert.equal(error?.decline_code ?? error?.code, 'insufficient_funds');

    const intent = await stack.retrieveIntent(secondId);
    assert.notEqual(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 0);
    // Nothing charged and nothing held by the refused attempt.
    assert.deepEqual(stack.sandboxAccount(CARDS.limitedMastercard, 'cny'), { balance: 7200, held: 0 });
  });

  test('3-D Secure: the challenge appears, "Complete authentication" completes the payment', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    await fillCard(page, CARDS.threeDSecure);
    await payButton(page).click();

    const action = await waitForKassaEvent(page, 'kassa-action-required');
    assert.equal((action as { action?: { type?: string } }).action?.type, 'three_d_secure');
    const complete = challengeFrame(page).getByRole('button', { name: 'Complete authentication' });
    await complete.waitFor();
    await screenshot(page, 'pay-3ds-challenge');
    // The challenge page runs under its own strict CSP, framed by the shop's strict CSP.
    assert.deepEqual(await cspViolations(page), []);
    await complete.click();

    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    const intent = await stack.retrieveIntent(intentIdOf(detail));
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 12800);
    assert.deepEqual(await cspViolations(page), []);
  });

  test('3-D Secure: "Fail authentication" shows a failure and charges nothing', async () => {
    const page = await stack.newPage();
    await openShop(stack, page, '/');
    const id = await intentIdOnPage(page);
    await fillCard(page, CARDS.threeDSecure);
    await payButton(page).click();

    const fail = challengeFrame(page).getByRole('button', { name: 'Fail authentication' });
    await fail.waitFor();
    await fail.click();

    const detail = await waitForKassaEvent(page, 'kassa-payment-failed');
    const error = (detail as { error?: { code?: string; message?: string } }).error;
    assert.ok(error?.code, `a failure carries a code: ${JSON.stringify(detail)}`);
    assert.match((await statusLine(page).textContent()) ?? '', /could not verify this payment with your bank/);
    await screenshot(page, 'pay-3ds-failed');

    const intent = await stack.retrieveIntent(id);
    assert.notEqual(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 0);
    assert.ok(!(await events(page)).some((e) => e.type === 'kassa-payment-succeeded'));
    // The challenge frame is gone once the shopper answered it.
    assert.equal(await page.locator('kassa-checkout iframe[src*="/sandbox/3ds/"]').count(), 0);
    // And the card frame is still there for another attempt.
    await cardFrame(page).locator('input[autocomplete="cc-number"]').waitFor();
  });
});
