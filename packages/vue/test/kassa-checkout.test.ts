import manifest from '@kassa/widget/custom-elements.json';
import { expect } from '@open-wc/testing';
import { createApp, h, nextTick, reactive, ref, type App } from 'vue';
import type { ClientPaymentIntent } from '@kassa/widget';
import {
  KassaActionRequiredEvent,
  KassaCheckout,
  KassaCheckoutElement,
  KassaError,
  KassaPaymentFailedEvent,
  KassaPaymentSucceededEvent,
  type KassaActionRequiredDetail,
  type KassaCheckoutExposed,
  type KassaPaymentFailedDetail,
  type KassaPaymentSucceededDetail,
} from '../src/index.js';

/** Where the test secrets say they come from; nothing listens there. */
const KASSA_URL = 'http://127.0.0.1:9';

/** A well-formed client secret that expired long ago: the element rejects it without any network. */
function expiredClientSecret(sub = 'pi_3Expired0001', iss = KASSA_URL): string {
  const b64 = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, mid: 'acct_test', iss, aud: 'kassa:client', exp: 1, jti: 'x' })}.c2ln`;
}

/** The element waits quietly for a secret, so the only events are the ones a test dispatches. */
const NO_SECRET_YET = '';

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

describe('<KassaCheckout> for Vue', () => {
  let container: HTMLDivElement;
  let app: App | undefined;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.append(container);
  });

  afterEach(() => {
    app?.unmount();
    app = undefined;
    container.remove();
  });

  /** Mounts `render` as the root component; returns the <kassa-checkout> it produced. */
  function mount(render: () => ReturnType<typeof h>): KassaCheckoutElement {
    app = createApp({ render });
    app.mount(container);
    const element = container.querySelector('kassa-checkout');
    if (!element) throw new Error('no <kassa-checkout> rendered');
    return element;
  }

  it('renders the registered <kassa-checkout> element', () => {
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret() }));
    expect(customElements.get('kassa-checkout')).to.equal(KassaCheckoutElement);
    expect(element).to.be.instanceOf(KassaCheckoutElement);
  });

  it('passes clientSecret and locale to the element as properties, and follows changes', async () => {
    const state = reactive({ secret: expiredClientSecret('pi_3First00001'), locale: 'zh-CN' as 'en' | 'zh-CN' });
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: state.secret, locale: state.locale }));
    expect(element.clientSecret).to.equal(state.secret);
    expect(element.locale).to.equal('zh-CN');

    state.secret = expiredClientSecret('pi_3Second0001');
    state.locale = 'en';
    await nextTick();
    expect(container.querySelector('kassa-checkout')).to.equal(element, 'the same element is updated, not replaced');
    expect(element.clientSecret).to.equal(state.secret);
    expect(element.locale).to.equal('en');
  });

  it('passes kassaUrl to the element as a property, and follows changes', async () => {
    const state = reactive({ kassaUrl: 'https://pay.example.com' });
    const element = mount(() => h(KassaCheckout, { clientSecret: NO_SECRET_YET, kassaUrl: state.kassaUrl }));
    expect(element.kassaUrl).to.equal('https://pay.example.com');
    expect(element.hasAttribute('kassa-url'), 'a property, not an attribute').to.equal(false);
    state.kassaUrl = KASSA_URL;
    await nextTick();
    expect(element.kassaUrl).to.equal(KASSA_URL);
  });

  it('passes paymentMethod to the element as a property, follows changes, and is back to card without it', async () => {
    const state = reactive({ method: 'alipay' as 'alipay' | 'paypal' | undefined });
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: NO_SECRET_YET, paymentMethod: state.method }));
    expect(element.paymentMethod).to.equal('alipay');
    expect(element.hasAttribute('payment-method'), 'a property, not an attribute').to.equal(false);
    state.method = 'paypal';
    await nextTick();
    expect(element.paymentMethod).to.equal('paypal');
    state.method = undefined;
    await nextTick();
    expect(element.paymentMethod).to.equal('card');
  });

  it('emits paymentFailed with client_secret_issuer_mismatch for a secret of another server than kassaUrl', async () => {
    const detail = await new Promise<KassaPaymentFailedDetail>((resolve) => {
      mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret('pi_3Forged00001', 'https://evil.example'), onPaymentFailed: resolve }));
    });
    expect(detail.error.code).to.equal('client_secret_issuer_mismatch');
  });

  it('passes ordinary attributes through to the element', () => {
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret(), id: 'pay', class: 'checkout', 'data-testid': 'kassa' }));
    expect(element.id).to.equal('pay');
    expect(element.className).to.equal('checkout');
    expect(element.dataset.testid).to.equal('kassa');
  });

  it('emits paymentSucceeded with the event’s typed detail', () => {
    const calls: KassaPaymentSucceededDetail[] = [];
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: NO_SECRET_YET, onPaymentSucceeded: (d) => calls.push(d) }));
    const detail = { paymentIntent: intent() };
    element.dispatchEvent(new KassaPaymentSucceededEvent(detail));
    expect(calls).to.have.length(1);
    expect(calls[0]).to.equal(detail);
    expect(calls[0]?.paymentIntent.amount).to.equal(12800);
  });

  it('emits paymentFailed with the error and the intent', () => {
    const calls: KassaPaymentFailedDetail[] = [];
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: NO_SECRET_YET, onPaymentFailed: (d) => calls.push(d) }));
    const error = new KassaError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Not enough money' });
    element.dispatchEvent(new KassaPaymentFailedEvent({ error, paymentIntent: intent({ status: 'requires_payment_method' }) }));
    expect(calls).to.have.length(1);
    expect(calls[0]?.error).to.equal(error);
    expect(calls[0]?.error.decline_code).to.equal('insufficient_funds');
    expect(calls[0]?.paymentIntent?.status).to.equal('requires_payment_method');
  });

  it('emits actionRequired with the action and the intent', () => {
    const calls: KassaActionRequiredDetail[] = [];
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: NO_SECRET_YET, onActionRequired: (d) => calls.push(d) }));
    const action = { type: 'three_d_secure', three_d_secure: { url: 'http://127.0.0.1:9/sandbox/3ds/tds_1' } } as const;
    element.dispatchEvent(new KassaActionRequiredEvent({ action, paymentIntent: intent({ status: 'requires_action', next_action: action }) }));
    expect(calls).to.have.length(1);
    expect(calls[0]?.action.type).to.equal('three_d_secure');
    expect(calls[0]?.paymentIntent.status).to.equal('requires_action');
  });

  it('re-emits the element’s own failure (an expired client secret) as paymentFailed', async () => {
    const failed = new Promise<KassaPaymentFailedDetail>((resolve) => {
      mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret(), onPaymentFailed: resolve }));
    });
    const detail = await failed;
    expect(detail.error).to.be.instanceOf(KassaError);
    expect(detail.error.code).to.equal('client_secret_expired');
  });

  it('still lets the page listen to the raw DOM event', async () => {
    const raw: Event[] = [];
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret(), 'onKassa-payment-succeeded': (e: Event) => raw.push(e) }));
    // Vue ignores an event stamped no later than the millisecond its listener was attached (a
    // guard against events fired while patching); real events come long after mounting.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const event = new KassaPaymentSucceededEvent({ paymentIntent: intent() });
    element.dispatchEvent(event);
    expect(raw).to.deep.equal([event]);
  });

  it('stops emitting once unmounted', () => {
    const calls: KassaPaymentSucceededDetail[] = [];
    const element = mount(() => h(KassaCheckout, { kassaUrl: KASSA_URL, clientSecret: expiredClientSecret(), onPaymentSucceeded: (d) => calls.push(d) }));
    app?.unmount();
    app = undefined;
    element.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent() }));
    expect(calls).to.have.length(0);
  });

  it('exposes pay() and the element through a template ref', async () => {
    const checkout = ref<KassaCheckoutExposed | null>(null);
    const element = mount(() => h(KassaCheckout, { ref: checkout, kassaUrl: KASSA_URL, clientSecret: expiredClientSecret() }));
    expect(checkout.value?.element).to.equal(element);
    // The element's own pay(): an expired secret resolves with an error instead of throwing.
    const result = await checkout.value!.pay();
    expect(result.error?.code).to.equal('client_secret_expired');
  });
});

describe('<KassaCheckout> for Vue, against the element\'s custom-elements.json', () => {
  const element = manifestElement();
  it('has a prop for every settable property of the element, and no prop the element lacks', () => {
    const props = Object.keys(KassaCheckout.props as unknown as Record<string, unknown>).sort();
    expect(props).to.deep.equal(element.properties.sort());
  });
  it('emits every event of the element (kassa-payment-succeeded → paymentSucceeded), and no other', () => {
    const emits = Object.keys(KassaCheckout.emits as unknown as Record<string, unknown>).sort();
    const expected = element.events.map((name) => name.replace(/^kassa-/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase())).sort();
    expect(emits).to.deep.equal(expected);
  });
});

// Type-level checks (run by vue-tsc): emits carry the widget's typed details.
export function typeChecks(): void {
  h(KassaCheckout, {
    clientSecret: 'x',
    kassaUrl: 'https://pay.example.com',
    onPaymentSucceeded: (d) => d.paymentIntent.id.toUpperCase(),
    onPaymentFailed: (d) => d.error.code.toUpperCase(),
    onActionRequired: (d) => (d.action.type === 'three_d_secure' ? d.action.three_d_secure.url : d.action.type === 'redirect_to_url' ? d.action.redirect_to_url.url : d.action.type === 'display_qr_code' ? d.action.display_qr_code.data : d.action.await_notification.hosted_instructions_url).toUpperCase(),
  });
  // @ts-expect-error: the detail has no such field
  h(KassaCheckout, { kassaUrl: 'https://pay.example.com', clientSecret: 'x', onPaymentSucceeded: (d) => d.nope });
  // @ts-expect-error: no such theme
  h(KassaCheckout, { kassaUrl: 'https://pay.example.com', clientSecret: 'x', appearance: { theme: 'neon' } });
  // @ts-expect-error: kassaUrl is required
  h(KassaCheckout, { clientSecret: 'x' });
  h(KassaCheckout, { kassaUrl: 'https://pay.example.com', clientSecret: 'x', paymentMethod: 'paypal' });
  // @ts-expect-error: not a payment method the element knows
  h(KassaCheckout, { kassaUrl: 'https://pay.example.com', clientSecret: 'x', paymentMethod: 'bitcoin' });
}

interface ManifestMember {
  kind: string;
  name: string;
  static?: boolean;
  readonly?: boolean;
  privacy?: string;
}

/** The element's public settable properties and its named events, as the analyzer read them. */
function manifestElement(): { properties: string[]; events: string[] } {
  const modules = (manifest as { modules: { declarations?: { tagName?: string; members?: ManifestMember[]; events?: { name?: string }[] }[] }[] }).modules;
  const declaration = modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'kassa-checkout');
  if (!declaration) throw new Error('custom-elements.json has no kassa-checkout');
  return {
    properties: (declaration.members ?? [])
      .filter((m) => m.kind === 'field' && !m.static && !m.readonly && m.privacy !== 'private' && m.privacy !== 'protected')
      .map((m) => m.name),
    events: (declaration.events ?? []).flatMap((e) => (e.name ? [e.name] : [])),
  };
}
