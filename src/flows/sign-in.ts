import { DomainError } from '../core/errors.ts';
import { generateToken, hashToken } from '../core/tokens.ts';
import { usernameKey } from '../core/usernames.ts';
import { combineAMR } from '../core/amr.ts';
import type { Account, ChallengeMethod } from '../core/types.ts';
import { availableMethods } from './factors/registry.ts';
import {
  attemptKeys,
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
}

export type SignInResult =
  /** `twoFactorRequiredBy`: the policy requires two-factor of this account, which may postpone it until then. */
  | { status: 'ok'; token: string; expiresAt: number; account: Account; twoFactorRequiredBy?: number }
  | StartedEnrollment
  | { status: 'second_factor_required'; challengeId: string; methods: ChallengeMethod[]; expiresAt: number }
  | { status: 'password_change_required'; passwordChangeToken: string; expiresAt: number };

const INVALID = 'Incorrect username or password.';

/**
 * The password step, the same for every client. With two-factor on it yields only a challenge:
 * no token, no session, nothing that authenticates a request.
 */
export async function signIn(deps: FlowDeps, input: SignInInput): Promise<SignInResult> {
  const key = usernameKey(input.username);
  const byUsername = attemptKeys.passwordByUsername(key);
  const byIp = attemptKeys.passwordByIp(input.ip);
  await requireAttemptAllowed(deps, byIp, passwordPolicy(deps, 'ip'));
  await reserveAttempt(deps, byUsername, passwordPolicy(deps, 'username'));

  let account: Account | null;
  let passwordOk: boolean;
  try {
    account = await deps.store.findAccountByUsernameKey(key);
    // Unknown usernames cost the same Argon2 work, so timing does not reveal which accounts exist.
    passwordOk = account ? await deps.passwords.verify(account.passwordHash, input.password) : await deps.passwords.verifyDummy(input.password);
  } catch (error) {
    // Nothing was judged: the slot goes back.
    await releaseAttempt(deps, byUsername);
    throw error;
  }

  // A disabled account answers exactly like a wrong password: the login form must not tell
  // whoever holds the password that the account exists but is suspended.
  const disabled = account !== null && passwordOk && account.disabled;
  if (!account || !passwordOk || disabled) {
    const base = { userId: account?.id ?? null, username: account?.username ?? null, client: input.client, ip: input.ip };
    if (disabled) {
      // The right password is no guess: its slot goes back.
      await releaseAttempt(deps, byUsername);
    } else {
      await recordPasswordLock(deps, account, base, await recordFailedAttempt(deps, byUsername, passwordPolicy(deps, 'username')));
      await recordPasswordLock(deps, null, base, await recordFailedAttempt(deps, byIp, passwordPolicy(deps, 'ip'), { reserved: false }), 'address');
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
      detail: { reason: disabled ? 'account_disabled' : account ? 'wrong_password' : 'unknown_user' },
    });
    throw new DomainError('invalid_credentials', INVALID);
  }
  await releaseAttempt(deps, byUsername);

  if (account.passwordChangeRequired) return startRequiredPasswordChange(deps, account, input);
  return finishPasswordStep(deps, account, input);
}

/**
 * What a proven password leads to: a session when two-factor is off, else a challenge. Also the
 * end of the forced password change, which must answer exactly as the login would have.
 */
export async function finishPasswordStep(
  deps: FlowDeps,
  account: Account,
  input: SessionOrigin,
  auditDetail: Record<string, string | number | boolean> = {},
): Promise<Exclude<SignInResult, { status: 'password_change_required' }>> {
  const now = deps.clock();
  const audit = { userId: account.id, username: account.username, client: input.client, ip: input.ip };
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
      const origin: SessionOrigin = { client: input.client, deviceName: input.deviceName, ip: input.ip, userAgent: input.userAgent };
      return deps.store.transaction(async (store) => {
        await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: false, enrollment_required: true } }, store);
        return startEnrollment(deps, store, { account, origin, purpose: 'policy' });
      });
    }
    const { issued, newDevice } = await deps.store.transaction(async (store) => {
      // The origin is rebuilt field by field: `input` may be the whole login request, password included.
      const origin: SessionOrigin = { client: input.client, deviceName: input.deviceName, ip: input.ip, userAgent: input.userAgent };
      const result = await issueSession(deps, { account, origin, amr: combineAMR({ password: true, secondFactor: null }) }, store);
      await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: false } }, store);
      return { issued: result, newDevice: await rememberSignInDevice(deps, account, input, store) };
    });
    if (newDevice) await notifyNewDevice(deps, account, input);
    return {
      status: 'ok',
      token: issued.token,
      expiresAt: issued.session.expiresAt,
      account,
      ...(standing.state === 'grace' ? { twoFactorRequiredBy: standing.deadline } : {}),
    };
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
    });
    await recordAudit(deps, { ...audit, type: 'login.password', outcome: 'success', detail: { ...auditDetail, second_factor: true } }, store);
  });
  return { status: 'second_factor_required', challengeId, methods: await availableMethods(deps, account), expiresAt };
}
