import { DomainError } from '../core/errors.ts';
import { generateToken, hashToken } from '../core/tokens.ts';
import { usernameKey } from '../core/usernames.ts';
import { combineAMR } from '../core/amr.ts';
import type { Account, ChallengeMethod, Device } from '../core/types.ts';
import { findPresentedDevice, isTrusted, useTrustedDevice } from './login/trusted-devices.ts';
import { availableMethods } from './factors/registry.ts';
import {
  attemptKeys,
  type AttemptPolicy,
  passwordPolicy,
  recordFailedAttempt,
  releaseAttempt,
  requireAttemptAllowed,
  reserveAttempt,
} from './shared/attempt-limits.ts';
import { recordPasswordLock } from './shared/password-check.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { issueSession, notifyNewDevice, rememberSignInDevice, type SessionOrigin } from './shared/sessions.ts';
import { startRequiredPasswordChange } from './account/required-password-change.ts';
import { readPolicy } from './admin/two-factor-policy.ts';
import { policyStanding } from '../core/two-factor-policy.ts';
import { startEnrollment, type StartedEnrollment } from './login/enrollment.ts';

export interface SignInInput extends SessionOrigin {
  username: string;
  password: string;
  /** The device credential the client holds (the web's cookie or a desktop's `deviceToken`), if any. */
  deviceToken: string | null;
}

export type SignInResult =
  /** `twoFactorRequiredBy`: the policy requires two-factor of this account, which may postpone it until then. */
  | { status: 'ok'; token: string; expiresAt: number; account: Account; deviceToken: string; twoFactorRequiredBy?: number }
  | StartedEnrollment
  | { status: 'second_factor_required'; challengeId: string; methods: ChallengeMethod[]; expiresAt: number }
  | { status: 'password_change_required'; passwordChangeToken: string; expiresAt: number };

const INVALID = 'Incorrect username or password.';

/**
 * Whose budget a wrong password spends. A valid known-device credential of the account (OWASP's
 * device cookies) has its own budget, so guesses sent from anywhere else, which spend the
 * username's unknown-device budget and the address's, cannot lock the owner's own clients out.
 */
function passwordBudget(deps: FlowDeps, device: Device | null, usernameBudgetKey: string): { key: string; policy: AttemptPolicy } {
  if (device !== null) return { key: attemptKeys.passwordByDevice(device.id), policy: passwordPolicy(deps, 'device') };
  return { key: usernameBudgetKey, policy: passwordPolicy(deps, 'username') };
}

/**
 * The password step, the same for every client. With two-factor on it yields only a challenge
 * (no token, no session, nothing that authenticates a request), unless the client is a trusted
 * device of the account.
 */
export async function signIn(deps: FlowDeps, input: SignInInput): Promise<SignInResult> {
  const key = usernameKey(input.username);
  const byIp = attemptKeys.passwordByIp(input.ip);
  const account = await deps.store.findAccountByUsernameKey(key);
  const device = await findPresentedDevice(deps, input.deviceToken, account, input.client);
  const budget = passwordBudget(deps, device, attemptKeys.passwordByUsername(key));
  // The per-address lock is for guessers: a valid known device of the account is not refused by it.
  if (device === null) await requireAttemptAllowed(deps, byIp, passwordPolicy(deps, 'ip'));
  await reserveAttempt(deps, budget.key, budget.policy);

  let passwordOk: boolean;
  try {
    // Unknown usernames cost the same Argon2 work, so timing does not reveal which accounts exist.
    // Known devices are admitted to the hasher ahead of unknown ones (core/admission-queue.ts).
    const priority = device === null ? 'unknown' : 'known';
    passwordOk = account ? await deps.passwords.verify(account.passwordHash, input.password, { priority, account: account.id }) : await deps.passwords.verifyDummy(input.password, { priority });
  } catch (error) {
    // Nothing was judged: the slot goes back.
    await releaseAttempt(deps, budget.key);
    throw error;
  }

  // A disabled account answers exactly like a wrong password: the login form must not tell
  // whoever holds the password that the account exists but is suspended.
  const disabled = account !== null && passwordOk && account.disabled;
  if (!account || !passwordOk || disabled) {
    const base = { userId: account?.id ?? null, username: account?.username ?? null, client: input.client, ip: input.ip };
    if (disabled) {
      // The right password is no guess: its slot goes back.
      await releaseAttempt(deps, budget.key);
    } else {
      const scope = device === null ? 'username' : 'device';
      await recordPasswordLock(deps, account, base, await recordFailedAttempt(deps, budget.key, budget.policy), scope);
      if (device === null) {
        await recordPasswordLock(deps, null, base, await recordFailedAttempt(deps, byIp, passwordPolicy(deps, 'ip'), { reserved: false }), 'address');
      }
    }
    // The attempted name is kept only when it is a real account: people type passwords into the
    // username field, and that must not end up in the audit log.
    await recordAudit(deps, {
      type: 'login.password',
      outcome: 'failure',
      userId: account?.id ?? null,
      username: account?.username ?? null,
      client: input.client,
      ip: input.ip,
      detail: { reason: disabled ? 'account_disabled' : account ? 'wrong_password' : 'unknown_user', known_device: device !== null },
    });
    throw new DomainError('invalid_credentials', INVALID);
  }
  await releaseAttempt(deps, budget.key);

  if (account.passwordChangeRequired) return startRequiredPasswordChange(deps, account, input);
  return finishPasswordStep(deps, account, input, {}, { device, deviceToken: input.deviceToken });
}

/**
 * What a proven password leads to: a session when two-factor is off or the client is a trusted
 * device of the account, else a challenge. Also the end of the forced password change, which
 * must answer exactly as the login would have.
 */
export async function finishPasswordStep(
  deps: FlowDeps,
  account: Account,
  input: SessionOrigin,
  auditDetail: Record<string, string | number | boolean> = {},
  presented: { device: Device | null; deviceToken: string | null } = { device: null, deviceToken: null },
): Promise<Exclude<SignInResult, { status: 'password_change_required' }>> {
  const now = deps.clock();
  const audit = { userId: account.id, username: account.username, client: input.client, ip: input.ip };
  // The origin is rebuilt field by field: `input` may be the whole login request, password included.
  const origin: SessionOrigin = { client: input.client, deviceName: input.deviceName, ip: input.ip, userAgent: input.userAgent };
  const knownDeviceId = presented.device?.id ?? null;
  if (account.authenticatorCount === 0) {
    // Read at this login, not when the session was made: a policy tightened meanwhile applies
    // from the next login on, and sessions open when it changed go on.
    const standing = policyStanding(await readPolicy(deps), account, now);
    // Covered without a recorded start (an account created while the policy changed): the clock
    // starts now and is recorded, so a grace period cannot restart at every login.
    if (standing.state !== 'enabled' && standing.state !== 'not_required' && account.twoFactorPolicySince === null) {
      await deps.store.setAccountPolicySince(account.id, now, { onlyIfUnset: true });
    }
    if (standing.state === 'overdue') {
      return deps.store.transaction(async (store) => {
        await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: false, enrollment_required: true } }, store);
        return startEnrollment(deps, store, { account, origin, purpose: 'policy' });
      });
    }
    const { issued, newDevice } = await deps.store.transaction(async (store) => {
      const result = await issueSession(
        deps,
        { account, origin, amr: combineAMR({ password: true, secondFactor: null }), secondFactor: null, device: { knownDeviceId, trust: false } },
        store,
      );
      await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: false } }, store);
      return { issued: result, newDevice: await rememberSignInDevice(deps, account, input, store) };
    });
    if (newDevice) await notifyNewDevice(deps, account, input);
    return {
      status: 'ok',
      token: issued.token,
      expiresAt: issued.session.expiresAt,
      account,
      deviceToken: issued.deviceToken,
      ...(standing.state === 'grace' ? { twoFactorRequiredBy: standing.deadline } : {}),
    };
  }

  if (presented.deviceToken !== null && isTrusted(deps, presented.device)) {
    const trusted = presented.device;
    const token = presented.deviceToken;
    const issued = await deps.store.transaction(async (store) => {
      const renewed = await useTrustedDevice(deps, store, trusted, token);
      if (renewed === null) return null;
      // The password plus a device credential the user chose to trust at an earlier full login:
      // amr says only what was proved now (the password); secondFactor says what stood in.
      const result = await issueSession(
        deps,
        { account, origin, amr: combineAMR({ password: true, secondFactor: null }), secondFactor: 'trusted_device', device: { renewed: { id: trusted.id, token: renewed } } },
        store,
      );
      await recordAudit(
        deps,
        { ...audit, type: 'login.second_factor', outcome: 'success', detail: { ...auditDetail, method: 'trusted_device', device_id: trusted.id } },
        store,
      );
      // A trusted device is by definition a known one: no new-device notice.
      await rememberSignInDevice(deps, account, input, store);
      return result;
    });
    if (issued !== null) return { status: 'ok', token: issued.token, expiresAt: issued.session.expiresAt, account, deviceToken: issued.deviceToken };
    // Trust ended meanwhile (or a racing login took the token): ask for the code.
  }

  const challengeId = generateToken();
  const expiresAt = now + deps.settings.limits.challengeTtlMs;
  await deps.store.transaction(async (store) => {
    await store.createLoginChallenge({
      idHash: hashToken(challengeId),
      userId: account.id,
      accountEpoch: account.sessionEpoch,
      client: input.client,
      deviceName: input.deviceName,
      ip: input.ip,
      userAgent: input.userAgent,
      createdAt: now,
      expiresAt,
      deviceId: knownDeviceId,
    });
    await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: true } }, store);
  });
  return { status: 'second_factor_required', challengeId, methods: await availableMethods(deps, account), expiresAt };
}
