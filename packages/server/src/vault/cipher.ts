/**
 * AES-256-GCM for card numbers (and, under keys derived for them, other secrets at rest). Each
 * card gets a fresh 96-bit IV; the additional authenticated data binds a ciphertext to its vault
 * row and merchant, so a ciphertext copied into another row (or another merchant's) fails to
 * decrypt instead of leaking.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

export function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

export function open(key: Buffer, sealed: Sealed, aad: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

/** A keyed fingerprint: equal cards match, but the number cannot be brute-forced from it without the key. */
export function fingerprint(key: Buffer, digits: string): string {
  return createHmac('sha256', key).update(digits).digest('base64url');
}

/**
 * A key of its own for one purpose, derived from the vault's master key (HKDF-SHA256, the purpose
 * as its label): a ciphertext of one kind never opens under another's key, and the card key
 * itself encrypts cards only.
 */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `kassa vault ${purpose}`, 32));
}
