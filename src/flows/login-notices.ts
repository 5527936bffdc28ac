import type { AuditEvent } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';

// How far back a login looks for what happened since the previous one: enough for any account.
const LOOK_BACK_EVENTS = 100;

export const TWO_FACTOR_RESET_NOTICE =
  'An administrator turned off two-factor authentication for your account. You logged in with your password only: turn it on again under Change Password & Security > Security Settings.';

function isCompletedLogin(event: AuditEvent): boolean {
  if (event.outcome !== 'success') return false;
  if (event.type === 'login.second_factor') return true;
  return event.type === 'login.password' && event.detail?.second_factor === false;
}

/**
 * What a user should hear on the first login after something was done to their account by
 * someone else. The audit log is the record of it, so nothing new is stored: an administrator's
 * two-factor reset newer than the user's previous completed login is told once, at this one.
 */
export async function loginNotice(deps: FlowDeps, userId: string, loginStartedAt: number): Promise<string | null> {
  const events = await deps.store.listAuditEvents({ userId, limit: LOOK_BACK_EVENTS });
  // Newest first; this login's own events are at or after loginStartedAt.
  for (const event of events) {
    if (event.at >= loginStartedAt) continue;
    if (isCompletedLogin(event)) return null;
    if (event.type === 'two_factor.admin_reset' && event.outcome === 'success' && event.detail?.was_enabled !== false) return TWO_FACTOR_RESET_NOTICE;
  }
  return null;
}
