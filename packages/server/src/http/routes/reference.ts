/**
 * The API description, served by Kassa itself: `GET /openapi.json` (OpenAPI 3.1, generated from
 * the zod schemas the routes validate with) and `GET /docs` (the same document as a static page).
 * Both are built once per public URL (the document names it as its server) and revalidated by
 * ETag; neither takes a query parameter.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { openApiDocument } from '../openapi/document.js';
import type { ApiDescription } from '../openapi/document.js';
import { REFERENCE_STYLE_HASH, referencePage } from '../openapi/reference-page.js';
import { apiDescriptionHeaders, referencePageHeaders } from '../security.js';
import { methodNotAllowed } from '../errors.js';
import { parseQuery } from '../validation.js';
import { noQuerySchema } from './merchant.js';

/** A body as sent: plain and gzipped (made once: the page is a few hundred KB, a tenth of that gzipped). */
interface Body {
  plain: Buffer;
  gzip: Buffer;
  tag: string;
}

interface Rendered {
  url: string;
  json: Body;
  html: Body;
}

function body(text: string): Body {
  const plain = Buffer.from(text, 'utf8');
  return { plain, gzip: gzipSync(plain, { level: 9 }), tag: createHash('sha256').update(plain).digest('base64url').slice(0, 27) };
}

export function referenceRouter(deps: { api: ApiDescription; publicUrl(): string }): Router {
  const router = Router();
  let rendered: Rendered | null = null;

  const current = (req: Request): Rendered => {
    const url = deps.publicUrl() || `${req.protocol}://${req.get('host') ?? ''}`;
    if (rendered?.url !== url) {
      const doc = openApiDocument(deps.api, { serverUrl: url });
      rendered = { url, json: body(JSON.stringify(doc)), html: body(referencePage(doc)) };
    }
    return rendered;
  };

  /** The body (gzipped if the client takes it), or a 304 when the client's copy is current. */
  const send = (req: Request, res: Response, type: string, b: Body) => {
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    // Each encoding is its own representation, with its own ETag.
    res.set({ ETag: `"${b.tag}${gzip ? '-gz' : ''}"`, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    if (gzip) res.set('Content-Encoding', 'gzip');
    res.type(type).send(gzip ? b.gzip : b.plain);
  };

  router
    .route('/openapi.json')
    .all(apiDescriptionHeaders)
    .get((req, res) => {
      parseQuery(noQuerySchema, req);
      const r = current(req);
      send(req, res, 'application/json', r.json);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/docs')
    .all(referencePageHeaders(REFERENCE_STYLE_HASH))
    .get((req, res) => {
      parseQuery(noQuerySchema, req);
      const r = current(req);
      send(req, res, 'html', r.html);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
