#!/usr/bin/env -S node --import tsx
/**
 * `kassa-server`: starts Kassa from environment variables.
 *
 *   KASSA_PORT=4242  KASSA_HOST=127.0.0.1  KASSA_PUBLIC_URL  KASSA_DATA_DIR=.kassa
 *   KASSA_ALLOWED_ORIGINS=http://localhost:3000,http://127.0.0.1:3000  KASSA_VAULT_KEY  LOG_LEVEL=info
 *   KASSA_TRUST_PROXY (behind a reverse proxy: true, a hop count, or addresses such as loopback)
 *
 * Test keys are printed once, on the start that creates them.
 */
import { DEFAULT_PORT, parseOriginList, parseTrustProxy } from './config.js';
import { startKassa } from './index.js';

function envPort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`KASSA_PORT must be a port number, got "${value}"`);
  return port;
}

async function main(): Promise<void> {
  const env = process.env;
  const kassa = await startKassa({
    dataDir: env.KASSA_DATA_DIR || '.kassa',
    port: envPort(env.KASSA_PORT),
    ...(env.KASSA_HOST ? { host: env.KASSA_HOST } : {}),
    ...(env.KASSA_PUBLIC_URL ? { publicUrl: env.KASSA_PUBLIC_URL } : {}),
    ...(env.KASSA_ALLOWED_ORIGINS ? { allowedOrigins: parseOriginList(env.KASSA_ALLOWED_ORIGINS) } : {}),
    ...(env.LOG_LEVEL ? { logLevel: env.LOG_LEVEL } : {}),
    ...(env.KASSA_WIDGET_DIR ? { widgetDistDir: env.KASSA_WIDGET_DIR } : {}),
    ...(env.KASSA_TRUST_PROXY ? { trustProxy: parseTrustProxy(env.KASSA_TRUST_PROXY) } : {}),
  });

  if (kassa.keys) {
    // Shown once, on purpose outside the (redacting) logger: this is the one time they exist in clear.
    process.stdout.write(
      [
        '',
        'Kassa test keys (shown once; also written to the keys file, mode 0600):',
        `  merchant         ${kassa.keys.merchant}`,
        `  secret key       ${kassa.keys.secretKey}`,
        `  publishable key  ${kassa.keys.publishableKey}`,
        `  keys file        ${kassa.keysFile}`,
        '',
      ].join('\n') + '\n',
    );
  }
  if (kassa.operatorKey) {
    process.stdout.write(
      [
        'Kassa operator key (shown once; registers merchants and activates live mode — keep it off merchant machines):',
        `  operator key     ${kassa.operatorKey}`,
        `  key file         ${kassa.operatorKeyFile} (mode 0600; delete it once the key is stored safely)`,
        '',
      ].join('\n') + '\n',
    );
  }
  process.stdout.write(`Kassa listening on ${kassa.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    kassa.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`kassa: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
