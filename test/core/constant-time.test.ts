import { describe, expect, it } from 'vitest';
import { equalsConstantTime } from '../../src/core/constant-time.ts';
import { generateToken, hashToken } from '../../src/core/tokens.ts';

describe('equalsConstantTime', () => {
  it.each([
    ['123456', '123456', true],
    ['', '', true],
    ['päss✓', 'päss✓', true],
    ['123456', '123457', false],
    ['123456', '023456', false],
    ['123456', '12345', false],
    ['12345', '123456', false],
    ['123456', '', false],
    ['123456', '123456 ', false],
    ['abc', 'ABC', false],
  ])('%j vs %j -> %s', (a, b, expected) => {
    expect(equalsConstantTime(a, b)).toBe(expected);
    expect(equalsConstantTime(b, a)).toBe(expected);
  });

  it('does not throw for inputs of different lengths (timingSafeEqual would)', () => {
    expect(() => equalsConstantTime('a', 'a'.repeat(1000))).not.toThrow();
  });
});

describe('tokens', () => {
  it('generateToken gives 256-bit URL-safe values, all different', () => {
    const tokens = Array.from({ length: 200 }, generateToken);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(200);
  });

  it('hashToken is SHA-256 hex (FIPS 180-2 "abc" vector) and deterministic', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateToken();
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toContain(token);
  });
});
