import type { Account, Session } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';

export interface AccountDescription {
  account: Account;
  session: Session;
  /** Unused recovery codes while two-factor is on, so clients can warn when few are left. */
  recoveryCodesLeft: number | null;
}

/** What GET /me shows: the account, its session, and nothing secret. */
export async function describeAccount(deps: FlowDeps, account: Account, session: Session): Promise<AccountDescription> {
  const recoveryCodesLeft = account.authenticatorCount === 0 ? null : await deps.store.countUnusedRecoveryCodes(account.id);
  return { account, session, recoveryCodesLeft };
}
