import { DomainError } from '../core/errors.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, checkUnderLimit, secondFactorPolicy } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { consumeEmailCode, emailCodeKeys } from './shared/email-codes.ts';
import { requireRecentReauthentication } from './shared/reauthentication.ts';
import { switchTwoFactorOn } from './shared/two-factor-state.ts';
import { type EnableResult } from './enable-totp.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';

/**
 * "Save" with the emailed code: turns on the email method. Receiving the code proves the
 * address, so it is marked verified in the same transaction, and the notice goes to it.
 */
export async function enableEmail(
  deps: FlowDeps,
  input: { session: Session; account: Account; code: string },
  context: RequestContext,
): Promise<EnableResult> {
  const { session, account } = input;
  requireRecentReauthentication(deps, session, account, { changesTwoFactor: true });
  const limitKey = attemptKeys.enrollment(account.id);
  const policy = secondFactorPolicy(deps);
  // The code proves the address it was sent to; if the account's address changed since, it proves nothing.
  const proven = await checkUnderLimit(deps, limitKey, policy, async () => {
    const sent = await consumeEmailCode(deps, emailCodeKeys.enrollment(account.id), account.id, input.code);
    return sent !== null && sent.address === account.email ? sent : null;
  });
  if (proven === null) {
    throw new DomainError('invalid_code', 'The authentication code is incorrect or has expired. Send a new one.');
  }

  const now = deps.clock();
  const recoveryCodes = await deps.store.transaction(async (store) => {
    await store.setEmail(account.id, proven.address, true, now);
    const codes = await switchTwoFactorOn(deps, store, account, 'email', now, session.id);
    await recordAudit(
      deps,
      { type: 'two_factor.enabled', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip, detail: { method: 'email' } },
      store,
    );
    return codes;
  });
  await deps.notifier.notify({ ...account, email: proven.address, emailVerified: true }, 'two_factor_enabled', { method: 'email' });
  return { message: EDITED_SUCCESSFULLY, recoveryCodes };
}
