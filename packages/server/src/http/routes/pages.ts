/**
 * What browsers load from the Kassa origin: kassa.js (for the merchant's <script> tag, latest
 * at /kassa.js and pinned at /kassa@<version>.js, described with its integrity by /kassa.json),
 * the card-entry page the widget frames, and that page's script — both scripts from the widget
 * package's build output.
 */
import express, { Router } from 'express';
import type { Express, Response } from 'express';
import { z } from 'zod';
import { isValidChannel } from '@kassa/core';
import { FailureKind, KassaError } from '../../domain/errors.js';
import { cardFrameHeaders, frameScriptHeaders, pinnedScriptHeaders, publicScriptHeaders, scriptManifestHeaders } from '../security.js';
import { methodNotAllowed } from '../errors.js';
import { parseQuery } from '../validation.js';
import { ScriptIntegrity, pinnedScriptName, widgetPackageVersion } from '../pinned-script.js';

export interface PagesDeps {
  /** The widget package's dist/ directory. */
  widgetDistDir: string;
  /** Whether any merchant allows this origin to frame the card page. */
  isAllowedOrigin(origin: string): boolean;
  /** The URL browsers reach this server at (known once it listens), for /kassa.json. */
  publicUrl(): string;
  /** The version kassa.js is pinned under (default: @kassa/widget's package.json version). */
  widgetVersion?: string;
}

export const frameQuerySchema = z
  .object({
    channel: z.string().refine(isValidChannel, 'channel must be 8–64 letters, digits, _ or -').describe("The widget's per-instance channel: 8–64 of `[A-Za-z0-9_-]`"),
    origin: z.string().min(1).max(255).describe("The shop page's origin, an allowed origin of a merchant: the only one that may frame the page"),
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/)
      .optional()
      .describe('`en` or `zh-CN` (a language tag)'),
  })
  .strict();

const FRAME_CSS = 'html,body{margin:0;padding:0;background:transparent}\n';

const widgetNotBuilt = () =>
  new KassaError(FailureKind.Unavailable, 'widget_not_built', 'widget not built: run pnpm build');

function frameHtml(locale: string): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Card details</title>
<link rel="stylesheet" href="/frame/frame.css">
<script type="module" src="/frame/card.js"></script>
</head>
<body>
<kassa-card-frame></kassa-card-frame>
</body>
</html>
`;
}

/** Sends a built file, or a clear 503 if the widget has not been built yet. */
function sendBuilt(res: Response, root: string, file: string, missing: () => KassaError = widgetNotBuilt): Promise<void> {
  return new Promise((resolve, reject) => {
    res.type(file.endsWith('.map') ? 'application/json' : 'text/javascript');
    res.sendFile(file, { root, dotfiles: 'deny', lastModified: true, etag: true, cacheControl: false }, (err?: Error) => {
      if (!err) resolve();
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as { status?: number }).status === 404) {
        res.removeHeader('Content-Type');
        // The route's caching headers are for the file: an error must not be cached (for a year).
        res.set('Cache-Control', 'no-store');
        reject(missing());
      } else reject(err);
    });
  });
}

export function pagesRouter(deps: PagesDeps): Express {
  // A sub-app of its own so static files get ETags (express wires `send`'s etag option to the
  // app setting) while the JSON API keeps them off.
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  const router = Router();
  app.use(router);
  const frameDir = `${deps.widgetDistDir.replace(/\/$/, '')}/frame`;

  const version = deps.widgetVersion ?? widgetPackageVersion();
  const pinnedName = pinnedScriptName(version);
  const integrity = new ScriptIntegrity(deps.widgetDistDir, 'kassa.js');

  router
    .route('/kassa.js')
    .get(publicScriptHeaders, async (_req, res) => {
      await sendBuilt(res, deps.widgetDistDir, 'kassa.js');
    })
    .all(methodNotAllowed('GET'));

  // Only the version this server has is served: the same bytes as /kassa.js, cacheable for good.
  // Any other version is a clear 404 naming the one available, never a silent substitute.
  router
    .route(/^\/kassa@([^/]*)\.js$/)
    .all((req, res, next) => {
      const asked = String(req.params[0] ?? '');
      if (asked === version) {
        next();
        return;
      }
      res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
      const shown = asked.length > 64 ? `${asked.slice(0, 64)}…` : asked;
      throw new KassaError(
        FailureKind.NotFound,
        'resource_missing',
        `No such kassa.js version: '${shown}'. This server serves version ${version} at /${pinnedName}.`,
      );
    })
    .get(pinnedScriptHeaders, async (_req, res) => {
      await sendBuilt(res, deps.widgetDistDir, 'kassa.js');
    })
    .all(methodNotAllowed('GET'));

  // Where merchant tooling learns the pinned URL and its Subresource Integrity hash.
  router
    .route('/kassa.json')
    .get(scriptManifestHeaders, async (req, res) => {
      const hash = await integrity.current();
      if (hash === null) {
        res.set('Cache-Control', 'no-store');
        throw widgetNotBuilt();
      }
      const base = deps.publicUrl() || `${req.protocol}://${req.get('host') ?? ''}`;
      res.status(200).json({ version, url: `${base}/${pinnedName}`, integrity: hash });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/frame/card')
    // Every answer, errors included (bad origin or channel, 405), carries the frame's headers:
    // framable by nobody until the origin is checked (frameOrigin unset: 'none'), never cached.
    .all((req, res, next) => {
      res.set('Cache-Control', 'no-store');
      cardFrameHeaders(req, res, next);
    })
    .get(async (req, res, next) => {
      const query = parseQuery(frameQuerySchema, req);
      if (!deps.isAllowedOrigin(query.origin)) {
        throw new KassaError(FailureKind.InvalidRequest, 'origin_not_allowed', 'This origin may not display the card frame.', {
          param: 'origin',
        });
      }
      res.locals.frameOrigin = query.origin;
      cardFrameHeaders(req, res, (err?: unknown) => {
        if (err) {
          next(err);
          return;
        }
        res.status(200).type('html').set('Cache-Control', 'no-store').send(frameHtml(query.locale ?? 'en'));
      });
    })
    .all(methodNotAllowed('GET'));

  router.get('/frame/frame.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(FRAME_CSS);
  });

  // card.js and whatever chunks or source maps the widget build splits off next to it.
  router.get('/frame/:file', frameScriptHeaders, async (req, res, next) => {
    const file = String(req.params.file);
    if (!/^[A-Za-z0-9][\w.-]*\.js(\.map)?$/.test(file)) {
      next();
      return;
    }
    // Only the entry point's absence means "not built"; any other missing file is just unknown.
    await sendBuilt(res, frameDir, file, file === 'card.js' ? widgetNotBuilt : () =>
      new KassaError(FailureKind.NotFound, 'route_not_found', `Unrecognized request URL (GET ${req.path}).`),
    );
  });

  return app;
}
