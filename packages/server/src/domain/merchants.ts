/**
 * Merchants and their test-mode keys. Keys are shown once and stored only as SHA-256
 * hashes: a leaked database does not leak a usable key. Allowed origins (who may embed the
 * widget and the card frame) are cached in memory; they are read on every widget request.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/port.js';
import type { MerchantRecord } from './model.js';
import type { Clock } from './ports.js';
import { newId, randomBase62 } from './ids.js';

export interface MerchantKeys {
  merchant: string;
  secretKey: string;
  publishableKey: string;
}

export const DEFAULT_MERCHANT_SETTING = 'default_merchant';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class Merchants {
  #origins = new Map<string, readonly string[]>();
  #allOrigins = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    const merchants = await this.store.listMerchants();
    this.#origins = new Map(merchants.map((m) => [m.id, m.allowedOrigins]));
    this.#allOrigins = new Set(merchants.flatMap((m) => m.allowedOrigins));
  }

  /** Creates a merchant with fresh keys; the plain keys are returned once and never stored. */
  async create(options: { name?: string; allowedOrigins: string[] }): Promise<MerchantKeys> {
    const now = this.clock.now();
    const merchant: MerchantRecord = {
      id: newId('acct'),
      name: options.name ?? 'Test merchant',
      allowedOrigins: options.allowedOrigins,
      created: now,
    };
    const secretKey = `sk_test_${randomBase62(32)}`;
    const publishableKey = `pk_test_${randomBase62(32)}`;
    await this.store.createMerchant(merchant, [
      { hash: hashApiKey(secretKey), merchantId: merchant.id, kind: 'secret', prefix: secretKey.slice(0, 12), created: now },
      { hash: hashApiKey(publishableKey), merchantId: merchant.id, kind: 'publishable', prefix: publishableKey.slice(0, 12), created: now },
    ]);
    await this.load();
    return { merchant: merchant.id, secretKey, publishableKey };
  }

  /**
   * The default merchant of a single-tenant install: created (with keys) on first start,
   * its allowed origins brought in line with the configuration on every start.
   */
  async ensureDefault(allowedOrigins: string[]): Promise<{ merchant: string; created: MerchantKeys | null }> {
    const existing = await this.store.getSetting(DEFAULT_MERCHANT_SETTING);
    if (existing && (await this.store.getMerchant(existing))) {
      await this.store.setAllowedOrigins(existing, allowedOrigins);
      await this.load();
      return { merchant: existing, created: null };
    }
    const keys = await this.create({ name: 'Default merchant', allowedOrigins });
    await this.store.setSetting(DEFAULT_MERCHANT_SETTING, keys.merchant);
    return { merchant: keys.merchant, created: keys };
  }

  async merchantForSecretKey(key: string): Promise<string | null> {
    return this.store.merchantForSecretKeyHash(hashApiKey(key));
  }

  /** Whether the merchant exists (from the in-memory map `load` fills; no store round trip). */
  exists(merchantId: string): boolean {
    return this.#origins.has(merchantId);
  }

  originsOf(merchantId: string): readonly string[] {
    return this.#origins.get(merchantId) ?? [];
  }

  /** Any merchant's origin: the card frame is loaded before it knows which merchant it serves. */
  isKnownOrigin(origin: string): boolean {
    return this.#allOrigins.has(origin);
  }
}
