import type { Account, Session } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';
import { standingOf } from './admin/two-factor-policy.ts';

export interface AccountDescription {
  account: Account;
  session: Session;
  /** Unused recovery codes while two-factor is on, so clients can warn when few are left. */
  recoveryCodesLeft: number | null;
  /** The policy requires two-factor, which the account may postpone until then (the web banner); null otherwise. */
  twoFactorRequiredBy: number | null;
}

/** What GET /me shows: the account, its session, and nothing secret. */
export async function describeAccount(deps: FlowDeps, account: Account, session: Session): Promise<AccountDescription> {
  const recoveryCodesLeft = account.authenticatorCount === 0 ? null : await deps.store.countUnusedRecoveryCodes(account.id);
  const standing = await standingOf(deps, account);
  return { account, session, recoveryCodesLeft, twoFactorRequiredBy: 'deadline' in standing ? standing.deadline : null };
}
