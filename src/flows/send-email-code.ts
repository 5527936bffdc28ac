import type { Account, RequestContext, Session } from '../core/types.ts';
import { emailFactor } from './factors/email/index.ts';
import { loadLiveChallenge } from './shared/challenges.ts';
import type { FlowDeps } from './shared/deps.ts';
import { emailCodeKeys, type SentCode } from './shared/email-codes.ts';

/** "Send code" on the login's second step. The password step itself never sends mail. */
export async function sendLoginEmailCode(deps: FlowDeps, challengeId: string, context?: RequestContext): Promise<SentCode> {
  const { idHash, account } = await loadLiveChallenge(deps, challengeId);
  const requestLanguage = context?.acceptLanguage;
  return (await emailFactor.startChallenge!({ deps, account, attemptKey: emailCodeKeys.login(idHash), purpose: 'login', requestLanguage })) as SentCode;
}

/** Mails a code for the Password window of an account with the email method. */
export async function sendReauthEmailCode(deps: FlowDeps, session: Session, account: Account, context?: RequestContext): Promise<SentCode> {
  const requestLanguage = context?.acceptLanguage;
  return (await emailFactor.startChallenge!({ deps, account, attemptKey: emailCodeKeys.reauth(session.id), purpose: 'reauth', requestLanguage })) as SentCode;
}
