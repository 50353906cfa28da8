/**
 * <kassa-checkout payment-method="alipay|paypal"> against the fake Kassa server: no card frame,
 * a confirm with `payment_method_data`, then Kassa's own action page framed inside the element
 * as a 3-D Secure page is (the QR code, or a button that opens PayPal in a popup), which posts
 * challenge_complete once the provider (played by the test) has answered. The fake mirrors the
 * server's wallet flow (see test/fake-kassa.mjs); time limits are shortened through
 * `KassaCheckout.timing` where a test needs a page to stay silent.
 */
import { expect, waitUntil } from '@open-wc/testing';
import { formatAmount } from '@kassa/core';
import {
  KassaActionRequiredEvent,
  KassaCheckout,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  KassaReadyEvent,
} from '../src/index.js';
import {
  cardIframe,
  challengeIframe,
  confirms,
  createIntent,
  fakeLog,
  fakeState,
  fillCard,
  mountCheckout,
  payButton,
  recordEvents,
  releaseConfirm,
  settleAction,
  shadow,
  statusText,
  waitForStatus,
  type FakeIntentOptions,
} from './helpers.js';

const DECLINED_EN = 'The payment with Alipay was not completed, and nothing was charged. You can try again.';
const DECLINED_ZH = '支付宝付款未完成，未扣任何款项。您可以重试。';
const UNACTIVATED_EN = 'This payment method is not available for this payment. Choose another way to pay.';
const UNACTIVATED_ZH = '此付款方式不适用于本笔付款，请选择其他付款方式。';
const UNEXPECTED_EN = 'Something went wrong. Please try again.';

/** The test server under its other loopback name: another origin, same fake. */
const otherOrigin = `${location.protocol}//${location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'}:${location.port}`;

async function readyWallet(method: 'alipay' | 'paypal', options: FakeIntentOptions = {}, locale = 'en') {
  const intent = await createIntent(options);
  const el = await mountCheckout(intent.client_secret, locale, location.origin, method);
  await waitForStatus(el, 'ready');
  return { el, ...intent };
}

/** Presses the wallet's button and waits for Kassa's page to be framed; returns the action's ref. */
async function startWallet(el: KassaCheckout, id: string) {
  const pending = el.pay();
  await waitForStatus(el, 'challenge');
  const { action } = await fakeState(id);
  if (!action) throw new Error('the fake made no action');
  return { pending, ref: action };
}

/** The document of the framed action page, once it has loaded `selector`. */
async function actionDocument(el: KassaCheckout, selector: string): Promise<Document> {
  let doc: Document | null = null;
  await waitUntil(
    () => {
      const d = challengeIframe(el)?.contentDocument;
      if (d?.querySelector(selector)) doc = d;
      return doc;
    },
    `action page never showed ${selector}`,
    { timeout: 10000 },
  );
  return doc!;
}

const walletBody = (type: string) => ({ payment_method_data: { type } });

describe('<kassa-checkout> with a wallet', () => {
  const defaults = { ...KassaCheckout.timing };
  afterEach(() => {
    KassaCheckout.timing = { ...defaults };
  });

  describe('ready', () => {
    it('shows one "Pay CN¥128.00 with Alipay" button: no card frame, no save box, no saved card, and says kassa-ready without a frame', async () => {
      const ready = recordEvents(KassaReadyEvent.eventName);
      const started = performance.now();
      const { el, id } = await readyWallet('alipay', { can_save_card: true, saved_card: '6200000000000005' });
      expect(el.paymentMethod).to.equal('alipay');
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00 with Alipay');
      expect(shadow(el).querySelectorAll('iframe'), 'no card frame at all').to.have.length(0);
      expect(shadow(el).querySelector('input[type=checkbox]'), 'nothing to save').to.equal(null);
      expect(shadow(el).querySelector('[part=link]'), 'no saved card to switch to').to.equal(null);
      expect(el.matches(':state(complete)'), 'nothing to type').to.equal(true);
      await waitUntil(() => ready.length === 1, 'kassa-ready never fired');
      expect((ready[0] as KassaReadyEvent).detail.paymentIntent.id).to.equal(id);
      // The page never even asked for the card frame.
      const frames = performance.getEntriesByType('resource').filter((e) => e.startTime >= started && e.name.includes('/frame/card'));
      expect(frames).to.deep.equal([]);
      await expect(el).to.be.accessible();
    });

    it('reads "Pay CN¥128.00 with PayPal", and 使用支付宝支付 ¥128.00 / 使用支付寶支付 in Chinese', async () => {
      const paypal = await readyWallet('paypal');
      expect(payButton(paypal.el).textContent!.trim()).to.equal('Pay CN¥128.00 with PayPal');
      const zh = await readyWallet('alipay', {}, 'zh-CN');
      expect(payButton(zh.el).textContent!.trim()).to.equal('使用支付宝支付 ¥128.00');
      const tw = await readyWallet('alipay', {}, 'zh-TW');
      expect(payButton(tw.el).textContent!.trim()).to.equal(`使用支付寶支付 ${formatAmount(12800, 'cny', 'zh-TW')}`);
    });

    it('ignores an unknown payment-method with a console warning, keeping the method it had; no attribute means card', async () => {
      const warnings: unknown[][] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args);
      try {
        const { el } = await readyWallet('alipay');
        el.setAttribute('payment-method', 'applepay');
        await el.updateComplete;
        expect(el.paymentMethod).to.equal('alipay');
        expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00 with Alipay');
        expect(warnings).to.have.length(1);
        expect(String(warnings[0]![0])).to.include('"applepay"');
        (el as unknown as { paymentMethod: string }).paymentMethod = 'bitcoin';
        expect(el.paymentMethod).to.equal('alipay');
        expect(warnings).to.have.length(2);

        el.removeAttribute('payment-method');
        await el.updateComplete;
        expect(el.paymentMethod).to.equal('card');
        expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00');
        expect(cardIframe(el), 'the card frame, now that it pays by card').not.to.equal(null);
        // Empty is unset too (Vue writes '' for an unset string property), without a warning.
        el.paymentMethod = 'paypal';
        el.setAttribute('payment-method', '');
        expect(el.paymentMethod).to.equal('card');
        expect(warnings).to.have.length(2);

        const { client_secret } = await createIntent();
        const unknown = await mountCheckout(client_secret, 'en', location.origin, 'wechat');
        await waitForStatus(unknown, 'ready');
        expect(unknown.paymentMethod, 'an unknown value from the start: the default').to.equal('card');
        expect(warnings).to.have.length(3);
      } finally {
        console.warn = warn;
      }
    });

    it('switches between card and a wallet without a reload: the frame goes and comes back, and the card still pays', async () => {
      const intent = await createIntent();
      const el = await mountCheckout(intent.client_secret, 'en');
      await waitForStatus(el, 'ready');
      expect(cardIframe(el)).not.to.equal(null);
      el.paymentMethod = 'paypal';
      await el.updateComplete;
      expect(cardIframe(el)).to.equal(null);
      expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥128.00 with PayPal');
      el.paymentMethod = 'card';
      await el.updateComplete;
      await fillCard(el, { number: '4242424242424242' });
      expect((await el.pay()).paymentIntent?.status).to.equal('succeeded');
      expect(confirms(await fakeLog(intent.id))[0]!.body!.payment_method).to.match(/^tok_/);
    });
  });

  describe('Alipay QR code', () => {
    it('confirms with payment_method_data, frames Kassa’s page inside the element, and succeeds once the code is paid', async () => {
      const actions = recordEvents(KassaActionRequiredEvent.eventName);
      const succeeded = recordEvents(KassaPaymentSucceededEvent.eventName);
      const { el, id } = await readyWallet('alipay', { can_save_card: true }, 'en');
      payButton(el).click();
      await waitForStatus(el, 'challenge');
      const { action: ref } = await fakeState(id);

      const [confirm] = confirms(await fakeLog(id));
      // Exactly the wallet: no token, no payment_method, no setup_future_usage (only cards are saved).
      expect(confirm!.body).to.deep.equal(walletBody('alipay'));
      expect(confirm!.idempotencyKey).to.match(/^kassa_[0-9a-f]{32}$/);

      const iframe = challengeIframe(el)!;
      const src = new URL(iframe.src);
      expect(src.origin).to.equal(location.origin);
      expect(src.pathname).to.equal(`/actions/${ref}`);
      expect(src.searchParams.get('channel')).to.match(/^[A-Za-z0-9_-]{8,64}$/);
      expect(src.searchParams.get('origin')).to.equal(location.origin);
      expect(src.searchParams.get('locale')).to.equal('en');
      expect(iframe.title).to.equal('Alipay payment');
      expect(iframe.hasAttribute('sandbox'), 'the page must be able to open the provider’s window').to.equal(false);
      expect(statusText(el)).to.equal('Complete the payment with Alipay.');
      expect(payButton(el).closest('[hidden]'), 'the button is hidden while the page shows').not.to.equal(null);
      await waitUntil(() => shadow(el).activeElement === iframe, 'focus never moved into the loaded action page');
      // Kassa's page shows the code it drew; the widget draws nothing itself.
      const doc = await actionDocument(el, '#qr');
      expect(new URL(doc.querySelector<HTMLImageElement>('#qr')!.src).pathname).to.equal(`/actions/${ref}/qr.svg`);
      // The page's challenge_resize sized the frame.
      await waitUntil(() => iframe.style.height.endsWith('px'), 'the action page’s height was never applied');

      const event = actions.at(-1) as KassaActionRequiredEvent;
      expect(event.detail.action.type).to.equal('display_qr_code');
      expect(event.detail.paymentIntent).to.include({ id, status: 'requires_action' });

      await settleAction(ref!, 'paid');
      await waitForStatus(el, 'succeeded');
      expect(statusText(el)).to.equal('Paid CN¥128.00 with Alipay. Thank you!');
      expect(challengeIframe(el)).to.equal(null);
      expect(succeeded).to.have.length(1);
      expect((succeeded[0] as KassaPaymentSucceededEvent).detail.paymentIntent).to.include({ id, status: 'succeeded' });
      expect(shadow(el).activeElement?.getAttribute('role')).to.equal('status');
      expect(confirms(await fakeLog(id))).to.have.length(1);
    });

    it('speaks Chinese throughout: the frame’s title, the status, the confirmation', async () => {
      const { el, id } = await readyWallet('alipay', {}, 'zh-CN');
      const { pending, ref } = await startWallet(el, id);
      expect(challengeIframe(el)!.title).to.equal('支付宝付款');
      expect(new URL(challengeIframe(el)!.src).searchParams.get('locale')).to.equal('zh-CN');
      expect(statusText(el)).to.equal('请使用支付宝完成付款。');
      await settleAction(ref, 'paid');
      expect((await pending).paymentIntent?.status).to.equal('succeeded');
      await el.updateComplete;
      expect(statusText(el)).to.equal('已使用支付宝支付 ¥128.00，谢谢！');
    });

    it('is accessible while the code is shown', async () => {
      const { el, id } = await readyWallet('alipay');
      const { pending, ref } = await startWallet(el, id);
      await expect(el).to.be.accessible();
      await settleAction(ref, 'paid');
      await pending;
    });

    it('a code that expires ends in a retryable failure that says so truthfully, and the retry gets a new code and key', async () => {
      // Far shorter than the code's life: the wait must follow expires_at, not the challenge's limit.
      KassaCheckout.timing = { ...defaults, challengeMs: 300, qrMarginMs: 2000 };
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      const { el, id } = await readyWallet('alipay', { qr_ttl: 1 });
      const { pending, ref } = await startWallet(el, id);
      const result = await pending;

      expect(result.error).to.be.instanceOf(KassaError);
      // The server's codes stay as they are (a decline), only the words are the wallet's.
      expect(result.error).to.include({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: DECLINED_EN });
      await el.updateComplete;
      expect(statusText(el)).to.equal(DECLINED_EN);
      expect(statusText(el)).not.to.include('card');
      const event = failed.at(-1) as KassaPaymentFailedEvent;
      expect(event.detail.error.message).to.equal(DECLINED_EN);
      expect(event.detail.paymentIntent?.status).to.equal('requires_payment_method');
      expect(challengeIframe(el)).to.equal(null);
      expect(payButton(el).textContent!.trim(), 'payable again').to.equal('Pay CN¥128.00 with Alipay');
      expect(shadow(el).activeElement, 'focus back on the button').to.equal(payButton(el));

      el.setAttribute('locale', 'zh-CN');
      await waitUntil(() => statusText(el) === DECLINED_ZH, `still "${statusText(el)}"`);

      const retry = await startWallet(el, id);
      expect(retry.ref, 'a new code').not.to.equal(ref);
      await settleAction(retry.ref, 'paid');
      expect((await retry.pending).paymentIntent?.status).to.equal('succeeded');
      const state = await fakeState(id);
      const [first, second] = confirms(state.log);
      expect(second!.idempotencyKey).not.to.equal(first!.idempotencyKey);
      expect(second!.body).to.deep.equal(walletBody('alipay'));
      expect(state.orders).to.equal(2);
    });

    it('waits for a silent page until the code expires (plus the margin), not the challenge’s limit, then ends with the wallet’s words', async () => {
      KassaCheckout.timing = { ...defaults, challengeMs: 200, qrMarginMs: 300 };
      const actions = recordEvents(KassaActionRequiredEvent.eventName);
      const { el, id } = await readyWallet('alipay', { qr_ttl: 2, silent_action: true });
      const { pending } = await startWallet(el, id);
      const action = (actions.at(-1) as KassaActionRequiredEvent).detail.action;
      if (action.type !== 'display_qr_code') throw new Error(`unexpected ${action.type}`);
      const expiresAt = (action.display_qr_code as { expires_at: number }).expires_at * 1000;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(el.status, 'still showing the code well past challengeMs').to.equal('challenge');

      const result = await pending;
      // The silent page stopped asking, so the intent still waits at the provider: no retry.
      expect(result.error).to.include({ type: 'api_error', code: 'challenge_timeout' });
      expect(Date.now(), 'not before the code expired, plus the margin').to.be.at.least(expiresAt + 300 - 50);
      expect(result.error!.message).to.equal('The payment with Alipay timed out. This payment has not been completed.');
      expect(payButton(el)).to.equal(null);
      expect(challengeIframe(el)).to.equal(null);
    });
  });

  describe('PayPal (and Alipay’s cashier): a page that opens the provider in a popup', () => {
    it('frames Kassa’s page, whose button opens PayPal in a popup window; approved there, the payment succeeds', async () => {
      const actions = recordEvents(KassaActionRequiredEvent.eventName);
      const { el, id } = await readyWallet('paypal');
      const { pending, ref } = await startWallet(el, id);
      expect(confirms(await fakeLog(id))[0]!.body).to.deep.equal(walletBody('paypal'));
      const iframe = challengeIframe(el)!;
      expect(new URL(iframe.src).pathname).to.equal(`/actions/${ref}`);
      expect(iframe.title).to.equal('PayPal payment');
      expect(iframe.hasAttribute('sandbox')).to.equal(false);
      expect(statusText(el)).to.equal('Complete the payment with PayPal.');
      const event = actions.at(-1) as KassaActionRequiredEvent;
      expect(event.detail.action.type).to.equal('redirect_to_url');

      // The click happens inside the framed page, which opens the provider's page itself.
      const doc = await actionDocument(el, '#open');
      doc.querySelector<HTMLAnchorElement>('#open')!.click();
      const page = iframe.contentWindow as Window & { kassaPopup?: Window | null };
      await waitUntil(() => page.kassaPopup?.document?.querySelector('#approve'), 'the provider’s popup never opened', { timeout: 10000 });
      const popup = page.kassaPopup!;
      expect(popup.opener, 'a window of its own, opened by Kassa’s page').to.equal(page);
      expect(new URL(popup.location.href).pathname).to.equal('/__fake/paypal/checkout');
      expect((await fakeLog(id)).filter((e) => e.provider === 'paypal')).to.have.length(1);
      expect(el.status, 'opening the window decides nothing').to.equal('challenge');

      popup.document.querySelector<HTMLButtonElement>('#approve')!.click();
      const result = await pending;
      expect(result.paymentIntent?.status).to.equal('succeeded');
      await el.updateComplete;
      expect(statusText(el)).to.equal('Paid CN¥128.00 with PayPal. Thank you!');
      await waitUntil(() => popup.closed, 'the provider’s window stayed open');
    });

    it('refused at Alipay’s cashier: the wallet’s words, and the button is back', async () => {
      const { el, id } = await readyWallet('alipay', { alipay_flow: 'redirect' });
      const { pending, ref } = await startWallet(el, id);
      expect(challengeIframe(el)!.title).to.equal('Alipay payment');
      await settleAction(ref, 'refused');
      const result = await pending;
      expect(result.error).to.include({ type: 'card_error', decline_code: 'generic_decline', message: DECLINED_EN });
      expect(payButton(el)).not.to.equal(null);
    });

    it('waits for a silent provider page the generous wallet limit, not the challenge’s', async () => {
      KassaCheckout.timing = { ...defaults, challengeMs: 100, walletMs: 700 };
      const { el, id } = await readyWallet('paypal', { silent_action: true });
      const started = performance.now();
      const { pending } = await startWallet(el, id);
      const result = await pending;
      expect(performance.now() - started).to.be.at.least(700);
      expect(result.error).to.include({ code: 'challenge_timeout', message: 'The payment with PayPal timed out. This payment has not been completed.' });
      el.setAttribute('locale', 'zh-CN');
      await waitUntil(() => statusText(el) === 'PayPal付款超时，此笔付款未完成。', `still "${statusText(el)}"`);
    });
  });

  describe('what the widget refuses or cannot do', () => {
    it('a redirect without Kassa’s page (the merchant’s full-page flow) is the unsupported-action error, nothing framed', async () => {
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      const { el, id } = await readyWallet('paypal', { no_hosted_url: true });
      const result = await el.pay();
      expect(result.error).to.include({ type: 'api_error', code: 'unsupported_action', message: UNEXPECTED_EN });
      expect(shadow(el).querySelectorAll('iframe')).to.have.length(0);
      expect((failed.at(-1) as KassaPaymentFailedEvent).detail.paymentIntent?.status).to.equal('requires_action');
      expect(confirms(await fakeLog(id))).to.have.length(1);
    });

    it('refuses Kassa’s page on another origin: nothing framed, nothing loaded from there', async () => {
      const started = performance.now();
      const { el } = await readyWallet('alipay', { action_origin: otherOrigin });
      const result = await el.pay();
      expect(result.error).to.include({ code: 'unsupported_action' });
      expect(shadow(el).querySelectorAll('iframe')).to.have.length(0);
      const elsewhere = performance.getEntriesByType('resource').filter((e) => e.startTime >= started && e.name.startsWith(otherOrigin));
      expect(elsewhere).to.deep.equal([]);
    });

    it('a wallet no provider takes: payment_method_unactivated in the shopper’s words; another method is offered at once', async () => {
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      const { el, id } = await readyWallet('paypal', { wallets: ['alipay'] });
      const result = await el.pay();
      expect(result.error).to.include({
        type: 'invalid_request_error',
        code: 'payment_method_unactivated',
        param: 'payment_method_data[type]',
        message: UNACTIVATED_EN,
      });
      await el.updateComplete;
      expect(statusText(el)).to.equal(UNACTIVATED_EN);
      expect((failed.at(-1) as KassaPaymentFailedEvent).detail.error.code).to.equal('payment_method_unactivated');
      expect(shadow(el).querySelectorAll('iframe')).to.have.length(0);
      el.setAttribute('locale', 'zh-CN');
      await waitUntil(() => statusText(el) === UNACTIVATED_ZH, `still "${statusText(el)}"`);

      // The merchant offers Alipay instead: ready again (no stale error), and it pays.
      el.setAttribute('payment-method', 'alipay');
      await el.updateComplete;
      expect(el.status).to.equal('ready');
      expect(statusText(el)).to.equal('');
      const { pending, ref } = await startWallet(el, id);
      await settleAction(ref, 'paid');
      expect((await pending).paymentIntent?.status).to.equal('succeeded');
      expect((await fakeState(id)).orders).to.equal(1);
    });
  });

  describe('idempotency', () => {
    it('one confirm for repeated presses while it runs', async () => {
      const { el, id } = await readyWallet('alipay', { hold_confirm: true });
      const first = el.pay();
      const second = el.pay();
      await waitForStatus(el, 'processing');
      expect(statusText(el)).to.equal('Processing payment…');
      expect(payButton(el).getAttribute('aria-disabled')).to.equal('true');
      payButton(el).click();
      await releaseConfirm(id);
      await waitForStatus(el, 'challenge');
      const { action } = await fakeState(id);
      await settleAction(action!, 'paid');
      const [a, b] = await Promise.all([first, second]);
      expect(a.paymentIntent?.status).to.equal('succeeded');
      expect(b.paymentIntent?.id).to.equal(a.paymentIntent?.id);
      expect(confirms(await fakeLog(id))).to.have.length(1);
      expect((await fakeState(id)).orders).to.equal(1);
    });

    it('a confirm whose answer was lost: the retry (a new key) finds the order already made and shows its code, never a second order', async () => {
      const { el, id } = await readyWallet('alipay', { confirm_lost_answer: true });
      const lost = await el.pay();
      expect(lost.error).to.include({ type: 'api_connection_error', code: 'network_error' });
      const made = await fakeState(id);
      expect(made.orders, 'the first confirm did reach the provider').to.equal(1);
      expect(payButton(el), 'the shopper may try again').not.to.equal(null);

      const { pending, ref } = await startWallet(el, id);
      expect(ref, 'the same code as the lost answer').to.equal(made.action);
      expect(new URL(challengeIframe(el)!.src).pathname).to.equal(`/actions/${made.action}`);
      await settleAction(ref, 'paid');
      expect((await pending).paymentIntent?.status).to.equal('succeeded');

      const state = await fakeState(id);
      expect(state.orders, 'one order in all').to.equal(1);
      const attempts = confirms(state.log);
      const keys = attempts.map((c) => c.idempotencyKey);
      // The first key (Chrome repeats a dropped request once, under the same key), then the retry's.
      expect(new Set(keys).size).to.equal(2);
      expect(keys.at(-1)).not.to.equal(keys[0]);
      for (const attempt of attempts) expect(attempt.body).to.deep.equal(walletBody('alipay'));
    });
  });
});
