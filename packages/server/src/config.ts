/**
 * Configuration: options given to `startKassa` (by `kassa serve`, from its flags, environment and config file),
 * plus the secrets every instance needs. Secrets are generated once into the data directory
 * (mode 0600) so a sandbox needs no setup; production passes KASSA_VAULT_KEY instead of
 * letting the vault key sit next to the database it protects.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_PORT = 4242;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:3000', 'http://127.0.0.1:3000'];
/** Relative to the working directory of whoever starts the server. */
export const DEFAULT_DATA_DIR = '.kassa';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// ---- Files in the data directory that people and tools read (the CLI finds its keys there) ----

/** The default merchant's test keys, written (mode 0600) on the start that creates them. */
export const KEYS_FILE = 'test-keys.json';
/** The operator key, written (mode 0600) on the start that creates it. */
export const OPERATOR_KEY_FILE = 'operator-key.json';

export const keysFileSchema = z.object({ merchant: z.string(), secret_key: z.string(), publishable_key: z.string() }).strict();
export type KeysFile = z.infer<typeof keysFileSchema>;
export const operatorKeyFileSchema = z.object({ operator_key: z.string() }).strict();
export type OperatorKeyFile = z.infer<typeof operatorKeyFileSchema>;

export interface Config {
  dataDir: string;
  port: number;
  host: string;
  /** Set once the server listens when not configured (port 0 is only known then). */
  publicUrl: string | undefined;
  allowedOrigins: string[];
  logLevel: string;
  widgetDistDir: string;
}

/** An origin exactly as a browser sends it in the Origin header: scheme://host[:port]. */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`invalid origin "${value}": expected scheme://host[:port]`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw new Error(`invalid origin "${value}": expected scheme://host[:port] with no path`);
  }
  return url.origin;
}

export function parseOriginList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(normalizeOrigin);
}

/** Where the widget package's build output lives (kassa.js, frame/card.js). */
export function defaultWidgetDistDir(): string {
  // src/config.ts → packages/server/src → packages/widget/dist
  return new URL('../../widget/dist/', import.meta.url).pathname;
}

export function resolveConfig(options: {
  dataDir: string;
  port?: number | undefined;
  host?: string | undefined;
  publicUrl?: string | undefined;
  allowedOrigins?: string[] | undefined;
  logLevel?: string | undefined;
  widgetDistDir?: string | undefined;
}): Config {
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${String(port)}`);
  return {
    dataDir: resolve(options.dataDir),
    port,
    host: options.host ?? DEFAULT_HOST,
    publicUrl: options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : undefined,
    allowedOrigins: (options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS).map(normalizeOrigin),
    logLevel: options.logLevel ?? 'info',
    widgetDistDir: options.widgetDistDir ?? defaultWidgetDistDir(),
  };
}

// ---- Secrets ----

/** Raw key material. Never logged: the class hides its bytes from JSON and util.inspect. */
export interface Secrets {
  /** HMAC key for derived provider idempotency keys and other server-side fingerprints. */
  serverSecret: Buffer;
  /** HS256 key for client secrets (JWT). */
  clientSecretKey: Buffer;
  /** AES-256-GCM key for the card vault. */
  vaultKey: Buffer;
}

const secretsFileSchema = z
  .object({
    server_secret: z.string(),
    client_secret_key: z.string(),
    vault_key: z.string().optional(),
  })
  .strict();

export const SECRETS_FILE = 'secrets.json';

/** Accepts 64 hex characters or base64 of exactly 32 bytes. */
export function parseKey32(value: string, name: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error(`${name} must be 32 bytes (64 hex characters or base64)`);
  return key;
}

/** Writes a file readable only by its owner, refusing to overwrite an existing one. */
export function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600); // umask cannot widen it, but a pre-set umask may narrow oddly: be explicit
}

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * Loads `<dataDir>/secrets.json`, creating it on first start. The vault key comes from
 * `vaultKey` (KASSA_VAULT_KEY) when given, else from the file (generated for the sandbox).
 */
export function loadOrCreateSecrets(dataDir: string, vaultKey?: string): Secrets {
  const path = join(dataDir, SECRETS_FILE);
  if (!existsSync(path)) {
    const fresh = {
      server_secret: randomBytes(32).toString('base64'),
      client_secret_key: randomBytes(32).toString('base64'),
      ...(vaultKey ? {} : { vault_key: randomBytes(32).toString('base64') }),
    };
    writePrivateFile(path, `${JSON.stringify(fresh, null, 2)}\n`);
  }
  const parsed = secretsFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const vault = vaultKey ?? parsed.vault_key;
  if (!vault) throw new Error('no vault key: set KASSA_VAULT_KEY (the data directory holds none)');
  return {
    serverSecret: parseKey32(parsed.server_secret, 'server_secret'),
    clientSecretKey: parseKey32(parsed.client_secret_key, 'client_secret_key'),
    vaultKey: parseKey32(vault, 'KASSA_VAULT_KEY'),
  };
}

/**
 * Express's `trust proxy` from text: `true`/`false`, a hop count, or what Express takes as a
 * list (`loopback`, `10.0.0.0/8, 127.0.0.1`). Rate limits key on the client's address, which
 * behind a proxy is only right when the proxy is trusted.
 */
export function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
