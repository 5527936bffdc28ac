import type { AMRValue, Authenticator } from '../../../core/types.ts';
import { DomainError } from '../../../core/errors.ts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AuthenticatorKind, FactorVerdict, ProofInput, SecondFactor, SecondFactorProof, VerifyContext } from '../types.ts';
import { signedChallenge, verifyAssertion } from './ceremonies.ts';
import { openCredential } from './credential-material.ts';
import { userHandleOf } from './user-handle.ts';

export const webauthnKind: AuthenticatorKind = { type: 'webauthn', label: 'Passkey or security key', defaultName: 'Passkey', maxPerAccount: 10 };

type WebAuthnProof = Extract<SecondFactorProof, { method: 'webauthn' }>;

/**
 * RFC 8176: `hwk` for a key the browser called cross-platform (a security key, a phone), `swk`
 * otherwise. Attestation `none` proves neither; this is what the browser said at registration.
 */
export function keyAMR(authenticator: Authenticator): AMRValue {
  return authenticator.webauthn?.attachment === 'cross-platform' ? 'hwk' : 'swk';
}

/** Thrown before anything is judged: proveSecondFactor then gives the attempt slot back. */
export function spentWebAuthnChallenge(): DomainError {
  return new DomainError('invalid_code', 'This passkey request has expired or was already used. Try again.');
}

async function verify({ deps, account, emailCodeKey: binding }: VerifyContext, proof: WebAuthnProof): Promise<FactorVerdict> {
  const now = deps.clock();
  if (binding === null) throw spentWebAuthnChallenge();
  // Consumed first, exactly once across instances: a replayed or parallel assertion finds nothing
  // here and is not judged (there is nothing to guess in a spent challenge, so it costs no slot).
  const challenge = await signedChallenge(proof.response);
  const taken = challenge === null ? null : await deps.store.takeWebAuthnChallenge(binding, challenge, now);
  if (challenge === null || taken === null || (taken.userId !== null && taken.userId !== account.id)) throw spentWebAuthnChallenge();

  // Any one key of this account; a key of another account (or a removed one) is simply wrong.
  const key = await deps.store.findWebAuthnAuthenticator(proof.response.id);
  if (key === null || key.userId !== account.id || key.webauthn == null) return { outcome: 'wrong' };
  // A discoverable credential names its account; it must be this one.
  const handle = proof.response.response.userHandle;
  if (handle != null && handle !== userHandleOf(account.id)) return { outcome: 'wrong' };

  const material = openCredential(deps.secretBox, key);
  const result = await verifyAssertion(deps.settings.relyingParty, {
    response: proof.response,
    expectedChallenge: challenge,
    credential: { id: material.credentialId, publicKey: material.publicKey, counter: key.webauthn.signCount, transports: key.webauthn.transports },
    // Without the password the key is both factors: only a verified user (PIN, biometrics) counts.
    requireUserVerification: proof.passwordless === true,
  });
  const regression = (counter: number) =>
    ({
      outcome: 'wrong',
      audit: { type: 'webauthn.counter_regression', detail: { authenticator_id: key.id, counter, stored_counter: key.webauthn?.signCount ?? 0 } },
    }) as const;
  if (result.status === 'wrong') return { outcome: 'wrong' };
  // A correctly signed assertion whose counter went back: the key may have been cloned (WebAuthn §6.1.1).
  if (result.status === 'counter_regression') return regression(result.counter);
  // Guarded: of two uses racing with one key, a lower counter arriving second is a regression too.
  if (!(await deps.store.advanceSignCount(key.id, result.counter, now))) return regression(result.counter);
  const amr: AMRValue[] = proof.passwordless === true ? [keyAMR(key), 'user'] : [keyAMR(key)];
  return { outcome: 'accepted', authenticatorId: key.id, amr };
}

/** The assertion (shape-checked by the HTTP schema) as the proof; a code is not one. */
function readProof(input: ProofInput): WebAuthnProof {
  if (input.response === undefined || input.code !== undefined) {
    throw new DomainError('validation_error', 'Confirm with your passkey or security key: this method takes its response, not a code.');
  }
  return { method: 'webauthn', response: input.response as AuthenticationResponseJSON };
}

// Request options are started by their own endpoints (options.ts): a login's WebAuthn challenge
// must expire with that login challenge, which a generic challenge start does not know.
export const webauthnFactor: SecondFactor<WebAuthnProof> = {
  method: 'webauthn',
  authenticatorType: 'webauthn',
  amr: ['swk'],
  isAvailable: async (deps, account) => (await deps.store.countAuthenticators(account.id, 'webauthn')) > 0,
  readProof,
  verify,
};
