import type { Account, SecondFactorMethod } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import { endOtherSessions } from './sessions.ts';

/**
 * The part of turning two-factor on shared by every method; runs inside the caller's transaction.
 * Other sessions end because they were made under the old rules (maybe by whoever the user is
 * locking out), and open login challenges are voided for the same reason.
 */
export async function switchTwoFactorOn(
  deps: FlowDeps,
  store: Store,
  account: Account,
  method: SecondFactorMethod,
  now: number,
  keepSessionId: string,
): Promise<string[]> {
  await store.setTwoFactorMethod(account.id, method, now);
  if (method !== 'totp') await store.deleteTOTPSecrets(account.id);
  const recoveryCodes = await issueRecoveryCodes(deps, store, account.id, now);
  await endOtherSessions(store, account.id, now, keepSessionId);
  return recoveryCodes;
}

/** Turns two-factor off and removes every credential of it; runs inside the caller's transaction. */
export async function switchTwoFactorOff(store: Store, userId: string, now: number, keepSessionId?: string): Promise<number> {
  await store.setTwoFactorMethod(userId, null, now);
  await store.deleteTOTPSecrets(userId);
  await store.deleteRecoveryCodes(userId);
  if (keepSessionId === undefined) return (await store.endSessionsOfAccount(userId, now)).ended;
  return endOtherSessions(store, userId, now, keepSessionId);
}
