import { randomUUID } from 'node:crypto';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { Account, ClientKind, Session } from '../../core/types.ts';
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

/**
 * Remembers the device a session was made on and tells the owner when it is a new one. The very
 * first sign-in of an account is not news, so it sends nothing.
 */
export async function noteSignInDevice(deps: FlowDeps, account: Account, origin: SessionOrigin): Promise<void> {
  const fingerprint = hashToken(`${origin.client}\n${origin.deviceName ?? ''}\n${origin.userAgent ?? ''}`);
  const hadDevices = (await deps.store.countKnownDevices(account.id)) > 0;
  const isNew = await deps.store.rememberDevice(account.id, fingerprint, deps.clock());
  if (!isNew || !hadDevices) return;
  await deps.notifier.notify(account, 'new_device_sign_in', {
    client: origin.client,
    device: origin.deviceName ?? origin.userAgent ?? 'unknown device',
    ip: origin.ip,
  });
}
