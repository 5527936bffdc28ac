import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createAssertionOptions,
  createRegistrationOptions,
  verifyAssertion,
  verifyRegistration,
  type RegisteredCredential,
} from '../../src/flows/factors/webauthn/ceremonies.ts';
import { createRelyingParty } from '../../src/flows/factors/webauthn/relying-party.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';

// The ceremony wrappers against a software authenticator that answers as a browser would: what
// verifies, and each way a response must fail (the HTTP suites build on these answers).
const ORIGIN = 'https://uc.example.com';
const relyingParty = createRelyingParty({ publicUrl: ORIGIN, webauthnOrigins: ['https://desktop.example.com'], issuer: 'Twofold Test' });

async function registrationOptions(exclude: { id: string; transports: string[] }[] = []) {
  return createRegistrationOptions(relyingParty, {
    userHandle: Buffer.from('account-1'),
    userName: 'alice',
    displayName: 'Alice',
    exclude,
    challenge: randomBytes(32),
  });
}

async function registered(authenticator: SoftwareAuthenticator): Promise<RegisteredCredential> {
  const options = await registrationOptions();
  const credential = await verifyRegistration(relyingParty, { response: authenticator.register(options), expectedChallenge: options.challenge });
  if (credential === null) throw new Error('registration did not verify');
  return credential;
}

async function assertionOptions(credential: RegisteredCredential | null, userVerification: 'required' | 'preferred' = 'preferred') {
  return createAssertionOptions(relyingParty, {
    allow: credential === null ? [] : [{ id: credential.id, transports: credential.transports }],
    userVerification,
    challenge: randomBytes(32),
  });
}

describe('WebAuthn ceremonies', () => {
  it('offers the options the issue asks for', async () => {
    const options = await registrationOptions([{ id: 'AAAA', transports: ['usb'] }]);
    expect(options.rp).toEqual({ id: 'uc.example.com', name: 'Twofold Test' });
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(options.excludeCredentials).toEqual([{ id: 'AAAA', type: 'public-key', transports: ['usb'] }]);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toContain(-7);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.user.name).toBe('alice');
  });

  it('registers a key and records what the browser said about it', async () => {
    const credential = await registered(new SoftwareAuthenticator({ origin: ORIGIN, attachment: 'cross-platform' }));
    expect(credential).toMatchObject({ counter: 0, transports: ['usb'], attachment: 'cross-platform', userVerified: true, discoverable: true, backedUp: false });
    expect(credential.publicKey.length).toBeGreaterThan(60);
  });

  it.each([
    ['a foreign origin', { origin: 'https://evil.example.net' }],
    ['another challenge', { challenge: Buffer.alloc(32, 7).toString('base64url') }],
    ['another RP ID', { rpId: 'example.net' }],
  ])('refuses a registration from %s', async (_name, overrides) => {
    const options = await registrationOptions();
    const response = new SoftwareAuthenticator({ origin: ORIGIN }).register(options, overrides);
    expect(await verifyRegistration(relyingParty, { response, expectedChallenge: options.challenge })).toBeNull();
  });

  it('refuses a registration whose attestation object is garbage, without throwing', async () => {
    const options = await registrationOptions();
    const response = new SoftwareAuthenticator({ origin: ORIGIN }).register(options);
    response.response.attestationObject = Buffer.from('not cbor').toString('base64url');
    expect(await verifyRegistration(relyingParty, { response, expectedChallenge: options.challenge })).toBeNull();
  });

  it('accepts assertions from the public URL and from an extra origin', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const credential = await registered(authenticator);
    for (const origin of [ORIGIN, 'https://desktop.example.com']) {
      const options = await assertionOptions(credential);
      const result = await verifyAssertion(relyingParty, {
        response: authenticator.authenticate(options, { origin }),
        expectedChallenge: options.challenge,
        credential,
        requireUserVerification: false,
      });
      expect(result.status).toBe('accepted');
      if (result.status === 'accepted') credential.counter = result.counter;
    }
    expect(credential.counter).toBe(2);
  });

  it.each([
    ['a bad signature', { badSignature: true }],
    ['a foreign origin', { origin: 'https://evil.example.net' }],
    ['another RP ID', { rpId: 'example.net' }],
    ['another challenge', { challenge: Buffer.alloc(32, 9).toString('base64url') }],
    ['no user presence', { userPresent: false }],
  ])('answers "wrong" for %s', async (_name, overrides) => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const credential = await registered(authenticator);
    const options = await assertionOptions(credential);
    const result = await verifyAssertion(relyingParty, {
      response: authenticator.authenticate(options, overrides),
      expectedChallenge: options.challenge,
      credential,
      requireUserVerification: false,
    });
    expect(result).toEqual({ status: 'wrong' });
  });

  it('answers "wrong" for an assertion of another credential than the stored one', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const first = await registered(authenticator);
    const second = await registered(authenticator);
    const options = await assertionOptions(first);
    const response = authenticator.authenticate(options, { credentialId: second.id });
    expect(await verifyAssertion(relyingParty, { response, expectedChallenge: options.challenge, credential: first, requireUserVerification: false })).toEqual({
      status: 'wrong',
    });
  });

  it('requires user verification only when asked to', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, userVerification: false });
    const credential = await registered(authenticator);
    const options = await assertionOptions(null, 'required');
    const response = authenticator.authenticate(options);
    const check = (requireUserVerification: boolean) =>
      verifyAssertion(relyingParty, { response, expectedChallenge: options.challenge, credential, requireUserVerification });
    expect(await check(true)).toEqual({ status: 'wrong' });
    expect(await check(false)).toMatchObject({ status: 'accepted', userVerified: false });
  });

  it('tells a counter that went backwards from a key that does not count', async () => {
    const counting = new SoftwareAuthenticator({ origin: ORIGIN });
    const credential = { ...(await registered(counting)), counter: 5 };
    const options = await assertionOptions(credential);
    const stale = counting.authenticate(options, { counter: 5 });
    expect(await verifyAssertion(relyingParty, { response: stale, expectedChallenge: options.challenge, credential, requireUserVerification: false })).toEqual({
      status: 'counter_regression',
      counter: 5,
      storedCounter: 5,
    });

    const synced = new SoftwareAuthenticator({ origin: ORIGIN, counterStep: 0, backedUp: true });
    const passkey = await registered(synced);
    for (let i = 0; i < 2; i++) {
      const again = await assertionOptions(passkey);
      const result = await verifyAssertion(relyingParty, {
        response: synced.authenticate(again),
        expectedChallenge: again.challenge,
        credential: passkey,
        requireUserVerification: true,
      });
      expect(result).toMatchObject({ status: 'accepted', counter: 0 });
    }
  });
});
