/**
 * `kassa payments list|get|capture|refund`: the merchant API's payment intents and refunds,
 * with a secret key. The captures and refunds carry an Idempotency-Key (a fresh one, or
 * `--idempotency-key` to make a retry of the same command safe: Kassa answers it again rather
 * than capturing or refunding twice). An intent's `client_secret` is left out of what is
 * printed: it is the shopper's browser's to hold, not a terminal's.
 */
import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { expect } from '../api.js';
import { CliError, ExitCode } from '../errors.js';
import { cell, fields, money, printJson, table, when } from '../output.js';
import { integer, merchantClient, merchantCommand } from './common.js';
import type { Context, MerchantFlags } from './common.js';

export const paymentIntent = z
  .object({
    id: z.string(),
    object: z.literal('payment_intent'),
    amount: z.number(),
    currency: z.string(),
    status: z.string(),
    capture_method: z.string(),
    amount_capturable: z.number(),
    amount_received: z.number(),
    customer: z.unknown(),
    latest_charge: z.unknown(),
    description: z.string().nullable(),
    created: z.number(),
    livemode: z.boolean(),
    last_payment_error: z.object({ code: z.string().optional(), message: z.string().optional() }).loose().nullable().optional(),
  })
  .loose();
const intentList = z.object({ data: z.array(paymentIntent), has_more: z.boolean() }).loose();
const refund = z
  .object({ id: z.string(), amount: z.number(), currency: z.string(), status: z.string(), payment_intent: z.string().nullable(), failure_reason: z.string().nullable().optional() })
  .loose();

/** The answer without client secrets, for printing (in either form). */
export function withoutClientSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClientSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'client_secret').map(([k, v]) => [k, withoutClientSecrets(v)]));
}

/** An expanded object or its id. */
const idOf = (value: unknown): unknown => (typeof value === 'object' && value !== null && 'id' in value ? value.id : value);

function intentFields(pi: z.infer<typeof paymentIntent>): string {
  return fields([
    ['id', pi.id],
    ['status', pi.status],
    ['amount', money(pi.amount, pi.currency)],
    ['received', money(pi.amount_received, pi.currency)],
    ['capturable', money(pi.amount_capturable, pi.currency)],
    ['capture method', pi.capture_method],
    ['customer', idOf(pi.customer)],
    ['latest charge', idOf(pi.latest_charge)],
    ['description', pi.description],
    ['last error', pi.last_payment_error ? `${cell(pi.last_payment_error.code)}: ${cell(pi.last_payment_error.message)}` : null],
    ['mode', pi.livemode ? 'live' : 'test'],
    ['created', when(pi.created)],
  ]);
}

interface ListFlags extends MerchantFlags {
  limit?: number;
  customer?: string;
  startingAfter?: string;
  endingBefore?: string;
}
interface WriteFlags extends MerchantFlags {
  amount?: number;
  idempotencyKey?: string;
}

const idempotencyOption = () =>
  new Option('--idempotency-key <key>', 'send this Idempotency-Key (default: a new one); the same key again answers the first result instead of acting twice');

export function paymentsCommand(ctx: Context): Command {
  const payments = new Command('payments').description('list, show, capture and refund payment intents (merchant API)');

  merchantCommand(
    payments
      .command('list')
      .description('list payment intents, newest first')
      .option('--limit <n>', 'how many (1–100; default 10)', integer(1, 100))
      .option('--customer <id>', "only this customer's, cus_…")
      .option('--starting-after <id>', 'the page after this intent (older)')
      .option('--ending-before <id>', 'the page before this intent (newer)'),
  ).action(async (flags: ListFlags) => {
    const answer = await merchantClient(ctx, flags).request('GET', '/v1/payment_intents', {
      query: { limit: flags.limit, customer: flags.customer, starting_after: flags.startingAfter, ending_before: flags.endingBefore },
    });
    if (flags.json) return printJson(ctx.io, withoutClientSecrets(answer));
    const { data, has_more } = expect(intentList, answer, 'the payment intent list');
    if (data.length === 0) return ctx.io.out('No payment intents.\n');
    ctx.io.out(
      table(
        ['ID', 'AMOUNT', 'STATUS', 'CUSTOMER', 'CREATED', 'DESCRIPTION'],
        data.map((pi) => [pi.id, money(pi.amount, pi.currency), pi.status, cell(idOf(pi.customer)), when(pi.created), cell(pi.description)]),
      ),
    );
    const last = data[data.length - 1];
    if (has_more && last) ctx.io.out(`More: kassa payments list --starting-after ${last.id}\n`);
  });

  merchantCommand(payments.command('get').description('show one payment intent').argument('<id>', 'the payment intent, pi_…')).action(
    async (id: string, flags: MerchantFlags) => {
      const answer = await merchantClient(ctx, flags).request('GET', `/v1/payment_intents/${encodeURIComponent(id)}`);
      if (flags.json) return printJson(ctx.io, withoutClientSecrets(answer));
      ctx.io.out(intentFields(expect(paymentIntent, answer, 'the payment intent')));
    },
  );

  merchantCommand(
    payments
      .command('capture')
      .description('capture a payment intent held by a manual-capture authorization (requires_capture)')
      .argument('<id>', 'the payment intent, pi_…')
      .option('--amount <minor units>', 'capture this much, in minor units (default: all that is capturable; the rest is released)', integer(1))
      .addOption(idempotencyOption()),
  ).action(async (id: string, flags: WriteFlags) => {
    const answer = await merchantClient(ctx, flags).request('POST', `/v1/payment_intents/${encodeURIComponent(id)}/capture`, {
      body: flags.amount !== undefined ? { amount_to_capture: flags.amount } : {},
      idempotencyKey: flags.idempotencyKey ?? `kassa-cli-${randomUUID()}`,
    });
    if (flags.json) return printJson(ctx.io, withoutClientSecrets(answer));
    const pi = expect(paymentIntent, answer, 'the captured payment intent');
    ctx.io.out(`Captured ${money(pi.amount_received, pi.currency)} of ${pi.id} (${pi.status}).\n`);
  });

  merchantCommand(
    payments
      .command('refund')
      .description("refund a payment intent's captured money, in full or in part")
      .argument('<id>', 'the payment intent, pi_…')
      .option('--amount <minor units>', 'refund this much, in minor units (default: all that is left)', integer(1))
      .addOption(new Option('--reason <reason>', 'why').choices(['duplicate', 'fraudulent', 'requested_by_customer']))
      .addOption(idempotencyOption()),
  ).action(async (id: string, flags: WriteFlags & { reason?: string }) => {
    const answer = await merchantClient(ctx, flags).request('POST', '/v1/refunds', {
      body: { payment_intent: id, ...(flags.amount !== undefined ? { amount: flags.amount } : {}), ...(flags.reason !== undefined ? { reason: flags.reason } : {}) },
      idempotencyKey: flags.idempotencyKey ?? `kassa-cli-${randomUUID()}`,
    });
    const r = expect(refund, answer, 'the refund');
    if (flags.json) printJson(ctx.io, answer);
    else ctx.io.out(`Refund ${r.id}: ${money(r.amount, r.currency)} of ${cell(r.payment_intent)}, ${r.status}.\n`);
    // A 200 that says the provider refused the refund: the money did not go back, and a script must know.
    if (r.status === 'failed') throw new CliError(`the refund failed: ${cell(r.failure_reason)}`, ExitCode.Failure);
  });

  return payments;
}
