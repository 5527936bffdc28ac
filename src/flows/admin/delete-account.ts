import { DomainError } from '../../core/errors.ts';
import { usernameKey } from '../../core/usernames.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { attemptKeys } from '../shared/attempt-limits.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { emailCodeKeys } from '../shared/email-codes.ts';
import { dropUnfinishedEnrollments } from '../shared/two-factor-state.ts';
import { requireAdminReauthentication } from '../shared/reauthentication.ts';
import { requireAnotherActiveAdministrator } from './administrators.ts';
import { findAccountOrFail } from './find-account.ts';
import { localize } from '../../i18n/format.ts';

/**
 * `DELETE /admin/users/{username}`: the account and everything that signs in as it go
 * (sessions, devices, credentials, codes, tokens); its audit events stay, with the username, so
 * the history of what it did survives it.
 */
export async function deleteAccount(deps: FlowDeps, username: string, actor: AdminActor): Promise<void> {
  requireAdminReauthentication(deps, actor);
  const account = await findAccountOrFail(deps, username);
  await deps.store.transaction(async (store) => {
    await requireAnotherActiveAdministrator(store, account);
    // Sessions are ended first so the epoch moves on even for a login inserting one right now.
    const { ended } = await store.endSessionsOfAccount(account.id, { reason: 'administrator', now: deps.clock() });
    // Every credential goes explicitly, in this transaction: the authenticators' sealed secrets
    // and the recovery codes must not outlive the account, whatever foreign keys an old
    // database was created with (ON DELETE CASCADE covers them as well).
    await store.removeAuthenticators(account.id);
    await store.deleteRecoveryCodes(account.id);
    await dropUnfinishedEnrollments(store, account.id);
    await store.deleteEmailCode(emailCodeKeys.emailChange(account.id));
    if (!(await store.deleteAccount(account.id))) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
    // Counters are keyed by id and name, not tied to the row: a new account of the same name starts clean.
    await store.clearAttemptCounter(attemptKeys.secondFactor(account.id));
    await store.clearAttemptCounter(attemptKeys.passwordByUsername(usernameKey(account.username)));
    await recordAudit(
      deps,
      {
        type: 'account.deleted',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        actor: actor.name,
        ip: actor.ip,
        detail: { role: account.role, sessions_ended: ended },
      },
      store,
    );
  });
}
