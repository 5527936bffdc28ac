import { DomainError } from '../core/errors.ts';
import { endTrustedDevices } from './login/trusted-devices.ts';
import { usernameKey } from '../core/usernames.ts';
import type { Account, Authenticator, AuthenticatorType, RequestContext, Session } from '../core/types.ts';
import { AUTHENTICATOR_KINDS } from './factors/registry.ts';
import { checkAuthenticatorName } from './factors/totp/start-setup.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { EDITED_SUCCESSFULLY } from './shared/messages.ts';
import { requireRecentAuthentication } from './shared/reauthentication.ts';
import { endOtherSessions } from './shared/sessions.ts';
import { localize } from '../i18n/format.ts';

/** An authenticator as its owner and administrators see it: never its secret or replay state. */
export interface AuthenticatorSummary {
  id: string;
  type: AuthenticatorType;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** The phone's clock offset at the last accepted code (negative: behind); null for kinds without a clock. */
  clockOffsetSeconds: number | null;
}

export const ONLY_AUTHENTICATOR = 'This is your only authenticator. To stop using two-factor authentication, turn it off instead.';

export function summarizeAuthenticator(a: Authenticator): AuthenticatorSummary {
  return {
    id: a.id,
    type: a.type,
    name: a.name,
    createdAt: a.createdAt,
    lastUsedAt: a.lastUsedAt,
    clockOffsetSeconds: a.type === 'totp' ? a.clockOffsetSeconds : null,
  };
}

export async function listAuthenticators(deps: FlowDeps, account: Account): Promise<AuthenticatorSummary[]> {
  return (await deps.store.listAuthenticators(account.id)).map(summarizeAuthenticator);
}

/** The same list for an administrator (GET /admin/users/{username}/authenticators). */
export async function listAuthenticatorsOf(deps: FlowDeps, username: string): Promise<AuthenticatorSummary[]> {
  const account = await deps.store.findAccountByUsernameKey(usernameKey(username));
  if (account === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  return listAuthenticators(deps, account);
}

const noSuchAuthenticator = (): DomainError => new DomainError('not_found', 'No such authenticator.');

/** Renaming changes no proof of identity: no Password window (the owner's session suffices). */
export async function renameAuthenticator(
  deps: FlowDeps,
  input: { account: Account; session: Session; id: string; name: string },
  context: RequestContext,
): Promise<AuthenticatorSummary> {
  const { account } = input;
  const name = checkAuthenticatorName(input.name);
  return deps.store.transaction(async (store) => {
    // Another account's id is "not found", exactly like an unknown one.
    if (!(await store.renameAuthenticator(account.id, input.id, name))) throw noSuchAuthenticator();
    const renamed = await store.findAuthenticator(account.id, input.id);
    if (renamed === null) throw noSuchAuthenticator();
    await recordAudit(
      deps,
      { type: 'authenticator.renamed', outcome: 'success', userId: account.id, username: account.username, client: input.session.client, ip: context.ip, detail: { authenticator_id: input.id } },
      store,
    );
    return summarizeAuthenticator(renamed);
  });
}

/**
 * Removing an authenticator is a two-factor change: the Password window with a current code,
 * and the account's other sessions end (one of them may be the thief's). The last one is refused:
 * turning two-factor off is its own, clearly worded action.
 */
export async function removeAuthenticator(
  deps: FlowDeps,
  input: { account: Account; session: Session; id: string },
  context: RequestContext,
): Promise<{ message: string; sessionsEnded: number }> {
  const { account, session } = input;
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const now = deps.clock();
  const { removed, sessionsEnded } = await deps.store.transaction(async (store) => {
    await store.lockAccountForUpdate(account.id, now);
    const target = await store.findAuthenticator(account.id, input.id);
    if (target === null) throw noSuchAuthenticator();
    if ((await store.countAuthenticators(account.id)) <= 1) throw new DomainError('conflict', ONLY_AUTHENTICATOR);
    if (!(await store.removeAuthenticator(account.id, input.id))) throw noSuchAuthenticator();
    await store.markTwoFactorChanged(account.id, now);
    const ended = await endOtherSessions(store, account.id, now, session.id, 'two_factor_changed');
    await endTrustedDevices(deps, store, account.id, 'authenticator_removed', { username: account.username, ip: context.ip });
    await recordAudit(
      deps,
      {
        type: 'authenticator.removed',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { method: target.type, authenticator_id: target.id, sessions_ended: ended },
      },
      store,
    );
    return { removed: target, sessionsEnded: ended };
  });
  await deps.notifier.notify(account, 'authenticator_removed', { name: removed.name, kind: AUTHENTICATOR_KINDS[removed.type].label.toLowerCase() });
  return { message: EDITED_SUCCESSFULLY, sessionsEnded };
}

