import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveMacKey, SecretBox } from '../../src/core/secret-box.ts';

const KEY = Uint8Array.from(Buffer.alloc(32, 7));
const OTHER_KEY = Uint8Array.from(Buffer.alloc(32, 8));
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const AD = 'totp-secret:account-1';

/** Flips one bit in the decoded payload (a flip in the base64url text can land in unused bits). */
function flipBit(sealed: string, byteIndex: number): string {
  const [version, keyId, encoded] = sealed.split('.') as [string, string, string];
  const raw = Buffer.from(encoded, 'base64url');
  const index = byteIndex < 0 ? raw.length + byteIndex : byteIndex;
  raw[index] = raw[index]! ^ 0x01;
  return `${version}.${keyId}.${raw.toString('base64url')}`;
}

/** The IV, tag and ciphertext of a sealed value (its last part). */
function payload(sealed: string): Buffer {
  return Buffer.from(sealed.split('.').at(-1)!, 'base64url');
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it('round-trips a value, including empty and non-ASCII ones', () => {
    for (const value of [SECRET, '', 'päss wörd ✓ 😀', 'x'.repeat(10_000)]) {
      const sealed = box.seal(value, AD);
      expect(sealed).toMatch(/^v2\.[0-9a-f]{16}\.[A-Za-z0-9_-]+$/);
      expect(box.open(sealed, AD)).toBe(value);
      // A second box on the same key (a restart) opens it too.
      expect(new SecretBox(KEY).open(sealed, AD)).toBe(value);
    }
  });

  it('refuses the wrong associated data (a ciphertext copied onto another row)', () => {
    const sealed = box.seal(SECRET, AD);
    expect(box.open(sealed, 'totp-secret:account-2')).toBeNull();
    expect(box.open(sealed, '')).toBeNull();
    expect(box.open(sealed, `${AD} `)).toBeNull();
  });

  it('refuses a different key', () => {
    expect(new SecretBox(OTHER_KEY).open(box.seal(SECRET, AD), AD)).toBeNull();
  });

  it('refuses any tampered byte: IV, tag or ciphertext', () => {
    const sealed = box.seal(SECRET, AD);
    const length = payload(sealed).length;
    expect(length).toBe(12 + 16 + SECRET.length);
    for (let index = 0; index < length; index++) {
      expect(box.open(flipBit(sealed, index), AD), `byte ${index}`).toBeNull();
    }
  });

  it('refuses truncated, extended, re-versioned and garbage values', () => {
    const sealed = box.seal(SECRET, AD);
    const [, keyId, encoded] = sealed.split('.') as [string, string, string];
    const raw = Buffer.from(encoded, 'base64url');
    expect(box.open(`v2.${keyId}.${raw.subarray(0, raw.length - 1).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v2.${keyId}.${Buffer.concat([raw, Buffer.from([0])]).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v2.${keyId}.${raw.subarray(0, 27).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v3.${keyId}.${encoded}`, AD)).toBeNull();
    expect(box.open(`v2.${encoded}`, AD)).toBeNull();
    expect(box.open(`v2.0000000000000000.${encoded}`, AD)).toBeNull();
    expect(box.open(encoded, AD)).toBeNull();
    expect(box.open('', AD)).toBeNull();
    expect(box.open('v1.', AD)).toBeNull();
    expect(box.open(SECRET, AD)).toBeNull();
  });

  it('never contains the plaintext, in any common encoding', () => {
    const sealed = box.seal(SECRET, AD);
    const raw = payload(sealed);
    expect(sealed).not.toContain(SECRET);
    expect(sealed.toLowerCase()).not.toContain(SECRET.toLowerCase());
    expect(raw.includes(Buffer.from(SECRET))).toBe(false);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('hex'));
  });

  it('seals the same value differently each time (random IV)', () => {
    const seals = new Set(Array.from({ length: 50 }, () => box.seal(SECRET, AD)));
    expect(seals.size).toBe(50);
    const ivs = new Set([...seals].map((sealed) => payload(sealed).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(50);
    for (const sealed of seals) expect(box.open(sealed, AD)).toBe(SECRET);
  });

  it('opens with any key of the ring, seals with the active one, and names it', () => {
    const old = new SecretBox(KEY);
    const sealedOld = old.seal(SECRET, AD);
    const ring = new SecretBox(OTHER_KEY, { retired: [KEY] });
    expect(ring.open(sealedOld, AD)).toBe(SECRET);
    const sealedNew = ring.seal(SECRET, AD);
    expect(SecretBox.keyIdOf(sealedNew)).toBe(ring.activeKeyId);
    expect(SecretBox.keyIdOf(sealedOld)).toBe(old.activeKeyId);
    expect(ring.activeKeyId).not.toBe(old.activeKeyId);
    // The old key alone cannot open what the new one sealed; the new one alone cannot open the old.
    expect(old.open(sealedNew, AD)).toBeNull();
    expect(new SecretBox(OTHER_KEY).open(sealedOld, AD)).toBeNull();
  });

  it('opens legacy v1 values (no key id) with whichever key of the ring sealed them', () => {
    // v1 was iv|tag|ciphertext under the key, with no key id: rebuild one from a v2 value.
    const legacy = `v1.${payload(new SecretBox(KEY).seal(SECRET, AD)).toString('base64url')}`;
    expect(new SecretBox(OTHER_KEY, { retired: [KEY] }).open(legacy, AD)).toBe(SECRET);
    expect(new SecretBox(OTHER_KEY).open(legacy, AD)).toBeNull();
    expect(new SecretBox(KEY).open(legacy, 'other')).toBeNull();
  });

  it('refuses a key that is not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => new SecretBox(new Uint8Array(length))).toThrow(TypeError);
    }
  });
});

describe('SecretBox.mac', () => {
  const box = new SecretBox(KEY);

  it('uses the MAC key it is given, so hashes outlive a master-key rotation', () => {
    const original = new SecretBox(KEY);
    const rotated = new SecretBox(OTHER_KEY, { macKey: deriveMacKey(KEY) });
    expect(rotated.mac('123456')).toBe(original.mac('123456'));
  });

  it('is deterministic, also across instances with the same key', () => {
    expect(box.mac('123456')).toBe(box.mac('123456'));
    expect(new SecretBox(KEY).mac('123456')).toBe(box.mac('123456'));
    expect(box.mac('123456')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depends on the key and the value', () => {
    expect(new SecretBox(OTHER_KEY).mac('123456')).not.toBe(box.mac('123456'));
    expect(box.mac('123457')).not.toBe(box.mac('123456'));
    expect(box.mac('')).not.toBe(box.mac(' '));
  });

  it('is not a plain hash of the value, so a dump cannot be brute-forced offline', () => {
    const mac = box.mac('123456');
    expect(mac).not.toBe(createHash('sha256').update('123456').digest('hex'));
    // Nor an HMAC under the encryption key itself: the MAC key is derived separately.
    expect(mac).not.toBe(createHmac('sha256', Buffer.from(KEY)).update('123456').digest('hex'));
  });

  it('gives distinct values for distinct six-digit codes (2000 of them, random key)', () => {
    const random = new SecretBox(Uint8Array.from(randomBytes(32)));
    const macs = new Set(Array.from({ length: 2000 }, (_, i) => random.mac(i.toString().padStart(6, '0'))));
    expect(macs.size).toBe(2000);
  });
});
