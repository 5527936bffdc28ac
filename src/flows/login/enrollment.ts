import { randomUUID } from 'node:crypto';
import { combineAMR } from '../../core/amr.ts';
import { DomainError } from '../../core/errors.ts';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { AMRValue, Account, AuthenticatorType, RequestContext, Session, SessionSecondFactor } from '../../core/types.ts';
import type { EnrollmentPurpose, EnrollmentToken, NewAuthenticator, Store } from '../../store/store.ts';
import { AUTHENTICATOR_KINDS, factorFor } from '../factors/registry.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { issueSession, type SessionOrigin } from '../shared/sessions.ts';
import { addAuthenticator } from '../shared/two-factor-state.ts';
import { endTrustedDevices } from './trusted-devices.ts';

/** Long enough to scan a QR code or fetch a mailed code; short enough that a forgotten tab is harmless. */
export const ENROLLMENT_TTL_MS = 15 * 60_000;
const EXPIRED = 'This setup has expired or was already finished. Log in again.';

export interface StartedEnrollment {
  status: 'two_factor_enrollment_required';
  enrollmentToken: string;
  expiresAt: number;
}

/**
 * The password (and, for an administrator's recovery code, that code) was proven, but the
 * account must set up two-factor before it gets a session: it gets an enrollment token instead,
 * which opens only the setup (src/http/enrollment-scope.ts). Runs in the caller's transaction.
 */
export async function startEnrollment(
  deps: FlowDeps,
  store: Store,
  options: { account: Account; origin: SessionOrigin; purpose: EnrollmentPurpose },
): Promise<StartedEnrollment> {
  const { account, origin } = options;
  const token = generateToken();
  const now = deps.clock();
  const expiresAt = now + ENROLLMENT_TTL_MS;
  await store.createEnrollmentToken({
    id: randomUUID(),
    tokenHash: hashToken(token),
    userId: account.id,
    purpose: options.purpose,
    client: origin.client,
    deviceName: origin.deviceName,
    ip: origin.ip,
    userAgent: origin.userAgent,
    accountEpoch: account.sessionEpoch,
    createdAt: now,
    expiresAt,
    consumedAt: null,
  });
  await recordAudit(
    deps,
    {
      type: 'two_factor.enrollment_required',
      outcome: 'success',
      userId: account.id,
      username: account.username,
      client: origin.client,
      ip: origin.ip,
      detail: { reason: options.purpose },
    },
    store,
  );
  return { status: 'two_factor_enrollment_required', enrollmentToken: token, expiresAt };
}

/** What an enrollment token authenticates: its account and a stand-in for a session that never exists. */
export interface EnrollmentAuth {
  account: Account;
  session: Session;
  enrollment: EnrollmentToken;
}

/**
 * Resolves an enrollment token. The stand-in session carries the token's id (passkey
 * registration binds its challenge to it) and counts as a fresh Password window: the password
 * was proven moments ago, so the setup asks for no second one. Nothing stores or lists it.
 */
export async function authenticateEnrollment(deps: FlowDeps, token: string): Promise<EnrollmentAuth | null> {
  const now = deps.clock();
  const live = await deps.store.findLiveEnrollmentToken(hashToken(token), now);
  if (live === null) return null;
  const { token: enrollment, account } = live;
  // A recovery code from an administrator is the second factor of this login.
  const proven: AMRValue[] = enrollment.purpose === 'admin_recovery' ? combineAMR({ password: true, secondFactor: [] }) : ['pwd'];
  const session: Session = {
    id: enrollment.id,
    userId: account.id,
    client: enrollment.client,
    deviceName: enrollment.deviceName,
    ip: enrollment.ip,
    userAgent: enrollment.userAgent,
    createdAt: enrollment.createdAt,
    lastSeenAt: now,
    expiresAt: enrollment.expiresAt,
    amr: proven,
    authTime: enrollment.createdAt,
    reauthenticatedAt: now,
    reauthAmr: proven,
    accountEpoch: enrollment.accountEpoch,
    secondFactor: null,
    deviceId: null,
  };
  return { account, session, enrollment };
}

export interface AddedAuthenticator {
  recoveryCodes: string[] | null;
  /** The session an enrollment ends with (null when the user was signed in already). */
  signedIn: { token: string; expiresAt: number; client: Session['client']; deviceToken: string } | null;
}

/**
 * Adds a confirmed authenticator from the user's session or from an enrollment token, in the
 * caller's transaction. From an enrollment token the token is spent first (guarded: of two
 * "Save"s, one wins) and the login ends with a normal session. After an administrator's
 * recovery code the account's old authenticators, recovery codes and sessions go: whoever has
 * the lost phone must not keep a way in.
 */
export async function addAuthenticatorFor(
  deps: FlowDeps,
  store: Store,
  input: {
    account: Account;
    session: Session;
    enrollment?: EnrollmentToken | undefined;
    /** "Trust this device" at the end of an enrollment, as at a login's code step (issue 11). */
    trustDevice?: boolean;
    authenticator: NewAuthenticator;
    context: RequestContext;
    /** Said of this kind of authenticator in the audit event, beside its method and id. */
    auditDetail?: Record<string, string | number | boolean>;
  },
): Promise<AddedAuthenticator> {
  const added = await addConfirmedAuthenticator(deps, store, input);
  // One event for every kind: turning two-factor on, or one more authenticator.
  await recordAudit(
    deps,
    {
      type: added.recoveryCodes === null ? 'authenticator.added' : 'two_factor.enabled',
      outcome: 'success',
      userId: input.account.id,
      username: input.account.username,
      client: input.session.client,
      ip: input.context.ip,
      detail: { method: input.authenticator.type, authenticator_id: input.authenticator.id, ...input.auditDetail },
    },
    store,
  );
  return added;
}

async function addConfirmedAuthenticator(deps: FlowDeps, store: Store, input: Parameters<typeof addAuthenticatorFor>[2]): Promise<AddedAuthenticator> {
  const { account, session, enrollment, authenticator } = input;
  if (enrollment === undefined) return { recoveryCodes: await addAuthenticator(deps, store, account, authenticator, session.id), signedIn: null };

  const now = authenticator.createdAt;
  if (!(await store.consumeEnrollmentToken(enrollment.id, now))) throw new DomainError('challenge_invalid', EXPIRED);
  let removed = 0;
  if (enrollment.purpose === 'admin_recovery') {
    await store.lockAccountForUpdate(account.id, now);
    removed = await store.removeAuthenticators(account.id);
    await store.deleteRecoveryCodes(account.id);
    await store.deleteAdminRecoveryCode(account.id);
    // Recovery must not leave a device that skips the second factor: whoever holds the lost
    // phone may also hold a trusted laptop.
    await endTrustedDevices(deps, store, account.id, 'two_factor_recovered', { username: account.username, ip: input.context.ip });
  }
  // The account has no authenticator now: this one turns two-factor on, which issues new
  // recovery codes and ends every session of the account (none is kept: the token is not one).
  const recoveryCodes = await addAuthenticator(deps, store, account, authenticator, null);
  const current = await store.findAccountById(account.id);
  if (current === null) throw new DomainError('challenge_invalid', EXPIRED);
  const origin: SessionOrigin = { client: enrollment.client, deviceName: enrollment.deviceName, ip: enrollment.ip, userAgent: enrollment.userAgent };
  const amr = combineAMR({ password: true, secondFactor: factorFor(authenticator.type).amr });
  const secondFactor: SessionSecondFactor = authenticator.type;
  // The device that finishes the setup becomes a known one (trusted when asked), as at a login.
  const device = { knownDeviceId: null, trust: input.trustDevice === true };
  const issued = await issueSession(deps, { account: current, origin, amr, secondFactor, device }, store);
  await recordAudit(
    deps,
    {
      type: enrollment.purpose === 'admin_recovery' ? 'two_factor.recovered' : 'login.second_factor',
      outcome: 'success',
      userId: account.id,
      username: account.username,
      client: enrollment.client,
      ip: input.context.ip,
      detail: { method: authenticator.type, enrollment: enrollment.purpose, ...(enrollment.purpose === 'admin_recovery' ? { authenticators_removed: removed } : {}) },
    },
    store,
  );
  return { recoveryCodes, signedIn: { token: issued.token, expiresAt: issued.session.expiresAt, client: enrollment.client, deviceToken: issued.deviceToken } };
}

/** The notice after an enrollment from a recovery code (the usual "two-factor turned on" otherwise). */
export async function notifyRecovered(deps: FlowDeps, account: Account, type: AuthenticatorType): Promise<void> {
  await deps.notifier.notify(account, 'two_factor_recovered', { kind: AUTHENTICATOR_KINDS[type].label.toLowerCase() });
}

/** Logout with an enrollment token: the token is spent, so the setup cannot be finished with it later. */
export async function endEnrollment(deps: FlowDeps, auth: EnrollmentAuth, context: RequestContext): Promise<void> {
  await deps.store.transaction(async (store) => {
    await store.consumeEnrollmentToken(auth.enrollment.id, deps.clock());
    await recordAudit(
      deps,
      { type: 'enrollment.ended', outcome: 'success', userId: auth.account.id, username: auth.account.username, client: auth.enrollment.client, ip: context.ip },
      store,
    );
  });
}
