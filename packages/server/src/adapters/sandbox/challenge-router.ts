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
import { formatAmount, hasPrefix, isValidChannel } from '@kassa/core';
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
  })
  .strict();

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
.pass { background: #0a7d32; color: #fff; }
.fail { background: #fff; color: #b3261e; border-color: #b3261e; }
.zh { display: block; font-size: .85em; opacity: .85; }
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

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/sandbox/assets/challenge.css">
</head>
<body>
<main>
<span class="badge">Sandbox bank · 模拟银行</span>
${body}
</main>
</body>
</html>
`;
}

function challengePage(challenge: ChallengeRecord, action: string, token: string): string {
  const amount = formatAmount(challenge.amount, challenge.currency, 'en');
  return page(
    '3-D Secure authentication',
    `<h1>Confirm this payment <span class="zh" lang="zh-CN">确认这笔付款</span></h1>
<p>Authenticate the payment of <strong>${escapeHtml(amount)}</strong>. This is a test page: choose the outcome.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button class="pass" type="submit" name="result" value="pass">Complete authentication <span class="zh" lang="zh-CN">完成验证</span></button>
<button class="fail" type="submit" name="result" value="fail">Fail authentication <span class="zh" lang="zh-CN">验证失败</span></button>
</form>`,
  );
}

/** What tells the host page the challenge is over (read by challenge-complete.js). */
function completion(paymentIntent: string, channel: string, origin: string, outcome: 'passed' | 'failed' | 'unconfirmed'): string {
  return `<div id="kassa-challenge-result" hidden data-channel="${escapeHtml(channel)}" data-origin="${escapeHtml(origin)}" data-payment-intent="${escapeHtml(paymentIntent)}" data-outcome="${outcome}"></div>
<script src="/sandbox/assets/challenge-complete.js"></script>`;
}

function resultPage(challenge: ChallengeRecord, paymentIntent: string, channel: string, origin: string): string {
  const passed = challenge.status === 'passed' || challenge.status === 'completed';
  return page(
    passed ? 'Authentication complete' : 'Authentication failed',
    `<h1 role="status">${passed ? 'Authentication complete <span class="zh" lang="zh-CN">验证完成</span>' : 'Authentication failed <span class="zh" lang="zh-CN">验证失败</span>'}</h1>
<p>You can return to the shop.</p>
${completion(paymentIntent, channel, origin, passed ? 'passed' : 'failed')}`,
  );
}

/**
 * The shopper chose, but Kassa could not settle the payment (provider down, any error). Nothing
 * about the cause is shown; the host page is still told, so the widget re-reads the intent.
 */
function unconfirmedPage(paymentIntent: string, channel: string, origin: string): string {
  return page(
    'Payment not confirmed yet',
    `<h1 role="status">Payment not confirmed yet <span class="zh" lang="zh-CN">付款尚未确认</span></h1>
<p>Your payment could not be confirmed yet. Please return to the shop, which will show whether it went through. <span class="zh" lang="zh-CN">暂时无法确认您的付款。请返回商店查看付款结果。</span></p>
${completion(paymentIntent, channel, origin, 'unconfirmed')}`,
  );
}

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
      send(res, 200, challengePage(challenge, req.originalUrl, formToken(challenge.id)));
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
        send(res, 200, challengePage(challenge, req.originalUrl, formToken(challenge.id)));
        return;
      }
      send(res, 200, resultPage(challenge, challenge.reference, q.channel, q.origin));
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
        send(res, 200, unconfirmedPage(decided.reference, q.channel, q.origin));
        return;
      }
      send(res, 200, resultPage(deps.sandbox.challenge(id) ?? decided, paymentIntent, q.channel, q.origin));
    })
    .all((req, res) => {
      res.set('Allow', 'GET, POST');
      throw new KassaError(FailureKind.MethodNotAllowed, 'method_not_allowed', `${req.method} is not allowed here; use GET or POST.`);
    });

  return router;
}
