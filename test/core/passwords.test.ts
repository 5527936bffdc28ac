import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkPasswordStrength,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummyHash,
  verifyPassword,
} from '../../src/core/passwords.ts';

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

describe('hashPassword and verifyPassword (Argon2id)', () => {
  const password = 'correct horse battery staple';
  let hashing: Promise<string>;
  beforeAll(() => {
    // One hash shared by the tests below: Argon2id at these parameters costs tens of milliseconds.
    hashing = hashPassword(password);
  });

  it('produces an Argon2id PHC string at or above OWASP m=19 MiB, t=2, p=1', async () => {
    const hash = await hashing;
    const match = PHC.exec(hash);
    expect(match, hash).not.toBeNull();
    const [, m, t, p] = match!.map(Number) as [number, number, number, number];
    expect(m).toBeGreaterThanOrEqual(19_456);
    expect(t).toBeGreaterThanOrEqual(2);
    expect(p).toBe(1);
    expect(hash).not.toContain(password);
  });

  it('verifies the right password and refuses wrong ones', async () => {
    const hash = await hashing;
    expect(await verifyPassword(hash, password)).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapl')).toBe(false);
    expect(await verifyPassword(hash, 'Correct horse battery staple')).toBe(false);
    expect(await verifyPassword(hash, `${password} `)).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('salts: the same password hashes differently, and both verify', async () => {
    const [first, second] = [await hashing, await hashPassword(password)];
    expect(second).not.toBe(first);
    expect(await verifyPassword(second, password)).toBe(true);
  });

  it('handles non-ASCII passwords byte-exactly', async () => {
    // NFC "é" and NFD "e + combining acute" are different byte strings.
    const hash = await hashPassword('caf\u00e9-passwort-ß');
    expect(await verifyPassword(hash, 'caf\u00e9-passwort-ß')).toBe(true);
    expect(await verifyPassword(hash, 'cafe\u0301-passwort-ß')).toBe(false);
  });

  it('answers false, not an exception, for a malformed stored hash', async () => {
    expect(await verifyPassword('not a hash', 'whatever')).toBe(false);
    expect(await verifyPassword('', 'whatever')).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$AAAA$', 'whatever')).toBe(false);
  });

  it('verifyAgainstDummyHash always answers false, even for the dummy password itself', async () => {
    expect(await verifyAgainstDummyHash('anything')).toBe(false);
    expect(await verifyAgainstDummyHash('twofold-timing-equaliser')).toBe(false);
  });
});

describe('checkPasswordStrength', () => {
  it('accepts lengths from the minimum to the maximum', () => {
    expect(PASSWORD_MIN_LENGTH).toBeGreaterThanOrEqual(8);
    expect(checkPasswordStrength('k7'.repeat(PASSWORD_MIN_LENGTH / 2))).toBeNull();
    expect(checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH))).toBeNull();
  });

  it('refuses too short and too long passwords with a message', () => {
    expect(checkPasswordStrength('a'.repeat(PASSWORD_MIN_LENGTH - 1))).toMatch(/at least/);
    expect(checkPasswordStrength('')).toMatch(/at least/);
    expect(checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH + 1))).toMatch(/at most/);
  });

  it('counts characters, not UTF-16 units, for the minimum', () => {
    // Seven emoji are 14 UTF-16 units but only seven characters.
    expect(checkPasswordStrength('😀'.repeat(PASSWORD_MIN_LENGTH - 1))).toMatch(/at least/);
    expect(checkPasswordStrength('😀'.repeat(PASSWORD_MIN_LENGTH))).toBeNull();
  });

  it('refuses commonly used and breached passwords (NIST SP 800-63B), whatever their letter case, and says why', () => {
    for (const common of ['password', 'Password', '12345678', 'qwertyuiop', 'iloveyou1', 'PASSWORD1', '1qaz2wsx', 'sunshine']) {
      expect(checkPasswordStrength(common), common).toMatch(/commonly used or breached/);
    }
    // Long enough and not on the list: accepted.
    expect(checkPasswordStrength('correct horse battery staple')).toBeNull();
    expect(checkPasswordStrength('k7-winter-lantern')).toBeNull();
  });
});
