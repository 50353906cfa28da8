/**
 * `kassa merchants create|list|activate`: the operator API's merchant routes
 * (docs/API.md, "Operator API"). The keys a registration or an activation makes are printed,
 * because that answer is the only time they exist in clear.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { expect } from '../api.js';
import { cell, fields, printJson, table, when } from '../output.js';
import { collect, operatorClient, operatorCommand } from './common.js';
import type { Context, OperatorFlags } from './common.js';

const account = z
  .object({
    id: z.string(),
    business_name: z.string().nullable(),
    country: z.string().nullable(),
    default_currency: z.string().nullable(),
    email: z.string().nullable(),
    allowed_origins: z.array(z.string()),
    livemode_enabled: z.boolean(),
    created: z.number(),
  })
  .loose();
const withKeys = z.object({ merchant: account, keys: z.object({ publishable_key: z.string(), secret_key: z.string() }) }).loose();
const accountList = z.object({ data: z.array(account) }).loose();

function printKeys(ctx: Context, heading: string, keys: z.infer<typeof withKeys>['keys']): void {
  ctx.io.out(`\n${heading} (shown once: keep the secret key in your backend's secrets):\n`);
  ctx.io.out(fields([
    ['  secret key', keys.secret_key],
    ['  publishable key', keys.publishable_key],
  ]));
}

interface CreateFlags extends OperatorFlags {
  name: string;
  origin: string[];
  country?: string;
  currency?: string;
  email?: string;
}

export function merchantsCommand(ctx: Context): Command {
  const merchants = new Command('merchants').description('register merchants, list them, activate live mode (operator API)');

  operatorCommand(
    merchants
      .command('create')
      .description('register a merchant; prints its account and its test keys (once)')
      .requiredOption('--name <business name>', "the merchant's business name")
      .requiredOption('--origin <origin>', 'a shop origin allowed to embed the checkout, scheme://host[:port] (repeat for more)', collect)
      .option('--country <code>', 'ISO 3166-1 alpha-2 country code, e.g. CN')
      .option('--currency <code>', 'default currency, e.g. cny')
      .option('--email <email>', 'contact email'),
  ).action(async (flags: CreateFlags) => {
    const api = operatorClient(ctx, flags);
    const answer = await api.request('POST', '/operator/merchants', {
      body: {
        business_name: flags.name,
        allowed_origins: flags.origin,
        ...(flags.country !== undefined ? { country: flags.country } : {}),
        ...(flags.currency !== undefined ? { default_currency: flags.currency } : {}),
        ...(flags.email !== undefined ? { email: flags.email } : {}),
      },
    });
    if (flags.json) return printJson(ctx.io, answer);
    const { merchant, keys } = expect(withKeys, answer, 'the registration');
    ctx.io.out(`Registered ${merchant.id} (${cell(merchant.business_name)}), test mode.\n`);
    printKeys(ctx, 'Test keys', keys);
  });

  operatorCommand(merchants.command('list').description('list the merchants')).action(async (flags: OperatorFlags) => {
    const answer = await operatorClient(ctx, flags).request('GET', '/operator/merchants');
    if (flags.json) return printJson(ctx.io, answer);
    const { data } = expect(accountList, answer, 'the merchant list');
    if (data.length === 0) return ctx.io.out('No merchants.\n');
    ctx.io.out(
      table(
        ['ID', 'NAME', 'LIVE', 'COUNTRY', 'CURRENCY', 'CREATED', 'ORIGINS'],
        data.map((m) => [m.id, cell(m.business_name), m.livemode_enabled ? 'yes' : 'no', cell(m.country), cell(m.default_currency), when(m.created), m.allowed_origins.join(' ')]),
      ),
    );
  });

  operatorCommand(
    merchants
      .command('activate')
      .description('turn live mode on for a merchant (once); prints its live keys (once)')
      .argument('<account>', 'the account id, acct_…'),
  ).action(async (id: string, flags: OperatorFlags) => {
    const answer = await operatorClient(ctx, flags).request('POST', `/operator/merchants/${encodeURIComponent(id)}/activate`, { body: {} });
    if (flags.json) return printJson(ctx.io, answer);
    const { merchant, keys } = expect(withKeys, answer, 'the activation');
    ctx.io.out(`Live mode is on for ${merchant.id} (${cell(merchant.business_name)}).\n`);
    printKeys(ctx, 'Live keys', keys);
  });

  return merchants;
}
