/**
 * <kassa-checkout> against the fake Kassa server (same origin as the test page; the real
 * cross-origin path is in cross-origin.test.ts and e2e). The card frame is the real one.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import {
  KassaActionRequiredEvent,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  type KassaCheckout,
} from '../src/index.js';
import {
  answerChallenge,
  cardIframe,
  challengeIframe,
  confirms,
  createIntent,
  fakeLog,
  fillCard,
  frameCleared,
  frameElement,
  frameInput,
  mountCheckout,
  payButton,
  recordEvents,
  releaseConfirm,
  shadow,
  statusText,
  tokenRequests,
  waitForStatus,
} from './helpers.js';

async function readyCheckout(options: Parameters<typeof createIntent>[0] = {}, locale = 'en') {
  const intent = await createIntent(options);
  const el = await mountCheckout(intent.client_secret, locale);
  await waitForStatus(el, 'ready');
  return { el, ...intent };
}

describe('<kassa-checkout>', () => {
  describe('loading', () => {
    it('reads the client secret, fetches the intent with it and shows "Pay ¥128.00"', async () => {
      const { el, id } = await readyCheckout({ amount: 12800, currency: 'cny' });
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00');
      const [get] = await fakeLog(id);
      expect(get).to.include({ method: 'GET', path: `/client/payment_intents/${id}` });
      expect(statusText(el)).to.equal('');
    });

    it('shows "支付 ¥128.00" in Chinese, and the amount in the currency’s own exponent', async () => {
      const { el } = await readyCheckout({ amount: 12800, currency: 'cny' }, 'zh-CN');
      expect(payButton(el).textContent!.trim()).to.equal('支付 ¥128.00');
      const jpy = await readyCheckout({ amount: 500, currency: 'jpy' }, 'en');
      expect(payButton(jpy.el).textContent!.trim()).to.equal('Pay ¥500');
      const kwd = await readyCheckout({ amount: 1234, currency: 'kwd' }, 'en');
      expect(payButton(kwd.el).textContent!.trim().replace(/\s+/g, ' ')).to.equal('Pay KWD 1.234');
    });

    it('takes its language from the page when it has no locale attribute, and follows a locale change', async () => {
      document.documentElement.lang = 'zh-CN';
      try {
        const { client_secret } = await createIntent();
        const el = await mountCheckout(client_secret);
        await waitForStatus(el, 'ready');
        expect(payButton(el).textContent!.trim()).to.equal('支付 ¥128.00');
        el.setAttribute('locale', 'en');
        await el.updateComplete;
        expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00');
      } finally {
        document.documentElement.lang = 'en';
      }
    });

    it('embeds the card frame from the server in the secret, with channel, origin and locale, labelled', async () => {
      const { el } = await readyCheckout({}, 'zh-CN');
      const iframe = cardIframe(el)!;
      const src = new URL(iframe.src);
      expect(src.origin).to.equal(location.origin);
      expect(src.pathname).to.equal('/frame/card');
      expect(src.searchParams.get('channel')).to.match(/^[A-Za-z0-9_-]{8,64}$/);
      expect(src.searchParams.get('origin')).to.equal(location.origin);
      expect(src.searchParams.get('locale')).to.equal('zh-CN');
      expect(iframe.title).to.equal('安全银行卡支付表单');
    });

    it('uses a different channel for each checkout on the page', async () => {
      const a = await readyCheckout();
      const b = await readyCheckout();
      const channel = (el: KassaCheckout) => new URL(cardIframe(el)!.src).searchParams.get('channel');
      expect(channel(a.el)).not.to.equal(channel(b.el));
    });

    it('fails with a clear message, without a request, when the client secret has expired', async () => {
      const { id, client_secret } = await createIntent({ expired: true });
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      const el = await mountCheckout(client_secret, 'en');
      await waitForStatus(el, 'failed');
      expect(statusText(el)).to.equal('This payment session has expired. Please reload the page.');
      expect(await fakeLog(id)).to.deep.equal([]);
      expect(shadow(el).activeElement, 'a failure on load does not grab focus').to.equal(null);
      const result = await el.pay();
      expect(result.error?.code).to.equal('client_secret_expired');
      expect((failed.at(-1) as KassaPaymentFailedEvent).detail.error.code).to.equal('client_secret_expired');
    });

    it('reports a bad secret to listeners added right after the secret was set', async () => {
      const el = document.createElement('kassa-checkout');
      document.body.append(el);
      el.clientSecret = 'not-a-jwt';
      // Added after the property, in the same task: what @lit/react and hand-written code do.
      const heard = new Promise<KassaPaymentFailedEvent>((resolve) =>
        el.addEventListener(KassaPaymentFailedEvent.eventName, (e) => resolve(e as KassaPaymentFailedEvent), { once: true }),
      );
      try {
        expect((await heard).detail.error.code).to.equal('client_secret_invalid');
      } finally {
        el.remove();
      }
    });

    it('fails on a client secret that is not one', async () => {
      const el = await mountCheckout('not-a-jwt', 'zh-CN');
      await waitForStatus(el, 'failed');
      expect(statusText(el)).to.equal('无法加载此笔付款。');
      expect(payButton(el)).to.equal(null);
    });

    it('fails with the network message when the server cannot be reached', async () => {
      // A well-formed secret whose issuer is a port nobody listens on.
      const { client_secret } = await createIntent({ iss: 'http://127.0.0.1:9' });
      const el = await mountCheckout(client_secret, 'en', 'http://127.0.0.1:9');
      await waitForStatus(el, 'failed');
      expect(statusText(el)).to.equal('Could not reach the payment server. Check your connection and try again.');
    });

    it('waits quietly for a client secret set later (as frameworks do), then loads', async () => {
      const el = await fixture<KassaCheckout>(html`<kassa-checkout locale="en" kassa-url=${location.origin}></kassa-checkout>`);
      expect(el.status).to.equal('loading');
      expect(statusText(el)).to.equal('Loading payment…');
      const { client_secret } = await createIntent();
      el.clientSecret = client_secret;
      await waitForStatus(el, 'ready');
    });

    it('reloads for a new client secret: new intent, new frame channel, stale answers dropped', async () => {
      const first = await readyCheckout({ amount: 12800 });
      const channelOf = () => new URL(cardIframe(first.el)!.src).searchParams.get('channel');
      const before = channelOf();
      const second = await createIntent({ amount: 5000 });
      first.el.clientSecret = second.client_secret;
      await waitForStatus(first.el, 'ready');
      expect(payButton(first.el).textContent!.trim()).to.equal('Pay CN¥50.00');
      expect(channelOf()).not.to.equal(before);
    });

    it('shows an intent that was already paid as paid, without announcing a new payment', async () => {
      const events = recordEvents(KassaPaymentSucceededEvent.eventName);
      const { client_secret } = await createIntent({ status: 'succeeded' });
      const el = await mountCheckout(client_secret, 'en');
      await waitForStatus(el, 'succeeded');
      expect(statusText(el)).to.equal('Payment complete. Thank you!');
      expect(events).to.have.length(0);
      expect((await el.pay()).paymentIntent?.status).to.equal('succeeded');
    });
  });

  describe('paying with a new card', () => {
    it('tokenizes in the frame, confirms with the token and an idempotency key, and succeeds', async () => {
      const { el, id } = await readyCheckout();
      const succeeded = recordEvents(KassaPaymentSucceededEvent.eventName);
      await fillCard(el, { number: '4242424242424242' });
      payButton(el).click();
      await waitForStatus(el, 'succeeded');
      // The amount and the card, as a screen reader announces it (no bullets to read out).
      expect(statusText(el)).to.equal('Paid CN¥128.00 with Visa ending 4242. Thank you!');

      const log = await fakeLog(id);
      const [confirm] = confirms(log);
      expect(tokenRequests(log)).to.have.length(1);
      expect(confirm!.body!.payment_method).to.match(/^tok_/);
      expect(confirm!.body).not.to.have.property('setup_future_usage');
      expect(confirm!.idempotencyKey).to.match(/^kassa_[0-9a-f]{32}$/);

      expect(succeeded).to.have.length(1);
      const event = succeeded[0] as KassaPaymentSucceededEvent;
      expect(event).to.be.instanceOf(KassaPaymentSucceededEvent);
      expect(event.bubbles && event.composed).to.equal(true);
      expect(event.detail.paymentIntent).to.include({ id, status: 'succeeded', amount: 12800, currency: 'cny' });
      // The card form is gone; focus is on the confirmation, not lost to <body>.
      expect(cardIframe(el)).to.equal(null);
      expect(shadow(el).activeElement?.getAttribute('role')).to.equal('status');
    });

    it('pay() resolves with the paymentIntent, and a second call does not pay twice', async () => {
      const { el, id } = await readyCheckout();
      await fillCard(el, { number: '4242424242424242' });
      const first = el.pay();
      const second = el.pay();
      const [a, b] = await Promise.all([first, second]);
      expect(a.paymentIntent?.status).to.equal('succeeded');
      expect(b.paymentIntent?.id).to.equal(a.paymentIntent?.id);
      expect(confirms(await fakeLog(id))).to.have.length(1);
      expect((await el.pay()).paymentIntent?.status, 'after success').to.equal('succeeded');
    });

    it('treats requires_capture (manual capture) as success', async () => {
      const { el } = await readyCheckout({ capture_method: 'manual' });
      await fillCard(el, { number: '4242424242424242' });
      const result = await el.pay();
      expect(result.paymentIntent?.status).to.equal('requires_capture');
      expect(el.status).to.equal('succeeded');
    });

    it('shows "Processing payment…" and marks the button busy while the payment runs', async () => {
      const { el, id } = await readyCheckout({ hold_confirm: true });
      await fillCard(el, { number: '4242424242424242' });
      const result = el.pay();
      await waitForStatus(el, 'processing');
      expect(statusText(el)).to.equal('Processing payment…');
      expect(payButton(el).getAttribute('aria-disabled')).to.equal('true');
      payButton(el).click(); // a second click while busy changes nothing
      await releaseConfirm(id);
      expect((await result).paymentIntent?.status).to.equal('succeeded');
      expect(confirms(await fakeLog(id))).to.have.length(1);
    });

    it('keeps an incomplete card at ready: no confirm, the frame points at the field, pay() says why', async () => {
      const { el, id } = await readyCheckout();
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      await fillCard(el, { number: '4242 4242', expiry: '12/34', cvc: '123' });
      const result = await el.pay();
      expect(result.error).to.be.instanceOf(KassaError);
      expect(result.error).to.include({ type: 'validation_error', code: 'incomplete_number', param: 'number' });
      expect(result.error!.message).to.equal('Your card number is incomplete.');
      expect(el.status).to.equal('ready');
      await el.updateComplete;
      expect(statusText(el)).to.equal('Your card number is incomplete.');
      expect(confirms(await fakeLog(id))).to.have.length(0);
      expect(failed, 'not a payment outcome').to.have.length(0);
      expect(shadow(el).activeElement, 'focus moved into the card frame').to.equal(cardIframe(el));
    });

    it('sends setup_future_usage when the shopper ticks "Save card for next time"', async () => {
      const { el, id } = await readyCheckout({ can_save_card: true });
      const checkbox = shadow(el).querySelector<HTMLInputElement>('input[type=checkbox]')!;
      expect(checkbox.labels![0]!.textContent!.trim()).to.equal('Save card for next time');
      expect(checkbox.checked).to.equal(false);
      checkbox.click();
      await fillCard(el, { number: '4242424242424242' });
      await el.pay();
      expect(confirms(await fakeLog(id))[0]!.body).to.deep.equal({
        payment_method: confirms(await fakeLog(id))[0]!.body!.payment_method,
        setup_future_usage: 'on_session',
      });
    });

    it('offers no save checkbox when the intent cannot save cards', async () => {
      const { el } = await readyCheckout({ can_save_card: false });
      expect(shadow(el).querySelector('input[type=checkbox]')).to.equal(null);
    });
  });

  describe('declines and failures', () => {
    const declines: [string, string, string, string][] = [
      ['4000000000009995', 'insufficient_funds', 'Your card has insufficient funds.', '您的卡余额不足。'],
      ['4000000000000002', 'generic_decline', 'Your card was declined.', '您的卡被拒绝。'],
      ['4000000000000069', 'expired_card', 'Your card has expired.', '您的卡已过期。'],
      ['4000000000000127', 'incorrect_cvc', "Your card's security code is incorrect.", '您的卡安全码不正确。'],
      [
        '4000000000000119',
        'processing_error',
        'An error occurred while processing your card. Try again in a little bit.',
        '处理您的卡时出错，请稍后重试。',
      ],
    ];

    for (const [card, declineCode, en, zh] of declines) {
      it(`${declineCode}: failed, with the localized message, the event and the intent`, async () => {
        const failed = recordEvents(KassaPaymentFailedEvent.eventName);
        const { el, id } = await readyCheckout();
        await fillCard(el, { number: card });
        const result = await el.pay();
        expect(el.status).to.equal('failed');
        expect(result.error).to.be.instanceOf(KassaError);
        expect(result.error).to.include({ type: 'card_error', decline_code: declineCode, message: en });
        await el.updateComplete;
        expect(statusText(el)).to.equal(en);

        const event = failed.at(-1) as KassaPaymentFailedEvent;
        expect(event).to.be.instanceOf(KassaPaymentFailedEvent);
        expect(event.bubbles && event.composed).to.equal(true);
        expect(event.detail.error).to.equal(result.error);
        expect(event.detail.paymentIntent).to.include({ id, status: 'requires_payment_method' });

        el.setAttribute('locale', 'zh-CN');
        await el.updateComplete;
        expect(statusText(el), 'the message follows the locale').to.equal(zh);
      });
    }

    it('after a decline, the next attempt uses a new token and a new idempotency key; the card stays, the CVC is asked again', async () => {
      const { el, id } = await readyCheckout();
      await fillCard(el, { number: '4000000000009995' });
      expect((await el.pay()).error?.decline_code).to.equal('insufficient_funds');

      await frameCleared(el);
      const frame = await frameElement(cardIframe(el)!);
      expect(frameInput(frame, 'number').value.replace(/\s/g, '')).to.equal('4000000000009995');
      expect(frameInput(frame, 'expiry').value).to.equal('12/34');
      expect(shadow(el).activeElement, 'focus back in the card frame').to.equal(cardIframe(el));
      await waitUntil(() => shadow(frame).activeElement?.id === 'cvc', 'caret not in the CVC');

      await fillCard(el, { number: '4242424242424242' });
      payButton(el).click();
      await waitForStatus(el, 'succeeded');

      const log = await fakeLog(id);
      const [first, second] = confirms(log);
      expect(confirms(log)).to.have.length(2);
      expect(tokenRequests(log)).to.have.length(2);
      expect(second!.idempotencyKey).not.to.equal(first!.idempotencyKey);
      expect(second!.body!.payment_method).not.to.equal(first!.body!.payment_method);
    });

    it('a dropped connection on confirm fails with the network message; the retry uses a new key and token', async () => {
      const { el, id } = await readyCheckout({ confirm_network_error: true });
      await fillCard(el, { number: '4242424242424242' });
      const result = await el.pay();
      expect(result.error).to.include({ type: 'api_connection_error', code: 'network_error' });
      await el.updateComplete;
      expect(statusText(el)).to.equal('Could not reach the payment server. Check your connection and try again.');

      await frameCleared(el);
      await fillCard(el, { number: '4242424242424242' });
      const retry = await el.pay();
      expect(retry.paymentIntent?.status, JSON.stringify(retry.error)).to.equal('succeeded');
      const attempts = confirms(await fakeLog(id));
      const first = attempts[0]!;
      const last = attempts.at(-1)!;
      expect(last.idempotencyKey).not.to.equal(first.idempotencyKey);
      expect(last.body!.payment_method).not.to.equal(first.body!.payment_method);
    });

    it('asks again about an intent the provider is still deciding on, then reports the outcome', async () => {
      const { el, id } = await readyCheckout({ confirm_status: 'processing', settle_to: 'succeeded' });
      await fillCard(el, { number: '4242424242424242' });
      const result = await el.pay();
      expect(result.paymentIntent?.status).to.equal('succeeded');
      const paths = (await fakeLog(id)).map((e) => `${e.method} ${e.path.split('/').pop()}`);
      expect(paths.slice(-2)).to.deep.equal(['POST confirm', `GET ${id}`]);
    });
  });

  describe('returning shopper (saved card)', () => {
    it('offers one-click "Pay CN¥128.00 with UnionPay ending 0005" and confirms with the saved card, no frame', async () => {
      const { el, id } = await readyCheckout({ saved_card: '6200000000000005' });
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00 with UnionPay ending 0005');
      // The card frame is loaded behind the saved card (so "Use another card" is instant), never seen.
      expect(getComputedStyle(cardIframe(el)!).visibility).to.equal('hidden');
      payButton(el).click();
      await waitForStatus(el, 'succeeded');
      const log = await fakeLog(id);
      expect(confirms(log)[0]!.body!.payment_method).to.match(/^pm_/);
      expect(tokenRequests(log)).to.have.length(0);
    });

    it('reads "使用 尾号 0005 的银联卡 支付 ¥128.00" in Chinese', async () => {
      const { el } = await readyCheckout({ saved_card: '6200000000000005' }, 'zh-CN');
      expect(payButton(el).textContent!.trim()).to.equal('使用 尾号 0005 的银联卡 支付 ¥128.00');
    });

    it('"Use another card" shows the card frame and pays with a new token; it can switch back', async () => {
      const { el, id } = await readyCheckout({ saved_card: '6200000000000005', can_save_card: true });
      const link = shadow(el).querySelector<HTMLButtonElement>('[part=link]')!;
      expect(link.textContent!.trim()).to.equal('Use another card');
      link.click();
      await el.updateComplete;
      expect(getComputedStyle(cardIframe(el)!).visibility).to.equal('visible');
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00');
      expect(shadow(el).querySelector('[part=link]')!.textContent!.trim()).to.equal('Use UnionPay ending 0005');
      await fillCard(el, { number: '4242424242424242' });
      await el.pay();
      expect(confirms(await fakeLog(id))[0]!.body!.payment_method).to.match(/^tok_/);
    });
  });

  describe('3-D Secure', () => {
    it('shows the challenge inside the element, fires kassa-action-required, and succeeds once the bank says so', async () => {
      const { el, id } = await readyCheckout();
      const actions = recordEvents(KassaActionRequiredEvent.eventName);
      await fillCard(el, { number: '4000000000003220' });
      const pending = el.pay();
      await waitForStatus(el, 'challenge');
      expect(statusText(el)).to.equal('Your bank needs to confirm this payment.');

      const iframe = challengeIframe(el)!;
      const src = new URL(iframe.src);
      expect(src.pathname).to.equal(`/__fake/3ds/${id}`);
      expect(src.searchParams.get('channel')).to.equal(new URL(cardIframe(el)!.src).searchParams.get('channel'));
      expect(src.searchParams.get('origin')).to.equal(location.origin);
      expect(iframe.title).to.equal('Card verification by your bank');
      expect(cardIframe(el)!.closest('[hidden]'), 'card form hidden, not destroyed').not.to.equal(null);
      // Focus goes into the challenge once its page has loaded (not before: it would be lost).
      await waitUntil(() => shadow(el).activeElement === iframe, 'focus never moved into the loaded challenge');

      const event = actions[0] as KassaActionRequiredEvent;
      expect(event).to.be.instanceOf(KassaActionRequiredEvent);
      expect(event.bubbles && event.composed).to.equal(true);
      expect(event.detail.action.type).to.equal('three_d_secure');
      expect(event.detail.paymentIntent).to.include({ id, status: 'requires_action' });

      await answerChallenge(el, 'complete');
      const result = await pending;
      expect(result.paymentIntent?.status).to.equal('succeeded');
      expect(el.status).to.equal('succeeded');
      expect(challengeIframe(el)).to.equal(null);
    });

    it('fails with the authentication message when the shopper fails the challenge, and can pay again', async () => {
      const { el, id } = await readyCheckout({}, 'zh-CN');
      await fillCard(el, { number: '4000000000003220' });
      const pending = el.pay();
      await waitForStatus(el, 'challenge');
      await answerChallenge(el, 'fail');
      const result = await pending;
      expect(result.error?.code).to.equal('payment_intent_authentication_failure');
      expect(statusText(el)).to.equal('发卡行未能验证此笔付款，请重试或使用其他银行卡。');
      expect(cardIframe(el)!.closest('[hidden]'), 'card form visible again').to.equal(null);

      await frameCleared(el);
      await fillCard(el, { number: '4242424242424242' });
      const retry = await el.pay();
      expect(retry.paymentIntent?.status, JSON.stringify(retry.error)).to.equal('succeeded');
      const [first, second] = confirms(await fakeLog(id));
      expect(second!.idempotencyKey).not.to.equal(first!.idempotencyKey);
    });

    it('a new client secret during the challenge settles pay() with an error (no rejection) and loads the new intent', async () => {
      const { el } = await readyCheckout();
      await fillCard(el, { number: '4000000000003220' });
      const pending = el.pay();
      await waitForStatus(el, 'challenge');
      const next = await createIntent({ amount: 5000 });
      el.clientSecret = next.client_secret;
      // The superseded attempt must resolve, not throw from a half-reset element.
      const result = await pending;
      expect(result.error).to.be.instanceOf(KassaError);
      await waitForStatus(el, 'ready');
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥50.00');
    });

    it('ignores challenge_complete from the wrong origin, window, channel or shape', async () => {
      const { el, id } = await readyCheckout();
      await fillCard(el, { number: '4000000000003220' });
      const pending = el.pay();
      await waitForStatus(el, 'challenge');
      const iframe = challengeIframe(el)!;
      await waitUntil(() => iframe.contentDocument?.querySelector('#complete'), 'challenge page not loaded');
      const channel = new URL(iframe.src).searchParams.get('channel')!;
      const good = { kassa: 1, channel, type: 'challenge_complete', paymentIntent: id };
      const before = (await fakeLog(id)).length;
      const send = (data: unknown, origin: string, source: Window | null) =>
        window.dispatchEvent(new MessageEvent('message', { data, origin, source }));
      send(good, 'https://evil.example', iframe.contentWindow);
      send(good, location.origin, window);
      send(good, location.origin, cardIframe(el)!.contentWindow);
      send({ ...good, channel: 'another_channel' }, location.origin, iframe.contentWindow);
      send({ ...good, paymentIntent: 'pi_someoneelse' }, location.origin, iframe.contentWindow);
      send({ ...good, kassa: 2 }, location.origin, iframe.contentWindow);
      send({ ...good, type: 'tokenized' }, location.origin, iframe.contentWindow);
      send('challenge_complete', location.origin, iframe.contentWindow);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(el.status).to.equal('challenge');
      expect((await fakeLog(id)).length, 'no GET of the intent was triggered').to.equal(before);

      // The same message from the right window, origin and channel is acted on.
      await fetch(`/__fake/3ds/${id}/result`, { method: 'POST', body: JSON.stringify({ result: 'pass' }) });
      send(good, location.origin, iframe.contentWindow);
      expect((await pending).paymentIntent?.status).to.equal('succeeded');
    });
  });

  describe('messages from the card frame', () => {
    it('ignores a forged tokenized reply from the wrong origin, window or channel', async () => {
      const { el, id } = await readyCheckout();
      await fillCard(el, { number: '4242424242424242' });
      const channel = new URL(cardIframe(el)!.src).searchParams.get('channel')!;
      const frameWindow = cardIframe(el)!.contentWindow!;
      // Answer every tokenize request with a forged token before the real frame can.
      const forge = (event: MessageEvent) => {
        const data = event.data as { type?: string; requestId?: string } | null;
        if (data?.type !== 'tokenize') return;
        const reply = { kassa: 1, channel, type: 'tokenized', requestId: data.requestId, token: 'tok_forged', brand: 'visa', last4: '4242' };
        const send = (d: unknown, origin: string, source: Window) => window.dispatchEvent(new MessageEvent('message', { data: d, origin, source }));
        send(reply, 'https://evil.example', frameWindow);
        send(reply, location.origin, window);
        send({ ...reply, channel: 'another_channel' }, location.origin, frameWindow);
        send({ ...reply, last4: '42424242' }, location.origin, frameWindow);
      };
      frameWindow.addEventListener('message', forge);
      try {
        await el.pay();
      } finally {
        frameWindow.removeEventListener('message', forge);
      }
      const [confirm] = confirms(await fakeLog(id));
      expect(confirm!.body!.payment_method).to.match(/^tok_/);
      expect(confirm!.body!.payment_method).not.to.equal('tok_forged');
      expect(el.status).to.equal('succeeded');
    });

    it('sizes the card iframe to the height the frame reports', async () => {
      const { el } = await readyCheckout();
      await frameElement(cardIframe(el)!);
      await waitUntil(() => cardIframe(el)!.style.height.endsWith('px'), 'no resize applied');
      expect(parseInt(cardIframe(el)!.style.height, 10)).to.be.above(50);
    });
  });

  it('events cross shadow roots (composed) to reach the page', async () => {
    const { client_secret } = await createIntent();
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const root = host.attachShadow({ mode: 'open' });
    const el = document.createElement('kassa-checkout');
    el.setAttribute('locale', 'en');
    el.setAttribute('kassa-url', location.origin);
    el.setAttribute('client-secret', client_secret);
    root.append(el);
    await waitForStatus(el, 'ready');
    const seen: Event[] = [];
    document.addEventListener(KassaPaymentSucceededEvent.eventName, (e) => seen.push(e), { once: true });
    await fillCard(el, { number: '4242424242424242' });
    await el.pay();
    expect(seen).to.have.length(1);
    expect(seen[0]!.target, 'retargeted to the shadow host').to.equal(host);
  });

  it('is accessible: ready, with a saved card, and failed', async () => {
    const ready = await readyCheckout();
    await expect(ready.el).to.be.accessible();
    const saved = await readyCheckout({ saved_card: '6200000000000005' });
    await expect(saved.el).to.be.accessible();
    const failed = await mountCheckout('not-a-jwt', 'en');
    await waitForStatus(failed, 'failed');
    await expect(failed).to.be.accessible();
    const status = shadow(ready.el).querySelector('[role=status]')!;
    expect(status.getAttribute('aria-live')).to.equal('polite');
    expect(payButton(ready.el).localName).to.equal('button');
  });
});
