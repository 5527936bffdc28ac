import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../core/errors.ts';
import type { Account, Authenticator, RequestContext, Session } from '../../../core/types.ts';
import { attemptKeys, checkUnderLimit, secondFactorPolicy } from '../../shared/attempt-limits.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { consumeEmailCode, emailCodeKeys } from '../../shared/email-codes.ts';
import { EDITED_SUCCESSFULLY } from '../../shared/messages.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import type { EnrollmentToken } from '../../../store/store.ts';
import { addAuthenticatorFor, notifyRecovered } from '../../login/enrollment.ts';
import type { EnableResult } from '../totp/enable.ts';
import { emailKind } from './index.ts';

/**
 * "Save" with the emailed code: adds the email method (turning two-factor on if it is the first
 * authenticator). Receiving the code proves the address, so it is marked verified in the same
 * transaction, and the notice goes to it.
 */
export async function enableEmail(
  deps: FlowDeps,
  input: { session: Session; account: Account; code: string; enrollment?: EnrollmentToken | undefined; trustDevice?: boolean },
  context: RequestContext,
): Promise<EnableResult> {
  const { session, account } = input;
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const limitKey = attemptKeys.enrollment(account.id);
  // The code proves the address it was sent to; if the account's address changed since, it proves nothing.
  const proven = await checkUnderLimit(deps, limitKey, secondFactorPolicy(deps), async () => {
    const sent = await consumeEmailCode(deps, emailCodeKeys.enrollment(account.id), account.id, input.code);
    return sent !== null && sent.address === account.email ? sent : null;
  });
  if (proven === null) {
    throw new DomainError('invalid_code', 'The authentication code is incorrect or has expired. Send a new one.');
  }

  const now = deps.clock();
  const authenticator: Authenticator = {
    id: randomUUID(),
    userId: account.id,
    type: 'email',
    name: emailKind.defaultName,
    sealedSecret: null,
    lastUsedStep: null,
    clockOffsetSeconds: null,
    createdAt: now,
    lastUsedAt: null,
  };
  const { recoveryCodes, signedIn } = await deps.store.transaction(async (store) => {
    await store.setEmail(account.id, proven.address, true, now);
    const added = await addAuthenticatorFor(deps, store, { account, session, enrollment: input.enrollment, trustDevice: input.trustDevice === true, authenticator, context });
    return added;
  });
  const notified = { ...account, email: proven.address, emailVerified: true };
  if (input.enrollment?.purpose === 'admin_recovery') await notifyRecovered(deps, notified, 'email');
  else if (recoveryCodes === null) await deps.notifier.notify(notified, 'authenticator_added', { name: authenticator.name, kind: 'email' });
  else await deps.notifier.notify(notified, 'two_factor_enabled', { method: 'email' });
  return { message: EDITED_SUCCESSFULLY, recoveryCodes, authenticator, signedIn };
}
