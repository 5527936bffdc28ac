import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { combineAMR } from '../../../core/amr.ts';
import { DomainError, isDomainError } from '../../../core/errors.ts';
import { hashToken } from '../../../core/tokens.ts';
import type { Account } from '../../../core/types.ts';
import { recordAudit } from '../../shared/audit.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { issueSession, notifyNewDevice, rememberSignInDevice, type SessionOrigin } from '../../shared/sessions.ts';
import { proveSecondFactor } from '../prove-second-factor.ts';
import { findPresentedDevice } from '../../login/trusted-devices.ts';
import { webauthnBindings } from './bindings.ts';
import { signedChallenge } from './ceremonies.ts';

export interface PasskeySignInInput extends SessionOrigin {
  passkeyChallengeId: string;
  response: AuthenticationResponseJSON;
  /** The device credential the client holds; renewed (not needed: a passkey is both factors). */
  deviceToken: string | null;
  trustDevice: boolean;
}

// One answer for an unknown or removed key, a bad signature, no user verification and a spent
// challenge: nothing tells a caller which credential ids exist.
const REFUSED = 'The passkey could not log you in. Log in with your password instead.';

/**
 * "Log in with a passkey": a discoverable credential with user verification is both factors
 * (amr `hwk`|`swk`, `user`, `mfa`) and gets the same session a password login gets. A failed
 * assertion for a known credential counts toward that account's second-factor limit.
 */
export async function signInWithPasskey(deps: FlowDeps, input: PasskeySignInInput): Promise<{ token: string; expiresAt: number; account: Account; deviceToken: string }> {
  const binding = webauthnBindings.passkey(hashToken(input.passkeyChallengeId));
  const now = deps.clock();
  const key = await deps.store.findWebAuthnAuthenticator(input.response.id);
  const account = key === null ? null : await deps.store.findAccountById(key.userId);
  const audit = { client: input.client, ip: input.ip };
  if (key === null || account === null) {
    // The challenge is spent all the same: it was answered once.
    const challenge = await signedChallenge(input.response);
    if (challenge !== null) await deps.store.takeWebAuthnChallenge(binding, challenge, now);
    await recordAudit(deps, { ...audit, type: 'login.passkey', outcome: 'failure', userId: null, username: null, detail: { reason: 'unknown_credential' } });
    throw new DomainError('invalid_credentials', REFUSED);
  }

  let proven;
  try {
    proven = await proveSecondFactor(deps, {
      account,
      proofs: [{ method: 'webauthn', response: input.response, passwordless: true }],
      emailCodeKey: binding,
      client: input.client,
      ip: input.ip,
      purpose: 'login',
    });
  } catch (error) {
    // Counted (or, for a spent challenge, not) by proveSecondFactor; the caller learns only "no".
    if (isDomainError(error) && error.code === 'invalid_code') throw new DomainError('invalid_credentials', REFUSED);
    throw error;
  }

  // A disabled account cannot log in, with the same answer as any refused key (as a wrong
  // password at the password step): no session, no device credential, no notice.
  if (account.disabled) {
    await recordAudit(deps, { ...audit, type: 'login.passkey', outcome: 'failure', userId: account.id, username: account.username, detail: { reason: 'account_disabled' } });
    throw new DomainError('invalid_credentials', REFUSED);
  }

  const origin: SessionOrigin = { client: input.client, deviceName: input.deviceName, ip: input.ip, userAgent: input.userAgent };
  // Read before the transaction: on SQLite a query outside it would wait for its connection.
  const known = await findPresentedDevice(deps, input.deviceToken, account, input.client);
  const { issued, newDevice } = await deps.store.transaction(async (store) => {
    const device = { knownDeviceId: known?.id ?? null, trust: input.trustDevice };
    const result = await issueSession(deps, { account, origin, amr: combineAMR({ password: false, secondFactor: proven.amr }), secondFactor: 'webauthn', device }, store);
    await recordAudit(
      deps,
      { ...audit, type: 'login.passkey', outcome: 'success', userId: account.id, username: account.username, detail: { authenticator_id: key.id, amr: result.session.amr.join(' ') } },
      store,
    );
    return { issued: result, newDevice: await rememberSignInDevice(deps, account, origin, store) };
  });
  if (newDevice) await notifyNewDevice(deps, account, origin);
  return { token: issued.token, expiresAt: issued.session.expiresAt, account, deviceToken: issued.deviceToken };
}
