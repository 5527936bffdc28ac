import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { encodeBase32 } from '../../src/core/base32.ts';
import { generateHOTP, type HMACAlgorithm } from '../../src/core/hotp.ts';
import { generateTOTP, timeStepAt, verifyTOTP } from '../../src/core/totp.ts';
import { createSeededRandom } from './seeded-random.ts';

// Differential test against hectorm/otpauth, an independent implementation apps are checked against.
const random = createSeededRandom();
const CASES = 500;
const ALGORITHMS: readonly HMACAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
const Y2038 = 2 ** 31 * 1000;

interface Case {
  key: Uint8Array;
  algorithm: HMACAlgorithm;
  digits: number;
  now: number;
}

function randomCase(index: number): Case {
  const key = random.bytes(random.pick([10, 16, 20, 20, 20, 32, 64, random.int(1, 100)]));
  const algorithm = index % 2 === 0 ? 'SHA1' : random.pick(ALGORITHMS);
  const digits = index % 2 === 0 ? 6 : random.pick([6, 7, 8]);
  // A third before 2038, a third from 2038 to 2500, a third up to steps beyond 2^32 (year ~6000).
  const band = index % 3;
  const now =
    band === 0 ? random.int(60_000, Y2038) : band === 1 ? random.int(Y2038, Date.UTC(2500, 0, 1)) : random.int(Y2038, 2 ** 33 * 30_000);
  return { key, algorithm, digits, now };
}

const cases = Array.from({ length: CASES }, (_, index) => randomCase(index));
const secretOf = (key: Uint8Array): OTPAuth.Secret => new OTPAuth.Secret({ buffer: Uint8Array.from(key).buffer });
const describeCase = (c: Case): string =>
  `seed=${random.seed} key=${Buffer.from(c.key).toString('hex')} ${c.algorithm}/${c.digits} now=${c.now}`;

describe(`TOTP matches otpauth on ${CASES} random secrets and times (seed ${random.seed})`, () => {
  it('covers times after 2038 and steps beyond 2^32', () => {
    expect(cases.filter((c) => c.now >= Y2038).length).toBeGreaterThan(CASES / 2);
    expect(cases.some((c) => timeStepAt(c.now) >= 2 ** 32)).toBe(true);
  });

  it('generateTOTP gives the same code', () => {
    for (const c of cases) {
      const theirs = OTPAuth.TOTP.generate({ secret: secretOf(c.key), algorithm: c.algorithm, digits: c.digits, timestamp: c.now });
      expect(generateTOTP(c.key, c.now, { algorithm: c.algorithm, digits: c.digits }), describeCase(c)).toBe(theirs);
    }
  });

  it('generateHOTP gives the same code for the same counter', () => {
    for (const c of cases) {
      const counter = timeStepAt(c.now);
      const theirs = OTPAuth.HOTP.generate({ secret: secretOf(c.key), algorithm: c.algorithm, digits: c.digits, counter });
      expect(generateHOTP(c.key, BigInt(counter), { algorithm: c.algorithm, digits: c.digits }), describeCase(c)).toBe(theirs);
    }
  });

  it('the same time step as otpauth', () => {
    for (const c of cases) expect(timeStepAt(c.now), describeCase(c)).toBe(OTPAuth.TOTP.counter({ timestamp: c.now }));
  });

  it('verifyTOTP accepts otpauth codes from steps -1, 0, +1 and rejects -2, +2', () => {
    for (const c of cases) {
      const secret = secretOf(c.key);
      const current = timeStepAt(c.now);
      const theirCode = (step: number): string => OTPAuth.HOTP.generate({ secret, algorithm: c.algorithm, digits: c.digits, counter: step });
      const window = [current - 1, current, current + 1];
      const windowCodes = window.map(theirCode);
      for (const offset of [-2, -1, 0, 1, 2]) {
        const code = theirCode(current + offset);
        // What otpauth says should happen: the first step in the window with this code, else null.
        // (Almost always current + offset or null; a coincidental equal code elsewhere is handled.)
        const index = windowCodes.indexOf(code);
        const expected = index === -1 ? null : window[index];
        const result = verifyTOTP(c.key, code, { now: c.now, algorithm: c.algorithm, digits: c.digits });
        expect(result, `${describeCase(c)} offset=${offset}`).toBe(expected);
        if (Math.abs(offset) <= 1) expect(result, `${describeCase(c)} offset=${offset}`).not.toBeNull();
        // otpauth's own validator must agree on acceptance.
        const theirDelta = OTPAuth.TOTP.validate({ token: code, secret, algorithm: c.algorithm, digits: c.digits, timestamp: c.now, window: 1 });
        expect(result === null, `${describeCase(c)} offset=${offset}`).toBe(theirDelta === null);
      }
    }
  });

  it('verifyTOTP accepts what otpauth generates from the Base32 secret it would put in a Key URI', () => {
    for (const c of cases.slice(0, 100)) {
      const secret = OTPAuth.Secret.fromBase32(encodeBase32(c.key));
      const code = OTPAuth.TOTP.generate({ secret, algorithm: c.algorithm, digits: c.digits, timestamp: c.now });
      expect(verifyTOTP(c.key, code, { now: c.now, algorithm: c.algorithm, digits: c.digits }), describeCase(c)).toBe(timeStepAt(c.now));
    }
  });
});
