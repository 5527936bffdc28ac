import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { RelyingParty } from './relying-party.ts';

// Loaded on first use: the CLI reaches this module through the factor registry but never runs
// a ceremony, and should not pay for the library (and its ASN.1 stack) at every start.
const library = () => import('@simplewebauthn/server');
const helpers = () => import('@simplewebauthn/server/helpers');

/**
 * The two WebAuthn ceremonies, each as "options" and "verify", over @simplewebauthn/server (which
 * does all CBOR, COSE and attestation work). Expected failures are return values; the caller
 * decides what they cost (a limit slot, an audit event).
 */

/** How long the browser lets the user take (the prompt); the server's challenge may live longer. */
export const CEREMONY_TIMEOUT_MS = 120_000;

// ES256 and RS256 cover every passkey provider and security key in use; EdDSA keys are verified too.
const SUPPORTED_ALGORITHMS = [-7, -8, -257];

/**
 * The challenge a response signed, read from its clientDataJSON (JSON, not CBOR), so the stored
 * challenge is consumed only by an answer to it; null when clientDataJSON cannot be read.
 */
export async function signedChallenge(response: { response: { clientDataJSON: string } }): Promise<string | null> {
  const { decodeClientDataJSON } = await helpers();
  try {
    const challenge = decodeClientDataJSON(response.response.clientDataJSON).challenge;
    return typeof challenge === 'string' && challenge !== '' ? challenge : null;
  } catch {
    return null;
  }
}

export interface CredentialDescriptor {
  /** Credential id, base64url. */
  id: string;
  transports: string[];
}

export interface RegistrationOptionsInput {
  /** WebAuthn user handle: opaque, stable per account, never personal data (WebAuthn §14.6.1). */
  userHandle: Uint8Array;
  userName: string;
  displayName: string;
  /** The account's keys, so an authenticator that already holds one refuses to register again. */
  exclude: CredentialDescriptor[];
  challenge: Uint8Array;
}

export async function createRegistrationOptions(
  relyingParty: RelyingParty,
  input: RegistrationOptionsInput,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await library();
  return generateRegistrationOptions({
    rpName: relyingParty.name,
    rpID: relyingParty.id,
    userName: input.userName,
    userID: new Uint8Array(input.userHandle),
    userDisplayName: input.displayName,
    challenge: new Uint8Array(input.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    // `none`: we trust no vendor list, so asking for attestation would only cost users privacy.
    attestationType: 'none',
    excludeCredentials: input.exclude.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    // credProps tells whether the key became discoverable (usable for passwordless login).
    extensions: { credProps: true },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

export interface RegisteredCredential {
  /** Credential id, base64url. */
  id: string;
  /** COSE public key. */
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  /** What the browser reported; with attestation `none` it is the only hint of the kind of key. */
  attachment: 'platform' | 'cross-platform' | null;
  userVerified: boolean;
  backedUp: boolean;
  /** credProps.rk: true or false when the browser said, null when it did not. */
  discoverable: boolean | null;
}

export async function verifyRegistration(
  relyingParty: RelyingParty,
  input: { response: RegistrationResponseJSON; expectedChallenge: string },
): Promise<RegisteredCredential | null> {
  const { verifyRegistrationResponse } = await library();
  let result;
  try {
    result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: [...relyingParty.origins],
      expectedRPID: relyingParty.id,
      // "preferred": a security key without a PIN is a fine second factor; passwordless checks UV at each login.
      requireUserVerification: false,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch {
    // Wrong origin, challenge or RP ID, bad attestation, undecodable CBOR: all "not a valid registration".
    return null;
  }
  if (!result.verified) return null;
  const info = result.registrationInfo;
  const attachment = input.response.authenticatorAttachment;
  const rk = input.response.clientExtensionResults.credProps?.rk;
  return {
    id: info.credential.id,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    transports: input.response.response.transports ?? [],
    attachment: attachment === 'platform' || attachment === 'cross-platform' ? attachment : null,
    userVerified: info.userVerified,
    backedUp: info.credentialBackedUp,
    discoverable: typeof rk === 'boolean' ? rk : null,
  };
}

export async function createAssertionOptions(
  relyingParty: RelyingParty,
  input: { allow: CredentialDescriptor[]; userVerification: 'required' | 'preferred'; challenge: Uint8Array },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await library();
  return generateAuthenticationOptions({
    rpID: relyingParty.id,
    allowCredentials: input.allow.map((c) => ({ id: c.id, transports: c.transports })),
    userVerification: input.userVerification,
    challenge: new Uint8Array(input.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
  });
}

export interface StoredCredential {
  id: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
}

export type AssertionResult =
  | { status: 'accepted'; counter: number; userVerified: boolean }
  | { status: 'wrong' }
  /** A valid signature with a counter at or below the stored one: a possible clone (WebAuthn §7.2 step 21). */
  | { status: 'counter_regression'; counter: number; storedCounter: number };

export async function verifyAssertion(
  relyingParty: RelyingParty,
  input: { response: AuthenticationResponseJSON; expectedChallenge: string; credential: StoredCredential; requireUserVerification: boolean },
): Promise<AssertionResult> {
  if (input.response.id !== input.credential.id) return { status: 'wrong' };
  const { verifyAuthenticationResponse } = await library();
  let result;
  try {
    result = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: [...relyingParty.origins],
      expectedRPID: relyingParty.id,
      // The counter is judged below, after the signature: only a correctly signed assertion
      // with a stale counter is evidence of a clone worth an audit event.
      credential: { id: input.credential.id, publicKey: new Uint8Array(input.credential.publicKey), counter: 0, transports: input.credential.transports },
      requireUserVerification: input.requireUserVerification,
    });
  } catch {
    return { status: 'wrong' };
  }
  if (!result.verified) return { status: 'wrong' };
  const counter = result.authenticationInfo.newCounter;
  const stored = input.credential.counter;
  // A key that counts must count up; one that reports 0 every time does not count at all (synced passkeys).
  if ((counter > 0 || stored > 0) && counter <= stored) return { status: 'counter_regression', counter, storedCounter: stored };
  return { status: 'accepted', counter, userVerified: result.authenticationInfo.userVerified };
}
