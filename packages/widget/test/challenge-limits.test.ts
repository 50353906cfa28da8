/**
 * 3-D Secure that does not end cleanly: a challenge page that never reports back, and a
 * challenge that completes while the payment is still unsettled (`processing` / `unknown`, which
 * the server's result page reports with challenge_complete all the same). The element must end
 * every attempt in bounded time, say only what it knows, and offer a retry only when the intent
 * can be paid again. The limits are shortened through `KassaCheckout.timing` (for tests only).
 */
import { expect, waitUntil } from '@open-wc/testing';
import { KassaCheckout, KassaPaymentFailedEvent, KassaPaymentSucceededEvent } from '../src/index.js';
import {
  answerChallenge,
  cardIframe,
  challengeIframe,
  confirms,
  createIntent,
  fakeLog,
  fillCard,
  frameCleared,
  mountCheckout,
  payButton,
  recordEvents,
  statusText,
  waitForStatus,
  type FakeIntentOptions,
} from './helpers.js';

const UNCONFIRMED_EN =
  'We could not confirm your payment yet. It may still complete, and you will not be charged twice for it. Check your order status or contact the shop before paying again.';
const UNCONFIRMED_ZH = '暂时无法确认您的付款。付款可能仍会完成，且不会重复扣款。再次付款前，请查看订单状态或联系商家。';
const TIMEOUT_EN = 'Verification with your bank timed out. This payment has not been completed.';
const TIMEOUT_ZH = '发卡行验证超时，此笔付款未完成。';

const gets = async (id: string) => (await fakeLog(id)).filter((e) => e.method === 'GET');

/** Pays with the 3-D Secure card and waits until the challenge is shown. */
async function startChallenge(options: FakeIntentOptions = {}, locale = 'en') {
  const intent = await createIntent(options);
  const el = await mountCheckout(intent.client_secret, locale);
  await waitForStatus(el, 'ready');
  await fillCard(el, { number: '4000000000003220' });
  const pending = el.pay();
  await waitForStatus(el, 'challenge');
  return { el, pending, ...intent };
}

describe('3-D Secure time limits', () => {
  const defaults = { ...KassaCheckout.timing };
  beforeEach(() => {
    KassaCheckout.timing = { ...defaults, challengeMs: 400, pollMs: 10, maxPollMs: 40 };
  });
  afterEach(() => {
    KassaCheckout.timing = { ...defaults };
  });

  it('gives a challenge ten minutes by default, a wallet’s page thirty (a QR code: its validity plus a minute), and polls from 1.5 s up to 8 s', () => {
    expect(defaults).to.deep.equal({ challengeMs: 10 * 60_000, walletMs: 30 * 60_000, qrMarginMs: 60_000, pollMs: 1500, maxPollMs: 8000 });
  });

  describe('after challenge_complete, an intent the provider has not settled', () => {
    it('is asked about again, each wait longer than the last, until it settles', async () => {
      KassaCheckout.timing = { ...KassaCheckout.timing, pollMs: 10, maxPollMs: 10_000 };
      const succeeded = recordEvents(KassaPaymentSucceededEvent.eventName);
      const { el, pending, id } = await startChallenge({ after_3ds: 'processing', settle_to: 'succeeded', settle_after: 4 });
      const before = (await gets(id)).length;
      const started = performance.now();
      await answerChallenge(el, 'complete');
      const result = await pending;
      expect(result.paymentIntent?.status).to.equal('succeeded');
      expect(el.status).to.equal('succeeded');
      expect(succeeded).to.have.length(1);
      // One look right after the challenge, four still undecided, then the settled one.
      expect((await gets(id)).length - before).to.equal(5);
      // Backoff, not a fixed pace: the waits were 20 + 40 + 80 + 160 ms (doubling per hop).
      expect(performance.now() - started).to.be.at.least(300);
    });

    for (const status of ['processing', 'unknown'] as const) {
      it(`still ${status} after the last poll: fails in bounded time with "could not confirm yet", no retry offered`, async () => {
        const failed = recordEvents(KassaPaymentFailedEvent.eventName);
        const { el, pending, id } = await startChallenge({ after_3ds: status });
        await answerChallenge(el, 'complete');
        const result = await pending;
        expect(result.error).to.include({ type: 'api_error', code: 'payment_unconfirmed' });
        expect(result.error!.message).to.equal(UNCONFIRMED_EN);
        expect(el.status).to.equal('failed');
        await el.updateComplete;
        expect(statusText(el)).to.equal(UNCONFIRMED_EN);

        const event = failed.at(-1) as KassaPaymentFailedEvent;
        expect(event.detail.error.code).to.equal('payment_unconfirmed');
        expect(event.detail.paymentIntent?.status, 'the merchant learns the payment is still open').to.equal(status);
        // Nothing to press: this intent cannot be confirmed again, and a second intent could charge twice.
        expect(payButton(el)).to.equal(null);
        expect(challengeIframe(el)).to.equal(null);
        expect((await el.pay()).error?.code).to.equal('payment_unconfirmed');
        expect(confirms(await fakeLog(id))).to.have.length(1);

        // A bounded number of looks (one after the challenge, then the polls), and then silence.
        const looks = (await gets(id)).length;
        expect(looks - 1, 'GETs after the first load').to.equal(6);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await gets(id)).length).to.equal(looks);

        el.setAttribute('locale', 'zh-CN');
        // The Chinese strings are a chunk loaded on demand; until then the English stays.
        await waitUntil(() => statusText(el) === UNCONFIRMED_ZH, `still "${statusText(el)}"`);
      });
    }

    it('an intent processing right after confirm (no challenge) ends the same truthful way', async () => {
      const intent = await createIntent({ confirm_status: 'unknown' });
      const el = await mountCheckout(intent.client_secret, 'en');
      await waitForStatus(el, 'ready');
      await fillCard(el, { number: '4242424242424242' });
      const result = await el.pay();
      expect(result.error?.code).to.equal('payment_unconfirmed');
      expect(payButton(el)).to.equal(null);
    });
  });

  describe('a challenge page that never reports back', () => {
    it('fails after the limit with the timeout message; the intent still awaits the bank, so no retry', async () => {
      const failed = recordEvents(KassaPaymentFailedEvent.eventName);
      const { el, pending, id } = await startChallenge({}, 'zh-CN');
      const before = (await gets(id)).length;
      // Nobody answers the challenge.
      const result = await pending;
      expect(result.error).to.include({ type: 'api_error', code: 'challenge_timeout' });
      expect(result.error!.message).to.equal(TIMEOUT_ZH);
      expect(el.status).to.equal('failed');
      await el.updateComplete;
      expect(statusText(el)).to.equal(TIMEOUT_ZH);
      expect(challengeIframe(el), 'the silent page is gone').to.equal(null);
      expect(payButton(el)).to.equal(null);
      expect((failed.at(-1) as KassaPaymentFailedEvent).detail.paymentIntent?.status).to.equal('requires_action');
      // The element asked the server once where the intent stands, and did not reopen the challenge.
      expect((await gets(id)).length - before).to.equal(1);

      el.setAttribute('locale', 'en');
      await el.updateComplete;
      expect(statusText(el)).to.equal(TIMEOUT_EN);
    });

    it('fails after the limit, retryable, when the bank has meanwhile failed it (intent payable again)', async () => {
      const { el, pending, id } = await startChallenge();
      // The bank decided, but its page never said so.
      await fetch(`/__fake/3ds/${id}/result`, { method: 'POST', body: JSON.stringify({ result: 'fail' }) });
      const result = await pending;
      expect(result.error?.code).to.equal('challenge_timeout');
      await el.updateComplete;
      expect(statusText(el)).to.equal(TIMEOUT_EN);
      expect(cardIframe(el)!.closest('[hidden]'), 'card form back').to.equal(null);
      expect(payButton(el)).not.to.equal(null);

      await frameCleared(el);
      await fillCard(el, { number: '4242424242424242' });
      expect((await el.pay()).paymentIntent?.status).to.equal('succeeded');
      const [first, second] = confirms(await fakeLog(id));
      expect(second!.idempotencyKey).not.to.equal(first!.idempotencyKey);
    });

    it('succeeds after the limit when the payment went through but the page’s message was lost', async () => {
      const succeeded = recordEvents(KassaPaymentSucceededEvent.eventName);
      const { el, pending, id } = await startChallenge();
      await fetch(`/__fake/3ds/${id}/result`, { method: 'POST', body: JSON.stringify({ result: 'pass' }) });
      expect((await pending).paymentIntent?.status).to.equal('succeeded');
      expect(el.status).to.equal('succeeded');
      expect(succeeded).to.have.length(1);
    });

    it('does not time out a challenge that is answered within the limit', async () => {
      KassaCheckout.timing = { ...KassaCheckout.timing, challengeMs: 5000 };
      const { el, pending } = await startChallenge();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(el.status).to.equal('challenge');
      await answerChallenge(el, 'complete');
      expect((await pending).paymentIntent?.status).to.equal('succeeded');
    });
  });

  it('a new client secret during a long poll ends the old attempt quietly and loads the new intent', async () => {
    KassaCheckout.timing = { ...KassaCheckout.timing, pollMs: 2000, maxPollMs: 2000 };
    const { el, pending } = await startChallenge({ after_3ds: 'processing' });
    await answerChallenge(el, 'complete');
    await waitForStatus(el, 'processing');
    expect(challengeIframe(el), 'the bank’s page is done').to.equal(null);
    expect(statusText(el)).to.equal('Processing payment…');
    const next = await createIntent({ amount: 5000 });
    el.clientSecret = next.client_secret;
    expect((await pending).error).to.not.equal(undefined);
    await waitForStatus(el, 'ready');
    expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥50.00');
  });
});
