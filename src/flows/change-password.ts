import { DomainError } from '../core/errors.ts';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../core/passwords.ts';
import { usernameKey } from '../core/usernames.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, passwordPolicy, recordFailedAttempt, releaseAttempt, reserveAttempt } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { EDITED_SUCCESSFULLY } from './enable-totp.ts';

/** Changes the password given the current one; every other session of the account ends. */
export async function changePassword(
  deps: FlowDeps,
  input: { session: Session; account: Account; currentPassword: string; newPassword: string },
  context: RequestContext,
): Promise<{ message: string }> {
  const { session, account } = input;
  const weakness = checkPasswordStrength(input.newPassword);
  if (weakness !== null) throw new DomainError('validation_error', weakness);
  const key = attemptKeys.passwordByUsername(usernameKey(account.username));
  const policy = passwordPolicy(deps, 'username');
  await reserveAttempt(deps, key, policy);
  if (!(await verifyPassword(account.passwordHash, input.currentPassword))) {
    await recordFailedAttempt(deps, key, policy);
    await recordAudit(deps, {
      type: 'password.changed',
      outcome: 'failure',
      userId: account.id,
      username: account.username,
      client: session.client,
      ip: context.ip,
      detail: { reason: 'wrong_password' },
    });
    throw new DomainError('invalid_credentials', 'The current password is incorrect.');
  }
  await releaseAttempt(deps, key);
  const passwordHash = await hashPassword(input.newPassword);
  await deps.store.transaction(async (store) => {
    await store.updatePasswordHash(account.id, passwordHash, deps.clock());
    await store.deleteSessionsOfAccount(account.id, session.id);
    await recordAudit(
      deps,
      { type: 'password.changed', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip },
      store,
    );
  });
  return { message: EDITED_SUCCESSFULLY };
}
