import { classifyCode } from '../../../core/codes.ts';
import { DomainError } from '../../../core/errors.ts';
import type { FactorVerdict, SecondFactor, VerifyContext } from '../types.ts';
import { recoveryCodeDigest } from './issue.ts';

async function verify({ deps, account }: VerifyContext, proof: { method: 'recovery_code'; code: string }): Promise<FactorVerdict> {
  if (classifyCode(proof.code) !== 'recovery_code') return { outcome: 'wrong' };
  const used = await deps.store.useRecoveryCode(account.id, recoveryCodeDigest(deps, account.id, proof.code), deps.clock());
  return used ? { outcome: 'accepted', authenticatorId: null } : { outcome: 'wrong' };
}

/** Recovery codes: a second factor, but not an authenticator (no row, no amr method of its own). */
export const recoveryCodeFactor: SecondFactor<{ method: 'recovery_code'; code: string }> = {
  method: 'recovery_code',
  authenticatorType: null,
  // RFC 8176 has no value for a single-use backup code; the session still gets 'mfa'.
  amr: [],
  readProof(input) {
    if (input.code === undefined || classifyCode(input.code) !== 'recovery_code') throw new DomainError('validation_error', 'Enter a recovery code such as ABCDE-FGHJK.', { field: 'code' });
    return { method: 'recovery_code', code: input.code };
  },
  isAvailable: async (deps, account) => account.authenticatorCount > 0 && (await deps.store.countUnusedRecoveryCodes(account.id)) > 0,
  verify,
};
