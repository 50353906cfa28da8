/**
 * Wallets in the demo, switched on by configuration alone: test mode keeps the sandbox for cards
 * and adds Alipay and PayPal (`providerSpecs`, as `kassa serve` reads them), whose strict fakes
 * stand in for the real services. In real Chromium the shopper picks the wallet on the shop
 * page; Alipay shows Kassa's QR code inside the element, which the shopper's phone (the fake's
 * app endpoint) scans and pays; PayPal opens its approval page in a window of its own, which
 * comes back through Kassa. Both end with the page told and the money taken once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Sensitive } from '../../packages/server/src/domain/ports.js';
import { AlipayFake } from '../../packages/server/test/fakes/alipay-fake.js';
import { PayPalFake } from '../../packages/server/test/fakes/paypal-fake.js';
import { checkout, cspViolations, events, intentIdOf, payButton, screenshot, startStack, statusLine, waitForKassaEvent, type Stack } from '../harness.js';

let stack: Stack;
let alipay: AlipayFake;
let paypal: PayPalFake;
before(async () => {
  alipay = await AlipayFake.start();
  paypal = await PayPalFake.start();
  stack = await startStack({
    providerSpecs: {
      test: [
        { type: 'sandbox' },
        { type: 'alipay', appId: alipay.appId, privateKey: new Sensitive(alipay.appPrivateKey!), alipayPublicKey: alipay.alipayPublicKey, gateway: alipay.gateway },
        { type: 'paypal', clientId: paypal.clientId, clientSecret: new Sensitive(paypal.clientSecret), apiBase: paypal.url, webhookId: paypal.webhookId },
      ],
    },
    wallets: ['alipay', 'paypal'],
  });
});
after(async () => {
  await stack?.close();
  await alipay?.close();
  await paypal?.close();
});

/** Kassa's action page (QR code, or the provider's window), framed inside the element. */
function actionFrame(page: Page) {
  return page.frameLocator('kassa-checkout iframe[src*="/actions/"]');
}

/** To the payment step with the wallet chosen on the shop page (the cart's product is in CNY or USD). */
async function checkoutWith(page: Page, wallet: 'alipay' | 'paypal', product: string, locale?: 'zh-CN'): Promise<void> {
  await page.goto(`${stack.demoUrl}/${locale ? `?locale=${locale}` : ''}`);
  await page.getByTestId(`add-to-cart-${product}`).click();
  await page.getByTestId('checkout-button').click();
  await page.getByTestId(`pay-with-${wallet}`).check();
  await payButton(page).waitFor({ state: 'visible' });
}

describe('wallets in the demo', () => {
  test('Alipay: the QR code shows inside the element, the phone pays, the page hears it; charged once', async () => {
    const page = await stack.newPage({ locale: 'zh-CN' });
    await checkoutWith(page, 'alipay', 'tea', 'zh-CN');
    assert.equal(await checkout(page).locator('iframe[src*="/frame/card"]').count(), 0, 'no card fields for a wallet');
    assert.match((await payButton(page).textContent()) ?? '', /支付宝/);
    await payButton(page).click();

    const frame = actionFrame(page);
    const code = frame.locator('img[src$="/qr.svg"]');
    await code.waitFor({ state: 'visible' });
    assert.ok(await code.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the code is drawn');
    await frame.getByText('请使用支付宝扫描二维码', { exact: false }).waitFor();
    await screenshot(page, 'alipay-qr');

    // The shopper's phone: the code's data is Alipay's link; paying there makes Alipay notify Kassa.
    const waiting = (await stack.api('GET', '/v1/payment_intents?limit=1')).body as { data: Array<{ id: string; status: string; next_action: { display_qr_code: { data: string } } }> };
    const [intent] = waiting.data;
    assert.equal(intent?.status, 'requires_action');
    const paid = await fetch(`${intent!.next_action.display_qr_code.data}/pay`, { method: 'POST' });
    assert.equal(paid.status, 200);

    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    assert.equal(intentIdOf(detail), intent!.id);
    const done = await stack.retrieveIntent(intent!.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.amount_received, 12800);
    const trades = alipay.trades().filter((t) => t.outTradeNo.startsWith(`${intent!.id}_`) && t.status === 'TRADE_SUCCESS');
    assert.deepEqual(trades.map((t) => t.totalFen), [12800], 'one paid trade at Alipay');
    assert.match((await statusLine(page).textContent()) ?? '', /\S/);
    assert.deepEqual((await events(page)).map((e) => e.type).filter((t) => t !== 'kassa-ready'), ['kassa-action-required', 'kassa-payment-succeeded']);
    assert.deepEqual(await cspViolations(page), [], 'the strict CSP of the shop and of Kassa\'s pages refused nothing');
  });

  test('PayPal: the approval opens in its own window from inside the element, comes back through Kassa, the page hears it; charged once', async () => {
    const page = await stack.newPage();
    await checkoutWith(page, 'paypal', 'teapot');
    await payButton(page).click();

    const frame = actionFrame(page);
    const open = frame.locator('#open');
    await open.waitFor({ state: 'visible' });
    assert.match((await open.textContent()) ?? '', /Continue to PayPal/);
    const [popup] = await Promise.all([page.waitForEvent('popup'), open.click()]);
    await popup.waitForLoadState();
    assert.ok(popup.url().startsWith(`${paypal.url}/checkoutnow?token=`), popup.url());
    await popup.locator('#approve').click();
    // Back from PayPal through Kassa's return route, which completes the payment.
    await popup.waitForURL((url) => url.href.startsWith(`${stack.kassaUrl}/providers/paypal/return`));
    await popup.getByText('close this window', { exact: false }).waitFor();

    const detail = await waitForKassaEvent(page, 'kassa-payment-succeeded');
    const id = intentIdOf(detail);
    const done = await stack.retrieveIntent(id);
    assert.equal(done.status, 'succeeded');
    const order = new URL(popup.url()).searchParams.get('token') ?? '';
    assert.equal(paypal.moneyOf(order).captured, done.amount, 'captured once at PayPal');
    await screenshot(page, 'paypal-approved');
    assert.deepEqual(await cspViolations(page), []);
  });
});
