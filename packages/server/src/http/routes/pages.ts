/**
 * What browsers load from the Kassa origin: kassa.js (for the merchant's <script> tag, latest
 * at /kassa.js and pinned at /kassa@<version>.js, described with its integrity by /kassa.json),
 * the locale files kassa.js fetches (/kassa@<version>/locales/<locale>.json), the card-entry page
 * the widget frames, and that page's scripts — all from the widget package's build output, and
 * all scripts and locale files compressed (brotli or gzip, as the browser accepts) with ETags.
 * The frame page loads its script from a content-addressed URL (/frame/card.<hash>.js, cached
 * for good) and preloads the shopper's locale chunk, so the fields need one round trip less.
 */
import express, { Router } from 'express';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { isLocale, isValidChannel, resolveLocale, type Locale } from '@kassa/core';
import { FailureKind, KassaError } from '../../domain/errors.js';
import {
  cardFrameHeaders,
  frameChunkHeaders,
  frameScriptHeaders,
  localeFileHeaders,
  pinnedScriptHeaders,
  publicScriptHeaders,
  scriptManifestHeaders,
} from '../security.js';
import { methodNotAllowed } from '../errors.js';
import { parseQuery } from '../validation.js';
import { BuiltFiles, ScriptIntegrity, pickEncoding, pinnedScriptName, widgetPackageVersion } from '../pinned-script.js';

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
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/)
      .optional()
      .describe("The shopper's language, a BCP 47 tag: en, zh-CN, zh-TW, ja, es, de or fr (others fall back to the nearest, then en)"),
  })
  .strict();

/**
 * The parts of the frame scripts' content-addressed URLs, as regular expression sources: the
 * routes below are built from them, and the OpenAPI document gives them as its path parameters'
 * patterns, so the two say the same.
 */
export const FRAME_URL_PARTS = {
  /** The first 16 hex digits of the frame script's SHA-256 (`/frame/card.<hash>.js`). */
  scriptHash: '[0-9a-f]{16}',
  /** A chunk's name as the build gives it (`ja` in `/frame/ja-CTHxDTLF.js`)… */
  chunkName: '[A-Za-z0-9][\\w.]*',
  /** …and the 8 characters of its content hash. */
  chunkHash: '[\\w-]{8}',
} as const;

const FRAME_CSS = 'html,body{margin:0;padding:0;background:transparent}\n';

const widgetNotBuilt = () =>
  new KassaError(FailureKind.Unavailable, 'widget_not_built', 'widget not built: run pnpm build');

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface FrameAssets {
  /** The frame script's content-addressed URL, or the plain one when it is not built. */
  script: string;
  /** The shopper's locale chunk, preloaded next to the script (none for English: it is built in). */
  preload: string | null;
  /** The page title in the shopper's language (the widget's own string, from its locale file). */
  title: string;
}

function frameHtml(locale: Locale, assets: FrameAssets): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(assets.title)}</title>
<link rel="stylesheet" href="/frame/frame.css">
<script type="module" src="${assets.script}"></script>
${assets.preload ? `<link rel="modulepreload" href="${assets.preload}">
` : ''}</head>
<body>
<kassa-card-frame></kassa-card-frame>
</body>
</html>
`;
}

/**
 * Sends a built file compressed as the browser accepts (brotli, gzip, or as is), with a strong
 * ETag per encoding (304 when the browser has it), or a clear error (503 "not built" by default)
 * when the file is missing. Vary: Accept-Encoding, so no cache hands brotli to a browser without it.
 */
async function sendBuilt(req: Request, res: Response, files: BuiltFiles, path: string, missing: () => KassaError = widgetNotBuilt): Promise<void> {
  const file = await files.get(path);
  if (!file) {
    // The route's caching headers are for the file: an error must not be cached (for a year).
    res.set('Cache-Control', 'no-store');
    throw missing();
  }
  const encoding = pickEncoding(req.headers['accept-encoding']);
  res.vary('Accept-Encoding');
  res.type(path.endsWith('.json') || path.endsWith('.map') ? 'application/json' : 'text/javascript');
  if (encoding !== 'identity') res.set('Content-Encoding', encoding);
  res.set('ETag', encoding === 'identity' ? file.etag : `${file.etag.slice(0, -1)}-${encoding === 'br' ? 'br' : 'gz'}"`);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.status(200).send(encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : file.raw);
}

/** The frame build's manifest (vite): which chunk holds which locale. */
type FrameManifest = Record<string, { file?: string }>;

export function pagesRouter(deps: PagesDeps): Express {
  // A sub-app of its own so static files get ETags (express wires `send`'s etag option to the
  // app setting) while the JSON API keeps them off.
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  const router = Router();
  app.use(router);

  const version = deps.widgetVersion ?? widgetPackageVersion();
  const pinnedName = pinnedScriptName(version);
  const integrity = new ScriptIntegrity(deps.widgetDistDir, 'kassa.js');
  const files = new BuiltFiles(deps.widgetDistDir);

  /** What the frame page links, read from the build (cached by BuiltFiles until it changes). */
  const frameAssets = async (locale: Locale): Promise<FrameAssets> => {
    const [script, manifestFile, localeFile] = await Promise.all([
      files.get('frame/card.js'),
      files.get('frame/manifest.json'),
      files.get(`locales/${locale}.json`),
    ]);
    let preload: string | null = null;
    let title = 'Card details';
    try {
      const manifest = manifestFile ? (JSON.parse(manifestFile.raw.toString('utf8')) as FrameManifest) : {};
      const chunk = Object.entries(manifest).find(([src]) => src.endsWith(`/locales/${locale}.ts`))?.[1].file;
      if (chunk && locale !== 'en') preload = `/${chunk}`;
      const strings = localeFile ? (JSON.parse(localeFile.raw.toString('utf8')) as Record<string, unknown>) : {};
      if (typeof strings.frameTitle === 'string') title = strings.frameTitle;
    } catch {
      // A half-written build: the page still works, just without the preload or the translated title.
    }
    return { script: script ? `/frame/card.${script.hash}.js` : '/frame/card.js', preload, title };
  };

  router
    .route('/kassa.js')
    .get(publicScriptHeaders, async (req, res) => {
      await sendBuilt(req, res, files, 'kassa.js');
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
    .get(pinnedScriptHeaders, async (req, res) => {
      await sendBuilt(req, res, files, 'kassa.js');
    })
    .all(methodNotAllowed('GET'));

  // The strings kassa.js fetches for its shopper's locale (it checks each against the SHA-256 it
  // was built with). Versioned like the pinned script, so cacheable for good.
  router
    .route(/^\/kassa@([^/]*)\/locales\/([A-Za-z-]{2,10})\.json$/)
    .all((req, res, next) => {
      const asked = String(req.params[0] ?? '');
      const locale = String(req.params[1] ?? '');
      if (asked === version && isLocale(locale)) {
        next();
        return;
      }
      res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
      throw new KassaError(FailureKind.NotFound, 'resource_missing', `No such locale file. This server serves version ${version}.`);
    })
    .get(localeFileHeaders, async (req, res) => {
      await sendBuilt(req, res, files, `locales/${String(req.params[1])}.json`);
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
        const locale = resolveLocale(query.locale);
        void frameAssets(locale).then(
          (assets) => res.status(200).type('html').set('Cache-Control', 'no-store').send(frameHtml(locale, assets)),
          next,
        );
      });
    })
    .all(methodNotAllowed('GET'));

  router.get('/frame/frame.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(FRAME_CSS);
  });

  const unknownFile = (req: Request) => () => new KassaError(FailureKind.NotFound, 'route_not_found', `Unrecognized request URL (GET ${req.path}).`);

  // The frame script under its content hash (what the frame page links): these bytes never
  // change, so it is cached for good. A hash of an older build is unknown, never a substitute.
  router.get(new RegExp(`^/frame/card\\.(${FRAME_URL_PARTS.scriptHash})\\.js$`), frameChunkHeaders, async (req, res, next) => {
    const current = await files.get('frame/card.js');
    if (!current) throw widgetNotBuilt();
    if (current.hash !== req.params[0]) {
      res.set('Cache-Control', 'no-store');
      next();
      return;
    }
    await sendBuilt(req, res, files, 'frame/card.js');
  });

  // Chunks the build names by their content (`ja-CTHxDTLF.js`): immutable too.
  router.get(new RegExp(`^/frame/(${FRAME_URL_PARTS.chunkName}-${FRAME_URL_PARTS.chunkHash}\\.js)$`), frameChunkHeaders, async (req, res) => {
    await sendBuilt(req, res, files, `frame/${String(req.params[0])}`, unknownFile(req));
  });

  // card.js by its plain name, and anything else the build puts next to it (revalidated each time).
  router.get('/frame/:file', frameScriptHeaders, async (req, res, next) => {
    const file = String(req.params.file);
    if (!/^[A-Za-z0-9][\w.-]*\.js(\.map)?$/.test(file)) {
      next();
      return;
    }
    // Only the entry point's absence means "not built"; any other missing file is just unknown.
    await sendBuilt(req, res, files, `frame/${file}`, file === 'card.js' ? widgetNotBuilt : unknownFile(req));
  });

  return app;
}
