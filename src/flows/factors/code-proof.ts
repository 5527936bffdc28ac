import { classifyCode } from '../../core/codes.ts';
import { DomainError } from '../../core/errors.ts';
import type { ProofInput } from './types.ts';

/** For code factors: 6 digits (app or email) by core/codes.ts's rule, checked before any attempt is spent. */
export function readSixDigitCode(input: ProofInput): string {
  if (input.code === undefined || classifyCode(input.code) !== 'six_digits') throw new DomainError('validation_error', 'Enter the 6-digit code.', { field: 'code' });
  return input.code;
}
