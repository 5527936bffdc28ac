import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32 } from '../../src/core/base32.ts';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

// RFC 4648 §10 test vectors; the Key URI format drops the `=` padding.
const RFC4648_VECTORS: ReadonlyArray<[string, string, string]> = [
  ['', '', ''],
  ['f', 'MY', 'MY======'],
  ['fo', 'MZXQ', 'MZXQ===='],
  ['foo', 'MZXW6', 'MZXW6==='],
  ['foob', 'MZXW6YQ', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI', 'MZXW6YTBOI======'],
];

describe('Base32, RFC 4648 vectors', () => {
  it.each(RFC4648_VECTORS)('"%s" encodes to %s, unpadded', (text, unpadded) => {
    expect(encodeBase32(bytesOf(text))).toBe(unpadded);
  });

  it.each(RFC4648_VECTORS)('"%s" decodes from %s and from %s', (text, unpadded, padded) => {
    expect(decodeBase32(unpadded)).toEqual(bytesOf(text));
    expect(decodeBase32(padded)).toEqual(bytesOf(text));
  });

  it('uses the whole RFC 4648 alphabet in order', () => {
    // 0x00 0x44 0x32 0x14 0xc7 0x42 0x54 0xb6 0x35 0xcf 0x84 0x65 0x3a 0x56 0xd7 0xc6 0x75 0xbe 0x77 0xdf
    // is 0, 1, 2, ... 31 in five-bit groups.
    const bytes = Uint8Array.from(Buffer.from('00443214c74254b635cf84653a56d7c675be77df', 'hex'));
    expect(encodeBase32(bytes)).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');
    expect(decodeBase32('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')).toEqual(bytes);
  });
});

describe('Base32 round trips', () => {
  it('decode(encode(bytes)) is the identity for random bytes of length 0..40', () => {
    for (let length = 0; length <= 40; length++) {
      for (let i = 0; i < 25; i++) {
        const bytes = Uint8Array.from(randomBytes(length));
        const encoded = encodeBase32(bytes);
        expect(encoded).toMatch(/^[A-Z2-7]*$/);
        expect(encoded.length).toBe(Math.ceil((length * 8) / 5));
        expect(decodeBase32(encoded), encoded).toEqual(bytes);
      }
    }
  });

  it('agrees with otpauth, an independent Base32 codec', () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = Uint8Array.from(randomBytes(length));
      const theirs = new OTPAuth.Secret({ buffer: Uint8Array.from(bytes).buffer }).base32;
      expect(encodeBase32(bytes)).toBe(theirs.replace(/=+$/, ''));
      expect(decodeBase32(theirs)).toEqual(bytes);
    }
  });

  it('encodes all-zero and all-one bytes', () => {
    expect(encodeBase32(new Uint8Array(5))).toBe('AAAAAAAA');
    expect(encodeBase32(new Uint8Array(5).fill(0xff))).toBe('77777777');
    expect(decodeBase32('77777777')).toEqual(new Uint8Array(5).fill(0xff));
  });
});

describe('Base32 decoding tolerates what people type', () => {
  it.each([
    ['lower case', 'mzxw6ytboi'],
    ['mixed case', 'MzXw6YtBoI'],
    ['spaces in groups of four', 'MZXW 6YTB OI'],
    ['lower case and spaces', 'mzxw 6ytb oi'],
    ['leading and trailing whitespace', '  MZXW6YTBOI\n'],
    ['tabs', 'MZXW6\tYTBOI'],
    ['padding', 'mzxw6ytboi======'],
  ])('%s', (_label, input) => {
    expect(decodeBase32(input)).toEqual(bytesOf('foobar'));
  });
});

describe('Base32 decoding refuses other characters', () => {
  it.each([
    ['digit 0', 'MZXW0YTBOI'],
    ['digit 1', 'MZXW1YTBOI'],
    ['digit 8', 'MZXW8YTBOI'],
    ['digit 9', 'MZXW9YTBOI'],
    ['punctuation', 'MZXW6-YTBOI'],
    ['an exclamation mark', 'MZXW6YTBO!'],
    ['Base64 characters', 'MZXW6YTB+/'],
    ['an accented letter', 'MZXWÉYTBOI'],
    ['full-width letters', 'ＭＺＸＷ６ＹＴＢＯＩ'],
    ['a NUL byte', 'MZXW6\u0000YTBOI'],
  ])('%s -> null', (_label, input) => {
    expect(decodeBase32(input)).toBeNull();
  });
});
