/**
 * Request bodies: JSON everywhere, x-www-form-urlencoded additionally on /v1 (the stripe
 * SDK's encoding), anything else refused with 415 before it is read. 16 KB at most, but 256 KB
 * on the merchant API: Stripe's full-size metadata (50 keys × 500 characters, percent-encoded
 * UTF-8 in a form) must fit.
 */
import express from 'express';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESERVED_METADATA_KEY_MESSAGE } from '@kassa/core/wire';
import { FailureKind, KassaError } from '../domain/errors.js';

export const BODY_LIMIT = '16kb';
export const MERCHANT_BODY_LIMIT = '256kb';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

const json = express.json({ limit: BODY_LIMIT, type: JSON_TYPE, strict: true });
const merchantJson = express.json({ limit: MERCHANT_BODY_LIMIT, type: JSON_TYPE, strict: true });

/**
 * qs, the form parser, drops a `__proto__` key wherever it appears (`__proto__=x`,
 * `metadata[__proto__]=x`), so the request would pass as if it had not been sent. A JSON body
 * keeps it and is refused by the schema; a form body is read raw for it here (body-parser's
 * `verify` sees the bytes before qs does) and refused the same way. `constructor` and
 * `prototype` survive qs (body-parser sets allowPrototypes) and meet the schema like any key.
 */
const DROPPED_SEGMENT = /^__proto__(?=\[|$)|\[__proto__\]/;

/** The key as far as its `__proto__` segment (`metadata[__proto__][x]` → `metadata[__proto__]`), or null. */
export function droppedFormKey(raw: string): string | null {
  for (const key of new URLSearchParams(raw).keys()) {
    const m = DROPPED_SEGMENT.exec(key);
    if (m) return key.slice(0, m.index + m[0].length);
  }
  return null;
}

const DROPPED_KEY = 'droppedFormKey';

function noteDroppedKeys(_req: IncomingMessage, res: ServerResponse, buf: Buffer, encoding: string): void {
  const key = droppedFormKey(buf.toString(encoding.toLowerCase() === 'utf-8' ? 'utf8' : 'latin1'));
  if (key !== null) (res as Response).locals[DROPPED_KEY] = key;
}

/** Refuses a form body that named `__proto__`, as a JSON body naming it is refused. */
const refuseDroppedKeys: RequestHandler = (_req, res, next) => {
  const key = res.locals[DROPPED_KEY] as string | undefined;
  if (key === undefined) {
    next();
    return;
  }
  if (key === '__proto__') {
    throw new KassaError(FailureKind.InvalidRequest, 'parameter_unknown', 'Received unknown parameter: __proto__', { param: key });
  }
  const message = key.startsWith('metadata[') ? `Invalid ${key}: ${RESERVED_METADATA_KEY_MESSAGE}` : `Invalid ${key}: __proto__ cannot be a key.`;
  throw new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', message, { param: key });
};

// depth 3 is plenty (metadata[key]=value); more is refused rather than silently flattened.
// (`depth` is body-parser 2's option; its @types still describe 1.x.)
const form = express.urlencoded({
  limit: MERCHANT_BODY_LIMIT,
  type: FORM_TYPE,
  extended: true,
  parameterLimit: 100,
  depth: 3,
  verify: noteDroppedKeys,
} as Parameters<typeof express.urlencoded>[0]);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** `form: true` is the merchant API's: form encoding too, and the larger limit. */
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
  return [guard, options.form ? merchantJson : json, ...(options.form ? [form, refuseDroppedKeys] : []), ensure];
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
  express.urlencoded({ limit: BODY_LIMIT, type: FORM_TYPE, extended: false, parameterLimit: 20, verify: noteDroppedKeys }),
  refuseDroppedKeys,
  json,
  (req, _res, next) => {
    if (req.body === undefined) req.body = {};
    next();
  },
];
