/**
 * `kassa reconcile`: the operator's reconciliation report (`/operator/reconciliation`, docs/API.md):
 * provider calls with no known outcome that nobody is working on, and amounts a provider
 * settled differently than asked. It asks the providers first (POST) unless `--no-ask`.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { expect } from '../api.js';
import { CliError, ExitCode } from '../errors.js';
import { money, printJson, table, when } from '../output.js';
import { operatorClient, operatorCommand } from './common.js';
import type { Context, OperatorFlags } from './common.js';

const report = z
  .object({
    settled: z.number().optional(),
    open_calls: z.array(
      z
        .object({
          payment_intent: z.string(),
          provider: z.string().nullable(),
          operation: z.string(),
          status: z.string(),
          amount: z.number(),
          currency: z.string(),
          since: z.number(),
          provider_can_be_asked: z.boolean(),
        })
        .loose(),
    ),
    discrepancies: z.array(
      z.object({ id: z.string(), payment_intent: z.string(), operation: z.string(), currency: z.string(), expected: z.number(), actual: z.number(), created: z.number() }).loose(),
    ),
  })
  .loose();

interface ReconcileFlags extends OperatorFlags {
  ask: boolean;
  failOnOpen?: boolean;
}

export function reconcileCommand(ctx: Context): Command {
  return operatorCommand(
    new Command('reconcile')
      .description("ask the providers about every payment with no known outcome, then report what is left and any amount a provider settled otherwise (operator API)")
      .option('--no-ask', 'only report: ask no provider')
      .option('--fail-on-open', 'exit 1 if anything is left open or a discrepancy is recorded (for a scheduled job)'),
  ).action(async (flags: ReconcileFlags) => {
    const api = operatorClient(ctx, flags);
    const answer = flags.ask ? await api.request('POST', '/operator/reconciliation', { body: {} }) : await api.request('GET', '/operator/reconciliation');
    const r = expect(report, answer, 'the reconciliation report');
    if (flags.json) printJson(ctx.io, answer);
    else {
      if (r.settled !== undefined) ctx.io.out(`Asked the providers: ${r.settled} settled.\n`);
      if (r.open_calls.length === 0) ctx.io.out('No open provider calls.\n');
      else {
        ctx.io.out(`\n${r.open_calls.length} open provider call${r.open_calls.length === 1 ? '' : 's'}:\n`);
        ctx.io.out(
          table(
            ['PAYMENT INTENT', 'PROVIDER', 'OPERATION', 'STATUS', 'AMOUNT', 'SINCE', 'CAN BE ASKED'],
            r.open_calls.map((c) => [c.payment_intent, c.provider ?? '-', c.operation, c.status, money(c.amount, c.currency), when(c.since), c.provider_can_be_asked ? 'yes' : 'no: retry or check the provider'],
          ),
        ));
      }
      if (r.discrepancies.length === 0) ctx.io.out('No discrepancies.\n');
      else {
        ctx.io.out(`\n${r.discrepancies.length} discrepanc${r.discrepancies.length === 1 ? 'y' : 'ies'}:\n`);
        ctx.io.out(
          table(
            ['PAYMENT INTENT', 'OPERATION', 'EXPECTED', 'ACTUAL', 'RECORDED'],
            r.discrepancies.map((d) => [d.payment_intent, d.operation, money(d.expected, d.currency), money(d.actual, d.currency), when(d.created)]),
          ),
        );
      }
    }
    if (flags.failOnOpen && (r.open_calls.length > 0 || r.discrepancies.length > 0)) {
      throw new CliError(`${r.open_calls.length} open, ${r.discrepancies.length} discrepancies`, ExitCode.Failure);
    }
  });
}
