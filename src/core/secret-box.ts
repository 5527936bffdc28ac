import type { SecretBox as SecretBoxPort } from '../ports.ts';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets stored in the database (TOTP seeds). The associated data names the row
 * the value belongs to, so a ciphertext copied onto another account's row fails to decrypt.
 */
export class SecretBox implements SecretBoxPort {
  readonly #key: Buffer;
  readonly #macKey: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new TypeError('the master key must be 32 bytes');
    this.#key = Buffer.from(key);
    // A separate key for MACs, so the encryption key is never used for two purposes.
    this.#macKey = Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), 'twofold short-code mac', 32));
  }

  /**
   * Keyed hash for short codes (6-digit email codes): without the master key a database dump
   * cannot be brute-forced offline, where a plain SHA-256 of a 6-digit code falls in milliseconds.
   */
  mac(value: string): string {
    return createHmac('sha256', this.#macKey).update(value, 'utf8').digest('hex');
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Returns null when the value was not sealed by this key for this associated data. */
  open(sealed: string, associatedData: string): string | null {
    const parts = sealed.split('.');
    const [version, encoded] = parts;
    if (parts.length !== 2 || version !== VERSION || encoded === undefined) return null;
    const raw = Buffer.from(encoded, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
