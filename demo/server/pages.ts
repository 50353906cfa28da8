/**
 * Server-rendered HTML. The three shop pages are shells that a bundle fills in (vanilla with
 * the `<script>`-tag widget, React, Vue); the test-card table and the order page need no
 * script at all.
 */
import { BRAND_LABELS, formatAmount, type Currency } from '@kassa/core';
import { findProduct } from '../src/catalogue.js';
import { MESSAGES, type Locale, type Messages } from '../src/i18n.js';
import { TEST_CARDS } from '../src/test-cards.js';
import type { Assets, Entry } from './assets.js';
import { html, type Html } from './html.js';
import type { Order } from '../src/api-types.js';
import type { KassaScriptTag } from './kassa-script.js';

export type AppPage = 'shop' | 'react' | 'vue' | 'theming';

const NAV = [
  { path: '/', key: 'navShop', testid: 'nav-shop' },
  { path: '/react', key: 'navReact', testid: 'nav-react' },
  { path: '/vue', key: 'navVue', testid: 'nav-vue' },
  { path: '/cards', key: 'navCards', testid: 'nav-cards' },
  { path: '/theming', key: 'navTheming', testid: 'nav-theming' },
] as const satisfies ReadonlyArray<{ path: string; key: keyof Messages; testid: string }>;

interface LayoutOptions {
  locale: Locale;
  /** The request path, for the active nav link and the language links. */
  path: string;
  title: string;
  assets: Assets;
  entry?: Entry;
  /** Extra classic scripts before the bundle (the `<script src=kassa.js>` integration). */
  scripts?: KassaScriptTag[];
  body: Html;
}

function layout(o: LayoutOptions): string {
  const t = MESSAGES[o.locale];
  const styles = o.assets.entry('styles');
  const bundle = o.entry ? o.assets.entry(o.entry) : null;
  const css = [...(styles?.styles ?? []), ...(bundle?.styles ?? [])];
  return `<!doctype html>\n${html`<html lang="${o.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${o.title} · ${t.title}</title>
${css.map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(bundle?.preloads ?? []).map((href) => html`<link rel="modulepreload" href="${href}">\n`)}</head>
<body>
<header class="site">
  <a class="brand" href="/">${t.title}</a>
  <nav class="pages" aria-label="Pages">
    ${NAV.map(
      (n) => html`<a href="${n.path}" data-testid="${n.testid}"${n.path === o.path ? html` aria-current="page"` : ''}>${t[n.key]}</a> `,
    )}
  </nav>
  <nav class="locales" data-testid="locale-switch" aria-label="${t.language}">
    <a href="${o.path}?locale=en" lang="en" hreflang="en" data-locale="en"${o.locale === 'en' ? html` aria-current="true"` : ''}>English</a>
    <a href="${o.path}?locale=zh-CN" lang="zh-CN" hreflang="zh-CN" data-locale="zh-CN"${o.locale === 'zh-CN' ? html` aria-current="true"` : ''}>中文</a>
  </nav>
</header>
${o.body}
${(o.scripts ?? []).map(classicScript)}${(bundle?.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>\n`)}</body>
</html>`}`;
}

/**
 * A pinned tag carries its integrity, and `crossorigin` so the browser fetches it with CORS (SRI
 * is only checked on CORS responses). The unpinned fallback says in the page why it is one.
 */
function classicScript(tag: KassaScriptTag): Html {
  if (tag.integrity) return html`<script src="${tag.src}" integrity="${tag.integrity}" crossorigin="anonymous"></script>\n`;
  // The reason is the demo's own wording (no shopper input), and has no "--" to end the comment.
  const note = tag.unpinned ? html`<!-- kassa.js is not pinned: ${tag.unpinned.replace(/-{2,}/g, '-')}; the demo asks again on a later page view -->\n` : '';
  return html`${note}<script src="${tag.src}"></script>\n`;
}

/**
 * `kassaScript`: the kassa.js tag for the plain shop page. React and Vue bundle the widget, which
 * cannot tell where Kassa is: those pages get `kassaUrl` (as the browser reaches Kassa) in
 * `#app[data-kassa-url]`, for the element's `kassa-url`.
 */
export function appPage(
  page: AppPage,
  locale: Locale,
  path: string,
  assets: Assets,
  kassaScript: KassaScriptTag | null,
  kassaUrl: string,
  wallets: readonly string[] = [],
): { status: number; body: string } {
  const t = MESSAGES[locale];
  const built = assets.entry(page) !== null;
  const integration = page === 'react' ? t.integrationReact : page === 'vue' ? t.integrationVue : t.integrationShop;
  // The script-tag pages (shop, theming) need no URL: kassa.js knows where it came from.
  const byTag = page === 'shop' || page === 'theming';
  const kassaAttr = byTag ? '' : html` data-kassa-url="${kassaUrl}"`;
  // The plain shop page offers the wallets Kassa's test mode can take, beside cards.
  const walletsAttr = page === 'shop' && wallets.length > 0 ? html` data-wallets="${wallets.join(' ')}"` : '';
  const body = built
    ? html`<main id="app" data-page="${page}"${kassaAttr}${walletsAttr}><p class="integration">${t.integration} <code>${integration}</code></p></main>`
    : html`<main id="app" data-page="${page}"><p class="notice" role="alert">The demo's browser bundles are not built. Run <code>pnpm --filter @kassa/demo build</code> and reload.</p></main>`;
  return {
    status: built ? 200 : 503,
    body: layout({
      locale,
      path,
      title: { shop: t.navShop, react: t.navReact, vue: t.navVue, theming: t.navTheming }[page],
      assets,
      entry: page,
      // Only the plain pages load the one-file widget by tag; React and Vue bundle it.
      scripts: byTag && kassaScript ? [kassaScript] : [],
      body,
    }),
  };
}

export function cardsPage(locale: Locale, path: string, assets: Assets): string {
  const t = MESSAGES[locale];
  return layout({
    locale,
    path,
    title: t.navCards,
    assets,
    body: html`<main class="cards">
<h1>${t.navCards}</h1>
<p>${t.cardsIntro}</p>
<table data-testid="test-cards">
<thead><tr><th scope="col">${t.cardNumber}</th><th scope="col">${t.brand}</th><th scope="col">${t.outcome}</th><th scope="col">${t.balance}</th></tr></thead>
<tbody>
${TEST_CARDS.map(
  (card) => html`<tr data-card="${card.number.replace(/ /g, '')}" data-outcome="${card.code}"><td><code>${card.number}</code></td><td>${BRAND_LABELS[card.brand]}</td><td>${card.outcome[locale]}</td><td>${card.balance ?? '—'}</td></tr>\n`,
)}</tbody>
</table>
</main>`,
  });
}

function money(amount: number, currency: Currency, locale: Locale): string {
  return `${formatAmount(amount, currency, locale)} ${currency.toUpperCase()}`;
}

export function orderPage(locale: Locale, path: string, assets: Assets, order: Order | null): string {
  const t = MESSAGES[locale];
  const body = order
    ? html`<main class="order">
<h1>${t.order} <code data-testid="order-id">${order.id}</code></h1>
<p data-testid="order-status" data-status="${order.status}" class="status ${order.paid ? 'ok' : 'bad'}">${order.paid ? t.orderVerified : t.orderNotVerified}: <strong>${order.status}</strong></p>
<dl>
  <dt>${t.amount}</dt><dd data-testid="order-amount">${money(order.amount, order.currency, locale)}</dd>
  <dt>${t.received}</dt><dd data-testid="order-received">${money(order.amount_received, order.currency, locale)}</dd>
  <dt>${t.items}</dt><dd><ul>${order.items.map((i) => html`<li>${findProduct(i.product)?.name[locale] ?? i.product} × ${i.quantity}</li>`)}</ul></dd>
</dl>
</main>`
    : html`<main class="order"><p data-testid="order-status" data-status="missing" class="status bad">${t.orderMissing}</p></main>`;
  return layout({ locale, path, title: t.order, assets, body });
}
