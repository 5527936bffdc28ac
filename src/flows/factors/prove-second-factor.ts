import { DomainError } from '../../core/errors.ts';
import type { AMRValue, Account, ClientKind } from '../../core/types.ts';
import {
  attemptKeys,
  formatWait,
  recordFailedAttempt,
  releaseAttempt,
  reserveAttempt,
  secondFactorPolicy,
} from '../shared/attempt-limits.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { factorFor } from './registry.ts';
import type { FactorVerdict, SecondFactorProof, VerifyContext } from './types.ts';
import { localize } from '../../i18n/format.ts';

export interface SecondFactorAttempt {
  account: Account;
  /**
   * What the user submitted. More than one only where one field takes several kinds (a 6-digit
   * code in the Password window of an account with an app and email): checked in order, under
   * one attempt slot, so alternatives buy no extra guesses.
   */
  proofs: readonly SecondFactorProof[];
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

export interface ProvenSecondFactor {
  method: SecondFactorProof['method'];
  /** The authenticator that matched; null for a recovery code. */
  authenticatorId: string | null;
  /** RFC 8176 values this factor contributes (without 'mfa'). */
  amr: readonly AMRValue[];
}

async function judge(context: VerifyContext, proofs: readonly SecondFactorProof[]): Promise<{ verdict: FactorVerdict; proof: SecondFactorProof }> {
  let worst: { verdict: FactorVerdict; proof: SecondFactorProof } | null = null;
  for (const proof of proofs) {
    // Each factor narrows the proof to its own member of the union; the registry keys them by method.
    const verdict = await (factorFor(proof.method).verify as (c: VerifyContext, p: SecondFactorProof) => Promise<FactorVerdict>)(context, proof);
    if (verdict.outcome === 'accepted') return { verdict, proof };
    // "Reused" says more than "wrong", and a drift hint more than a bare "wrong".
    if (worst === null || verdict.outcome === 'reused' || (worst.verdict.outcome === 'wrong' && worst.verdict.clockSkewSeconds === undefined)) {
      worst = { verdict, proof };
    }
  }
  if (worst === null) throw new TypeError('proveSecondFactor needs at least one proof');
  return worst;
}

/**
 * Proves the second factor under the per-account limit shared by every factor and every route
 * (login and the Password window), so that switching factor or route buys no extra guesses.
 * Factors only judge (flows/factors/<kind>/); the limits, audit and notices are kept here.
 */
export async function proveSecondFactor(deps: FlowDeps, attempt: SecondFactorAttempt): Promise<ProvenSecondFactor> {
  const { account } = attempt;
  const key = attemptKeys.secondFactor(account.id);
  const policy = secondFactorPolicy(deps);
  await reserveAttempt(deps, key, policy);
  let judged: { verdict: FactorVerdict; proof: SecondFactorProof };
  try {
    if (attempt.beforeCheck && !(await attempt.beforeCheck())) {
      throw attempt.onAbort?.() ?? new DomainError('challenge_invalid', 'This sign-in has expired. Log in again.');
    }
    judged = await judge({ deps, account, emailCodeKey: attempt.emailCodeKey, purpose: attempt.purpose }, attempt.proofs);
  } catch (error) {
    // Nothing was judged (a void challenge, or a server error before the code was checked):
    // that must not spend the user's slot.
    await releaseAttempt(deps, key);
    throw error;
  }
  const { verdict, proof } = judged;
  const base = { userId: account.id, username: account.username, client: attempt.client, ip: attempt.ip };
  if (verdict.outcome === 'accepted') {
    // NIST SP 800-63B §5.2.2 limits consecutive failures: a right code ends the run. The lock
    // count stays, so locks still double for someone who keeps guessing between real logins.
    await deps.store.releaseAttempt(key, { resetFailures: true });
    if (proof.method === 'recovery_code') {
      const remaining = await deps.store.countUnusedRecoveryCodes(account.id);
      await recordAudit(deps, { ...base, type: 'recovery_code.used', outcome: 'success', detail: { remaining, purpose: attempt.purpose } });
      await deps.notifier.notify(account, 'recovery_code_used', { remaining: String(remaining) });
    }
    return { method: proof.method, authenticatorId: verdict.authenticatorId, amr: verdict.amr ?? factorFor(proof.method).amr };
  }
  // Counted first: nothing after this may lose the failure.
  const lockedUntil = await recordFailedAttempt(deps, key, policy);
  if (verdict.outcome === 'wrong' && verdict.audit !== undefined) {
    await recordAudit(deps, { ...base, type: verdict.audit.type, outcome: 'failure', detail: { ...verdict.audit.detail, purpose: attempt.purpose } });
  }
  const failureType = attempt.purpose === 'login' ? 'login.second_factor' : 'reauth';
  const skew = verdict.outcome === 'wrong' ? verdict.clockSkewSeconds : undefined;
  const reason = verdict.outcome === 'reused' ? 'reused_code' : skew !== undefined ? 'clock_skew' : proof.method === 'webauthn' ? 'assertion_failed' : 'wrong_code';
  await recordAudit(deps, {
    ...base,
    type: failureType,
    outcome: 'failure',
    detail: { method: proof.method, reason, ...(skew === undefined ? {} : { clock_skew_seconds: skew }) },
  });
  if (lockedUntil !== null) {
    await recordAudit(deps, { ...base, type: 'login.lockout', outcome: 'failure', detail: { factor: 'second_factor', until: lockedUntil } });
    await deps.notifier.notify(account, 'lockout', { until: new Date(lockedUntil).toISOString() });
    const seconds = Math.max(1, Math.ceil((lockedUntil - deps.clock()) / 1000));
    throw new DomainError('too_many_attempts', localize('Too many wrong codes. Try again in {wait}.', { wait: formatWait(seconds) }), {
      retryAfterSeconds: seconds,
    });
  }
  if (verdict.outcome === 'reused') throw new DomainError('invalid_code', 'This code was already used. Wait for the next code in your app.');
  if (skew !== undefined) {
    throw new DomainError(
      'invalid_code',
      localize(
        "The authentication code is incorrect. Your phone's clock looks about {seconds} seconds behind: turn on automatic date and time on your phone, then try a new code.",
        { seconds: Math.abs(skew) },
      ),
      { clockSkewSeconds: skew },
    );
  }
  if (proof.method === 'webauthn') throw new DomainError('invalid_code', 'The passkey or security key could not be verified. Try again, or use another method.');
  if (proof.method === 'recovery_code') throw new DomainError('invalid_code', 'The recovery code is incorrect, or it was already used.');
  if (proof.method === 'admin_recovery') throw new DomainError('invalid_code', 'The code from your administrator is incorrect, has expired or was already used.');
  throw new DomainError('invalid_code', 'The authentication code is incorrect.');
}
