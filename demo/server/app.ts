/**
 * The demo merchant's web app: pages, its bundles, and a three-route JSON API. Routes are thin;
 * the stories live in orders.ts.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { join } from 'node:path';
import { PRODUCTS } from '../src/catalogue.js';
import { isLocale, type Locale } from '../src/i18n.js';
import { Assets } from './assets.js';
import { checkoutRequestSchema } from './checkout.js';
import { DemoError, fromZodError } from './errors.js';
import type { KassaClient } from './kassa.js';
import type { KassaScript } from './kassa-script.js';
import type { Order } from '../src/api-types.js';
import { checkout, findOrder } from './orders.js';
import { appPage, cardsPage, orderPage, type AppPage } from './pages.js';

export interface AppOptions {
  kassa: KassaClient;
  /** Where the browser loads kassa.js from (may differ from the URL the backend calls). */
  kassaPublicUrl: string;
  /** The pinned kassa.js tag for the plain shop page (from Kassa's /kassa.json). */
  kassaScript: KassaScript;
  distDir: string;
  /** Wallets the plain shop page offers beside cards. */
  wallets?: readonly string[];
}

const LOCALE_COOKIE = 'kassa_demo_locale';

/** `?locale=` wins (and is remembered in a cookie), then the cookie, then Accept-Language. */
function localeOf(req: Request, res: Response): Locale {
  const query = req.query.locale;
  if (isLocale(query)) {
    res.cookie(LOCALE_COOKIE, query, { path: '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000 });
    return query;
  }
  const cookie = /(?:^|;\s*)kassa_demo_locale=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const fromCookie = cookie ? decodeURIComponent(cookie) : undefined;
  if (isLocale(fromCookie)) return fromCookie;
  return /^zh\b/i.test(req.headers['accept-language'] ?? '') ? 'zh-CN' : 'en';
}

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(body);
}

export function createApp(options: AppOptions): express.Express {
  const { kassa } = options;
  const assets = new Assets(options.distDir);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // A strict CSP, as a careful merchant would set: no inline script or style anywhere, and
  // Kassa's origin allowed only for what the widget needs (kassa.js, its API, its frames).
  // The e2e suite pays through these pages, so it proves the widget works under it.
  const kassaOrigin = new URL(options.kassaPublicUrl).origin;
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${kassaOrigin}`,
    `connect-src 'self' ${kassaOrigin}`,
    `frame-src ${kassaOrigin}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'Content-Security-Policy': csp });
    next();
  });

  // Hashed file names: cache forever. `fallthrough: false` turns a missing asset into a 404.
  app.use('/assets', express.static(join(options.distDir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }));

  // ---- JSON API ----
  const api = express.Router();
  api.use(express.json({ limit: '16kb', strict: true }));

  api.get('/products', (_req, res) => {
    res.json({ object: 'list', data: PRODUCTS });
  });

  api.post('/checkout', async (req, res) => {
    if (!req.is('application/json')) {
      throw new DemoError(415, { type: 'invalid_request_error', code: 'unsupported_media_type', message: 'Send the cart as application/json.' });
    }
    const parsed = checkoutRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZodError(parsed.error, req.body);
    res.json(await checkout(kassa, parsed.data));
  });

  api.get('/orders/:id', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await findOrder(kassa, req.params.id));
  });

  api.use((_req, _res) => {
    throw new DemoError(404, { type: 'invalid_request_error', code: 'route_not_found', message: 'Unknown API route.' });
  });
  app.use('/api', api);

  // ---- Pages ----
  const pages: Record<string, AppPage> = { '/': 'shop', '/react': 'react', '/vue': 'vue', '/theming': 'theming' };
  for (const [path, page] of Object.entries(pages)) {
    app.get(path, async (req, res) => {
      // Only the plain pages load kassa.js by tag; React and Vue bundle the widget.
      const script = page === 'shop' || page === 'theming' ? await options.kassaScript.tag() : null;
      const { status, body } = appPage(page, localeOf(req, res), path, assets, script, options.kassaPublicUrl, options.wallets ?? []);
      sendHtml(res, status, body);
    });
  }
  app.get('/cards', (req, res) => sendHtml(res, 200, cardsPage(localeOf(req, res), '/cards', assets)));
  app.get('/order/:id', async (req, res) => {
    const locale = localeOf(req, res);
    let order: Order | null = null;
    try {
      order = await findOrder(kassa, req.params.id);
    } catch (error) {
      if (!(error instanceof DemoError && error.status === 404)) throw error;
    }
    sendHtml(res, order ? 200 : 404, orderPage(locale, req.path, assets, order));
  });

  app.use((_req, res) => {
    res.status(404).type('text').send('Not found');
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    let demoError: DemoError;
    if (error instanceof DemoError) demoError = error;
    else if (isBodyParserError(error) && error.type === 'entity.parse.failed') {
      demoError = new DemoError(400, { type: 'invalid_request_error', code: 'invalid_json', message: 'The request body is not valid JSON.' });
    } else if (isBodyParserError(error) && error.type === 'entity.too.large') {
      demoError = new DemoError(413, { type: 'invalid_request_error', code: 'body_too_large', message: 'The request body is larger than 16 KB.' });
    } else if (isBodyParserError(error) && typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
      // static files (404) and other client errors raised by Express itself
      // (their messages can hold file-system paths, so they are not passed on)
      demoError = new DemoError(error.status, {
        type: 'invalid_request_error',
        code: error.status === 404 ? 'resource_missing' : 'invalid_request',
        message: error.status === 404 ? 'Not found.' : 'Bad request.',
      });
    } else {
      console.error('demo: unexpected error on', req.method, req.path, error);
      demoError = new DemoError(500, { type: 'api_error', code: 'api_error', message: 'Something went wrong in the demo backend.' });
    }
    if (res.headersSent) return;
    res.status(demoError.status).json({ error: demoError.body });
  };
  app.use(onError);
  return app;
}

function isBodyParserError(error: unknown): error is { type?: string; status?: number } {
  return typeof error === 'object' && error !== null && ('type' in error || 'status' in error);
}
