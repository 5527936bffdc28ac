import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { DomainError } from '../core/errors.ts';
import { combineAMR } from '../core/amr.ts';
import type { AMRValue, Account, RequestContext, Session } from '../core/types.ts';
import { proveSecondFactor } from './factors/prove-second-factor.ts';
import { passwordWindowProofs } from './factors/registry.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { emailCodeKeys } from './shared/email-codes.ts';
import { checkAccountPassword } from './shared/password-check.ts';

export interface ConfirmPasswordInput {
  session: Session;
  account: Account;
  password: string;
  /** A current code (or a recovery code) when two-factor is on and is about to be changed. */
  code?: string;
  /** In place of a code: an assertion of one of the account's keys, after startWebAuthnReauth. */
  webauthn?: AuthenticationResponseJSON;
}

export interface ConfirmPasswordResult {
  reauthenticatedUntil: number;
  secondFactorVerified: boolean;
  /** How this confirmation was proved (RFC 8176). */
  amr: AMRValue[];
}

/**
 * The "Password" window. Marks the session as recently authenticated; with a valid code it also
 * counts as proof of the second factor, which changing two-factor settings requires.
 */
export async function confirmPassword(deps: FlowDeps, input: ConfirmPasswordInput, context: RequestContext): Promise<ConfirmPasswordResult> {
  const { account, session } = input;
  await checkAccountPassword(deps, account, input.password, {
    client: session.client,
    deviceId: session.deviceId,
    ip: context.ip,
    auditType: 'reauth',
    message: 'The password is incorrect.',
  });

  let secondFactor: readonly AMRValue[] | null = null;
  if (input.code !== undefined || input.webauthn !== undefined) {
    if (account.authenticatorCount === 0) {
      throw new DomainError('validation_error', 'Two-factor authentication is off: no code is needed.');
    }
    const proven = await proveSecondFactor(deps, {
      account,
      proofs:
        input.webauthn !== undefined
          ? [{ method: 'webauthn', response: input.webauthn }]
          : await passwordWindowProofs(deps, account, input.code ?? ''),
      emailCodeKey: emailCodeKeys.reauth(session.id),
      client: session.client,
      ip: context.ip,
      purpose: 'reauth',
    });
    secondFactor = proven.amr;
  }
  const secondFactorVerified = secondFactor !== null;
  const amr = combineAMR({ password: true, secondFactor });

  const now = deps.clock();
  await deps.store.transaction(async (store) => {
    await store.markSessionReauthenticated(session.id, now, amr);
    await recordAudit(
      deps,
      {
        type: 'reauth',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { second_factor: secondFactorVerified, amr: amr.join(' ') },
      },
      store,
    );
  });
  return { reauthenticatedUntil: now + deps.settings.limits.reauthTtlMs, secondFactorVerified, amr };
}
