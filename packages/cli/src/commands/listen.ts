/**
 * `kassa listen --forward-to URL`: what `stripe listen` is for Stripe. It follows the account's
 * events (`/v1/events`, polled with a cursor, oldest first: follow.ts) and POSTs each to a
 * server on the developer's machine, signed exactly as Kassa's webhook worker signs a delivery —
 * the same `signDelivery` (Standard Webhooks headers and `Stripe-Signature`) and the same
 * transport (no redirects followed, one bounded attempt) — with a signing secret of its own that
 * it prints at the start. The merchant's handler verifies with `standardwebhooks` or
 * `stripe.webhooks.constructEvent` unchanged. Each event is sent once, in order, without retries:
 * the receiver's answer is printed, and the next event follows.
 */
import { Command } from 'commander';
import { SECRET_PREFIX, newSigningSecret, signDelivery } from '@kassa/server/webhooks/signing';
import { httpTransport } from '@kassa/server/webhooks/transport';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { envValue } from '../credentials.js';
import { EventFollower } from '../follow.js';
import type { Event } from '../follow.js';
import { printJsonLine, when } from '../output.js';
import { integer, merchantClient, merchantCommand } from './common.js';
import type { Context, MerchantFlags } from './common.js';

/** The receiver's bound, as for a real delivery: a handler slower than this is a failed attempt at Kassa too. */
const FORWARD_TIMEOUT_MS = 15_000;

interface ListenFlags extends MerchantFlags {
  forwardTo: string;
  events?: string;
  pollInterval: number;
}

function forwardUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--forward-to must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--forward-to must be an http(s) URL, got "${value}"`);
  return url.href;
}

function eventTypes(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(',').map((t) => t.trim());
  if (types.some((t) => t === '')) throw new UsageError(`--events takes event types separated by commas, got "${value}"`);
  return types;
}

/** KASSA_LISTEN_SECRET keeps the receiver's secret the same from one run to the next. */
function signingSecret(ctx: Context): string {
  const given = envValue(ctx.env, 'KASSA_LISTEN_SECRET');
  if (given === undefined) return newSigningSecret();
  const bytes = given.startsWith(SECRET_PREFIX) ? Buffer.from(given.slice(SECRET_PREFIX.length), 'base64') : Buffer.alloc(0);
  if (bytes.length < 24) throw new UsageError(`KASSA_LISTEN_SECRET must be a signing secret, ${SECRET_PREFIX}<base64 of 24 or more bytes>`);
  return given;
}

/** Resolves after `ms`, or at once when the signal is aborted. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Errors worth waiting out (Kassa restarting, a 5xx) rather than ending on. */
function transient(error: unknown): error is CliError {
  return error instanceof CliError && (error.exitCode === ExitCode.Unreachable || error.exitCode === ExitCode.ServerError);
}

export function listenCommand(ctx: Context): Command {
  return merchantCommand(
    new Command('listen')
      .description('forward the account\'s events, signed, to a local URL (like "stripe listen"); Ctrl-C stops')
      .requiredOption('--forward-to <url>', 'where to POST each event, e.g. http://localhost:4000/webhooks')
      .option('--events <types>', 'only these event types, comma-separated (a prefix such as payment_intent.* works)')
      .option('--poll-interval <ms>', 'how often to ask Kassa for new events (100–60000)', integer(100, 60_000), 1000),
  ).action(async (flags: ListenFlags) => {
    const target = forwardUrl(flags.forwardTo);
    const types = eventTypes(flags.events);
    const secret = signingSecret(ctx);
    const api = merchantClient(ctx, flags);
    const follower = new EventFollower((page) =>
      api.request('GET', '/v1/events', {
        query: {
          limit: page.limit,
          starting_after: page.starting_after,
          ending_before: page.ending_before,
          ...(page.types ? { types: page.types } : {}),
        },
      }),
      types,
    );
    await follower.start();

    if (flags.json) printJsonLine(ctx.io, { ready: true, forward_to: target, events: types ?? ['*'], secret });
    else {
      ctx.io.out(`Ready. Forwarding ${types ? types.join(', ') : 'all events'} to ${target}\n`);
      ctx.io.out(`Your webhook signing secret is ${secret} (Ctrl-C to stop)\n`);
    }

    const forward = async (event: Event) => {
      // The event as a webhook endpoint receives it: the list adds `pending_webhooks`, a delivery has none.
      const { pending_webhooks: _pending, ...delivered } = event;
      const payload = JSON.stringify(delivered);
      const started = Date.now();
      const headers = signDelivery({ eventId: event.id, timestamp: Math.floor(started / 1000), payload, secrets: [{ reveal: () => secret }] });
      const result = await httpTransport({ url: target, headers: { ...headers }, body: payload, timeoutMs: FORWARD_TIMEOUT_MS, signal: ctx.signal });
      if (result.kind === 'aborted') return;
      const ms = Date.now() - started;
      if (flags.json) {
        printJsonLine(ctx.io, {
          event: event.id,
          type: event.type,
          created: event.created,
          ...(result.kind === 'answered' ? { status: result.status } : { error: result.error }),
          duration_ms: ms,
        });
        return;
      }
      const outcome = result.kind === 'answered' ? `[${result.status}]` : `[failed: ${result.error}]`;
      ctx.io.out(`${when(event.created)}  --> ${event.type} [${event.id}]  <-- ${outcome} POST ${target} (${ms} ms)\n`);
    };

    let outage: string | null = null;
    while (!ctx.signal.aborted) {
      let events: Event[];
      try {
        events = await follower.next();
        if (outage !== null) ctx.io.err(`kassa listen: Kassa answers again\n`);
        outage = null;
      } catch (error) {
        if (ctx.signal.aborted) break;
        if (!transient(error)) throw error;
        // Said once per outage, not once per poll.
        if (outage === null) ctx.io.err(`kassa listen: ${error.message}; trying again\n`);
        outage = error.message;
        await pause(Math.max(flags.pollInterval, 1000), ctx.signal);
        continue;
      }
      for (const event of events) {
        if (ctx.signal.aborted) break;
        await forward(event);
      }
      await pause(flags.pollInterval, ctx.signal);
    }
    if (flags.json) printJsonLine(ctx.io, { stopped: true });
    else ctx.io.out('Stopped.\n');
  });
}
