/**
 * Runs the demo from the environment:
 *   DEMO_PORT (3000), DEMO_HOST (127.0.0.1), KASSA_URL (http://127.0.0.1:4242),
 *   KASSA_PUBLIC_URL (KASSA_URL), KASSA_SECRET_KEY or KASSA_KEYS_FILE (.kassa/test-keys.json),
 *   DEMO_WALLETS (none; `alipay paypal`: offered beside cards on the plain shop page).
 */
import { fileURLToPath } from 'node:url';
import { startDemo } from './index.js';

const env = process.env;
const port = Number(env.DEMO_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`DEMO_PORT must be a port number, got ${env.DEMO_PORT}`);
  process.exit(1);
}
const kassaUrl = env.KASSA_URL ?? 'http://127.0.0.1:4242';
const WALLETS = ['alipay', 'paypal'] as const;
const wallets = (env.DEMO_WALLETS ?? '').split(/[\s,]+/).filter(Boolean);
const unknown = wallets.filter((w) => !(WALLETS as readonly string[]).includes(w));
if (unknown.length > 0) {
  console.error(`DEMO_WALLETS may name ${WALLETS.join(' and ')}, got ${unknown.join(', ')}`);
  process.exit(1);
}
const keysFile = env.KASSA_KEYS_FILE ?? fileURLToPath(new URL('../../.kassa/test-keys.json', import.meta.url));

const demo = await startDemo({
  port,
  ...(env.DEMO_HOST ? { host: env.DEMO_HOST } : {}),
  kassaUrl,
  ...(env.KASSA_PUBLIC_URL ? { kassaPublicUrl: env.KASSA_PUBLIC_URL } : {}),
  ...(env.KASSA_SECRET_KEY ? { secretKey: env.KASSA_SECRET_KEY } : { keysFile }),
  wallets: wallets as Array<(typeof WALLETS)[number]>,
});
console.log(`Kassa demo shop on ${demo.url} (Kassa at ${kassaUrl}${env.KASSA_SECRET_KEY ? '' : `, keys from ${keysFile}`})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void demo.close().then(() => process.exit(0));
  });
}
