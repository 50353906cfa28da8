/**
 * CPU per payment: what one payment (create + one-click confirm with a saved card) costs the
 * Kassa process, webhook deliveries included, measured as the process's own CPU time
 * (/proc/<pid>/stat, user + system) — unlike throughput, this barely moves when the machine
 * is busy with something else, so two builds can be compared on a noisy machine.
 *
 *   node --import tsx bench/cpu.ts                      # this build, webhook delivery on
 *   BENCH_WEBHOOKS=0 node --import tsx bench/cpu.ts     # this build, no endpoint
 *   BENCH_SERVER=/other/checkout/bench/server-process.ts node --import tsx bench/cpu.ts
 *                                                       # another build's server (e.g. an older commit)
 *
 * Payments are sequential (one client, no concurrency): the figure is cost, not speed. With
 * delivery on, the count waits until the receiver has every event, so deferred deliveries are
 * paid for too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AMOUNT, json, savedCard } from './kassa-client.js';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 600);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);
const WEBHOOKS = process.env.BENCH_WEBHOOKS !== '0';
const SERVER = process.env.BENCH_SERVER ?? fileURLToPath(new URL('server-process.ts', import.meta.url));
const RECEIVER = fileURLToPath(new URL('server-process.ts', import.meta.url));
const TICKS_PER_S = 100; // USER_HZ on Linux

interface Ready {
  url: string;
  secretKey?: string;
}

async function start(script: string, kind: string): Promise<{ ready: Ready; child: ChildProcess }> {
  const child = fork(script, [kind], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', KASSA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`${kind} exited early (code ${code})`)));
  });
  return { ready, child };
}

/** CPU seconds the process has used so far (utime + stime). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

function delivered(receiver: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    receiver.once('message', (m) => resolve((m as { delivered: number }).delivered));
    receiver.send('count');
  });
}

async function pay(kassa: string, secretKey: string, customer: string, pm: string): Promise<void> {
  const pi = await json(`${kassa}/v1/payment_intents`, {
    method: 'POST',
    auth: secretKey,
    headers: { 'idempotency-key': randomUUID() },
    body: JSON.stringify({ amount: AMOUNT, currency: 'cny', customer }),
  });
  const paid = await json(`${kassa}/client/payment_intents/${String(pi.id)}/confirm`, {
    method: 'POST',
    auth: String(pi.client_secret),
    headers: { 'idempotency-key': randomUUID() },
    body: JSON.stringify({ payment_method: pm }),
  });
  if (paid.status !== 'succeeded') throw new Error(`payment did not succeed: ${JSON.stringify(paid)}`);
}

async function main(): Promise<void> {
  const kassa = await start(SERVER, 'kassa');
  const receiver = WEBHOOKS ? await start(RECEIVER, 'receiver') : null;
  try {
    const url = kassa.ready.url;
    const secretKey = kassa.ready.secretKey ?? '';
    if (receiver) {
      await json(`${url}/v1/webhook_endpoints`, {
        method: 'POST',
        auth: secretKey,
        body: JSON.stringify({ url: `${receiver.ready.url}/webhooks`, enabled_events: ['*'] }),
      });
    }
    const { customer, pm } = await savedCard(url, secretKey);
    for (let i = 0; i < WARMUP; i++) await pay(url, secretKey, customer, pm);
    const settle = async () => {
      if (!receiver) return;
      // Until the receiver has had nothing new for a second: every delivery so far is paid for.
      let last = -1;
      for (;;) {
        const now = await delivered(receiver.child);
        if (now === last) return;
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    await settle();
    const before = cpuSeconds(kassa.child.pid ?? 0);
    const deliveredBefore = receiver ? await delivered(receiver.child) : 0;
    for (let i = 0; i < PAYMENTS; i++) await pay(url, secretKey, customer, pm);
    await settle();
    // The settle loop's idle second costs next to nothing; it is inside the window on purpose.
    const cpu = cpuSeconds(kassa.child.pid ?? 0) - before;
    const deliveries = receiver ? (await delivered(receiver.child)) - deliveredBefore : 0;
    console.log(
      `${SERVER === RECEIVER ? 'this build' : SERVER}, webhooks ${WEBHOOKS ? 'on' : 'off'}: ` +
        `${((cpu * 1000) / PAYMENTS).toFixed(2)} ms CPU per payment (${PAYMENTS} payments after ${WARMUP}, ${deliveries} deliveries)`,
    );
  } finally {
    kassa.child.send('exit');
    receiver?.child.send('exit');
  }
}

await main();
