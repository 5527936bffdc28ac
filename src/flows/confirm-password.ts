import { DomainError } from '../core/errors.ts';
import { verifyPassword } from '../core/passwords.ts';
import { normalizeRecoveryCode } from '../core/recovery-codes.ts';
import { usernameKey } from '../core/usernames.ts';
import type { Account, ChallengeMethod, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, passwordPolicy, recordFailedAttempt, releaseAttempt, reserveAttempt } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { proveSecondFactor } from './shared/second-factor.ts';

export interface ConfirmPasswordInput {
  session: Session;
  account: Account;
  password: string;
  /** A current code (or a recovery code) when two-factor is on and is about to be changed. */
  code?: string;
}

export interface ConfirmPasswordResult {
  reauthenticatedUntil: number;
  secondFactorVerified: boolean;
}

export function emailCodeKeyForReauth(sessionId: string): string {
  return `reauth:${sessionId}`;
}

/**
 * The "Password" window. Marks the session as recently authenticated; with a valid code it also
 * counts as proof of the second factor, which changing two-factor settings requires.
 */
export async function confirmPassword(deps: FlowDeps, input: ConfirmPasswordInput, context: RequestContext): Promise<ConfirmPasswordResult> {
  const { account, session } = input;
  const key = attemptKeys.passwordByUsername(usernameKey(account.username));
  const policy = passwordPolicy(deps, 'username');
  await reserveAttempt(deps, key, policy);
  const audit = { userId: account.id, username: account.username, client: session.client, ip: context.ip };
  if (!(await verifyPassword(account.passwordHash, input.password))) {
    await recordFailedAttempt(deps, key, policy);
    await recordAudit(deps, { ...audit, type: 'reauth', outcome: 'failure', detail: { reason: 'wrong_password' } });
    throw new DomainError('invalid_credentials', 'The password is incorrect.');
  }
  await releaseAttempt(deps, key);

  let secondFactorVerified = false;
  if (input.code !== undefined) {
    if (account.twoFactorMethod === null) {
      throw new DomainError('validation_error', 'Two-factor authentication is off: no code is needed.');
    }
    const method: ChallengeMethod = /^[0-9]{6}$/.test(input.code)
      ? account.twoFactorMethod
      : normalizeRecoveryCode(input.code) !== null
        ? 'recovery_code'
        : account.twoFactorMethod;
    await proveSecondFactor(deps, {
      account,
      method,
      code: input.code,
      emailCodeKey: emailCodeKeyForReauth(session.id),
      client: session.client,
      ip: context.ip,
    });
    secondFactorVerified = true;
  }

  const now = deps.clock();
  await deps.store.markSessionReauthenticated(session.id, now, secondFactorVerified);
  await recordAudit(deps, { ...audit, type: 'reauth', outcome: 'success', detail: { second_factor: secondFactorVerified } });
  return { reauthenticatedUntil: now + deps.settings.limits.reauthTtlMs, secondFactorVerified };
}
