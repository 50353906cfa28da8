/**
 * What the client commands share: how they reach Kassa (`--url`, a key, `--data-dir` to find
 * the key files), `--json`, and the parsers for numeric flags (a bad value is a usage error,
 * exit 2, before anything is sent).
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_URL, createClient, parseBaseUrl } from '../api.js';
import type { ApiClient } from '../api.js';
import { dataDirOf, envValue, operatorKey, secretKey } from '../credentials.js';
import type { Env } from '../credentials.js';
import type { Io } from '../output.js';

export interface Context {
  io: Io;
  env: Env;
  cwd: string;
  version: string;
  /** Aborted on SIGINT / SIGTERM by the long-running commands' owner (the bin). */
  signal: AbortSignal;
}

export interface ConnectionFlags {
  url?: string;
  dataDir?: string;
  json?: boolean;
}
export interface OperatorFlags extends ConnectionFlags {
  operatorKey?: string;
}
export interface MerchantFlags extends ConnectionFlags {
  apiKey?: string;
}

function connection(cmd: Command): Command {
  return cmd
    .option('--url <url>', `Kassa's URL (env KASSA_URL; default ${DEFAULT_URL})`)
    .option('--data-dir <dir>', "the server's data directory, where the key files are (env KASSA_DATA_DIR; default .kassa)")
    .option('--json', "print the API's answer as JSON");
}

/** Options of a command on the operator API. */
export function operatorCommand(cmd: Command): Command {
  return connection(cmd).option('--operator-key <key>', 'the operator key (env KASSA_OPERATOR_KEY; default: <data dir>/operator-key.json)');
}

/** Options of a command on the merchant API. */
export function merchantCommand(cmd: Command): Command {
  return connection(cmd).option('--api-key <key>', 'a secret key, sk_test_… (env KASSA_SECRET_KEY; default: <data dir>/test-keys.json)');
}

function baseUrl(ctx: Context, flags: ConnectionFlags): string {
  return parseBaseUrl(flags.url ?? envValue(ctx.env, 'KASSA_URL') ?? DEFAULT_URL);
}

export function operatorClient(ctx: Context, flags: OperatorFlags): ApiClient {
  const url = baseUrl(ctx, flags);
  const key = operatorKey({ flag: flags.operatorKey, env: ctx.env, dataDir: dataDirOf(flags.dataDir, ctx.env, ctx.cwd) });
  return createClient({ baseUrl: url, key, userAgent: `kassa-cli/${ctx.version}`, signal: ctx.signal });
}

export function merchantClient(ctx: Context, flags: MerchantFlags): ApiClient {
  const url = baseUrl(ctx, flags);
  const key = secretKey({ flag: flags.apiKey, env: ctx.env, dataDir: dataDirOf(flags.dataDir, ctx.env, ctx.cwd) });
  return createClient({ baseUrl: url, key, userAgent: `kassa-cli/${ctx.version}`, signal: ctx.signal });
}

/** A commander parser for an integer flag in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

/** Repeatable flags collect into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
