/**
 * `kassa trigger EVENT`: runs a real test-mode flow on the merchant API that makes Kassa emit
 * EVENT (as `stripe trigger` does), then finds that event in `/v1/events` and prints it. Nothing
 * is faked: the intents are created and confirmed with Stripe's test payment methods, which the
 * sandbox maps to its cards, so the event is delivered to the account's webhook endpoints and
 * seen by `kassa listen` like any other. Every POST has its own Idempotency-Key.
 *
 * Which flow makes which event is the API's documented behaviour (docs/API.md, the event list);
 * the CLI decides nothing about it, and says so when the event does not appear.
 */
import { randomUUID } from 'node:crypto';
import { Argument, Command } from 'commander';
import { z } from 'zod';
import { expect } from '../api.js';
import type { ApiClient } from '../api.js';
import { ApiError, CliError, ExitCode } from '../errors.js';
import { eventSchema } from '../follow.js';
import type { Event } from '../follow.js';
import { printJson } from '../output.js';
import { integer, merchantClient, merchantCommand } from './common.js';
import type { Context, MerchantFlags } from './common.js';
import { paymentIntent } from './payments.js';

interface FlowInput {
  api: ApiClient;
  event: string;
  amount: number;
  currency: string;
  /** One run's prefix for its idempotency keys: `<run>-<step>`. */
  run: string;
}
interface FlowResult {
  paymentIntent: string;
  refund?: string;
  /** What was done, in words, for the human output. */
  steps: string[];
}
type Flow = (input: FlowInput) => Promise<FlowResult>;

const refundSchema = z.object({ id: z.string(), status: z.string() }).loose();

async function createIntent(input: FlowInput, step: string, params: Record<string, unknown>) {
  const answer = await input.api.request('POST', '/v1/payment_intents', {
    body: {
      amount: input.amount,
      currency: input.currency,
      description: `kassa trigger ${input.event}`,
      metadata: { kassa_trigger: input.event },
      ...params,
    },
    idempotencyKey: `${input.run}-${step}`,
  });
  return expect(paymentIntent, answer, 'the payment intent');
}

async function intentAction(input: FlowInput, id: string, action: 'capture' | 'cancel') {
  const answer = await input.api.request('POST', `/v1/payment_intents/${encodeURIComponent(id)}/${action}`, { body: {}, idempotencyKey: `${input.run}-${action}` });
  return expect(paymentIntent, answer, `the ${action}`);
}

const pay = async (input: FlowInput, captureMethod: 'automatic' | 'manual' = 'automatic') => {
  const pi = await createIntent(input, 'create', { payment_method: 'pm_card_visa', confirm: true, capture_method: captureMethod });
  return { pi, step: `created ${pi.id} and confirmed it with pm_card_visa${captureMethod === 'manual' ? ' (manual capture)' : ''}: ${pi.status}` };
};

const FLOWS = {
  create: async (input) => {
    const pi = await createIntent(input, 'create', {});
    return { paymentIntent: pi.id, steps: [`created ${pi.id}: ${pi.status}`] };
  },
  pay: async (input) => {
    const { pi, step } = await pay(input);
    return { paymentIntent: pi.id, steps: [step] };
  },
  decline: async (input) => {
    // The decline is the point: a 402 card_error naming the intent, which is left requires_payment_method.
    try {
      const pi = await createIntent(input, 'create', { payment_method: 'pm_card_chargeDeclined', confirm: true });
      throw new CliError(`expected pm_card_chargeDeclined to be declined, but ${pi.id} is ${pi.status}`, ExitCode.Failure);
    } catch (error) {
      const id = error instanceof ApiError && error.status === 402 ? error.body.payment_intent?.id : undefined;
      if (typeof id !== 'string') throw error;
      return { paymentIntent: id, steps: [`created ${id} and confirmed it with pm_card_chargeDeclined: declined (${error instanceof ApiError ? (error.body.decline_code ?? error.body.code) : ''})`] };
    }
  },
  cancel: async (input) => {
    const pi = await createIntent(input, 'create', {});
    const canceled = await intentAction(input, pi.id, 'cancel');
    return { paymentIntent: pi.id, steps: [`created ${pi.id}`, `canceled it: ${canceled.status}`] };
  },
  authenticate: async (input) => {
    const pi = await createIntent(input, 'create', { payment_method: 'pm_card_threeDSecure2Required', confirm: true });
    return { paymentIntent: pi.id, steps: [`created ${pi.id} and confirmed it with pm_card_threeDSecure2Required: ${pi.status}`] };
  },
  hold: async (input) => {
    const { pi, step } = await pay(input, 'manual');
    return { paymentIntent: pi.id, steps: [step] };
  },
  capture: async (input) => {
    const { pi, step } = await pay(input, 'manual');
    const captured = await intentAction(input, pi.id, 'capture');
    return { paymentIntent: pi.id, steps: [step, `captured it: ${captured.status}`] };
  },
  refund: async (input) => {
    const { pi, step } = await pay(input);
    const answer = await input.api.request('POST', '/v1/refunds', { body: { payment_intent: pi.id }, idempotencyKey: `${input.run}-refund` });
    const refund = expect(refundSchema, answer, 'the refund');
    return { paymentIntent: pi.id, refund: refund.id, steps: [step, `refunded it in full: ${refund.id} ${refund.status}`] };
  },
} satisfies Record<string, Flow>;

/** Each event `trigger` can make, and the flow that makes it. */
export const TRIGGERS: Record<string, { flow: keyof typeof FLOWS; how: string }> = {
  'payment_intent.created': { flow: 'create', how: 'create an intent' },
  'payment_intent.succeeded': { flow: 'pay', how: 'create and confirm an intent with pm_card_visa' },
  'charge.succeeded': { flow: 'pay', how: 'the same' },
  'payment_intent.payment_failed': { flow: 'decline', how: 'confirm with pm_card_chargeDeclined' },
  'charge.failed': { flow: 'decline', how: 'the same' },
  'payment_intent.canceled': { flow: 'cancel', how: 'create an intent, then cancel it' },
  'payment_intent.requires_action': { flow: 'authenticate', how: 'confirm with pm_card_threeDSecure2Required (3-D Secure)' },
  'payment_intent.amount_capturable_updated': { flow: 'hold', how: 'confirm a manual-capture intent with pm_card_visa' },
  'charge.captured': { flow: 'capture', how: 'the same, then capture it' },
  'refund.created': { flow: 'refund', how: 'pay with pm_card_visa, then refund in full' },
  'charge.refunded': { flow: 'refund', how: 'the same' },
  'refund.updated': { flow: 'refund', how: 'the same' },
};

/** Which object an event is about: the intent itself, or a charge or refund of it. */
function isAbout(event: Event, paymentIntentId: string): boolean {
  const object = event.data.object;
  return object.id === paymentIntentId || object.payment_intent === paymentIntentId;
}

async function findEvent(api: ApiClient, type: string, paymentIntentId: string): Promise<Event | undefined> {
  // Written in the same transaction as the change that caused it, so it is there already.
  const answer = await api.request('GET', '/v1/events', { query: { type, limit: 100 } });
  const { data } = expect(z.object({ data: z.array(eventSchema) }).loose(), answer, 'the event list');
  return data.find((e) => isAbout(e, paymentIntentId));
}

interface TriggerFlags extends MerchantFlags {
  amount: number;
  currency: string;
}

export function triggerCommand(ctx: Context): Command {
  const width = Math.max(...Object.keys(TRIGGERS).map((e) => e.length));
  const list = Object.entries(TRIGGERS)
    .map(([event, { how }]) => `  ${event.padEnd(width)}  ${how}`)
    .join('\n');
  return merchantCommand(
    new Command('trigger')
      .description('run a real test-mode flow that makes Kassa emit EVENT, and print the event')
      .addArgument(new Argument('<event>', 'the event to make (see the list below)').choices(Object.keys(TRIGGERS)))
      .option('--amount <minor units>', "the payment's amount in minor units", integer(1), 2000)
      .option('--currency <code>', "the payment's currency", 'usd')
      .addHelpText('after', `\nEvents (test mode; use a sk_test_ key):\n${list}\n`),
  ).action(async (event: string, flags: TriggerFlags) => {
    const trigger = TRIGGERS[event];
    if (!trigger) throw new CliError(`no flow for ${event}`, ExitCode.Usage); // commander's choices() refused it already
    const api = merchantClient(ctx, flags);
    const flow: Flow = FLOWS[trigger.flow];
    const result = await flow({ api, event, amount: flags.amount, currency: flags.currency, run: `kassa-trigger-${randomUUID()}` });
    const found = await findEvent(api, event, result.paymentIntent);
    if (!found) throw new CliError(`the flow ran (${result.steps.join('; ')}) but Kassa recorded no ${event} for ${result.paymentIntent}`, ExitCode.Failure);
    if (flags.json) return printJson(ctx.io, { triggered: event, payment_intent: result.paymentIntent, ...(result.refund ? { refund: result.refund } : {}), event: found });
    ctx.io.out(`Triggered ${event}: ${found.id}\n${result.steps.map((s) => `  ${s}\n`).join('')}`);
  });
}
