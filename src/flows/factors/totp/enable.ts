import { decodeBase32 } from '../core/base32.ts';
import { DomainError } from '../core/errors.ts';
import { verifyTOTP } from '../core/totp.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { attemptKeys, checkUnderLimit, secondFactorPolicy } from './shared/attempt-limits.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { requireRecentReauthentication } from './shared/reauthentication.ts';
import { totpAssociatedData } from './shared/second-factor.ts';
import { switchTwoFactorOn } from './shared/two-factor-state.ts';
import { pendingTOTPAssociatedData } from './start-totp-setup.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';

export interface EnableResult {
  message: 'Edited successfully.';
  recoveryCodes: string[];
}

/**
 * "Save" after typing the Authentication Code: a valid code for the pending secret turns
 * two-factor on. The step it matched is stored as used, so the same code cannot log in later.
 */
export async function enableTOTP(
  deps: FlowDeps,
  input: { session: Session; account: Account; code: string },
  context: RequestContext,
): Promise<EnableResult> {
  const { session, account } = input;
  requireRecentReauthentication(deps, session, account, { changesTwoFactor: true });
  const sealed = await deps.store.findPendingTOTPSecret(account.id, deps.clock());
  if (sealed === null) {
    throw new DomainError('validation_error', 'No authenticator setup is in progress. Start the setup again.');
  }
  const secret = deps.secretBox.open(sealed, pendingTOTPAssociatedData(account.id));
  const key = secret === null ? null : decodeBase32(secret);
  if (secret === null || key === null) throw new Error('pending TOTP secret cannot be opened with the master key');

  // Enrollment guesses are bounded too, on their own counter so typos here never lock login.
  const limitKey = attemptKeys.enrollment(account.id);
  const policy = secondFactorPolicy(deps);
  const step = await checkUnderLimit(deps, limitKey, policy, () => verifyTOTP(key, input.code, { now: deps.clock() }));
  if (step === null) {
    throw new DomainError('invalid_code', 'The authentication code is incorrect. Check the time on your phone and try again.');
  }

  const now = deps.clock();
  const recoveryCodes = await deps.store.transaction(async (store) => {
    // Guarded on the exact pending value: a setup restarted meanwhile wins, and this Save fails.
    if (!(await store.takePendingTOTPSecret(account.id, sealed))) {
      throw new DomainError('validation_error', 'The authenticator setup changed meanwhile. Start the setup again.');
    }
    await store.saveTOTPCredential(account.id, deps.secretBox.seal(secret, totpAssociatedData(account.id)), step, now);
    const codes = await switchTwoFactorOn(deps, store, account, 'totp', now, session.id);
    await recordAudit(
      deps,
      {
        type: 'two_factor.enabled',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { method: 'totp' },
      },
      store,
    );
    return codes;
  });
  await deps.notifier.notify(account, 'two_factor_enabled', { method: 'authenticator app' });
  return { message: EDITED_SUCCESSFULLY, recoveryCodes };
}
