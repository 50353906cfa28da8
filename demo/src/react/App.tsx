/**
 * The React page: the same shop, with `<KassaCheckout>` from @kassa/react. Props in
 * (`clientSecret`, `kassaUrl`, `locale`), typed callbacks out (`onPaymentSucceeded`, …).
 */
import { useSyncExternalStore } from 'react';
import { KassaCheckout } from '@kassa/react';
import { PRODUCTS } from '../catalogue.js';
import { MESSAGES } from '../i18n.js';
import { canAdd, cartCount, cartTotal } from '../shared/cart.js';
import { money, orderStatusAttr, orderText, paymentText } from '../shared/format.js';
import type { Shop } from '../shared/shop.js';

export function App({ shop }: { shop: Shop }) {
  const s = useSyncExternalStore(shop.subscribe, shop.getSnapshot);
  const { locale } = s;
  const t = MESSAGES[locale];
  const locked = s.checkout !== null;
  const sum = cartTotal(s.cart);
  const paid = s.payment.status === 'succeeded';

  return (
    <>
      <p className="integration">
        {t.integration} <code>{t.integrationReact}</code>
      </p>
      <div className="shop">
        <section className="products" aria-labelledby="products-title">
          <h2 id="products-title">{t.products}</h2>
          <ul>
            {PRODUCTS.map((p) => {
              const allowed = canAdd(s.cart, p);
              return (
                <li key={p.id} className="product" data-product={p.id}>
                  <h3>{p.name[locale]}</h3>
                  <p className="blurb">{p.blurb[locale]}</p>
                  <p className="price" data-testid={`price-${p.id}`}>
                    {money(p.price, p.currency, locale)}
                  </p>
                  <button
                    type="button"
                    data-testid={`add-to-cart-${p.id}`}
                    disabled={!allowed || locked}
                    title={allowed ? '' : t.otherCurrency}
                    onClick={() => shop.add(p.id)}
                  >
                    {t.add}
                  </button>
                </li>
              );
            })}
          </ul>
        </section>

        <div className="side">
          <aside className="cart" data-testid="cart" aria-labelledby="cart-title">
            <h2 id="cart-title">
              {t.cart} (<span data-testid="cart-count">{cartCount(s.cart)}</span>)
            </h2>
            <p className="empty" hidden={s.cart.length > 0}>
              {t.cartEmpty}
            </p>
            <ul className="lines">
              {s.cart.map((line) => {
                const p = PRODUCTS.find((x) => x.id === line.product);
                if (!p) return null;
                return (
                  <li key={p.id} data-testid={`cart-line-${p.id}`}>
                    {p.name[locale]} × {line.quantity}{' '}
                    <span className="line-price">{money(p.price * line.quantity, p.currency, locale)}</span>{' '}
                    <button type="button" className="link" data-testid={`remove-${p.id}`} disabled={locked} onClick={() => shop.remove(p.id)}>
                      {t.remove}
                    </button>
                  </li>
                );
              })}
            </ul>
            <p className="total">
              {t.total}: <strong data-testid="cart-total">{sum ? money(sum.amount, sum.currency, locale) : '—'}</strong>
            </p>
            <label className="toggle">
              <input
                type="checkbox"
                data-testid="signed-in-toggle"
                checked={s.signedIn}
                disabled={locked}
                onChange={(e) => shop.setSignedIn(e.currentTarget.checked)}
              />{' '}
              {t.signedIn}
            </label>
            <div className="actions">
              <button
                type="button"
                className="primary"
                data-testid="checkout-button"
                disabled={s.cart.length === 0 || s.creating || locked}
                onClick={() => void shop.startCheckout()}
              >
                {s.creating ? t.checkingOut : t.checkout}
              </button>
              <button type="button" data-testid="clear-cart" disabled={s.cart.length === 0 || locked} onClick={() => shop.clear()}>
                {t.clear}
              </button>
            </div>
            <p className="error" role="alert" data-testid="checkout-error" hidden={!s.checkoutError}>
              {s.checkoutError}
            </p>
          </aside>

          <section className="checkout" data-testid="checkout" hidden={!s.checkout}>
            {s.checkout && (
              <div className="widget">
                <KassaCheckout
                  // A new intent is a new element, as on the plain page.
                  key={s.checkout.clientSecret}
                  clientSecret={s.checkout.clientSecret}
                  // The bundled widget is pinned to the Kassa the server named; it never trusts the secret's iss.
                  kassaUrl={shop.kassaUrl}
                  locale={locale}
                  onPaymentSucceeded={(e) => shop.paymentSucceeded(e.detail)}
                  onPaymentFailed={(e) => shop.paymentFailed(e.detail)}
                  onActionRequired={(e) => shop.actionRequired(e.detail)}
                />
              </div>
            )}
            <div className="actions">
              <button type="button" data-testid={paid ? 'new-order' : 'checkout-cancel'} onClick={() => shop.closeCheckout()}>
                {paid ? t.newOrder : t.back}
              </button>
            </div>
          </section>

          <section className="status-panel" aria-live="polite">
            <p data-testid="payment-status" data-status={s.payment.status} className="status">
              {paymentText(t, s.payment)}
            </p>
            <p data-testid="order-status" data-status={orderStatusAttr(s.order)} className="status" hidden={s.order.status === 'idle'}>
              <span>{orderText(t, s.order)}</span> ·{' '}
              <a data-testid="order-link" href={s.checkout?.orderUrl ?? '#'}>
                {t.orderLink}
              </a>
            </p>
          </section>

          <section className="events" aria-labelledby="events-title">
            <h2 id="events-title">{t.events}</h2>
            <p className="empty" hidden={s.events.length > 0}>
              {t.noEvents}
            </p>
            <ol data-testid="event-log">
              {s.events.map((e) => (
                <li key={e.seq} data-event={e.type}>
                  <time>+{e.at} ms </time><code>{e.type}</code> {e.summary}
                </li>
              ))}
            </ol>
          </section>
        </div>
      </div>
    </>
  );
}
