import { DomainError } from '../core/errors.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { issueRecoveryCodes } from './factors/recovery-codes/issue.ts';
import { requireRecentAuthentication } from './shared/reauthentication.ts';

/** New recovery codes replace every old one; needs the Password window with a current code. */
export async function regenerateRecoveryCodes(
  deps: FlowDeps,
  input: { session: Session; account: Account },
  context: RequestContext,
): Promise<{ recoveryCodes: string[] }> {
  const { session, account } = input;
  if (account.authenticatorCount === 0) {
    throw new DomainError('validation_error', 'Turn on two-factor authentication first.');
  }
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  return deps.store.transaction(async (store) => {
    const recoveryCodes = await issueRecoveryCodes(deps, store, account.id, deps.clock());
    await recordAudit(
      deps,
      { type: 'recovery_codes.regenerated', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip },
      store,
    );
    return { recoveryCodes };
  });
}
