import { DomainError } from '../../core/errors.ts';
import { endTrustedDevices } from '../login/trusted-devices.ts';
import { checkPasswordStrength } from '../../core/passwords.ts';
import type { Account, ClientKind, RequestContext } from '../../core/types.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { issuePasswordToken, loadLivePasswordToken } from '../shared/password-tokens.ts';
import type { SessionOrigin } from '../shared/sessions.ts';
import { finishPasswordStep, type SignInResult } from '../sign-in.ts';

/** Long enough to think of a good password, short enough that a forgotten tab is harmless. */
export const PASSWORD_CHANGE_TTL_MS = 15 * 60_000;
const EXPIRED = 'This sign-in has expired or was already used. Log in again.';

/**
 * The password an administrator set was right, but it is not the user's own: no session yet,
 * only a token that lets this login choose a new password (Keycloak's "update password"
 * required action, as its own step of the login).
 */
export async function startRequiredPasswordChange(
  deps: FlowDeps,
  account: Account,
  origin: SessionOrigin,
): Promise<Extract<SignInResult, { status: 'password_change_required' }>> {
  const issued = await deps.store.transaction(async (store) => {
    const token = await issuePasswordToken(deps, store, { account, purpose: 'change', origin, ttlMs: PASSWORD_CHANGE_TTL_MS });
    await recordAudit(
      deps,
      {
        type: 'login.password',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: origin.client,
        ip: origin.ip,
        detail: { password_change_required: true },
      },
      store,
    );
    return token;
  });
  return { status: 'password_change_required', passwordChangeToken: issued.token, expiresAt: issued.expiresAt };
}

/**
 * `POST /auth/password-change`: sets the user's own password, then answers exactly as the login
 * would have (a second-factor challenge when two-factor is on: a reset never skips it).
 * A refused password spends nothing, so the user can simply try another.
 */
export async function completeRequiredPasswordChange(
  deps: FlowDeps,
  input: { passwordChangeToken: string; newPassword: string },
  context: RequestContext,
): Promise<{ result: Exclude<SignInResult, { status: 'password_change_required' }>; client: ClientKind }> {
  const weakness = checkPasswordStrength(input.newPassword);
  if (weakness !== null) throw new DomainError('validation_error', weakness);
  const live = await loadLivePasswordToken(deps, input.passwordChangeToken, 'change', EXPIRED);
  const { account, token } = live;
  if (await deps.passwords.verify(account.passwordHash, input.newPassword)) {
    throw new DomainError('validation_error', 'Choose a new password, not the one your administrator gave you.');
  }
  const passwordHash = await deps.passwords.hash(input.newPassword);
  const client: ClientKind = token.client ?? 'web';
  await deps.store.transaction(async (store) => {
    const now = deps.clock();
    if (!(await store.consumePasswordToken(live.tokenHash, 'change', now))) throw new DomainError('challenge_invalid', EXPIRED);
    await store.updatePasswordHash(account.id, passwordHash, now);
    // Other logins that were also told to change the password can no longer do so.
    await store.deletePasswordTokens(account.id, 'change');
    await endTrustedDevices(deps, store, account.id, 'password_changed', { username: account.username, ip: context.ip });
    await recordAudit(
      deps,
      { type: 'password.changed', outcome: 'success', userId: account.id, username: account.username, client, ip: context.ip, detail: { required: true } },
      store,
    );
  });
  const origin: SessionOrigin = { client, deviceName: token.deviceName, ip: context.ip, userAgent: context.userAgent ?? token.userAgent };
  const result = await finishPasswordStep(deps, { ...account, passwordHash, passwordChangeRequired: false }, origin, { after_password_change: true });
  return { result, client };
}
