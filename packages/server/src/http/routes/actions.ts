/**
 * What a shopper's browser and a provider reach on Kassa around a payment that waits for the
 * shopper at a provider (Alipay, PayPal):
 *
 *   - `/actions/:ref` — Kassa's page for the action, which the widget frames (it cannot show a
 *     QR code or open a provider's page itself without growing): the QR code to scan, or a
 *     button that opens the provider's page in a window of its own (PayPal and Alipay refuse
 *     to be framed). It follows the payment to its end by asking `/actions/:ref/status`, which
 *     asks the provider, and tells the host page (`challenge_complete`, as the 3-D Secure page
 *     does) once it is over: paid, refused, or the code expired.
 *   - `/actions/:ref/qr.svg` — the code, drawn by the `qrcode` library.
 *   - `/providers/:type/return` — where the provider sends the shopper back (a redirect): the
 *     action is completed with what the provider added, then the shopper goes on to the
 *     merchant's return_url (Stripe's query: payment_intent, its client secret, redirect_status)
 *     or, in the window the page opened, is told to close it.
 *   - `/providers/:type/webhooks` — the provider's notifications, on the raw body.
 */
import express, { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { formatAmount, isValidChannel, resolveLocale, type Locale } from '@kassa/core';
import { FailureKind, KassaError, invalidParam, notFound } from '../../domain/errors.js';
import type { NextActionRecord, PaymentIntentRecord } from '../../domain/model.js';
import type { PaymentIntents } from '../../domain/payment-intents.js';
import { hostedActionPath } from '../../domain/payment-intents.js';
import { NotificationRejected } from '../../domain/ports.js';
import type { ProviderDirectory } from '../../domain/ports.js';
import type { ProviderNotifications } from '../../domain/provider-notifications.js';
import { methodNotAllowed } from '../errors.js';
import { parseQuery } from '../validation.js';
import { providerFormHeaders } from '../security.js';

export interface ActionsDeps {
  payments: PaymentIntents;
  providers: ProviderDirectory;
  notifications: ProviderNotifications;
  /** Security headers for a page framed by `res.locals.frameOrigin` (none: not framable). */
  framedPageHeaders: RequestHandler;
  /** Parses a provider's form POST back (size limits and content types are the http layer's). */
  formParser: RequestHandler[];
  /** Stripe's return query for an intent: its client secret, to read it from the merchant's page. */
  clientSecret(intent: PaymentIntentRecord): string;
  /** How often the page's polls may ask the provider about one action (default 2 s). */
  pollIntervalMs?: number;
}

export const actionQuerySchema = z
  .object({
    channel: z.string().refine(isValidChannel, 'channel must be 8–64 letters, digits, _ or -').optional().describe("The widget's channel (absent: the page opened by hand)"),
    origin: z.string().min(1).max(255).optional().describe('The shop page framing it: an allowed origin of the intent\'s merchant'),
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/)
      .optional()
      .describe("The shopper's language (a BCP 47 tag); without it the page is in English and Chinese"),
  })
  .strict();

/** `GET /actions/:ref/status`: where the payment stands, as the action page shows it. */
export const actionStatusSchema = z
  .object({
    status: z.string().describe("The intent's status"),
    over: z.boolean().describe('Paid, refused or expired: nothing more to wait for'),
    shown: z.enum(['waiting', 'paid', 'not_paid']).describe('What the page shows'),
  })
  .strict();

/** A provider's form POST back: its own fields (Kassa passes them to the adapter), Kassa's reference among them. */
export const providerReturnFormSchema = z
  .object({ kassa_reference: z.string().optional().describe('The payment intent (usually in the URL\'s query)') })
  .catchall(z.string().max(4096))
  .describe("The provider's fields, as it posts them");

/** What the provider adds to the return URL (or posts to it): at most this much is passed on. */
const MAX_RETURN_PARAMS = 40;
const MAX_RETURN_VALUE = 4096;

/** Every sentence of the action page, in each of Kassa's locales (the compiler checks each is complete). */
interface ActionStrings {
  scanTitle: string;
  /** `{amount}`: the formatted amount. */
  scanBody: string;
  /** `{provider}`: Alipay or PayPal. */
  openTitle: string;
  openBody: string;
  openButton: string;
  waiting: string;
  expiresIn: string;
  paid: string;
  notPaid: string;
  expired: string;
  closeWindow: string;
  /** An approval in the shopper's banking or wallet app (`await_notification`). */
  approveTitle: string;
  approveBody: string;
  approveExpired: string;
  approveExpiresIn: string;
}

export const ACTION_STRINGS: Readonly<Record<Locale, ActionStrings>> = {
  en: {
    scanTitle: 'Scan to pay',
    scanBody: 'Scan this code with the {provider} app to pay {amount}.',
    openTitle: 'Pay with {provider}',
    openBody: 'Approve the payment of {amount} at {provider}, in the window that opens.',
    openButton: 'Continue to {provider}',
    waiting: 'Waiting for your payment…',
    expiresIn: 'The code expires in',
    paid: 'Payment received',
    notPaid: 'The payment did not go through.',
    expired: 'The code expired. Nothing was charged.',
    closeWindow: 'You can close this window and return to the shop.',
    approveTitle: 'Approve in your app',
    approveBody: 'Open your bank’s or wallet’s app and approve the payment of {amount}.',
    approveExpired: 'The approval timed out. Nothing was charged.',
    approveExpiresIn: 'Time left to approve',
  },
  'zh-CN': {
    scanTitle: '扫码支付',
    scanBody: '请使用{provider}扫描二维码，支付 {amount}。',
    openTitle: '使用{provider}支付',
    openBody: '请在新打开的窗口中，在{provider}确认支付 {amount}。',
    openButton: '前往{provider}',
    waiting: '正在等待您付款…',
    expiresIn: '二维码有效时间剩余',
    paid: '已收到付款',
    notPaid: '支付未成功。',
    expired: '二维码已过期，未扣款。',
    closeWindow: '您可以关闭此窗口，返回商店。',
    approveTitle: '请在应用中确认',
    approveBody: '请打开您的银行或钱包应用，确认支付 {amount}。',
    approveExpired: '确认已超时，未扣款。',
    approveExpiresIn: '确认剩余时间',
  },
  'zh-TW': {
    scanTitle: '掃碼付款',
    scanBody: '請使用{provider}掃描 QR 碼，支付 {amount}。',
    openTitle: '使用{provider}付款',
    openBody: '請在新開啟的視窗中，於{provider}確認付款 {amount}。',
    openButton: '前往{provider}',
    waiting: '正在等待您付款…',
    expiresIn: 'QR 碼有效時間剩餘',
    paid: '已收到付款',
    notPaid: '付款未成功。',
    expired: 'QR 碼已過期，未扣款。',
    closeWindow: '您可以關閉此視窗，返回商店。',
    approveTitle: '請在應用程式中確認',
    approveBody: '請開啟您的銀行或錢包應用程式，確認付款 {amount}。',
    approveExpired: '確認已逾時，未扣款。',
    approveExpiresIn: '確認剩餘時間',
  },
  ja: {
    scanTitle: 'スキャンして支払う',
    scanBody: '{provider}アプリでこのコードをスキャンして、{amount} をお支払いください。',
    openTitle: '{provider}で支払う',
    openBody: '開いたウィンドウで、{provider}での {amount} のお支払いを承認してください。',
    openButton: '{provider}へ進む',
    waiting: 'お支払いをお待ちしています…',
    expiresIn: 'コードの有効期限まで',
    paid: 'お支払いを受け付けました',
    notPaid: 'お支払いは完了しませんでした。',
    expired: 'コードの有効期限が切れました。請求はされていません。',
    closeWindow: 'このウィンドウを閉じて、ショップに戻れます。',
    approveTitle: 'アプリで承認してください',
    approveBody: '銀行またはウォレットのアプリを開き、{amount} のお支払いを承認してください。',
    approveExpired: '承認の有効期限が切れました。請求はされていません。',
    approveExpiresIn: '承認の残り時間',
  },
  es: {
    scanTitle: 'Escanea para pagar',
    scanBody: 'Escanea este código con la app de {provider} para pagar {amount}.',
    openTitle: 'Pagar con {provider}',
    openBody: 'Aprueba el pago de {amount} en {provider}, en la ventana que se abre.',
    openButton: 'Continuar a {provider}',
    waiting: 'Esperando tu pago…',
    expiresIn: 'El código caduca en',
    paid: 'Pago recibido',
    notPaid: 'El pago no se completó.',
    expired: 'El código ha caducado. No se ha cobrado nada.',
    closeWindow: 'Puedes cerrar esta ventana y volver a la tienda.',
    approveTitle: 'Aprueba en tu app',
    approveBody: 'Abre la app de tu banco o de tu monedero y aprueba el pago de {amount}.',
    approveExpired: 'La aprobación ha caducado. No se ha cobrado nada.',
    approveExpiresIn: 'Tiempo para aprobar',
  },
  de: {
    scanTitle: 'Zum Bezahlen scannen',
    scanBody: 'Scanne diesen Code mit der {provider}-App, um {amount} zu bezahlen.',
    openTitle: 'Mit {provider} bezahlen',
    openBody: 'Bestätige die Zahlung von {amount} bei {provider} im neuen Fenster.',
    openButton: 'Weiter zu {provider}',
    waiting: 'Warten auf deine Zahlung…',
    expiresIn: 'Der Code läuft ab in',
    paid: 'Zahlung erhalten',
    notPaid: 'Die Zahlung ist nicht durchgegangen.',
    expired: 'Der Code ist abgelaufen. Es wurde nichts abgebucht.',
    closeWindow: 'Du kannst dieses Fenster schließen und zum Shop zurückkehren.',
    approveTitle: 'In deiner App bestätigen',
    approveBody: 'Öffne die App deiner Bank oder deiner Wallet und bestätige die Zahlung von {amount}.',
    approveExpired: 'Die Bestätigung ist abgelaufen. Es wurde nichts abgebucht.',
    approveExpiresIn: 'Verbleibende Zeit zum Bestätigen',
  },
  fr: {
    scanTitle: 'Scanner pour payer',
    scanBody: 'Scannez ce code avec l’application {provider} pour payer {amount}.',
    openTitle: 'Payer avec {provider}',
    openBody: 'Approuvez le paiement de {amount} chez {provider}, dans la fenêtre qui s’ouvre.',
    openButton: 'Continuer vers {provider}',
    waiting: 'En attente de votre paiement…',
    expiresIn: 'Le code expire dans',
    paid: 'Paiement reçu',
    notPaid: 'Le paiement n’a pas abouti.',
    expired: 'Le code a expiré. Rien n’a été débité.',
    closeWindow: 'Vous pouvez fermer cette fenêtre et revenir à la boutique.',
    approveTitle: 'Approuvez dans votre application',
    approveBody: 'Ouvrez l’application de votre banque ou de votre portefeuille et approuvez le paiement de {amount}.',
    approveExpired: 'L’approbation a expiré. Rien n’a été débité.',
    approveExpiresIn: 'Temps restant pour approuver',
  },
};

const PROVIDER_NAMES: Readonly<Record<string, Partial<Record<Locale, string>> & { en: string }>> = {
  alipay: { en: 'Alipay', 'zh-CN': '支付宝', 'zh-TW': '支付寶' },
  paypal: { en: 'PayPal' },
  // A card's page at its provider is the bank's 3-D Secure challenge.
  card: { en: 'your bank', 'zh-CN': '您的银行', 'zh-TW': '您的銀行', ja: 'ご利用の銀行', es: 'tu banco', de: 'deiner Bank', fr: 'votre banque' },
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A provider (or a card's bank) as the page names it in a language. */
const providerName = (locale: Locale, provider: string): string => PROVIDER_NAMES[provider]?.[locale] ?? PROVIDER_NAMES[provider]?.en ?? provider;

/** A sentence in the page's language; without one (opened by hand), English with the Chinese after it. */
function say(locale: Locale | null, key: keyof ActionStrings, fill: { amount?: string; provider?: string } = {}): string {
  const one = (l: Locale) => {
    const provider = fill.provider ? providerName(l, fill.provider) : '';
    return escapeHtml(ACTION_STRINGS[l][key])
      .replace('{amount}', `<strong>${escapeHtml(fill.amount ?? '')}</strong>`)
      .replace('{provider}', escapeHtml(provider));
  };
  if (locale) return one(locale);
  return `${one('en')} <span class="zh" lang="zh-CN">${one('zh-CN')}</span>`;
}

const CSS = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; }
body { margin: 0; padding: 8px; background: #f6f7f9; color: #1a1f36; }
main { max-width: 420px; margin: 0 auto; background: #fff; border-radius: 12px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); text-align: center; }
h1 { font-size: 1.05rem; margin: 0 0 8px; }
p { line-height: 1.4; margin: 0 0 12px; }
img { width: 200px; height: 200px; image-rendering: pixelated; }
button, a.button { display: inline-block; font: inherit; padding: 10px 16px; border-radius: 8px; border: 0; cursor: pointer; background: #1a56db; color: #fff; text-decoration: none; }
button:focus-visible, a:focus-visible { outline: 3px solid #635bff; outline-offset: 2px; }
.zh { display: block; font-size: .85em; opacity: .85; }
[hidden] { display: none !important; }
`;

// The page's one script: keeps the widget's frame as tall as the page, opens the provider's page
// in a window of its own (a user gesture inside the frame), counts the code's time down, and
// asks Kassa every few seconds where the payment stands; once it is over (paid, refused,
// expired) it shows so and tells the host page, which reads the intent's status from Kassa.
const PAGE_JS = `(() => {
  // A provider's page reached by POST: submit its form at once (the button is there without script).
  const form = document.querySelector('form[data-autosubmit]');
  if (form) { form.submit(); return; }
  const main = document.querySelector('main');
  const d = main ? main.dataset : {};
  const framed = window.parent !== window && d.channel;
  const post = (message) => { if (framed) window.parent.postMessage({ kassa: 1, channel: d.channel, ...message }, d.origin); };
  let last = -1;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) { last = height; post({ type: 'challenge_resize', height }); }
  };
  new ResizeObserver(report).observe(document.documentElement);
  const open = document.getElementById('open');
  if (open) open.addEventListener('click', (e) => {
    const w = window.open(open.href, 'kassa-provider', 'popup,width=480,height=720');
    if (w) e.preventDefault();
  });
  const left = document.getElementById('left');
  const expires = Number(d.expiresAt || 0) * 1000;
  const tick = () => {
    if (!left || !expires) return;
    const s = Math.max(0, Math.round((expires - Date.now()) / 1000));
    left.textContent = Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  };
  tick();
  setInterval(tick, 1000);
  const show = (id) => {
    for (const el of document.querySelectorAll('[data-state]')) el.hidden = el.dataset.state !== id;
    const h = document.querySelector('[data-state="' + id + '"] h1');
    if (h) h.focus();
  };
  let done = false;
  const poll = async () => {
    if (done) return;
    try {
      const res = await fetch(d.status, { headers: { accept: 'application/json' }, cache: 'no-store' });
      const body = await res.json();
      if (body.over) {
        done = true;
        // Not paid once the code's time ran out: it expired (the provider closed it; nothing was charged).
        show(body.shown === 'not_paid' && expires && Date.now() >= expires - 1000 ? 'expired' : body.shown);
        post({ type: 'challenge_complete', paymentIntent: d.paymentIntent });
        return;
      }
    } catch (_) {}
    setTimeout(poll, Number(d.pollMs || 2000));
  };
  setTimeout(poll, Number(d.pollMs || 2000));
})();
`;

interface PageContext {
  locale: Locale | null;
  channel: string;
  origin: string;
}

/** Where the payment stands, as the page shows it. */
type Shown = 'waiting' | 'paid' | 'not_paid';

function shownFor(intent: PaymentIntentRecord): Shown {
  switch (intent.status) {
    case 'requires_action':
    case 'processing':
    case 'unknown':
      return 'waiting';
    case 'succeeded':
    case 'requires_capture':
      return 'paid';
    case 'requires_payment_method':
    case 'requires_confirmation':
    case 'canceled':
    case 'failed':
      return 'not_paid';
    default: {
      const unreachable: never = intent.status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}

/** The pages' common head: language, title, Kassa's stylesheet and (where the page acts) its script. */
function pageHead(locale: Locale | null, title: string, script: boolean): string {
  return `<!doctype html>
<html lang="${locale ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/actions/assets/action.css">${script ? '\n<script src="/actions/assets/action.js" defer></script>' : ''}
</head>`;
}

/** A provider's page reached by POST, as a form Kassa's script submits at once (a button without script). */
function redirectFormPage(locale: Locale | null, intent: PaymentIntentRecord, form: { url: string; fields: Record<string, string> }): string {
  const provider = intent.paymentMethodType ?? intent.provider ?? '';
  const inputs = Object.entries(form.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `${pageHead(locale, ACTION_STRINGS[locale ?? 'en'].openTitle.replace('{provider}', providerName(locale ?? 'en', provider)), true)}
<body>
<main>
<form method="post" action="${escapeHtml(form.url)}" data-autosubmit>
${inputs}
<h1>${say(locale, 'openTitle', { provider })}</h1>
<p><button type="submit">${say(locale, 'openButton', { provider })}</button></p>
</form>
</main>
</body>
</html>`;
}

/** The page's title per action. */
const TITLE_OF: Readonly<Record<NextActionRecord['type'], keyof ActionStrings>> = {
  display_qr_code: 'scanTitle',
  redirect_to_url: 'openTitle',
  three_d_secure: 'openTitle',
  await_notification: 'approveTitle',
};

function actionPage(ctx: PageContext, intent: PaymentIntentRecord, action: NextActionRecord, ref: string, pollMs: number): string {
  const locale = ctx.locale;
  const provider = intent.paymentMethodType ?? intent.provider ?? '';
  const amount = formatAmount(intent.amount, intent.currency, locale ?? 'en');
  const base = hostedActionPath(ref);
  let waiting: string;
  let expiresAt = 0;
  if (action.type === 'display_qr_code') {
    expiresAt = action.display_qr_code.expires_at;
    waiting = `<h1 tabindex="-1">${say(locale, 'scanTitle')}</h1>
<p>${say(locale, 'scanBody', { amount, provider })}</p>
<img src="${base}/qr.svg" alt="${escapeHtml(`${ACTION_STRINGS[locale ?? 'en'].scanTitle} (${action.display_qr_code.data})`)}" width="200" height="200">
<p>${say(locale, 'expiresIn')} <span id="left" aria-live="off"></span></p>
<p role="status">${say(locale, 'waiting')}</p>`;
  } else if (action.type === 'redirect_to_url') {
    waiting = `<h1 tabindex="-1">${say(locale, 'openTitle', { provider })}</h1>
<p>${say(locale, 'openBody', { amount, provider })}</p>
<p><a id="open" class="button" href="${escapeHtml(action.redirect_to_url.url)}" target="_blank" rel="opener">${say(locale, 'openButton', { provider })}</a></p>
<p role="status">${say(locale, 'waiting')}</p>`;
  } else if (action.type === 'await_notification') {
    expiresAt = action.await_notification.expires_at;
    waiting = `<h1 tabindex="-1">${say(locale, 'approveTitle')}</h1>
<p>${say(locale, 'approveBody', { amount, provider })}</p>
<p>${say(locale, 'approveExpiresIn')} <span id="left" aria-live="off"></span></p>
<p role="status">${say(locale, 'waiting')}</p>`;
  } else {
    throw notFound('action', ref);
  }
  const state = (id: Shown | 'expired', body: string) => `<section data-state="${id}"${id === 'waiting' ? '' : ' hidden'}>${body}</section>`;
  return `${pageHead(locale, ACTION_STRINGS[locale ?? 'en'][TITLE_OF[action.type]].replace('{provider}', providerName(locale ?? 'en', provider)), true)}
<body>
<main data-channel="${escapeHtml(ctx.channel)}" data-origin="${escapeHtml(ctx.origin)}" data-payment-intent="${escapeHtml(intent.id)}" data-status="${base}/status" data-expires-at="${expiresAt}" data-poll-ms="${pollMs}">
${state('waiting', waiting)}
${state('paid', `<h1 tabindex="-1" role="status">${say(locale, 'paid')}</h1>`)}
${state('not_paid', `<h1 tabindex="-1" role="status">${say(locale, 'notPaid')}</h1>`)}
${state('expired', `<h1 tabindex="-1" role="status">${say(locale, action.type === 'await_notification' ? 'approveExpired' : 'expired')}</h1>`)}
</main>
</body>
</html>
`;
}

/** The page the provider's window lands on when there is no merchant page to go back to (the widget's flow). */
function closePage(locale: Locale | null, intent: PaymentIntentRecord): string {
  const shown = shownFor(intent);
  const heading = shown === 'paid' ? 'paid' : shown === 'waiting' ? 'waiting' : 'notPaid';
  return `${pageHead(locale, ACTION_STRINGS[locale ?? 'en'][heading], false)}
<body>
<main>
<h1 role="status">${say(locale, heading)}</h1>
<p>${say(locale, 'closeWindow')}</p>
</main>
</body>
</html>
`;
}

/** Stripe's `redirect_status` for where an intent stands after a redirect. */
export function redirectStatusOf(status: PaymentIntentRecord['status']): 'succeeded' | 'processing' | 'failed' {
  switch (status) {
    case 'succeeded':
    case 'requires_capture':
      return 'succeeded';
    case 'processing':
    case 'unknown':
    case 'requires_action':
      return 'processing';
    case 'requires_payment_method':
    case 'requires_confirmation':
    case 'canceled':
    case 'failed':
      return 'failed';
    default: {
      const unreachable: never = status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}

/** The string parameters a provider's return carried, bounded; anything else is refused, never dropped silently. */
function returnDetails(source: unknown, where: string): Record<string, string> {
  const details: Record<string, string> = {};
  if (typeof source !== 'object' || source === null) return details;
  const entries = Object.entries(source as Record<string, unknown>);
  if (entries.length > MAX_RETURN_PARAMS) throw invalidParam(where, `At most ${MAX_RETURN_PARAMS} parameters come back from a provider.`);
  for (const [key, value] of entries) {
    if (key === 'kassa_reference') continue;
    if (typeof value !== 'string' || value.length > MAX_RETURN_VALUE) throw invalidParam(key, `${key} must be one string of at most ${MAX_RETURN_VALUE} characters.`);
    details[key] = value;
  }
  return details;
}

/** Actions whose last poll time is remembered (the rest simply ask again at once). */
const MAX_ASKED = 10_000;

/** How long a return waits for a settling that is under way elsewhere: 10 × 200 ms. */
const RETURN_WAIT_ROUNDS = 10;
const RETURN_WAIT_MS = 200;

const typeParam = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/);

export function actionsRouter(deps: ActionsDeps): Router {
  const router = Router();
  const pollMs = deps.pollIntervalMs ?? 2000;
  /** When each action was last asked about by a poll: a page left open does not ask the provider every second. */
  const asked = new Map<string, number>();

  router.get('/actions/assets/action.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(CSS);
  });
  router.get('/actions/assets/action.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=300').send(PAGE_JS);
  });

  router.use('/actions', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  /** The action, its intent and (framed) the checked framing origin. */
  const load = async (req: Request, res: Response): Promise<{ intent: PaymentIntentRecord; action: NextActionRecord; ref: string }> => {
    const ref = String(req.params.ref);
    const found = await deps.payments.actionContext(ref);
    const action = found?.intent.nextAction;
    if (!found || !action || action.type === 'three_d_secure') throw notFound('action', ref);
    res.locals.allowedOrigins = found.allowedOrigins;
    return { intent: found.intent, action, ref };
  };

  router
    .route('/actions/:ref')
    .get(async (req, res) => {
      const { channel, origin, locale } = parseQuery(actionQuerySchema, req);
      const { intent, action, ref } = await load(req, res);
      if ((channel === undefined) !== (origin === undefined)) throw invalidParam(channel === undefined ? 'channel' : 'origin', 'channel and origin come together (the widget passes both).');
      if (origin !== undefined && !(res.locals.allowedOrigins as string[]).includes(origin)) {
        throw new KassaError(FailureKind.InvalidRequest, 'origin_not_allowed', 'This origin may not display the payment page.', { param: 'origin' });
      }
      // Framable by exactly the checked origin (none: opened by hand, not framable at all).
      res.locals.frameOrigin = origin ?? "'none'";
      const html = actionPage({ locale: locale ? resolveLocale(locale) : null, channel: channel ?? '', origin: origin ?? '' }, intent, action, ref, pollMs);
      deps.framedPageHeaders(req, res, () => {
        res.status(200).type('html').send(html);
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/actions/:ref/qr.svg')
    .get(async (req, res) => {
      const { action, ref } = await load(req, res);
      if (action.type !== 'display_qr_code') throw notFound('QR code', ref);
      // Loaded on the first code drawn, not at every start (the crash tests start servers by the hundred).
      const { default: QRCode } = await import('qrcode');
      const svg = await QRCode.toString(action.display_qr_code.data, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      res.status(200).type('image/svg+xml').set('Content-Security-Policy', "default-src 'none'").set('Cross-Origin-Resource-Policy', 'same-origin').send(svg);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/actions/:ref/redirect')
    .get(async (req, res) => {
      const { locale } = parseQuery(actionQuerySchema.pick({ locale: true }), req);
      const { intent, action, ref } = await load(req, res);
      if (action.type !== 'redirect_to_url' || !action.form) throw notFound('redirect form', ref);
      // Submitted once, by the shopper's own browser: never framed, never cached.
      res.locals.frameOrigin = "'none'";
      const html = redirectFormPage(locale ? resolveLocale(locale) : null, intent, action.form);
      providerFormHeaders(new URL(action.form.url).origin)(req, res, () => {
        res.status(200).type('html').send(html);
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/actions/:ref/status')
    .get(async (req, res) => {
      const ref = String(req.params.ref);
      const found = await deps.payments.actionContext(ref);
      if (!found) throw notFound('action', ref);
      let intent = found.intent;
      const now = Date.now();
      // Waiting for the shopper: ask the provider (at most once per interval per action). The
      // provider's notification does the same; whichever comes first settles it.
      // A payment its provider answered `pending` is asked the same way (the page waits on it too).
      const waiting = intent.status === 'requires_action' || (intent.status === 'processing' && intent.pendingOperation === null);
      if (waiting && now - (asked.get(ref) ?? 0) >= pollMs) {
        asked.delete(ref);
        asked.set(ref, now);
        // Pages left open and never finished would keep their entry: the oldest go first.
        for (const oldest of asked.keys()) {
          if (asked.size <= MAX_ASKED) break;
          asked.delete(oldest);
        }
        try {
          intent = await deps.payments.completeAction(ref);
        } catch (error) {
          res.locals.error = error; // logged with the request; the page asks again
        }
      }
      const shown = shownFor(intent);
      if (shown !== 'waiting') asked.delete(ref);
      res.status(200).json(actionStatusSchema.parse({ status: intent.status, over: shown !== 'waiting', shown }));
    })
    .all(methodNotAllowed('GET'));

  /** A type's providers, merchants' accounts included — one another instance made a moment ago too. */
  const providersOf = async (type: string) => {
    await deps.providers.prepare?.();
    return deps.providers.all().filter((p) => (p.type ?? p.name) === type);
  };

  /** The shopper is back from the provider: complete the action, then back to the shop (or close the window). */
  const returned = async (req: Request, res: Response) => {
    const type = typeParam.safeParse(req.params.type);
    if (!type.success || (await providersOf(type.data)).length === 0) throw notFound('provider', String(req.params.type));
    const raw = { ...(req.query as Record<string, unknown>), ...(req.method === 'POST' ? ((req.body ?? {}) as Record<string, unknown>) : {}) };
    const reference = raw.kassa_reference;
    if (typeof reference !== 'string' || reference.length === 0) throw invalidParam('kassa_reference', 'kassa_reference (the payment intent) is missing: this is not a return from a provider Kassa sent the shopper to.');
    const details = returnDetails(raw, 'query');
    const found = await deps.payments.intentForReturn(reference);
    if (!found || (deps.providers.byName(found.provider ?? '')?.type ?? found.provider) !== type.data) throw notFound('payment_intent', reference);
    let intent = found;
    if (intent.status === 'requires_action' && intent.actionRef) {
      try {
        intent = await deps.payments.completeAction(intent.actionRef, details);
      } catch (error) {
        // Not settled now (the provider did not answer): the shop reads the status from Kassa; recovery and polls go on.
        res.locals.error = error;
      }
    }
    // Another request is settling it right now (the provider's notification often arrives with
    // the shopper): wait a moment for its answer rather than send the shopper back "processing".
    for (let i = 0; i < RETURN_WAIT_ROUNDS && intent.status === 'processing'; i++) {
      await new Promise((resolve) => setTimeout(resolve, RETURN_WAIT_MS));
      intent = (await deps.payments.intentForReturn(intent.id)) ?? intent;
    }
    res.set('Cache-Control', 'no-store');
    if (intent.returnUrl) {
      const back = new URL(intent.returnUrl);
      back.searchParams.set('payment_intent', intent.id);
      back.searchParams.set('payment_intent_client_secret', deps.clientSecret(intent));
      back.searchParams.set('redirect_status', redirectStatusOf(intent.status));
      res.status(303).set('Location', back.href).end();
      return;
    }
    const locale = typeof req.query.locale === 'string' ? resolveLocale(req.query.locale) : null;
    res.locals.frameOrigin = "'none'";
    deps.framedPageHeaders(req, res, () => {
      res.status(200).type('html').send(closePage(locale, intent));
    });
  };

  router
    .route('/providers/:type/return')
    .get(returned)
    .post(...deps.formParser, returned)
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/providers/:type/webhooks')
    .post(express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
      const type = typeParam.safeParse(req.params.type);
      const providers = type.success ? await providersOf(type.data) : [];
      if (providers.length === 0) throw notFound('provider', String(req.params.type));
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      let received;
      try {
        received = await deps.notifications.receive(providers, raw, headers);
      } catch (error) {
        if (error instanceof NotificationRejected) {
          throw new KassaError(FailureKind.InvalidRequest, 'notification_invalid', `The notification was not verified: ${error.message}`);
        }
        throw error;
      }
      // Stored: acknowledged now, applied after (a provider waits seconds at most, and retries a slow answer).
      res.status(200).type('text/plain').set('Cache-Control', 'no-store').send(received.ack);
      setImmediate(() => void deps.notifications.apply(received.stored));
    })
    .all(methodNotAllowed('POST'));

  return router;
}
