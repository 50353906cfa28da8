/**
 * The card vault: card numbers encrypted at rest (AES-256-GCM), security codes only in
 * memory for one use. A token is single-use and expires; its CVC is dropped when the token
 * is used or expires, and never written anywhere.
 */
import { hkdfSync } from 'node:crypto';
import type { CardBrand } from '@kassa/core';
import { Sensitive } from '../domain/ports.js';
import type { CardVault, OpenedCard } from '../domain/ports.js';
import type { Store } from '../store/port.js';
import type { Clock } from '../domain/ports.js';
import { newId } from '../domain/ids.js';
import type { PaymentMethodRecord, VaultCardRecord } from '../domain/model.js';
import { FailureKind, KassaError } from '../domain/errors.js';
import { deriveKey, fingerprint, open, seal } from './cipher.js';

export const TOKEN_TTL_MS = 10 * 60 * 1000;

/**
 * A card the vault cannot give back: its row is gone, or its ciphertext does not open (a wrong
 * KASSA_VAULT_KEY, a tampered row). The server's fault, not the caller's: a 503 that says the
 * card cannot be used now, never a 500, and never the reason in detail.
 */
export const vaultUnavailable = () =>
  new KassaError(FailureKind.Unavailable, 'vault_unavailable', 'This card cannot be used right now: the card vault could not read it.');

export class Vault implements CardVault {
  readonly #key: Buffer;
  readonly #fingerprintKey: Buffer;
  /** Card tokens (a provider's, a device wallet's) are sealed under a key of their own. */
  readonly #tokenKey: Buffer;
  readonly #cvcs = new Map<string, { cvc: Sensitive; expiresAt: number }>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    key: Buffer,
    private readonly clock: Clock,
    private readonly logger?: { error(obj: object, msg: string): void },
  ) {
    this.#key = key;
    // A separate key for fingerprints, so the encryption key is used for one purpose only.
    this.#fingerprintKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'kassa vault fingerprint', 32));
    this.#tokenKey = deriveKey(key, 'payment method tokens');
    this.#sweeper = setInterval(() => this.sweep(), 30_000);
    this.#sweeper.unref();
  }

  async tokenize(
    merchantId: string,
    card: { digits: string; brand: CardBrand; expMonth: number; expYear: number; cvc: string },
  ): Promise<{ id: string; created: number; expiresAt: number }> {
    const now = this.clock.now();
    const sealed = this.#seal(merchantId, card, now);
    const token = { id: newId('tok'), merchantId, vaultCardId: sealed.id, created: now, expiresAt: now + TOKEN_TTL_MS, usedAt: null };
    await this.store.insertVaultCard(sealed, token);
    this.#cvcs.set(token.id, { cvc: new Sensitive(card.cvc), expiresAt: token.expiresAt });
    return { id: token.id, created: token.created, expiresAt: token.expiresAt };
  }

  async createPaymentMethod(
    merchantId: string,
    card: { digits: string; brand: CardBrand; expMonth: number; expYear: number },
    livemode: boolean,
  ): Promise<PaymentMethodRecord> {
    const now = this.clock.now();
    const sealed = this.#seal(merchantId, card, now);
    const pm: PaymentMethodRecord = {
      id: newId('pm'),
      merchantId,
      livemode,
      customer: null,
      vaultCardId: sealed.id,
      fingerprint: sealed.fingerprint,
      brand: sealed.brand,
      last4: sealed.last4,
      expMonth: sealed.expMonth,
      expYear: sealed.expYear,
      metadata: {},
      detached: null,
      created: now,
    };
    await this.store.insertVaultCard(sealed, null, pm);
    return pm;
  }

  #seal(merchantId: string, card: { digits: string; brand: CardBrand; expMonth: number; expYear: number }, now: number): VaultCardRecord {
    const id = newId('card');
    return {
      id,
      merchantId,
      ...seal(this.#key, card.digits, `${id}|${merchantId}`),
      fingerprint: fingerprint(this.#fingerprintKey, card.digits),
      brand: card.brand,
      last4: card.digits.slice(-4),
      expMonth: card.expMonth,
      expYear: card.expYear,
      created: now,
    };
  }

  async open(vaultCardId: string, merchantId: string): Promise<OpenedCard> {
    const row = await this.store.getVaultCard(vaultCardId);
    if (!row || row.merchantId !== merchantId) {
      this.logger?.error({ vaultCard: vaultCardId }, 'vault card not found for its merchant');
      throw vaultUnavailable();
    }
    let digits: string;
    try {
      digits = open(this.#key, row, `${row.id}|${row.merchantId}`);
    } catch {
      this.logger?.error({ vaultCard: vaultCardId }, 'vault ciphertext did not authenticate (wrong KASSA_VAULT_KEY, or a tampered row)');
      throw vaultUnavailable();
    }
    return {
      vaultCardId: row.id,
      number: new Sensitive(digits),
      fingerprint: row.fingerprint,
      brand: row.brand,
      last4: row.last4,
      expMonth: row.expMonth,
      expYear: row.expYear,
    };
  }

  takeCvc(tokenId: string): Sensitive | undefined {
    const held = this.#cvcs.get(tokenId);
    this.#cvcs.delete(tokenId);
    if (!held || held.expiresAt <= this.clock.now()) return undefined;
    return held.cvc;
  }

  sealMethodToken(merchantId: string, intentId: string, token: string): string {
    const sealed = seal(this.#tokenKey, token, `${intentId}|${merchantId}`);
    return ['v1', sealed.iv, sealed.tag, sealed.ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  openMethodToken(merchantId: string, intentId: string, sealed: string): Sensitive {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    try {
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed token');
      const b = (p: string) => Buffer.from(p, 'base64url');
      return new Sensitive(open(this.#tokenKey, { iv: b(iv), tag: b(tag), ciphertext: b(ciphertext) }, `${intentId}|${merchantId}`));
    } catch {
      this.logger?.error({ paymentIntent: intentId }, 'sealed payment method token did not open (wrong KASSA_VAULT_KEY, or a tampered row)');
      throw vaultUnavailable();
    }
  }

  /** How many CVCs are held right now (tests check that use and expiry empty it). */
  get heldCvcCount(): number {
    return this.#cvcs.size;
  }

  sweep(): void {
    const now = this.clock.now();
    for (const [id, held] of this.#cvcs) if (held.expiresAt <= now) this.#cvcs.delete(id);
  }

  /** Proves at start-up that this key opens what earlier starts sealed. */
  keyCheck(): string {
    return fingerprint(this.#fingerprintKey, 'kassa-vault-key-check');
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#cvcs.clear();
  }
}
