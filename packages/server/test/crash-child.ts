/**
 * A Kassa server in a process of its own, for the crash tests (fault-injection.test.ts,
 * kill-loop.test.ts). It starts on KASSA_TEST_DATA_DIR and KASSA_TEST_PORT, tells its parent
 * over IPC that it is ready, and kills itself with SIGKILL — no handler, no flush, no
 * cleanup, as a power cut would stop it — when it reaches the fault point the parent armed.
 */
import { join } from 'node:path';
import { startKassa } from '../src/index.js';
import type { FaultPoint, KassaOptions, PaymentProvider } from '../src/index.js';
import { Sensitive } from '../src/domain/ports.js';
import { UNLIMITED, overriding } from './helpers.js';

export type ToChild = { type: 'arm'; point: FaultPoint; skip?: number } | { type: 'disarm' };
export type FromChild = { type: 'ready'; url: string; instanceId: string } | { type: 'armed'; point: FaultPoint | null };

const dataDir = process.env.KASSA_TEST_DATA_DIR;
const leaseMs = process.env.KASSA_TEST_LEASE_MS ? Number(process.env.KASSA_TEST_LEASE_MS) : undefined;
/** A provider that takes this long before it authorizes (a slow issuer), to hold a request in flight. */
const authorizeDelayMs = Number(process.env.KASSA_TEST_AUTHORIZE_DELAY_MS ?? '0');
const port = Number(process.env.KASSA_TEST_PORT ?? '0');
/**
 * The providers of test mode (`providerSpecs`, as `kassa serve` passes them), as JSON: each
 * secret field is a plain string here and made Sensitive, as the CLI does from the environment.
 */
const SECRET_FIELDS = new Set(['secretKey', 'apiKey', 'hmacKey', 'clientSecret', 'privateKey']);
const providerSpecs = process.env.KASSA_TEST_PROVIDER_SPECS
  ? (JSON.parse(process.env.KASSA_TEST_PROVIDER_SPECS, (key, value: unknown) => (SECRET_FIELDS.has(key) && typeof value === 'string' ? new Sensitive(value) : value)) as KassaOptions['providerSpecs'])
  : undefined;
const publicUrl = process.env.KASSA_TEST_PUBLIC_URL;
if (!dataDir || !process.send) throw new Error('crash-child needs KASSA_TEST_DATA_DIR and an IPC channel');
const send = (message: FromChild) => process.send?.(message);

let armed: { point: FaultPoint; skip: number } | null = null;
process.on('message', (message: ToChild) => {
  if (message.type === 'arm') armed = { point: message.point, skip: message.skip ?? 0 };
  else armed = null;
  send({ type: 'armed', point: armed?.point ?? null });
});

const kassa = await startKassa({
  dataDir,
  port,
  logLevel: process.env.KASSA_TEST_LOG_LEVEL ?? 'silent',
  allowedOrigins: ['http://localhost:3000'],
  widgetDistDir: join(dataDir, 'no-widget-here'),
  recoverOnStart: process.env.KASSA_TEST_RECOVER_ON_START !== '0',
  rateLimits: UNLIMITED,
  ...(leaseMs !== undefined ? { leaseMs } : {}),
  ...(providerSpecs ? { providerSpecs } : {}),
  ...(publicUrl ? { publicUrl } : {}),
  ...(process.env.KASSA_TEST_PROVIDER_TIMEOUT_MS ? { providerTimeoutMs: Number(process.env.KASSA_TEST_PROVIDER_TIMEOUT_MS) } : {}),
  actionPollIntervalMs: 0,
  ...(authorizeDelayMs > 0
    ? {
        wrapProvider: (inner: PaymentProvider): PaymentProvider =>
          overriding(inner, {
            authorize: async (r) => {
              await new Promise((resolve) => setTimeout(resolve, authorizeDelayMs));
              return inner.authorize(r);
            },
          }),
      }
    : {}),
  faults: {
    reach(point) {
      if (armed?.point !== point) return;
      if (armed.skip-- > 0) return;
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
send({ type: 'ready', url: kassa.url, instanceId: kassa.instanceId });
