import { timingSafeEqual } from 'node:crypto';
import { generateHOTP, type HMACAlgorithm } from './hotp.ts';

export interface TOTPOptions {
  algorithm?: HMACAlgorithm;
  digits?: number;
  /** Step length in seconds (RFC 6238 X). */
  period?: number;
}

export interface TOTPVerifyOptions extends TOTPOptions {
  /** Current time in milliseconds since the epoch; the caller's clock, never a hidden one. */
  now: number;
  /** Steps accepted either side of the current one to absorb clock drift (RFC 6238 §5.2). */
  window?: number;
  /** The last step already accepted for this credential; it and every earlier step are refused. */
  lastUsedStep?: number | null;
}

/** The TOTP defaults every authenticator app accepts. */
export const TOTP_DEFAULTS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

export function timeStepAt(now: number, period: number = TOTP_DEFAULTS.period): number {
  return Math.floor(now / 1000 / period);
}

export function generateTOTP(key: Uint8Array, now: number, options: TOTPOptions = {}): string {
  const period = options.period ?? TOTP_DEFAULTS.period;
  return generateHOTP(key, BigInt(timeStepAt(now, period)), {
    algorithm: options.algorithm ?? TOTP_DEFAULTS.algorithm,
    digits: options.digits ?? TOTP_DEFAULTS.digits,
  });
}

/**
 * Checks a code against the steps around `now` and returns the step it matched, or null.
 * Every candidate is compared (no early exit) so timing does not reveal which step matched.
 * Steps at or below `lastUsedStep` never match: a code is good for one use (RFC 6238 §5.2).
 */
export function verifyTOTP(key: Uint8Array, code: string, options: TOTPVerifyOptions): number | null {
  const period = options.period ?? TOTP_DEFAULTS.period;
  const digits = options.digits ?? TOTP_DEFAULTS.digits;
  const window = options.window ?? 1;
  if (code.length !== digits || !/^[0-9]+$/.test(code)) return null;
  const current = timeStepAt(options.now, period);
  // Same length on both sides (checked above), so timingSafeEqual applies directly.
  const submitted = Buffer.from(code, 'ascii');
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = generateHOTP(key, BigInt(step), { algorithm: options.algorithm ?? 'SHA1', digits });
    const fresh = options.lastUsedStep == null || step > options.lastUsedStep;
    if (timingSafeEqual(Buffer.from(expected, 'ascii'), submitted) && fresh && matched === null) matched = step;
  }
  return matched;
}
