import { DomainError } from '../../core/errors.ts';
import type { Account, Session } from '../../core/types.ts';
import type { FlowDeps } from './deps.ts';

/**
 * Sensitive changes need the Password window within the last few minutes; a fresh login does
 * not count, so a session picked up from an unattended screen cannot change security settings.
 * Changing two-factor while it is on also needs the second factor to have been proven in that
 * reauthentication, after two-factor was last changed.
 */
export function requireRecentReauthentication(
  deps: FlowDeps,
  session: Session,
  account: Account,
  options: { changesTwoFactor: boolean },
): void {
  const now = deps.clock();
  const at = session.reauthenticatedAt;
  if (at === null || now - at > deps.settings.limits.reauthTtlMs) {
    throw new DomainError('reauth_required', 'Confirm your password first.');
  }
  if (options.changesTwoFactor && account.twoFactorMethod !== null) {
    const provedSecondFactor = session.reauthenticatedWithSecondFactor && at >= (account.twoFactorChangedAt ?? 0);
    if (!provedSecondFactor) {
      throw new DomainError('reauth_required', 'Confirm your password and a current authentication code first.');
    }
  }
}

/** Administrative changes over HTTP need the administrator's own recent Password window. */
export function requireAdminReauthentication(deps: FlowDeps, actor: { session?: Session; account?: Account }): void {
  if (actor.session !== undefined && actor.account !== undefined) {
    requireRecentReauthentication(deps, actor.session, actor.account, { changesTwoFactor: true });
  }
}
