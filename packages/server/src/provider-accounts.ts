/**
 * Each merchant's own provider accounts, per mode: what the operator API creates, and what the
 * provider directory routes a merchant's new payments to (providers.ts). A spec's public fields
 * are stored as they are; its secret fields only sealed (AES-256-GCM under a key derived from the
 * vault's for this purpose, the row id and merchant as additional data, so a ciphertext copied to
 * another row does not open). An account is built into an adapter once when it is created (the
 * proof its configuration works) and again by every instance that loads it.
 *
 * Several instances may share one database: each keeps the accounts it built in memory and
 * reloads when the store's version of them moved (`refresh`, awaited before a payment is routed
 * or an intent's provider is resolved, and every few seconds for the inbound notifications).
 */
import { newId } from './domain/ids.js';
import { FailureKind, KassaError, invalidParam } from './domain/errors.js';
import type { Clock, PaymentProvider } from './domain/ports.js';
import type { Merchants } from './domain/merchants.js';
import type { ProviderAccountRecord, Store } from './store/port.js';
import { open, seal } from './vault/cipher.js';
import type { Sealed } from './vault/cipher.js';
import { PROVIDER_PUBLIC_FIELDS, ProviderConfigError, SECRET_FIELD_NAMES, providerSpecSchema } from './provider-config.js';
import type { ProviderAccountInput, ProviderAccountUpdate, ProviderSpec } from './provider-config.js';
import type { Logger } from './logger.js';

type Mode = 'test' | 'live';

export interface ProviderAccountsDeps {
  store: Store;
  merchants: Merchants;
  clock: Clock;
  /** The key provider accounts' secrets are sealed under (derived from the vault's: `deriveKey`). */
  key: Buffer;
  /** Turns a spec into its adapter, as at start (providerFromSpec with the server's context). */
  build: (spec: ProviderSpec, mode: Mode) => Promise<PaymentProvider>;
  logger: Logger;
}

/** What binds a sealed secret to its row: the account's id and merchant. */
const aadOf = (id: string, accountId: string) => `kassa provider account|${id}|${accountId}`;

export function sealSecrets(key: Buffer, id: string, accountId: string, secrets: Record<string, string>): Sealed {
  return seal(key, JSON.stringify(secrets), aadOf(id, accountId));
}

/** Throws when the ciphertext was not sealed for this row and merchant (or under this key). */
export function openSecrets(key: Buffer, id: string, accountId: string, sealed: Sealed): Record<string, string> {
  return JSON.parse(open(key, sealed, aadOf(id, accountId))) as Record<string, string>;
}

/**
 * Enough of a secret to recognize it, never enough to use it (PEM armour and spaces left out):
 * nothing at all of a short one, where 4 characters would be a good part of it.
 */
function hint(value: string): string {
  const bare = value.replace(/-----[^-]+-----|\s/g, '');
  return bare.length >= 16 ? bare.slice(-4) : '';
}

interface Loaded {
  record: ProviderAccountRecord;
  provider: PaymentProvider;
}

export class ProviderAccounts {
  readonly #d: ProviderAccountsDeps;
  /** Every account built, active or not, by id (an intent's provider name). */
  #loaded = new Map<string, Loaded>();
  #version: string | null = null;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: ProviderAccountsDeps) {
    this.#d = deps;
  }

  // ---- the operator's story ----

  /**
   * Checks the account exists and may use the mode, builds the adapter (a key of the wrong mode,
   * a missing public URL: a 400 naming the field), then stores it with its secrets sealed.
   */
  async create(accountId: string, input: ProviderAccountInput): Promise<ProviderAccountRecord> {
    const account = this.#d.merchants.account(accountId);
    const livemode = input.mode === 'live';
    const scope = this.#d.merchants.scopeOf(account.accountId, livemode);
    if (!scope) {
      throw new KassaError(
        FailureKind.InvalidState,
        'account_not_live',
        `Account ${accountId} is not activated for live mode: activate it (POST /operator/merchants/${accountId}/activate) before giving it live providers.`,
        { param: 'mode' },
      );
    }
    const id = newId('pa');
    const { mode, name, ...fields } = input;
    const spec = { ...fields, name: id } as ProviderSpec;
    await this.#build(spec, mode, true);
    const { config, secrets, secretHints } = split(input.type, fields as Record<string, unknown>);
    const record: ProviderAccountRecord = {
      id,
      accountId: account.accountId,
      merchantId: scope.id,
      livemode,
      name: name ?? null,
      type: input.type,
      config,
      secretHints,
      sealed: sealSecrets(this.#d.key, id, account.accountId, secrets),
      created: this.#d.clock.now(),
      deactivatedAt: null,
      revision: 0,
    };
    await this.#d.store.insertProviderAccount(record);
    // This instance routes to it at once; the others when they see the version move.
    await this.refresh();
    return record;
  }

  async list(accountId: string): Promise<ProviderAccountRecord[]> {
    this.#d.merchants.account(accountId);
    return this.#d.store.listProviderAccounts(accountId);
  }

  async get(accountId: string, id: string): Promise<ProviderAccountRecord> {
    this.#d.merchants.account(accountId);
    const found = await this.#d.store.getProviderAccount(id);
    if (!found || found.accountId !== accountId) throw new KassaError(FailureKind.NotFound, 'resource_missing', `No such provider account: '${id}'`, { param: 'id' });
    return found;
  }

  /** No new payment goes there; what was paid there still is captured, refunded and notified through it. */
  async deactivate(accountId: string, id: string): Promise<ProviderAccountRecord> {
    const found = await this.get(accountId, id);
    if (found.deactivatedAt === null) {
      await this.#d.store.deactivateProviderAccount(id, this.#d.clock.now());
      await this.refresh();
    }
    return this.get(accountId, id);
  }

  /**
   * Changes an account: its label, any of its type's fields (a key rolled, an endpoint or id
   * corrected; fields not given keep their value), and `active` (true reactivates a deactivated
   * one). Its id, type, mode and place in the failover order stay: the intents paid there are
   * captured, refunded and recovered through the changed account. The whole spec is built once
   * before anything is stored (a key of the wrong mode: a 400 naming the field). Every instance
   * builds the adapter again once it sees the revision move.
   */
  async update(accountId: string, id: string, input: ProviderAccountUpdate): Promise<ProviderAccountRecord> {
    const { name, active, ...fields } = input;
    const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    // Written from the revision read: another change in between is read again and this one made
    // on top of it (a field each sets is the later one's), never lost.
    for (let round = 0; round < 5; round++) {
      const found = await this.get(accountId, id);
      const merged = { ...(this.#specOf(found) as Record<string, unknown>), ...given };
      await this.#build(merged as ProviderSpec, found.livemode ? 'live' : 'test', true);
      const { name: _name, type: _type, ...specFields } = merged;
      void _name;
      void _type;
      const { config, secrets, secretHints } = split(found.type, specFields);
      const written = await this.#d.store.updateProviderAccount(id, found.revision, {
        name: name === undefined ? found.name : name,
        config,
        secretHints,
        sealed: sealSecrets(this.#d.key, id, found.accountId, secrets),
        deactivatedAt: active === undefined ? found.deactivatedAt : active ? null : (found.deactivatedAt ?? this.#d.clock.now()),
      });
      if (!written) continue;
      await this.refresh();
      return this.get(accountId, id);
    }
    throw new KassaError(FailureKind.Unavailable, 'api_error', `Provider account ${id} is being changed by other requests: try again.`);
  }

  // ---- the directory's side ----

  /** Reloads when another instance (or this one) added or deactivated an account since the last look. */
  refresh(): Promise<void> {
    // A reload that starts after this call (one that started before may have read the old
    // version), one at a time: callers that come while one waits to start share it.
    if (this.#queued) return this.#queued;
    const before = this.#running ?? Promise.resolve();
    const next: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        this.#queued = null;
        this.#running = next;
        return this.#reload();
      })
      .finally(() => {
        if (this.#running === next) this.#running = null;
      });
    this.#queued = next;
    return next;
  }

  /** Keeps the accounts fresh for what cannot wait for them (a provider's notification names no merchant). */
  start(everyMs = 2_000): void {
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.#d.logger.error({ err }, 'provider accounts: reload failed'));
    }, everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A merchant scope's active accounts of a mode, in creation order (the failover order). */
  active(merchantId: string, livemode: boolean): PaymentProvider[] {
    const out: PaymentProvider[] = [];
    for (const { record, provider } of this.#loaded.values()) {
      if (record.merchantId === merchantId && record.livemode === livemode && record.deactivatedAt === null) out.push(provider);
    }
    return out;
  }

  byName(name: string): PaymentProvider | undefined {
    return this.#loaded.get(name)?.provider;
  }

  all(): PaymentProvider[] {
    return [...this.#loaded.values()].map((l) => l.provider);
  }

  async #reload(): Promise<void> {
    const version = await this.#d.store.providerAccountsVersion();
    if (version === this.#version) return;
    const records = await this.#d.store.listProviderAccounts(null);
    const next = new Map<string, Loaded>();
    for (const record of records) {
      const known = this.#loaded.get(record.id);
      // Built already, and unchanged since: the same adapter (a changed one is built again).
      if (known && known.record.revision === record.revision) {
        next.set(record.id, { record, provider: known.provider });
        continue;
      }
      try {
        next.set(record.id, { record, provider: await this.#build(this.#specOf(record), record.livemode ? 'live' : 'test', false) });
      } catch (err) {
        // One unusable account (a tampered row, another vault key) must not stop the others. One
        // this instance had built before the change keeps that adapter (its holds are still
        // captured and refunded; its revision stays the old one, so the next change builds it
        // again); one never built is refused as "not configured". The operator sees why here.
        if (known) next.set(record.id, { record: { ...record, revision: known.record.revision }, provider: known.provider });
        this.#d.logger.error(
          { providerAccount: record.id, merchant: record.accountId, reason: err instanceof Error ? err.name : 'unknown', kept: known !== undefined },
          known ? 'changed provider account cannot be loaded; the adapter built before the change is kept' : 'provider account cannot be loaded',
        );
      }
    }
    this.#loaded = next;
    this.#version = version;
  }

  #specOf(record: ProviderAccountRecord): ProviderSpec {
    const secrets = openSecrets(this.#d.key, record.id, record.accountId, record.sealed);
    return { ...providerSpecSchema.parse({ ...record.config, ...secrets, type: record.type }), name: record.id };
  }

  /** The adapter, or the operator's 400: a ProviderConfigError names its field; another refusal is told without its details (they may quote a key). */
  async #build(spec: ProviderSpec, mode: Mode, forCaller: boolean): Promise<PaymentProvider> {
    try {
      return await this.#d.build(spec, mode);
    } catch (error) {
      if (!forCaller) throw error;
      if (error instanceof ProviderConfigError) throw invalidParam(error.param ?? 'type', `${capitalized(error.message)}.`);
      throw invalidParam('type', `The ${spec.type} adapter refused this configuration: check its keys and fields.`);
    }
  }
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A spec's fields as stored: the public ones as they are, the secret ones to seal, and their hints. */
function split(type: ProviderAccountRecord['type'], given: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string>; secretHints: Record<string, string> } {
  const config: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const secretHints: Record<string, string> = {};
  for (const field of Object.keys(PROVIDER_PUBLIC_FIELDS[type])) if (given[field] !== undefined) config[field] = given[field];
  for (const field of SECRET_FIELD_NAMES[type]) {
    const value = given[field];
    if (value === undefined) continue;
    const revealed = (value as { reveal(): string }).reveal();
    secrets[field] = revealed;
    secretHints[field] = hint(revealed);
  }
  return { config, secrets, secretHints };
}
