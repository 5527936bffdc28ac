import { countFactors } from '../../core/amr.ts';
import { DomainError } from '../../core/errors.ts';
import type { Account, Session } from '../../core/types.ts';
import type { FlowDeps } from './deps.ts';

export interface RecentAuthenticationNeed {
  /**
   * 1: the password. 2: the password and a second factor — asked of accounts that have an
   * authenticator; an account without one can only prove its password (or it could never turn
   * two-factor on).
   */
  factors: 1 | 2;
  /** How old the proof may be; the configured Password-window lifetime when omitted. */
  maxAgeMs?: number;
}

/**
 * Sensitive changes need the Password window within the last few minutes; a fresh login does
 * not count, so a session picked up from an unattended screen cannot change security settings.
 * A two-factor proof counts only if it came after two-factor last changed (a proof made before an
 * app was added or removed says nothing about the authenticators the account has now).
 */
export function requireRecentAuthentication(deps: FlowDeps, session: Session, account: Account, need: RecentAuthenticationNeed): void {
  const now = deps.clock();
  const at = session.reauthenticatedAt;
  const maxAgeMs = need.maxAgeMs ?? deps.settings.limits.reauthTtlMs;
  if (at === null || now - at > maxAgeMs || countFactors(session.reauthAmr) === 0) {
    throw new DomainError('reauth_required', 'Confirm your password first.');
  }
  const required = account.authenticatorCount === 0 ? 1 : need.factors;
  if (required === 2 && !(countFactors(session.reauthAmr) >= 2 && at >= (account.twoFactorChangedAt ?? 0))) {
    throw new DomainError('reauth_required', 'Confirm your password and a current authentication code first.');
  }
}

/** Administrative changes over HTTP need the administrator's own recent Password window (and code, with two-factor on). */
export function requireAdminReauthentication(deps: FlowDeps, actor: { session?: Session; account?: Account }): void {
  if (actor.session !== undefined && actor.account !== undefined) {
    requireRecentAuthentication(deps, actor.session, actor.account, { factors: 2 });
  }
}
