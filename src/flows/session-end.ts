import { DomainError } from '../core/errors.ts';
import { hashToken } from '../core/tokens.ts';
import type { SessionEndReason } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';

/** What a client shows on Log In; `reason` in the same 401 lets a client word it itself. */
export const SESSION_END_MESSAGES: Record<SessionEndReason, string> = {
  password_changed: 'Your session ended because the password of your account was changed. Log in again.',
  two_factor_changed: 'Your session ended because the two-factor authentication of your account was changed. Log in again.',
  email_changed: 'Your session ended because the email address that receives your codes was changed. Log in again.',
  revoked: 'Your session ended because it was ended from the list of sessions. Log in again.',
  administrator: 'Your session ended because an administrator changed your account. Log in again.',
  logged_out_elsewhere: 'Your session ended because you logged out with it elsewhere (another tab or window). Log in again.',
  expired: 'Your session ended because it expired. Log in again.',
};

/**
 * Why the session of a token that no longer authenticates ended, or null. Only the holder of the
 * token can ask (the lookup is by the hash of that secret), so nobody learns anything about a
 * session they do not hold.
 */
export async function findSessionEnd(deps: FlowDeps, token: string): Promise<SessionEndReason | null> {
  return deps.store.findSessionEnd(hashToken(token), deps.clock());
}

/** The 401 for a request that needs a session: with the reason when the presented token had one. */
export function sessionRequired(reason: SessionEndReason | null): DomainError {
  if (reason === null) return new DomainError('unauthorized', 'Log in to continue.');
  return new DomainError('unauthorized', SESSION_END_MESSAGES[reason], { reason });
}
