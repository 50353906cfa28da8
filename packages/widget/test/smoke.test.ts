import { expect } from '@open-wc/testing';
import { createIntent, mountCheckout, payButton, waitForStatus, fillCard } from './helpers.js';

describe('smoke', () => {
  it('loads and pays', async () => {
    const { client_secret } = await createIntent();
    const el = await mountCheckout(client_secret, 'en');
    await waitForStatus(el, 'ready');
    expect(payButton(el).textContent!.trim()).to.equal('Pay ¥128.00');
    await fillCard(el, { number: '4242424242424242' });
    const result = await el.pay();
    expect(result.paymentIntent?.status).to.equal('succeeded');
  });
});
