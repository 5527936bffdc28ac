import { DomainError } from '../../../core/errors.ts';
import type { Account, RequestContext, Session } from '../../../core/types.ts';
import { recordAudit } from '../../shared/audit.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { emailCodeKeys, sendEmailCode, type SentCode } from '../../shared/email-codes.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import { tooManyOfKind } from '../../shared/two-factor-state.ts';

/** "Authenticated by Email" > "Send": mails a code to the account's address. */
export async function startEmailSetup(deps: FlowDeps, session: Session, account: Account, context: RequestContext): Promise<SentCode> {
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  if ((await deps.store.countAuthenticators(account.id, 'email')) > 0) throw tooManyOfKind('email');
  if (account.email === null) {
    throw new DomainError('validation_error', 'Your account has no email address. Add one first, or ask your administrator.');
  }
  const sent = await sendEmailCode(deps, {
    account,
    key: emailCodeKeys.enrollment(account.id),
    purpose: 'enroll',
    address: account.email,
    requestLanguage: context.acceptLanguage,
  });
  await recordAudit(deps, {
    type: 'two_factor.setup_started',
    outcome: 'success',
    userId: account.id,
    username: account.username,
    client: session.client,
    ip: context.ip,
    detail: { method: 'email' },
  });
  return sent;
}
