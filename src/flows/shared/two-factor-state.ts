import { DomainError } from '../../core/errors.ts';
import { endTrustedDevices } from '../login/trusted-devices.ts';
import type { Account } from '../../core/types.ts';
import type { NewAuthenticator, Store } from '../../store/store.ts';
import { AUTHENTICATOR_KINDS } from '../factors/registry.ts';
import { issueRecoveryCodes } from '../factors/recovery-codes/issue.ts';
import type { FlowDeps } from './deps.ts';
import { emailCodeKeys } from './email-codes.ts';
import { endOtherSessions } from './sessions.ts';
import { localize } from '../../i18n/format.ts';

export function tooManyOfKind(type: NewAuthenticator['type']): DomainError {
  const kind = AUTHENTICATOR_KINDS[type];
  if (type === 'email') return new DomainError('conflict', 'Your account already has the email method.');
  if (type === 'webauthn') return new DomainError('conflict', localize('You already have {max} passkeys or security keys. Remove one before adding another.', { max: kind.maxPerAccount }));
  return new DomainError('conflict', localize('You already have {max} authenticator apps. Remove one before adding another.', { max: kind.maxPerAccount }));
}

/**
 * Adds a confirmed authenticator; runs inside the caller's transaction. The account row is
 * locked first so that parallel "Save"s cannot pass the per-kind limit together. The first one
 * turns two-factor on: recovery codes are issued and the other sessions end (they were made
 * under the old rules, maybe by whoever the user is locking out). Returns the recovery codes
 * when two-factor was turned on by this, otherwise null.
 */
export async function addAuthenticator(
  deps: FlowDeps,
  store: Store,
  account: Account,
  authenticator: NewAuthenticator,
  /** The session the change comes from, which stays; null from an enrollment token (every session ends). */
  keepSessionId: string | null,
): Promise<string[] | null> {
  const now = authenticator.createdAt;
  await store.lockAccountForUpdate(account.id, now);
  const wasOff = (await store.countAuthenticators(account.id)) === 0;
  if ((await store.countAuthenticators(account.id, authenticator.type)) >= AUTHENTICATOR_KINDS[authenticator.type].maxPerAccount) {
    throw tooManyOfKind(authenticator.type);
  }
  if (!(await store.addAuthenticator(authenticator))) throw tooManyOfKind(authenticator.type);
  await store.markTwoFactorChanged(account.id, now);
  // Added or replaced (a TOTP enable while two-factor is on is one): trust given under the old
  // set of authenticators ends, whether or not this turned two-factor on.
  await endTrustedDevices(deps, store, account.id, 'authenticator_added', { username: account.username });
  if (!wasOff) return null;
  const recoveryCodes = await issueRecoveryCodes(deps, store, account.id, now);
  if (keepSessionId === null) await store.endSessionsOfAccount(account.id, { reason: 'two_factor_changed', now });
  else await endOtherSessions(store, account.id, now, keepSessionId, 'two_factor_changed');
  return recoveryCodes;
}

/**
 * Drops setups that were started but not finished (a TOTP secret shown, an enrollment code
 * mailed). Whoever started one may be who a reset, disabling or deletion is meant to shut out:
 * it must not be finished later. Confirmed authenticators stay. In the caller's transaction.
 */
export async function dropUnfinishedEnrollments(store: Store, userId: string): Promise<void> {
  await store.deletePendingTOTPSecret(userId);
  await store.deleteEmailCode(emailCodeKeys.enrollment(userId));
}

/** Turns two-factor off and removes every credential of it; runs inside the caller's transaction. */
export async function switchTwoFactorOff(
  deps: FlowDeps,
  store: Store,
  userId: string,
  now: number,
  reason: 'two_factor_changed' | 'administrator',
  keepSessionId?: string,
): Promise<number> {
  await store.removeAuthenticators(userId);
  await store.deletePendingTOTPSecret(userId);
  await store.deleteRecoveryCodes(userId);
  // With two-factor off there is nothing to recover: an administrator's code would be a way in.
  await store.deleteAdminRecoveryCode(userId);
  await store.markTwoFactorChanged(userId, now);
  await endTrustedDevices(deps, store, userId, reason === 'administrator' ? 'two_factor_admin_reset' : 'two_factor_disabled');
  if (keepSessionId === undefined) return (await store.endSessionsOfAccount(userId, { reason, now })).ended;
  return endOtherSessions(store, userId, now, keepSessionId, reason);
}
