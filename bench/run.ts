/**
 * `pnpm bench`: bundle sizes against their budgets, then HTTP throughput and p99 latency of
 * Kassa's hot paths as ratios to a bare Express 5 "hello" measured in the same run (absolute
 * figures on shared machines move by up to 40% between runs; ratios move far less).
 *
 *   node --import tsx bench/run.ts            # print the results
 *   node --import tsx bench/run.ts --record   # also rewrite the results block in docs/BENCHMARKS.md
 *
 * Every server runs in its own process (bench/server-process.ts) and autocannon runs here, on
 * loopback. Each measurement is bounded (~10 s). Nothing here is a test: no figure fails a build,
 * except a bundle over its size budget, which exits non-zero.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type autocannonType from 'autocannon';
import { fieldsReady, type FieldsReady } from './fields-ready.js';
import { AMOUNT, json, savedCard } from './kassa-client.js';
import { bundleSizes as measureBundles, localeChunks } from '../packages/widget/size-budget.mjs';

// bench/ is not a workspace package: autocannon comes from the e2e package that ships it.
const requireFromE2e = createRequire(new URL('../e2e/package.json', import.meta.url));
const autocannon = requireFromE2e('autocannon') as typeof autocannonType;

const ROOT = new URL('../', import.meta.url);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** BENCH_WEBHOOKS=0 leaves the webhook endpoint out, to see what delivery costs (compare runs). */
const WEBHOOKS = process.env.BENCH_WEBHOOKS !== '0';
const KB = 1024;

// ---- bundle sizes ---------------------------------------------------------------------------

interface SizeRow {
  file: string;
  raw: number;
  gzip: number;
  budget: number;
}

/** Measured the one way the budgets are (packages/widget/size-budget.mjs: gzip -9, 12 KiB). */
async function bundleSizes(): Promise<SizeRow[]> {
  try {
    return measureBundles().map((s) => ({ file: s.name, raw: s.raw, gzip: s.gzip, budget: s.budget }));
  } catch {
    throw new Error('the widget is not built: pnpm --filter @kassa/widget build');
  }
}

// ---- servers under test ---------------------------------------------------------------------

interface Ready {
  url: string;
  secretKey?: string;
}

async function startServer(kind: 'hello' | 'kassa' | 'receiver'): Promise<{ ready: Ready; child: ChildProcess }> {
  const child = fork(fileURLToPath(new URL('server-process.ts', import.meta.url)), [kind], {
    execArgv: ['--import', 'tsx', ...(kind === 'kassa' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
    // Request logs would measure the terminal, not the server.
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', KASSA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`${kind} server exited early (code ${code})`)));
  });
  return { ready, child };
}

/** How many webhook deliveries the receiver process has answered so far. */
function delivered(receiver: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    receiver.once('message', (m) => resolve((m as { delivered: number }).delivered));
    receiver.send('count');
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

// ---- load -----------------------------------------------------------------------------------

interface Measurement {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  ok: number;
  bad: number;
  seconds: number;
}

type Options = autocannonType.Options;

async function load(name: string, options: Options, stopAfterS = DURATION_S): Promise<Measurement> {
  let instance: autocannonType.Instance | undefined;
  const done = new Promise<autocannonType.Result>((resolve, reject) => {
    instance = autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options }, (err: unknown, result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
  });
  // `amount` runs ignore `duration`; the timer keeps those bounded too.
  const timer = setTimeout(() => instance?.stop(), (stopAfterS + 2) * 1000);
  const result = await done;
  clearTimeout(timer);
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    ok,
    bad,
    seconds: result.duration,
  };
}

interface Intent {
  id: string;
  secret: string;
}

export interface Webhooks {
  /** Deliveries the receiver had answered when the last row ended. */
  duringRows: number;
  /** All deliveries, once the outbox was drained (no new one for 2 s). */
  total: number;
  /** Seconds from the end of the last row until the outbox was drained. */
  drainS: number;
}

interface KassaRun {
  rows: Measurement[];
  pool: number;
  refunded: number;
  webhooks: Webhooks;
}

async function benchKassa(kassa: string, secretKey: string, receiver: { url: string; child: ChildProcess }): Promise<KassaRun> {
  // Webhook delivery on: every event goes to a merchant endpoint in its own process, while the
  // rows run (the worker shares the server's event loop and database, as in production).
  if (WEBHOOKS) {
    await json(`${kassa}/v1/webhook_endpoints`, {
      method: 'POST',
      auth: secretKey,
      body: JSON.stringify({ url: `${receiver.url}/webhooks`, enabled_events: ['*'] }),
    });
  }
  const { customer, pm } = await savedCard(kassa, secretKey);
  const rows: Measurement[] = [];

  // 1. Create: the merchant backend's write path; its responses become the confirm pool.
  const pool: Intent[] = [];
  const createBody = JSON.stringify({ amount: AMOUNT, currency: 'cny', customer });
  rows.push(
    await load('POST /v1/payment_intents (create)', {
      url: kassa,
      requests: [
        {
          method: 'POST',
          path: '/v1/payment_intents',
          setupRequest: (req) => ({
            ...req,
            headers: {
              authorization: `Bearer ${secretKey}`,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body: createBody,
          }),
          onResponse: (status, body) => {
            if (status !== 200) return;
            const pi = JSON.parse(body) as { id: string; client_secret: string };
            pool.push({ id: pi.id, secret: pi.client_secret });
          },
        },
      ],
    }),
  );

  // 2. Confirm: one-click pay with the saved card, each request on its own intent and key.
  let next = 0;
  const paid: string[] = [];
  const confirmBody = JSON.stringify({ payment_method: pm });
  rows.push(
    await load('POST /client/payment_intents/:id/confirm', {
      url: kassa,
      amount: pool.length,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const intent = pool[next++ % pool.length]!;
            return {
              ...req,
              path: `/client/payment_intents/${intent.id}/confirm`,
              headers: {
                authorization: `Bearer ${intent.secret}`,
                'content-type': 'application/json',
                'idempotency-key': randomUUID(),
              },
              body: confirmBody,
            };
          },
          onResponse: (status, body) => {
            if (status === 200) paid.push((JSON.parse(body) as { id: string }).id);
          },
        },
      ],
    }),
  );

  // 3. Read: what the widget fetches on load, rotating over the same intents.
  let read = 0;
  rows.push(
    await load('GET /client/payment_intents/:id (read)', {
      url: kassa,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            const intent = pool[read++ % pool.length]!;
            return { ...req, path: `/client/payment_intents/${intent.id}`, headers: { authorization: `Bearer ${intent.secret}` } };
          },
        },
      ],
    }),
  );

  // 4. Refund: the merchant backend gives a payment back in full, each paid intent once, with
  //    its own idempotency key (a provider call at the sandbox issuer, ledger entries, events).
  let refund = 0;
  rows.push(
    await load('POST /v1/refunds', {
      url: kassa,
      amount: paid.length,
      requests: [
        {
          method: 'POST',
          path: '/v1/refunds',
          setupRequest: (req) => ({
            ...req,
            headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ payment_intent: paid[refund++ % paid.length] }),
          }),
        },
      ],
    }),
  );

  const duringRows = await delivered(receiver.child);
  const endedAt = Date.now();
  let total = duringRows;
  let stableSince = Date.now();
  while (Date.now() - stableSince < 2000 && Date.now() - endedAt < 120_000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await delivered(receiver.child);
    if (now !== total) {
      total = now;
      stableSince = Date.now();
    }
  }
  return { rows, pool: pool.length, refunded: paid.length, webhooks: { duringRows, total, drainS: (stableSince - endedAt) / 1000 } };
}

// ---- report ---------------------------------------------------------------------------------

function fmtKB(bytes: number): string {
  return `${(bytes / KB).toFixed(1)} KB`;
}

function report(sizes: SizeRow[], baseline: Measurement, kassa: Measurement[], run: Omit<KassaRun, 'rows'>, browser: FieldsReady): string {
  const { pool, refunded, webhooks } = run;
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    `Run on ${date} — ${availableParallelism()} × ${cpu}, Node ${process.version}, ${process.platform}; ` +
      `autocannon ${CONNECTIONS} connections, ~${DURATION_S} s per row, loopback, servers in their own process.`,
    '',
    '| bundle | raw | gzip -9 | budget |',
    '| --- | ---: | ---: | --- |',
    ...sizes.map((s) => `| ${s.file} | ${fmtKB(s.raw)} | ${fmtKB(s.gzip)} | ${fmtKB(s.budget)} ${s.gzip <= s.budget ? '✓' : '**over**'} |`),
    '',
    `Locale chunks of the frame, loaded only for their locale: ${localeChunks()
      .map((c) => `${c.file.replace('frame/', '')} ${fmtKB(c.gzip)}`)
      .join(', ')}.`,
    '',
    '| navigation → ready, Chromium, cold cache | median ms | runs (ms) |',
    '| --- | ---: | --- |',
    `| bare page with one cross-origin iframe (baseline) | ${Math.round(browser.bareMedian)} | ${browser.bareMs.map(Math.round).join(', ')} |`,
    `| kassa.js + \`<kassa-checkout>\`, fields ready (\`kassa-ready\`) | ${Math.round(browser.kassaMedian)} | ${browser.kassaMs.map(Math.round).join(', ')} |`,
    '',
    `Fields ready in **${browser.ratio.toFixed(2)}×** the time of the bare cross-origin iframe (medians of ${browser.runs} alternating runs).`,
    '',
    '| endpoint | req/s | p50 ms | p99 ms | × Express req/s | × Express p99 | non-2xx/errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[baseline, ...kassa].map(
      (m) =>
        `| ${m.name} | ${Math.round(m.rps).toLocaleString('en')} | ${m.p50} | ${m.p99} | ` +
        `${(m.rps / baseline.rps).toFixed(3)} | ${(m.p99 / Math.max(baseline.p99, 1)).toFixed(1)} | ${m.bad} |`,
    ),
    '',
    `Confirm pool: ${pool.toLocaleString('en')} intents created in the create row, each confirmed at most once ` +
      `(saved Visa, fresh idempotency key per request); refunds: each of the ${refunded.toLocaleString('en')} paid intents ` +
      `refunded in full at most once. Rate limits on (set above the load, so they are checked and never refuse).`,
    '',
    WEBHOOKS
      ? `Webhook delivery on (one endpoint, all events, a receiver in its own process): ` +
        `${webhooks.duringRows.toLocaleString('en')} deliveries during the Kassa rows, ${webhooks.total.toLocaleString('en')} in all ` +
        `once the outbox was drained, ${webhooks.drainS.toFixed(1)} s after the last row.`
      : 'Webhook delivery off (BENCH_WEBHOOKS=0): no endpoint, events stay in the outbox.',
  ];
  return lines.join('\n');
}

async function record(markdown: string): Promise<void> {
  const docs = new URL('docs/BENCHMARKS.md', ROOT);
  const text = await readFile(docs, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error('docs/BENCHMARKS.md has no bench:start/bench:end markers');
  await writeFile(docs, `${text.slice(0, a + start.length)}\n${markdown}\n${text.slice(b)}`);
}

async function main(): Promise<void> {
  const sizes = await bundleSizes();
  for (const s of sizes) console.log(`${s.file}: ${fmtKB(s.gzip)} gzip (budget ${fmtKB(s.budget)})${s.gzip > s.budget ? '  OVER BUDGET' : ''}`);

  console.log('\nChromium: navigation → fields ready vs a bare cross-origin iframe…');
  const browser = await fieldsReady();
  console.log(`fields ready ${Math.round(browser.kassaMedian)} ms, bare iframe ${Math.round(browser.bareMedian)} ms: ${browser.ratio.toFixed(2)}×`);

  console.log(`\nExpress 5 hello (baseline), ${DURATION_S} s…`);
  const hello = await startServer('hello');
  let baseline: Measurement;
  try {
    await load('warm-up', { url: hello.ready.url, duration: 2 }, 2);
    baseline = await load('Express 5 "hello" (baseline)', { url: hello.ready.url });
  } finally {
    await stopServer(hello.child);
  }

  console.log('Kassa: create, confirm, read, refund, with webhook delivery…');
  const receiver = await startServer('receiver');
  const kassa = await startServer('kassa');
  let result: KassaRun;
  try {
    result = await benchKassa(kassa.ready.url, kassa.ready.secretKey ?? '', { url: receiver.ready.url, child: receiver.child });
  } finally {
    await stopServer(kassa.child);
    await stopServer(receiver.child);
  }

  // The baseline again at the end: if it moved a lot, the machine was busy and the ratios
  // above are suspect (shared machines drift by tens of percent).
  console.log('Express 5 hello again (drift check)…');
  const helloAgain = await startServer('hello');
  try {
    result.rows.push(await load('Express 5 "hello" again (drift check)', { url: helloAgain.ready.url }));
  } finally {
    await stopServer(helloAgain.child);
  }

  const markdown = report(sizes, baseline, result.rows, result, browser);
  console.log(`\n${markdown}`);
  await mkdir(new URL('bench/results/', ROOT), { recursive: true });
  await writeFile(
    new URL(`bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, ROOT),
    JSON.stringify({ sizes, browser, baseline, kassa: result.rows, pool: result.pool, refunded: result.refunded, webhooks: result.webhooks }, null, 2),
  );
  if (process.argv.includes('--record')) {
    await record(markdown);
    console.log('\nrecorded in docs/BENCHMARKS.md');
  }
  if (sizes.some((s) => s.gzip > s.budget)) process.exitCode = 1;
  if ([baseline, ...result.rows].some((m) => m.bad > 0)) {
    console.error('\nsome requests failed (non-2xx or errors): the figures above are not trustworthy');
    process.exitCode = 1;
  }
}

await main();
