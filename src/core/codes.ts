import { normalizeRecoveryCode } from './recovery-codes.ts';

export type CodeShape = 'six_digits' | 'recovery_code';

/**
 * The one rule that tells a 6-digit code (app or email) from a recovery code; routes and flows
 * ask it instead of re-deciding. Returns null for anything that is neither.
 */
export function classifyCode(code: string): CodeShape | null {
  if (/^[0-9]{6}$/.test(code)) return 'six_digits';
  return normalizeRecoveryCode(code) !== null ? 'recovery_code' : null;
}
