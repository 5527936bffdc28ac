import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/core/secret-box.ts';

const KEY = Uint8Array.from(Buffer.alloc(32, 7));
const OTHER_KEY = Uint8Array.from(Buffer.alloc(32, 8));
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const AD = 'totp-secret:account-1';

/** Flips one bit in the decoded payload (a flip in the base64url text can land in unused bits). */
function flipBit(sealed: string, byteIndex: number): string {
  const [version, encoded] = sealed.split('.') as [string, string];
  const raw = Buffer.from(encoded, 'base64url');
  const index = byteIndex < 0 ? raw.length + byteIndex : byteIndex;
  raw[index] = raw[index]! ^ 0x01;
  return `${version}.${raw.toString('base64url')}`;
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it('round-trips a value, including empty and non-ASCII ones', () => {
    for (const value of [SECRET, '', 'päss wörd ✓ 😀', 'x'.repeat(10_000)]) {
      const sealed = box.seal(value, AD);
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
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
    const length = Buffer.from(sealed.split('.')[1]!, 'base64url').length;
    expect(length).toBe(12 + 16 + SECRET.length);
    for (let index = 0; index < length; index++) {
      expect(box.open(flipBit(sealed, index), AD), `byte ${index}`).toBeNull();
    }
  });

  it('refuses truncated, extended, re-versioned and garbage values', () => {
    const sealed = box.seal(SECRET, AD);
    const [, encoded] = sealed.split('.') as [string, string];
    const raw = Buffer.from(encoded, 'base64url');
    expect(box.open(`v1.${raw.subarray(0, raw.length - 1).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v1.${Buffer.concat([raw, Buffer.from([0])]).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v1.${raw.subarray(0, 27).toString('base64url')}`, AD)).toBeNull();
    expect(box.open(`v2.${encoded}`, AD)).toBeNull();
    expect(box.open(encoded, AD)).toBeNull();
    expect(box.open('', AD)).toBeNull();
    expect(box.open('v1.', AD)).toBeNull();
    expect(box.open(SECRET, AD)).toBeNull();
  });

  it('never contains the plaintext, in any common encoding', () => {
    const sealed = box.seal(SECRET, AD);
    const raw = Buffer.from(sealed.split('.')[1]!, 'base64url');
    expect(sealed).not.toContain(SECRET);
    expect(sealed.toLowerCase()).not.toContain(SECRET.toLowerCase());
    expect(raw.includes(Buffer.from(SECRET))).toBe(false);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('hex'));
  });

  it('seals the same value differently each time (random IV)', () => {
    const seals = new Set(Array.from({ length: 50 }, () => box.seal(SECRET, AD)));
    expect(seals.size).toBe(50);
    const ivs = new Set([...seals].map((sealed) => Buffer.from(sealed.split('.')[1]!, 'base64url').subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(50);
    for (const sealed of seals) expect(box.open(sealed, AD)).toBe(SECRET);
  });

  it('refuses a key that is not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => new SecretBox(new Uint8Array(length))).toThrow(TypeError);
    }
  });
});

describe('SecretBox.mac', () => {
  const box = new SecretBox(KEY);

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
