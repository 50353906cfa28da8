import { expect } from '@open-wc/testing';
import manifest from '@kassa/widget/custom-elements.json';
import { act, createRef, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { ClientPaymentIntent } from '@kassa/widget';
import {
  EVENTS,
  KassaActionRequiredEvent,
  KassaCheckout,
  KassaCheckoutElement,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  type KassaCheckoutProps,
} from '../src/index.js';

// React only runs effects synchronously inside act() when it knows it is under test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Where the test secrets say they come from; nothing listens there. */
const KASSA_URL = 'http://127.0.0.1:9';

/** A well-formed client secret that expired long ago: the element rejects it without any network. */
function expiredClientSecret(sub = 'pi_3Expired0001', iss = KASSA_URL): string {
  const b64 = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, mid: 'acct_test', iss, aud: 'kassa:client', exp: 1, jti: 'x' })}.c2ln`;
}

function intent(overrides: Partial<ClientPaymentIntent> = {}): ClientPaymentIntent {
  return {
    id: 'pi_1Test0000001',
    object: 'payment_intent',
    amount: 12800,
    currency: 'cny',
    status: 'succeeded',
    last_payment_error: null,
    next_action: null,
    saved_payment_method: null,
    can_save_card: false,
    ...overrides,
  };
}

describe('<KassaCheckout> for React, against the element\'s custom-elements.json', () => {
  const modules = (manifest as { modules: { declarations?: { tagName?: string; members?: { kind: string; name: string; static?: boolean; readonly?: boolean; privacy?: string }[]; events?: { name?: string }[] }[] }[] }).modules;
  const element = modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'kassa-checkout')!;

  it('has an on… prop for every event of the element, and no other', () => {
    const names = (element.events ?? []).flatMap((e) => (e.name ? [e.name] : [])).sort();
    expect(Object.values(EVENTS).map(String).sort()).to.deep.equal(names);
  });

  it('passes every settable property of the element through as a prop', async () => {
    const fields = (element.members ?? []).filter((m) => m.kind === 'field' && !m.static && !m.readonly && m.privacy !== 'private');
    expect(fields.map((f) => f.name).sort()).to.deep.equal(['appearance', 'clientSecret', 'kassaUrl', 'locale', 'messages', 'paymentMethod']);
    const host = document.createElement('div');
    document.body.append(host);
    const root = createRoot(host);
    const values: Record<string, unknown> = {
      clientSecret: 'not.a.secret',
      kassaUrl: 'https://pay.example.com',
      locale: 'ja',
      paymentMethod: 'paypal',
      appearance: { theme: 'flat' },
      messages: { en: { pay: 'Buy {amount}' } },
    };
    act(() => root.render(<KassaCheckout {...(values as Record<string, string>)} />));
    const el = host.querySelector('kassa-checkout') as unknown as Record<string, unknown>;
    for (const f of fields) expect(el[f.name], f.name).to.deep.equal(values[f.name]);
    act(() => root.unmount());
    host.remove();
  });
});

describe('<KassaCheckout> for React', () => {
  let container: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.append(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  function render(props: KassaCheckoutProps): KassaCheckoutElement {
    act(() => root.render(<KassaCheckout {...props} />));
    const element = container.querySelector('kassa-checkout');
    if (!element) throw new Error('no <kassa-checkout> rendered');
    return element;
  }

  it('renders the registered <kassa-checkout> element', () => {
    const element = render({});
    expect(customElements.get('kassa-checkout')).to.equal(KassaCheckoutElement);
    expect(element).to.be.instanceOf(KassaCheckoutElement);
  });

  it('passes clientSecret and locale to the element as properties, and updates them', () => {
    const first = expiredClientSecret('pi_3First00001');
    const element = render({ clientSecret: first, locale: 'zh-CN' });
    expect(element.clientSecret).to.equal(first);
    expect(element.locale).to.equal('zh-CN');

    const second = expiredClientSecret('pi_3Second0001');
    const again = render({ clientSecret: second, locale: 'en' });
    expect(again).to.equal(element, 'the same element is updated, not replaced');
    expect(element.clientSecret).to.equal(second);
    expect(element.locale).to.equal('en');
  });

  it('passes kassaUrl to the element as a property, and updates it', () => {
    const element = render({ kassaUrl: 'https://pay.example.com' });
    expect(element.kassaUrl).to.equal('https://pay.example.com');
    expect(element.hasAttribute('kassaurl'), 'a property, not an attribute').to.equal(false);
    render({ kassaUrl: KASSA_URL });
    expect(element.kassaUrl).to.equal(KASSA_URL);
  });

  it('passes paymentMethod to the element as a property, updates it, and is back to card without the prop', () => {
    const element = render({ kassaUrl: KASSA_URL, paymentMethod: 'alipay' });
    expect(element.paymentMethod).to.equal('alipay');
    expect(element.hasAttribute('paymentmethod'), 'a property, not an attribute').to.equal(false);
    render({ kassaUrl: KASSA_URL, paymentMethod: 'paypal' });
    expect(element.paymentMethod).to.equal('paypal');
    render({ kassaUrl: KASSA_URL });
    expect(element.paymentMethod).to.equal('card');
  });

  it('without kassaUrl, onPaymentFailed hears kassa_url_missing (a bundled element never trusts the secret’s iss)', async () => {
    const event = await new Promise<KassaPaymentFailedEvent>((resolve) => {
      render({ clientSecret: expiredClientSecret(), onPaymentFailed: resolve });
    });
    expect(event.detail.error.code).to.equal('kassa_url_missing');
  });

  it('with kassaUrl naming another server than the secret’s, onPaymentFailed hears client_secret_issuer_mismatch', async () => {
    const event = await new Promise<KassaPaymentFailedEvent>((resolve) => {
      // Written after clientSecret on purpose: props set in one render all count.
      render({ clientSecret: expiredClientSecret('pi_3Forged00001', 'https://evil.example'), kassaUrl: KASSA_URL, onPaymentFailed: resolve });
    });
    expect(event.detail.error.code).to.equal('client_secret_issuer_mismatch');
  });

  it('passes ordinary HTML attributes through', () => {
    const element = render({ id: 'pay', className: 'checkout', 'data-testid': 'kassa' } as KassaCheckoutProps);
    expect(element.id).to.equal('pay');
    expect(element.className).to.equal('checkout');
    expect(element.dataset.testid).to.equal('kassa');
  });

  it('calls onPaymentSucceeded with the element’s event and its typed detail', () => {
    const calls: KassaPaymentSucceededEvent[] = [];
    const element = render({ onPaymentSucceeded: (e) => calls.push(e) });
    const paymentIntent = intent();
    const event = new KassaPaymentSucceededEvent({ paymentIntent });
    element.dispatchEvent(event);
    expect(calls).to.have.length(1);
    expect(calls[0]).to.equal(event);
    expect(calls[0]?.detail.paymentIntent.id).to.equal('pi_1Test0000001');
    expect(calls[0]?.detail.paymentIntent.amount).to.equal(12800);
  });

  it('calls onPaymentFailed with the error and the intent', () => {
    const calls: KassaPaymentFailedEvent[] = [];
    const element = render({ onPaymentFailed: (e) => calls.push(e) });
    const error = new KassaError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Not enough money' });
    element.dispatchEvent(new KassaPaymentFailedEvent({ error, paymentIntent: intent({ status: 'requires_payment_method' }) }));
    expect(calls).to.have.length(1);
    expect(calls[0]?.detail.error).to.equal(error);
    expect(calls[0]?.detail.error.decline_code).to.equal('insufficient_funds');
    expect(calls[0]?.detail.paymentIntent?.status).to.equal('requires_payment_method');
  });

  it('calls onActionRequired with the action and the intent', () => {
    const calls: KassaActionRequiredEvent[] = [];
    const element = render({ onActionRequired: (e) => calls.push(e) });
    const action = { type: 'three_d_secure', three_d_secure: { url: 'http://127.0.0.1:9/sandbox/3ds/tds_1' } } as const;
    element.dispatchEvent(new KassaActionRequiredEvent({ action, paymentIntent: intent({ status: 'requires_action', next_action: action }) }));
    expect(calls).to.have.length(1);
    expect(calls[0]?.detail.action.type).to.equal('three_d_secure');
    expect(calls[0]?.detail.paymentIntent.status).to.equal('requires_action');
  });

  it('delivers the element’s own failure (an expired client secret) to onPaymentFailed', async () => {
    const failed = new Promise<KassaPaymentFailedEvent>((resolve) => {
      render({ clientSecret: expiredClientSecret(), kassaUrl: KASSA_URL, onPaymentFailed: resolve });
    });
    const event = await failed;
    expect(event.detail.error).to.be.instanceOf(KassaError);
    expect(event.detail.error.code).to.equal('client_secret_expired');
  });

  it('uses the latest handler after a re-render, and none once the prop is removed', () => {
    const seen: string[] = [];
    let element = render({ onPaymentSucceeded: () => seen.push('first') });
    element = render({ onPaymentSucceeded: () => seen.push('second') });
    element.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent() }));
    expect(seen).to.deep.equal(['second']);

    render({});
    element.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent() }));
    expect(seen).to.deep.equal(['second']);
  });

  it('keeps the handler working when a parent re-renders with new state', () => {
    const seen: number[] = [];
    let bump: () => void = () => {};
    function Parent() {
      const [count, setCount] = useState(0);
      bump = () => setCount((c) => c + 1);
      return <KassaCheckout onPaymentSucceeded={() => seen.push(count)} />;
    }
    act(() => root.render(<Parent />));
    act(() => bump());
    container.querySelector('kassa-checkout')?.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent() }));
    expect(seen).to.deep.equal([1]);
  });

  it('exposes the element through ref, so the page can call pay()', async () => {
    const ref = createRef<KassaCheckoutElement>();
    act(() => root.render(<KassaCheckout ref={ref} />));
    expect(ref.current).to.equal(container.querySelector('kassa-checkout'));
    // No client secret yet: the element's own pay() answers with an error instead of throwing.
    const result = await ref.current!.pay();
    expect(result.error?.code).to.equal('client_secret_invalid');
  });
});

// Type-level checks (run by `tsc`): the handlers' events are the widget's typed events.
export function typeChecks(): void {
  <KassaCheckout
    onPaymentSucceeded={(e) => e.detail.paymentIntent.id.toUpperCase()}
    onPaymentFailed={(e) => e.detail.error.code.toUpperCase()}
    onActionRequired={(e) => (e.detail.action.type === 'three_d_secure' ? e.detail.action.three_d_secure.url : e.detail.action.type === 'redirect_to_url' ? e.detail.action.redirect_to_url.url : e.detail.action.type === 'display_qr_code' ? e.detail.action.display_qr_code.data : e.detail.action.await_notification.hosted_instructions_url).toUpperCase()}
  />;
  // @ts-expect-error: the detail has no such field
  <KassaCheckout onPaymentSucceeded={(e) => e.detail.nope} />;
  // @ts-expect-error: clientSecret is a string
  <KassaCheckout clientSecret={42} />;
  // @ts-expect-error: kassaUrl is a string
  <KassaCheckout kassaUrl={new URL('https://pay.example.com')} />;
  <KassaCheckout paymentMethod="alipay" />;
  // @ts-expect-error: not a payment method the element knows
  <KassaCheckout paymentMethod="bitcoin" />;
}
