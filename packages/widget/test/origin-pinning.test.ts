/**
 * The element talks only to the Kassa server it is pinned to (`kassa-url` here, in the ES module
 * build; kassa.js pins itself, see bundles.test.ts), never to whatever server a client secret
 * names. A forged secret (valid shape, another `iss`) must be refused before any iframe exists
 * and before any request leaves the page.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { KassaError, KassaPaymentFailedEvent, type KassaCheckout } from '../src/index.js';
import { cardIframe, createIntent, fakeLog, mountCheckout, recordEvents, shadow, spyOnFetch, statusText, waitForStatus } from './helpers.js';

/** The same fake Kassa under this test server's other host name: another origin, another site. */
const otherOrigin = `${location.protocol}//${location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'}:${location.port}`;

/** Nothing of a refused secret may reach the page: no card frame, no challenge frame, no iframe at all. */
const iframes = (el: KassaCheckout) => shadow(el).querySelectorAll('iframe').length;

describe('origin pinning', () => {
  it('loads when the secret’s issuer is the pinned origin, and frames the card form from it', async () => {
    const { id, client_secret } = await createIntent({ iss: location.origin });
    // Only the origin counts: a trailing slash or a path in kassa-url changes nothing.
    const el = await mountCheckout(client_secret, 'en', `${location.origin}/`);
    await waitForStatus(el, 'ready');
    expect(el.kassaUrl).to.equal(`${location.origin}/`);
    expect(new URL(cardIframe(el)!.src).origin).to.equal(location.origin);
    expect((await fakeLog(id)).map((e) => e.path)).to.deep.equal([`/client/payment_intents/${id}`]);
  });

  it('refuses a forged secret (another iss): failed event with a clear error, no iframe, no request', async () => {
    const { id, client_secret } = await createIntent({ iss: 'http://127.0.0.1:1' });
    const failed = recordEvents(KassaPaymentFailedEvent.eventName);
    const fetches = spyOnFetch();
    let el: KassaCheckout;
    try {
      el = await mountCheckout(client_secret, 'en', location.origin);
      await waitForStatus(el, 'failed');
    } finally {
      fetches.stop();
    }
    expect(statusText(el)).to.equal('This payment could not be loaded: it was issued by another payment server.');
    expect(iframes(el)).to.equal(0);
    expect(fetches.urls, 'no request of any kind').to.deep.equal([]);
    expect(await fakeLog(id)).to.deep.equal([]);

    const event = failed.at(-1) as KassaPaymentFailedEvent;
    expect(event.detail.error).to.be.instanceOf(KassaError);
    expect(event.detail.error).to.include({ type: 'invalid_request_error', code: 'client_secret_issuer_mismatch' });
    // The developer learns which two servers disagree; the shopper's sentence stays plain.
    expect(String((event.detail.error.cause as Error).message)).to.include('http://127.0.0.1:1').and.include(location.origin);
    expect(event.detail.paymentIntent).to.equal(undefined);
    const result = await el.pay();
    expect(result.error?.code).to.equal('client_secret_issuer_mismatch');
    expect(iframes(el)).to.equal(0);
  });

  it('refuses a secret issued by a reachable server that is not the pinned one: neither server hears of it', async () => {
    // Both names reach the same fake Kassa, which logs every /client call for the intent: had the
    // element followed `iss`, the fake would have seen the GET.
    const { id, client_secret } = await createIntent({ iss: location.origin });
    const el = await mountCheckout(client_secret, 'zh-CN', otherOrigin);
    await waitForStatus(el, 'failed');
    expect(statusText(el)).to.equal('无法加载此笔付款：它由其他支付服务器签发。');
    expect(iframes(el)).to.equal(0);
    expect(await fakeLog(id)).to.deep.equal([]);
  });

  it('with no kassa-url (ES module build), refuses with an error telling the developer to set it', async () => {
    const { id, client_secret } = await createIntent({ iss: location.origin });
    const failed = recordEvents(KassaPaymentFailedEvent.eventName);
    const fetches = spyOnFetch();
    let el: KassaCheckout;
    try {
      el = await mountCheckout(client_secret, 'en', null);
      await waitForStatus(el, 'failed');
    } finally {
      fetches.stop();
    }
    expect(statusText(el)).to.equal('This payment could not be loaded: the checkout does not know its payment server (kassa-url is not set).');
    const error = (failed.at(-1) as KassaPaymentFailedEvent).detail.error;
    expect(error).to.include({ type: 'invalid_request_error', code: 'kassa_url_missing' });
    expect((error.cause as Error).message).to.match(/kassa-url is not set/);
    expect(iframes(el)).to.equal(0);
    expect(fetches.urls).to.deep.equal([]);
    expect(await fakeLog(id)).to.deep.equal([]);
  });

  it('treats a kassa-url that is not an http(s) URL as missing, and does not fall back to iss', async () => {
    const { client_secret } = await createIntent({ iss: location.origin });
    for (const bad of ['pay.example.com', 'javascript:alert(1)']) {
      const el = await mountCheckout(client_secret, 'en', bad);
      await waitForStatus(el, 'failed');
      expect((await el.pay()).error?.code, bad).to.equal('kassa_url_missing');
      expect(iframes(el)).to.equal(0);
    }
  });

  it('loads once a framework sets kassaUrl after the client secret, in a later task', async () => {
    const { client_secret } = await createIntent({ iss: location.origin });
    const el = await fixture<KassaCheckout>(html`<kassa-checkout locale="en"></kassa-checkout>`);
    el.clientSecret = client_secret;
    await waitForStatus(el, 'failed');
    expect((await el.pay()).error?.code).to.equal('kassa_url_missing');
    el.kassaUrl = location.origin;
    await waitForStatus(el, 'ready');
    expect(new URL(cardIframe(el)!.src).origin).to.equal(location.origin);
  });

  it('reflects the kassa-url attribute in the kassaUrl property', async () => {
    const { client_secret } = await createIntent({ iss: otherOrigin });
    const el = await mountCheckout(client_secret, 'en', location.origin);
    await waitForStatus(el, 'failed');
    el.setAttribute('kassa-url', otherOrigin);
    expect(el.kassaUrl).to.equal(otherOrigin);
    await waitForStatus(el, 'ready');
    expect(new URL(cardIframe(el)!.src).origin).to.equal(otherOrigin);
  });
});
