import { DomainError } from '../../../core/errors.ts';
import type { Account } from '../../../core/types.ts';
import { attemptKeys, formatWait } from '../../shared/attempt-limits.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { consumeEmailCode, sendEmailCode } from '../../shared/email-codes.ts';
import { readSixDigitCode } from '../code-proof.ts';
import type { AuthenticatorKind, ChallengeStartContext, FactorVerdict, SecondFactor, VerifyContext } from '../types.ts';
import { localize } from '../../../i18n/format.ts';

export const emailKind: AuthenticatorKind = { type: 'email', label: 'Email', defaultName: 'Email', maxPerAccount: 1 };

async function hasEmailMethod(deps: FlowDeps, account: Account): Promise<boolean> {
  return (await deps.store.countAuthenticators(account.id, 'email')) > 0;
}

/** A locked second factor refuses codes, so mailing one would only mislead the user. */
async function refuseWhileLocked(deps: FlowDeps, account: Account): Promise<void> {
  const counter = await deps.store.findAttemptCounter(attemptKeys.secondFactor(account.id));
  const now = deps.clock();
  if (counter !== null && counter.lockedUntil > now) {
    const seconds = Math.ceil((counter.lockedUntil - now) / 1000);
    throw new DomainError('too_many_attempts', localize('Too many wrong codes. Try again in {wait}.', { wait: formatWait(seconds) }), { retryAfterSeconds: seconds });
  }
}

/** The challenge start of the email method: mails a code stored under the attempt's key. */
async function startChallenge({ deps, account, attemptKey, purpose, requestLanguage }: ChallengeStartContext): Promise<object> {
  if (!(await hasEmailMethod(deps, account)) || account.email === null) {
    throw new DomainError('validation_error', 'This account does not use codes by email.');
  }
  await refuseWhileLocked(deps, account);
  return sendEmailCode(deps, { account, key: attemptKey, purpose, address: account.email, requestLanguage });
}

async function verify({ deps, account, emailCodeKey }: VerifyContext, proof: { method: 'email'; code: string }): Promise<FactorVerdict> {
  const [method] = await deps.store.listAuthenticators(account.id, 'email');
  if (method === undefined || emailCodeKey === null) return { outcome: 'wrong' };
  if ((await consumeEmailCode(deps, emailCodeKey, account.id, proof.code)) === null) return { outcome: 'wrong' };
  await deps.store.markAuthenticatorUsed(method.id, deps.clock());
  return { outcome: 'accepted', authenticatorId: method.id };
}

export const emailFactor: SecondFactor<{ method: 'email'; code: string }> = {
  method: 'email',
  authenticatorType: 'email',
  amr: ['otp'],
  isAvailable: hasEmailMethod,
  readProof: (input) => ({ method: 'email', code: readSixDigitCode(input) }),
  startChallenge,
  verify,
};
