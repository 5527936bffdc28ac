import { DomainError } from '../core/errors.ts';
import { usernameKey } from '../core/usernames.ts';
import type { Account, Session } from '../core/types.ts';
import { requireAdminReauthentication } from './shared/reauthentication.ts';
import { attemptKeys } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { switchTwoFactorOff } from './shared/two-factor-state.ts';
import { localize } from '../i18n/format.ts';

export interface AdminActor {
  /** Username of the administrator, or `cli:<os user>` for the command line. */
  name: string;
  ip: string | null;
  /**
   * The administrator's session and account when acting over HTTP. Administrative changes need
   * the Password window, like the user's own security changes; the command line (someone with
   * the server's data in hand) has none.
   */
  session?: Session;
  account?: Account;
}

/**
 * The help page's recovery path: an administrator turns off a user's two-factor (lost phone,
 * unreadable mailbox). Every session of the user ends and the lock on their second factor lifts.
 */
export async function adminResetTwoFactor(
  deps: FlowDeps,
  username: string,
  actor: AdminActor,
): Promise<{ account: Account; sessionsEnded: number; wasEnabled: boolean }> {
  requireAdminReauthentication(deps, actor);
  const account = await deps.store.findAccountByUsernameKey(usernameKey(username));
  if (account === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  const wasEnabled = account.authenticatorCount > 0;
  const sessionsEnded = await deps.store.transaction(async (store) => {
    // An administrator resetting their own account keeps the session they do it from.
    const ownSession = actor.account?.id === account.id ? actor.session?.id : undefined;
    const ended = await switchTwoFactorOff(deps, store, account.id, deps.clock(), 'administrator', ownSession);
    await store.clearAttemptCounter(attemptKeys.secondFactor(account.id));
    await recordAudit(
      deps,
      {
        type: 'two_factor.admin_reset',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        actor: actor.name,
        ip: actor.ip,
        detail: { was_enabled: wasEnabled, sessions_ended: ended },
      },
      store,
    );
    return ended;
  });
  if (wasEnabled) await deps.notifier.notify(account, 'two_factor_admin_reset', { administrator: actor.name });
  return { account: { ...account, twoFactorMethod: null, authenticatorCount: 0 }, sessionsEnded, wasEnabled };
}
