/**
 * The Express app: which routes exist, in what order, under which policies. Everything
 * it serves is assembled here from parts built elsewhere (use cases, routers, policies).
 */
import express from 'express';
import type { Express, Router } from 'express';
import type { PaymentIntents } from '../domain/payment-intents.js';
import type { Merchants } from '../domain/merchants.js';
import type { Customers } from '../domain/customers.js';
import type { CardVault, Clock, FaultPoints, Liveness } from '../domain/ports.js';
import type { Store } from '../store/port.js';
import type { Logger } from '../logger.js';
import { merchantAuth, operatorAuth } from './auth.js';
import { operatorRouter } from './routes/operator.js';
import type { Limits } from './limits.js';
import { stripeVersion } from './stripe-version.js';
import type { ClientSecrets } from './auth.js';
import { bodyParsers } from './body.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { Idempotency } from './idempotency.js';
import { requestLogger } from './logging.js';
import { apiHeaders } from './security.js';
import { merchantRouter } from './routes/merchant.js';
import { customersRouter } from './routes/customers.js';
import { clientRouter } from './routes/client.js';
import { pagesRouter } from './routes/pages.js';
import { webhookEndpointsRouter } from './routes/webhooks.js';
import { eventsRouter } from './routes/events.js';
import { referenceRouter } from './routes/reference.js';
import { useApp } from './route-walk.js';
import { COMPONENTS } from './openapi/components.js';
import { OPERATIONS } from './openapi/operations.js';
import type { MountedApi } from './openapi/operations.js';
import { balanceRouter } from './routes/balance.js';
import { actionsRouter } from './routes/actions.js';
import { htmlFormParsers } from './body.js';
import { challengeHeaders } from './security.js';
import type { ProviderDirectory } from '../domain/ports.js';
import type { ProviderAccounts } from '../provider-accounts.js';
import type { ProviderNotifications } from '../domain/provider-notifications.js';
import { Balances } from '../domain/balance.js';
import type { WebhookEndpoints } from '../webhooks/endpoints.js';
import type { Events } from '../webhooks/events.js';
import type { WebhookSecrets } from '../webhooks/secrets.js';

export interface AppDeps {
  store: Store;
  /** Merchants' own provider accounts (the operator API creates and deactivates them). */
  providerAccounts: ProviderAccounts;
  payments: PaymentIntents;
  merchants: Merchants;
  customers: Customers;
  /** Rate limits and card-testing caps (http/limits.ts). */
  limits: Limits;
  /** Express's `trust proxy`: behind a reverse proxy, so rate limits see the client's address. */
  trustProxy?: boolean | number | string;
  vault: CardVault;
  clock: Clock;
  /** Work tokens: who holds an idempotency key, and whether they still work on it. */
  liveness: Liveness;
  /** Crash hooks (fault-injection tests). */
  faults?: FaultPoints;
  clientSecrets: ClientSecrets;
  logger: Logger;
  widgetDistDir: string;
  /** Whether a card number is one of the sandbox's test cards (refused in live mode). */
  isTestCard(digits: string): boolean;
  /** The server's own origins (for the same-origin check on card tokenization). */
  ownOrigins(): readonly string[];
  /** The URL browsers reach this server at (set once it listens). */
  publicUrl(): string;
  /** Extra routers mounted as they are, e.g. the sandbox issuer's 3-D Secure pages, with their part of the API description. */
  mounts?: Array<{ path: string; router: Router; api: MountedApi }>;
  /** Webhook endpoints and events (/v1/webhook_endpoints, /v1/events). */
  webhooks: { endpoints: WebhookEndpoints; events: Events; secrets: WebhookSecrets };
  /** The configured providers and their inbound notifications (/actions, /providers/:type/…). */
  providers: { directory: ProviderDirectory; notifications: ProviderNotifications; pollIntervalMs?: number };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // API responses are not cacheable; static files set their own ETag.
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);

  const idempotency = new Idempotency(deps.store, deps.clock, deps.liveness, deps.logger, deps.faults);

  app.use(requestLogger(deps.logger));

  const { limits } = deps;
  app.use(
    '/operator',
    apiHeaders,
    limits.authGuard,
    limits.countingFailures(operatorAuth(deps.merchants)),
    ...bodyParsers({ form: false }),
    operatorRouter({ merchants: deps.merchants, payments: deps.payments, providerAccounts: deps.providerAccounts }),
  );

  app.use(
    '/v1',
    apiHeaders,
    stripeVersion,
    limits.authGuard,
    limits.countingFailures(merchantAuth(deps.merchants)),
    limits.perKey,
    ...bodyParsers({ form: true }),
    merchantRouter({ payments: deps.payments, customers: deps.customers, clientSecrets: deps.clientSecrets, idempotency }),
    customersRouter({ customers: deps.customers, idempotency }),
    webhookEndpointsRouter({ endpoints: deps.webhooks.endpoints, secrets: deps.webhooks.secrets, idempotency }),
    eventsRouter({ events: deps.webhooks.events }),
    balanceRouter({ balances: new Balances(deps.store, deps.clock) }),
  );

  app.use(
    '/client',
    clientRouter({
      payments: deps.payments,
      vault: deps.vault,
      clock: deps.clock,
      clientSecrets: deps.clientSecrets.forMerchants(deps.merchants),
      idempotency,
      originsForIntent: async (intentId) => {
        const intent = await deps.store.getIntentAnyMerchant(intentId);
        return intent ? deps.merchants.originsOf(intent.merchantId) : [];
      },
      ownOrigins: deps.ownOrigins,
      live: { isLive: (m) => deps.merchants.isLive(m), isTestCard: deps.isTestCard },
      limits: deps.limits,
    }),
  );

  const mounts = deps.mounts ?? [];
  app.use(
    referenceRouter({
      api: {
        operations: [...OPERATIONS, ...mounts.flatMap((m) => m.api.operations)],
        components: Object.assign({}, COMPONENTS, ...mounts.map((m) => m.api.components)),
      },
      publicUrl: deps.publicUrl,
    }),
  );

  // Through useApp, so that the route walk (route-walk.ts) sees into the pages' own sub-app.
  useApp(
    app,
    pagesRouter({
      widgetDistDir: deps.widgetDistDir,
      isAllowedOrigin: (origin) => deps.merchants.isKnownOrigin(origin),
      publicUrl: deps.publicUrl,
    }),
  );

  for (const mount of mounts) app.use(mount.path, mount.router);

  // Limited before the router reads a body or asks a provider (a refused request costs nothing more).
  app.use('/providers/:type/webhooks', limits.notificationsPerIp);
  app.use(['/actions', '/providers/:type/return'], limits.pagesPerIp);
  app.use(
    actionsRouter({
      payments: deps.payments,
      providers: deps.providers.directory,
      notifications: deps.providers.notifications,
      framedPageHeaders: challengeHeaders,
      formParser: htmlFormParsers,
      clientSecret: (intent) => deps.clientSecrets.mint(intent),
      ...(deps.providers.pollIntervalMs !== undefined ? { pollIntervalMs: deps.providers.pollIntervalMs } : {}),
    }),
  );

  app.use(apiHeaders, notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
