import { describe, expect, it } from 'vitest';
import { generateHOTP } from '../../src/core/hotp.ts';
import { generateTOTP, timeStepAt, verifyTOTP } from '../../src/core/totp.ts';

const KEY = new TextEncoder().encode('12345678901234567890');
// 2026-01-01T00:00:10Z, 10 s into its step: the clock is an argument, never Date.now().
const NOW = Date.UTC(2026, 0, 1, 0, 0, 10);
const STEP = timeStepAt(NOW);
const codeAt = (step: number): string => generateHOTP(KEY, BigInt(step));

describe('verifyTOTP', () => {
  it('has distinct codes around NOW (precondition for exact answers below)', () => {
    const codes = [-3, -2, -1, 0, 1, 2, 3].map((offset) => codeAt(STEP + offset));
    expect(new Set(codes).size).toBe(codes.length);
    expect(generateTOTP(KEY, NOW)).toBe(codeAt(STEP));
  });

  it('returns the step the code matched, not just true', () => {
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW })).toBe(STEP);
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: NOW })).toBe(STEP - 1);
    expect(verifyTOTP(KEY, codeAt(STEP + 1), { now: NOW })).toBe(STEP + 1);
  });

  it('accepts one step either side by default and nothing further', () => {
    expect(verifyTOTP(KEY, codeAt(STEP - 2), { now: NOW })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP + 2), { now: NOW })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP - 10), { now: NOW })).toBeNull();
  });

  it('uses the step of `now`, at both edges of the step', () => {
    const start = STEP * 30_000;
    const end = start + 29_999;
    for (const now of [start, end]) {
      expect(verifyTOTP(KEY, codeAt(STEP - 1), { now })).toBe(STEP - 1);
      expect(verifyTOTP(KEY, codeAt(STEP + 1), { now })).toBe(STEP + 1);
      expect(verifyTOTP(KEY, codeAt(STEP + 2), { now })).toBeNull();
      expect(verifyTOTP(KEY, codeAt(STEP - 2), { now })).toBeNull();
    }
    // One millisecond later the window has moved on: STEP - 1 is now two steps back.
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: end + 1 })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP + 2), { now: end + 1 })).toBe(STEP + 2);
  });

  it('honours the window option', () => {
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, window: 0 })).toBe(STEP);
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: NOW, window: 0 })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP + 1), { now: NOW, window: 0 })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP - 2), { now: NOW, window: 2 })).toBe(STEP - 2);
    expect(verifyTOTP(KEY, codeAt(STEP + 2), { now: NOW, window: 2 })).toBe(STEP + 2);
  });

  it('rejects a wrong code, a code of another key and a code of another algorithm', () => {
    const wrong = ((Number(codeAt(STEP)) + 1) % 1_000_000).toString().padStart(6, '0');
    expect(verifyTOTP(KEY, wrong, { now: NOW })).toBeNull();
    const otherKey = new TextEncoder().encode('12345678901234567891');
    expect(verifyTOTP(otherKey, codeAt(STEP), { now: NOW })).toBeNull();
    expect(verifyTOTP(KEY, generateHOTP(KEY, BigInt(STEP), { algorithm: 'SHA256' }), { now: NOW })).toBeNull();
    expect(verifyTOTP(KEY, generateHOTP(KEY, BigInt(STEP), { algorithm: 'SHA256' }), { now: NOW, algorithm: 'SHA256' })).toBe(STEP);
  });

  it('works at the start of time without looking at step -1', () => {
    expect(verifyTOTP(KEY, codeAt(0), { now: 0 })).toBe(0);
    expect(verifyTOTP(KEY, codeAt(1), { now: 0 })).toBe(1);
    expect(verifyTOTP(KEY, codeAt(2), { now: 0 })).toBeNull();
  });

  it('works beyond 2038 and beyond 2^32 steps', () => {
    const after2038 = Date.UTC(2040, 5, 1, 12, 0, 0);
    const step2040 = timeStepAt(after2038);
    expect(verifyTOTP(KEY, generateHOTP(KEY, BigInt(step2040)), { now: after2038 })).toBe(step2040);
    const huge = 2 ** 32 + 5;
    expect(verifyTOTP(KEY, generateHOTP(KEY, BigInt(huge)), { now: huge * 30_000 })).toBe(huge);
    // A counter truncated to 32 bits would produce the code of step 5.
    expect(verifyTOTP(KEY, codeAt(5), { now: huge * 30_000 })).toBeNull();
  });
});

describe('verifyTOTP refuses replays (RFC 6238 §5.2)', () => {
  it('refuses the step already accepted and every earlier one', () => {
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: STEP })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: NOW, lastUsedStep: STEP })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: NOW, lastUsedStep: STEP - 1 })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP + 1), { now: NOW, lastUsedStep: STEP + 1 })).toBeNull();
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: STEP + 1 })).toBeNull();
  });

  it('accepts steps after the last accepted one', () => {
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: STEP - 1 })).toBe(STEP);
    expect(verifyTOTP(KEY, codeAt(STEP + 1), { now: NOW, lastUsedStep: STEP })).toBe(STEP + 1);
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: null })).toBe(STEP);
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: 0 })).toBe(STEP);
  });

  it('lets a code be used once: the returned step, stored, blocks the same code', () => {
    const first = verifyTOTP(KEY, codeAt(STEP), { now: NOW, lastUsedStep: null });
    expect(first).toBe(STEP);
    expect(verifyTOTP(KEY, codeAt(STEP), { now: NOW + 5_000, lastUsedStep: first })).toBeNull();
    // The code of the previous step, still inside the window, cannot be slipped in afterwards.
    expect(verifyTOTP(KEY, codeAt(STEP - 1), { now: NOW + 5_000, lastUsedStep: first })).toBeNull();
    // The next step's code is fresh.
    expect(verifyTOTP(KEY, codeAt(STEP + 1), { now: NOW + 30_000, lastUsedStep: first })).toBe(STEP + 1);
  });
});

describe('verifyTOTP rejects malformed codes', () => {
  const code = codeAt(STEP);
  const fullWidth = [...code].map((digit) => String.fromCharCode(0xff10 + Number(digit))).join('');
  const arabicIndic = [...code].map((digit) => String.fromCharCode(0x0660 + Number(digit))).join('');

  it.each([
    ['too short', code.slice(0, 5)],
    ['too long', `${code}0`],
    ['a letter', `${code.slice(0, 5)}a`],
    ['a leading space', ` ${code}`],
    ['a leading space, same length', ` ${code.slice(1)}`],
    ['a trailing space', `${code} `],
    ['a trailing newline', `${code}\n`],
    ['a newline, same length', `${code.slice(0, 5)}\n`],
    ['a leading tab', `\t${code}`],
    ['an inner space', `${code.slice(0, 3)} ${code.slice(3)}`],
    ['full-width digits', fullWidth],
    ['Arabic-Indic digits', arabicIndic],
    ['a sign', `+${code.slice(1)}`],
    ['a minus sign', `-${code.slice(1)}`],
    ['an exponent', '1e5000'],
    ['hex', '0x1234'],
    ['empty', ''],
  ])('%s', (_label, input) => {
    expect(verifyTOTP(KEY, input, { now: NOW })).toBeNull();
  });

  it('checks the length against the digits option', () => {
    const eight = generateHOTP(KEY, BigInt(STEP), { digits: 8 });
    expect(verifyTOTP(KEY, eight, { now: NOW, digits: 8 })).toBe(STEP);
    expect(verifyTOTP(KEY, eight, { now: NOW })).toBeNull();
    expect(verifyTOTP(KEY, code, { now: NOW, digits: 8 })).toBeNull();
    // The 6-digit code is the tail of the 8-digit one, so the length check is what refuses it.
    expect(eight.endsWith(code)).toBe(true);
  });

  it('still accepts the exact code (the cases above fail for their format alone)', () => {
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(verifyTOTP(KEY, code, { now: NOW })).toBe(STEP);
  });
});

describe('verifyTOTP against a plain reference (the fast path changes no answer)', () => {
  // The obvious implementation: every step in the window, in order, through generateHOTP.
  const reference = (key: Uint8Array, code: string, now: number, window: number, lastUsedStep: number | null): number | null => {
    const current = timeStepAt(now);
    const matching: number[] = [];
    for (let step = current - window; step <= current + window; step++) {
      if (step < 0 || (lastUsedStep !== null && step <= lastUsedStep)) continue;
      if (generateHOTP(key, BigInt(step)) === code) matching.push(step);
    }
    // Codes of two steps collide one time in a million; then the current step, then the nearest, wins.
    matching.sort((a, b) => Math.abs(a - current) - Math.abs(b - current) || a - b);
    return matching[0] ?? null;
  };

  it('agrees on 2,000 random keys, times, windows, replay states and codes', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let accepted = 0;
    for (let i = 0; i < 2_000; i++) {
      const key = Uint8Array.from({ length: 20 }, () => Math.floor(random() * 256));
      const now = Math.floor(random() * 4_000_000_000_000);
      const window = Math.floor(random() * 3);
      const current = timeStepAt(now);
      const offset = Math.floor(random() * 7) - 3;
      const lastUsedStep = random() < 0.3 ? current + Math.floor(random() * 3) - 2 : null;
      const code = random() < 0.8 ? generateHOTP(key, BigInt(current + offset)) : String(Math.floor(random() * 1e6)).padStart(6, '0');
      const expected = reference(key, code, now, window, lastUsedStep);
      if (expected !== null) accepted += 1;
      expect(verifyTOTP(key, code, { now, window, lastUsedStep })).toBe(expected);
    }
    expect(accepted).toBeGreaterThan(300); // the sample really exercises the accepting paths
  });

  it('computes counters past 2^32 exactly (the two-halves write)', () => {
    for (const step of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12_345]) {
      const now = step * 30_000 + 5_000;
      expect(verifyTOTP(KEY, generateHOTP(KEY, BigInt(step)), { now, window: 0 })).toBe(step);
    }
  });

  it('refuses non-digits that parse as numbers elsewhere', () => {
    const right = codeAt(STEP);
    for (const code of [` ${right.slice(1)}`, `+${right.slice(1)}`, `${right.slice(0, 5)}.`, '１２３４５６', `${right.slice(0, 5)}/`, `${right.slice(0, 5)}:`]) {
      expect(verifyTOTP(KEY, code, { now: NOW })).toBeNull();
    }
  });
});
