import type { Account, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { requireRecentAuthentication } from './shared/reauthentication.ts';
import { switchTwoFactorOff } from './shared/two-factor-state.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';

/** The user turns two-factor off: needs the Password window with a current code. */
export async function disableTwoFactor(
  deps: FlowDeps,
  input: { session: Session; account: Account },
  context: RequestContext,
): Promise<{ message: string }> {
  const { session, account } = input;
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  if (account.authenticatorCount === 0) return { message: EDITED_SUCCESSFULLY };
  await deps.store.transaction(async (store) => {
    await switchTwoFactorOff(deps, store, account.id, deps.clock(), 'two_factor_changed', session.id);
    await recordAudit(
      deps,
      {
        type: 'two_factor.disabled',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { method: account.twoFactorMethod ?? 'none', authenticators: account.authenticatorCount },
      },
      store,
    );
  });
  await deps.notifier.notify(account, 'two_factor_disabled', {});
  return { message: EDITED_SUCCESSFULLY };
}
