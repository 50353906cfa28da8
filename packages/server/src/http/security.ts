/**
 * Response headers per kind of route, declared once here:
 * - the JSON API: strict helmet defaults, nothing framable, nothing cached;
 * - pages framed by a merchant (card frame, 3-D Secure): scripts and styles from this origin
 *   only, framable by exactly the origin named in the URL (already checked against the
 *   merchant's allowed origins);
 * - kassa.js: loadable from any site (CORP cross-origin, ACAO *), briefly cacheable; its
 *   versioned copy cacheable for good; the kassa.json manifest readable from any site;
 * - CORS on /client/payment_intents/* for the intent's merchant's origins only.
 */
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { FailureKind, KassaError } from '../domain/errors.js';

const frameOrigin = (_req: IncomingMessage, res: ServerResponse): string => {
  const origin = (res as Response).locals.frameOrigin as string | undefined;
  // Never reached without a checked origin; 'none' is the safe answer if it were.
  return origin ?? "'none'";
};

const apiHelmet = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-origin' },
});

export const apiHeaders: RequestHandler = (req, res, next) => {
  res.set('Cache-Control', 'no-store');
  apiHelmet(req, res, next);
};

function framedHelmet(formAction: string) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        // Lit uses constructable stylesheets, which style-src 'self' allows: no 'unsafe-inline'.
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: [frameOrigin],
        baseUri: ["'none'"],
        formAction: [formAction],
      },
    },
    // frame-ancestors decides who may frame; X-Frame-Options cannot name another origin.
    xFrameOptions: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** The card-entry page: posts nothing as a form. Reads `res.locals.frameOrigin`. */
export const cardFrameHeaders: RequestHandler = framedHelmet("'none'");
/** The 3-D Secure challenge: its buttons post a form to itself. Reads `res.locals.frameOrigin`. */
export const challengeHeaders: RequestHandler = framedHelmet("'self'");
/** Kassa's page that POSTs a provider's form (a redirect by POST): it may post to that provider's origin only. */
export const providerFormHeaders = (providerOrigin: string): RequestHandler => framedHelmet(providerOrigin);

const publicScriptHelmet = helmet({
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

function publicScript(cacheControl: string): RequestHandler {
  return (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    res.set('Cache-Control', cacheControl);
    publicScriptHelmet(req, res, next);
  };
}

/** Unversioned URL: short cache, revalidated by ETag, so a new build reaches shoppers quickly. */
export const publicScriptHeaders: RequestHandler = publicScript('public, max-age=300, must-revalidate');

/** The versioned URL (`/kassa@<version>.js`): its bytes never change, so cache it for good. */
export const pinnedScriptHeaders: RequestHandler = publicScript('public, max-age=31536000, immutable');

const manifestHelmet = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

/**
 * `/kassa.json`, read by merchant tooling from anywhere (ACAO *). Revalidated every time (it
 * has an ETag): a stale integrity would make a merchant's pinned tag fail after a rebuild.
 */
export const scriptManifestHeaders: RequestHandler = (req, res, next) => {
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Cache-Control', 'no-cache');
  manifestHelmet(req, res, next);
};

/**
 * The locale files kassa.js fetches (`/kassa@<version>/locales/<locale>.json`): readable from any
 * site (kassa.js runs on the merchant's page), versioned, so cacheable for good.
 */
export const localeFileHeaders: RequestHandler = publicScript('public, max-age=31536000, immutable');

const frameScriptHelmet = helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-origin' } });

/** The frame's script by its plain name: revalidated (ETag) on every use. */
export const frameScriptHeaders: RequestHandler = (req, res, next) => {
  res.set('Cache-Control', 'no-cache');
  frameScriptHelmet(req, res, next);
};

/** The frame's script under its content hash, and its content-named chunks: never change. */
export const frameChunkHeaders: RequestHandler = (req, res, next) => {
  res.set('Cache-Control', 'public, max-age=31536000, immutable');
  frameScriptHelmet(req, res, next);
};

const CORS_METHODS = 'GET, POST';
const CORS_HEADERS = 'Authorization, Content-Type, Idempotency-Key';
const CORS_EXPOSE = 'Idempotent-Replayed, Request-Id';

/**
 * CORS for the widget API. The allowed origins are the merchant's, found from the intent in
 * the path (a preflight carries no credentials). Requests without an Origin (servers, curl)
 * are not CORS and pass; a browser request from any other origin is refused before it runs.
 */
export function clientCors(originsForIntent: (intentId: string) => Promise<readonly string[]>): RequestHandler {
  return async (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (origin === undefined) {
      next();
      return;
    }
    const allowed = (await originsForIntent(String(req.params.id))).includes(origin);
    if (!allowed) {
      throw new KassaError(FailureKind.Forbidden, 'origin_not_allowed', 'This origin is not allowed for this merchant.');
    }
    res.set('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', CORS_METHODS);
      res.set('Access-Control-Allow-Headers', CORS_HEADERS);
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    res.set('Access-Control-Expose-Headers', CORS_EXPOSE);
    next();
  };
}

/**
 * /client/tokens is called by the card frame, which is same-origin with this server. A
 * browser announces cross-site calls (Sec-Fetch-Site, Origin); those are refused, and no
 * CORS headers are ever sent, so other pages cannot read a response either.
 */
export function sameOriginOnly(ownOrigins: () => readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const own = origin !== undefined && (ownOrigins().includes(origin) || origin === `${req.protocol}://${req.get('host') ?? ''}`);
    const crossSite = (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !own);
    if (crossSite) throw new KassaError(FailureKind.Forbidden, 'origin_not_allowed', 'Card details may only be sent from the Kassa card frame.');
    next();
  };
}

/**
 * `/openapi.json`: public (it describes the API, it holds nothing of a merchant's), so API tools
 * may read it from any site (ACAO *, no credentials), but never framed or run as a page. Errors
 * are not cached; the document is revalidated by its ETag.
 */
const apiDescriptionHelmet = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

export const apiDescriptionHeaders: RequestHandler = (req, res, next) => {
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Cache-Control', 'no-store');
  apiDescriptionHelmet(req, res, next);
};

/**
 * The reference page: static HTML without a script, its one inline stylesheet allowed by hash
 * (`styleHash`, a CSP source such as `'sha256-…'`), nothing else loadable, never framed.
 */
export function referencePageHeaders(styleHash: string): RequestHandler {
  const pageHelmet = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: [styleHash],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    pageHelmet(req, res, next);
  };
}
