/**
 * One log line per request (method, path, status, duration, merchant, and the error of a failure
 * a route answered itself), a Request-Id header
 * to quote in support questions. Headers are logged only at debug level, and the logger's
 * redaction removes Authorization, cookies and idempotency keys from them.
 */
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { newId } from '../domain/ids.js';

export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = newId('req');
    const started = process.hrtime.bigint();
    // The full path, read now: by 'finish', req.path is relative to the router that answered
    // (no /v1 or /client). The query string is left out: query strings are for pages, and a
    // page's query holds nothing secret, but keeping them out keeps the habit.
    const path = (req.originalUrl || req.url).split('?', 1)[0] ?? '/';
    res.set('Request-Id', id);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = {
        req: {
          id,
          method: req.method,
          path,
          ...(logger.isLevelEnabled('debug') ? { headers: req.headers } : {}),
        },
        res: { statusCode: res.statusCode },
        ms: Math.round(ms * 100) / 100,
        merchant: res.locals.merchantId ?? (res.locals.client as { mid?: string } | undefined)?.mid,
      };
      // A route that answered a failure with a page of its own (the 3-D Secure frame) leaves
      // the error in res.locals.error, so it is logged with this request's id.
      const failure: unknown = res.locals.error;
      if (failure !== undefined) logger.error({ ...entry, err: failure }, 'request failed');
      else if (res.statusCode >= 500) logger.error(entry, 'request failed');
      else logger.info(entry, 'request');
    });
    next();
  };
}
