import { DomainError } from '../core/errors.ts';
import { normalizeRecoveryCode } from '../core/recovery-codes.ts';
import type { Account, ChallengeMethod, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { emailCodeKeys } from './shared/email-codes.ts';
import { checkAccountPassword } from './shared/password-check.ts';
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

/**
 * The "Password" window. Marks the session as recently authenticated; with a valid code it also
 * counts as proof of the second factor, which changing two-factor settings requires.
 */
export async function confirmPassword(deps: FlowDeps, input: ConfirmPasswordInput, context: RequestContext): Promise<ConfirmPasswordResult> {
  const { account, session } = input;
  await checkAccountPassword(deps, account, input.password, {
    client: session.client,
    ip: context.ip,
    auditType: 'reauth',
    message: 'The password is incorrect.',
  });

  let secondFactorVerified = false;
  if (input.code !== undefined) {
    if (account.twoFactorMethod === null) {
      throw new DomainError('validation_error', 'Two-factor authentication is off: no code is needed.');
    }
    const method: ChallengeMethod =
      !/^[0-9]{6}$/.test(input.code) && normalizeRecoveryCode(input.code) !== null ? 'recovery_code' : account.twoFactorMethod;
    await proveSecondFactor(deps, {
      account,
      method,
      code: input.code,
      emailCodeKey: emailCodeKeys.reauth(session.id),
      client: session.client,
      ip: context.ip,
      purpose: 'reauth',
    });
    secondFactorVerified = true;
  }

  const now = deps.clock();
  await deps.store.transaction(async (store) => {
    await store.markSessionReauthenticated(session.id, now, secondFactorVerified);
    await recordAudit(
      deps,
      {
        type: 'reauth',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { second_factor: secondFactorVerified },
      },
      store,
    );
  });
  return { reauthenticatedUntil: now + deps.settings.limits.reauthTtlMs, secondFactorVerified };
}
