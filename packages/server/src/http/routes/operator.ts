/**
 * The operator API (/operator): the person who runs Kassa registers merchants, approves their
 * move to live mode and manages their keys. Guarded by the operator key alone (made on first
 * start, shown once, stored hashed); a merchant's key never works here, nor the operator key
 * on /v1. Keys are shown in the one answer that makes them, never again.
 */
import { Router } from 'express';
import { z } from 'zod';
import { currencySchema } from '@kassa/core/wire';
import type { IssuedKey, Merchants } from '../../domain/merchants.js';
import { KEY_RESOURCES } from '../../domain/model.js';
import type { ApiKeyRecord, MerchantRecord } from '../../domain/model.js';
import { notFound } from '../../domain/errors.js';
import { seconds } from '../../domain/views.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody, parseQuery } from '../validation.js';

/** An origin exactly as browsers send it: scheme://host[:port], nothing after. */
const originSchema = z
  .string()
  .max(255)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  }, 'must be an origin: scheme://host[:port], with no path');

const registerSchema = z
  .object({
    business_name: z.string().min(1).max(200),
    country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166-1 country code').optional(),
    default_currency: currencySchema.optional(),
    email: z.email().max(512).optional(),
    allowed_origins: z.array(originSchema).min(1).max(20),
  })
  .strict();
const updateSchema = z
  .object({
    business_name: z.string().min(1).max(200).optional(),
    email: z.email().max(512).optional(),
    allowed_origins: z.array(originSchema).min(1).max(20).optional(),
  })
  .strict();
const permissionsSchema = z.partialRecord(z.enum(KEY_RESOURCES), z.enum(['read', 'write']));
const createKeySchema = z
  .object({
    type: z.enum(['secret', 'publishable', 'restricted']),
    livemode: z.boolean().default(false),
    name: z.string().min(1).max(100).optional(),
    permissions: permissionsSchema.optional(),
  })
  .strict();
const rollSchema = z.object({ expires_in: z.number().int().min(0).max(7 * 24 * 3600).optional() }).strict();
const emptySchema = z.object({}).strict();

export function accountView(m: MerchantRecord) {
  return {
    id: m.accountId,
    object: 'account' as const,
    business_name: m.name,
    country: m.country,
    default_currency: m.defaultCurrency,
    email: m.email,
    allowed_origins: m.allowedOrigins,
    livemode_enabled: m.status === 'live',
    created: seconds(m.created),
  };
}

export function keyView(k: ApiKeyRecord) {
  return {
    id: k.id,
    object: 'api_key' as const,
    type: k.kind,
    livemode: k.livemode,
    prefix: k.prefix,
    name: k.name,
    permissions: k.permissions,
    created: seconds(k.created),
    expires_at: k.expiresAt === null ? null : seconds(k.expiresAt),
    revoked_at: k.revokedAt === null ? null : seconds(k.revokedAt),
    last_used: k.lastUsedAt === null ? null : seconds(k.lastUsedAt),
  };
}

/** The one answer in which a new key is shown. */
const shown = (issued: IssuedKey) => ({ ...keyView(issued.record), secret: issued.key });

export function operatorRouter(deps: { merchants: Merchants }): Router {
  const { merchants } = deps;
  const router = Router();
  const accountId = (raw: unknown): string => {
    const id = String(raw);
    if (!/^acct_[A-Za-z0-9]{8,64}$/.test(id)) throw notFound('account', id);
    return id;
  };
  const noQuery = z.object({}).strict();

  router
    .route('/merchants')
    .get((req, res) => {
      parseQuery(noQuery, req);
      res.json({ object: 'list', url: '/operator/merchants', has_more: false, data: merchants.accounts().map(accountView) });
    })
    .post(async (req, res) => {
      const input = parseBody(registerSchema, req, res);
      const { merchant, keys } = await merchants.register({
        name: input.business_name,
        country: input.country,
        defaultCurrency: input.default_currency,
        email: input.email,
        allowedOrigins: input.allowed_origins,
      });
      res.json({ merchant: accountView(merchant), keys: { publishable_key: keys.publishable.key, secret_key: keys.secret.key } });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/merchants/:id')
    .get((req, res) => {
      parseQuery(noQuery, req);
      res.json(accountView(merchants.account(accountId(req.params.id))));
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      const input = parseBody(updateSchema, req, res);
      res.json(accountView(await merchants.updateAccount(id, { name: input.business_name, email: input.email, allowedOrigins: input.allowed_origins })));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/merchants/:id/activate')
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      parseBody(emptySchema, req, res);
      const { merchant, keys } = await merchants.activate(id);
      res.json({ merchant: accountView(merchant), keys: { publishable_key: keys.publishable.key, secret_key: keys.secret.key } });
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/merchants/:id/keys')
    .get(async (req, res) => {
      parseQuery(noQuery, req);
      const id = accountId(req.params.id);
      res.json({ object: 'list', url: `/operator/merchants/${id}/keys`, has_more: false, data: (await merchants.listKeys(id)).map(keyView) });
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      const input = parseBody(createKeySchema, req, res);
      res.json(shown(await merchants.createKey(id, { kind: input.type, livemode: input.livemode, name: input.name, permissions: input.permissions })));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/keys/:id/roll')
    .post(async (req, res) => {
      const input = parseBody(rollSchema, req, res);
      res.json(shown(await merchants.rollKey(String(req.params.id), input.expires_in)));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/keys/:id/revoke')
    .post(async (req, res) => {
      parseBody(emptySchema, req, res);
      res.json(keyView(await merchants.revokeKey(String(req.params.id))));
    })
    .all(methodNotAllowed('POST'));

  return router;
}
