/**
 * <kassa-card-frame> in its real page (/frame/card, served with the production CSP), framed by
 * this test page, which plays the host: it reads what the frame posts and posts commands to it.
 */
import { expect, waitUntil } from '@open-wc/testing';
import { blur, createIntent, fakeLog, frameElement, frameInput, shadow, tokenRequests, typeInto } from './helpers.js';

const CHANNEL = 'test_channel_0001';

interface Framed {
  iframe: HTMLIFrameElement;
  frame: HTMLElement;
  win: Window;
  /** Everything the frame posted to this window, in order. */
  received: Record<string, unknown>[];
  post(message: Record<string, unknown>): void;
  /** Waits for the next message of a type (optionally matching a predicate) after `from`. */
  next(type: string, from?: number): Promise<Record<string, unknown>>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

async function openFrame(options: { locale?: string; origin?: string; channel?: string } = {}): Promise<Framed> {
  const iframe = document.createElement('iframe');
  iframe.title = 'card frame under test';
  const received: Record<string, unknown>[] = [];
  const listener = (event: MessageEvent) => {
    if (event.source === iframe.contentWindow) received.push(event.data as Record<string, unknown>);
  };
  window.addEventListener('message', listener);
  const query = new URLSearchParams({
    channel: options.channel ?? CHANNEL,
    origin: options.origin ?? location.origin,
    locale: options.locale ?? 'en',
  });
  iframe.src = `/frame/card?${query}`;
  document.body.append(iframe);
  cleanups.push(() => {
    window.removeEventListener('message', listener);
    iframe.remove();
  });
  const mute = options.origin !== undefined && options.origin !== location.origin;
  let frame: HTMLElement;
  if (mute) {
    await waitUntil(() => iframe.contentDocument?.querySelector('kassa-card-frame')?.shadowRoot?.firstElementChild, 'frame never rendered');
    frame = iframe.contentDocument!.querySelector('kassa-card-frame')!;
  } else {
    frame = await frameElement(iframe);
  }
  const framed: Framed = {
    iframe,
    frame,
    win: iframe.contentWindow!,
    received,
    post: (message) => iframe.contentWindow!.postMessage({ kassa: 1, channel: CHANNEL, ...message }, location.origin),
    async next(type, from = 0) {
      let found: Record<string, unknown> | undefined;
      await waitUntil(() => (found = received.slice(from).find((m) => m.type === type)), `no ${type} message`, {
        timeout: 10000,
      });
      return found!;
    },
  };
  if (!mute) await framed.next('ready');
  return framed;
}

const errorText = (frame: HTMLElement, field: string) => shadow(frame).querySelector(`#${field}-error`)!.textContent!.trim();
const brandText = (frame: HTMLElement) => shadow(frame).querySelector('#number-brand')!.textContent!.trim();

async function settle(frame: HTMLElement): Promise<void> {
  await (frame as unknown as { updateComplete: Promise<unknown> }).updateComplete;
}

describe('<kassa-card-frame>', () => {
  describe('formatting and validation (core rules, shown per field)', () => {
    it('groups a Visa number 4-4-4-4 and names the brand', async () => {
      const { frame } = await openFrame();
      const number = frameInput(frame, 'number');
      typeInto(number, '4242424242424242');
      await settle(frame);
      expect(number.value).to.equal('4242 4242 4242 4242');
      expect(brandText(frame)).to.equal('Visa');
      expect(errorText(frame, 'number')).to.equal('');
      expect(number.getAttribute('aria-invalid')).to.equal('false');
    });

    it('groups American Express 4-6-5 and asks it for a 4-digit CVC', async () => {
      const { frame } = await openFrame();
      typeInto(frameInput(frame, 'number'), '378282246310005');
      await settle(frame);
      expect(frameInput(frame, 'number').value).to.equal('3782 822463 10005');
      expect(brandText(frame)).to.equal('American Express');
      const cvc = frameInput(frame, 'cvc');
      typeInto(cvc, '123');
      blur(cvc);
      await settle(frame);
      expect(errorText(frame, 'cvc')).to.equal("Your card's security code is incomplete.");
      typeInto(cvc, '1234');
      await settle(frame);
      expect(cvc.value).to.equal('1234');
      expect(errorText(frame, 'cvc')).to.equal('');
    });

    it('recognises Mastercard, UnionPay and JCB', async () => {
      const { frame } = await openFrame();
      const cases: [string, string][] = [
        ['5555555555554444', 'Mastercard'],
        ['6200000000000005', 'UnionPay'],
        ['3566002020360505', 'JCB'],
      ];
      for (const [digits, brand] of cases) {
        typeInto(frameInput(frame, 'number'), digits);
        await settle(frame);
        expect(brandText(frame), digits).to.equal(brand);
        expect(errorText(frame, 'number'), digits).to.equal('');
      }
    });

    it('accepts full-width digits and ideographic spaces from a Chinese IME', async () => {
      const { frame } = await openFrame({ locale: 'zh-CN' });
      const number = frameInput(frame, 'number');
      typeInto(number, '６２００\u3000００００ ００００ ０００５');
      await settle(frame);
      expect(number.value).to.equal('6200 0000 0000 0005');
      expect(brandText(frame)).to.equal('银联');
      typeInto(frameInput(frame, 'expiry'), '１２／３４');
      typeInto(frameInput(frame, 'cvc'), '１２３');
      await settle(frame);
      expect(frameInput(frame, 'expiry').value).to.equal('12/34');
      expect(frameInput(frame, 'cvc').value).to.equal('123');
    });

    it('waits for the IME to finish composing before reformatting', async () => {
      const { frame } = await openFrame();
      const number = frameInput(frame, 'number');
      typeInto(number, '４２４２４', { isComposing: true });
      expect(number.value, 'untouched mid-composition').to.equal('４２４２４');
      number.dispatchEvent(new (frame.ownerDocument.defaultView!.CompositionEvent)('compositionend', { bubbles: true, composed: true }));
      expect(number.value).to.equal('4242 4');
    });

    it('drops letters and caps the number at the brand’s longest length (19 for Visa)', async () => {
      const { frame } = await openFrame();
      const number = frameInput(frame, 'number');
      typeInto(number, '4242-4242x4242 4242 4242 4242');
      // core's Visa grouping is 4-4-4 and then the rest.
      expect(number.value).to.equal('4242 4242 4242 4242424');
    });

    it('flags a number that fails the Luhn check once it is full length', async () => {
      const { frame } = await openFrame();
      const number = frameInput(frame, 'number');
      typeInto(number, '4242424242424241');
      await settle(frame);
      expect(errorText(frame, 'number')).to.equal('Your card number is invalid.');
      expect(number.getAttribute('aria-invalid')).to.equal('true');
      expect(number.getAttribute('aria-describedby')).to.contain('number-error');
    });

    it('says nothing about an incomplete number while typing, and says it after leaving the field', async () => {
      const { frame } = await openFrame();
      const number = frameInput(frame, 'number');
      typeInto(number, '4242 4242');
      await settle(frame);
      expect(errorText(frame, 'number')).to.equal('');
      blur(number);
      await settle(frame);
      expect(errorText(frame, 'number')).to.equal('Your card number is incomplete.');
    });

    it('formats and checks the expiry date (MM/YY)', async () => {
      const { frame } = await openFrame();
      const expiry = frameInput(frame, 'expiry');
      const check = async (typed: string, shown: string, error: string) => {
        typeInto(expiry, typed);
        blur(expiry);
        await settle(frame);
        expect(expiry.value, typed).to.equal(shown);
        expect(errorText(frame, 'expiry'), typed).to.equal(error);
      };
      await check('1234', '12/34', '');
      await check('12/2034', '12/34', '');
      await check('1/', '01', "Your card's expiry date is incomplete.");
      await check('4', '04', "Your card's expiry date is incomplete.");
      await check('13/30', '13/30', "Your card's expiry month is invalid.");
      await check('01/20', '01/20', "Your card's expiry date is in the past.");
    });

    it('shows labels, placeholders and errors in Chinese', async () => {
      const { frame } = await openFrame({ locale: 'zh-CN' });
      const label = (field: string) => shadow(frame).querySelector(`label[for=${field}]`)!.textContent!.trim();
      expect(label('number')).to.equal('卡号');
      expect(label('expiry')).to.equal('有效期（月/年）');
      expect(label('cvc')).to.equal('安全码（CVC）');
      const number = frameInput(frame, 'number');
      typeInto(number, '4242424242424241');
      await settle(frame);
      expect(errorText(frame, 'number')).to.equal('卡号无效。');
    });

    it('gives every input a label, autocomplete and a numeric keyboard', async () => {
      const { frame } = await openFrame();
      const expected = { number: 'cc-number', expiry: 'cc-exp', cvc: 'cc-csc' };
      for (const [field, autocomplete] of Object.entries(expected)) {
        const input = frameInput(frame, field as 'number');
        expect(input.getAttribute('autocomplete'), field).to.equal(autocomplete);
        expect(input.getAttribute('inputmode'), field).to.equal('numeric');
        expect(input.labels?.length, field).to.equal(1);
      }
    });
  });

  describe('protocol with the host', () => {
    it('says ready, reports its height, and reports changes without any card data', async () => {
      const framed = await openFrame();
      const resize = await framed.next('resize');
      expect(resize.height).to.be.a('number').and.above(50);
      const from = framed.received.length;
      typeInto(frameInput(framed.frame, 'number'), '4242424242424242');
      typeInto(frameInput(framed.frame, 'expiry'), '12/34');
      typeInto(frameInput(framed.frame, 'cvc'), '123');
      await waitUntil(() => framed.received.slice(from).some((m) => m.type === 'change' && m.complete === true));
      const changes = framed.received.slice(from).filter((m) => m.type === 'change');
      expect(changes.at(-1)).to.deep.equal({ kassa: 1, channel: CHANNEL, type: 'change', complete: true, empty: false, brand: 'visa' });
      expect(JSON.stringify(framed.received)).not.to.contain('4242');
      expect(JSON.stringify(framed.received)).not.to.contain('123"');
    });

    it('tokenizes: posts digits to /client/tokens with the client secret, answers with token, brand and last 4 only, then forgets the CVC', async () => {
      const { id, client_secret } = await createIntent();
      const framed = await openFrame();
      const consoleCalls: unknown[][] = [];
      const frameConsole = (framed.win as Window & typeof globalThis).console;
      for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
        frameConsole[method] = (...args: unknown[]) => consoleCalls.push(args);
      }
      framed.post({ type: 'init', clientSecret: client_secret, locale: 'en' });
      typeInto(frameInput(framed.frame, 'number'), '4242 4242 4242 4242');
      typeInto(frameInput(framed.frame, 'expiry'), '12/34');
      typeInto(frameInput(framed.frame, 'cvc'), '123');
      const from = framed.received.length;
      framed.post({ type: 'tokenize', requestId: 'req_1' });
      const reply = await framed.next('tokenized', from);
      expect(reply.requestId).to.equal('req_1');
      expect(reply.token).to.match(/^tok_/);
      expect(reply.brand).to.equal('visa');
      expect(reply.last4).to.equal('4242');
      expect(Object.keys(reply).sort()).to.deep.equal(['brand', 'channel', 'kassa', 'last4', 'requestId', 'token', 'type']);

      const [request] = tokenRequests(await fakeLog(id));
      expect(request!.card).to.deep.equal({
        digitsOnly: true,
        last4: '4242',
        exp_month: 12,
        exp_year: 2034,
        cvcLength: 3,
        cvcDigitsOnly: true,
      });
      await settle(framed.frame);
      expect(frameInput(framed.frame, 'cvc').value, 'CVC cleared after tokenizing').to.equal('');
      expect(frameInput(framed.frame, 'number').value).to.equal('4242 4242 4242 4242');
      expect(JSON.stringify(consoleCalls)).not.to.match(/4242|123/);
    });

    it('answers tokenize with token_error naming the field when the card is incomplete, and focuses it', async () => {
      const { id, client_secret } = await createIntent();
      const framed = await openFrame();
      framed.post({ type: 'init', clientSecret: client_secret, locale: 'en' });
      typeInto(frameInput(framed.frame, 'number'), '4242424242424242');
      typeInto(frameInput(framed.frame, 'expiry'), '12/3');
      framed.post({ type: 'tokenize', requestId: 'req_2' });
      const reply = await framed.next('token_error');
      expect(reply).to.include({ requestId: 'req_2', code: 'incomplete_expiry', field: 'expiry' });
      expect(reply.message).to.equal("Your card's expiry date is incomplete.");
      expect(shadow(framed.frame).activeElement?.id).to.equal('expiry');
      await settle(framed.frame);
      expect(errorText(framed.frame, 'cvc'), 'every field is checked on submit').to.equal("Your card's security code is incomplete.");
      expect(tokenRequests(await fakeLog(id))).to.have.length(0);
    });

    it('refuses to tokenize before init gave it a client secret', async () => {
      const framed = await openFrame();
      typeInto(frameInput(framed.frame, 'number'), '4242424242424242');
      framed.post({ type: 'tokenize', requestId: 'req_3' });
      const reply = await framed.next('token_error');
      expect(reply).to.include({ requestId: 'req_3', code: 'frame_not_initialized' });
    });

    it('reset clears every field and error', async () => {
      const framed = await openFrame();
      typeInto(frameInput(framed.frame, 'number'), '4242424242424241');
      typeInto(frameInput(framed.frame, 'expiry'), '01/20');
      typeInto(frameInput(framed.frame, 'cvc'), '12');
      framed.post({ type: 'reset' });
      // (Messages posted while typing may still be arriving: wait for the one that says empty.)
      await waitUntil(() => framed.received.some((m) => m.type === 'change' && m.empty === true), 'no empty change');
      await settle(framed.frame);
      for (const field of ['number', 'expiry', 'cvc'] as const) {
        expect(frameInput(framed.frame, field).value, field).to.equal('');
        expect(errorText(framed.frame, field), field).to.equal('');
      }
    });

    it('switches language when init says so', async () => {
      const framed = await openFrame({ locale: 'en' });
      framed.post({ type: 'init', clientSecret: 'a.b.c', locale: 'zh-CN' });
      await waitUntil(() => shadow(framed.frame).querySelector('label[for=number]')!.textContent!.trim() === '卡号');
      expect(framed.iframe.contentDocument!.documentElement.lang).to.equal('zh-CN');
    });

    it('ignores messages from another origin, another window, another channel, or of the wrong shape', async () => {
      const { id, client_secret } = await createIntent();
      const framed = await openFrame();
      framed.post({ type: 'init', clientSecret: client_secret, locale: 'en' });
      typeInto(frameInput(framed.frame, 'number'), '4242424242424242');
      typeInto(frameInput(framed.frame, 'expiry'), '12/34');
      typeInto(frameInput(framed.frame, 'cvc'), '123');
      const tokenize = (requestId: string) => ({ kassa: 1, channel: CHANNEL, type: 'tokenize', requestId });
      const MessageEventInFrame = (framed.win as Window & typeof globalThis).MessageEvent;
      // Right shape, wrong origin (a script on another site that got hold of the frame).
      framed.win.dispatchEvent(new MessageEventInFrame('message', { data: tokenize('evil_origin'), origin: 'https://evil.example', source: window }));
      // Right origin, but not from the parent window.
      framed.win.dispatchEvent(new MessageEventInFrame('message', { data: tokenize('evil_source'), origin: location.origin, source: framed.win }));
      // From the parent, wrong channel (another checkout on the page).
      framed.win.postMessage({ ...tokenize('evil_channel'), channel: 'other_channel_1' }, location.origin);
      // Malformed: no requestId, wrong version, not an object.
      framed.win.postMessage({ kassa: 1, channel: CHANNEL, type: 'tokenize' }, location.origin);
      framed.win.postMessage({ ...tokenize('bad_version'), kassa: 2 }, location.origin);
      framed.win.postMessage('tokenize', location.origin);
      // Then one good request: messages are handled in order, so all the above were seen first.
      framed.post({ type: 'tokenize', requestId: 'req_good' });
      await framed.next('tokenized');
      const replies = framed.received.filter((m) => m.type === 'tokenized' || m.type === 'token_error');
      expect(replies.map((m) => m.requestId)).to.deep.equal(['req_good']);
      expect(tokenRequests(await fakeLog(id))).to.have.length(1);
    });

    it('stays mute when its origin parameter is not a bare origin', async () => {
      for (const origin of ['https://shop.example/path', 'javascript:alert(1)', 'null']) {
        const framed = await openFrame({ origin });
        // The page still loads, but the element never talks and shows no card form.
        await waitUntil(() => shadow(framed.frame).querySelector('.config-error'), `no config error for ${origin}`);
        expect(shadow(framed.frame).querySelector('input'), origin).to.equal(null);
        expect(framed.received, origin).to.deep.equal([]);
      }
    });
  });

  it('is styled under the strict CSP (adopted stylesheets, no inline styles)', async () => {
    const violations: string[] = [];
    const framed = await openFrame();
    framed.iframe.contentDocument!.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const input = frameInput(framed.frame, 'number');
    expect(framed.win.getComputedStyle(input).minHeight).to.equal('44px');
    typeInto(input, '4242424242424241');
    await settle(framed.frame);
    expect(violations).to.deep.equal([]);
  });

  it('is accessible (axe, run inside the frame page)', async () => {
    const framed = await openFrame();
    typeInto(frameInput(framed.frame, 'number'), '4242424242424241');
    await settle(framed.frame);
    const doc = framed.iframe.contentDocument!;
    const script = doc.createElement('script');
    script.src = '/__fake/axe.js'; // same origin: allowed by the frame's script-src 'self'
    const loaded = new Promise((resolve, reject) => {
      script.onload = resolve;
      script.onerror = reject;
    });
    doc.head.append(script);
    await loaded;
    const axe = (framed.win as unknown as { axe: { run(context: Element): Promise<{ violations: { id: string; help: string }[] }> } }).axe;
    const { violations } = await axe.run(framed.frame);
    expect(violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);
  });
});
