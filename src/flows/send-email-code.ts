import { DomainError } from '../core/errors.ts';
import type { Account, Session } from '../core/types.ts';
import { attemptKeys } from './shared/attempt-limits.ts';
import { loadLiveChallenge } from './shared/challenges.ts';
import type { FlowDeps } from './shared/deps.ts';
import { emailCodeKeys, sendEmailCode, type SentCode } from './shared/email-codes.ts';
import { formatWait } from './shared/attempt-limits.ts';

/** A locked second factor refuses codes, so mailing one would only mislead the user. */
async function refuseWhileLocked(deps: FlowDeps, account: Account): Promise<void> {
  const counter = await deps.store.findAttemptCounter(attemptKeys.secondFactor(account.id));
  const now = deps.clock();
  if (counter !== null && counter.lockedUntil > now) {
    const seconds = Math.ceil((counter.lockedUntil - now) / 1000);
    throw new DomainError('too_many_attempts', `Too many wrong codes. Try again in ${formatWait(seconds)}.`, { retryAfterSeconds: seconds });
  }
}

/** "Send code" on the login's second step. The password step itself never sends mail. */
async function hasEmailMethod(deps: FlowDeps, account: Account): Promise<boolean> {
  return account.email !== null && (await deps.store.countAuthenticators(account.id, 'email')) > 0;
}

export async function sendLoginEmailCode(deps: FlowDeps, challengeId: string): Promise<SentCode> {
  const { idHash, account } = await loadLiveChallenge(deps, challengeId);
  if (!(await hasEmailMethod(deps, account)) || account.email === null) {
    throw new DomainError('validation_error', 'This account does not use codes by email.');
  }
  await refuseWhileLocked(deps, account);
  return sendEmailCode(deps, { account, key: emailCodeKeys.login(idHash), purpose: 'login', address: account.email });
}

/** Mails a code for the Password window of an account on the email method. */
export async function sendReauthEmailCode(deps: FlowDeps, session: Session, account: Account): Promise<SentCode> {
  if (!(await hasEmailMethod(deps, account)) || account.email === null) {
    throw new DomainError('validation_error', 'This account does not use codes by email.');
  }
  await refuseWhileLocked(deps, account);
  return sendEmailCode(deps, { account, key: emailCodeKeys.reauth(session.id), purpose: 'reauth', address: account.email });
}
