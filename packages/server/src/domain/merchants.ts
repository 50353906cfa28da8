/**
 * Merchant accounts, their two modes and their keys — the onboarding story: the operator
 * registers a merchant, who gets a test key pair at once, integrates against the sandbox, and
 * is then activated for live mode (a live scope and live keys). Keys are shown once and stored
 * only as SHA-256 hashes: a leaked database does not leak a usable key. A rolled key keeps
 * working until its expiry (the overlap window); a revoked one stops at once.
 *
 * Scopes and origins are cached in memory: they are read on every request.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/port.js';
import type { ApiKeyKind, ApiKeyRecord, KeyPermission, KeyResource, MerchantRecord } from './model.js';
import type { Clock } from './ports.js';
import { FailureKind, KassaError, invalidParam, notFound } from './errors.js';
import { newId, randomBase62 } from './ids.js';

export interface MerchantKeys {
  merchant: string;
  secretKey: string;
  publishableKey: string;
}

/** A key as the one answer that shows it: the key itself, and its record. */
export interface IssuedKey {
  key: string;
  record: ApiKeyRecord;
}

/** Who a request's key is: the scope it acts for, its mode, its kind and what it may touch. */
export interface Caller {
  merchantId: string;
  accountId: string;
  livemode: boolean;
  kind: ApiKeyKind;
  keyId: string;
  permissions: ApiKeyRecord['permissions'];
}

export interface Registration {
  name: string;
  country?: string | undefined;
  defaultCurrency?: string | undefined;
  email?: string | undefined;
  allowedOrigins: string[];
}

export const DEFAULT_MERCHANT_SETTING = 'default_merchant';
export const OPERATOR_KEY_SETTING = 'operator_key_hash';
/** How long a rolled key keeps working by default, and at most (Stripe allows up to 7 days). */
export const DEFAULT_ROLL_OVERLAP_S = 24 * 60 * 60;
export const MAX_ROLL_OVERLAP_S = 7 * 24 * 60 * 60;
/** `last_used` is recorded at most this often per key: a write per request would cost every request a commit. */
const TOUCH_EVERY_MS = 60_000;

const PREFIX: Record<ApiKeyKind, string> = { secret: 'sk', publishable: 'pk', restricted: 'rk' };
export const API_KEY_PATTERN = /^(sk|pk|rk)_(test|live)_[A-Za-z0-9]{16,64}$/;
export const OPERATOR_KEY_PATTERN = /^op_[A-Za-z0-9]{32,64}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class Merchants {
  #scopes = new Map<string, MerchantRecord>();
  #allOrigins = new Set<string>();
  readonly #touched = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    const merchants = await this.store.listMerchants();
    this.#scopes = new Map(merchants.map((m) => [m.id, m]));
    this.#allOrigins = new Set(merchants.flatMap((m) => m.allowedOrigins));
  }

  // ---- onboarding ----

  /** Registers a merchant account: its test scope and a test key pair, shown once. */
  async register(r: Registration): Promise<{ merchant: MerchantRecord; keys: { publishable: IssuedKey; secret: IssuedKey } }> {
    const now = this.clock.now();
    const id = newId('acct');
    const merchant: MerchantRecord = {
      id,
      accountId: id,
      livemode: false,
      name: r.name,
      country: r.country ?? null,
      defaultCurrency: r.defaultCurrency ?? null,
      email: r.email ?? null,
      allowedOrigins: r.allowedOrigins,
      status: 'test',
      created: now,
    };
    const secret = this.#issue(id, 'secret', false, null, null, now);
    const publishable = this.#issue(id, 'publishable', false, null, null, now);
    await this.store.createMerchant(merchant, [secret.record, publishable.record]);
    await this.load();
    return { merchant, keys: { publishable, secret } };
  }

  /**
   * The operator's approval: the account gets a live scope (its own id, its own data) and a live
   * key pair, shown once. Only once: an active account cannot be activated again.
   */
  async activate(accountId: string): Promise<{ merchant: MerchantRecord; keys: { publishable: IssuedKey; secret: IssuedKey } }> {
    const account = this.account(accountId);
    if (account.status === 'live') {
      throw new KassaError(FailureKind.InvalidState, 'account_already_live', `Account ${accountId} is already activated for live mode.`);
    }
    const now = this.clock.now();
    const live: MerchantRecord = { ...account, id: newId('acct'), livemode: true, status: 'live', created: now };
    const secret = this.#issue(live.id, 'secret', true, null, null, now);
    const publishable = this.#issue(live.id, 'publishable', true, null, null, now);
    await this.store.createMerchant(live, [secret.record, publishable.record]);
    await this.store.updateAccount(accountId, { name: account.name, email: account.email, allowedOrigins: account.allowedOrigins, status: 'live' });
    await this.load();
    return { merchant: this.account(accountId), keys: { publishable, secret } };
  }

  async updateAccount(accountId: string, fields: { name?: string | undefined; email?: string | undefined; allowedOrigins?: string[] | undefined }): Promise<MerchantRecord> {
    const account = this.account(accountId);
    await this.store.updateAccount(accountId, {
      name: fields.name ?? account.name,
      email: fields.email ?? account.email,
      allowedOrigins: fields.allowedOrigins ?? account.allowedOrigins,
      status: account.status,
    });
    await this.load();
    return this.account(accountId);
  }

  /** An account (its test scope, which carries the account's details). */
  account(accountId: string): MerchantRecord {
    const scope = this.#scopes.get(accountId);
    if (!scope || scope.livemode || scope.accountId !== accountId) throw notFound('account', accountId);
    return scope;
  }

  accounts(): MerchantRecord[] {
    return [...this.#scopes.values()].filter((m) => !m.livemode);
  }

  /** The scope of an account for a mode, or null (live before activation). */
  scopeOf(accountId: string, livemode: boolean): MerchantRecord | null {
    for (const m of this.#scopes.values()) if (m.accountId === accountId && m.livemode === livemode) return m;
    return null;
  }

  // ---- keys ----

  /** A new key for an account's mode: secret, publishable, or restricted with its permissions. */
  async createKey(
    accountId: string,
    spec: { kind: ApiKeyKind; livemode: boolean; name?: string | undefined; permissions?: Partial<Record<KeyResource, KeyPermission>> | undefined },
  ): Promise<IssuedKey> {
    const scope = this.scopeOf(accountId, spec.livemode);
    if (!scope) {
      throw new KassaError(FailureKind.InvalidState, 'account_not_live', `Account ${accountId} is not activated for live mode: no live keys yet.`, {
        param: 'livemode',
      });
    }
    if (spec.kind === 'restricted' && (!spec.permissions || Object.keys(spec.permissions).length === 0)) {
      throw invalidParam('permissions', 'A restricted key needs permissions: { resource: "read" | "write" }.');
    }
    if (spec.kind !== 'restricted' && spec.permissions) throw invalidParam('permissions', 'Only restricted keys take permissions.');
    const issued = this.#issue(scope.id, spec.kind, spec.livemode, spec.name ?? null, spec.permissions ?? null, this.clock.now());
    await this.store.insertApiKey(issued.record);
    return issued;
  }

  async listKeys(accountId: string): Promise<ApiKeyRecord[]> {
    this.account(accountId);
    return this.store.listApiKeys(accountId);
  }

  /** Rotation: a new key like the old one; the old keeps working for `overlapS` seconds (0: stops now). */
  async rollKey(keyId: string, overlapS = DEFAULT_ROLL_OVERLAP_S): Promise<IssuedKey> {
    if (!Number.isInteger(overlapS) || overlapS < 0 || overlapS > MAX_ROLL_OVERLAP_S) {
      throw invalidParam('expires_in', `expires_in must be 0–${MAX_ROLL_OVERLAP_S} seconds.`);
    }
    const old = await this.liveKey(keyId);
    const now = this.clock.now();
    const replacement = this.#issue(old.merchantId, old.kind, old.livemode, old.name, old.permissions, now);
    const expires = now + overlapS * 1000;
    await this.store.rollApiKey(old.id, old.expiresAt === null ? expires : Math.min(old.expiresAt, expires), replacement.record);
    return replacement;
  }

  async revokeKey(keyId: string): Promise<ApiKeyRecord> {
    const key = await this.liveKey(keyId);
    const now = this.clock.now();
    await this.store.revokeApiKey(key.id, now);
    return { ...key, revokedAt: now };
  }

  async getKey(keyId: string): Promise<ApiKeyRecord> {
    const key = /^key_[A-Za-z0-9]{8,64}$/.test(keyId) ? await this.store.getApiKey(keyId) : null;
    if (!key) throw notFound('api key', keyId);
    return key;
  }

  /**
   * Who a key is, if it is a key of ours that works now: not revoked, not past its expiry. Records
   * its use (at most once a minute).
   */
  async caller(key: string): Promise<Caller | null> {
    if (!API_KEY_PATTERN.test(key)) return null;
    const record = await this.store.keyByHash(hashApiKey(key));
    const now = this.clock.now();
    if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) return null;
    const scope = this.#scopes.get(record.merchantId);
    if (!scope) return null;
    const last = this.#touched.get(record.id) ?? record.lastUsedAt ?? 0;
    if (now - last >= TOUCH_EVERY_MS) {
      this.#touched.set(record.id, now);
      // Bookkeeping only: a failed write must not fail the request it describes.
      void this.store.touchApiKey(record.id, now).catch(() => undefined);
    }
    return { merchantId: scope.id, accountId: scope.accountId, livemode: scope.livemode, kind: record.kind, keyId: record.id, permissions: record.permissions };
  }

  /** The operator key, made on first start (stored hashed): the plain key when it was made now, else null. */
  async ensureOperatorKey(): Promise<string | null> {
    if ((await this.store.getSetting(OPERATOR_KEY_SETTING)) !== null) return null;
    const key = `op_${randomBase62(40)}`;
    await this.store.setSetting(OPERATOR_KEY_SETTING, hashApiKey(key));
    return key;
  }

  async isOperatorKey(key: string): Promise<boolean> {
    if (!OPERATOR_KEY_PATTERN.test(key)) return false;
    const stored = await this.store.getSetting(OPERATOR_KEY_SETTING);
    return stored !== null && stored === hashApiKey(key);
  }

  // ---- the default merchant of a single-tenant install ----

  /** Creates a merchant with fresh test keys (tests, the default merchant); the plain keys are returned once. */
  async create(options: { name?: string; allowedOrigins: string[] }): Promise<MerchantKeys> {
    const { merchant, keys } = await this.register({ name: options.name ?? 'Test merchant', allowedOrigins: options.allowedOrigins });
    return { merchant: merchant.id, secretKey: keys.secret.key, publishableKey: keys.publishable.key };
  }

  /**
   * The default merchant of a single-tenant install: created (with keys) on first start,
   * its allowed origins brought in line with the configuration on every start.
   */
  async ensureDefault(allowedOrigins: string[]): Promise<{ merchant: string; created: MerchantKeys | null }> {
    const existing = await this.store.getSetting(DEFAULT_MERCHANT_SETTING);
    if (existing && (await this.store.getMerchant(existing))) {
      const account = await this.store.getMerchant(existing);
      if (account) await this.store.updateAccount(existing, { name: account.name, email: account.email, allowedOrigins, status: account.status });
      await this.load();
      return { merchant: existing, created: null };
    }
    const keys = await this.create({ name: 'Default merchant', allowedOrigins });
    await this.store.setSetting(DEFAULT_MERCHANT_SETTING, keys.merchant);
    return { merchant: keys.merchant, created: keys };
  }

  /** Whether the merchant scope exists (from the in-memory map `load` fills; no store round trip). */
  exists(merchantId: string): boolean {
    return this.#scopes.has(merchantId);
  }

  /** Whether a scope is live mode (for the `livemode` every object carries). */
  isLive(merchantId: string): boolean {
    return this.#scopes.get(merchantId)?.livemode ?? false;
  }

  originsOf(merchantId: string): readonly string[] {
    return this.#scopes.get(merchantId)?.allowedOrigins ?? [];
  }

  /** Any merchant's origin: the card frame is loaded before it knows which merchant it serves. */
  isKnownOrigin(origin: string): boolean {
    return this.#allOrigins.has(origin);
  }

  /** A key that still works (not revoked or expired): the only kind that may be rolled or revoked. */
  private async liveKey(keyId: string): Promise<ApiKeyRecord> {
    const key = await this.getKey(keyId);
    if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= this.clock.now())) {
      throw new KassaError(FailureKind.InvalidState, 'api_key_expired', `Key ${keyId} is revoked or expired.`);
    }
    return key;
  }

  #issue(
    merchantId: string,
    kind: ApiKeyKind,
    livemode: boolean,
    name: string | null,
    permissions: ApiKeyRecord['permissions'],
    now: number,
  ): IssuedKey {
    const key = `${PREFIX[kind]}_${livemode ? 'live' : 'test'}_${randomBase62(32)}`;
    return {
      key,
      record: {
        id: newId('key'),
        hash: hashApiKey(key),
        merchantId,
        kind,
        livemode,
        prefix: `${key.slice(0, 12)}…`,
        name,
        permissions,
        created: now,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
      },
    };
  }
}
