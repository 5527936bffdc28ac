import { randomUUID } from 'node:crypto';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { ClientKind, Session } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';

export interface IssuedSession {
  /** The bearer token; returned to the client once and stored only as its hash. */
  token: string;
  session: Session;
}

export interface SessionOrigin {
  client: ClientKind;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
}

/** The only place a session is created: callers reach it only after every factor is proven. */
export async function issueSession(deps: FlowDeps, userId: string, origin: SessionOrigin, store: Store = deps.store): Promise<IssuedSession> {
  const now = deps.clock();
  const token = generateToken();
  const session: Session = {
    id: randomUUID(),
    userId,
    ...origin,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + deps.settings.sessionTtlMs,
    reauthenticatedAt: null,
    reauthenticatedWithSecondFactor: false,
  };
  await store.createSession({ ...session, tokenHash: hashToken(token) });
  return { token, session };
}

/** Whether the account has signed in from this client and device name before (for notices). */
export async function isKnownDevice(store: Store, userId: string, origin: SessionOrigin, now: number): Promise<boolean> {
  const sessions = await store.listSessions(userId, now);
  return sessions.some((s) => s.client === origin.client && s.deviceName === origin.deviceName && s.userAgent === origin.userAgent);
}
