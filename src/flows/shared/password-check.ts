import { DomainError } from '../../core/errors.ts';
import { usernameKey } from '../../core/usernames.ts';
import type { Account, AuditEventType, ClientKind } from '../../core/types.ts';
import { attemptKeys, passwordPolicy, recordFailedAttempt, releaseAttempt, reserveAttempt } from './attempt-limits.ts';
import { recordAudit } from './audit.ts';
import type { FlowDeps } from './deps.ts';

/**
 * Checks the password of a signed-in account (the Password window, a password change) under the
 * same per-username limit as login: these must not be a side door for guessing it.
 */
export async function checkAccountPassword(
  deps: FlowDeps,
  account: Account,
  password: string,
  context: { client: ClientKind; ip: string; auditType: AuditEventType; message: string },
): Promise<void> {
  const key = attemptKeys.passwordByUsername(usernameKey(account.username));
  const policy = passwordPolicy(deps, 'username');
  await reserveAttempt(deps, key, policy);
  let ok: boolean;
  try {
    ok = await deps.passwords.verify(account.passwordHash, password);
  } catch (error) {
    await releaseAttempt(deps, key);
    throw error;
  }
  if (ok) {
    await releaseAttempt(deps, key);
    return;
  }
  const base = { userId: account.id, username: account.username, client: context.client, ip: context.ip };
  // The failure is counted before anything else can go wrong.
  const lockedUntil = await recordFailedAttempt(deps, key, policy);
  await recordAudit(deps, { ...base, type: context.auditType, outcome: 'failure', detail: { reason: 'wrong_password' } });
  await recordPasswordLock(deps, account, base, lockedUntil);
  throw new DomainError('invalid_credentials', context.message);
}

/** Audits a password lock when a failure just caused one, and tells the account's owner. */
export async function recordPasswordLock(
  deps: FlowDeps,
  account: Account | null,
  base: { userId: string | null; username: string | null; client: ClientKind | null; ip: string },
  lockedUntil: number | null,
  scope: 'username' | 'address' = 'username',
): Promise<void> {
  if (lockedUntil === null) return;
  await recordAudit(deps, { ...base, type: 'login.lockout', outcome: 'failure', detail: { factor: 'password', scope, until: lockedUntil } });
  if (account !== null && scope === 'username') {
    await deps.notifier.notify(account, 'lockout', { until: new Date(lockedUntil).toISOString(), factor: 'password' });
  }
}
