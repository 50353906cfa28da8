/**
 * What `kassa serve` starts with. Four layers, each setting only what it names:
 *
 *   flags  >  environment (KASSA_*)  >  config file (kassa.config.json)  >  defaults
 *
 * The config file is `--config <file>`, else KASSA_CONFIG, else `kassa.config.json` in the working
 * directory when there is one. It is JSON, checked strictly: an unknown key is refused (a typo must
 * not be silently ignored on a payment server), and so is a value of the wrong shape. Relative
 * paths in the file are relative to the file; on the command line and in the environment, to the
 * working directory. The vault key is not a config-file setting: it is a secret, and a config file
 * tends to end up in a repository; it comes from KASSA_VAULT_KEY (or is generated into the data
 * directory for the sandbox).
 *
 * Providers: `providers` in the file (or KASSA_PROVIDERS as the same JSON) names each mode's
 * provider and its endpoints — `{ "test": { "type": "stripe" } }`; the sandbox issuer is test
 * mode's default, live mode has none until one is set. Their keys are secrets too, so only the
 * environment gives them: KASSA_TEST_STRIPE_SECRET_KEY / KASSA_LIVE_STRIPE_SECRET_KEY (+ _STRIPE_WEBHOOK_SECRET),
 * KASSA_TEST_ADYEN_API_KEY (+ _HMAC_KEY), KASSA_TEST_PAYPAL_CLIENT_SECRET, KASSA_TEST_ALIPAY_PRIVATE_KEY
 * and the LIVE ones. They never print (`--print-config`
 * shows "[redacted]").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  LOG_LEVELS,
  normalizeOrigin,
  parseOriginList,
  parseTrustProxy,
} from '@kassa/server/config';
import { Sensitive } from '@kassa/server/secrets';
import { providerFileSpecSchema, routingSchema } from '@kassa/server/secrets';
import type { ProviderSpec, RoutingRule } from '@kassa/server/secrets';
import { UsageError } from './errors.js';
import { envValue } from './credentials.js';
import type { Env } from './credentials.js';

export const CONFIG_FILE = 'kassa.config.json';

const port = z.number().int().min(0).max(65535);
const origin = z.string().refine((value) => {
  try {
    normalizeOrigin(value);
    return true;
  } catch {
    return false;
  }
}, 'must be an origin: scheme://host[:port], with no path');
const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * A mode's provider as the file names it: type and endpoints, never a key. The server's schema
 * (provider-config.ts), which the operator API's provider accounts parse too: one shape for both.
 */
const providerFileSpec = providerFileSpecSchema;
type ProviderFileSpec = z.infer<typeof providerFileSpec>;
/** A mode's providers: one, or several in the order tried (routing rules may reorder them). */
const modeProviders = z.union([providerFileSpec, z.array(providerFileSpec).min(1).max(10)]);

/** The config file. Keys are the flags' names in camelCase. */
export const configFileSchema = z
  .object({
    port: port.optional(),
    host: z.string().min(1).optional(),
    publicUrl: httpUrl.optional(),
    dataDir: z.string().min(1).optional(),
    allowedOrigins: z.array(origin).min(1).max(20).optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    widgetDir: z.string().min(1).optional(),
    /** Express's `trust proxy`: true, a hop count, or addresses (`loopback`, `10.0.0.0/8`). */
    trustProxy: z.union([z.boolean(), z.number().int().min(0).max(100), z.string().min(1).max(500)]).optional(),
    /** Each mode's provider (see the top of this file); its keys come from the environment. */
    providers: z
      .object({
        test: modeProviders.optional(),
        live: modeProviders.optional(),
        /** Each mode's routing rules (the server's routing.ts): the first that holds decides. */
        routing: z.object({ test: routingSchema.optional(), live: routingSchema.optional() }).strict().optional(),
        /** A CSV of `prefix,country` (the server's bin-table.ts), for rules by the card's issuing country (`cardCountry`). */
        binTable: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFileSchema>;
export const CONFIG_KEYS = Object.keys(configFileSchema.shape) as Array<keyof ConfigFile>;

/** Each setting: the environment variable that sets it. */
export const ENV_VARS: Record<keyof ConfigFile, string> = {
  port: 'KASSA_PORT',
  host: 'KASSA_HOST',
  publicUrl: 'KASSA_PUBLIC_URL',
  dataDir: 'KASSA_DATA_DIR',
  allowedOrigins: 'KASSA_ALLOWED_ORIGINS',
  logLevel: 'LOG_LEVEL',
  widgetDir: 'KASSA_WIDGET_DIR',
  trustProxy: 'KASSA_TRUST_PROXY',
  providers: 'KASSA_PROVIDERS',
};

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface ServeSettings {
  port: number;
  host: string;
  publicUrl: string | undefined;
  dataDir: string;
  allowedOrigins: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  /** undefined: the server's own default (the widget package's dist/ next to it). */
  widgetDir: string | undefined;
  /** Behind a reverse proxy, which hops to trust for the client's address (rate limits key on it); undefined: none. */
  trustProxy: boolean | number | string | undefined;
  /** Each mode's providers with their keys from the environment; a mode not named keeps its default. */
  providers: { test?: ProviderSpec[]; live?: ProviderSpec[] };
  /** Each mode's routing rules (none: the providers in the order given). */
  routing: { test?: RoutingRule[]; live?: RoutingRule[] };
  /** The BIN table's path (absolute; relative in the file is to the file), read at start; undefined: none. */
  binTable: string | undefined;
  /** The config file read, if any. */
  configFile: string | null;
  /** Where each setting came from (for `--print-config`). */
  sources: Record<keyof ConfigFile, Source>;
}

/** The flags, as commander parsed them (strings; numbers checked here like every other layer). */
export interface ServeFlags {
  config?: string | undefined;
  port?: string | undefined;
  host?: string | undefined;
  publicUrl?: string | undefined;
  dataDir?: string | undefined;
  allowedOrigins?: string | undefined;
  logLevel?: string | undefined;
  widgetDir?: string | undefined;
  trustProxy?: string | undefined;
}

/** One layer's raw settings, checked with the file's schema so every layer obeys the same rules. */
function checkLayer(raw: Record<string, unknown>, describe: (key: keyof ConfigFile) => string): ConfigFile {
  const parsed = configFileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as keyof ConfigFile | undefined;
  throw new UsageError(`${key ? describe(key) : 'a setting'}: ${issue?.message ?? 'invalid'}`);
}

function numberOrText(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** KASSA_ALLOWED_ORIGINS and --allowed-origins: a comma-separated list, each an origin. */
function originList(value: string, name: string): string[] {
  try {
    return parseOriginList(value);
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
}

function fromStrings(values: Partial<Record<keyof ConfigFile, string | undefined>>, name: (key: keyof ConfigFile) => string): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = values[key];
    if (value === undefined) continue;
    if (key === 'port') raw[key] = numberOrText(value);
    else if (key === 'allowedOrigins') raw[key] = originList(value, name(key));
    else if (key === 'trustProxy') raw[key] = parseTrustProxy(value);
    else if (key === 'providers') raw[key] = jsonValue(value, name(key));
    else raw[key] = value;
  }
  return raw;
}

function jsonValue(value: string, name: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new UsageError(`${name}: not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A mode's providers with their keys. The environment names keys by mode and type, so a mode has
 * at most one provider of each type (two Stripe accounts in one mode are not configurable yet).
 */
function modeSpecs(given: ProviderFileSpec | ProviderFileSpec[], mode: 'test' | 'live', env: Env): ProviderSpec[] {
  const list = Array.isArray(given) ? given : [given];
  const types = list.map((s) => s.type);
  const twice = types.find((t, i) => types.indexOf(t) !== i);
  if (twice) throw new UsageError(`providers.${mode}: two ${twice} providers; the environment gives keys per mode and type (KASSA_${mode.toUpperCase()}_…), so one of each`);
  return list.map((spec) => withKeys(spec, mode, env));
}

/** A mode's provider with its keys, which only the environment holds. */
function withKeys(spec: ProviderFileSpec, mode: 'test' | 'live', env: Env): ProviderSpec {
  const secret = (name: string, required: boolean): Sensitive | undefined => {
    const variable = `KASSA_${mode.toUpperCase()}_${name}`;
    const value = envValue(env, variable);
    if (value === undefined && required) throw new UsageError(`the ${mode} mode provider is ${spec.type}: set ${variable}`);
    return value === undefined ? undefined : new Sensitive(value);
  };
  switch (spec.type) {
    case 'sandbox':
      return spec;
    case 'stripe': {
      // Optional: without it Stripe's events are refused at /providers/stripe/webhooks (payments still work).
      const webhookSecret = secret('STRIPE_WEBHOOK_SECRET', false);
      return { ...spec, secretKey: secret('STRIPE_SECRET_KEY', true) as Sensitive, ...(webhookSecret ? { webhookSecret } : {}) };
    }
    case 'adyen': {
      const hmacKey = secret('ADYEN_HMAC_KEY', false);
      return { ...spec, apiKey: secret('ADYEN_API_KEY', true) as Sensitive, ...(hmacKey ? { hmacKey } : {}) };
    }
    case 'paypal':
      return { ...spec, clientSecret: secret('PAYPAL_CLIENT_SECRET', true) as Sensitive };
    case 'alipay':
      return { ...spec, privateKey: secret('ALIPAY_PRIVATE_KEY', true) as Sensitive };
    default: {
      const unreachable: never = spec;
      throw new UsageError(`unknown provider ${JSON.stringify(unreachable)}`);
    }
  }
}

const flagName = (key: keyof ConfigFile) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`${path} must hold a JSON object`);
  const unknown = Object.keys(json).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new UsageError(`${path}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known keys: ${CONFIG_KEYS.join(', ')})`);
  }
  return checkLayer(json as Record<string, unknown>, (key) => `${path}: "${key}"`);
}

export function resolveServeSettings(input: { flags: ServeFlags; env: Env; cwd: string }): ServeSettings {
  const { flags, env, cwd } = input;
  const explicit = flags.config ?? envValue(env, 'KASSA_CONFIG');
  const implicit = resolve(cwd, CONFIG_FILE);
  const configFile = explicit !== undefined ? resolve(cwd, explicit) : existsSync(implicit) ? implicit : null;
  const file = configFile ? readConfigFile(configFile) : {};
  // Paths in the file are relative to the file, wherever the server is started from.
  const fileBase = configFile ? dirname(configFile) : cwd;

  const envLayer = checkLayer(
    fromStrings(Object.fromEntries(CONFIG_KEYS.map((k) => [k, envValue(env, ENV_VARS[k])])), (k) => ENV_VARS[k]),
    (k) => ENV_VARS[k],
  );
  const { config: _config, ...flagValues } = flags;
  const flagLayer = checkLayer(fromStrings(flagValues, flagName), flagName);

  const sources = {} as Record<keyof ConfigFile, Source>;
  /** The first layer that sets `key`, and the directory its relative paths start from. */
  const pick = <K extends keyof ConfigFile>(key: K): { value: NonNullable<ConfigFile[K]>; base: string } | undefined => {
    const layers: Array<[Source, ConfigFile, string]> = [
      ['flag', flagLayer, cwd],
      ['env', envLayer, cwd],
      ['file', file, fileBase],
    ];
    for (const [source, layer, base] of layers) {
      const value = layer[key];
      if (value !== undefined && value !== null) {
        sources[key] = source;
        return { value, base };
      }
    }
    sources[key] = 'default';
    return undefined;
  };
  const dataDir = pick('dataDir');
  const widgetDir = pick('widgetDir');
  const picked = pick('providers');
  const named = picked?.value ?? {};
  const providers: ServeSettings['providers'] = {
    ...(named.test ? { test: modeSpecs(named.test, 'test', env) } : {}),
    ...(named.live ? { live: modeSpecs(named.live, 'live', env) } : {}),
  };
  return {
    port: pick('port')?.value ?? DEFAULT_PORT,
    host: pick('host')?.value ?? DEFAULT_HOST,
    publicUrl: pick('publicUrl')?.value?.replace(/\/+$/, ''),
    dataDir: dataDir ? resolve(dataDir.base, dataDir.value) : resolve(cwd, DEFAULT_DATA_DIR),
    allowedOrigins: (pick('allowedOrigins')?.value ?? DEFAULT_ALLOWED_ORIGINS).map(normalizeOrigin),
    logLevel: pick('logLevel')?.value ?? 'info',
    widgetDir: widgetDir ? resolve(widgetDir.base, widgetDir.value) : undefined,
    trustProxy: pick('trustProxy')?.value,
    providers,
    routing: named.routing ?? {},
    binTable: named.binTable !== undefined && picked ? resolve(picked.base, named.binTable) : undefined,
    configFile,
    // In the keys' own order, whichever was looked up first.
    sources: Object.fromEntries(CONFIG_KEYS.map((k) => [k, sources[k]])) as Record<keyof ConfigFile, Source>,
  };
}
