import { describe, expect, it } from 'vitest';
import { generateHOTP } from '../../src/core/hotp.ts';

const RFC4226_SECRET = new TextEncoder().encode('12345678901234567890');

// RFC 4226 Appendix D: the truncated 31-bit value ("Decimal") and the 6-digit HOTP per counter.
const RFC4226_VECTORS: ReadonlyArray<{ counter: bigint; decimal: number; hotp: string }> = [
  { counter: 0n, decimal: 1284755224, hotp: '755224' },
  { counter: 1n, decimal: 1094287082, hotp: '287082' },
  { counter: 2n, decimal: 137359152, hotp: '359152' },
  { counter: 3n, decimal: 1726969429, hotp: '969429' },
  { counter: 4n, decimal: 1640338314, hotp: '338314' },
  { counter: 5n, decimal: 868254676, hotp: '254676' },
  { counter: 6n, decimal: 1918287922, hotp: '287922' },
  { counter: 7n, decimal: 82162583, hotp: '162583' },
  { counter: 8n, decimal: 673399871, hotp: '399871' },
  { counter: 9n, decimal: 645520489, hotp: '520489' },
];

describe('generateHOTP, RFC 4226 Appendix D', () => {
  it.each(RFC4226_VECTORS)('counter $counter gives $hotp', ({ counter, hotp }) => {
    expect(generateHOTP(RFC4226_SECRET, counter)).toBe(hotp);
    expect(generateHOTP(RFC4226_SECRET, counter, { algorithm: 'SHA1', digits: 6 })).toBe(hotp);
  });

  // With 10 digits nothing is cut off, so the whole dynamic-truncation value shows, zero-padded.
  it.each(RFC4226_VECTORS)('counter $counter truncates to $decimal', ({ counter, decimal }) => {
    expect(generateHOTP(RFC4226_SECRET, counter, { digits: 10 })).toBe(decimal.toString().padStart(10, '0'));
  });

  it('keeps leading zeros', () => {
    // Counter 7 truncates to 0082162583: the 8-digit code starts with zeros.
    expect(generateHOTP(RFC4226_SECRET, 7n, { digits: 8 })).toBe('82162583');
    expect(generateHOTP(RFC4226_SECRET, 7n, { digits: 9 })).toBe('082162583');
    expect(generateHOTP(RFC4226_SECRET, 2n, { digits: 10 })).toBe('0137359152');
  });
});

describe('generateHOTP, the 8-byte counter', () => {
  it('uses all 64 bits of the counter', () => {
    // Counters that agree in the low 32 bits must not collide (a 32-bit counter would wrap).
    const low = generateHOTP(RFC4226_SECRET, 1n);
    const high = generateHOTP(RFC4226_SECRET, (1n << 32n) + 1n);
    const top = generateHOTP(RFC4226_SECRET, (1n << 63n) + 1n);
    expect(new Set([low, high, top]).size).toBe(3);
  });

  it('accepts the largest 64-bit counter and refuses anything outside 0..2^64-1', () => {
    expect(generateHOTP(RFC4226_SECRET, 0xffff_ffff_ffff_ffffn)).toMatch(/^\d{6}$/);
    expect(() => generateHOTP(RFC4226_SECRET, 1n << 64n)).toThrow(TypeError);
    expect(() => generateHOTP(RFC4226_SECRET, -1n)).toThrow(TypeError);
  });

  it.each([0, 5, 11, 6.5, Number.NaN])('refuses %s digits as programmer misuse', (digits) => {
    expect(() => generateHOTP(RFC4226_SECRET, 0n, { digits })).toThrow(TypeError);
  });

  it('depends on the key', () => {
    const other = new TextEncoder().encode('12345678901234567891');
    const codes = RFC4226_VECTORS.map(({ counter }) => generateHOTP(other, counter));
    expect(codes).not.toEqual(RFC4226_VECTORS.map(({ hotp }) => hotp));
  });
});
