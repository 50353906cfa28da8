/**
 * The merchant API (/v1) for payment intents, refunds and charges, Stripe-shaped and secret-key
 * authenticated. Routes are thin: parse, call the use case, present; idempotency wraps every
 * POST. Lists follow Stripe's paging (http/lists.ts); `expand[]` replaces an intent's
 * `latest_charge`, `payment_method` or `customer` id by the object (one level, as asked).
 */
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { hasPrefix } from '@kassa/core';
import {
  cancelPaymentIntentSchema,
  capturePaymentIntentSchema,
  confirmPaymentIntentSchema,
  createPaymentIntentSchema,
  createRefundSchema,
  customerSchema,
  updatePaymentIntentSchema,
  WALLET_TYPES,
} from '@kassa/core/wire';
import type { PaymentIntents } from '../../domain/payment-intents.js';
import type { Customers } from '../../domain/customers.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import { chargeView, customerView, merchantView, paymentMethodView, refundView } from '../../domain/views.js';
import type { PaymentIntentRecord } from '../../domain/model.js';
import type { ClientSecrets } from '../auth.js';
import { merchantOf } from '../auth.js';
import type { Idempotency } from '../idempotency.js';
import { methodNotAllowed } from '../errors.js';
import { listBody, listQuerySchema, pageQuery } from '../lists.js';
import { parseBody, parseQuery } from '../validation.js';

export const EXPANDABLE = ['latest_charge', 'payment_method', 'customer'] as const;
type Expandable = (typeof EXPANDABLE)[number];
const expandSchema = z.array(z.enum(EXPANDABLE)).max(EXPANDABLE.length).optional();

// Every intent POST takes `expand`, as at Stripe.
/** Server-side confirm may rely on a payment_method attached at creation. */
export const merchantConfirmSchema = confirmPaymentIntentSchema.partial({ payment_method: true }).extend({ expand: expandSchema }).strict();

/**
 * Stripe's own snippets create intents with `automatic_payment_methods[enabled]=true` (any method
 * the mode's providers take: Kassa's default) or a list of method types (`payment_method_types[]=card`;
 * `allowed_payment_method_types` since the SDK's 2026 API version), which the intent keeps and
 * its confirms are held to. A type Kassa does not know is refused by name.
 */
const methodTypes = z.array(z.enum(['card', ...WALLET_TYPES])).min(1).max(8).optional();
export const merchantCreateSchema = createPaymentIntentSchema
  .extend({
    automatic_payment_methods: z
      .object({ enabled: z.boolean(), allow_redirects: z.enum(['always', 'never']).optional() })
      .strict()
      .optional(),
    payment_method_types: methodTypes,
    allowed_payment_method_types: methodTypes,
    expand: expandSchema,
  })
  .strict();
export const merchantUpdateSchema = updatePaymentIntentSchema.extend({ expand: expandSchema }).strict();
export const merchantCaptureSchema = capturePaymentIntentSchema.extend({ expand: expandSchema }).strict();
export const merchantCancelSchema = cancelPaymentIntentSchema.extend({ expand: expandSchema }).strict();

/** Retrieve takes no query parameters but `expand`: anything else is refused, not ignored. */
export const noQuerySchema = z.object({}).strict();
export const intentListSchema = listQuerySchema({ customer: customerSchema.optional().describe("Only this customer's intents") });
export const searchSchema = z
  .object({
    query: z.string().min(1).max(1000).describe("Stripe's search language, e.g. `status:'succeeded' AND metadata['order']:'1001'`"),
    limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(100)).optional().describe('1–100 (default 10)'),
    page: z.string().min(1).max(64).optional().describe("The previous answer's `next_page`"),
  })
  .strict();
export const refundListSchema = listQuerySchema({
  payment_intent: z.string().max(128).optional().describe("Only this intent's refunds"),
  charge: z.string().max(128).optional().describe("Only this charge's refunds"),
});
export const chargeListSchema = listQuerySchema({
  payment_intent: z.string().max(128).optional().describe("Only this intent's charges"),
  customer: customerSchema.optional().describe("Only this customer's charges"),
});

/**
 * `expand` from a query string: the app's simple parser keeps `expand[0]` / `expand[]` as flat
 * keys (the stripe SDK sends `expand[0]=latest_charge`); they are taken out before the rest is
 * checked strictly.
 */
function queryExpand(req: Request): { expand: Expandable[]; rest: Record<string, unknown> } {
  const expand: Expandable[] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (!/^expand(\[\d{0,2}\])?$/.test(key)) {
      rest[key] = value;
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      const parsed = z.enum(EXPANDABLE).safeParse(v);
      if (!parsed.success) throw invalidParam(key, `Invalid ${key}: one of ${EXPANDABLE.join(', ')} (one level)`);
      expand.push(parsed.data);
    }
  }
  return { expand, rest };
}

export function merchantRouter(deps: {
  payments: PaymentIntents;
  customers: Customers;
  clientSecrets: ClientSecrets;
  idempotency: Idempotency;
}): Router {
  const { payments, customers, clientSecrets, idempotency } = deps;
  const router = Router();
  const present = (intent: PaymentIntentRecord) => merchantView(intent, clientSecrets.mint(intent));

  /** The intent with the expansions asked for; an id that cannot be expanded (a token) stays an id. */
  const presentExpanded = async (intent: PaymentIntentRecord, expand: readonly Expandable[] = []) => {
    const view: Record<string, unknown> = { ...present(intent) };
    if (expand.includes('latest_charge') && intent.latestCharge) {
      const { charge } = await payments.retrieveCharge(intent.merchantId, intent.latestCharge);
      view.latest_charge = chargeView(charge, intent);
    }
    if (expand.includes('payment_method') && intent.paymentMethod && /^pm_[A-Za-z0-9]{8,64}$/.test(intent.paymentMethod)) {
      view.payment_method = paymentMethodView(await customers.paymentMethod(intent.merchantId, intent.paymentMethod));
    }
    if (expand.includes('customer') && intent.customer) {
      view.customer = customerView(await customers.retrieve(intent.merchantId, intent.customer));
    }
    return view;
  };

  router.use((_req, res, next) => {
    res.locals.presentIntent = async (intent: PaymentIntentRecord) => present(intent);
    next();
  });

  /** An id that is not shaped like a payment intent is as unknown as one that does not exist. */
  const intentId = (raw: unknown): string => {
    const id = String(raw);
    if (!hasPrefix(id, 'pi')) throw notFound('payment_intent', id);
    return id;
  };

  router
    .route('/payment_intents')
    .get(async (req, res) => {
      const { expand, rest } = queryExpand(req);
      const params = parseQuery(intentListSchema, { query: rest });
      const query = pageQuery(params);
      const page = await payments.list(merchantOf(res), { customer: params.customer }, query);
      const body = listBody('/v1/payment_intents', 'payment_intent', query, page, (i) => i);
      res.json({ ...body, data: await Promise.all(body.data.map((i) => presentExpanded(i, expand))) });
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const body = parseBody(merchantCreateSchema, req, res);
      const { automatic_payment_methods: _automatic, payment_method_types: types, allowed_payment_method_types: allowed, expand, ...input } = body;
      // The two names of one list (Stripe renamed it): both may come, if they say the same.
      if (types && allowed && [...new Set(types)].sort().join() !== [...new Set(allowed)].sort().join()) {
        throw invalidParam('allowed_payment_method_types', 'payment_method_types and allowed_payment_method_types name the same list; they differ.');
      }
      const paymentMethodTypes = types ?? allowed;
      // With confirm=true a retry after a crash or a 502 resumes the intent the key made
      // (its journal names it): it never creates and charges a second one.
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, body, async (journal) => ({
        status: 200,
        body: await presentExpanded(await payments.create(merchantId, { ...input, ...(paymentMethodTypes ? { payment_method_types: paymentMethodTypes } : {}) }, journal), expand),
      }));
    })
    .all(methodNotAllowed('GET, POST'));

  // Before `/payment_intents/:id`, which would take "search" for an id.
  router
    .route('/payment_intents/search')
    .get(async (req, res) => {
      const { expand, rest } = queryExpand(req);
      const params = parseQuery(searchSchema, { query: rest });
      const found = await payments.search(merchantOf(res), { query: params.query, limit: params.limit ?? 10, page: params.page });
      res.json({
        object: 'search_result',
        url: '/v1/payment_intents/search',
        has_more: found.hasMore,
        data: await Promise.all(found.data.map((i) => presentExpanded(i, expand))),
        next_page: found.nextPage,
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_intents/:id')
    .get(async (req, res) => {
      const { expand, rest } = queryExpand(req);
      parseQuery(noQuerySchema, { query: rest });
      res.json(await presentExpanded(await payments.retrieve(merchantOf(res), intentId(req.params.id)), expand));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const { expand, ...input } = parseBody(merchantUpdateSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, { ...input, expand }, async (journal) => ({
        status: 200,
        body: await presentExpanded(await payments.update(merchantId, id, input, journal), expand),
      }));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/payment_intents/:id/confirm')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(merchantConfirmSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: await presentExpanded(
          await payments.confirm(
            merchantId,
            id,
            {
              paymentMethod: input.payment_method,
              paymentMethodData: input.payment_method_data,
              setupFutureUsage: input.setup_future_usage,
              offSession: input.off_session,
              returnUrl: input.return_url,
            },
            journal,
          ),
          input.expand,
        ),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id/capture')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(merchantCaptureSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: await presentExpanded(await payments.capture(merchantId, id, { amountToCapture: input.amount_to_capture, finalCapture: input.final_capture }, journal), input.expand),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id/cancel')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(merchantCancelSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: await presentExpanded(await payments.cancel(merchantId, id, { reason: input.cancellation_reason }, journal), input.expand),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/refunds')
    .get(async (req, res) => {
      const params = parseQuery(refundListSchema, req);
      const query = pageQuery(params);
      const page = await payments.listRefunds(merchantOf(res), { paymentIntent: params.payment_intent, charge: params.charge }, query);
      res.json(listBody('/v1/refunds', 'refund', query, page, refundView));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const input = parseBody(createRefundSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: refundView(await payments.refund(merchantId, input, journal)),
      }));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/refunds/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(refundView(await payments.retrieveRefund(merchantOf(res), String(req.params.id))));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/charges')
    .get(async (req, res) => {
      const params = parseQuery(chargeListSchema, req);
      const query = pageQuery(params);
      const page = await payments.listCharges(merchantOf(res), { paymentIntent: params.payment_intent, customer: params.customer }, query);
      res.json(listBody('/v1/charges', 'charge', query, page, ({ charge, intent }) => chargeView(charge, intent)));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/charges/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      const { charge, intent } = await payments.retrieveCharge(merchantOf(res), String(req.params.id));
      res.json(chargeView(charge, intent));
    })
    .all(methodNotAllowed('GET'));

  return router;
}
