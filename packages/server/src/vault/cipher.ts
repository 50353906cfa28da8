/**
 * AES-256-GCM for card numbers. Each card gets a fresh 96-bit IV; the additional
 * authenticated data binds a ciphertext to its vault row and merchant, so a ciphertext
 * copied into another row (or another merchant's) fails to decrypt instead of leaking.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

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
