import { describe, expect, it } from 'vitest';
import type { HMACAlgorithm } from '../../src/core/hotp.ts';
import { generateTOTP, TOTP_DEFAULTS, timeStepAt, verifyTOTP } from '../../src/core/totp.ts';

// RFC 6238 Appendix B: each algorithm has its own seed, the ASCII digits repeated to the hash size.
const SEEDS: Record<HMACAlgorithm, Uint8Array> = {
  SHA1: new TextEncoder().encode('12345678901234567890'),
  SHA256: new TextEncoder().encode('12345678901234567890123456789012'),
  SHA512: new TextEncoder().encode('1234567890'.repeat(6) + '1234'),
};

// RFC 6238 Appendix B, 8 digits, X = 30, T0 = 0. `step` is the table's T column (hex there).
const RFC6238_VECTORS: ReadonlyArray<{ seconds: number; step: number; algorithm: HMACAlgorithm; totp: string }> = [
  { seconds: 59, step: 0x1, algorithm: 'SHA1', totp: '94287082' },
  { seconds: 59, step: 0x1, algorithm: 'SHA256', totp: '46119246' },
  { seconds: 59, step: 0x1, algorithm: 'SHA512', totp: '90693936' },
  { seconds: 1111111109, step: 0x23523ec, algorithm: 'SHA1', totp: '07081804' },
  { seconds: 1111111109, step: 0x23523ec, algorithm: 'SHA256', totp: '68084774' },
  { seconds: 1111111109, step: 0x23523ec, algorithm: 'SHA512', totp: '25091201' },
  { seconds: 1111111111, step: 0x23523ed, algorithm: 'SHA1', totp: '14050471' },
  { seconds: 1111111111, step: 0x23523ed, algorithm: 'SHA256', totp: '67062674' },
  { seconds: 1111111111, step: 0x23523ed, algorithm: 'SHA512', totp: '99943326' },
  { seconds: 1234567890, step: 0x273ef07, algorithm: 'SHA1', totp: '89005924' },
  { seconds: 1234567890, step: 0x273ef07, algorithm: 'SHA256', totp: '91819424' },
  { seconds: 1234567890, step: 0x273ef07, algorithm: 'SHA512', totp: '93441116' },
  { seconds: 2000000000, step: 0x3f940aa, algorithm: 'SHA1', totp: '69279037' },
  { seconds: 2000000000, step: 0x3f940aa, algorithm: 'SHA256', totp: '90698825' },
  { seconds: 2000000000, step: 0x3f940aa, algorithm: 'SHA512', totp: '38618901' },
  // Beyond 2038: T = 20000000000 s no longer fits a signed 32-bit time_t.
  { seconds: 20000000000, step: 0x27bc86aa, algorithm: 'SHA1', totp: '65353130' },
  { seconds: 20000000000, step: 0x27bc86aa, algorithm: 'SHA256', totp: '77737706' },
  { seconds: 20000000000, step: 0x27bc86aa, algorithm: 'SHA512', totp: '47863826' },
];

describe('generateTOTP, RFC 6238 Appendix B', () => {
  it.each(RFC6238_VECTORS)('$algorithm at T=$seconds gives $totp', ({ seconds, algorithm, totp }) => {
    expect(generateTOTP(SEEDS[algorithm], seconds * 1000, { algorithm, digits: 8 })).toBe(totp);
  });

  it.each(RFC6238_VECTORS)('$algorithm at T=$seconds is step $step', ({ seconds, step }) => {
    expect(timeStepAt(seconds * 1000)).toBe(step);
    expect(timeStepAt(seconds * 1000, 30)).toBe(step);
  });

  it.each(RFC6238_VECTORS)('verifyTOTP accepts $totp ($algorithm, T=$seconds) as step $step', ({ seconds, step, algorithm, totp }) => {
    expect(verifyTOTP(SEEDS[algorithm], totp, { now: seconds * 1000, algorithm, digits: 8, window: 0 })).toBe(step);
  });

  it('ignores milliseconds within the step', () => {
    // T = 59 s and 59.999 s are both step 1; 60 s is step 2.
    const options = { algorithm: 'SHA1', digits: 8 } as const;
    expect(generateTOTP(SEEDS.SHA1, 59_999, options)).toBe('94287082');
    expect(generateTOTP(SEEDS.SHA1, 30_000, options)).toBe('94287082');
    expect(generateTOTP(SEEDS.SHA1, 60_000, options)).not.toBe('94287082');
  });

  it('defaults to SHA1, 6 digits, 30 s', () => {
    expect(TOTP_DEFAULTS).toEqual({ algorithm: 'SHA1', digits: 6, period: 30 });
    // 94287082 truncated to 6 digits: the low six digits of the same dynamic-truncation value.
    expect(generateTOTP(SEEDS.SHA1, 59_000)).toBe('287082');
    expect(generateTOTP(SEEDS.SHA1, 20000000000_000)).toBe('353130');
  });

  it('honours another period', () => {
    // With X = 60, T = 119 s is step 1, which RFC 6238 gives for T = 59 s with X = 30.
    expect(timeStepAt(119_000, 60)).toBe(1);
    expect(generateTOTP(SEEDS.SHA1, 119_000, { digits: 8, period: 60 })).toBe('94287082');
  });
});

describe('timeStepAt', () => {
  it('matches exact integer division over the whole range of a JavaScript Date', () => {
    // Floating-point division must never round a time 1 ms before a boundary into the next step.
    const period = 30n;
    const samples: bigint[] = [];
    for (const seconds of [0n, 1n, 29n, 30n, 2n ** 31n, 2n ** 32n, 253402300799n, 30n * 2n ** 32n, 30n * 2n ** 33n]) {
      for (const deltaMs of [-1n, 0n, 1n, 999n]) samples.push(seconds * 1000n + deltaMs);
    }
    // Step boundaries spread evenly up to 8.64e15 ms, the largest time a Date can hold.
    for (let k = 1n; k <= 2000n; k++) {
      const boundary = k * 143_999n * 30_000n;
      samples.push(boundary - 1n, boundary, boundary + 1n);
    }
    samples.push(8_640_000_000_000_000n);
    for (const ms of samples) {
      if (ms < 0n) continue;
      expect(timeStepAt(Number(ms)), `now=${ms}`).toBe(Number(ms / (period * 1000n)));
    }
  });
});
