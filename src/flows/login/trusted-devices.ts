import { randomUUID } from 'node:crypto';
import { describeDevice } from '../../core/device-names.ts';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { Account, ClientKind, Device } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import type { SessionOrigin } from '../shared/sessions.ts';

const DAY_MS = 24 * 60 * 60_000;

/** Why trust ended, as the audit log says it (the events listed in issue 11). */
export type TrustEndReason =
  | 'authenticator_replaced'
  | 'two_factor_recovered'
  | 'password_changed'
  | 'password_reset'
  | 'password_admin_reset'
  | 'authenticator_added'
  | 'authenticator_removed'
  | 'two_factor_disabled'
  | 'two_factor_admin_reset'
  | 'administrator';

/**
 * The device credential a client presented, when it counts: of this account, of this client
 * kind. Anything else (unknown, removed, another account's, another client's) is no device at
 * all and the login goes on as from an unknown one; it is never an error, so a stale token in an
 * app cannot block its owner and a probe learns nothing.
 */
export async function findPresentedDevice(deps: FlowDeps, token: string | null, account: Account | null, client: ClientKind): Promise<Device | null> {
  if (token === null || account === null) return null;
  const device = await deps.store.findDeviceByTokenHash(hashToken(token));
  if (device === null || device.userId !== account.id || device.client !== client) return null;
  return device;
}

/** The moment trust given at `trustedAt` lapses, or null when the feature is off. */
export function trustExpiresAt(deps: FlowDeps, trustedAt: number): number | null {
  const days = deps.settings.trustedDeviceDays;
  return days === 0 ? null : trustedAt + days * DAY_MS;
}

/** Trust lasts from when it was given, not from the last use: using a device does not extend it. */
export function isTrusted(deps: FlowDeps, device: Device | null): device is Device & { trustedAt: number } {
  if (device === null || device.trustedAt === null) return false;
  const expiresAt = trustExpiresAt(deps, device.trustedAt);
  return expiresAt !== null && deps.clock() < expiresAt;
}

/** The oldest trust that still counts now: trusted_at must be after this (store guard). */
function trustedAfter(deps: FlowDeps): number {
  return deps.clock() - deps.settings.trustedDeviceDays * DAY_MS;
}

/**
 * Stands in a trusted device for the second step, in the caller's transaction. The guarded
 * update wins only while the device is still trusted and still holds the token read: an end of
 * trust that commits first, or a second login racing with the same token, makes it lose (null),
 * and the caller then asks for the code as from a known device.
 */
export async function useTrustedDevice(deps: FlowDeps, store: Store, device: Device, presentedToken: string): Promise<string | null> {
  const token = generateToken();
  const won = await store.renewDevice(device.id, device.userId, {
    newTokenHash: hashToken(token),
    now: deps.clock(),
    trust: false,
    asTrusted: { tokenHash: hashToken(presentedToken), trustedAfter: trustedAfter(deps) },
  });
  return won ? token : null;
}

/**
 * Every completed login leaves a device credential on its client: the known device's row is
 * renewed with a fresh token (the client replaces the one it holds), or a new row is made. With
 * `trust` (ticked at the code step, and the feature on) the device is trusted from now.
 */
export async function leaveDeviceCredential(
  deps: FlowDeps,
  store: Store,
  login: { account: Pick<Account, 'id'>; origin: SessionOrigin; knownDeviceId: string | null; trust: boolean },
): Promise<{ id: string; token: string }> {
  const now = deps.clock();
  const token = generateToken();
  const trust = login.trust && deps.settings.trustedDeviceDays > 0;
  if (login.knownDeviceId !== null) {
    if (await store.renewDevice(login.knownDeviceId, login.account.id, { newTokenHash: hashToken(token), now, trust })) return { id: login.knownDeviceId, token };
    // Removed meanwhile: the login still completes, as from a new device.
  }
  const id = randomUUID();
  await store.createDevice({
    id,
    userId: login.account.id,
    tokenHash: hashToken(token),
    client: login.origin.client,
    name: describeDevice(login.origin.client, login.origin.deviceName, login.origin.userAgent),
    createdAt: now,
    lastUsedAt: now,
    trustedAt: trust ? now : null,
  });
  return { id, token };
}

/**
 * THE one way trust ends: every trusted device of the account becomes a known device only, on
 * every instance at once (one guarded UPDATE in the database; nothing is cached). Called inside
 * the caller's transaction by every event that must end it: a password change of any kind, an
 * authenticator added, replaced or removed, two-factor turned off, an administrator's reset.
 * The devices keep their known-device standing (their own password budget): that only spares
 * the owner a lockout and never skips the password.
 */
export async function endTrustedDevices(
  deps: FlowDeps,
  store: Store,
  userId: string,
  reason: TrustEndReason,
  audit: { username?: string | null; actor?: string | null; ip?: string | null } = {},
): Promise<number> {
  const ended = await store.endDeviceTrust(userId);
  if (ended > 0) {
    await recordAudit(
      deps,
      { type: 'devices.trust_ended', outcome: 'success', userId, username: audit.username ?? null, actor: audit.actor ?? null, ip: audit.ip ?? null, detail: { reason, devices: ended } },
      store,
    );
  }
  return ended;
}
