/** Boots a real Kassa server (SQLite in a temp dir, port 0) and the demo in front of it. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKassa } from '@kassa/server';
import type { ApiErrorBody } from '../src/api-types.js';
import { startDemo, type DemoServer, type StartDemoOptions } from '../server/index.js';

export interface Stack {
  kassa: { url: string; secretKey: string; keysFile: string };
  demo: DemoServer;
  /** Another demo on the same Kassa with different options (closed with the stack). */
  startDemo(options: Partial<StartDemoOptions>): Promise<DemoServer>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kassa-demo-test-'));
  // A kassa.js of its own, so the pinned script tag does not depend on the widget being built.
  const widgetDistDir = join(dataDir, 'widget-dist');
  await mkdir(widgetDistDir);
  await writeFile(join(widgetDistDir, 'kassa.js'), 'console.log("kassa.js for the demo tests");\n');
  // Many checkouts from one address in a few seconds: the server's limits are tested in its own suite.
  const lots = { points: 1_000_000, seconds: 1 };
  const kassa = await startKassa({
    dataDir,
    port: 0,
    logLevel: 'silent',
    widgetDistDir,
    rateLimits: { perKey: lots, authFailuresPerIp: lots, clientPerIp: lots, tokensPerIp: lots, tokensPerIntent: lots },
  });
  if (!kassa.keys) throw new Error('a fresh Kassa data dir should create test keys');
  const secretKey = kassa.keys.secretKey;
  const extra: DemoServer[] = [];
  const demo = await startDemo({ port: 0, kassaUrl: kassa.url, secretKey });
  return {
    kassa: { url: kassa.url, secretKey, keysFile: kassa.keysFile },
    demo,
    async startDemo(options) {
      const d = await startDemo({ port: 0, kassaUrl: kassa.url, ...options } as StartDemoOptions);
      extra.push(d);
      return d;
    },
    async close() {
      await Promise.all([demo, ...extra].map((d) => d.close()));
      await kassa.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response body as the tests read it: the success shape or the error shape. */
export type Reply<T> = { status: number; body: T & Partial<ApiErrorBody> };

export async function postJson<T = unknown>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T & Partial<ApiErrorBody> };
}

export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as T & Partial<ApiErrorBody> };
}
