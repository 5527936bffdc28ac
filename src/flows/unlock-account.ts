import { DomainError } from '../core/errors.ts';
import { usernameKey } from '../core/usernames.ts';
import { attemptKeys } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import { requireAdminReauthentication } from './shared/reauthentication.ts';
import type { FlowDeps } from './shared/deps.ts';
import type { AdminActor } from './admin-reset-two-factor.ts';
import { localize } from '../i18n/format.ts';

/** Lifts the password and second-factor locks of one account (an administrator's call). */
export async function unlockAccount(deps: FlowDeps, username: string, actor: AdminActor): Promise<void> {
  requireAdminReauthentication(deps, actor);
  const account = await deps.store.findAccountByUsernameKey(usernameKey(username));
  if (account === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  await deps.store.transaction(async (store) => {
    await store.clearAttemptCounter(attemptKeys.secondFactor(account.id));
    await store.clearAttemptCounter(attemptKeys.passwordByUsername(usernameKey(account.username)));
    // Both kinds of password lock: the unknown-device one above, and each known device's own.
    await store.clearDeviceAttemptCounters(account.id);
    await recordAudit(
      deps,
      { type: 'account.unlocked', outcome: 'success', userId: account.id, username: account.username, actor: actor.name, ip: actor.ip },
      store,
    );
  });
}
