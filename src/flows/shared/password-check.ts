import { DomainError } from '../../core/errors.ts';
import { usernameKey } from '../../core/usernames.ts';
import type { Account, AuditEventType, ClientKind } from '../../core/types.ts';
import { attemptKeys, attemptsRemaining, formatWait, passwordPolicy, recordFailedAttempt, releaseAttempt, reserveAttempt } from './attempt-limits.ts';
import { recordAudit } from './audit.ts';
import type { FlowDeps } from './deps.ts';
import { localize } from '../../i18n/format.ts';

/**
 * Checks the password of a signed-in account (the Password window, a password change) under the
 * same limits as login: these must not be a side door for guessing it. A session made on a known
 * device spends that device's budget, as its logins do; otherwise an outsider's wrong passwords
 * for the username (the unknown-device budget) would lock the owner's Password window too.
 */
export async function checkAccountPassword(
  deps: FlowDeps,
  account: Account,
  password: string,
  context: { client: ClientKind; ip: string; auditType: AuditEventType; message: string; deviceId: string | null },
): Promise<void> {
  const deviceId = context.deviceId;
  const known = deviceId !== null && (await deps.store.listDevices(account.id)).some((device) => device.id === deviceId);
  const key = known ? attemptKeys.passwordByDevice(deviceId) : attemptKeys.passwordByUsername(usernameKey(account.username));
  const policy = passwordPolicy(deps, known ? 'device' : 'username');
  await reserveAttempt(deps, key, policy);
  let ok: boolean;
  try {
    ok = await deps.passwords.verify(account.passwordHash, password, { priority: known ? 'known' : 'unknown', account: account.id });
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
  await recordPasswordLock(deps, account, base, lockedUntil, known ? 'device' : 'username');
  if (lockedUntil !== null) {
    const wait = formatWait(Math.max(1, Math.ceil((lockedUntil - deps.clock()) / 1000)));
    throw new DomainError('invalid_credentials', localize(known ? DEVICE_PASSWORD_LOCKED : PASSWORD_LOCKED, { wait }), { attemptsLeft: 0 });
  }
  // The owner is signed in here, so telling them how close the lock is reveals nothing new;
  // ten wrong passwords in a pop-up must not lock every client's login without warning.
  const remaining = await attemptsRemaining(deps, key, policy);
  if (remaining.left > WARN_AT) throw new DomainError('invalid_credentials', context.message);
  const wait = formatWait(Math.ceil(remaining.lockMs / 1000));
  const warning = localize(known ? DEVICE_ATTEMPTS_LEFT : ATTEMPTS_LEFT, { left: remaining.left, wait });
  throw new DomainError('invalid_credentials', localize('{message} {warning}', { message: localize(context.message), warning }), { attemptsLeft: remaining.left });
}

/** Wrong passwords left at which a signed-in user is warned (and `attemptsLeft` is sent). */
const WARN_AT = 3;
const ATTEMPTS_LEFT = '{left, plural, one {# attempt left} other {# attempts left}} before logins to your account are paused for {wait}.';
// On a known device's session only that device's password logins are paused (its own budget).
const DEVICE_ATTEMPTS_LEFT = '{left, plural, one {# attempt left} other {# attempts left}} before logins from this device are paused for {wait}.';
const DEVICE_PASSWORD_LOCKED =
  'The password is incorrect. Too many wrong passwords: logins from this device are paused for {wait}. Wait, or ask your administrator to unlock it.';
const PASSWORD_LOCKED =
  'The password is incorrect. Too many wrong passwords: logins to your account are paused for {wait} on every client. Wait, or ask your administrator to unlock it.';

/** Audits a password lock when a failure just caused one, and tells the account's owner. */
export async function recordPasswordLock(
  deps: FlowDeps,
  account: Account | null,
  base: { userId: string | null; username: string | null; client: ClientKind | null; ip: string },
  lockedUntil: number | null,
  scope: 'username' | 'device' | 'address' = 'username',
): Promise<void> {
  if (lockedUntil === null) return;
  await recordAudit(deps, { ...base, type: 'login.lockout', outcome: 'failure', detail: { factor: 'password', scope, until: lockedUntil } });
  if (account !== null && scope !== 'address') {
    await deps.notifier.notify(account, 'lockout', { until: new Date(lockedUntil).toISOString(), factor: 'password' });
  }
}
