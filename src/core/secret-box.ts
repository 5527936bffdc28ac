import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { SecretBox as SecretBoxPort } from '../ports.ts';

// Sealed values name the key that sealed them: `v2.<key id>.<iv|tag|ciphertext>`. Values from
// before key rotation existed are `v1.<...>`, with no key id; any key of the ring may open them.
const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A short public name for a key (not secret: an HMAC of a constant under the key). */
export function masterKeyId(key: Uint8Array): string {
  return createHmac('sha256', Buffer.from(key)).update('twofold master key id').digest('hex').slice(0, 16);
}

/** The MAC key releases before rotation used: derived from the master key of the day. */
export function deriveMacKey(key: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(key), Buffer.alloc(0), 'twofold short-code mac', 32));
}

function checkKey(key: Uint8Array): Buffer {
  if (key.length !== 32) throw new TypeError('the master key must be 32 bytes');
  return Buffer.from(key);
}

/**
 * AES-256-GCM for secrets stored in the database (TOTP seeds), over a key ring: one active key
 * seals, every key of the ring opens what it sealed, so a master key can be rotated while the
 * service runs. The associated data names the row the value belongs to, so a ciphertext copied
 * onto another account's row fails to decrypt.
 */
export class SecretBox implements SecretBoxPort {
  #keys = new Map<string, Buffer>();
  #activeId = '';
  #macKey: Buffer;

  /** `retired`: older keys still needed to open values not yet re-sealed. `macKey`: see mac(). */
  constructor(key: Uint8Array, options: { retired?: Uint8Array[]; macKey?: Uint8Array } = {}) {
    this.setKeys(key, options.retired ?? []);
    // A separate key for MACs, so the encryption key is never used for two purposes.
    this.#macKey = options.macKey === undefined ? deriveMacKey(checkKey(key)) : checkKey(options.macKey);
  }

  /** Replaces the ring (a running instance picking up a rotated key). */
  setKeys(active: Uint8Array, retired: Uint8Array[]): void {
    const keys = new Map<string, Buffer>();
    for (const key of [active, ...retired]) keys.set(masterKeyId(key), checkKey(key));
    this.#keys = keys;
    this.#activeId = masterKeyId(active);
  }

  /** The key MACs are computed with; it outlives master keys (stored sealed, see runtime/key-ring.ts). */
  setMacKey(key: Uint8Array): void {
    this.#macKey = checkKey(key);
  }

  get activeKeyId(): string {
    return this.#activeId;
  }

  hasKey(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key id a value was sealed with; null for a legacy (v1) or malformed value. */
  static keyIdOf(sealed: string): string | null {
    const parts = sealed.split('.');
    return parts.length === 3 && parts[0] === VERSION ? (parts[1] ?? null) : null;
  }

  /**
   * Keyed hash for short codes (6-digit email codes): without the key a database dump cannot be
   * brute-forced offline, where a plain SHA-256 of a 6-digit code falls in milliseconds.
   */
  mac(value: string): string {
    return createHmac('sha256', this.#macKey).update(value, 'utf8').digest('hex');
  }

  seal(plaintext: string, associatedData: string): string {
    const key = this.#keys.get(this.#activeId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${this.#activeId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Returns null when no key of the ring sealed this value for this associated data. */
  open(sealed: string, associatedData: string): string | null {
    const parts = sealed.split('.');
    if (parts.length === 3 && parts[0] === VERSION) {
      const key = this.#keys.get(parts[1]!);
      return key === undefined ? null : decrypt(key, parts[2]!, associatedData);
    }
    if (parts.length === 2 && parts[0] === LEGACY_VERSION) {
      for (const key of this.#keys.values()) {
        const opened = decrypt(key, parts[1]!, associatedData);
        if (opened !== null) return opened;
      }
    }
    return null;
  }
}

function decrypt(key: Buffer, encoded: string, associatedData: string): string | null {
  const raw = Buffer.from(encoded, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
