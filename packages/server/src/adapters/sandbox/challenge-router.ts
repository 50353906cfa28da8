/**
 * The sandbox issuer's 3-D Secure challenge, as the shopper sees it: a small page framed by
 * the merchant's page, with "Complete authentication" and "Fail authentication". The choice
 * is a plain form POST (no script needed); the result page then tells the host page, with
 * one postMessage to exactly the framing origin, that the challenge is over.
 *
 * Only the page itself may answer: a POST the browser marks as coming from another site
 * (Sec-Fetch-Site, Origin) is refused, and the form carries a per-challenge token (an HMAC of
 * the challenge id) that another site cannot read.
 *
 * Kassa decides who may frame the page and settles the payment; this router only asks
 * (deps), so the adapter never reaches into Kassa's http layer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { formatAmount, hasPrefix, isValidChannel, resolveLocale, type Locale } from '@kassa/core';
import { FailureKind, KassaError, invalidParam, notFound } from '../../domain/errors.js';
import type { ChallengeRecord, SandboxProvider } from './provider.js';

export interface ChallengeRouterDeps {
  sandbox: SandboxProvider;
  /** Origins allowed to frame this challenge (its merchant's), or null if Kassa does not know it. */
  framingOrigins(challengeId: string): Promise<string[] | null>;
  /** The shopper decided: Kassa settles the payment. Resolves to the payment intent id. */
  onDecided(challengeId: string): Promise<string>;
  /** Security headers for a page framed by `res.locals.frameOrigin`. */
  framedPageHeaders: RequestHandler;
  /** Parses the form POST (size limits and content types are the http layer's). */
  formParser: RequestHandler[];
  /** Key of the per-challenge form token (HMAC-SHA256 of the challenge id); 32 bytes, secret. */
  formTokenKey: Buffer;
  /**
   * For a challenge shown as a whole page (a server-side confirm with `return_url`): where to
   * send the shopper back once it is over, query included; null if the intent has no return_url.
   */
  returnTo(challengeId: string): Promise<string | null>;
}

export const challengeQuerySchema = z
  .object({
    channel: z.string().refine(isValidChannel, 'channel must be 8–64 letters, digits, _ or -').describe("The widget's channel"),
    origin: z.string().min(1).max(255).describe('The shop page framing the challenge'),
    /** The shopper's language (the widget passes its own); without it the page is English and Chinese. */
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/)
      .optional()
      .describe("The shopper's language (a BCP 47 tag); without it the page is in English and Chinese"),
  })
  .strict();

/** Every sentence of the sandbox bank's pages, in each of Kassa's locales (the compiler checks each is complete). */
interface ChallengeStrings {
  badge: string;
  title: string;
  heading: string;
  /** `{amount}` is the formatted amount. */
  body: string;
  pass: string;
  fail: string;
  passed: string;
  failed: string;
  returnToShop: string;
  unconfirmed: string;
  unconfirmedBody: string;
}

export const CHALLENGE_STRINGS: Readonly<Record<Locale, ChallengeStrings>> = {
  en: {
    badge: 'Sandbox bank',
    title: '3-D Secure authentication',
    heading: 'Confirm this payment',
    body: 'Authenticate the payment of {amount}. This is a test page: choose the outcome.',
    pass: 'Complete authentication',
    fail: 'Fail authentication',
    passed: 'Authentication complete',
    failed: 'Authentication failed',
    returnToShop: 'You can return to the shop.',
    unconfirmed: 'Payment not confirmed yet',
    unconfirmedBody: 'Your payment could not be confirmed yet. Please return to the shop, which will show whether it went through.',
  },
  'zh-CN': {
    badge: '模拟银行',
    title: '3-D Secure 验证',
    heading: '确认这笔付款',
    body: '请验证 {amount} 的付款。这是测试页面：请选择结果。',
    pass: '完成验证',
    fail: '验证失败',
    passed: '验证完成',
    failed: '验证失败',
    returnToShop: '您可以返回商店。',
    unconfirmed: '付款尚未确认',
    unconfirmedBody: '暂时无法确认您的付款。请返回商店查看付款结果。',
  },
  'zh-TW': {
    badge: '模擬銀行',
    title: '3-D Secure 驗證',
    heading: '確認這筆付款',
    body: '請驗證 {amount} 的付款。這是測試頁面：請選擇結果。',
    pass: '完成驗證',
    fail: '驗證失敗',
    passed: '驗證完成',
    failed: '驗證失敗',
    returnToShop: '您可以返回商店。',
    unconfirmed: '付款尚未確認',
    unconfirmedBody: '目前還無法確認您的付款。請返回商店查看付款結果。',
  },
  ja: {
    badge: 'サンドボックス銀行',
    title: '3-D セキュア認証',
    heading: 'このお支払いを確認',
    body: '{amount} のお支払いを認証してください。これはテスト用のページです。結果を選んでください。',
    pass: '認証を完了する',
    fail: '認証に失敗させる',
    passed: '認証が完了しました',
    failed: '認証に失敗しました',
    returnToShop: 'ショップに戻ってください。',
    unconfirmed: 'お支払いはまだ確認されていません',
    unconfirmedBody: 'お支払いをまだ確認できません。ショップに戻ると、お支払いの結果が表示されます。',
  },
  es: {
    badge: 'Banco de pruebas',
    title: 'Autenticación 3-D Secure',
    heading: 'Confirma este pago',
    body: 'Autentica el pago de {amount}. Es una página de prueba: elige el resultado.',
    pass: 'Completar la autenticación',
    fail: 'Hacer fallar la autenticación',
    passed: 'Autenticación completada',
    failed: 'La autenticación ha fallado',
    returnToShop: 'Ya puedes volver a la tienda.',
    unconfirmed: 'Pago aún sin confirmar',
    unconfirmedBody: 'Todavía no se ha podido confirmar tu pago. Vuelve a la tienda, que te indicará si se ha realizado.',
  },
  de: {
    badge: 'Sandbox-Bank',
    title: '3-D-Secure-Authentifizierung',
    heading: 'Diese Zahlung bestätigen',
    body: 'Bestätigen Sie die Zahlung über {amount}. Dies ist eine Testseite: Wählen Sie das Ergebnis.',
    pass: 'Authentifizierung abschließen',
    fail: 'Authentifizierung scheitern lassen',
    passed: 'Authentifizierung abgeschlossen',
    failed: 'Authentifizierung fehlgeschlagen',
    returnToShop: 'Sie können zum Shop zurückkehren.',
    unconfirmed: 'Zahlung noch nicht bestätigt',
    unconfirmedBody: 'Ihre Zahlung konnte noch nicht bestätigt werden. Kehren Sie zum Shop zurück, der Ihnen zeigt, ob sie durchgegangen ist.',
  },
  fr: {
    badge: 'Banque de test',
    title: 'Authentification 3-D Secure',
    heading: 'Confirmez ce paiement',
    body: 'Authentifiez le paiement de {amount}. Ceci est une page de test\u202f: choisissez le résultat.',
    pass: 'Valider l’authentification',
    fail: 'Faire échouer l’authentification',
    passed: 'Authentification validée',
    failed: 'Échec de l’authentification',
    returnToShop: 'Vous pouvez retourner à la boutique.',
    unconfirmed: 'Paiement pas encore confirmé',
    unconfirmedBody: 'Votre paiement n’a pas encore pu être confirmé. Retournez à la boutique, qui vous indiquera s’il a abouti.',
  },
};

/**
 * One sentence in the page's language: with a locale, in that language alone; without one (a
 * link opened by hand), in English with the Chinese after it, as the sandbox always showed it.
 */
function say(locale: Locale | null, key: keyof ChallengeStrings, amount = ''): string {
  const fill = (text: string) => escapeHtml(text).replace('{amount}', `<strong>${escapeHtml(amount)}</strong>`);
  if (locale) return fill(CHALLENGE_STRINGS[locale][key]);
  return `${fill(CHALLENGE_STRINGS.en[key])} <span class="zh" lang="zh-CN">${fill(CHALLENGE_STRINGS['zh-CN'][key])}</span>`;
}

// The token is checked before this schema runs; it is listed so that it is not an unknown key.
export const challengeChoiceSchema = z
  .object({ result: z.enum(['pass', 'fail']), token: z.string().describe("The page form's hidden token") })
  .strict();

const CSS = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; }
body { margin: 0; padding: 8px; background: #f6f7f9; color: #1a1f36; }
main { max-width: 420px; margin: 0 auto; background: #fff; border-radius: 12px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.05rem; margin: 0 0 8px; }
p { line-height: 1.4; margin: 0 0 12px; }
.badge { display: inline-block; font-size: .75rem; padding: 2px 8px; border-radius: 999px; background: #fff4d6; color: #8a5a00; margin-bottom: 8px; }
/* Both choices stay visible inside the widget's challenge frame, even on a narrow checkout. */
form { display: flex; flex-wrap: wrap; gap: 8px; }
form button { flex: 1 1 10rem; }
button { font: inherit; padding: 10px 12px; border-radius: 8px; border: 1px solid transparent; cursor: pointer; }
button:focus-visible { outline: 3px solid #635bff; outline-offset: 2px; }
.pass { background: #05662a; color: #fff; } /* 7:1 with white (WCAG AA needs 4.5:1) */
.fail { background: #fff; color: #b3261e; border-color: #b3261e; }
.zh { display: block; font-size: .85em; opacity: .85; }
`;

// Runs in every page: keeps the widget's frame as tall as the page (the frame would otherwise
// cut it off or leave a gap), and puts the keyboard on the first choice (or the result heading):
// the widget shows this page right after the shopper pressed Pay, and moves focus into the frame
// once it has loaded; `autofocus` does not work in a cross-origin frame.
const PAGE_JS = `(() => {
  const d = document.querySelector('main')?.dataset ?? {};
  if (window.parent === window || !d.channel) return;
  let last = -1;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ kassa: 1, channel: d.channel, type: 'challenge_resize', height }, d.origin);
  };
  new ResizeObserver(report).observe(document.documentElement);
  const first = () => {
    if (document.activeElement === document.body) document.querySelector('button, h1[tabindex]')?.focus();
  };
  window.addEventListener('focus', first);
  first();
})();
`;

// Runs in the result page; reads its data from the page, so the page needs no inline script.
const COMPLETE_JS = `(() => {
  const el = document.getElementById('kassa-challenge-result');
  if (!el || window.parent === window) return;
  const d = el.dataset;
  window.parent.postMessage({ kassa: 1, channel: d.channel, type: 'challenge_complete', paymentIntent: d.paymentIntent }, d.origin);
})();
`;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface PageContext {
  locale: Locale | null;
  channel: string;
  origin: string;
}

function page(ctx: PageContext, title: keyof ChallengeStrings, body: string): string {
  const strings = CHALLENGE_STRINGS[ctx.locale ?? 'en'];
  const badge = ctx.locale ? escapeHtml(strings.badge) : `${strings.badge} · ${CHALLENGE_STRINGS['zh-CN'].badge}`;
  return `<!doctype html>
<html lang="${ctx.locale ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(strings[title])}</title>
<link rel="stylesheet" href="/sandbox/assets/challenge.css">
<script src="/sandbox/assets/challenge.js" defer></script>
</head>
<body>
<main data-channel="${escapeHtml(ctx.channel)}" data-origin="${escapeHtml(ctx.origin)}">
<span class="badge">${badge}</span>
${body}
</main>
</body>
</html>
`;
}

function challengePage(ctx: PageContext, challenge: ChallengeRecord, action: string, token: string): string {
  const amount = formatAmount(challenge.amount, challenge.currency, ctx.locale ?? 'en');
  return page(
    ctx,
    'title',
    `<h1>${say(ctx.locale, 'heading')}</h1>
<p>${say(ctx.locale, 'body', amount)}</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button class="pass" type="submit" name="result" value="pass">${say(ctx.locale, 'pass')}</button>
<button class="fail" type="submit" name="result" value="fail">${say(ctx.locale, 'fail')}</button>
</form>`,
  );
}

/** What tells the host page the challenge is over (read by challenge-complete.js). */
function completion(paymentIntent: string, channel: string, origin: string, outcome: 'passed' | 'failed' | 'unconfirmed'): string {
  return `<div id="kassa-challenge-result" hidden data-channel="${escapeHtml(channel)}" data-origin="${escapeHtml(origin)}" data-payment-intent="${escapeHtml(paymentIntent)}" data-outcome="${outcome}"></div>
<script src="/sandbox/assets/challenge-complete.js"></script>`;
}

function resultPage(ctx: PageContext, challenge: ChallengeRecord, paymentIntent: string): string {
  const passed = challenge.status === 'passed' || challenge.status === 'completed';
  return page(
    ctx,
    passed ? 'passed' : 'failed',
    `<h1 role="status" tabindex="-1">${say(ctx.locale, passed ? 'passed' : 'failed')}</h1>
<p>${say(ctx.locale, 'returnToShop')}</p>
${completion(paymentIntent, ctx.channel, ctx.origin, passed ? 'passed' : 'failed')}`,
  );
}

/**
 * The shopper chose, but Kassa could not settle the payment (provider down, any error). Nothing
 * about the cause is shown; the host page is still told, so the widget re-reads the intent.
 */
function unconfirmedPage(ctx: PageContext, paymentIntent: string): string {
  return page(
    ctx,
    'unconfirmed',
    `<h1 role="status" tabindex="-1">${say(ctx.locale, 'unconfirmed')}</h1>
<p>${say(ctx.locale, 'unconfirmedBody')}</p>
${completion(paymentIntent, ctx.channel, ctx.origin, 'unconfirmed')}`,
  );
}

const context = (q: z.infer<typeof challengeQuerySchema>): PageContext => ({
  locale: q.locale ? resolveLocale(q.locale) : null,
  channel: q.channel,
  origin: q.origin,
});

export function createChallengeRouter(deps: ChallengeRouterDeps): Router {
  const router = Router();

  const formToken = (challengeId: string): string =>
    createHmac('sha256', deps.formTokenKey).update(`kassa sandbox 3ds form|${challengeId}`).digest('base64url');
  const validToken = (challengeId: string, given: unknown): boolean => {
    if (typeof given !== 'string') return false;
    const expected = Buffer.from(formToken(challengeId));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };

  router.get('/assets/challenge.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(CSS);
  });
  router.get('/assets/challenge.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=300').send(PAGE_JS);
  });
  router.get('/assets/challenge-complete.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=300').send(COMPLETE_JS);
  });

  // Every answer under /3ds, errors included, carries the page's headers: framable by nobody
  // ('none', no framing origin known yet) and never cached. `guard` narrows frame-ancestors to
  // the checked origin.
  router.use('/3ds', (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    deps.framedPageHeaders(req, res, next);
  });

  /** Checks the challenge id, channel and framing origin; sets the framing headers. */
  const guard: RequestHandler = async (req, res, next) => {
    const id = String(req.params.id);
    if (!hasPrefix(id, 'tds')) throw notFound('three_d_secure challenge', id);
    const query = challengeQuerySchema.safeParse(req.query);
    if (!query.success) {
      const param = String(query.error.issues[0]?.path[0] ?? 'channel');
      throw invalidParam(param, `Invalid or missing ${param}.`);
    }
    const challenge = deps.sandbox.challenge(id);
    const origins = await deps.framingOrigins(id);
    if (!challenge || !origins) throw notFound('three_d_secure challenge', id);
    if (!origins.includes(query.data.origin)) {
      throw new KassaError(FailureKind.InvalidRequest, 'origin_not_allowed', 'This origin may not display the challenge.', { param: 'origin' });
    }
    res.locals.frameOrigin = query.data.origin;
    res.locals.challenge = challenge;
    res.locals.query = query.data;
    deps.framedPageHeaders(req, res, next);
  };

  /**
   * The answer must come from the challenge page, which is this server's origin. A browser says
   * where a request comes from (Sec-Fetch-Site, Origin); when it says anything but this origin
   * — another site, the shop that frames the page, `null` — the POST is refused before its body
   * is read. Without those headers (old browsers, curl) the form token still has to match.
   */
  const fromThePage: RequestHandler = (req, _res, next) => {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const own = [`${req.protocol}://${req.get('host') ?? ''}`];
    try {
      own.push(new URL(deps.sandbox.challengeUrl(String(req.params.id))).origin);
    } catch {
      // No public URL yet: the request's own origin is the only one.
    }
    // The page is served with Referrer-Policy: no-referrer, so a browser posts its form with
    // `Origin: null`; Sec-Fetch-Site (which no page can forge) then says whose form it was.
    const opaqueFromItself = origin === 'null' && site === 'same-origin';
    if ((site !== undefined && site !== 'same-origin') || (origin !== undefined && !opaqueFromItself && !own.includes(origin))) {
      throw new KassaError(FailureKind.Forbidden, 'origin_not_allowed', 'Only the challenge page itself may answer the challenge.');
    }
    next();
  };

  const tokenChecked: RequestHandler = (req, _res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!validToken(String(req.params.id), body.token)) {
      throw new KassaError(FailureKind.Forbidden, 'form_token_invalid', 'Answer the challenge from its page: the form token is missing or wrong.');
    }
    next();
  };

  const send = (res: Response, status: number, html: string) => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
  };

  /** The challenge as a whole page, not framed: its merchant asked for a redirect back (`return_url`). */
  const pageGuard: RequestHandler = async (req, res, next) => {
    const id = String(req.params.id);
    if (!hasPrefix(id, 'tds')) throw notFound('three_d_secure challenge', id);
    const challenge = deps.sandbox.challenge(id);
    if (!challenge || (await deps.returnTo(id)) === null) throw notFound('three_d_secure challenge', id);
    res.locals.challenge = challenge;
    next();
  };

  /** Back to the shop, which reads the intent's status (Stripe's redirect shape). */
  const redirectBack = async (res: Response, id: string) => {
    const back = await deps.returnTo(id);
    if (back === null) throw notFound('three_d_secure challenge', id);
    res.status(303).set('Location', back).set('Cache-Control', 'no-store').end();
  };

  router
    .route('/3ds/:id/redirect')
    .get(pageGuard, async (req, res) => {
      const challenge = res.locals.challenge as ChallengeRecord;
      if (challenge.status !== 'pending') {
        await redirectBack(res, challenge.id);
        return;
      }
      // A whole page: no host to post to, so no channel or origin; the shopper's language if given.
      const locale = typeof req.query.locale === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/.test(req.query.locale) ? resolveLocale(req.query.locale) : null;
      send(res, 200, challengePage({ locale, channel: '', origin: '' }, challenge, req.originalUrl, formToken(challenge.id)));
    })
    .post(pageGuard, fromThePage, deps.formParser, tokenChecked, async (req: Request, res: Response) => {
      const choice = challengeChoiceSchema.safeParse(req.body ?? {});
      if (!choice.success) throw invalidParam('result', "result must be 'pass' or 'fail'.");
      const id = String(req.params.id);
      if (!(await deps.sandbox.decideChallenge(id, choice.data.result === 'pass'))) throw notFound('three_d_secure challenge', id);
      try {
        await deps.onDecided(id);
      } catch (error) {
        // As in the framed page: the choice is recorded; the shop learns the status from Kassa.
        res.locals.error = error;
      }
      await redirectBack(res, id);
    })
    .all((req, res) => {
      res.set('Allow', 'GET, POST');
      throw new KassaError(FailureKind.MethodNotAllowed, 'method_not_allowed', `${req.method} is not allowed here; use GET or POST.`);
    });

  router
    .route('/3ds/:id')
    .get(guard, async (req, res) => {
      const challenge = res.locals.challenge as ChallengeRecord;
      const q = res.locals.query as z.infer<typeof challengeQuerySchema>;
      if (challenge.status === 'pending') {
        send(res, 200, challengePage(context(q), challenge, req.originalUrl, formToken(challenge.id)));
        return;
      }
      send(res, 200, resultPage(context(q), challenge, challenge.reference));
    })
    .post(guard, fromThePage, deps.formParser, tokenChecked, async (req: Request, res: Response) => {
      const q = res.locals.query as z.infer<typeof challengeQuerySchema>;
      const choice = challengeChoiceSchema.safeParse(req.body ?? {});
      if (!choice.success) throw invalidParam('result', "result must be 'pass' or 'fail'.");
      const id = String(req.params.id);
      const decided = await deps.sandbox.decideChallenge(id, choice.data.result === 'pass');
      if (!decided) throw notFound('three_d_secure challenge', id);
      let paymentIntent: string;
      try {
        paymentIntent = await deps.onDecided(id);
      } catch (error) {
        // The shopper's choice is recorded; only settling the payment failed (provider down, or
        // anything else). The frame shows a page, not the JSON error, and still tells the host
        // page, whose widget then reads the intent's real status. 200, not 502: this request did
        // what it is for (record the choice), and a proxy or CDN may swap a 5xx body for its own
        // page, which would lose the message to the host. The failure is not hidden: the access
        // log line of this request carries it, at error level (res.locals.error).
        res.locals.error = error;
        send(res, 200, unconfirmedPage(context(q), decided.reference));
        return;
      }
      send(res, 200, resultPage(context(q), deps.sandbox.challenge(id) ?? decided, paymentIntent));
    })
    .all((req, res) => {
      res.set('Allow', 'GET, POST');
      throw new KassaError(FailureKind.MethodNotAllowed, 'method_not_allowed', `${req.method} is not allowed here; use GET or POST.`);
    });

  return router;
}
