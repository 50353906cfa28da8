/**
 * `startDemo()` runs the demo storefront on its own origin, as a merchant would: its pages,
 * its bundles, and its backend that talks to Kassa with the secret key. Used by main.ts, the
 * quick-start script and the e2e tests.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { KassaClient, type SecretKeySource } from './kassa.js';
import { KassaScript } from './kassa-script.js';

export type StartDemoOptions = {
  /** Port to listen on; 0 picks a free one (tests). Default 3000. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (the URL still says localhost, see below). */
  host?: string;
  /** Kassa's base URL as this backend reaches it, e.g. http://127.0.0.1:4242. */
  kassaUrl: string;
  /** Kassa's URL as the shopper's browser reaches it (for `<script src=…/kassa.js>`); default kassaUrl. */
  kassaPublicUrl?: string;
  /** Where the Vite build went; default demo/dist. */
  distDir?: string;
  /**
   * After Kassa's /kassa.json could not be fetched, how long pages use the unpinned /kassa.js
   * before asking again; default 10 s (0: ask on every page view, for tests).
   */
  kassaScriptRetryMs?: number;
  /**
   * The wallets the shop offers beside cards (the ones Kassa's test mode has a provider for:
   * `DEMO_WALLETS`, which scripts/demo.sh derives from KASSA_PROVIDERS). Default none.
   */
  wallets?: ReadonlyArray<'alipay' | 'paypal'>;
} & SecretKeySource;

export interface DemoServer {
  /** `http://localhost:<port>`: a different *site* from Kassa's 127.0.0.1, on purpose. */
  url: string;
  close(): Promise<void>;
}

export async function startDemo(options: StartDemoOptions): Promise<DemoServer> {
  const source: SecretKeySource =
    'secretKey' in options && options.secretKey ? { secretKey: options.secretKey } : 'keysFile' in options && options.keysFile ? { keysFile: options.keysFile } : missingKey();
  const kassaUrl = options.kassaUrl.replace(/\/+$/, '');
  const kassaPublicUrl = (options.kassaPublicUrl ?? kassaUrl).replace(/\/+$/, '');
  const app = createApp({
    kassa: new KassaClient(kassaUrl, source),
    kassaPublicUrl,
    kassaScript: new KassaScript({
      kassaUrl,
      kassaPublicUrl,
      ...(options.kassaScriptRetryMs !== undefined ? { retryMs: options.kassaScriptRetryMs } : {}),
    }),
    distDir: options.distDir ?? fileURLToPath(new URL('../dist', import.meta.url)),
    wallets: options.wallets ?? [],
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 3000, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '0.0.0.0' || host === '::';
  return {
    url: `http://${loopback ? 'localhost' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function missingKey(): never {
  throw new Error('startDemo needs secretKey (sk_test_…) or keysFile (Kassa’s test-keys.json).');
}
