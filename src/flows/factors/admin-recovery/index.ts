import { hashAdminRecoveryCode, normalizeAdminRecoveryCode } from '../../../core/admin-recovery-codes.ts';
import { equalsConstantTime } from '../../../core/constant-time.ts';
import { DomainError } from '../../../core/errors.ts';
import type { FactorVerdict, SecondFactor, VerifyContext } from '../types.ts';

type AdminRecoveryProof = { method: 'admin_recovery'; code: string };

/** Spends the account's code from an administrator if this is it: of two requests with it, one wins. */
async function verify({ deps, account, purpose }: VerifyContext, proof: AdminRecoveryProof): Promise<FactorVerdict> {
  // Only a login may use it: it leads to re-enrollment, never into a session's Password window.
  if (purpose !== 'login' || normalizeAdminRecoveryCode(proof.code) === null) return { outcome: 'wrong' };
  const stored = await deps.store.findAdminRecoveryCode(account.id);
  const digest = hashAdminRecoveryCode(account.id, proof.code, (value) => deps.secretBox.mac(value));
  if (stored === null || stored.consumedAt !== null || stored.expiresAt <= deps.clock() || !equalsConstantTime(stored.codeHash, digest)) {
    return { outcome: 'wrong' };
  }
  return (await deps.store.consumeAdminRecoveryCode(account.id, digest, deps.clock())) ? { outcome: 'accepted', authenticatorId: null } : { outcome: 'wrong' };
}

/**
 * A one-time code an administrator issued (POST /admin/users/{u}/two-factor/recovery): with the
 * password it stands in for the lost authenticators once, and the login continues with a forced
 * re-enrollment instead of a session. Never offered in `methods`: a user learns of it from the
 * administrator, and listing it would tell anyone with the password that one exists.
 */
export const adminRecoveryFactor: SecondFactor<AdminRecoveryProof> = {
  method: 'admin_recovery',
  authenticatorType: null,
  amr: [],
  readProof(input) {
    if (input.code === undefined || normalizeAdminRecoveryCode(input.code) === null) {
      throw new DomainError('validation_error', 'Enter the code from your administrator, such as ABCDE-FGHJK-MNPQR.', { field: 'code' });
    }
    return { method: 'admin_recovery', code: input.code };
  },
  isAvailable: async () => false,
  verify,
};
