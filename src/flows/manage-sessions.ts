import { DomainError } from '../core/errors.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';

export interface SessionSummary {
  id: string;
  client: Session['client'];
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  current: boolean;
}

export async function listSessions(deps: FlowDeps, account: Account, current: Session): Promise<SessionSummary[]> {
  const sessions = await deps.store.listSessions(account.id, deps.clock());
  return sessions.map((s) => ({
    id: s.id,
    client: s.client,
    deviceName: s.deviceName,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    current: s.id === current.id,
  }));
}

/** Ends one of the user's own sessions (a lost phone, a shared computer). */
export async function revokeSession(deps: FlowDeps, account: Account, sessionId: string, context: RequestContext): Promise<void> {
  await deps.store.transaction(async (store) => {
    if (!(await store.deleteSession(sessionId, account.id, { reason: 'revoked', now: deps.clock() }))) throw new DomainError('not_found', 'No such session.');
    await recordAudit(deps, { type: 'session.revoked', outcome: 'success', userId: account.id, username: account.username, ip: context.ip }, store);
  });
}

export async function logOut(deps: FlowDeps, account: Account, session: Session, context: RequestContext): Promise<void> {
  await deps.store.transaction(async (store) => {
    // Whoever presents this token later is not the one who logged out (another tab, a copy).
    await store.deleteSession(session.id, account.id, { reason: 'logged_out_elsewhere', now: deps.clock() });
    await recordAudit(
      deps,
      { type: 'logout', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip },
      store,
    );
  });
}
