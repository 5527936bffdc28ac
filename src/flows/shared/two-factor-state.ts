import { generateRecoveryCodes, hashRecoveryCode } from '../../core/recovery-codes.ts';
import type { Account, SecondFactorMethod } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';

/**
 * The part of turning two-factor on shared by every method; runs inside the caller's transaction.
 * Other sessions end because they were made under the old rules (maybe by whoever the user is
 * locking out), and open login challenges are voided for the same reason.
 */
export async function switchTwoFactorOn(
  store: Store,
  account: Account,
  method: SecondFactorMethod,
  now: number,
  keepSessionId: string,
): Promise<string[]> {
  await store.setTwoFactorMethod(account.id, method, now);
  if (method !== 'totp') await store.deleteTOTPCredential(account.id);
  const recoveryCodes = generateRecoveryCodes();
  await store.replaceRecoveryCodes(account.id, recoveryCodes.map(hashRecoveryCode), now);
  await store.deleteSessionsOfAccount(account.id, keepSessionId);
  await store.voidLoginChallengesOfAccount(account.id, now);
  return recoveryCodes;
}

/** Turns two-factor off and removes every credential of it; runs inside the caller's transaction. */
export async function switchTwoFactorOff(store: Store, userId: string, now: number, keepSessionId?: string): Promise<number> {
  await store.setTwoFactorMethod(userId, null, now);
  await store.deleteTOTPCredential(userId);
  await store.deleteRecoveryCodes(userId);
  await store.voidLoginChallengesOfAccount(userId, now);
  return store.deleteSessionsOfAccount(userId, keepSessionId);
}
