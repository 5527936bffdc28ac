import { randomBytes } from 'node:crypto';
import { endTrustedDevices } from '../login/trusted-devices.ts';
import { DomainError } from '../../core/errors.ts';
import { checkPasswordStrength } from '../../core/passwords.ts';
import type { Account } from '../../core/types.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { dropUnfinishedEnrollments } from '../shared/two-factor-state.ts';
import { requireAdminReauthentication } from '../shared/reauthentication.ts';
import { findAccountOrFail } from './find-account.ts';

/** 16 URL-safe characters (96 bits): typed once by the user, then replaced. */
export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * `POST /admin/users/{username}/password`: sets a password (the given one or a generated one,
 * returned once) that the user must replace at the next login. The user's sessions and open
 * logins end. Two-factor stays as it was: the next login still asks for the second factor.
 */
export async function adminResetPassword(
  deps: FlowDeps,
  username: string,
  input: { password?: string },
  actor: AdminActor,
): Promise<{ account: Account; password: string; sessionsEnded: number }> {
  requireAdminReauthentication(deps, actor);
  const account = await findAccountOrFail(deps, username);
  const password = input.password ?? generatePassword();
  const weakness = checkPasswordStrength(password);
  if (weakness !== null) throw new DomainError('validation_error', weakness);
  const passwordHash = await deps.passwords.hash(password);
  const sessionsEnded = await deps.store.transaction(async (store) => {
    const now = deps.clock();
    await store.updatePasswordHash(account.id, passwordHash, now, { changeRequired: true });
    const { ended } = await store.endSessionsOfAccount(account.id, { reason: 'administrator', now });
    await endTrustedDevices(deps, store, account.id, 'password_admin_reset', { username: account.username, actor: actor.name, ip: actor.ip });
    await store.deletePasswordTokens(account.id);
    // Confirmed authenticators stay (the next login still asks for one); half-done setups go.
    await dropUnfinishedEnrollments(store, account.id);
    await recordAudit(
      deps,
      {
        type: 'password.admin_reset',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        actor: actor.name,
        ip: actor.ip,
        detail: { generated: input.password === undefined, sessions_ended: ended },
      },
      store,
    );
    return ended;
  });
  await deps.notifier.notify(account, 'password_admin_reset', { administrator: actor.name });
  return { account: { ...account, passwordHash, passwordChangeRequired: true }, password, sessionsEnded };
}
