/**
 * `startKassa(options)`: the composition root. Builds the store, vault, provider and use
 * cases, wires the HTTP app, resumes interrupted payments, and listens.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import type { Currency } from '@kassa/core';
import { KEYS_FILE, OPERATOR_KEY_FILE, ensureDataDir, loadOrCreateSecrets, resolveConfig, writePrivateFile } from './config.js';
import type { KeysFile, OperatorKeyFile } from './config.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { Vault } from './vault/vault.js';
import { SandboxProvider } from './adapters/sandbox/provider.js';
import { challengeChoiceSchema, challengeQuerySchema, createChallengeRouter } from './adapters/sandbox/challenge-router.js';
import { isSandboxTestCard, stripeTestCard } from './adapters/sandbox/cards.js';
import { PaymentIntents } from './domain/payment-intents.js';
import { Merchants } from './domain/merchants.js';
import { Customers } from './domain/customers.js';
import type { MerchantKeys } from './domain/merchants.js';
import type { Clock, FaultPoints, PaymentProvider } from './domain/ports.js';
import { InstanceRegistry } from './instances.js';
import { DEFAULT_RATE_LIMITS, Limits } from './http/limits.js';
import type { RateLimits } from './http/limits.js';
import { ClientSecrets } from './http/auth.js';
import { createApp } from './http/app.js';
import { htmlFormParsers } from './http/body.js';
import { challengeHeaders } from './http/security.js';
import { sandboxOperations } from './http/openapi/operations.js';
import { servedRoutes } from './http/route-walk.js';
import type { ServedRoute } from './http/route-walk.js';
import { WebhookSecrets } from './webhooks/secrets.js';
import { WebhookEndpoints } from './webhooks/endpoints.js';
import { Events } from './webhooks/events.js';
import { WebhookWorker } from './webhooks/worker.js';
import { ProviderNotifications } from './domain/provider-notifications.js';
import { ConfiguredProviders } from './providers.js';
import type { RoutingRule } from './routing.js';
import type { BinTable } from './bin-table.js';

const listOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
import { saturation } from './saturation.js';
import { providerFromSpec } from './provider-config.js';
import { ProviderAccounts } from './provider-accounts.js';
import { deriveKey } from './vault/cipher.js';
import type { ProviderSpec } from './provider-config.js';
import { deliveryView } from './webhooks/views.js';

export type { MerchantKeys } from './domain/merchants.js';
export type { ServedRoute } from './http/route-walk.js';
export type { FaultPoint, FaultPoints, FaultStep, PaymentProvider, ProviderCapabilities } from './domain/ports.js';
export { createLogger } from './logger.js';

export interface KassaOptions {
  /** Where the databases, secrets and test keys live. Created if missing. */
  dataDir: string;
  /** 0 picks a free port (tests). Default 4242. */
  port?: number;
  host?: string;
  /** The URL browsers use to reach this server (client secret issuer, frame and 3DS URLs). */
  publicUrl?: string;
  /** Origins of the default merchant's shop pages (CORS, card frame, 3DS framing). */
  allowedOrigins?: string[];
  logLevel?: string;
  /** A ready logger (its redaction is then the caller's business). */
  logger?: Logger;
  /** Where a logger created here writes (default stdout). */
  logDestination?: DestinationStream;
  /** 32-byte vault key (hex or base64); generated into dataDir when absent. */
  vaultKey?: string;
  /** The widget package's dist/ (default: packages/widget/dist next to this package). */
  widgetDistDir?: string;
  /** Test seam: wrap the provider, e.g. to inject a timeout after it acted. */
  wrapProvider?: (provider: PaymentProvider) => PaymentProvider;
  /**
   * The provider of each mode: test defaults to the built-in sandbox issuer; live has none
   * until one is given (live payments are then refused with `provider_not_configured`).
   */
  providers?: { test?: PaymentProvider | PaymentProvider[]; live?: PaymentProvider | PaymentProvider[] };
  /**
   * The providers of each mode as configured (`kassa serve`): turned into adapters at start
   * (`providers` wins, for tests). Several per mode are tried in this order, unless a routing
   * rule decides otherwise.
   */
  providerSpecs?: { test?: ProviderSpec | ProviderSpec[]; live?: ProviderSpec | ProviderSpec[] };
  /** Each mode's routing rules (`src/routing.ts`): which provider a payment goes to, and its failover order. */
  routing?: { test?: RoutingRule[]; live?: RoutingRule[] };
  /** The operator's BIN table (`src/bin-table.ts`), for rules by the card's issuing country (`cardCountry`). */
  binTable?: BinTable;
  /** How long one provider call may take; past it the outcome is unknown and recovery settles it (default 30 s). */
  providerTimeoutMs?: number;
  /** How often Kassa's action page (QR code, provider window) may ask the provider where a payment stands (default 2 s). */
  actionPollIntervalMs?: number;
  /** Test seam: the clock (milliseconds). */
  now?: () => number;
  /** Test seam: crash hooks at every commit and provider call (the fault-injection tests kill the process there). */
  faults?: FaultPoints;
  /** How long this instance's lease on its locks lasts without renewal (default 15 s). */
  leaseMs?: number;
  /** Rate limits and card-testing caps, over the defaults (http/limits.ts DEFAULT_RATE_LIMITS). */
  rateLimits?: Partial<RateLimits>;
  /** Express's `trust proxy` (KASSA_TRUST_PROXY): set it behind a reverse proxy. */
  trustProxy?: boolean | number | string;
  /**
   * Test seam (default true): settle interrupted provider calls at start. Off, they are left to
   * the clients' retries and the periodic recovery, as another instance sharing the database
   * would find them.
   */
  recoverOnStart?: boolean;
  /**
   * How long the webhook worker pauses when nothing is due (default 1 s). 0 (a test seam):
   * it never runs by itself, and only `deliverWebhooks()` delivers.
   */
  webhookPollMs?: number;
  /**
   * How saturated the event loop must be (utilization over the last 100 ms, 0–1) while requests
   * are being served for webhook deliveries to keep to their floor (default 0.8; tests set 0).
   */
  webhookBusyUtilization?: number;
  /** Test seam: the webhook retries' jitter, a number in [0, 1) (default Math.random). */
  webhookRandom?: () => number;
  /** Bound on one webhook attempt (default 15 s). */
  webhookTimeoutMs?: number;
}

export interface KassaServer {
  url: string;
  port: number;
  /** Keys of the default merchant when created by this start; null when they already existed. */
  keys: { merchant: string; secretKey: string; publishableKey: string } | null;
  keysFile: string;
  /** The operator key when this start created it (it is also written to `operatorKeyFile`); null afterwards. */
  operatorKey: string | null;
  operatorKeyFile: string;
  /** The default merchant's id. */
  merchant: string;
  /** This process's instance id (the prefix of the work tokens that own its locks). */
  instanceId: string;
  /** Creates another merchant with its own keys (multi-merchant tests, the CLI). */
  createMerchant(options?: { name?: string; allowedOrigins?: string[] }): Promise<MerchantKeys>;
  /** The sandbox issuer's view of a card account (QA, tests). */
  sandboxAccount(cardNumber: string, currency: Currency): { balance: number; held: number } | null;
  /** Asks the provider about calls that failed on our side (intents `unknown`) and settles them; also runs at start and every minute. */
  recover(): Promise<number>;
  /** Asks the providers about every payment they answered `pending` now (what the minute timer does for the ones waiting longer); resolves to how many. */
  askAwaiting(): Promise<number>;
  /** Applies the provider notifications stored and not applied yet, now (what the minute timer does for those received over a minute ago); resolves to how many. */
  applyNotifications(): Promise<number>;
  /** Ends every failover a crash left off and no retry carried on, now, as its decline (what the minute timer does after 10 minutes); resolves to how many. */
  closeLeftOffFailovers(): Promise<number>;
  /** Delivers every webhook due now (fan-out included) and resolves to the number of attempts made. */
  deliverWebhooks(): Promise<number>;
  /**
   * Forgets what need not be kept: answers of idempotency keys finished over 24 hours ago (Stripe's
   * window), tokens never used that expired over an hour ago, and sealed cards nothing refers to.
   * Also runs at start and every hour.
   */
  housekeep(): Promise<Housekeeping>;
  /** The deliveries read model of one endpoint, newest first, with every attempt (a dashboard, tests). */
  webhookDeliveries(merchantId: string, endpointId: string, limit?: number): Promise<Array<ReturnType<typeof deliveryView>>>;
  /** Every method and path this server answers, read from its router stack (what /openapi.json must describe). */
  routes(): ServedRoute[];
  close(): Promise<void>;
}

export { KEYS_FILE, OPERATOR_KEY_FILE } from './config.js';
const VAULT_KEY_CHECK = 'vault_key_check';
const RECOVERY_AFTER_MS = 60_000;
/** How long a confirmation a crash left mid-failover waits for the client's same-key retry before it ends as its decline. */
const LEFT_OFF_FAILOVER_MS = 10 * 60_000;
const HOUSEKEEPING_EVERY_MS = 60 * 60_000;
/** Stripe keeps an idempotency key's answer for at least 24 hours; so do we, then it goes. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60_000;
/** An unused token is dead once expired; the hour's grace covers a confirm racing its expiry. */
export const UNUSED_CARD_RETENTION_MS = 60 * 60_000;

export interface Housekeeping {
  /** Uncaptured authorizations older than 7 days, released and canceled (`automatic`). */
  authorizations: number;
  idempotencyKeys: number;
  tokens: number;
  cards: number;
}

export async function startKassa(options: KassaOptions): Promise<KassaServer> {
  // LOG_LEVEL from the environment when not given (bench and CI quiet the server that way).
  const config = resolveConfig({ ...options, logLevel: options.logLevel ?? process.env.LOG_LEVEL });
  ensureDataDir(config.dataDir);
  const logger = options.logger ?? createLogger({ level: config.logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const clock: Clock = { now: options.now ?? Date.now };
  const secrets = loadOrCreateSecrets(config.dataDir, options.vaultKey ?? process.env.KASSA_VAULT_KEY);

  let publicUrl = config.publicUrl ?? '';
  const store = new SqliteStore(join(config.dataDir, 'kassa.sqlite'));
  const vault = new Vault(store, secrets.vaultKey, clock, logger);
  const sandbox = new SandboxProvider({
    path: join(config.dataDir, 'sandbox.sqlite'),
    fingerprintKey: Buffer.from(hkdfSync('sha256', secrets.serverSecret, Buffer.alloc(0), 'kassa sandbox issuer fingerprint', 32)),
    publicUrl: () => publicUrl,
    clock,
  });
  let instance: InstanceRegistry | undefined;
  let webhookWorker: WebhookWorker | undefined;
  let providerAccounts: ProviderAccounts | undefined;
  const closeAll = async () => {
    // First: its attempts in flight give their deliveries back while the store is open.
    await webhookWorker?.stop();
    providerAccounts?.stop();
    vault.close();
    await instance?.stop();
    await sandbox.close();
    await store.close();
  };

  try {
    // A different vault key would make every stored card unreadable: refuse to start instead.
    const check = await store.getSetting(VAULT_KEY_CHECK);
    if (check === null) await store.setSetting(VAULT_KEY_CHECK, vault.keyCheck());
    else if (check !== vault.keyCheck()) throw new Error('the vault key does not match the one this data directory was created with (KASSA_VAULT_KEY)');

    // Before anything takes a lock: who this process is, and which earlier instances are gone.
    instance = await InstanceRegistry.start(store, clock, logger, options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {});
    const configured = async (mode: 'test' | 'live'): Promise<PaymentProvider[]> => {
      const given = options.providers?.[mode];
      const specs = options.providerSpecs?.[mode];
      const list = given
        ? listOf(given)
        : specs
          ? await Promise.all(listOf(specs).map((spec) => providerFromSpec(spec, { mode, sandbox, publicUrl: config.publicUrl })))
          : mode === 'test'
            ? [sandbox]
            : [];
      return options.wrapProvider ? list.map((p) => options.wrapProvider!(p)) : list;
    };
    const merchants = new Merchants(store, clock);
    // Merchants' own provider accounts: built like the server's, their keys sealed under a key
    // of their own derived from the vault's (the card key itself encrypts cards only).
    const accounts = new ProviderAccounts({
      store,
      merchants,
      clock,
      logger,
      key: deriveKey(secrets.vaultKey, 'provider account secrets'),
      // Built while the server listens: without a configured public URL, the one it listens on
      // (what its own 3-D Secure pages use too) is where shoppers come back.
      build: async (spec, mode) => {
        const provider = await providerFromSpec(spec, { mode, sandbox, publicUrl: publicUrl || undefined });
        return options.wrapProvider ? options.wrapProvider(provider) : provider;
      },
    });
    providerAccounts = accounts;
    const providers = new ConfiguredProviders(
      { test: await configured('test'), live: await configured('live') },
      // Intents paid at the sandbox before test mode moved to a real provider are still captured and refunded there.
      [sandbox],
      options.routing ?? {},
      accounts,
      options.binTable,
    );
    const payments = new PaymentIntents({
      store,
      providers,
      vault,
      clock,
      logger,
      liveness: instance,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.providerTimeoutMs !== undefined ? { providerTimeoutMs: options.providerTimeoutMs } : {}),
      // Stripe's test ids stand for sandbox cards, in test mode.
      testCard: stripeTestCard,
      isLive: (merchantId) => merchants.isLive(merchantId),
      publicUrl: () => publicUrl,
      providerKey: (merchantId, key, operation) =>
        createHmac('sha256', secrets.serverSecret).update(`${merchantId}|${key}|${operation}`).digest('base64url'),
    });
    const customers = new Customers({
      store,
      clock,
      vault,
      testCard: stripeTestCard,
      isLive: (merchantId) => merchants.isLive(merchantId),
      ...(options.faults ? { faults: options.faults } : {}),
    });
    const clientSecrets = new ClientSecrets(secrets.clientSecretKey, () => publicUrl, clock);
    const providerNotifications = new ProviderNotifications({ store, payments, clock, logger });
    // Endpoint signing secrets are sealed under a key of their own, derived from the server secret.
    const webhookSecrets = new WebhookSecrets(
      Buffer.from(hkdfSync('sha256', secrets.serverSecret, Buffer.alloc(0), 'kassa webhook endpoint secrets', 32)),
    );
    const webhookEndpoints = new WebhookEndpoints({ store, clock, secrets: webhookSecrets });
    const events = new Events(store);
    // Payments first: while requests are being served on a saturated event loop, deliveries keep
    // to their floor (worker.ts). Below saturation they go at full speed, requests or not.
    let serving = 0;
    const saturated = saturation(options.webhookBusyUtilization ?? 0.8);
    webhookWorker = new WebhookWorker(
      { store, secrets: webhookSecrets, liveness: instance, clock, logger },
      {
        busy: () => serving > 0 && saturated(),
        ...(options.webhookPollMs !== undefined ? { pollMs: options.webhookPollMs } : {}),
        ...(options.webhookRandom ? { random: options.webhookRandom } : {}),
        ...(options.webhookTimeoutMs !== undefined ? { timeoutMs: options.webhookTimeoutMs } : {}),
      },
    );

    const defaults = await merchants.ensureDefault(config.allowedOrigins);
    const keysFile = join(config.dataDir, KEYS_FILE);
    if (defaults.created) {
      const k = defaults.created;
      if (!existsSync(keysFile)) {
        const file: KeysFile = { merchant: k.merchant, secret_key: k.secretKey, publishable_key: k.publishableKey };
        writePrivateFile(keysFile, `${JSON.stringify(file, null, 2)}\n`);
      }
    }

    // The operator API's key: made on first start, stored hashed, shown once (and kept in a
    // 0600 file beside the test keys, which an operator may delete once it is safe elsewhere).
    const operatorKey = await merchants.ensureOperatorKey();
    const operatorKeyFile = join(config.dataDir, OPERATOR_KEY_FILE);
    if (operatorKey && !existsSync(operatorKeyFile)) {
      const file: OperatorKeyFile = { operator_key: operatorKey };
      writePrivateFile(operatorKeyFile, `${JSON.stringify(file, null, 2)}\n`);
    }

    const challengeRouter = createChallengeRouter({
      sandbox,
      framingOrigins: async (challengeId) => (await payments.actionContext(challengeId))?.allowedOrigins ?? null,
      onDecided: async (challengeId) => (await payments.completeAction(challengeId)).id,
      framedPageHeaders: challengeHeaders,
      formParser: htmlFormParsers,
      formTokenKey: Buffer.from(hkdfSync('sha256', secrets.serverSecret, Buffer.alloc(0), 'kassa sandbox 3ds form token', 32)),
      returnTo: async (challengeId) => {
        const found = await payments.actionContext(challengeId);
        if (!found || !found.intent.returnUrl) return null;
        const intent = found.intent;
        // Stripe's return: the intent, its client secret (to read it from the page) and how it went.
        const back = new URL(intent.returnUrl ?? '');
        back.searchParams.set('payment_intent', intent.id);
        back.searchParams.set('payment_intent_client_secret', clientSecrets.mint(intent));
        back.searchParams.set('redirect_status', redirectStatus(intent.status));
        return back.href;
      },
    });

    const app = createApp({
      store,
      payments,
      merchants,
      customers,
      isTestCard: isSandboxTestCard,
      limits: new Limits({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, logger),
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
      vault,
      clock,
      liveness: instance,
      ...(options.faults ? { faults: options.faults } : {}),
      clientSecrets,
      logger,
      widgetDistDir: config.widgetDistDir,
      ownOrigins: () => (publicUrl ? [new URL(publicUrl).origin] : []),
      publicUrl: () => publicUrl,
      mounts: [{ path: '/sandbox', router: challengeRouter, api: sandboxOperations({ query: challengeQuerySchema, choice: challengeChoiceSchema }) }],
      webhooks: { endpoints: webhookEndpoints, events, secrets: webhookSecrets },
      providerAccounts: accounts,
      providers: {
        directory: providers,
        notifications: providerNotifications,
        ...(options.actionPollIntervalMs !== undefined ? { pollIntervalMs: options.actionPollIntervalMs } : {}),
      },
    });

    const server = createServer(app);
    server.on('request', (_req, res: ServerResponse) => {
      serving++;
      res.once('close', () => serving--);
    });
    // Slow clients must not hold sockets forever; Node's defaults are generous.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    publicUrl = config.publicUrl ?? url;
    // Once the public URL is known: the accounts' adapters send shoppers back there.
    await accounts.refresh();
    accounts.start();

    if (options.recoverOnStart !== false) {
      const recovered = await payments.recoverInterrupted();
      if (recovered > 0) logger.warn({ recovered }, 'settled interrupted payments');
      // Acknowledged before the last stop and not applied yet.
      const applied = await providerNotifications.applyPending();
      if (applied > 0) logger.warn({ applied }, 'applied provider notifications left from before the restart');
    }
    // A provider that timed out leaves intents `unknown`; ask it again now and then.
    // A provider that answered `pending` and whose notification has not come: ask it, at most once a minute per payment.
    const recoveryTimer = setInterval(() => {
      payments.recoverInterrupted({ unknownOlderThanMs: RECOVERY_AFTER_MS }).catch((err: unknown) => logger.error({ err }, 'recovery failed'));
      payments.askAwaiting({ olderThanMs: RECOVERY_AFTER_MS }).catch((err: unknown) => logger.error({ err }, 'asking about pending payments failed'));
      // A notification that could not be applied when it came (a call on its intent was open) is not left to the next start.
      providerNotifications.applyPending(100, RECOVERY_AFTER_MS).catch((err: unknown) => logger.error({ err }, 'applying provider notifications failed'));
      // A confirmation a crash left mid-failover waits for its same-key retry this long, then ends as its decline.
      payments.closeLeftOffFailovers({ olderThanMs: LEFT_OFF_FAILOVER_MS }).catch((err: unknown) => logger.error({ err }, 'closing left-off failovers failed'));
    }, RECOVERY_AFTER_MS);
    recoveryTimer.unref();
    const housekeep = async (): Promise<Housekeeping> => {
      const now = clock.now();
      const idempotencyKeys = await store.pruneIdempotencyKeys(now - IDEMPOTENCY_RETENTION_MS);
      const purged = await store.purgeUnusedCards(now - UNUSED_CARD_RETENTION_MS);
      const authorizations = await payments.expireAuthorizations();
      const done = { authorizations, idempotencyKeys, ...purged };
      if (authorizations + idempotencyKeys + purged.tokens + purged.cards > 0) logger.info(done, 'housekeeping');
      return done;
    };
    const runHousekeeping = (): void => {
      housekeep().catch((err: unknown) => logger.error({ err }, 'housekeeping failed'));
    };
    await housekeep();
    const housekeepingTimer = setInterval(runHousekeeping, HOUSEKEEPING_EVERY_MS);
    housekeepingTimer.unref();
    // Deliveries left pending by an earlier run (or a crash) are in the database: this picks them up.
    webhookWorker.start();
    logger.info({ url, publicUrl, dataDir: config.dataDir, allowedOrigins: config.allowedOrigins }, 'kassa listening');

    let closed = false;
    const worker = webhookWorker;
    return {
      url,
      port,
      keys: defaults.created,
      keysFile,
      operatorKey,
      operatorKeyFile,
      merchant: defaults.merchant,
      instanceId: instance.instanceId,
      createMerchant: (o = {}) => merchants.create({ allowedOrigins: o.allowedOrigins ?? config.allowedOrigins, ...(o.name ? { name: o.name } : {}) }),
      sandboxAccount: (cardNumber, currency) => sandbox.account(cardNumber, currency),
      recover: () => payments.recoverInterrupted({ unknownOlderThanMs: 0 }),
      askAwaiting: () => payments.askAwaiting({ olderThanMs: 0 }),
      applyNotifications: () => providerNotifications.applyPending(100, 0),
      closeLeftOffFailovers: () => payments.closeLeftOffFailovers({ olderThanMs: 0 }),
      deliverWebhooks: () => worker.drain(),
      housekeep,
      webhookDeliveries: async (merchantId, endpointId, limit = 50) => (await store.webhookDeliveries(merchantId, endpointId, limit)).map(deliveryView),
      routes: () => servedRoutes(app),
      close: async () => {
        if (closed) return;
        closed = true;
        clearInterval(recoveryTimer);
        clearInterval(housekeepingTimer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await closeAll();
        logger.flush?.();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Stripe's `redirect_status` for a payment the shopper comes back from. */
function redirectStatus(status: string): 'succeeded' | 'failed' | 'processing' {
  if (status === 'succeeded' || status === 'requires_capture') return 'succeeded';
  if (status === 'requires_payment_method' || status === 'canceled') return 'failed';
  return 'processing';
}

export type { ProviderSpec } from './provider-config.js';
export { PROVIDER_TYPES } from './provider-config.js';
export { BinTable, BinTableError } from './bin-table.js';

