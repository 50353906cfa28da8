/**
 * Endpoint signing secrets. Kassa must sign with them, so unlike API keys they cannot be
 * stored as hashes: they are sealed with AES-256-GCM under a key of their own (HKDF of the
 * server secret, so the vault key is used for cards only), the AAD binding each ciphertext to
 * its endpoint and merchant. In memory they travel as `Sensitive`, which never prints.
 *
 * Their format, and how they sign, is in signing.ts.
 */
import { Sensitive } from '../domain/ports.js';
import type { SealedSecret } from '../domain/webhook-model.js';
import { open, seal } from '../vault/cipher.js';
import { newSigningSecret } from './signing.js';
const REPLAY_PREFIX = 'kassa-sealed:v1:';

export class WebhookSecrets {
  readonly #key: Buffer;

  /** `key`: 32 bytes, derived for this purpose only. */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the webhook secret key must be 32 bytes');
    this.#key = key;
  }

  generate(): Sensitive {
    return new Sensitive(newSigningSecret());
  }

  seal(endpointId: string, merchantId: string, secret: Sensitive): SealedSecret {
    return seal(this.#key, secret.reveal(), aad(endpointId, merchantId));
  }

  /** Throws if the ciphertext does not authenticate (another server secret, a tampered row). */
  open(endpointId: string, merchantId: string, sealed: SealedSecret): Sensitive {
    return new Sensitive(open(this.#key, sealed, aad(endpointId, merchantId)));
  }

  /**
   * The secret as an idempotent response stores it for replays: sealed into one string, so the
   * idempotency table never holds it in clear and a replay can still show it.
   */
  sealForReplay(merchantId: string, secret: Sensitive): string {
    const s = seal(this.#key, secret.reveal(), replayAad(merchantId));
    return `${REPLAY_PREFIX}${[s.iv, s.tag, s.ciphertext].map((b) => b.toString('base64url')).join('.')}`;
  }

  /** The secret back from `sealForReplay`, or null if `value` is not one this key sealed for this merchant. */
  openReplay(merchantId: string, value: string): string | null {
    if (!value.startsWith(REPLAY_PREFIX)) return null;
    const parts = value.slice(REPLAY_PREFIX.length).split('.');
    if (parts.length !== 3) return null;
    const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
    try {
      return open(this.#key, { iv, tag, ciphertext }, replayAad(merchantId));
    } catch {
      return null;
    }
  }
}

const aad = (endpointId: string, merchantId: string) => `webhook-secret|${endpointId}|${merchantId}`;
const replayAad = (merchantId: string) => `webhook-secret-replay|${merchantId}`;
