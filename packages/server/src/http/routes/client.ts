/**
 * The widget API (/client). A client secret (JWT) names one intent of one merchant; a path
 * naming another intent is a 404, exactly as if it did not exist. Card tokenization is
 * same-origin only: it is called by the card frame, which this server serves.
 */
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { confirmPaymentIntentSchema, createTokenSchema } from '@kassa/core/wire';
import type { PaymentIntents } from '../../domain/payment-intents.js';
import { notFound } from '../../domain/errors.js';
import { tokenizeCard } from '../../domain/tokens.js';
import { clientView } from '../../domain/views.js';
import type { PaymentIntentRecord } from '../../domain/model.js';
import type { CardVault, Clock } from '../../domain/ports.js';
import type { ClientSecrets } from '../auth.js';
import { clientAuth, clientOf } from '../auth.js';
import type { Idempotency } from '../idempotency.js';
import { bodyParsers } from '../body.js';
import { apiHeaders, clientCors, sameOriginOnly } from '../security.js';
import { methodNotAllowed } from '../errors.js';
import { parseBody } from '../validation.js';
import type { Limits } from '../limits.js';



/**
 * The widget confirms with a token, a saved card or a wallet (`payment_method_data[type]`);
 * return_url and off_session are the merchant API's (a widget confirm has its shopper, and its own
 * 3-D Secure flow), so here they are unknown.
 */
export const clientConfirmSchema = confirmPaymentIntentSchema
  .omit({ return_url: true, off_session: true })
  .partial({ payment_method: true })
  .strict();

export interface ClientRouterDeps {
  payments: PaymentIntents;
  vault: CardVault;
  clock: Clock;
  clientSecrets: ClientSecrets;
  idempotency: Idempotency;
  /** The merchant's allowed origins for the intent in the path (empty if unknown). */
  originsForIntent(intentId: string): Promise<readonly string[]>;
  /** This server's own origins (public URL), for the same-origin check on tokens. */
  ownOrigins(): readonly string[];
  limits: Limits;
  /** Live-mode rules for tokens: known test cards are refused there. */
  live: { isLive(merchantId: string): boolean; isTestCard(digits: string): boolean };
}

export function clientRouter(deps: ClientRouterDeps): Router {
  const { payments, clientSecrets, idempotency } = deps;
  const router = Router();
  const present = Object.assign(async (intent: PaymentIntentRecord) => clientView(intent, await payments.savedPaymentMethod(intent)), { shopperFacing: true });
  const auth = clientAuth(clientSecrets);
  const json = bodyParsers({ form: false });
  const cors = clientCors(deps.originsForIntent);

  router.use(apiHeaders, deps.limits.clientPerIp, (_req, res, next) => {
    res.locals.presentIntent = present;
    next();
  });

  /** The intent this client secret may act on, or 404 for any other. */
  const ownIntent: RequestHandler = (req, res, next) => {
    const id = String(req.params.id);
    if (clientOf(res).sub !== id) throw notFound('payment_intent', id);
    next();
  };

  router
    .route('/payment_intents/:id')
    .all(cors)
    .get(auth, ownIntent, async (req, res) => {
      const { mid } = clientOf(res);
      res.json(await present(await payments.retrieve(mid, String(req.params.id))));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/payment_intents/:id/confirm')
    .all(cors)
    .post(auth, ownIntent, json, async (req: Request, res: Response) => {
      const { mid } = clientOf(res);
      const id = String(req.params.id);
      const input = parseBody(clientConfirmSchema, req, res);
      await idempotency.respond(req, res, { merchantId: mid, scope: `client:${id}` }, input, async (journal) => ({
        status: 200,
        body: await present(
          await payments.confirm(mid, id, { paymentMethod: input.payment_method, paymentMethodData: input.payment_method_data, setupFutureUsage: input.setup_future_usage }, journal),
        ),
      }));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/tokens')
    .post(sameOriginOnly(deps.ownOrigins), auth, json, async (req: Request, res: Response) => {
      const input = parseBody(createTokenSchema, req, res);
      // Card testers run many cards through one checkout: capped per address and per payment.
      await deps.limits.tokenization(req, clientOf(res).sub);
      res.json(await tokenizeCard(deps, clientOf(res).mid, input));
    })
    .all(methodNotAllowed('POST'));

  return router;
}
