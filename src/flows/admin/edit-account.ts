import { DomainError } from '../../core/errors.ts';
import { endTrustedDevices } from '../login/trusted-devices.ts';
import { isEmailAddress } from '../../core/email-addresses.ts';
import type { Account, Role } from '../../core/types.ts';
import { checkDisplayName } from '../../core/usernames.ts';
import type { AccountChanges } from '../../store/store.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { dropUnfinishedEnrollments } from '../shared/two-factor-state.ts';
import { requireAdminReauthentication } from '../shared/reauthentication.ts';
import { requireAnotherActiveAdministrator } from './administrators.ts';
import { findAccountOrFail } from './find-account.ts';
import { localize } from '../../i18n/format.ts';
import { applyPolicyToAccount } from './two-factor-policy.ts';

export interface AccountEdit {
  displayName?: string;
  email?: string | null;
  role?: Role;
  disabled?: boolean;
}

/** Only what actually changes, normalised and checked before anything is written. */
function changesFor(account: Account, edit: AccountEdit): AccountChanges {
  const changes: AccountChanges = {};
  if (edit.displayName !== undefined) {
    const displayName = edit.displayName.trim() || account.username;
    const problem = checkDisplayName(displayName);
    if (problem !== null) throw new DomainError('validation_error', problem);
    if (displayName !== account.displayName) changes.displayName = displayName;
  }
  if (edit.email !== undefined) {
    const email = edit.email === null || edit.email.trim() === '' ? null : edit.email.trim();
    if (email !== null && !isEmailAddress(email)) throw new DomainError('validation_error', 'Email must be an email address.');
    if (email !== account.email) changes.email = email;
  }
  if (edit.role !== undefined && edit.role !== account.role) changes.role = edit.role;
  if (edit.disabled !== undefined && edit.disabled !== account.disabled) changes.disabled = edit.disabled;
  return changes;
}

/**
 * `PATCH /admin/users/{username}`. Disabling ends every session (and open login) of the account;
 * an address set here is unverified until its owner proves it. The last active administrator
 * cannot be disabled or demoted.
 */
export async function editAccount(deps: FlowDeps, username: string, edit: AccountEdit, actor: AdminActor): Promise<Account> {
  requireAdminReauthentication(deps, actor);
  const account = await findAccountOrFail(deps, username);
  const changes = changesFor(account, edit);
  if (Object.keys(changes).length === 0) return account;

  await deps.store.transaction(async (store) => {
    const now = deps.clock();
    if (changes.disabled === true || changes.role === 'user') await requireAnotherActiveAdministrator(store, account);
    if (changes.email !== undefined) {
      // The address may be one of this account's authenticators (any of them, not only the
      // oldest): moving it here would hand the codes to an address nobody proved. The user
      // changes it themselves (with a code), or two-factor goes first. The account row is
      // locked first, as adding an authenticator does, so an email method added meanwhile is seen.
      await store.lockAccountForUpdate(account.id, now);
      if ((await store.countAuthenticators(account.id, 'email')) > 0) {
        throw new DomainError(
          'conflict',
          localize('{username} receives authentication codes at this address. Ask them to change it under Security Settings, or disable their two-factor authentication first.', {
            username: account.username,
          }),
        );
      }
    }
    await store.updateAccount(account.id, changes, now);
    const base = { userId: account.id, username: account.username, actor: actor.name, ip: actor.ip, outcome: 'success' as const };
    let ended = 0;
    if (changes.disabled === true) {
      ended = (await store.endSessionsOfAccount(account.id, { reason: 'administrator', now })).ended;
      await endTrustedDevices(deps, store, account.id, 'administrator', { username: account.username, actor: actor.name, ip: actor.ip });
      await store.deletePasswordTokens(account.id);
      await dropUnfinishedEnrollments(store, account.id);
      // A code issued before the suspension must not outlive it (issuing one is refused while disabled).
      await store.deleteAdminRecoveryCode(account.id);
      await recordAudit(deps, { ...base, type: 'account.disabled', detail: { sessions_ended: ended } }, store);
    }
    if (changes.disabled === false) await recordAudit(deps, { ...base, type: 'account.enabled' }, store);
    if (changes.role !== undefined) {
      // Promotion under "Administrators only" starts the grace period; demotion stops it.
      await applyPolicyToAccount(deps, store, account.id, changes.role, now);
      await recordAudit(deps, { ...base, type: 'account.role_changed', detail: { from: account.role, to: changes.role } }, store);
    }
    const fields = (['displayName', 'email'] as const).filter((field) => changes[field] !== undefined);
    if (fields.length > 0) await recordAudit(deps, { ...base, type: 'account.updated', detail: { fields: fields.join(',') } }, store);
  });

  const updated = await deps.store.findAccountById(account.id);
  if (updated === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  // Notices go to the address the owner proved, which is the old one when the address changed.
  const administrator = { administrator: actor.name };
  if (changes.email !== undefined && account.email !== null) {
    await deps.notifier.notify(account, 'email_changed', { newAddress: changes.email ?? 'none (removed)' });
  }
  if (changes.disabled === true) await deps.notifier.notify(account, 'account_disabled', administrator);
  if (changes.disabled === false) await deps.notifier.notify(updated, 'account_enabled', administrator);
  if (changes.role !== undefined) await deps.notifier.notify(updated, 'role_changed', { ...administrator, role: changes.role });
  return updated;
}
