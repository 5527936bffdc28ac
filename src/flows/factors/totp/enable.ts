import { randomUUID } from 'node:crypto';
import { authenticatorAssociatedData, pendingTOTPAssociatedData } from '../../../core/associated-data.ts';
import { decodeBase32 } from '../../../core/base32.ts';
import { DomainError } from '../../../core/errors.ts';
import { verifyTOTP } from '../../../core/totp.ts';
import type { Account, Authenticator, RequestContext, Session } from '../../../core/types.ts';
import { attemptKeys, checkUnderLimit, secondFactorPolicy } from '../../shared/attempt-limits.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { EDITED_SUCCESSFULLY } from '../../shared/messages.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import type { EnrollmentToken } from '../../../store/store.ts';
import { addAuthenticatorFor, notifyRecovered, type AddedAuthenticator } from '../../login/enrollment.ts';
import { clockOffsetSeconds } from './index.ts';

export interface EnableResult {
  message: 'Edited successfully.';
  /** Only when this turned two-factor on; adding a further authenticator keeps the codes the user has. */
  recoveryCodes: string[] | null;
  authenticator: Authenticator;
  /** The session an enrollment (an enrollment token) ends with; null when the user had one. */
  signedIn: AddedAuthenticator['signedIn'];
}

/**
 * "Save" after typing the Authentication Code: a valid code for the pending secret adds the app
 * (turning two-factor on if it is the first). The step it matched is stored as used, so the same
 * code cannot log in later, and its offset is the app's first clock reading.
 */
export async function enableTOTP(
  deps: FlowDeps,
  input: { session: Session; account: Account; code: string; enrollment?: EnrollmentToken | undefined; trustDevice?: boolean },
  context: RequestContext,
): Promise<EnableResult> {
  const { session, account } = input;
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const pending = await deps.store.findPendingTOTPSecret(account.id, deps.clock());
  if (pending === null) {
    throw new DomainError('validation_error', 'No authenticator setup is in progress. Start the setup again.');
  }
  const secret = deps.secretBox.open(pending.sealedSecret, pendingTOTPAssociatedData(account.id));
  const key = secret === null ? null : decodeBase32(secret);
  if (secret === null || key === null) throw new Error('pending TOTP secret cannot be opened with the master key');

  // Enrollment guesses are bounded too, on their own counter so typos here never lock login.
  const limitKey = attemptKeys.enrollment(account.id);
  const step = await checkUnderLimit(deps, limitKey, secondFactorPolicy(deps), () => verifyTOTP(key, input.code, { now: deps.clock() }));
  if (step === null) {
    throw new DomainError('invalid_code', 'The authentication code is incorrect. Check the time on your phone and try again.');
  }

  const now = deps.clock();
  const id = randomUUID();
  const authenticator: Authenticator = {
    id,
    userId: account.id,
    type: 'totp',
    name: pending.name,
    // Bound to the authenticator's own id: a sealed secret copied onto another row fails to open.
    sealedSecret: deps.secretBox.seal(secret, authenticatorAssociatedData(id)),
    lastUsedStep: step,
    clockOffsetSeconds: clockOffsetSeconds(step, now),
    createdAt: now,
    lastUsedAt: null,
  };
  const { recoveryCodes, signedIn } = await deps.store.transaction(async (store) => {
    // Guarded on the exact pending value: a setup restarted meanwhile wins, and this Save fails.
    if (!(await store.takePendingTOTPSecret(account.id, pending.sealedSecret))) {
      throw new DomainError('validation_error', 'The authenticator setup changed meanwhile. Start the setup again.');
    }
    const added = await addAuthenticatorFor(deps, store, { account, session, enrollment: input.enrollment, trustDevice: input.trustDevice === true, authenticator, context });
    return added;
  });
  if (input.enrollment?.purpose === 'admin_recovery') await notifyRecovered(deps, account, 'totp');
  else if (recoveryCodes === null) await deps.notifier.notify(account, 'authenticator_added', { name: authenticator.name, kind: 'authenticator app' });
  else await deps.notifier.notify(account, 'two_factor_enabled', { method: 'authenticator app' });
  return { message: EDITED_SUCCESSFULLY, recoveryCodes, authenticator, signedIn };
}
