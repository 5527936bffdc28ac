import { decodeBase32 } from '../../core/base32.ts';
import { DomainError } from '../../core/errors.ts';
import { normalizeRecoveryCode } from '../../core/recovery-codes.ts';
import { verifyTOTP } from '../../core/totp.ts';
import type { Account, ChallengeMethod, ClientKind } from '../../core/types.ts';
import {
  attemptKeys,
  formatWait,
  recordFailedAttempt,
  releaseAttempt,
  reserveAttempt,
  secondFactorPolicy,
} from './attempt-limits.ts';
import { recordAudit } from './audit.ts';
import type { FlowDeps } from './deps.ts';
import { consumeEmailCode } from './email-codes.ts';
import { recoveryCodeDigest } from './recovery-codes.ts';

export function totpAssociatedData(userId: string): string {
  return `totp:${userId}`;
}

/** Methods an account can answer a challenge with, in the order clients should offer them. */
export async function availableMethods(deps: FlowDeps, account: Account): Promise<ChallengeMethod[]> {
  if (account.twoFactorMethod === null) return [];
  const methods: ChallengeMethod[] = [account.twoFactorMethod];
  if ((await deps.store.countUnusedRecoveryCodes(account.id)) > 0) methods.push('recovery_code');
  return methods;
}

type CheckOutcome = 'accepted' | 'wrong' | 'reused';

/** Checks one code; a match is also spent (TOTP step advanced, recovery or email code used). */
async function checkAndSpend(
  deps: FlowDeps,
  account: Account,
  method: ChallengeMethod,
  code: string,
  emailCodeKey: string | null,
): Promise<CheckOutcome> {
  const now = deps.clock();
  if (method === 'totp') {
    const credential = await deps.store.findTOTPCredential(account.id);
    if (credential === null) return 'wrong';
    const secret = deps.secretBox.open(credential.sealedSecret, totpAssociatedData(account.id));
    const key = secret === null ? null : decodeBase32(secret);
    if (key === null) throw new Error('stored TOTP secret cannot be opened with the master key');
    const step = verifyTOTP(key, code, { now });
    if (step === null) return 'wrong';
    // The guarded update is the real replay check: of two requests with one code, one wins.
    // A right code whose step is spent is named as such, so people who log in again straight
    // after setting up know to wait for the next code (it still counts as a failed attempt).
    return step > credential.lastUsedStep && (await deps.store.advanceTOTPStep(account.id, step)) ? 'accepted' : 'reused';
  }
  if (method === 'recovery_code') {
    if (normalizeRecoveryCode(code) === null) return 'wrong';
    return (await deps.store.useRecoveryCode(account.id, recoveryCodeDigest(deps, account.id, code), now)) ? 'accepted' : 'wrong';
  }
  return emailCodeKey !== null && (await consumeEmailCode(deps, emailCodeKey, account.id, code)) !== null ? 'accepted' : 'wrong';
}

export interface SecondFactorAttempt {
  account: Account;
  method: ChallengeMethod;
  code: string;
  /** Where the email code for this attempt is stored (bound to the challenge or the session). */
  emailCodeKey: string | null;
  client: ClientKind | null;
  ip: string;
  /** Login or the Password window; names the audit events. */
  purpose: 'login' | 'reauth';
  /** Runs after the account's attempt slot is taken and before the code is checked; false aborts. */
  beforeCheck?: () => Promise<boolean>;
  onAbort?: () => DomainError;
}

/**
 * Proves the second factor under the per-account limit shared by every method and every route
 * (login and reauthentication), so that switching method or route buys no extra guesses.
 */
export async function proveSecondFactor(deps: FlowDeps, attempt: SecondFactorAttempt): Promise<void> {
  const { account } = attempt;
  const key = attemptKeys.secondFactor(account.id);
  const policy = secondFactorPolicy(deps);
  await reserveAttempt(deps, key, policy);
  let outcome: CheckOutcome;
  try {
    if (attempt.beforeCheck && !(await attempt.beforeCheck())) {
      throw attempt.onAbort?.() ?? new DomainError('challenge_invalid', 'This sign-in has expired. Log in again.');
    }
    outcome = await checkAndSpend(deps, account, attempt.method, attempt.code, attempt.emailCodeKey);
  } catch (error) {
    // Nothing was judged (a void challenge, or a server error before the code was checked):
    // that must not spend the user's slot.
    await releaseAttempt(deps, key);
    throw error;
  }
  const base = { userId: account.id, username: account.username, client: attempt.client, ip: attempt.ip };
  if (outcome === 'accepted') {
    await releaseAttempt(deps, key);
    if (attempt.method === 'recovery_code') {
      const remaining = await deps.store.countUnusedRecoveryCodes(account.id);
      await recordAudit(deps, { ...base, type: 'recovery_code.used', outcome: 'success', detail: { remaining, purpose: attempt.purpose } });
      await deps.notifier.notify(account, 'recovery_code_used', { remaining: String(remaining) });
    }
    return;
  }
  // Counted first: nothing after this may lose the failure.
  const lockedUntil = await recordFailedAttempt(deps, key, policy);
  const failureType = attempt.purpose === 'login' ? 'login.second_factor' : 'reauth';
  const reason = outcome === 'reused' ? 'reused_code' : 'wrong_code';
  await recordAudit(deps, { ...base, type: failureType, outcome: 'failure', detail: { method: attempt.method, reason } });
  if (lockedUntil !== null) {
    await recordAudit(deps, { ...base, type: 'login.lockout', outcome: 'failure', detail: { factor: 'second_factor', until: lockedUntil } });
    await deps.notifier.notify(account, 'lockout', { until: new Date(lockedUntil).toISOString() });
    const seconds = Math.max(1, Math.ceil((lockedUntil - deps.clock()) / 1000));
    throw new DomainError('too_many_attempts', `Too many wrong codes. Try again in ${formatWait(seconds)}.`, {
      retryAfterSeconds: seconds,
    });
  }
  throw new DomainError(
    'invalid_code',
    outcome === 'reused' ? 'This code was already used. Wait for the next code in your app.' : 'The authentication code is incorrect.',
  );
}
