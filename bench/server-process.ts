/**
 * A server under benchmark, in its own process so the load generator does not share its event
 * loop or core. Started by bench/run.ts with `node --import tsx bench/server-process.ts <kind>`;
 * reports `{ url, secretKey? }` over IPC once listening, exits on 'exit' or when the parent dies.
 *
 *   hello  — bare Express 5 answering "hello": the baseline every figure is divided by.
 *   kassa  — the real Kassa server: sandbox provider, fresh SQLite in a temp dir, port 0.
 *   receiver — a merchant's webhook endpoint: answers every POST 200 and counts them; the
 *              count is sent to the parent on the 'count' message.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';

// bench/ is not a workspace package: borrow Express from the server package that ships it.
const requireFromServer = createRequire(new URL('../packages/server/package.json', import.meta.url));

interface Ready {
  url: string;
  secretKey?: string;
}

async function startHello(): Promise<{ ready: Ready; close(): Promise<void> }> {
  const express = requireFromServer('express') as () => {
    get(path: string, handler: (req: unknown, res: { send(body: string): void }) => void): void;
    listen(port: number, host: string, cb: () => void): Server;
  };
  const app = express();
  app.get('/', (_req, res) => res.send('hello'));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    ready: { url: `http://127.0.0.1:${address.port}` },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function startReceiver(): Promise<{ ready: Ready; close(): Promise<void> }> {
  let delivered = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') delivered++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ delivered });
  });
  return {
    ready: { url: `http://127.0.0.1:${address.port}` },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function startKassaServer(): Promise<{ ready: Ready; close(): Promise<void> }> {
  const { startKassa } = await import('../packages/server/src/index.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'kassa-bench-'));
  // Rate limits on (their cost is measured), set above the load so they never refuse it.
  const lots = { points: 1_000_000_000, seconds: 1 };
  const rateLimits = { perKey: lots, authFailuresPerIp: lots, clientPerIp: lots, tokensPerIp: lots, tokensPerIntent: lots };
  const kassa = (await startKassa({ dataDir, port: 0, host: '127.0.0.1', allowedOrigins: ['http://localhost:3000'], rateLimits })) as unknown as {
    url: string;
    close(): Promise<void>;
  };
  const keys = JSON.parse(await readFile(join(dataDir, 'test-keys.json'), 'utf8')) as { secret_key: string };
  return {
    ready: { url: kassa.url.replace(/\/$/, ''), secretKey: keys.secret_key },
    async close() {
      await kassa.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const kind = process.argv[2];
const started =
  kind === 'hello' ? await startHello() : kind === 'kassa' ? await startKassaServer() : kind === 'receiver' ? await startReceiver() : null;
if (!started) {
  console.error(`usage: server-process.ts hello|kassa|receiver (got ${kind})`);
  process.exit(2);
}
const stop = async () => {
  await started.close();
  process.exit(0);
};
process.on('message', (m) => {
  if (m === 'exit') void stop();
});
process.on('disconnect', () => void stop());
process.send?.(started.ready);
