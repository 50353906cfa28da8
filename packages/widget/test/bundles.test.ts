/**
 * The built files (dist/), as merchants and the server use them: kassa.js from a plain
 * <script> tag, and dist/frame/card.js as the card page's script under the strict CSP.
 * (`pnpm test` builds first.)
 */
import { expect, waitUntil } from '@open-wc/testing';
import type { KassaCheckout } from '../src/index.js';
import { confirms, createIntent, fakeLog, fillCard, payButton, shadow, statusText, waitForStatus } from './helpers.js';

const otherOrigin = `${location.protocol}//${location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'}:${location.port}`;

async function openShop(secret: string, locale: string, kassaUrl = ''): Promise<{ win: Window & { Kassa?: Record<string, unknown> }; el: KassaCheckout }> {
  const iframe = document.createElement('iframe');
  iframe.title = 'shop page';
  iframe.style.width = '600px';
  iframe.style.height = '600px';
  iframe.src = `/__fake/shop?secret=${encodeURIComponent(secret)}&locale=${locale}&kassa_url=${encodeURIComponent(kassaUrl)}`;
  document.body.append(iframe);
  await waitUntil(() => iframe.contentDocument?.querySelector('kassa-checkout')?.shadowRoot, 'shop page did not render the checkout', {
    timeout: 10000,
  });
  return { win: iframe.contentWindow as Window & { Kassa?: Record<string, unknown> }, el: iframe.contentDocument!.querySelector('kassa-checkout')! as KassaCheckout };
}

describe('built bundles', () => {
  it('kassa.js registers <kassa-checkout>, exposes window.Kassa, and pays through the built card frame', async () => {
    const { id, client_secret } = await createIntent();
    const { win, el } = await openShop(client_secret, 'zh-CN');
    expect(win.customElements.get('kassa-checkout')).to.equal(win.Kassa?.KassaCheckout);
    expect(Object.keys(win.Kassa ?? {})).to.include.members([
      'KassaCheckout',
      'KassaError',
      'KassaPaymentSucceededEvent',
      'KassaPaymentFailedEvent',
      'KassaActionRequiredEvent',
    ]);
    await waitForStatus(el, 'ready');
    expect(payButton(el).textContent!.trim()).to.equal('支付 ¥128.00');

    const frame = await fillCard(el, { number: '6200000000000005' });
    const frameScript = frame.ownerDocument.querySelector('script[type=module]')!.getAttribute('src');
    expect(frameScript).to.equal('/packages/widget/dist/frame/card.js');
    const result = await el.pay();
    expect(result.paymentIntent?.status).to.equal('succeeded');
    expect(confirms(await fakeLog(id))).to.have.length(1);
  });

  it('kassa.js is pinned to the origin it was loaded from: a forged secret (another iss) is refused, nothing framed or fetched', async () => {
    const { id, client_secret } = await createIntent({ iss: 'http://127.0.0.1:1' });
    const { win, el } = await openShop(client_secret, 'en');
    await waitForStatus(el, 'failed');
    expect(statusText(el)).to.equal('This payment could not be loaded: it was issued by another payment server.');
    expect(shadow(el).querySelectorAll('iframe')).to.have.length(0);
    // Resource timing of the shop page: the script and the page itself, nothing from 127.0.0.1:1.
    const requested = win.performance.getEntriesByType('resource').map((e) => e.name);
    expect(requested.filter((url) => !url.startsWith(location.origin))).to.deep.equal([]);
    expect(await fakeLog(id)).to.deep.equal([]);
    expect((await el.pay()).error?.code).to.equal('client_secret_issuer_mismatch');
  });

  it('kassa.js refuses a kassa-url that names another origin than its own, even when the secret matches it', async () => {
    const { id, client_secret } = await createIntent({ iss: otherOrigin });
    const { el } = await openShop(client_secret, 'en', otherOrigin);
    await waitForStatus(el, 'failed');
    expect((await el.pay()).error?.code).to.equal('client_secret_issuer_mismatch');
    expect(shadow(el).querySelectorAll('iframe')).to.have.length(0);
    expect(await fakeLog(id)).to.deep.equal([]);
  });
});
