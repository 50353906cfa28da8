/**
 * The plain page: `<kassa-checkout>` comes from `<script src="…/kassa.js">` (added by the
 * server-rendered HTML), exactly as a merchant without a framework would use it. Attributes in,
 * DOM events out. The DOM is built once and updated in place, so focus stays where the shopper
 * left it.
 */
import type { KassaCheckout } from '@kassa/widget';
import { PRODUCTS } from '../catalogue.js';
import { MESSAGES } from '../i18n.js';
import { canAdd, cartCount, cartTotal } from '../shared/cart.js';
import { money, orderStatusAttr, orderText, paymentText } from '../shared/format.js';
import { Shop, type ShopState } from '../shared/shop.js';

type Child = Node | string | null | false;
type Attrs = Record<string, string | boolean | ((e: Event) => void)>;

/** A tiny DOM builder: attributes starting with `on` become listeners. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  el.append(...children.filter((c): c is Node | string => c !== null && c !== false));
  return el;
}

const shop = Shop.fromDocument();
const { locale } = shop.state;
const t = MESSAGES[locale];
const app = document.getElementById('app');
if (!app) throw new Error('#app is missing');

// ---- products (built once) ----
const addButtons = new Map(
  PRODUCTS.map((p) => [p, h('button', { type: 'button', 'data-testid': `add-to-cart-${p.id}`, onclick: () => shop.add(p.id) }, t.add)] as const),
);
const products = h(
  'section',
  { class: 'products', 'aria-labelledby': 'products-title' },
  h('h2', { id: 'products-title' }, t.products),
  h(
    'ul',
    {},
    ...[...addButtons].map(([p, button]) =>
      h(
        'li',
        { class: 'product', 'data-product': p.id },
        h('h3', {}, p.name[locale]),
        h('p', { class: 'blurb' }, p.blurb[locale]),
        h('p', { class: 'price', 'data-testid': `price-${p.id}` }, money(p.price, p.currency, locale)),
        button,
      ),
    ),
  ),
);

// ---- cart ----
const count = h('span', { 'data-testid': 'cart-count' });
const lines = h('ul', { class: 'lines' });
const empty = h('p', { class: 'empty' }, t.cartEmpty);
const total = h('strong', { 'data-testid': 'cart-total' });
const signedIn = h('input', {
  type: 'checkbox',
  'data-testid': 'signed-in-toggle',
  onchange: () => shop.setSignedIn(signedIn.checked),
});
const checkoutButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'checkout-button', onclick: () => void shop.startCheckout() });
const clearButton = h('button', { type: 'button', 'data-testid': 'clear-cart', onclick: () => shop.clear() }, t.clear);
const checkoutError = h('p', { class: 'error', role: 'alert', 'data-testid': 'checkout-error' });
const cart = h(
  'aside',
  { class: 'cart', 'data-testid': 'cart', 'aria-labelledby': 'cart-title' },
  h('h2', { id: 'cart-title' }, `${t.cart} (`, count, ')'),
  empty,
  lines,
  h('p', { class: 'total' }, `${t.total}: `, total),
  h('label', { class: 'toggle' }, signedIn, ` ${t.signedIn}`),
  h('div', { class: 'actions' }, checkoutButton, clearButton),
  checkoutError,
);

// ---- checkout, status, events ----
const widgetSlot = h('div', { class: 'widget' });
const closeButton = h('button', { type: 'button', onclick: () => shop.closeCheckout() });
const checkoutPanel = h('section', { class: 'checkout', 'data-testid': 'checkout' }, widgetSlot, h('div', { class: 'actions' }, closeButton));
const paymentStatus = h('p', { 'data-testid': 'payment-status', class: 'status' });
const orderStatus = h('span');
const orderLink = h('a', { 'data-testid': 'order-link' }, t.orderLink);
const orderLine = h('p', { 'data-testid': 'order-status', class: 'status' }, orderStatus, ' · ', orderLink);
const eventLog = h('ol', { 'data-testid': 'event-log' });
const noEvents = h('p', { class: 'empty' }, t.noEvents);

// Replaces the server's placeholder line with the live page.
app.replaceChildren(
  h('p', { class: 'integration' }, `${t.integration} `, h('code', {}, t.integrationShop)),
  h(
    'div',
    { class: 'shop' },
    products,
    h(
      'div',
      { class: 'side' },
      cart,
      checkoutPanel,
      h('section', { class: 'status-panel', 'aria-live': 'polite' }, paymentStatus, orderLine),
      h('section', { class: 'events', 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, t.events), noEvents, eventLog),
    ),
  ),
);

let widget: KassaCheckout | null = null;

// The wallets Kassa's test mode takes (the server says which), offered beside cards: the choice
// is the element's `payment-method`; a wallet shows no card fields, and its button pays there.
const wallets = (app.dataset.wallets ?? '').split(' ').filter((w): w is 'alipay' | 'paypal' => w === 'alipay' || w === 'paypal');
let method: 'card' | 'alipay' | 'paypal' = 'card';
const methodLabels = { card: t.methodCard, alipay: t.methodAlipay, paypal: t.methodPaypal } as const;
const methodPicker = h(
  'fieldset',
  { class: 'pay-with', 'data-testid': 'pay-with', hidden: wallets.length === 0 },
  h('legend', {}, t.payWith),
  ...(['card', ...wallets] as const).map((m) =>
    h(
      'label',
      {},
      h('input', {
        type: 'radio',
        name: 'pay-with',
        value: m,
        checked: m === method,
        'data-testid': `pay-with-${m}`,
        onchange: () => {
          method = m;
          if (widget) widget.remove();
          widget = null;
          renderWidget(shop.state);
        },
      }),
      ` ${methodLabels[m]}`,
    ),
  ),
);
widgetSlot.before(methodPicker);

function renderWidget(s: ShopState): void {
  if (!s.checkout) {
    widget?.remove();
    widget = null;
    return;
  }
  if (widget?.getAttribute('client-secret') === s.checkout.clientSecret) return;
  widget?.remove();
  widget = document.createElement('kassa-checkout');
  widget.setAttribute('client-secret', s.checkout.clientSecret);
  widget.setAttribute('locale', s.locale);
  if (method !== 'card') widget.setAttribute('payment-method', method);
  widget.addEventListener('kassa-payment-succeeded', (e) => shop.paymentSucceeded(e.detail));
  widget.addEventListener('kassa-payment-failed', (e) => shop.paymentFailed(e.detail));
  widget.addEventListener('kassa-action-required', (e) => shop.actionRequired(e.detail));
  widgetSlot.replaceChildren(widget);
}

let renderedEvents = 0;

function render(): void {
  const s = shop.state;
  const locked = s.checkout !== null;

  for (const [p, button] of addButtons) {
    const allowed = canAdd(s.cart, p);
    button.disabled = !allowed || locked;
    button.title = allowed ? '' : t.otherCurrency;
  }

  count.textContent = String(cartCount(s.cart));
  empty.hidden = s.cart.length > 0;
  lines.replaceChildren(
    ...s.cart.map((line) => {
      const p = PRODUCTS.find((x) => x.id === line.product);
      if (!p) return h('li', {});
      return h(
        'li',
        { 'data-testid': `cart-line-${p.id}` },
        `${p.name[locale]} × ${line.quantity} `,
        h('span', { class: 'line-price' }, money(p.price * line.quantity, p.currency, locale)),
        ' ',
        h('button', { type: 'button', class: 'link', 'data-testid': `remove-${p.id}`, disabled: locked, onclick: () => shop.remove(p.id) }, t.remove),
      );
    }),
  );
  const sum = cartTotal(s.cart);
  total.textContent = sum ? money(sum.amount, sum.currency, locale) : '—';
  signedIn.checked = s.signedIn;
  signedIn.disabled = locked;
  checkoutButton.disabled = s.cart.length === 0 || s.creating || locked;
  checkoutButton.textContent = s.creating ? t.checkingOut : t.checkout;
  clearButton.disabled = s.cart.length === 0 || locked;
  checkoutError.hidden = !s.checkoutError;
  checkoutError.textContent = s.checkoutError ?? '';

  checkoutPanel.hidden = !s.checkout;
  renderWidget(s);
  const paid = s.payment.status === 'succeeded';
  closeButton.dataset.testid = paid ? 'new-order' : 'checkout-cancel';
  closeButton.textContent = paid ? t.newOrder : t.back;

  paymentStatus.dataset.status = s.payment.status;
  paymentStatus.textContent = paymentText(t, s.payment);
  orderLine.dataset.status = orderStatusAttr(s.order);
  orderLine.hidden = s.order.status === 'idle';
  orderStatus.textContent = orderText(t, s.order);
  orderLink.href = s.checkout?.orderUrl ?? '#';

  // The log only grows: append what is new instead of rebuilding it.
  for (const entry of s.events.slice(renderedEvents)) {
    eventLog.append(h('li', { 'data-event': entry.type }, h('time', {}, `+${entry.at} ms `), h('code', {}, entry.type), ` ${entry.summary}`));
  }
  renderedEvents = s.events.length;
  noEvents.hidden = s.events.length > 0;
}

shop.subscribe(render);
render();
