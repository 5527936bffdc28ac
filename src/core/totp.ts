import { assertHOTPDigits, computeHOTPValue, generateHOTP, type HMACAlgorithm } from './hotp.ts';

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

/** The code as a number, or -1 unless it is exactly `digits` ASCII digits (no regex, no allocation). */
function parseCode(code: string, digits: number): number {
  if (code.length !== digits) return -1;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const digit = code.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Checks a code against the steps around `now` and returns the step it matched, or null.
 * Steps at or below `lastUsedStep` never match: a code is good for one use (RFC 6238 §5.2).
 *
 * The current step is tried first, then the neighbours outwards, and the first match returns.
 * That early exit is safe: a wrong code always costs all 2 × window + 1 HMACs, so its timing
 * is the same whatever it is; only a right code returns early, and how early says just which
 * step it matched, which tells nobody anything the answer ("accepted") does not. The match
 * itself compares two small integers (one machine comparison, no prefix to leak, unlike a string
 * comparison), derived from a code the caller typed and one the attacker cannot see.
 */
export function verifyTOTP(key: Uint8Array, code: string, options: TOTPVerifyOptions): number | null {
  const period = options.period ?? TOTP_DEFAULTS.period;
  const digits = options.digits ?? TOTP_DEFAULTS.digits;
  const algorithm = options.algorithm ?? TOTP_DEFAULTS.algorithm;
  const window = options.window ?? 1;
  assertHOTPDigits(digits);
  const submitted = parseCode(code, digits);
  if (submitted < 0) return null;
  const current = timeStepAt(options.now, period);
  const lastUsed = options.lastUsedStep ?? -1;
  const message = Buffer.allocUnsafe(8);
  for (let distance = 0; distance <= window; distance++) {
    // distance 0 is the current step alone; then the earlier step before the later one.
    for (let side = distance === 0 ? 1 : -1; side <= 1; side += 2) {
      const step = current + side * distance;
      if (step < 0 || step <= lastUsed) continue;
      if (computeHOTPValue(key, step, algorithm, digits, message) === submitted) return step;
    }
  }
  return null;
}
