/**
 * The element as a product: events and custom states a merchant can build on, several isolated
 * instances, refresh(), merchant strings, Enter to pay, and the Appearance API as the frame
 * applies it (validated there: nothing outside its whitelist reaches a style).
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { KassaChangeEvent, KassaReadyEvent, type KassaCheckout } from '../src/index.js';
import { applyAppearance } from '../src/card-frame/appearance.js';
import {
  cardIframe,
  confirms,
  createIntent,
  fakeLog,
  fillCard,
  frameElement,
  frameInput,
  mountCheckout,
  payButton,
  recordEvents,
  shadow,
  statusText,
  typeInto,
  waitForStatus,
} from './helpers.js';

async function ready(options: Parameters<typeof createIntent>[0] = {}, locale = 'en') {
  const intent = await createIntent(options);
  const el = await mountCheckout(intent.client_secret, locale);
  await waitForStatus(el, 'ready');
  return { el, ...intent };
}

describe('events and states for the page', () => {
  it('fires kassa-ready once the intent is here and the fields show, and kassa-change as the shopper types', async () => {
    const readies = recordEvents(KassaReadyEvent.eventName);
    const changes = recordEvents(KassaChangeEvent.eventName);
    const { el, id } = await ready();
    await waitUntil(() => readies.length === 1, 'no kassa-ready');
    const readyEvent = readies[0] as KassaReadyEvent;
    expect(readyEvent.bubbles && readyEvent.composed).to.equal(true);
    expect(readyEvent.detail.paymentIntent.id).to.equal(id);
    expect(el.matches(':state(ready)')).to.equal(true);
    expect(el.matches(':state(complete)')).to.equal(false);

    const frame = await frameElement(cardIframe(el)!);
    typeInto(frameInput(frame, 'number'), '4242');
    await waitUntil(() => changes.length > 0, 'no kassa-change');
    expect((changes.at(-1) as KassaChangeEvent).detail).to.deep.equal({ complete: false, empty: false, brand: 'visa' });
    await fillCard(el, { number: '4242424242424242' });
    await waitUntil(() => (changes.at(-1) as KassaChangeEvent).detail.complete, 'never complete');
    expect(JSON.stringify(changes.map((e) => (e as KassaChangeEvent).detail))).not.to.contain('4242424242');
    expect(el.matches(':state(complete)')).to.equal(true);
    expect(readies).to.have.length(1);

    await el.pay();
    expect(el.matches(':state(succeeded)')).to.equal(true);
    expect(el.matches(':state(ready)')).to.equal(false);
  });

  it('Enter in a card field pays, as a form would', async () => {
    const { el, id } = await ready();
    const frame = await fillCard(el, { number: '4242424242424242' });
    const cvc = frameInput(frame, 'cvc');
    cvc.dispatchEvent(new (cvc.ownerDocument.defaultView!.KeyboardEvent)('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await waitForStatus(el, 'succeeded');
    expect(confirms(await fakeLog(id))).to.have.length(1);
  });

  it('an incomplete form never says "Processing…": the field is pointed out, nothing is sent', async () => {
    const { el, id } = await ready();
    const frame = await frameElement(cardIframe(el)!);
    typeInto(frameInput(frame, 'number'), '4242424242424242');
    const seen = new Set<string>();
    const watch = setInterval(() => seen.add(el.status), 0);
    const result = await el.pay();
    clearInterval(watch);
    expect(result.error?.type).to.equal('validation_error');
    expect([...seen]).not.to.include('processing');
    expect(confirms(await fakeLog(id))).to.have.length(0);
  });

  it('an incorrect-CVC decline clears only the CVC; an expired card clears the date and CVC', async () => {
    const { el } = await ready();
    const frame = await fillCard(el, { number: '4000000000000127' });
    expect((await el.pay()).error?.code).to.equal('incorrect_cvc');
    expect(frameInput(frame, 'number').value.replace(/\s/g, '')).to.equal('4000000000000127');
    expect(frameInput(frame, 'expiry').value).to.equal('12/34');
    expect(frameInput(frame, 'cvc').value).to.equal('');
    await fillCard(el, { number: '4000000000000069' });
    expect((await el.pay()).error?.code).to.equal('expired_card');
    await waitUntil(() => frameInput(frame, 'expiry').value === '', 'expiry kept after an expired-card decline');
    expect(frameInput(frame, 'number').value.replace(/\s/g, '')).to.equal('4000000000000069');
  });
});

describe('several instances on one page', () => {
  it('are isolated: each has its own frame and channel, typing or paying in one leaves the other alone', async () => {
    const a = await createIntent({ amount: 1000 });
    const b = await createIntent({ amount: 2000 });
    const root = await fixture<HTMLElement>(html`<div>
      <kassa-checkout client-secret=${a.client_secret} kassa-url=${location.origin} locale="en"></kassa-checkout>
      <kassa-checkout client-secret=${b.client_secret} kassa-url=${location.origin} locale="zh-CN"></kassa-checkout>
    </div>`);
    const [first, second] = [...root.querySelectorAll('kassa-checkout')] as KassaCheckout[];
    await waitForStatus(first!, 'ready');
    await waitForStatus(second!, 'ready');
    expect(new URL(cardIframe(first!)!.src).searchParams.get('channel')).not.to.equal(
      new URL(cardIframe(second!)!.src).searchParams.get('channel'),
    );
    const frameA = await fillCard(first!, { number: '4242424242424242' });
    const frameB = await frameElement(cardIframe(second!)!);
    expect(frameInput(frameB, 'number').value).to.equal('');
    expect(frameInput(frameA, 'number').value).not.to.equal('');
    expect((await first!.pay()).paymentIntent?.status).to.equal('succeeded');
    expect(second!.status).to.equal('ready');
    expect(confirms(await fakeLog(b.id))).to.have.length(0);
    expect(payButton(second!).textContent!.trim()).to.equal('支付 ¥20.00');
  });
});

describe('refresh()', () => {
  it('shows a new amount without reloading the frame or losing what was typed, and pays the new amount with a new key', async () => {
    const { el, id } = await ready({ amount: 12800 });
    const frame = await fillCard(el, { number: '4242424242424242' });
    const iframe = cardIframe(el)!;
    let reloaded = false;
    iframe.addEventListener('load', () => (reloaded = true));
    await fetch(`/__fake/update/${id}`, { method: 'POST', body: JSON.stringify({ amount: 15000 }) });
    await el.refresh();
    await el.updateComplete;
    expect(payButton(el).textContent!.trim()).to.equal('Pay CN¥150.00');
    expect(cardIframe(el)).to.equal(iframe);
    expect(reloaded).to.equal(false);
    expect(frameInput(frame, 'number').value.replace(/\s/g, '')).to.equal('4242424242424242');
    const result = await el.pay();
    expect(result.paymentIntent?.amount).to.equal(15000);
  });
});

describe('messages', () => {
  it("takes the merchant's words per locale, in the element and in the frame", async () => {
    const intent = await createIntent();
    const el = await fixture<KassaCheckout>(
      html`<kassa-checkout
        .messages=${{ en: { pay: 'Buy now for {amount}', number: 'Long number on your card' } }}
        client-secret=${intent.client_secret}
        kassa-url=${location.origin}
        locale="en"
      ></kassa-checkout>`,
    );
    await waitForStatus(el, 'ready');
    expect(payButton(el).textContent!.trim()).to.equal('Buy now for CN¥128.00');
    const frame = await frameElement(cardIframe(el)!);
    await waitUntil(() => shadow(frame).querySelector('label[for=number]')?.textContent === 'Long number on your card', 'frame label not overridden');
    expect(statusText(el)).to.equal('');
  });
});

describe('appearance (validated in the frame)', () => {
  it('keeps whitelisted variables and rules with valid values, and drops everything else', () => {
    const applied = applyAppearance({
      theme: 'dark',
      variables: {
        colorPrimary: '#c8102e',
        colorText: 'rgb(240 240 240)',
        fontFamily: 'Georgia, "Comic Sans MS", serif',
        borderRadius: '999px',
        fontSize: '18px',
        // Refused: a url(), CSS smuggled into a value, an unknown name, an out-of-range length.
        colorBackground: 'url(https://evil.example/x.png)',
        colorDanger: 'red; background: url(//evil.example)',
        backgroundImage: 'url(x)',
        spacing: '900px',
      },
      rules: {
        '.Input': { borderWidth: '2px', textTransform: 'uppercase', background: 'url(x)' },
        'input[value^="4"]': { backgroundColor: '#000' },
        '.Label': { fontWeight: '600', color: 'expression(alert(1))' },
      },
    });
    expect(applied.theme).to.equal('dark');
    expect(applied.variables).to.deep.equal({
      '--k-primary': '#c8102e',
      '--k-text': 'rgb(240 240 240)',
      '--k-font': 'Georgia, serif, sans-serif',
      '--k-radius': '999px',
      '--k-font-size': '18px',
    });
    expect(applied.css).to.equal('input{border-width:2px;text-transform:uppercase}label{font-weight:600}');
    expect(applied.css).not.to.contain('url');
    expect(applied.dropped.sort()).to.deep.equal(
      [
        'variables.colorBackground',
        'variables.colorDanger',
        'variables.backgroundImage',
        'variables.spacing',
        'rules..Input.background',
        'rules.input[value^="4"]',
        'rules..Label.color',
      ].sort(),
    );
    expect(applyAppearance({ theme: 'neon' }).theme).to.equal('light');
    expect(applyAppearance('body{}').variables).to.deep.equal({});
  });

  it('themes the fields inside the frame, never the iframe itself; host tokens carry over', async () => {
    const intent = await createIntent();
    const el = await fixture<KassaCheckout>(
      html`<div style="background:#121212;color:#eee;--kassa-radius:999px">
        <kassa-checkout client-secret=${intent.client_secret} kassa-url=${location.origin} locale="en"></kassa-checkout>
      </div>`,
    ).then((div) => div.querySelector('kassa-checkout')!);
    await waitForStatus(el, 'ready');
    const iframe = cardIframe(el)!;
    const frame = await frameElement(iframe);
    const input = frameInput(frame, 'number');
    // No theme given and light text around: dark fields, on the page's own background.
    await waitUntil(() => frame.dataset.theme === 'dark', 'frame not dark');
    const style = getComputedStyle(input);
    expect(style.borderRadius).to.equal('999px');
    expect(getComputedStyle(frame).backgroundColor).to.equal('rgb(18, 18, 18)');
    expect(iframe.ownerDocument.defaultView!.getComputedStyle(iframe).borderRadius).to.equal('0px');
    expect(frame.ownerDocument.documentElement.style.colorScheme).to.equal('dark');

    el.appearance = { theme: 'flat', variables: { colorInputBackground: '#fafafa' } };
    await waitUntil(() => frame.dataset.theme === 'flat', 'flat theme not applied');
    expect(getComputedStyle(input).backgroundColor).to.equal('rgb(250, 250, 250)');
    expect(frame.ownerDocument.documentElement.style.colorScheme).to.equal('light');
  });
});
