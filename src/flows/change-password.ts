import { DomainError } from '../core/errors.ts';
import { endTrustedDevices } from './login/trusted-devices.ts';
import { checkPasswordStrength } from '../core/passwords.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { checkAccountPassword } from './shared/password-check.ts';
import { endOtherSessions } from './shared/sessions.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';

/**
 * Changes the password given the current one. Every other session of the account ends, and so do
 * open login challenges (they were decided under the old password).
 */
export async function changePassword(
  deps: FlowDeps,
  input: { session: Session; account: Account; currentPassword: string; newPassword: string },
  context: RequestContext,
): Promise<{ message: string }> {
  const { session, account } = input;
  const weakness = checkPasswordStrength(input.newPassword);
  if (weakness !== null) throw new DomainError('validation_error', weakness);
  await checkAccountPassword(deps, account, input.currentPassword, {
    client: session.client,
    deviceId: session.deviceId,
    ip: context.ip,
    auditType: 'password.changed',
    message: 'The current password is incorrect.',
  });
  const passwordHash = await deps.passwords.hash(input.newPassword);
  await deps.store.transaction(async (store) => {
    await store.updatePasswordHash(account.id, passwordHash, deps.clock());
    await endOtherSessions(store, account.id, deps.clock(), session.id, 'password_changed');
    await endTrustedDevices(deps, store, account.id, 'password_changed', { username: account.username, ip: context.ip });
    await recordAudit(
      deps,
      { type: 'password.changed', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip },
      store,
    );
  });
  return { message: EDITED_SUCCESSFULLY };
}
