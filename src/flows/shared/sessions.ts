import { randomUUID } from 'node:crypto';
import { DomainError } from '../../core/errors.ts';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { AMRValue, Account, ClientKind, Session, SessionEndReason, SessionSecondFactor } from '../../core/types.ts';
import { leaveDeviceCredential } from '../login/trusted-devices.ts';
import type { Store } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';

export interface IssuedSession {
  /** The bearer token; returned to the client once and stored only as its hash. */
  token: string;
  session: Session;
  /** The device credential left on the client (flows/login/trusted-devices.ts). */
  deviceToken: string;
}

/**
 * Which device credential a completed login leaves: a known device's row renewed (or a new
 * one), trusted from now when the user ticked the box; or a token a trusted-device login has
 * already renewed.
 */
export type DeviceOutcome = { knownDeviceId: string | null; trust: boolean } | { renewed: { id: string; token: string } };

export interface SessionOrigin {
  client: ClientKind;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
}

/**
 * The only place a session is created: callers reach it only after every factor is proven.
 * The session carries the account's epoch as the caller read it; if the account's sessions were
 * ended since (two-factor turned on, a reset), the new session never authenticates.
 */
export async function issueSession(
  deps: FlowDeps,
  login: {
    account: Pick<Account, 'id' | 'sessionEpoch'>;
    origin: SessionOrigin;
    /** How the login was proved (RFC 8176), from core/amr.ts's combineAMR. */
    amr: AMRValue[];
    secondFactor: SessionSecondFactor | null;
    device: DeviceOutcome;
  },
  store: Store = deps.store,
): Promise<IssuedSession> {
  const { account, origin } = login;
  const now = deps.clock();
  const device = 'renewed' in login.device ? login.device.renewed : await leaveDeviceCredential(deps, store, { account, origin, ...login.device });
  const token = generateToken();
  const session: Session = {
    id: randomUUID(),
    userId: account.id,
    ...origin,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + deps.settings.sessionTtlMs,
    amr: login.amr,
    authTime: now,
    reauthenticatedAt: null,
    reauthAmr: null,
    accountEpoch: account.sessionEpoch,
    secondFactor: login.secondFactor,
    deviceId: device.id,
  };
  await store.createSession({ ...session, tokenHash: hashToken(token) });
  return { token, session, deviceToken: device.token };
}

/**
 * Remembers the device a session was made on; true when the owner should hear about it (a new
 * device, but not the account's very first sign-in, which is not news).
 */
export async function rememberSignInDevice(deps: FlowDeps, account: Account, origin: SessionOrigin, store: Store = deps.store): Promise<boolean> {
  const fingerprint = hashToken(`${origin.client}\n${origin.deviceName ?? ''}\n${origin.userAgent ?? ''}`);
  const hadDevices = (await store.countKnownDevices(account.id)) > 0;
  const isNew = await store.rememberDevice(account.id, fingerprint, deps.clock());
  return isNew && hadDevices;
}

export async function notifyNewDevice(deps: FlowDeps, account: Account, origin: SessionOrigin): Promise<void> {
  await deps.notifier.notify(account, 'new_device_sign_in', {
    client: origin.client,
    device: origin.deviceName ?? origin.userAgent ?? 'unknown device',
    ip: origin.ip,
  });
}

/**
 * Ends the account's other sessions (and open challenges) inside the caller's transaction, and
 * remembers `reason` for their tokens' holders. If the session asking for the change is itself
 * no longer current, the change is refused.
 */
export async function endOtherSessions(store: Store, userId: string, now: number, currentSessionId: string, reason: SessionEndReason): Promise<number> {
  const { ended, kept } = await store.endSessionsOfAccount(userId, { reason, now }, currentSessionId);
  if (!kept) throw new DomainError('unauthorized', 'Your session has ended. Log in again.');
  return ended;
}
