/**
 * Customers and payment methods (/v1), Stripe-shaped. Thin routes: parse, call the use case,
 * present. POSTs are idempotent like every other.
 */
import { Router } from 'express';
import { z } from 'zod';
import { attachPaymentMethodSchema, customerFieldsSchema, customerSchema, updatePaymentMethodSchema } from '@kassa/core/wire';
import type { Customers } from '../../domain/customers.js';
import { notFound } from '../../domain/errors.js';
import { customerView, paymentMethodView } from '../../domain/views.js';
import { merchantOf } from '../auth.js';
import type { Idempotency } from '../idempotency.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody, parseQuery } from '../validation.js';
import { listBody, listQuerySchema, pageQuery, pagingQuerySchema } from '../lists.js';

const noQuerySchema = z.object({}).strict();
export const emptyBodySchema = z.object({}).strict();
/** `GET /v1/payment_methods?customer=…&type=card`: Stripe lists a customer's cards this way. */
export const listPaymentMethodsQuery = pagingQuerySchema({
  customer: z.string().min(1).max(128).describe('The customer (`cus_…`)'),
  type: z.literal('card').optional(),
});
export const customerPaymentMethodsQuery = pagingQuerySchema({ type: z.literal('card').optional() });
export const customerListSchema = listQuerySchema({ email: z.string().min(1).max(512).optional().describe('Only customers with exactly this email') });

export function customersRouter(deps: { customers: Customers; idempotency: Idempotency }): Router {
  const { customers, idempotency } = deps;
  const router = Router();

  /** A path id that is not shaped like one is as unknown as one that does not exist. */
  const customerId = (raw: unknown): string => {
    const id = customerSchema.safeParse(String(raw));
    if (!id.success) throw notFound('customer', String(raw));
    return id.data;
  };
  /** `pm_` and an id; Stripe's test payment methods (`pm_card_visa`) have underscores in theirs. */
  const paymentMethodId = (raw: unknown): string => {
    const id = String(raw);
    if (!/^pm_[A-Za-z0-9_]{4,64}$/.test(id)) throw notFound('payment_method', id);
    return id;
  };

  router
    .route('/customers')
    .get(async (req, res) => {
      const params = parseQuery(customerListSchema, req);
      const query = pageQuery(params);
      const page = await customers.list(merchantOf(res), { email: params.email }, query);
      res.json(listBody('/v1/customers', 'customer', query, page, customerView));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const input = parseBody(customerFieldsSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: customerView(await customers.create(merchantId, input, journal)),
      }));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/customers/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(customerView(await customers.retrieve(merchantOf(res), customerId(req.params.id))));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = customerId(req.params.id);
      const input = parseBody(customerFieldsSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: customerView(await customers.update(merchantId, id, input, journal)),
      }));
    })
    .delete(async (req, res) => {
      parseQuery(noQuerySchema, req);
      const merchantId = merchantOf(res);
      const id = customerId(req.params.id);
      await customers.delete(merchantId, id);
      res.json({ id, object: 'customer', deleted: true });
    })
    .all(methodNotAllowed('GET, POST, DELETE'));

  router
    .route('/customers/:id/payment_methods')
    .get(async (req, res) => {
      const query = pageQuery(parseQuery(customerPaymentMethodsQuery, req));
      const id = customerId(req.params.id);
      const page = await customers.pagePaymentMethods(merchantOf(res), id, query);
      res.json(listBody(`/v1/customers/${id}/payment_methods`, 'payment_method', query, page, paymentMethodView));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_methods')
    .get(async (req, res) => {
      const params = parseQuery(listPaymentMethodsQuery, req);
      const query = pageQuery(params);
      const page = await customers.pagePaymentMethods(merchantOf(res), params.customer, query);
      res.json(listBody('/v1/payment_methods', 'payment_method', query, page, paymentMethodView));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_methods/:id')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      res.json(paymentMethodView(await customers.paymentMethod(merchantOf(res), paymentMethodId(req.params.id))));
    })
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = paymentMethodId(req.params.id);
      const input = parseBody(updatePaymentMethodSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: paymentMethodView(
          input.metadata ? await customers.setMetadata(merchantId, id, input.metadata, journal) : await customers.paymentMethod(merchantId, id),
        ),
      }));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/payment_methods/:id/attach')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = paymentMethodId(req.params.id);
      const input = parseBody(attachPaymentMethodSchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: paymentMethodView(await customers.attach(merchantId, id, input.customer, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/payment_methods/:id/detach')
    .post(async (req, res) => {
      const merchantId = merchantOf(res);
      const id = paymentMethodId(req.params.id);
      const input = parseBody(emptyBodySchema, req, res);
      await idempotency.respond(req, res, { merchantId, scope: 'v1' }, input, async (journal) => ({
        status: 200,
        body: paymentMethodView(await customers.detach(merchantId, id, journal)),
      }));
    })
    .all(methodNotAllowed('POST'));

  return router;
}
