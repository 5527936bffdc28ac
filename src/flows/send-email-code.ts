import { DomainError } from '../core/errors.ts';
import { hashToken } from '../core/tokens.ts';
import type { Account, Session } from '../core/types.ts';
import { emailCodeKeyForReauth } from './confirm-password.ts';
import type { FlowDeps } from './shared/deps.ts';
import { sendEmailCode, type SentCode } from './shared/email-codes.ts';
import { emailCodeKeyForChallenge } from './verify-second-factor.ts';

const EXPIRED = 'This sign-in has expired or was already used. Log in again.';

/** "Send code" on the login's second step. The password step itself never sends mail. */
export async function sendLoginEmailCode(deps: FlowDeps, challengeId: string): Promise<SentCode> {
  const idHash = hashToken(challengeId);
  const challenge = await deps.store.findLoginChallenge(idHash);
  const now = deps.clock();
  if (!challenge || challenge.consumedAt !== null || challenge.expiresAt <= now || challenge.attempts >= deps.settings.limits.challengeMaxAttempts) {
    throw new DomainError('challenge_invalid', EXPIRED);
  }
  const account = await deps.store.findAccountById(challenge.userId);
  if (!account || account.twoFactorMethod === null) throw new DomainError('challenge_invalid', EXPIRED);
  if (account.twoFactorMethod !== 'email' || account.email === null) {
    throw new DomainError('validation_error', 'This account does not use codes by email.');
  }
  return sendEmailCode(deps, { account, key: emailCodeKeyForChallenge(idHash), purpose: 'login', address: account.email });
}

/** Mails a code for the Password window of an account on the email method. */
export async function sendReauthEmailCode(deps: FlowDeps, session: Session, account: Account): Promise<SentCode> {
  if (account.twoFactorMethod !== 'email' || account.email === null) {
    throw new DomainError('validation_error', 'This account does not use codes by email.');
  }
  return sendEmailCode(deps, { account, key: emailCodeKeyForReauth(session.id), purpose: 'reauth', address: account.email });
}
