import { DomainError } from '../core/errors.ts';
import { hashToken } from '../core/tokens.ts';
import type { Account, ChallengeMethod, ClientKind } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { availableMethods, proveSecondFactor } from './shared/second-factor.ts';
import { issueSession, noteSignInDevice } from './shared/sessions.ts';

export interface VerifySecondFactorInput {
  challengeId: string;
  method: ChallengeMethod;
  code: string;
}

export interface VerifySecondFactorResult {
  token: string;
  expiresAt: number;
  account: Account;
  /** The client named at the password step; the session belongs to it. */
  clientKind: ClientKind;
  /** Left after a recovery code was used, so clients can urge the user to make new ones. */
  recoveryCodesLeft: number | null;
}

const EXPIRED = 'This sign-in has expired or was already used. Log in again.';

export function emailCodeKeyForChallenge(challengeIdHash: string): string {
  return `login:${challengeIdHash}`;
}

/** The second step of a login: a challenge plus a valid code becomes a session, exactly once. */
export async function verifySecondFactor(deps: FlowDeps, input: VerifySecondFactorInput): Promise<VerifySecondFactorResult> {
  const idHash = hashToken(input.challengeId);
  const challenge = await deps.store.findLoginChallenge(idHash);
  const now = deps.clock();
  const maxAttempts = deps.settings.limits.challengeMaxAttempts;
  if (!challenge || challenge.consumedAt !== null || challenge.expiresAt <= now || challenge.attempts >= maxAttempts) {
    throw new DomainError('challenge_invalid', EXPIRED);
  }
  const account = await deps.store.findAccountById(challenge.userId);
  // Two-factor turned off (or the account removed) since the password step: start over.
  if (!account || account.twoFactorMethod === null) throw new DomainError('challenge_invalid', EXPIRED);
  const methods = await availableMethods(deps, account);
  if (!methods.includes(input.method)) {
    throw new DomainError('validation_error', `This account cannot sign in with method "${input.method}". Use one of: ${methods.join(', ')}.`);
  }

  await proveSecondFactor(deps, {
    account,
    method: input.method,
    code: input.code,
    emailCodeKey: emailCodeKeyForChallenge(idHash),
    client: challenge.client,
    ip: challenge.ip,
    beforeCheck: () => deps.store.spendChallengeAttempt(idHash, deps.clock(), maxAttempts),
    onAbort: () => new DomainError('challenge_invalid', EXPIRED),
  });

  const origin = { client: challenge.client, deviceName: challenge.deviceName, ip: challenge.ip, userAgent: challenge.userAgent };
  const issued = await deps.store.transaction(async (store) => {
    // Of two requests carrying two valid codes, only the one that consumes the challenge gets a session.
    if (!(await store.consumeLoginChallenge(idHash, deps.clock()))) throw new DomainError('challenge_invalid', EXPIRED);
    const result = await issueSession(deps, account.id, origin, store);
    await recordAudit(
      deps,
      {
        type: 'login.second_factor',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: challenge.client,
        ip: challenge.ip,
        detail: { method: input.method },
      },
      store,
    );
    return result;
  });

  let recoveryCodesLeft: number | null = null;
  if (input.method === 'recovery_code') {
    recoveryCodesLeft = await deps.store.countUnusedRecoveryCodes(account.id);
    await recordAudit(deps, {
      type: 'recovery_code.used',
      outcome: 'success',
      userId: account.id,
      username: account.username,
      client: challenge.client,
      ip: challenge.ip,
      detail: { remaining: recoveryCodesLeft },
    });
    await deps.notifier.notify(account, 'recovery_code_used', { remaining: String(recoveryCodesLeft) });
  }
  await noteSignInDevice(deps, account, origin);
  return { token: issued.token, expiresAt: issued.session.expiresAt, account, clientKind: challenge.client, recoveryCodesLeft };
}
