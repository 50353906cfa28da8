/**
 * The real cross-origin path in one browser: this page is on one host name of the test server
 * (say localhost) and the fake Kassa "server" is the same server under the other (127.0.0.1).
 * Those are different origins and different sites, as a shop and Kassa are in production, so
 * CORS, postMessage origins and frame isolation are all real here.
 */
import { expect, waitUntil } from '@open-wc/testing';
import { cardIframe, confirms, createIntent, fakeLog, mountCheckout, payButton, shadow, waitForStatus } from './helpers.js';

const kassaOrigin = `${location.protocol}//${location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'}:${location.port}`;

describe('cross-origin (shop and Kassa on different sites)', () => {
  it('the card frame is truly cross-origin, and its ready/resize messages are accepted', async () => {
    const { client_secret } = await createIntent({ iss: kassaOrigin });
    const el = await mountCheckout(client_secret, 'en', kassaOrigin);
    await waitForStatus(el, 'ready');
    const iframe = cardIframe(el)!;
    expect(new URL(iframe.src).origin).to.equal(kassaOrigin);
    expect(new URL(iframe.src).searchParams.get('origin')).to.equal(location.origin);
    // Only a message from the frame's own origin, window and channel can set its height.
    await waitUntil(() => iframe.style.height.endsWith('px'), 'the frame never reported its size', { timeout: 10000 });
    expect(iframe.contentDocument, 'the page cannot read the frame').to.equal(null);
  });

  it('pays with a saved card over CORS, sending the page origin and an idempotency key', async () => {
    const { id, client_secret } = await createIntent({ iss: kassaOrigin, saved_card: '6200000000000005' });
    const el = await mountCheckout(client_secret, 'en', kassaOrigin);
    await waitForStatus(el, 'ready');
    payButton(el).click();
    await waitForStatus(el, 'succeeded');
    const [confirm] = confirms(await fakeLog(id));
    expect(confirm!.origin).to.equal(location.origin);
    expect(confirm!.idempotencyKey).to.match(/^kassa_/);
  });

  it('completes a 3-D Secure challenge served by the Kassa origin', async () => {
    const { client_secret } = await createIntent({ iss: kassaOrigin, saved_card: '4000000000003220', auto_3ds: 'pass' });
    const el = await mountCheckout(client_secret, 'en', kassaOrigin);
    await waitForStatus(el, 'ready');
    const result = await el.pay();
    expect(result.paymentIntent?.status).to.equal('succeeded');
    expect(shadow(el).querySelector('iframe[part=challenge]')).to.equal(null);
  });
});
