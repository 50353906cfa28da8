/**
 * Request bodies: JSON everywhere, x-www-form-urlencoded additionally on /v1 (the stripe
 * SDK's encoding), 16 KB at most, anything else refused with 415 before it is read.
 */
import express from 'express';
import type { Request, RequestHandler } from 'express';
import { FailureKind, KassaError } from '../domain/errors.js';

export const BODY_LIMIT = '16kb';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

const json = express.json({ limit: BODY_LIMIT, type: JSON_TYPE, strict: true });
// depth 3 is plenty (metadata[key]=value); more is refused rather than silently flattened.
// (`depth` is body-parser 2's option; its @types still describe 1.x.)
const form = express.urlencoded({ limit: BODY_LIMIT, type: FORM_TYPE, extended: true, parameterLimit: 100, depth: 3 } as Parameters<typeof express.urlencoded>[0]);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function bodyParsers(options: { form: boolean }): RequestHandler[] {
  const accepted = options.form ? [JSON_TYPE, FORM_TYPE] : [JSON_TYPE];
  const guard: RequestHandler = (req, res, next) => {
    res.locals.bodyFormat = 'json';
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || !hasBody(req)) {
      next();
      return;
    }
    const type = req.is(accepted);
    if (!type) {
      throw new KassaError(
        FailureKind.UnsupportedMediaType,
        'unsupported_media_type',
        `Content-Type must be ${accepted.join(' or ')}.`,
      );
    }
    if (type === FORM_TYPE) res.locals.bodyFormat = 'form';
    next();
  };
  const ensure: RequestHandler = (req, _res, next) => {
    if (req.body === undefined) req.body = {};
    next();
  };
  return [guard, json, ...(options.form ? [form] : []), ensure];
}

/** Parser for the sandbox challenge's plain HTML form. */
export const htmlFormParsers: RequestHandler[] = [
  (req, res, next) => {
    if (hasBody(req) && !req.is([FORM_TYPE, JSON_TYPE])) {
      throw new KassaError(FailureKind.UnsupportedMediaType, 'unsupported_media_type', `Content-Type must be ${FORM_TYPE}.`);
    }
    res.locals.bodyFormat = 'form';
    next();
  },
  express.urlencoded({ limit: BODY_LIMIT, type: FORM_TYPE, extended: false, parameterLimit: 20 }),
  json,
  (req, _res, next) => {
    if (req.body === undefined) req.body = {};
    next();
  },
];
