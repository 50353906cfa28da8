/**
 * One-click pay: a signed-in shopper pays once with a new card and ticks "save"; the next
 * checkout offers that card and pays with one click, no card entry at all.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CARDS,
  cardFrame,
  checkout,
  fillCard,
  intentIdOf,
  openShop,
  payButton,
  saveCardCheckbox,
  screenshot,
  startStack,
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

test('a saved UnionPay card pays the next purchase in one click', async () => {
  const first = await stack.newPage();
  await openShop(stack, first, '/', { signedIn: true });
  await fillCard(first, CARDS.unionpay);
  await saveCardCheckbox(first).check();
  await payButton(first).click();
  const paid = await waitForKassaEvent(first, 'kassa-payment-succeeded');
  const firstIntent = await stack.retrieveIntent(intentIdOf(paid));
  assert.equal(firstIntent.status, 'succeeded');

  const second = await stack.newPage();
  await openShop(stack, second, '/', { signedIn: true });
  const oneClick = checkout(second).getByRole('button', { name: 'Pay CN¥128.00 with UnionPay ending 0005' });
  await oneClick.waitFor();
  await screenshot(second, 'one-click-saved-card');
  await oneClick.click();
  const detail = await waitForKassaEvent(second, 'kassa-payment-succeeded');

  const intent = await stack.retrieveIntent(intentIdOf(detail));
  assert.notEqual(intent.id, firstIntent.id);
  assert.equal(intent.status, 'succeeded');
  assert.equal(intent.amount_received, 12800);
  assert.ok(intent.payment_method?.startsWith('pm_'), `paid with the saved card: ${intent.payment_method}`);
  // One click means no card entry: the number field was never filled on this page.
  const numberField = cardFrame(second).locator('input[autocomplete="cc-number"]');
  if ((await numberField.count()) > 0) assert.equal(await numberField.inputValue(), '');
});
