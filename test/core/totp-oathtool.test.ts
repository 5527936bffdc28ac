import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeBase32 } from '../../src/core/base32.ts';
import type { HMACAlgorithm } from '../../src/core/hotp.ts';
import { generateTOTP, timeStepAt, verifyTOTP } from '../../src/core/totp.ts';
import { createSeededRandom } from './seeded-random.ts';

// Differential test against Debian's oathtool (OATH Toolkit), the tool our help page and the
// issue's acceptance steps use. CI installs it, so a missing binary is a failure, not a skip.
const OATHTOOL = process.env.TWOFOLD_OATHTOOL ?? 'oathtool';
const MISSING = `oathtool is not installed (no \`${OATHTOOL}\` on PATH): run \`apt-get install oathtool\`; CI's .ci/run installs it`;

function oathtool(args: string[]): string {
  try {
    return execFileSync(OATHTOOL, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(MISSING);
    throw error;
  }
}

/** Runs oathtool in validation mode; it prints the matched offset and exits 0, or exits 2. */
function oathtoolAccepts(args: string[], code: string): boolean {
  try {
    return oathtool([...args, code]) === '0';
  } catch (error) {
    if (error instanceof Error && error.message === MISSING) throw error;
    return false;
  }
}

const random = createSeededRandom();

interface Case {
  name: string;
  key: Uint8Array;
  algorithm: HMACAlgorithm;
  digits: number;
  /** Seconds since the epoch. */
  seconds: number;
  /** oathtool's --now argument for that time. */
  now: string;
  base32: boolean;
}

const FIXED_DATES: ReadonlyArray<[string, number]> = [
  ['2026-01-01 00:00:00 UTC', Date.UTC(2026, 0, 1) / 1000],
  ['2026-01-01 00:00:29 UTC', Date.UTC(2026, 0, 1, 0, 0, 29) / 1000],
  ['2038-01-19 03:14:07 UTC', 2 ** 31 - 1],
  ['2038-01-19 03:14:08 UTC', 2 ** 31],
  ['2040-06-01 12:34:56 UTC', Date.UTC(2040, 5, 1, 12, 34, 56) / 1000],
  ['2106-02-07 06:28:16 UTC', 2 ** 32],
];

function buildCases(): Case[] {
  const cases: Case[] = [];
  // Base32 SHA1 6-digit secrets, the shape our setup hands out, on the fixed dates above.
  for (const [now, seconds] of FIXED_DATES) {
    cases.push({ name: `base32 SHA1 at ${now}`, key: random.bytes(20), algorithm: 'SHA1', digits: 6, seconds, now, base32: true });
  }
  // Random times up to the year 2200, as `@seconds`; hex keys for SHA256/SHA512 (oathtool -b
  // and --totp=sha256 together are fine, but hex exercises its other key parser too).
  for (let i = 0; i < 24; i++) {
    const algorithm = (['SHA1', 'SHA256', 'SHA512'] as const)[i % 3]!;
    const keyLength = { SHA1: 20, SHA256: 32, SHA512: 64 }[algorithm];
    const seconds = random.int(0, Date.UTC(2200, 0, 1) / 1000);
    const base32 = algorithm === 'SHA1' && i % 2 === 0;
    const digits = i % 4 === 1 ? 8 : 6;
    cases.push({ name: `${base32 ? 'base32' : 'hex'} ${algorithm}/${digits} at @${seconds}`, key: random.bytes(keyLength), algorithm, digits, seconds, now: `@${seconds}`, base32 });
  }
  return cases;
}

const CASES = buildCases();

function argsFor(c: Case): string[] {
  const mode = c.algorithm === 'SHA1' ? '--totp' : `--totp=${c.algorithm.toLowerCase()}`;
  const key = c.base32 ? encodeBase32(c.key) : Buffer.from(c.key).toString('hex');
  return [mode, ...(c.base32 ? ['-b'] : []), '-d', String(c.digits), '--now', c.now, key];
}

describe(`TOTP matches oathtool (seed ${random.seed})`, () => {
  it('oathtool is installed', () => {
    expect(oathtool(['--version'])).toMatch(/^oathtool /);
  });

  it('agrees with oathtool on the RFC 6238 vector beyond 2038', () => {
    const seed = Buffer.from('1234567890'.repeat(6) + '1234').toString('hex');
    expect(oathtool(['--totp=sha512', '-d', '8', '--now', '@20000000000', seed])).toBe('47863826');
  });

  it.each(CASES)('$name', (c) => {
    const label = `seed=${random.seed} args=${argsFor(c).join(' ')}`;
    const expected = oathtool(argsFor(c));
    const options = { algorithm: c.algorithm, digits: c.digits };
    expect(generateTOTP(c.key, c.seconds * 1000, options), label).toBe(expected);
    expect(verifyTOTP(c.key, expected, { ...options, now: c.seconds * 1000 }), label).toBe(timeStepAt(c.seconds * 1000));
    // And the other way round: oathtool accepts our code for that time.
    expect(oathtoolAccepts(argsFor(c), generateTOTP(c.key, c.seconds * 1000, options)), label).toBe(true);
  });
});
