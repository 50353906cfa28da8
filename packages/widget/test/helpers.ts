/** Shared helpers: talk to the fake Kassa server and drive the card frame like a shopper. */
import { fixture, html, waitUntil } from '@open-wc/testing';
import { nothing } from 'lit';
import '../src/define.js';
import type { KassaCheckout } from '../src/index.js';

export interface FakeIntentOptions {
  amount?: number;
  currency?: string;
  saved_card?: string;
  can_save_card?: boolean;
  expired?: boolean;
  iss?: string;
  status?: string;
  capture_method?: 'automatic' | 'manual';
  confirm_status?: string;
  settle_to?: string;
  /** How many looks at a processing/unknown intent still find it undecided before `settle_to`. */
  settle_after?: number;
  /** The status a passed 3-D Secure challenge leaves (default succeeded). */
  after_3ds?: 'processing' | 'unknown';
  hold_confirm?: boolean;
  confirm_network_error?: boolean;
  auto_3ds?: 'pass' | 'fail';
  /** The wallets a provider takes for this intent (default both); any other is payment_method_unactivated. */
  wallets?: ('alipay' | 'paypal')[];
  /** Alipay shows a QR code (default) or sends the shopper to its cashier (a redirect). */
  alipay_flow?: 'qr' | 'redirect';
  /** How long a QR code is valid, in seconds (default 900). */
  qr_ttl?: number;
  /** Kassa's action page on this other origin instead of the server's own. */
  action_origin?: string;
  /** A redirect_to_url without hosted_instructions_url: the merchant's full-page redirect flow. */
  no_hosted_url?: boolean;
  /** The action page never posts challenge_complete. */
  silent_action?: boolean;
  /** The first confirm acts, but its answer never arrives (the connection drops). */
  confirm_lost_answer?: boolean;
}

export interface LogEntry {
  method: string;
  path: string;
  origin: string | null;
  idempotencyKey?: string | null;
  body?: { payment_method?: string; setup_future_usage?: string; payment_method_data?: { type: string } };
  /** A visit to the fake provider's page (PayPal, Alipay's cashier). */
  provider?: string;
  card?: {
    digitsOnly: boolean;
    last4: string;
    exp_month: number;
    exp_year: number;
    cvcLength: number;
    cvcDigitsOnly: boolean;
  };
}

export async function createIntent(options: FakeIntentOptions = {}): Promise<{ id: string; client_secret: string }> {
  const response = await fetch('/__fake/intents', { method: 'POST', body: JSON.stringify(options) });
  return response.json() as Promise<{ id: string; client_secret: string }>;
}

export interface FakeState {
  status: string;
  log: LogEntry[];
  /** Orders the wallet's provider was asked to make (a QR code, an approval page). */
  orders: number;
  /** The current wallet action's reference (`/actions/<ref>`), or null. */
  action: string | null;
}

export async function fakeState(id: string): Promise<FakeState> {
  const response = await fetch(`/__fake/log/${id}`);
  return response.json() as Promise<FakeState>;
}

export async function fakeLog(id: string): Promise<LogEntry[]> {
  return (await fakeState(id)).log;
}

/** The provider's answer to the wallet order behind Kassa's action page `ref`. */
export async function settleAction(ref: string, result: 'paid' | 'refused'): Promise<void> {
  const response = await fetch(`/__fake/actions/${ref}/settle`, { method: 'POST', body: JSON.stringify({ result }) });
  if (!((await response.json()) as { settled: boolean }).settled) throw new Error(`action ${ref} was not waiting`);
}

export const confirms = (log: LogEntry[]) => log.filter((e) => e.path.endsWith('/confirm'));
export const tokenRequests = (log: LogEntry[]) => log.filter((e) => e.path === '/client/tokens');

/**
 * Mounts the element from src/ (the ES module build), pinned with `kassa-url` to the fake Kassa
 * on this test server unless told otherwise (`null`: no kassa-url at all).
 */
export async function mountCheckout(
  secret: string,
  locale?: string,
  kassaUrl: string | null = location.origin,
  paymentMethod?: string,
): Promise<KassaCheckout> {
  return fixture<KassaCheckout>(
    html`<kassa-checkout
      client-secret=${secret}
      locale=${locale ?? nothing}
      kassa-url=${kassaUrl ?? nothing}
      payment-method=${paymentMethod ?? nothing}
    ></kassa-checkout>`,
  );
}

/** Records the URL of every fetch() the page makes from now on, until `stop()`. */
export function spyOnFetch(): { urls: string[]; stop(): void } {
  const original = window.fetch;
  const urls: string[] = [];
  window.fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return original(input, init);
  };
  return { urls, stop: () => void (window.fetch = original) };
}

export async function waitForStatus(el: KassaCheckout, status: KassaCheckout['status']): Promise<void> {
  await waitUntil(() => el.status === status, `status never became ${status} (is ${el.status})`, { timeout: 10000 });
  await el.updateComplete;
}

export const shadow = (el: Element): ShadowRoot => {
  if (!el.shadowRoot) throw new Error(`${el.localName} has no shadow root`);
  return el.shadowRoot;
};

export const payButton = (el: KassaCheckout) => shadow(el).querySelector<HTMLButtonElement>('button[part=button]')!;
export const statusText = (el: KassaCheckout) => shadow(el).querySelector('[role=status]')!.textContent!.trim();
export const cardIframe = (el: KassaCheckout) => shadow(el).querySelector<HTMLIFrameElement>('iframe[part=frame]');
export const challengeIframe = (el: KassaCheckout) => shadow(el).querySelector<HTMLIFrameElement>('iframe[part=challenge]');

/** Clicks a button inside the (same-origin, fake) 3-D Secure page once it has loaded. */
export async function answerChallenge(el: KassaCheckout, choice: 'complete' | 'fail'): Promise<void> {
  let button: HTMLButtonElement | null = null;
  await waitUntil(() => (button = challengeIframe(el)?.contentDocument?.querySelector<HTMLButtonElement>(`#${choice}`) ?? null), 'challenge page not loaded', {
    timeout: 10000,
  });
  button!.click();
}

/** The <kassa-card-frame> inside a same-origin card iframe, once its inputs exist. */
export async function frameElement(iframe: HTMLIFrameElement): Promise<HTMLElement> {
  let found: HTMLElement | null = null;
  await waitUntil(
    () => {
      found = iframe.contentDocument?.querySelector('kassa-card-frame') ?? null;
      return found?.shadowRoot?.querySelector('#number') ?? null;
    },
    'card frame never rendered its inputs',
    { timeout: 10000 },
  );
  return found!;
}

export function frameInput(frame: HTMLElement, field: 'number' | 'expiry' | 'cvc'): HTMLInputElement {
  return shadow(frame).querySelector<HTMLInputElement>(`#${field}`)!;
}

/** Types into a frame field the way the browser reports it: value changes, then an input event. */
export function typeInto(input: HTMLInputElement, value: string, init: InputEventInit = {}): void {
  const view = input.ownerDocument.defaultView!;
  input.focus();
  input.value = value;
  input.setSelectionRange(value.length, value.length);
  input.dispatchEvent(new view.InputEvent('input', { bubbles: true, composed: true, inputType: 'insertText', ...init }));
}

export function blur(input: HTMLInputElement): void {
  input.blur();
}

export async function fillCard(
  el: KassaCheckout,
  card: { number: string; expiry?: string; cvc?: string },
): Promise<HTMLElement> {
  const frame = await frameElement(cardIframe(el)!);
  typeInto(frameInput(frame, 'number'), card.number);
  typeInto(frameInput(frame, 'expiry'), card.expiry ?? '12/34');
  typeInto(frameInput(frame, 'cvc'), card.cvc ?? '123');
  return frame;
}

/** Lets a held confirm (hold_confirm) answer; resolves once one was waiting. */
export async function releaseConfirm(id: string): Promise<void> {
  await waitUntil(async () => {
    const response = await fetch(`/__fake/release/${id}`, { method: 'POST' });
    return ((await response.json()) as { released: boolean }).released;
  }, 'no confirm was held');
}

/**
 * After a failure the element clears what the failure made wrong (always the CVC, which the
 * frame forgets with each token) by postMessage; wait for that before typing again.
 */
export async function frameCleared(el: KassaCheckout, fields: ('number' | 'expiry' | 'cvc')[] = ['cvc']): Promise<void> {
  const frame = await frameElement(cardIframe(el)!);
  await waitUntil(() => fields.every((f) => frameInput(frame, f).value === ''), 'frame was not reset');
}

/** Records every event of the given types that reaches `document`. */
export function recordEvents(...types: string[]): Event[] {
  const seen: Event[] = [];
  for (const type of types) document.addEventListener(type, (e) => seen.push(e));
  return seen;
}
