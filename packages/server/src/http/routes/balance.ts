/**
 * `/v1/balance` and `/v1/balance_transactions`: the merchant's balance per currency (available
 * and pending) and the ledger's balance transactions behind it (domain/balance.ts), Stripe-shaped,
 * read-only. Lists page the Stripe way (http/lists.ts) and filter by `type`, `currency`,
 * `source` and `created`; anything else is a 400 naming it.
 */
import { Router } from 'express';
import { z } from 'zod';
import { hasPrefix } from '@kassa/core';
import { BALANCE_TRANSACTION_TYPES, currencySchema } from '@kassa/core/wire';
import type { Balances } from '../../domain/balance.js';
import { notFound } from '../../domain/errors.js';
import { balanceTransactionView, balanceView } from '../../domain/views.js';
import { merchantOf } from '../auth.js';
import { methodNotAllowed } from '../errors.js';
import { listBody, listQuerySchema, pageQuery } from '../lists.js';
import { parseQuery } from '../validation.js';
import { keyLivemode } from './webhooks.js';

const noQuerySchema = z.object({}).strict();
/** `GET /v1/balance_transactions`' query (exported for the OpenAPI document). */
export const balanceTransactionListSchema = listQuerySchema({
  type: z.enum(BALANCE_TRANSACTION_TYPES, { error: () => `Kassa records these balance transaction types: ${BALANCE_TRANSACTION_TYPES.join(', ')}` }).optional(),
  currency: currencySchema.optional(),
  source: z.string().min(1).max(255).optional().describe('The charge (`ch_…`) or refund (`re_…`) it records'),
});

export function balanceRouter(deps: { balances: Balances }): Router {
  const { balances } = deps;
  const router = Router();

  router
    .route('/balance')
    .get(async (req, res) => {
      parseQuery(noQuerySchema, req);
      const livemode = keyLivemode(res);
      const { totals } = await balances.retrieve(merchantOf(res), livemode);
      res.json(balanceView(totals, livemode));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/balance_transactions')
    .get(async (req, res) => {
      const params = parseQuery(balanceTransactionListSchema, req);
      const query = pageQuery(params);
      const { page, now } = await balances.list(
        merchantOf(res),
        keyLivemode(res),
        { type: params.type, currency: params.currency, source: params.source },
        query,
      );
      res.json(listBody('/v1/balance_transactions', 'balance_transaction', query, page, (txn) => balanceTransactionView(txn, now)));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/balance_transactions/:id')
    .get(async (req, res) => {
      const id = String(req.params.id);
      if (!hasPrefix(id, 'txn')) throw notFound('balance_transaction', id);
      parseQuery(noQuerySchema, req);
      const { txn, now } = await balances.retrieveTransaction(merchantOf(res), keyLivemode(res), id);
      res.json(balanceTransactionView(txn, now));
    })
    .all(methodNotAllowed('GET'));

  return router;
}
