import { randomBytes } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { DomainError } from '../../../core/errors.ts';
import { generateToken, hashToken } from '../../../core/tokens.ts';
import type { Account, Authenticator, Session } from '../../../core/types.ts';
import { loadLiveChallenge } from '../../shared/challenges.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import { tooManyOfKind } from '../../shared/two-factor-state.ts';
import { webauthnBindings } from './bindings.ts';
import { createAssertionOptions, createRegistrationOptions, type CredentialDescriptor } from './ceremonies.ts';
import { userHandleBytes } from './user-handle.ts';
import { webauthnKind } from './index.ts';

// 32 random bytes: WebAuthn §13.4.3 asks for at least 16.
const CHALLENGE_BYTES = 32;

function descriptors(keys: Authenticator[]): CredentialDescriptor[] {
  return keys.flatMap((k) => (k.webauthn ? [{ id: k.webauthn.credentialId, transports: k.webauthn.transports }] : []));
}

/** A fresh challenge stored for `binding` (replacing the previous one), returned as the bytes the options carry. */
async function newChallenge(deps: FlowDeps, binding: string, userId: string | null, expiresAt: number): Promise<Uint8Array> {
  const bytes = randomBytes(CHALLENGE_BYTES);
  await deps.store.saveWebAuthnChallenge({ binding, userId, challenge: bytes.toString('base64url'), createdAt: deps.clock(), expiresAt });
  return new Uint8Array(bytes);
}

/**
 * Options to register a key. A two-factor change like adding an app: the Password window, with a
 * current code (or key) when two-factor is on. At most 10 keys; the account's keys are excluded
 * so the same authenticator is not registered twice.
 */
export async function startWebAuthnRegistration(deps: FlowDeps, session: Session, account: Account): Promise<PublicKeyCredentialCreationOptionsJSON> {
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const keys = await deps.store.listAuthenticators(account.id, 'webauthn');
  if (keys.length >= webauthnKind.maxPerAccount) throw tooManyOfKind('webauthn');
  const now = deps.clock();
  const challenge = await newChallenge(deps, webauthnBindings.registration(session.id), account.id, now + deps.settings.limits.challengeTtlMs);
  return createRegistrationOptions(deps.settings.relyingParty, {
    userHandle: userHandleBytes(account.id),
    userName: account.username,
    displayName: account.displayName === '' ? account.username : account.displayName,
    exclude: descriptors(keys),
    challenge,
  });
}

async function accountKeys(deps: FlowDeps, account: Account): Promise<CredentialDescriptor[]> {
  const keys = descriptors(await deps.store.listAuthenticators(account.id, 'webauthn'));
  if (keys.length === 0) throw new DomainError('validation_error', 'This account has no passkey or security key.');
  return keys;
}

/** Request options for the second step of a login: this account's keys, bound to that login challenge and expiring with it. */
export async function startWebAuthnLogin(deps: FlowDeps, challengeId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { idHash, challenge, account } = await loadLiveChallenge(deps, challengeId);
  const allow = await accountKeys(deps, account);
  const bytes = await newChallenge(deps, webauthnBindings.login(idHash), account.id, challenge.expiresAt);
  // "preferred": with the password already proven, a key without user verification is a fine second factor.
  return createAssertionOptions(deps.settings.relyingParty, { allow, userVerification: 'preferred', challenge: bytes });
}

/** Request options for the Password window, bound to this session. */
export async function startWebAuthnReauth(deps: FlowDeps, session: Session, account: Account): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = await accountKeys(deps, account);
  const bytes = await newChallenge(deps, webauthnBindings.reauth(session.id), account.id, deps.clock() + deps.settings.limits.challengeTtlMs);
  return createAssertionOptions(deps.settings.relyingParty, { allow, userVerification: 'preferred', challenge: bytes });
}

/**
 * Passwordless: no account is known yet, so no allowCredentials (the authenticator offers its
 * discoverable credentials) and user verification is required. The opaque id names the challenge.
 */
export async function startPasskeyLogin(deps: FlowDeps): Promise<PublicKeyCredentialRequestOptionsJSON & { passkeyChallengeId: string }> {
  const passkeyChallengeId = generateToken();
  const binding = webauthnBindings.passkey(hashToken(passkeyChallengeId));
  const bytes = await newChallenge(deps, binding, null, deps.clock() + deps.settings.limits.challengeTtlMs);
  const options = await createAssertionOptions(deps.settings.relyingParty, { allow: [], userVerification: 'required', challenge: bytes });
  return { ...options, passkeyChallengeId };
}
