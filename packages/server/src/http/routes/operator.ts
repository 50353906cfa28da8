/**
 * The operator API (/operator): the person who runs Kassa registers merchants, approves their
 * move to live mode and manages their keys. Guarded by the operator key alone (made on first
 * start, shown once, stored hashed); a merchant's key never works here, nor the operator key
 * on /v1. Keys are shown in the one answer that makes them, never again.
 */
import { Router } from 'express';
import { z } from 'zod';
import { currencySchema } from '@kassa/core/wire';
import { API_KEY_PATTERN, DEFAULT_ROLL_OVERLAP_S, MAX_ROLL_OVERLAP_S } from '../../domain/merchants.js';
import type { IssuedKey, Merchants } from '../../domain/merchants.js';
import { KEY_RESOURCES } from '../../domain/model.js';
import type { ApiKeyRecord, MerchantRecord } from '../../domain/model.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import { seconds } from '../../domain/views.js';
import type { PaymentIntents, Reconciliation } from '../../domain/payment-intents.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody, parseQuery } from '../validation.js';
import { emptyBodySchema } from './customers.js';
import { ACCOUNT_PROVIDER_TYPES, SECRET_FIELD_NAMES, providerAccountInputSchema, providerAccountUpdateSchemas } from '../../provider-config.js';
import type { ProviderAccounts } from '../../provider-accounts.js';
import type { ProviderAccountRecord } from '../../store/port.js';
import { noQuerySchema } from './merchant.js';

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

// Request schemas, exported for the OpenAPI document (http/openapi/components.ts).
export const registerMerchantSchema = z
  .object({
    business_name: z.string().min(1).max(200),
    country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166-1 country code').optional(),
    default_currency: currencySchema.optional(),
    email: z.email().max(512).optional(),
    allowed_origins: z.array(originSchema).min(1).max(20).describe('Origins (`scheme://host[:port]`) whose pages may show the checkout'),
  })
  .strict();
export const updateMerchantSchema = z
  .object({
    business_name: z.string().min(1).max(200).optional(),
    email: z.email().max(512).optional(),
    allowed_origins: z.array(originSchema).min(1).max(20).optional().describe('Replaces the list (both modes)'),
  })
  .strict();
const permissionsSchema = z
  .partialRecord(z.enum(KEY_RESOURCES), z.enum(['read', 'write']))
  .describe('Per resource, `read` (GET) or `write` (everything); a resource not named is refused (403)');
export const createKeySchema = z
  .object({
    type: z.enum(['secret', 'publishable', 'restricted']),
    livemode: z.boolean().default(false).describe('A live key needs an activated account'),
    name: z.string().min(1).max(100).optional(),
    permissions: permissionsSchema.optional().describe('Restricted keys only, and required there'),
  })
  .strict();
export const rollKeySchema = z
  .object({
    expires_in: z
      .number()
      .int()
      .min(0)
      .max(MAX_ROLL_OVERLAP_S)
      .optional()
      .describe(`Seconds the old key keeps working (default ${DEFAULT_ROLL_OVERLAP_S}; 0: it stops now)`),
  })
  .strict();

/**
 * A merchant's provider account: `type`, `mode`, an optional `name` (a label) and the type's
 * fields exactly as `kassa serve`'s provider specs name them (provider-config.ts, one source for
 * both), keys included: `secretKey` (Stripe), `apiKey` and `hmacKey` (Adyen), `clientSecret`
 * (PayPal), `privateKey` (Alipay). The sandbox is nobody's account: test mode always has it.
 */
export const createProviderAccountSchema = providerAccountInputSchema;
/** For the OpenAPI document: one of these, by the account's type (the route parses with that type's own). */
export const updateProviderAccountSchema = z.union([
  providerAccountUpdateSchemas.stripe,
  providerAccountUpdateSchemas.adyen,
  providerAccountUpdateSchemas.paypal,
  providerAccountUpdateSchemas.alipay,
]);

const unixSeconds = z.number().int().nonnegative().describe('Unix time in seconds');

/**
 * Response schemas: what the operator API answers. The views below are typed from them, so the
 * OpenAPI document cannot drift from what is sent.
 */
export const accountObjectSchema = z
  .object({
    id: z.string().describe('`acct_…`'),
    object: z.literal('account'),
    business_name: z.string(),
    country: z.string().nullable().describe('ISO 3166-1 alpha-2'),
    default_currency: z.string().nullable().describe('Lowercase ISO 4217'),
    email: z.string().nullable(),
    allowed_origins: z.array(z.string()),
    livemode_enabled: z.boolean().describe('Whether the operator activated live mode'),
    created: unixSeconds,
  })
  .strict();
export type AccountObject = z.infer<typeof accountObjectSchema>;

export const apiKeyObjectSchema = z
  .object({
    id: z.string().describe('`key_…` (not the key: that is shown once, as `secret`)'),
    object: z.literal('api_key'),
    type: z.enum(['secret', 'publishable', 'restricted']),
    livemode: z.boolean(),
    prefix: z.string().describe('The start of the key, to recognize it'),
    name: z.string().nullable(),
    permissions: permissionsSchema.nullable().describe('A restricted key\'s; null for the others'),
    created: unixSeconds,
    expires_at: unixSeconds.nullable().describe('Set once rolled: the old key works until then'),
    revoked_at: unixSeconds.nullable(),
    last_used: unixSeconds.nullable().describe('Recorded at most once a minute'),
  })
  .strict();
export type ApiKeyObject = z.infer<typeof apiKeyObjectSchema>;

export const apiKeyWithSecretSchema = apiKeyObjectSchema
  .extend({ secret: z.string().regex(API_KEY_PATTERN).describe('The key itself, shown in this answer only') })
  .strict();

export const providerAccountObjectSchema = z
  .object({
    id: z.string().describe('`pa_…`: also the provider name its payments record (`routing`)'),
    object: z.literal('provider_account'),
    merchant: z.string().describe('The merchant account, `acct_…`'),
    type: z.enum(ACCOUNT_PROVIDER_TYPES),
    mode: z.enum(['test', 'live']),
    livemode: z.boolean(),
    name: z.string().nullable(),
    active: z.boolean().describe("False once deactivated: no new payment goes there; the ones paid there are still captured, refunded and notified through it"),
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe('The public fields as given (endpoints, ids, public keys, switches such as multicapture)'),
    secrets: z
      .record(z.string(), z.object({ configured: z.boolean(), last4: z.string().nullable() }).strict())
      .describe('Each secret field: whether it is set, and its last 4 characters. Never the secret: it is stored sealed and shown nowhere'),
    created: unixSeconds,
    deactivated_at: unixSeconds.nullable(),
  })
  .strict();
export type ProviderAccountObject = z.infer<typeof providerAccountObjectSchema>;

export function providerAccountView(a: ProviderAccountRecord): ProviderAccountObject {
  const secrets: ProviderAccountObject['secrets'] = {};
  for (const field of SECRET_FIELD_NAMES[a.type]) {
    const last4 = a.secretHints[field];
    // An empty hint: set, but too short to show any of it.
    secrets[field] = { configured: last4 !== undefined, last4: last4 || null };
  }
  return {
    id: a.id,
    object: 'provider_account',
    merchant: a.accountId,
    type: a.type,
    mode: a.livemode ? 'live' : 'test',
    livemode: a.livemode,
    name: a.name,
    active: a.deactivatedAt === null,
    config: a.config as ProviderAccountObject['config'],
    secrets,
    created: seconds(a.created),
    deactivated_at: a.deactivatedAt === null ? null : seconds(a.deactivatedAt),
  };
}

/** The operator's reconciliation report. */
export const reconciliationReportSchema = z
  .object({
    object: z.literal('reconciliation_report'),
    settled: z.number().int().nonnegative().optional().describe('POST only: how many open calls asking the providers just settled'),
    open_calls: z
      .array(
        z
          .object({
            payment_intent: z.string(),
            merchant: z.string(),
            livemode: z.boolean(),
            provider: z.string().nullable().describe('Where the call went'),
            operation: z.enum(['authorize', 'complete_action', 'capture', 'cancel', 'refund']),
            status: z.enum(['pending', 'unknown']).describe('`unknown`: no answer came; `pending`: its maker stopped before the call was made or answered'),
            amount: z.number().int(),
            currency: currencySchema,
            since: unixSeconds,
            provider_can_be_asked: z.boolean().describe('False: only the client\'s retry (same key) or the provider\'s own records settle it'),
          })
          .strict(),
      )
      .describe('Provider calls with no known outcome that nobody is working on, oldest first'),
    discrepancies: z
      .array(
        z
          .object({
            id: z.string(),
            payment_intent: z.string(),
            merchant: z.string(),
            operation: z.enum(['authorize', 'complete_action', 'capture', 'cancel', 'refund']),
            currency: currencySchema,
            expected: z.number().int().describe('What Kassa asked for'),
            actual: z.number().int().describe('What the provider settled'),
            created: unixSeconds,
          })
          .strict(),
      )
      .describe('Amounts a provider settled differently than asked, newest first'),
  })
  .strict();

/** Registering and activating: the account and its new key pair (test, or live), shown once. */
export const accountWithKeysSchema = z
  .object({
    merchant: accountObjectSchema,
    keys: z
      .object({
        publishable_key: z.string().regex(/^pk_(test|live)_/),
        secret_key: z.string().regex(/^sk_(test|live)_/),
      })
      .strict(),
  })
  .strict();
type AccountWithKeys = z.infer<typeof accountWithKeysSchema>;

export function accountView(m: MerchantRecord): AccountObject {
  return {
    id: m.accountId,
    object: 'account',
    business_name: m.name,
    country: m.country,
    default_currency: m.defaultCurrency,
    email: m.email,
    allowed_origins: m.allowedOrigins,
    livemode_enabled: m.status === 'live',
    created: seconds(m.created),
  };
}

export function keyView(k: ApiKeyRecord): ApiKeyObject {
  return {
    id: k.id,
    object: 'api_key',
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

const withKeys = (merchant: MerchantRecord, keys: { publishable: IssuedKey; secret: IssuedKey }): AccountWithKeys => ({
  merchant: accountView(merchant),
  keys: { publishable_key: keys.publishable.key, secret_key: keys.secret.key },
});

/** The one answer in which a new key is shown. */
const shown = (issued: IssuedKey): z.infer<typeof apiKeyWithSecretSchema> => ({ ...keyView(issued.record), secret: issued.key });

export function operatorRouter(deps: { merchants: Merchants; payments: PaymentIntents; providerAccounts: ProviderAccounts }): Router {
  const { merchants, payments, providerAccounts } = deps;
  const router = Router();
  const accountId = (raw: unknown): string => {
    const id = String(raw);
    if (!/^acct_[A-Za-z0-9]{8,64}$/.test(id)) throw notFound('account', id);
    return id;
  };

  router
    .route('/merchants')
    .get((req, res) => {
      parseQuery(noQuerySchema, req);
      res.json({ object: 'list', url: '/operator/merchants', has_more: false, data: merchants.accounts().map(accountView) });
    })
    .post(async (req, res) => {
      const input = parseBody(registerMerchantSchema, req, res);
      const { merchant, keys } = await merchants.register({
        name: input.business_name,
        country: input.country,
        defaultCurrency: input.default_currency,
        email: input.email,
        allowedOrigins: input.allowed_origins,
      });
      res.json(withKeys(merchant, keys));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/merchants/:id')
    .get((req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(accountView(merchants.account(accountId(req.params.id))));
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      const input = parseBody(updateMerchantSchema, req, res);
      res.json(accountView(await merchants.updateAccount(id, { name: input.business_name, email: input.email, allowedOrigins: input.allowed_origins })));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/merchants/:id/activate')
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      parseBody(emptyBodySchema, req, res);
      const { merchant, keys } = await merchants.activate(id);
      res.json(withKeys(merchant, keys));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/merchants/:id/keys')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      const id = accountId(req.params.id);
      res.json({ object: 'list', url: `/operator/merchants/${id}/keys`, has_more: false, data: (await merchants.listKeys(id)).map(keyView) });
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      const input = parseBody(createKeySchema, req, res);
      res.json(shown(await merchants.createKey(id, { kind: input.type, livemode: input.livemode, name: input.name, permissions: input.permissions })));
    })
    .all(methodNotAllowed('GET, POST'));

  // A merchant's own providers, per mode: its new payments go there instead of the server's.
  router
    .route('/merchants/:id/provider_accounts')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      const id = accountId(req.params.id);
      const data = (await providerAccounts.list(id)).map(providerAccountView);
      res.json({ object: 'list', url: `/operator/merchants/${id}/provider_accounts`, has_more: false, data });
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      // The merchant first: an unknown one is a 404 whatever the body says.
      merchants.account(id);
      const input = parseBody(createProviderAccountSchema, req, res);
      res.json(providerAccountView(await providerAccounts.create(id, input)));
    })
    .all(methodNotAllowed('GET, POST'));

  const providerAccountId = (raw: unknown): string => {
    const id = String(raw);
    if (!/^pa_[A-Za-z0-9]{8,64}$/.test(id)) throw notFound('provider account', id, 'id');
    return id;
  };
  router
    .route('/merchants/:id/provider_accounts/:provider_account')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(providerAccountView(await providerAccounts.get(accountId(req.params.id), providerAccountId(req.params.provider_account))));
    })
    .post(async (req, res) => {
      const id = accountId(req.params.id);
      const found = await providerAccounts.get(id, providerAccountId(req.params.provider_account));
      // Said plainly rather than as an unknown key: these name another account, not a change.
      const body: unknown = req.body;
      for (const fixed of ['type', 'mode'] as const) {
        if (typeof body === 'object' && body !== null && Object.hasOwn(body, fixed)) {
          throw invalidParam(fixed, `A provider account's ${fixed} is fixed (its payments were made there): create another account for another ${fixed}.`);
        }
      }
      const input = parseBody(providerAccountUpdateSchemas[found.type], req, res);
      res.json(providerAccountView(await providerAccounts.update(id, found.id, input)));
    })
    .delete(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(providerAccountView(await providerAccounts.deactivate(accountId(req.params.id), providerAccountId(req.params.provider_account))));
    })
    .all(methodNotAllowed('GET, POST, DELETE'));

  router
    .route('/keys/:id/roll')
    .post(async (req, res) => {
      const input = parseBody(rollKeySchema, req, res);
      res.json(shown(await merchants.rollKey(String(req.params.id), input.expires_in)));
    })
    .all(methodNotAllowed('POST'));

  // Reconciliation: what has no known outcome, and what a provider settled otherwise. POST asks
  // the providers about every open call now (as recovery does at start and every minute).
  router
    .route('/reconciliation')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(reconciliationView(await payments.reconciliation(), null));
    })
    .post(async (req, res) => {
      parseBody(emptyBodySchema, req, res);
      const settled = await payments.recoverInterrupted();
      res.json(reconciliationView(await payments.reconciliation(), settled));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/keys/:id/revoke')
    .post(async (req, res) => {
      parseBody(emptyBodySchema, req, res);
      res.json(keyView(await merchants.revokeKey(String(req.params.id))));
    })
    .all(methodNotAllowed('POST'));

  return router;
}

/** The operator's reconciliation report (`settled`: how many open calls the POST just settled). */
export function reconciliationView(r: Reconciliation, settled: number | null): z.infer<typeof reconciliationReportSchema> {
  return {
    object: 'reconciliation_report',
    ...(settled === null ? {} : { settled }),
    open_calls: r.open.map(({ intent, attempt, askable }) => ({
      payment_intent: intent.id,
      merchant: intent.merchantId,
      livemode: intent.livemode,
      provider: intent.provider,
      operation: attempt.operation,
      // Open calls are exactly these two (reconciliation leaves out settled attempts).
      status: attempt.status === 'unknown' ? 'unknown' : 'pending',
      amount: attempt.amount,
      currency: intent.currency,
      since: seconds(attempt.updated),
      provider_can_be_asked: askable,
    })),
    discrepancies: r.discrepancies.map((d) => ({
      id: d.id,
      payment_intent: d.intentId,
      merchant: d.merchantId,
      operation: d.operation,
      currency: d.currency,
      expected: d.expected,
      actual: d.actual,
      created: seconds(d.created),
    })),
  };
}
