import { DomainError } from '../core/errors.ts';
import { isEmailAddress } from '../core/usernames.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, recordFailedAttempt, releaseAttempt, reserveAttempt, secondFactorPolicy } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { consumeEmailCode, sendEmailCode, type SentCode } from './shared/email-codes.ts';
import { requireRecentReauthentication } from './shared/reauthentication.ts';
import { EDITED_SUCCESSFULLY } from './enable-totp.ts';

function emailChangeKey(userId: string): string {
  return `email-change:${userId}`;
}

/**
 * Asks to change the address: a code goes to the NEW address, and nothing changes until it comes
 * back. The current address (and the email method, if in use) keeps working meanwhile, so a typo
 * can never switch two-factor off or lock the user out.
 */
export async function requestEmailChange(
  deps: FlowDeps,
  input: { session: Session; account: Account; email: string },
  context: RequestContext,
): Promise<SentCode> {
  const { session, account } = input;
  requireRecentReauthentication(deps, session, account, { changesTwoFactor: true });
  const email = input.email.trim();
  if (!isEmailAddress(email)) throw new DomainError('validation_error', 'Enter a valid email address.');
  const sent = await sendEmailCode(deps, { account, key: emailChangeKey(account.id), purpose: 'email_change', address: email });
  await recordAudit(deps, { type: 'email.change_requested', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip });
  return sent;
}

export async function verifyEmailChange(
  deps: FlowDeps,
  input: { session: Session; account: Account; code: string },
  context: RequestContext,
): Promise<{ message: string; email: string }> {
  const { session, account } = input;
  const limitKey = attemptKeys.enrollment(account.id);
  const policy = secondFactorPolicy(deps);
  await reserveAttempt(deps, limitKey, policy);
  const proven = await consumeEmailCode(deps, emailChangeKey(account.id), account.id, input.code);
  if (proven === null) {
    await recordFailedAttempt(deps, limitKey, policy);
    throw new DomainError('invalid_code', 'The code is incorrect or has expired. Ask for a new one.');
  }
  await releaseAttempt(deps, limitKey);
  await deps.store.transaction(async (store) => {
    await store.setEmail(account.id, proven.address, true, deps.clock());
    await recordAudit(deps, { type: 'email.verified', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip }, store);
  });
  return { message: EDITED_SUCCESSFULLY, email: proven.address };
}
