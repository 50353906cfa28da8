/**
 * The merchant API (/v1), Stripe-shaped and secret-key authenticated. Routes are thin:
 * parse, call the use case, present; idempotency wraps every POST.
 */
import { Router } from 'express';
import { hasPrefix } from '@kassa/core';
import {
  cancelPaymentIntentSchema,
  capturePaymentIntentSchema,
  confirmPaymentIntentSchema,
  createPaymentIntentSchema,
  customerSchema,
} from '@kassa/core/wire';
import type { PaymentIntents } from '../../domain/payment-intents.js';
import { notFound } from '../../domain/errors.js';
import { merchantView, paymentMethodView } from '../../domain/views.js';
import type { PaymentIntentRecord } from '../../domain/model.js';
import type { ClientSecrets } from '../auth.js';
import { merchantOf } from '../auth.js';
import type { Idempotency } from '../idempotency.js';
import { idempotencyKeyOf } from '../idempotency.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody } from '../validation.js';

/** Server-side confirm may rely on a payment_method attached at creation. */
const merchantConfirmSchema = confirmPaymentIntentSchema.partial({ payment_method: true }).strict();

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
      const input = parseBody(createPaymentIntentSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async () => ({
        status: 200,
        body: present(await payments.create(merchantId, input, idempotencyKeyOf(req))),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id')
    .get(async (req, res) => {
      res.json(present(await payments.retrieve(merchantOf(res), intentId(req.params.id))));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_intents/:id/confirm')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(merchantConfirmSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async () => ({
        status: 200,
        body: present(
          await payments.confirm(merchantId, id, {
            paymentMethod: input.payment_method,
            setupFutureUsage: input.setup_future_usage,
            idempotencyKey: idempotencyKeyOf(req),
          }),
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
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async () => ({
        status: 200,
        body: present(
          await payments.capture(merchantId, id, { amountToCapture: input.amount_to_capture, idempotencyKey: idempotencyKeyOf(req) }),
        ),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_intents/:id/cancel')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = intentId(req.params.id);
      const input = parseBody(cancelPaymentIntentSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async () => ({
        status: 200,
        body: present(
          await payments.cancel(merchantId, id, { reason: input.cancellation_reason, idempotencyKey: idempotencyKeyOf(req) }),
        ),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/customers/:customer/payment_methods')
    .get(async (req, res) => {
      const customer = customerSchema.safeParse(req.params.customer);
      if (!customer.success) throw notFound('customer', String(req.params.customer));
      const methods = await payments.listPaymentMethods(merchantOf(res), customer.data);
      res.json({
        object: 'list',
        url: `/v1/customers/${customer.data}/payment_methods`,
        has_more: false,
        data: methods.map(paymentMethodView),
      });
    })
    .all(methodNotAllowed('GET'));

  return router;
}
