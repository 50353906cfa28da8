/**
 * `kassa keys create|list|roll|revoke`: a merchant's API keys, through the operator API. A new
 * key (create, roll) is printed: that answer is the only one that holds it. Lists show a key's
 * prefix, never the key.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { expect } from '../api.js';
import { cell, fields, printJson, table, when } from '../output.js';
import { integer, operatorClient, operatorCommand } from './common.js';
import type { Context, OperatorFlags } from './common.js';

const apiKey = z
  .object({
    id: z.string(),
    type: z.string(),
    livemode: z.boolean(),
    prefix: z.string(),
    name: z.string().nullable(),
    permissions: z.record(z.string(), z.string()).nullable(),
    created: z.number(),
    expires_at: z.number().nullable(),
    revoked_at: z.number().nullable(),
    last_used: z.number().nullable(),
  })
  .loose();
const shownKey = apiKey.extend({ secret: z.string() });
const keyList = z.object({ data: z.array(apiKey) }).loose();

/** `--permission payment_intents=read`: the resource names are the server's to check. */
function permission(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const m = /^([a-z_]+)=(read|write)$/.exec(value);
  if (!m?.[1] || !m[2]) throw new InvalidArgumentError('expected resource=read or resource=write, e.g. payment_intents=read');
  return { ...previous, [m[1]]: m[2] };
}

function printShown(ctx: Context, heading: string, key: z.infer<typeof shownKey>): void {
  ctx.io.out(`${heading}\n`);
  ctx.io.out(
    fields([
      ['  id', key.id],
      ['  type', `${key.type}, ${key.livemode ? 'live' : 'test'} mode`],
      ['  key', `${key.secret}   (shown once)`],
      ...(key.permissions ? ([['  permissions', Object.entries(key.permissions).map(([r, p]) => `${r}=${p}`).join(' ')]] as const) : []),
      ...(key.expires_at !== null ? ([['  expires', when(key.expires_at)]] as const) : []),
    ]),
  );
}

interface CreateFlags extends OperatorFlags {
  merchant: string;
  type: string;
  live?: boolean;
  name?: string;
  permission?: Record<string, string>;
}
interface RollFlags extends OperatorFlags {
  expiresIn?: number;
}

export function keysCommand(ctx: Context): Command {
  const keys = new Command('keys').description("create, list, roll and revoke a merchant's API keys (operator API)");

  operatorCommand(
    keys
      .command('create')
      .description('make a new key for a merchant; prints it (once)')
      .requiredOption('--merchant <account>', 'the account id, acct_…')
      .addOption(new Option('--type <type>', 'the kind of key').choices(['secret', 'publishable', 'restricted']).default('secret'))
      .option('--live', 'a live-mode key (the account must be activated)')
      .option('--name <name>', 'a name to tell the key by')
      .option('--permission <resource=access>', 'restricted keys: read or write on a resource, e.g. payment_intents=write (repeat for more)', permission),
  ).action(async (flags: CreateFlags) => {
    const answer = await operatorClient(ctx, flags).request('POST', `/operator/merchants/${encodeURIComponent(flags.merchant)}/keys`, {
      body: {
        type: flags.type,
        livemode: flags.live === true,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(flags.permission !== undefined ? { permissions: flags.permission } : {}),
      },
    });
    if (flags.json) return printJson(ctx.io, answer);
    printShown(ctx, 'Created a key:', expect(shownKey, answer, 'the new key'));
  });

  operatorCommand(
    keys.command('list').description("list a merchant's keys (prefixes only)").requiredOption('--merchant <account>', 'the account id, acct_…'),
  ).action(async (flags: OperatorFlags & { merchant: string }) => {
    const answer = await operatorClient(ctx, flags).request('GET', `/operator/merchants/${encodeURIComponent(flags.merchant)}/keys`);
    if (flags.json) return printJson(ctx.io, answer);
    const { data } = expect(keyList, answer, 'the key list');
    if (data.length === 0) return ctx.io.out('No keys.\n');
    ctx.io.out(
      table(
        ['ID', 'TYPE', 'MODE', 'PREFIX', 'NAME', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED'],
        data.map((k) => [k.id, k.type, k.livemode ? 'live' : 'test', k.prefix, cell(k.name), when(k.created), when(k.expires_at), when(k.revoked_at), when(k.last_used)]),
      ),
    );
  });

  operatorCommand(
    keys
      .command('roll')
      .description('replace a key with a new one; the old one keeps working until --expires-in has passed')
      .argument('<key>', 'the key id, key_…')
      .option('--expires-in <seconds>', 'how long the old key keeps working (0–604800; default 86400)', integer(0, 604_800)),
  ).action(async (id: string, flags: RollFlags) => {
    const answer = await operatorClient(ctx, flags).request('POST', `/operator/keys/${encodeURIComponent(id)}/roll`, {
      body: flags.expiresIn !== undefined ? { expires_in: flags.expiresIn } : {},
    });
    if (flags.json) return printJson(ctx.io, answer);
    printShown(ctx, `Rolled ${id}; the new key:`, expect(shownKey, answer, 'the new key'));
  });

  operatorCommand(keys.command('revoke').description('stop a key at once').argument('<key>', 'the key id, key_…')).action(async (id: string, flags: OperatorFlags) => {
    const answer = await operatorClient(ctx, flags).request('POST', `/operator/keys/${encodeURIComponent(id)}/revoke`, { body: {} });
    if (flags.json) return printJson(ctx.io, answer);
    const key = expect(apiKey, answer, 'the revoked key');
    ctx.io.out(`Revoked ${key.id} (${key.prefix}) at ${when(key.revoked_at)}.\n`);
  });

  return keys;
}
