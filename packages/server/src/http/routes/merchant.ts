/**
 * The merchant API (/v1), Stripe-shaped and secret-key authenticated. Routes are thin:
 * parse, call the use case, present; idempotency wraps every POST.
 */
import { Router } from 'express';
import { z } from 'zod';
import { hasPrefix } from '@kassa/core';
import {
  cancelPaymentIntentSchema,
  capturePaymentIntentSchema,
  confirmPaymentIntentSchema,
  createPaymentIntentSchema,
  createRefundSchema,
} from '@kassa/core/wire';
import type { PaymentIntents } from '../../domain/payment-intents.js';
import { notFound } from '../../domain/errors.js';
import { chargeView, merchantView, refundView } from '../../domain/views.js';
import type { PaymentIntentRecord } from '../../domain/model.js';
import type { ClientSecrets } from '../auth.js';
import { merchantOf } from '../auth.js';
import type { Idempotency } from '../idempotency.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody, parseQuery } from '../validation.js';

/** Server-side confirm may rely on a payment_method attached at creation. */
const merchantConfirmSchema = confirmPaymentIntentSchema.partial({ payment_method: true }).strict();

/**
 * Stripe's own snippets create intents with `automatic_payment_methods[enabled]=true` or a list
 * of method types (`payment_method_types[]=card`; `allowed_payment_method_types` since the SDK's
 * 2026 API version). Kassa takes cards only, so these are accepted when they ask for what Kassa
 * does anyway, and change nothing; another method type is refused by name.
 */
const cardsOnly = z.array(z.literal('card')).min(1).max(8).optional();
const merchantCreateSchema = createPaymentIntentSchema
  .extend({
    automatic_payment_methods: z
      .object({ enabled: z.boolean(), allow_redirects: z.enum(['always', 'never']).optional() })
      .strict()
      .optional(),
    payment_method_types: cardsOnly,
    allowed_payment_method_types: cardsOnly,
  })
  .strict();

/** Retrieve takes no query parameters: one it does not know (the SDK's `expand[0]`) is refused, not ignored. */
const noQuerySchema = z.object({}).strict();

export function merchantRouter(deps: { payments: PaymentIntents; clientSecrets: ClientSecrets; idempotency: Idempotency }): Router {
  const { payments, clientSecrets, idempotency } = deps;
  const router = Router();
  const present = (intent: PaymentIntentRecord) => merchantView(intent, clientSecrets.mint(intent));

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
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const body = parseBody(merchantCreateSchema, req, res);
      const { automatic_payment_methods: _automatic, payment_method_types: _types, allowed_payment_method_types: _allowed, ...input } = body;
      // With confirm=true a retry after a crash or a 502 resumes the intent the key made
      // (its journal names it): it never creates and charges a second one.
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, body, async (journal) => ({
        status: 200,
        body: present(await payments.create(merchantId, input, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(present(await payments.retrieve(merchantOf(res), intentId(req.params.id))));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_intents/:id/confirm')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(merchantConfirmSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: present(
          await payments.confirm(merchantId, id, { paymentMethod: input.payment_method, setupFutureUsage: input.setup_future_usage }, journal),
        ),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id/capture')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(capturePaymentIntentSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: present(await payments.capture(merchantId, id, { amountToCapture: input.amount_to_capture }, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id/cancel')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(cancelPaymentIntentSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: present(await payments.cancel(merchantId, id, { reason: input.cancellation_reason }, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/refunds')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const input = parseBody(createRefundSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: refundView(await payments.refund(merchantId, input, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/refunds/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(refundView(await payments.retrieveRefund(merchantOf(res), String(req.params.id))));
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
