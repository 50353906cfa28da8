/**
 * The shop's state and what the pages do, once, for all three integrations: the vanilla page,
 * React and Vue only render this state and forward the widget's events to it. A tiny store
 * (immutable snapshots + subscribe) so React can use `useSyncExternalStore` and Vue a ref.
 */
import type { Currency } from '@kassa/core';
import type {
  KassaChangeEvent,
  KassaActionRequiredDetail,
  KassaPaymentFailedDetail,
  KassaPaymentSucceededDetail,
} from '@kassa/widget';
import type { Order } from '../api-types.js';
import { findProduct } from '../catalogue.js';
import { isLocale, MESSAGES, type Locale } from '../i18n.js';
import { ApiError, createCheckout, getOrder } from './api.js';
import { addToCart, loadCart, removeFromCart, saveCart, type Cart } from './cart.js';

export interface CheckoutSession {
  clientSecret: string;
  intentId: string;
  amount: number;
  currency: Currency;
  orderUrl: string;
}

/** What the page shows about the payment, driven only by the widget's events. */
export type PaymentView =
  | { status: 'idle' }
  | { status: 'ready' }
  | { status: 'action_required'; action: string }
  | { status: 'succeeded'; intentId: string }
  | { status: 'failed'; code: string; message: string };

/** What the shop's *server* says about the order: the only thing that counts as paid. */
export type OrderView =
  | { status: 'idle' }
  | { status: 'verifying' }
  | { status: 'verified'; order: Order }
  | { status: 'unverified'; order: Order }
  | { status: 'error'; message: string };

export interface LogEntry {
  seq: number;
  /** Milliseconds since the page started loading. */
  at: number;
  type: string;
  summary: string;
}

export interface ShopState {
  locale: Locale;
  cart: Cart;
  signedIn: boolean;
  /** Creating the intent (button busy). */
  creating: boolean;
  checkoutError: string | null;
  checkout: CheckoutSession | null;
  payment: PaymentView;
  order: OrderView;
  events: readonly LogEntry[];
}

const SIGNED_IN_KEY = 'kassa-demo-signed-in';

export class Shop {
  #state: ShopState;
  readonly #listeners = new Set<() => void>();
  #seq = 0;
  /**
   * Kassa's URL as the browser reaches it, from the server-rendered page. The React and Vue pages
   * bundle the widget, which must be told where Kassa is (`kassa-url`); the plain page's kassa.js
   * knows, since it was loaded from there.
   */
  readonly kassaUrl: string;

  constructor(locale: Locale, kassaUrl = '') {
    this.kassaUrl = kassaUrl;
    this.#state = {
      locale,
      cart: loadCart(),
      signedIn: localStorage.getItem(SIGNED_IN_KEY) === '1',
      creating: false,
      checkoutError: null,
      checkout: null,
      payment: { status: 'idle' },
      order: { status: 'idle' },
      events: [],
    };
  }

  /** The page's language and Kassa's URL, as the server rendered them (`<html lang>`, `#app[data-kassa-url]`). */
  static fromDocument(): Shop {
    const lang = document.documentElement.lang;
    const shop = new Shop(isLocale(lang) ? lang : 'en', document.getElementById('app')?.dataset.kassaUrl ?? '');
    // Kassa's origin: the bundled pages are told it; the plain page loaded kassa.js from it.
    const script = document.querySelector<HTMLScriptElement>('script[src*="/kassa"]');
    const kassa = shop.kassaUrl || script?.src || '';
    if (kassa) shop.watchDiagnostics(new URL(kassa).origin);
    return shop;
  }

  get state(): ShopState {
    return this.#state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): ShopState => this.#state;

  #set(patch: Partial<ShopState>): void {
    this.#state = { ...this.#state, ...patch };
    if ('cart' in patch) saveCart(this.#state.cart);
    for (const listener of this.#listeners) listener();
  }

  #log(type: string, summary: string): void {
    const at = Math.round(performance.now());
    this.#set({ events: [...this.#state.events, { seq: ++this.#seq, at, type, summary }] });
  }

  /**
   * The QA panel's timeline beyond the outcome events: `kassa-ready` and form changes (never a
   * digit: only complete/brand), the card frame's and the 3-D Secure page's messages to this page
   * (the handshake and resizes, by type), and every CSP violation of this page.
   */
  watchDiagnostics(kassaOrigin: string): void {
    let lastChange = '';
    document.addEventListener('kassa-ready', () => this.#log('kassa-ready', 'intent loaded, fields showing'));
    document.addEventListener('kassa-change', (e) => {
      const { complete, brand } = (e as KassaChangeEvent).detail;
      const key = `complete=${complete} brand=${brand}`;
      if (key !== lastChange) this.#log('kassa-change', (lastChange = key));
    });
    window.addEventListener('message', (e: MessageEvent) => {
      const data: unknown = e.data;
      if (e.origin !== kassaOrigin || typeof data !== 'object' || data === null) return;
      const { type, height } = data as { type?: unknown; height?: unknown };
      if (typeof type !== 'string' || type === 'change') return;
      const kind = type.startsWith('challenge') ? '3ds' : 'frame';
      this.#log(kind, `${type}${typeof height === 'number' ? ` ${height}px` : ''} (from ${e.origin})`);
    });
    document.addEventListener('securitypolicyviolation', (e) => this.#log('csp', `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`));
  }

  // ---- cart ----

  add(productId: string): void {
    const product = findProduct(productId);
    if (product && !this.#state.checkout) this.#set({ cart: addToCart(this.#state.cart, product), checkoutError: null });
  }

  remove(productId: string): void {
    if (!this.#state.checkout) this.#set({ cart: removeFromCart(this.#state.cart, productId), checkoutError: null });
  }

  clear(): void {
    if (!this.#state.checkout) this.#set({ cart: [], checkoutError: null });
  }

  setSignedIn(signedIn: boolean): void {
    localStorage.setItem(SIGNED_IN_KEY, signedIn ? '1' : '0');
    this.#set({ signedIn });
  }

  // ---- checkout ----

  /** Asks the shop's backend for a payment intent; the amount is computed there. */
  async startCheckout(): Promise<void> {
    const { cart, signedIn, creating, checkout } = this.#state;
    if (creating || checkout || cart.length === 0) return;
    this.#set({ creating: true, checkoutError: null, payment: { status: 'idle' }, order: { status: 'idle' } });
    try {
      const result = await createCheckout({
        items: cart.map((l) => ({ product: l.product, quantity: l.quantity })),
        signed_in: signedIn,
        // One id per attempt: a retried request replays the same intent on Kassa.
        checkout_id: crypto.randomUUID(),
      });
      this.#set({
        creating: false,
        checkout: {
          clientSecret: result.client_secret,
          intentId: result.payment_intent.id,
          amount: result.payment_intent.amount,
          currency: result.payment_intent.currency,
          orderUrl: result.order_url,
        },
        payment: { status: 'ready' },
      });
      this.#log('checkout', `${result.payment_intent.id} ${MESSAGES[this.#state.locale].intentCreated}`);
    } catch (error) {
      this.#set({ creating: false, checkoutError: error instanceof ApiError ? error.message : String(error) });
    }
  }

  /** Leaves the checkout (the unpaid intent is simply abandoned) or, after paying, starts over. */
  closeCheckout(): void {
    this.#set({ checkout: null, payment: { status: 'idle' }, order: { status: 'idle' } });
  }

  // ---- the widget's events ----

  paymentSucceeded(detail: KassaPaymentSucceededDetail): void {
    const intent = detail.paymentIntent;
    this.#log('kassa-payment-succeeded', `${intent.id} ${intent.status}`);
    this.#set({ payment: { status: 'succeeded', intentId: intent.id }, cart: [] });
    void this.verify(intent.id);
  }

  paymentFailed(detail: KassaPaymentFailedDetail): void {
    const { error } = detail;
    const code = error.decline_code ?? error.code;
    this.#log('kassa-payment-failed', `${error.type}/${code}: ${error.message}`);
    this.#set({ payment: { status: 'failed', code, message: error.message } });
  }

  actionRequired(detail: KassaActionRequiredDetail): void {
    this.#log('kassa-action-required', `${detail.paymentIntent.id} ${detail.action.type}`);
    this.#set({ payment: { status: 'action_required', action: detail.action.type } });
  }

  /** The browser's event says "paid"; the shop only believes its server, which asks Kassa. */
  async verify(intentId: string): Promise<void> {
    this.#set({ order: { status: 'verifying' } });
    try {
      const order = await getOrder(intentId);
      this.#set({ order: order.paid ? { status: 'verified', order } : { status: 'unverified', order } });
    } catch (error) {
      this.#set({ order: { status: 'error', message: error instanceof Error ? error.message : String(error) } });
    }
  }
}
