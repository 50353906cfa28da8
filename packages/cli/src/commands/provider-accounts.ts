/**
 * `kassa provider-accounts create|list|update|deactivate`: a merchant's own provider accounts, through
 * the operator API's routes (docs/API.md, "Operator API"). The public fields are flags
 * (`--set field=value`, the names `kassa serve`'s provider specs use); the keys never are —
 * argv is visible to every user of the machine (`ps`) — so they come from the environment
 * (KASSA_PROVIDER_SECRET_KEY, _API_KEY, _HMAC_KEY, _CLIENT_SECRET, _PRIVATE_KEY, _WEBHOOK_SECRET: the field's
 * name in capitals) or, with `--secrets-stdin`, as a JSON object on standard input.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { ACCOUNT_PROVIDER_TYPES, SECRET_FIELD_NAMES } from '@kassa/server/secrets';
import { expect } from '../api.js';
import { UsageError } from '../errors.js';
import { envValue } from '../credentials.js';
import { cell, printJson, table, when } from '../output.js';
import { operatorClient, operatorCommand } from './common.js';
import type { Context, OperatorFlags } from './common.js';

const providerAccount = z
  .object({
    id: z.string(),
    type: z.string(),
    mode: z.enum(['test', 'live']),
    name: z.string().nullable(),
    active: z.boolean(),
    secrets: z.record(z.string(), z.object({ configured: z.boolean(), last4: z.string().nullable() }).loose()),
    created: z.number(),
  })
  .loose();
const accountList = z.object({ data: z.array(providerAccount) }).loose();

/** `secretKey` → KASSA_PROVIDER_SECRET_KEY. */
export const secretVariable = (field: string) => `KASSA_PROVIDER_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

interface CreateFlags extends OperatorFlags {
  type: (typeof ACCOUNT_PROVIDER_TYPES)[number];
  mode: 'test' | 'live';
  name?: string;
  set?: Record<string, string | number | boolean>;
  secretsStdin?: boolean;
}

/** `--set field=value`, repeatable; a number stays a number (Alipay's qrExpiryMs), true/false a boolean (Stripe's multicapture). */
function setField(value: string, previous: Record<string, string | number | boolean> | undefined): Record<string, string | number | boolean> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected field=value');
  const field = value.slice(0, at);
  const raw = value.slice(at + 1);
  if (Object.values(SECRET_FIELD_NAMES).some((names) => names.includes(field))) {
    throw new InvalidArgumentError(`${field} is a secret: give it in ${secretVariable(field)} or with --secrets-stdin, never on the command line`);
  }
  const typed = /^\d+$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  return { ...(previous ?? {}), [field]: typed };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The type's secrets: stdin's JSON object when asked for, else each from its variable (for an update: those set). */
async function secretsOf(ctx: Context, flags: { type: CreateFlags['type']; secretsStdin?: boolean | undefined }): Promise<Record<string, string>> {
  const names = SECRET_FIELD_NAMES[flags.type];
  if (flags.secretsStdin) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readStdin());
    } catch {
      throw new UsageError(`--secrets-stdin: standard input must be a JSON object of ${names.join(', ')}`);
    }
    const result = z.record(z.string(), z.string()).safeParse(parsed);
    if (!result.success) throw new UsageError(`--secrets-stdin: standard input must be a JSON object of ${names.join(', ')} (strings)`);
    return result.data;
  }
  const out: Record<string, string> = {};
  for (const field of names) {
    const value = envValue(ctx.env, secretVariable(field));
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function providerAccountsCommand(ctx: Context): Command {
  const accounts = new Command('provider-accounts').description("a merchant's own payment providers per mode: create, list, update, deactivate (operator API)");

  operatorCommand(
    accounts
      .command('create')
      .description("give a merchant a provider account of its own; its keys come from the environment or stdin, never from flags")
      .argument('<account>', 'the merchant account id, acct_…')
      .requiredOption('--type <type>', `the provider: ${ACCOUNT_PROVIDER_TYPES.join(', ')}`)
      .option('--mode <mode>', 'test or live', 'test')
      .option('--name <label>', 'a label for the account')
      .option('--set <field=value>', 'a public field, as in kassa serve\'s provider config (apiBase, merchantAccount, clientId, appId, …); repeatable', setField)
      .option('--secrets-stdin', 'read the keys as a JSON object from standard input instead of KASSA_PROVIDER_* variables'),
  ).action(async (id: string, flags: CreateFlags) => {
    const secrets = await secretsOf(ctx, flags);
    const answer = await operatorClient(ctx, flags).request('POST', `/operator/merchants/${encodeURIComponent(id)}/provider_accounts`, {
      body: { type: flags.type, mode: flags.mode, ...(flags.name !== undefined ? { name: flags.name } : {}), ...(flags.set ?? {}), ...secrets },
    });
    if (flags.json) return printJson(ctx.io, answer);
    const made = expect(providerAccount, answer, 'the provider account');
    ctx.io.out(`Created ${made.id} (${made.type}, ${made.mode} mode) for ${id}: its new ${made.mode} payments go there.\n`);
  });

  operatorCommand(accounts.command('list').description("list a merchant's provider accounts").argument('<account>', 'the merchant account id, acct_…')).action(
    async (id: string, flags: OperatorFlags) => {
      const answer = await operatorClient(ctx, flags).request('GET', `/operator/merchants/${encodeURIComponent(id)}/provider_accounts`);
      if (flags.json) return printJson(ctx.io, answer);
      const { data } = expect(accountList, answer, 'the provider account list');
      if (data.length === 0) return ctx.io.out('No provider accounts: the server\'s providers take this merchant\'s payments.\n');
      ctx.io.out(
        table(
          ['ID', 'TYPE', 'MODE', 'NAME', 'ACTIVE', 'KEYS', 'CREATED'],
          data.map((a) => [
            a.id,
            a.type,
            a.mode,
            cell(a.name),
            a.active ? 'yes' : 'no',
            Object.entries(a.secrets).map(([field, s]) => (s.configured ? `${field} …${s.last4 ?? ''}` : `${field} -`)).join(' '),
            when(a.created),
          ]),
        ),
      );
    },
  );

  operatorCommand(
    accounts
      .command('update')
      .description('roll an account\'s keys (from the environment or stdin), change its fields or label, or reactivate it; its id, type and mode stay')
      .argument('<account>', 'the merchant account id, acct_…')
      .argument('<provider-account>', 'the provider account id, pa_…')
      .option('--name <label>', 'a new label')
      .option('--set <field=value>', 'a public field to change; repeatable', setField)
      .option('--keys-from-env', 'roll the keys set in KASSA_PROVIDER_* variables (without it they are not read: one left exported from another account would roll this one)')
      .option('--secrets-stdin', 'read the keys to change as a JSON object from standard input instead')
      .option('--activate', 'take new payments again (a deactivated account)'),
  ).action(async (id: string, pa: string, flags: OperatorFlags & { name?: string; set?: Record<string, string | number | boolean>; keysFromEnv?: boolean; secretsStdin?: boolean; activate?: boolean }) => {
    if (flags.keysFromEnv && flags.secretsStdin) throw new UsageError('give the keys one way: --keys-from-env or --secrets-stdin');
    const client = operatorClient(ctx, flags);
    const path = `/operator/merchants/${encodeURIComponent(id)}/provider_accounts/${encodeURIComponent(pa)}`;
    // The keys a variable names are the account's type's: read it first.
    const current = expect(providerAccount, await client.request('GET', path), 'the provider account');
    const type = z.enum(ACCOUNT_PROVIDER_TYPES).parse(current.type);
    // A key is rolled only when asked for, never because a variable happens to be set in the shell.
    const secrets = flags.keysFromEnv || flags.secretsStdin ? await secretsOf(ctx, { type, secretsStdin: flags.secretsStdin }) : {};
    const variables = SECRET_FIELD_NAMES[type].map(secretVariable);
    if (flags.keysFromEnv && Object.keys(secrets).length === 0) throw new UsageError(`--keys-from-env: none of ${variables.join(', ')} is set`);
    if (!flags.keysFromEnv && !flags.secretsStdin) {
      const ignored = variables.filter((v) => envValue(ctx.env, v) !== undefined);
      if (ignored.length > 0) ctx.io.err(`kassa: ${ignored.join(', ')} set but not sent (give --keys-from-env to roll ${ignored.length > 1 ? 'them' : 'it'})\n`);
    }
    const body = { ...(flags.name !== undefined ? { name: flags.name } : {}), ...(flags.set ?? {}), ...secrets, ...(flags.activate ? { active: true } : {}) };
    if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --name, --set, --activate, or keys (--keys-from-env or --secrets-stdin)');
    const answer = await client.request('POST', path, { body });
    if (flags.json) return printJson(ctx.io, answer);
    const changed = expect(providerAccount, answer, 'the provider account');
    const keys = Object.keys(secrets);
    ctx.io.out(`Updated ${changed.id}${keys.length > 0 ? ` (new ${keys.join(', ')})` : ''}; it is ${changed.active ? 'active' : 'deactivated'}.\n`);
  });

  operatorCommand(
    accounts
      .command('deactivate')
      .description('no new payment goes there; payments made there are still captured and refunded through it')
      .argument('<account>', 'the merchant account id, acct_…')
      .argument('<provider-account>', 'the provider account id, pa_…'),
  ).action(async (id: string, pa: string, flags: OperatorFlags) => {
    const answer = await operatorClient(ctx, flags).request('DELETE', `/operator/merchants/${encodeURIComponent(id)}/provider_accounts/${encodeURIComponent(pa)}`);
    if (flags.json) return printJson(ctx.io, answer);
    const off = expect(providerAccount, answer, 'the provider account');
    ctx.io.out(`Deactivated ${off.id}.\n`);
  });

  return accounts;
}
