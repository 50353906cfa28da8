/**
 * A fake Kassa server for the widget's browser tests, run as web-test-runner middleware on
 * the test server itself. It speaks the /client API of docs/API.md closely enough to drive
 * every widget path (success, each decline, 3-D Secure, saved cards, wallets, network failure),
 * and records what the widget sent so tests can assert on it. The real server is covered by its
 * own tests and by e2e; this one exists so widget tests need no database and no provider.
 *
 * Wallets (Alipay, PayPal) as the server does them (packages/server/src/http/routes/actions.ts):
 * a confirm with `payment_method_data: { type }` leaves the intent `requires_action` with
 * core's next action (`display_qr_code`, or `redirect_to_url` with `hosted_instructions_url`),
 * and Kassa's page at `/actions/<ref>` shows the code (or a button that opens the provider's
 * page in a popup), asks `/actions/<ref>/status` until the payment is over (paid, refused, or
 * the code expired, which the server settles as a decline) and then posts challenge_complete.
 * Tests play the provider with POST /__fake/actions/<ref>/settle.
 *
 * Test-only endpoints live under /__fake/. Card numbers are used to pick the outcome and
 * then dropped: the log keeps only the last 4 digits and the CVC length.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** axe-core as @open-wc/testing ships it, so a test can run it inside the card frame's own page. */
function axeSource() {
  const testing = dirname(fileURLToPath(import.meta.resolve('@open-wc/testing')));
  const chaiAxe = realpathSync(join(testing, '../../chai-a11y-axe'));
  return readFileSync(join(chaiAxe, '../axe-core/axe.min.js'), 'utf8');
}

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const rand = (n = 12) => randomBytes(n).toString('hex');

/** Outcome per sandbox card (docs/API.md "Sandbox test cards"). */
const DECLINES = {
  '4000000000009995': { code: 'card_declined', decline_code: 'insufficient_funds' },
  '4000000000000002': { code: 'card_declined', decline_code: 'generic_decline' },
  '4000000000000069': { code: 'expired_card', decline_code: 'expired_card' },
  '4000000000000127': { code: 'incorrect_cvc', decline_code: 'incorrect_cvc' },
  '4000000000000119': { code: 'processing_error', decline_code: 'processing_error' },
};
const THREE_DS_CARD = '4000000000003220';
const WALLETS = ['alipay', 'paypal'];
/** How often the fake action page asks where the payment stands (the server's page: every 2 s). */
const ACTION_POLL_MS = 50;

function brandOf(number) {
  if (/^3[47]/.test(number)) return 'amex';
  if (/^35/.test(number)) return 'jcb';
  if (/^(62|81)/.test(number)) return 'unionpay';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^4/.test(number)) return 'visa';
  return 'unknown';
}

export function fakeKassa() {
  /** @type {Map<string, any>} */
  const intents = new Map();
  /** @type {Map<string, { intent: string, number: string, last4: string, brand: string, used: boolean }>} */
  const tokens = new Map();
  /** @type {Map<string, { status: number, body: unknown, request: string }>} */
  const idempotent = new Map();

  const clientView = (pi) => ({
    id: pi.id,
    object: 'payment_intent',
    amount: pi.amount,
    currency: pi.currency,
    status: pi.status,
    last_payment_error: pi.last_payment_error,
    next_action: pi.next_action,
    saved_payment_method: pi.saved_payment_method,
    can_save_card: pi.can_save_card,
  });

  /** The wallet action waiting behind an /actions/<ref> URL. */
  const actionByRef = (ref) => [...intents.values()].find((pi) => pi.action?.ref === ref);

  const intentForSecret = (ctx) => {
    const auth = ctx.get('authorization');
    const secret = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    return [...intents.values()].find((pi) => pi.client_secret === secret);
  };

  function send(ctx, status, body, headers = {}) {
    ctx.status = status;
    for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(body);
  }

  function error(ctx, status, type, code, extra = {}) {
    send(ctx, status, { error: { type, code, message: `fake: ${code}`, ...extra } }, cors(ctx));
  }

  function cors(ctx) {
    const origin = ctx.get('origin');
    return origin
      ? {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key',
          'Access-Control-Allow-Methods': 'GET, POST',
          Vary: 'Origin',
        }
      : {};
  }

  async function readJson(ctx) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  }

  function log(pi, entry) {
    pi.log.push(entry);
  }

  const invalid = (code, param, message) => ({ status: 400, body: { error: { type: 'invalid_request_error', code, param, message: `fake: ${message}` } } });

  /**
   * The body as the server's clientConfirmSchema takes it (strict: payment_method, or
   * payment_method_data with only a known wallet type, never both; setup_future_usage only for a
   * card); null when it is fine.
   */
  function refuseBody(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('parameter_invalid', undefined, 'body must be an object');
    for (const key of Object.keys(body)) {
      if (!['payment_method', 'payment_method_data', 'setup_future_usage'].includes(key)) return invalid('parameter_unknown', key, `unknown parameter ${key}`);
    }
    const data = body.payment_method_data;
    if (data !== undefined) {
      if (typeof data !== 'object' || data === null || Object.keys(data).some((k) => k !== 'type')) return invalid('parameter_unknown', 'payment_method_data', 'only type');
      if (!WALLETS.includes(data.type)) return invalid('parameter_invalid', 'payment_method_data[type]', 'must be alipay or paypal');
      if (body.payment_method !== undefined) return invalid('parameter_invalid', 'payment_method_data', 'payment_method or payment_method_data, not both');
      if (body.setup_future_usage !== undefined) return invalid('parameter_invalid', 'setup_future_usage', 'only cards are saved');
      return null;
    }
    if (typeof body.payment_method !== 'string') return invalid('parameter_missing', 'payment_method', 'payment_method is required');
    if (body.setup_future_usage !== undefined && body.setup_future_usage !== 'on_session' && body.setup_future_usage !== 'off_session') {
      return invalid('parameter_invalid', 'setup_future_usage', 'on_session or off_session');
    }
    return null;
  }

  /** A wallet confirm: the provider makes an order (a QR code, or an approval page), Kassa its page for it. */
  function confirmWallet(pi, type, origin) {
    if (!pi.wallets.includes(type)) {
      return {
        status: 400,
        body: {
          error: {
            type: 'invalid_request_error',
            code: 'payment_method_unactivated',
            param: 'payment_method_data[type]',
            message: `fake: no provider takes ${type} payments in ${pi.currency.toUpperCase()}`,
            payment_intent: clientView(pi),
          },
        },
      };
    }
    pi.orders += 1;
    const ref = `act_${rand(8)}`;
    // Kassa's page is on Kassa's origin, as a path (the server writes it so); a test may move it elsewhere.
    const hosted = pi.action_origin ? new URL(`/actions/${ref}`, pi.action_origin).href : `/actions/${ref}`;
    const qr = type === 'alipay' && pi.alipay_flow === 'qr';
    pi.status = 'requires_action';
    pi.last_payment_error = null;
    pi.action = { ref, type, qr, expires_at: Math.floor(Date.now() / 1000) + pi.qr_ttl, expires_ms: Date.now() + pi.qr_ttl * 1000 };
    const provider = new URL(`/__fake/${type}/checkout?ref=${ref}`, origin).href;
    pi.next_action = qr
      ? {
          type: 'display_qr_code',
          display_qr_code: {
            data: `https://qr.alipay.com/fake${ref}`,
            expires_at: pi.action.expires_at,
            image_url_svg: `/actions/${ref}/qr.svg`,
            hosted_instructions_url: hosted,
          },
        }
      : {
          type: 'redirect_to_url',
          redirect_to_url: { url: provider, return_url: null, ...(pi.no_hosted_url ? {} : { hosted_instructions_url: hosted }) },
        };
    return { status: 200, body: clientView(pi) };
  }

  /** The provider's answer to a wallet order, as the server settles it. */
  function settleWallet(pi, result) {
    pi.next_action = null;
    if (result === 'paid') {
      pi.status = pi.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
      pi.last_payment_error = null;
      return;
    }
    pi.status = 'requires_payment_method';
    // An expired code is a decline too (generic_decline today), with a message about the expiry.
    const message = result === 'expired' ? 'fake: the QR code expired before it was paid' : 'fake: the shopper refused at the provider';
    pi.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message };
  }

  /** What a confirm does to the intent, as the real server would decide it. */
  function confirm(pi, body, origin) {
    const refused = refuseBody(body);
    if (refused) return refused;
    if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) {
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'fake: state' } } };
    }
    if (body.payment_method_data) return confirmWallet(pi, body.payment_method_data.type, origin);
    const method = body.payment_method;
    let number = null;
    if (typeof method === 'string' && method.startsWith('pm_')) {
      if (!pi.saved_payment_method || pi.saved_payment_method.id !== method) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'fake: no such pm' } } };
      }
      number = pi.saved_number;
    } else {
      const token = tokens.get(method);
      if (!token || token.intent !== pi.id) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'fake: no such token' } } };
      }
      if (token.used) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'token_already_used', message: 'fake: used' } } };
      }
      token.used = true;
      number = token.number;
    }
    if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) {
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'fake: state' } } };
    }
    if (pi.confirm_status) {
      pi.status = pi.confirm_status;
      return { status: 200, body: clientView(pi) };
    }
    const decline = DECLINES[number];
    if (decline) {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', ...decline, message: `fake: ${decline.decline_code}` };
      return {
        status: 402,
        body: { error: { type: 'card_error', ...decline, message: `fake: ${decline.decline_code}`, payment_intent: clientView(pi) } },
      };
    }
    if (number === THREE_DS_CARD) {
      pi.status = 'requires_action';
      const url = new URL(`/__fake/3ds/${pi.id}`, pi.iss);
      if (pi.auto_3ds) url.searchParams.set('auto', pi.auto_3ds);
      pi.next_action = { type: 'three_d_secure', three_d_secure: { url: url.href } };
      return { status: 200, body: clientView(pi) };
    }
    pi.status = pi.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
    pi.last_payment_error = null;
    return { status: 200, body: clientView(pi) };
  }

  const routes = [
    // ---- test control ----
    ['GET', /^\/__fake\/axe\.js$/, async (ctx) => {
      ctx.type = 'text/javascript';
      ctx.body = axeSource();
    }],
    ['POST', /^\/__fake\/intents$/, async (ctx) => {
      const o = await readJson(ctx);
      const id = `pi_${rand(8)}`;
      const iss = o.iss ?? `${ctx.protocol}://${ctx.host}`;
      const exp = Math.floor(Date.now() / 1000) + (o.expired ? -60 : 900);
      const client_secret = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: id, mid: 'acct_fake', iss, aud: 'kassa:client', exp, jti: rand(6) })}.${rand(16)}`;
      const saved = o.saved_card
        ? { id: `pm_${rand(8)}`, brand: brandOf(o.saved_card), last4: o.saved_card.slice(-4), exp_month: 12, exp_year: 2034 }
        : null;
      intents.set(id, {
        id,
        iss,
        client_secret,
        amount: o.amount ?? 12800,
        currency: o.currency ?? 'cny',
        status: o.status ?? 'requires_payment_method',
        capture_method: o.capture_method ?? 'automatic',
        last_payment_error: null,
        next_action: null,
        saved_payment_method: saved,
        saved_number: o.saved_card ?? null,
        // Wallets: which ones a provider takes (both by default), how Alipay answers on this
        // "desktop" (a QR code, or its cashier as a redirect), how long a code lives (seconds).
        wallets: o.wallets ?? WALLETS,
        alipay_flow: o.alipay_flow ?? 'qr',
        qr_ttl: o.qr_ttl ?? 900,
        // Kassa's page on another origin (the widget must refuse it), or none (the merchant's redirect flow).
        action_origin: o.action_origin ?? null,
        no_hosted_url: Boolean(o.no_hosted_url),
        // The action page shows the payment but never tells the host (a page that hung).
        silent_action: Boolean(o.silent_action),
        action: null,
        orders: 0,
        // The first confirm acts, but its answer is lost on the way back (the connection drops).
        confirm_lost_answer: Boolean(o.confirm_lost_answer),
        can_save_card: Boolean(o.can_save_card),
        confirm_status: o.confirm_status ?? null,
        settle_to: o.settle_to ?? null,
        settle_after: o.settle_after ?? 0,
        after_3ds: o.after_3ds ?? null,
        hold_confirm: Boolean(o.hold_confirm),
        release: null,
        confirm_network_error: Boolean(o.confirm_network_error),
        auto_3ds: o.auto_3ds ?? null,
        log: [],
      });
      send(ctx, 200, { id, client_secret });
    }],
    ['GET', /^\/__fake\/log\/(pi_\w+)$/, async (ctx, [, id]) => {
      const pi = intents.get(id);
      send(ctx, pi ? 200 : 404, pi ? { status: pi.status, log: pi.log, orders: pi.orders, action: pi.action?.ref ?? null } : { error: 'no such intent' });
    }],
    // The merchant changed the intent (Kassa's update is the merchant's backend's business).
    ['POST', /^\/__fake\/update\/(pi_\w+)$/, async (ctx, [, id]) => {
      const pi = intents.get(id);
      const { amount } = await readJson(ctx);
      if (pi && Number.isSafeInteger(amount)) pi.amount = amount;
      send(ctx, pi ? 200 : 404, { ok: Boolean(pi) });
    }],
    ['POST', /^\/__fake\/release\/(pi_\w+)$/, async (ctx, [, id]) => {
      const pi = intents.get(id);
      const held = Boolean(pi?.release);
      pi?.release?.();
      if (pi) pi.release = null;
      send(ctx, 200, { released: held });
    }],
    ['POST', /^\/__fake\/3ds\/(pi_\w+)\/result$/, async (ctx, [, id]) => {
      const pi = intents.get(id);
      const { result } = await readJson(ctx);
      if (pi && pi.status === 'requires_action') settle3ds(pi, result);
      send(ctx, 200, { ok: true });
    }],
    // The issuer's challenge page: two buttons; after the choice it tells the host.
    ['GET', /^\/__fake\/3ds\/(pi_\w+)$/, async (ctx, [, id]) => {
      const pi = intents.get(id);
      if (pi && ctx.query.auto && pi.status === 'requires_action') settle3ds(pi, ctx.query.auto);
      ctx.type = 'text/html';
      ctx.body = `<!doctype html><html lang="en"><title>3-D Secure</title><body>
        <main><h1>Fake bank</h1>
        <button id="complete" type="button">Complete</button> <button id="fail" type="button">Fail</button></main>
        <script>
          const q = new URLSearchParams(location.search);
          const tell = () => parent.postMessage({ kassa: 1, channel: q.get('channel'), type: 'challenge_complete', paymentIntent: ${JSON.stringify(id)} }, q.get('origin'));
          const choose = (result) => fetch(location.pathname + '/result', { method: 'POST', body: JSON.stringify({ result }) }).then(tell);
          document.getElementById('complete').onclick = () => choose('pass');
          document.getElementById('fail').onclick = () => choose('fail');
          if (q.get('auto')) tell();
        </script></body></html>`;
    }],
    // ---- wallets: the provider (played by the test) and Kassa's action page ----
    ['POST', /^\/__fake\/actions\/(act_\w+)\/settle$/, async (ctx, [, ref]) => {
      const pi = actionByRef(ref);
      const { result } = await readJson(ctx);
      const acted = Boolean(pi && pi.status === 'requires_action' && ['paid', 'refused'].includes(result));
      if (acted) settleWallet(pi, result);
      send(ctx, 200, { settled: acted });
    }],
    // The provider's own page (PayPal's approval, Alipay's cashier), opened in a popup by Kassa's page.
    ['GET', /^\/__fake\/(alipay|paypal)\/checkout$/, async (ctx, [, type]) => {
      const ref = String(ctx.query.ref ?? '');
      const pi = actionByRef(ref);
      if (pi) log(pi, { method: 'GET', path: ctx.path, origin: null, provider: type, opener: null });
      ctx.type = 'text/html';
      ctx.body = `<!doctype html><html lang="en"><title>Fake ${type}</title><body><main><h1>Fake ${type}</h1>
        <button id="approve" type="button">Approve</button> <button id="refuse" type="button">Refuse</button></main>
        <script>
          const choose = (result) => fetch('/__fake/actions/${ref}/settle', { method: 'POST', body: JSON.stringify({ result }) }).then(() => window.close());
          document.getElementById('approve').onclick = () => choose('paid');
          document.getElementById('refuse').onclick = () => choose('refused');
        </script></body></html>`;
    }],
    ['GET', /^\/actions\/(act_\w+)\/qr\.svg$/, async (ctx, [, ref]) => {
      const pi = actionByRef(ref);
      if (!pi?.action?.qr) return error(ctx, 404, 'invalid_request_error', 'resource_missing');
      ctx.type = 'image/svg+xml';
      ctx.body = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4" width="160" height="160"><path d="M0 0h2v2H0zM2 2h2v2H2z"/></svg>';
    }],
    // Where the payment stands, as the action page asks; an expired code is settled here, as a decline.
    ['GET', /^\/actions\/(act_\w+)\/status$/, async (ctx, [, ref]) => {
      const pi = actionByRef(ref);
      if (!pi) return error(ctx, 404, 'invalid_request_error', 'resource_missing');
      if (pi.status === 'requires_action' && pi.action.qr && Date.now() >= pi.action.expires_ms) settleWallet(pi, 'expired');
      const over = pi.status !== 'requires_action';
      send(ctx, 200, { status: pi.status, over, shown: !over ? 'waiting' : ['succeeded', 'requires_capture'].includes(pi.status) ? 'paid' : 'not_paid' });
    }],
    // Kassa's page for a wallet's action, framed by the widget as a 3-D Secure page is: the QR code
    // with its countdown, or a link that opens the provider's page in a popup window of its own.
    ['GET', /^\/actions\/(act_\w+)$/, async (ctx, [, ref]) => {
      const pi = actionByRef(ref);
      if (!pi) return error(ctx, 404, 'invalid_request_error', 'resource_missing');
      const a = pi.action;
      const body = a.qr
        ? `<h1 tabindex="-1">Scan to pay</h1><img id="qr" src="/actions/${ref}/qr.svg" alt="Alipay QR code" width="160" height="160">
           <p>The code expires in <span id="left"></span></p>`
        : `<h1 tabindex="-1">Pay with ${a.type}</h1>
           <p><a id="open" href="${pi.next_action.redirect_to_url.url}" target="_blank" rel="opener">Continue to ${a.type}</a></p>`;
      ctx.type = 'text/html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kassa ${a.type}</title></head><body>
        <main data-payment-intent="${pi.id}" data-expires-at="${a.qr ? a.expires_at : 0}">${body}<p id="shown" role="status">waiting</p></main>
        <script>
          const q = new URLSearchParams(location.search);
          const post = (message) => parent.postMessage({ kassa: 1, channel: q.get('channel'), ...message }, q.get('origin'));
          post({ type: 'challenge_resize', height: Math.ceil(document.documentElement.getBoundingClientRect().height) });
          const open = document.getElementById('open');
          // As the server's page: a window of its own for the provider (PayPal refuses to be framed).
          if (open) open.addEventListener('click', (e) => {
            window.kassaPopup = window.open(open.href, 'kassa-provider', 'popup,width=480,height=720');
            if (window.kassaPopup) e.preventDefault();
          });
          const left = document.getElementById('left');
          const expires = Number(document.querySelector('main').dataset.expiresAt) * 1000;
          const tick = () => { if (left) left.textContent = Math.max(0, Math.round((expires - Date.now()) / 1000)) + ' s'; };
          tick();
          setInterval(tick, 1000);
          const poll = async () => {
            const body = await (await fetch('/actions/${ref}/status', { cache: 'no-store' })).json();
            if (!body.over) return setTimeout(poll, ${ACTION_POLL_MS});
            document.getElementById('shown').textContent = body.shown;
            post({ type: 'challenge_complete', paymentIntent: document.querySelector('main').dataset.paymentIntent });
          };
          // A silent page has hung: it neither asks nor tells.
          ${pi.silent_action ? '' : `setTimeout(poll, ${ACTION_POLL_MS});`}
        </script></body></html>`;
    }],
    // The card frame page, as the real server serves it (same CSP), but with the TS source.
    ['GET', /^\/frame\/card$/, async (ctx) => {
      // The real server answers 400 to an origin it does not allow; the fake lets the page load
      // (framed by itself) so tests can check the element's own origin validation too.
      const origin = String(ctx.query.origin ?? '');
      const ancestor = /^https?:\/\/[\w.-]+(:\d+)?$/.test(origin) ? origin : '';
      ctx.type = 'text/html';
      ctx.set(
        'Content-Security-Policy',
        `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; frame-ancestors 'self' ${ancestor}`,
      );
      // Framed by the script-tag shop page below: use the built frame script, as production does.
      const built = (ctx.get('referer') || '').includes('/__fake/shop');
      const script = built ? '/packages/widget/dist/frame/card.js' : '/packages/widget/src/card-frame/define.ts';
      ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Card</title></head><body>
        <kassa-card-frame></kassa-card-frame>
        <script type="module" src="${script}"></script></body></html>`;
    }],
    // The locale files kassa.js fetches from the origin it was loaded from, as Kassa serves them.
    ['GET', /^\/kassa@[^/]+\/locales\/([\w-]+)\.json$/, async (ctx, [, locale]) => {
      const file = new URL(`../dist/locales/${locale}.json`, import.meta.url);
      ctx.type = 'application/json';
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = readFileSync(file, 'utf8');
    }],
    // A merchant page that uses the one-file build exactly as docs say: a <script> tag and the element.
    ['GET', /^\/__fake\/shop$/, async (ctx) => {
      const secret = String(ctx.query.secret ?? '').replace(/[^\w.-]/g, '');
      const locale = String(ctx.query.locale ?? 'en').replace(/[^\w-]/g, '');
      // Optional, to check that kassa.js refuses a kassa-url naming another origin than its own.
      const kassaUrl = String(ctx.query.kassa_url ?? '').replace(/[^\w.:/-]/g, '');
      ctx.type = 'text/html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
        <script src="/packages/widget/dist/kassa.js"></script></head><body>
        <kassa-checkout client-secret="${secret}" locale="${locale}"${kassaUrl ? ` kassa-url="${kassaUrl}"` : ''}></kassa-checkout></body></html>`;
    }],
    // ---- the /client API ----
    ['OPTIONS', /^\/client\/payment_intents\//, async (ctx) => {
      ctx.status = 204;
      for (const [k, v] of Object.entries(cors(ctx))) ctx.set(k, v);
    }],
    ['GET', /^\/client\/payment_intents\/(pi_\w+)$/, async (ctx, [, id]) => {
      const pi = intentForSecret(ctx);
      if (!pi) return error(ctx, 401, 'authentication_error', 'client_secret_invalid');
      if (pi.id !== id) return error(ctx, 404, 'invalid_request_error', 'resource_missing');
      log(pi, { method: 'GET', path: ctx.path, origin: ctx.get('origin') || null });
      // A provider that answers late: the first look after confirm finds the final status (or
      // the look after `settle_after` more; without `settle_to` it never decides).
      if ((pi.status === 'processing' || pi.status === 'unknown') && pi.settle_to) {
        if (pi.settle_after > 0) pi.settle_after -= 1;
        else pi.status = pi.settle_to;
      }
      send(ctx, 200, clientView(pi), cors(ctx));
    }],
    ['POST', /^\/client\/payment_intents\/(pi_\w+)\/confirm$/, async (ctx, [, id]) => {
      const pi = intentForSecret(ctx);
      if (!pi) return error(ctx, 401, 'authentication_error', 'client_secret_invalid');
      if (pi.id !== id) return error(ctx, 404, 'invalid_request_error', 'resource_missing');
      const body = await readJson(ctx);
      const key = ctx.get('idempotency-key');
      log(pi, { method: 'POST', path: ctx.path, idempotencyKey: key || null, body, origin: ctx.get('origin') || null });
      if (!key) return error(ctx, 400, 'invalid_request_error', 'parameter_missing', { param: 'Idempotency-Key' });
      // The connection drops before any answer: what a fetch sees on a network failure. Only
      // for the first attempt's key (Chrome itself retries a dropped request once, same key).
      if (pi.confirm_network_error && (pi.dropped_key ??= key) === key) {
        ctx.status = 204; // (only so the runner does not report a 404; nothing is sent)
        ctx.respond = false;
        ctx.req.socket.destroy();
        return;
      }
      // Held until the test releases it, so a test can look at the element mid-payment.
      if (pi.hold_confirm) await new Promise((resolve) => (pi.release = resolve));
      const scoped = `${pi.id}:${key}`;
      const request = JSON.stringify(body);
      const stored = idempotent.get(scoped);
      if (stored && stored.request !== request) return error(ctx, 400, 'idempotency_error', 'idempotency_key_reused');
      const result = stored ?? confirm(pi, body, `${ctx.protocol}://${ctx.host}`);
      if (!stored) idempotent.set(scoped, { ...result, request });
      // Acted (once: a repeat under the key is a replay), then the answer is lost on the way back,
      // for the first attempt's key only (as above: Chrome repeats the request once itself).
      if (pi.confirm_lost_answer && (pi.lost_key ??= key) === key) {
        ctx.status = 204;
        ctx.respond = false;
        ctx.req.socket.destroy();
        return;
      }
      send(ctx, result.status, result.body, stored ? { ...cors(ctx), 'Idempotent-Replayed': 'true' } : cors(ctx));
    }],
    ['POST', /^\/client\/tokens$/, async (ctx) => {
      // Same-origin only: no CORS headers, so a merchant page could never call this.
      const pi = intentForSecret(ctx);
      if (!pi) return send(ctx, 401, { error: { type: 'authentication_error', code: 'client_secret_invalid', message: 'fake' } });
      const { card } = await readJson(ctx);
      const number = String(card?.number ?? '');
      const cvc = String(card?.cvc ?? '');
      log(pi, {
        method: 'POST',
        path: ctx.path,
        origin: ctx.get('origin') || null,
        card: {
          digitsOnly: /^\d+$/.test(number),
          last4: number.slice(-4),
          exp_month: card?.exp_month,
          exp_year: card?.exp_year,
          cvcLength: cvc.length,
          cvcDigitsOnly: /^\d+$/.test(cvc),
        },
      });
      const id = `tok_${rand(10)}`;
      const brand = brandOf(number);
      tokens.set(id, { intent: pi.id, number, last4: number.slice(-4), brand, used: false });
      send(ctx, 200, { id, object: 'token', card: { brand, last4: number.slice(-4), exp_month: card.exp_month, exp_year: card.exp_year } });
    }],
  ];

  function settle3ds(pi, result) {
    pi.next_action = null;
    if (result === 'pass') {
      // `after_3ds`: the bank said yes but the payment is not settled yet (processing, unknown),
      // as the real result page reports it: challenge_complete all the same.
      pi.status = pi.after_3ds ?? 'succeeded';
    } else {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = {
        type: 'card_error',
        code: 'payment_intent_authentication_failure',
        message: 'fake: 3ds failed',
      };
    }
  }

  return async function fakeKassaMiddleware(ctx, next) {
    for (const [method, pattern, handler] of routes) {
      const match = pattern.exec(ctx.path);
      if (match && ctx.method === method) return handler(ctx, match);
    }
    return next();
  };
}
