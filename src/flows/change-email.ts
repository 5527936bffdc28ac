import { DomainError } from '../core/errors.ts';
import { isEmailAddress } from '../core/email-addresses.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, checkUnderLimit, secondFactorPolicy } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { consumeEmailCode, emailCodeKeys, sendEmailCode, type SentCode } from './shared/email-codes.ts';
import { requireRecentAuthentication } from './shared/reauthentication.ts';
import { endTrustedDevices } from './login/trusted-devices.ts';
import { endOtherSessions } from './shared/sessions.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';

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
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const email = input.email.trim();
  if (!isEmailAddress(email)) throw new DomainError('validation_error', 'Enter a valid email address.');
  const sent = await sendEmailCode(deps, {
    account,
    key: emailCodeKeys.emailChange(account.id),
    purpose: 'email_change',
    address: email,
    requestLanguage: context.acceptLanguage,
  });
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
  const proven = await checkUnderLimit(deps, limitKey, policy, () => consumeEmailCode(deps, emailCodeKeys.emailChange(account.id), account.id, input.code));
  if (proven === null) throw new DomainError('invalid_code', 'The code is incorrect or has expired. Ask for a new one.');
  await deps.store.transaction(async (store) => {
    const now = deps.clock();
    await store.setEmail(account.id, proven.address, true, now);
    if ((await store.countAuthenticators(account.id, 'email')) > 0) {
      // The address IS the email method's secret: moving it is a two-factor change, so other
      // sessions end and an earlier Password window no longer counts for further changes.
      await store.markTwoFactorChanged(account.id, now);
      await endOtherSessions(store, account.id, now, session.id, 'email_changed');
      // An authenticator replaced: no device trusted with the old one may skip its successor.
      await endTrustedDevices(deps, store, account.id, 'authenticator_replaced', { username: account.username, ip: context.ip });
    }
    await recordAudit(deps, { type: 'email.verified', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip }, store);
  });
  // The old address hears about it (if it was proven): the classic sign of a takeover.
  if (account.email !== null && account.email !== proven.address) {
    await deps.notifier.notify(account, 'email_changed', { newAddress: proven.address });
  }
  return { message: EDITED_SUCCESSFULLY, email: proven.address };
}
