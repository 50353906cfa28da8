/**
 * Which key a command uses, and from where: the flag, then the environment, then the file the
 * server wrote into its data directory on the start that made the key (the data directory is
 * `--data-dir`, else KASSA_DATA_DIR, else `.kassa`). The keys are never printed here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { DEFAULT_DATA_DIR, KEYS_FILE, OPERATOR_KEY_FILE, keysFileSchema, operatorKeyFileSchema } from '@kassa/server/config';
import { UsageError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** An environment variable, with `VAR=` treated as unset (as the server does). */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function dataDirOf(flag: string | undefined, env: Env, cwd: string): string {
  return resolve(cwd, flag ?? envValue(env, 'KASSA_DATA_DIR') ?? DEFAULT_DATA_DIR);
}

/** A key file of the data directory, or null when there is none (a missing file is not an error: the key may come from elsewhere). */
function readKeyFile<T>(path: string, schema: z.ZodType<T>): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${path} does not hold what Kassa writes there`);
  return parsed.data;
}

export function operatorKey(options: { flag: string | undefined; env: Env; dataDir: string }): string {
  const given = options.flag ?? envValue(options.env, 'KASSA_OPERATOR_KEY');
  if (given !== undefined) return given;
  const path = join(options.dataDir, OPERATOR_KEY_FILE);
  const file = readKeyFile(path, operatorKeyFileSchema);
  if (file) return file.operator_key;
  throw new UsageError(`no operator key: pass --operator-key, set KASSA_OPERATOR_KEY, or point --data-dir at the server's data directory (no ${path})`);
}

export function secretKey(options: { flag: string | undefined; env: Env; dataDir: string }): string {
  const given = options.flag ?? envValue(options.env, 'KASSA_SECRET_KEY');
  if (given !== undefined) return given;
  const path = join(options.dataDir, KEYS_FILE);
  const file = readKeyFile(path, keysFileSchema);
  if (file) return file.secret_key;
  throw new UsageError(`no secret key: pass --api-key, set KASSA_SECRET_KEY, or point --data-dir at the server's data directory (no ${path})`);
}
