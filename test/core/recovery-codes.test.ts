import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../../src/core/recovery-codes.ts';
import { SecretBox } from '../../src/core/secret-box.ts';

const box = new SecretBox(randomBytes(32));
const mac = (value: string): string => box.mac(value);

// Codes avoid characters that are misread from paper: 0/O, 1/I/L.
const CODE_FORMAT = /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/;

describe('generateRecoveryCodes', () => {
  it('makes 10 codes of the form XXXXX-XXXXX by default', () => {
    const codes = generateRecoveryCodes();
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(CODE_FORMAT);
  });

  it('makes unique codes, across sets too', () => {
    const codes = Array.from({ length: 100 }, () => generateRecoveryCodes()).flat();
    expect(codes).toHaveLength(1000);
    expect(new Set(codes).size).toBe(1000);
  });

  it('uses every character of its alphabet and no other (a sign of uniform randomness)', () => {
    const characters = new Set(generateRecoveryCodes(500).join('').replaceAll('-', ''));
    expect([...characters].sort().join('')).toBe('23456789ABCDEFGHJKMNPQRSTUVWXYZ');
  });

  it('honours a count', () => {
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    expect(generateRecoveryCodes(0)).toEqual([]);
  });
});

describe('normalizeRecoveryCode', () => {
  it.each([
    ['ABCDE-FGHJK', 'ABCDEFGHJK'],
    ['abcde-fghjk', 'ABCDEFGHJK'],
    ['ABCDEFGHJK', 'ABCDEFGHJK'],
    ['abcde fghjk', 'ABCDEFGHJK'],
    ['  ABCDE-FGHJK\n', 'ABCDEFGHJK'],
    ['ab cd e-fg hj k', 'ABCDEFGHJK'],
    ['Abcde--Fghjk', 'ABCDEFGHJK'],
  ])('%j -> %s', (input, canonical) => {
    expect(normalizeRecoveryCode(input)).toBe(canonical);
  });

  it.each([
    ['too short', 'ABCDE-FGHJ'],
    ['too long', 'ABCDE-FGHJKM'],
    ['empty', ''],
    ['punctuation', 'ABCDE_FGHJK'],
    ['a zero', 'ABCDE-FGHJ0'],
    ['a one', 'ABCDE-FGHJ1'],
    ['non-ASCII', 'ÄBCDE-FGHJK'],
    ['full-width', 'ＡＢＣＤＥ-ＦＧＨＪＫ'],
  ])('%s -> null', (_label, input) => {
    expect(normalizeRecoveryCode(input)).toBeNull();
  });

  it('accepts every generated code', () => {
    for (const code of generateRecoveryCodes(50)) expect(normalizeRecoveryCode(code)).toBe(code.replace('-', ''));
  });
});

describe('hashRecoveryCode', () => {
  it('is stable across the formatting people use', () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const hash = hashRecoveryCode(code, mac);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const variant of [code.toLowerCase(), code.replace('-', ''), code.replace('-', ' '), ` ${code.toLowerCase()} `]) {
      expect(hashRecoveryCode(variant, mac)).toBe(hash);
    }
  });

  it('differs between codes and is not the code itself', () => {
    const codes = generateRecoveryCodes();
    const hashes = codes.map((c) => hashRecoveryCode(c, mac));
    expect(new Set(hashes).size).toBe(codes.length);
    for (const [i, hash] of hashes.entries()) {
      expect(hash).not.toContain(codes[i]!.replace('-', ''));
      expect(hash.toUpperCase()).not.toContain(codes[i]!.replace('-', ''));
    }
  });

  it('depends on the key, so a dump without the master key cannot test guesses', () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const other = new SecretBox(randomBytes(32));
    expect(hashRecoveryCode(code, mac)).not.toBe(hashRecoveryCode(code, (v) => other.mac(v)));
  });

  it('throws TypeError for something that is not a recovery code (programmer misuse)', () => {
    expect(() => hashRecoveryCode('123456', mac)).toThrow(TypeError);
    expect(() => hashRecoveryCode('', mac)).toThrow(TypeError);
  });
});
