import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { DIALECTS, body, createTestEnvironment, createUser, loginToken, post, startTestApp, type TestApp } from '../support/harness.ts';
import { del, expectError, get, startChallenge } from '../support/security.ts';
import { noticeMail } from '../../src/mail/templates.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV, loginOptions, passkeyOptions, reauth, registerKey } from '../support/webauthn.ts';

// Passkeys and security keys over real HTTP on each dialect, with a software authenticator that
// answers exactly as @simplewebauthn/browser would: register, second factor, Password window,
// passwordless, removal. The security rules (races, limits, counters) are in webauthn-security.
describe.each(DIALECTS)('passkeys and security keys (%s)', (dialect) => {
  let t: TestApp;
  const notices: { username: string; notice: string; details: Record<string, string> }[] = [];
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, WEBAUTHN_ENV), {
      notifier: { notify: async (account, notice, details) => void notices.push({ username: account.username, notice, details }) },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function userWithKey(options: { attachment?: 'platform' | 'cross-platform'; userVerification?: boolean } = {}) {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL, attachment: options.attachment, userVerification: options.userVerification });
    const registered = await registerKey(t.app, token, key, { password: user.password, name: 'YubiKey' });
    expect(registered.response.statusCode, registered.response.body).toBe(200);
    return { ...user, token, key, keyId: registered.id, recoveryCodes: registered.recoveryCodes ?? [] };
  }

  it('registers a first key as an app would be: two-factor on, "Edited successfully.", recovery codes', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    expectError(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, token), 403, 'reauth_required');
    await reauth(t.app, token, user.password);
    const creation = await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, token);
    expect(creation.statusCode).toBe(200);
    const options = body<PublicKeyCredentialCreationOptionsJSON>(creation);
    expect(options).toMatchObject({
      rp: { id: 'uc.twofold.test', name: 'Twofold Test' },
      user: { name: user.username },
      attestation: 'none',
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    expect(options.timeout).toBeGreaterThan(0);
    expect(options.pubKeyCredParams.some((p) => p.alg === -7)).toBe(true);

    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL, attachment: 'cross-platform' });
    const response = await post(t.app, '/api/v1/me/two-factor/webauthn/registration', { name: 'YubiKey', response: key.register(options) }, token);
    expect(response.statusCode, response.body).toBe(200);
    const json = body<{ message: string; authenticator: Record<string, unknown>; recoveryCodes: string[]; twoFactor: Record<string, unknown> }>(response);
    expect(json.message).toBe('Edited successfully.');
    expect(json.recoveryCodes).toHaveLength(10);
    expect(json.authenticator).toMatchObject({ type: 'webauthn', name: 'YubiKey', lastUsedAt: null });
    expect(json.twoFactor).toMatchObject({ enabled: true, method: 'webauthn', authenticators: 1 });

    const list = body<{ authenticators: Record<string, unknown>[] }>(await get(t.app, '/api/v1/me/authenticators', token));
    expect(list.authenticators).toEqual([
      { id: json.authenticator.id, type: 'webauthn', name: 'YubiKey', createdAt: expect.any(String), lastUsedAt: null, clockOffsetSeconds: null },
    ]);
    // Nothing of the key's material is shown anywhere.
    expect(JSON.stringify(list)).not.toContain(key.credentials[0]!.id);

    const login = body<{ methods: string[] }>(await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop' }));
    expect(login.methods).toEqual(['webauthn', 'recovery_code']);

    // The owner hears of it, in the words the issue gives.
    const notice = notices.find((n) => n.username === user.username && n.notice === 'authenticator_added');
    expect(notice?.details).toMatchObject({ name: 'YubiKey', kind: 'passkey', twoFactorTurnedOn: 'yes' });
    const mail = noticeMail({ to: 'pat@example.com', notice: 'authenticator_added', details: notice!.details, issuer: 'Twofold', username: user.username });
    expect(mail.subject).toBe('Twofold: A passkey was added to your account');
    expect(mail.text).toContain('"YubiKey"');
  });

  it('refuses a registration that does not verify with 400 invalid_code, and a spent registration challenge', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL });
    for (const overrides of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { challenge: Buffer.alloc(32, 1).toString('base64url') }]) {
      const result = await registerKey(t.app, token, key, { password: user.password, overrides });
      expectError(result.response, 400, 'invalid_code');
    }
    // The challenge is spent by the attempt: the same options cannot be answered again.
    const creation = body<PublicKeyCredentialCreationOptionsJSON>(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, token));
    const first = key.register(creation, { origin: 'https://evil.example' });
    expectError(await post(t.app, '/api/v1/me/two-factor/webauthn/registration', { response: first }, token), 400, 'invalid_code');
    expectError(await post(t.app, '/api/v1/me/two-factor/webauthn/registration', { response: key.register(creation) }, token), 400, 'invalid_code');
    expect(body<{ authenticators: unknown[] }>(await get(t.app, '/api/v1/me/authenticators', token)).authenticators).toEqual([]);
  });

  it('asks for the second factor to add a key while two-factor is on, excludes the keys it has, and stops at 10', async () => {
    const user = await userWithKey();
    // Password alone is not enough any more.
    await reauth(t.app, user.token, user.password);
    expectError(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, user.token), 403, 'reauth_required');

    const ids = [user.key.credentials[0]!.id];
    for (let n = 2; n <= 10; n++) {
      const laptop = new SoftwareAuthenticator({ origin: PUBLIC_URL });
      await reauth(t.app, user.token, user.password, { key: user.key });
      const creation = body<PublicKeyCredentialCreationOptionsJSON>(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, user.token));
      expect(creation.excludeCredentials?.map((c) => c.id).sort()).toEqual([...ids].sort());
      const added = await post(t.app, '/api/v1/me/two-factor/webauthn/registration', { name: `Laptop ${n}`, response: laptop.register(creation) }, user.token);
      expect(added.statusCode, added.body).toBe(200);
      // Only the first key turned two-factor on: no new recovery codes after it.
      expect(body<{ recoveryCodes?: string[] }>(added).recoveryCodes).toBeUndefined();
      ids.push(laptop.credentials[0]!.id);
    }
    await reauth(t.app, user.token, user.password, { key: user.key });
    expectError(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, user.token), 409, 'conflict');
  });

  it('logs in with password + key, userVerification "preferred": a key without user verification is accepted', async () => {
    const user = await userWithKey({ userVerification: false, attachment: 'cross-platform' });
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const options = await loginOptions(t.app, challengeId);
    expect(options).toMatchObject({ rpId: 'uc.twofold.test', userVerification: 'preferred', allowCredentials: [{ id: user.key.credentials[0]!.id, type: 'public-key' }] });
    const response = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: user.key.authenticate(options) });
    expect(response.statusCode, response.body).toBe(200);
    const json = body<{ status: string; token: string }>(response);
    expect(json.status).toBe('ok');
    const me = body<{ session: { amr: string[] } }>(await get(t.app, '/api/v1/me', json.token));
    expect(me.session.amr).toEqual(['pwd', 'hwk', 'mfa']);
    const list = body<{ authenticators: { lastUsedAt: string | null }[] }>(await get(t.app, '/api/v1/me/authenticators', json.token));
    expect(list.authenticators[0]!.lastUsedAt).not.toBeNull();
  });

  it('keeps the other methods: a recovery code still logs in an account whose only authenticator is a key', async () => {
    const user = await userWithKey();
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const response = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'recovery_code', code: user.recoveryCodes[0] });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('confirms the Password window with a key in place of a code', async () => {
    const user = await userWithKey();
    const response = await reauth(t.app, user.token, user.password, { key: user.key });
    expect(body(response)).toMatchObject({ secondFactorVerified: true, amr: ['pwd', 'swk', 'mfa'] });
    // A failing assertion there is 401 invalid_code, like a wrong code.
    const options = await post(t.app, '/api/v1/me/reauth/webauthn/options', {}, user.token);
    const bad = user.key.authenticate(body(options), { badSignature: true });
    expectError(await post(t.app, '/api/v1/me/reauth', { password: user.password, webauthn: bad }, user.token), 401, 'invalid_code');
  });

  it('logs in without a password with a discoverable key and user verification: amr swk/hwk + user + mfa, same session as any login', async () => {
    for (const attachment of ['platform', 'cross-platform'] as const) {
      const user = await userWithKey({ attachment });
      const options = await passkeyOptions(t.app);
      expect(options).toMatchObject({ rpId: 'uc.twofold.test', userVerification: 'required', allowCredentials: [] });
      expect(options.passkeyChallengeId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      const { passkeyChallengeId, ...request } = options;
      const response = await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'mobile', deviceName: 'Pixel' });
      expect(response.statusCode, response.body).toBe(200);
      const json = body<{ status: string; token: string; expiresAt: string; user: { username: string } }>(response);
      expect(json).toMatchObject({ status: 'ok', user: { username: user.username } });
      const me = body<{ session: { amr: string[]; client: string } }>(await get(t.app, '/api/v1/me', json.token));
      expect(me.session).toMatchObject({ client: 'mobile', amr: [attachment === 'platform' ? 'swk' : 'hwk', 'user', 'mfa'] });
    }
  });

  it('sets the session cookie for a web passkey login', async () => {
    const user = await userWithKey();
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const response = await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'web' });
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/HttpOnly/i);
  });

  it('a passkey login leaves a device credential, renews the one presented, and can trust the device (issue 11)', async () => {
    const user = await userWithKey();
    const passkeyLogin = async (extra: object) => {
      const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
      const response = await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'desktop', ...extra });
      expect(response.statusCode, response.body).toBe(200);
      return body<{ token: string; deviceToken: string }>(response);
    };
    const first = await passkeyLogin({});
    expect(first.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Presented again (the query runs outside the session's transaction: on SQLite one inside would wait forever).
    const second = await passkeyLogin({ deviceToken: first.deviceToken, trustDevice: true });
    expect(second.deviceToken).not.toBe(first.deviceToken);
    const me = body<{ session: { secondFactor: string } }>(await get(t.app, '/api/v1/me', second.token));
    expect(me.session.secondFactor).toBe('webauthn');
    const devices = body<{ devices: Array<{ client: string; current: boolean }> }>(await get(t.app, '/api/v1/me/trusted-devices', second.token)).devices;
    expect(devices).toEqual([expect.objectContaining({ client: 'desktop', current: true })]);
  });

  it('refuses a passwordless assertion without user verification, even from a key registered with it', async () => {
    const user = await userWithKey({ userVerification: true });
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const response = await post(t.app, '/api/v1/auth/login/passkey', {
      passkeyChallengeId,
      response: user.key.authenticate(request, { userVerified: false }),
      client: 'desktop',
    });
    expectError(response, 401, 'invalid_credentials');
  });

  it('gives one answer for an unknown credential, a bad signature and a spent challenge', async () => {
    const user = await userWithKey();
    // A credential this server never registered (same key material, another id).
    const unknown = new SoftwareAuthenticator({ origin: PUBLIC_URL });
    unknown.credentials.push({ ...user.key.credentials[0]!, id: Buffer.alloc(32, 5).toString('base64url') });
    const messages = new Set<string>();
    for (const make of [
      (r: Parameters<SoftwareAuthenticator['authenticate']>[0]) => unknown.authenticate(r),
      (r: Parameters<SoftwareAuthenticator['authenticate']>[0]) => user.key.authenticate(r, { badSignature: true }),
    ]) {
      const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
      messages.add(expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: make(request), client: 'desktop' }), 401, 'invalid_credentials').error.message);
    }
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const good = user.key.authenticate(request);
    expect((await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: good, client: 'desktop' })).statusCode).toBe(200);
    const again = user.key.authenticate(request);
    messages.add(expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: again, client: 'desktop' }), 401, 'invalid_credentials').error.message);
    expect(messages.size).toBe(1);
  });

  it('refuses a removed key at once, at login and without a password', async () => {
    const user = await userWithKey();
    const spare = new SoftwareAuthenticator({ origin: PUBLIC_URL });
    const second = await registerKey(t.app, user.token, spare, { password: user.password, secondFactor: { key: user.key } });
    expect(second.response.statusCode).toBe(200);
    // Removal is the authenticators issue's DELETE, through the Password window with a key.
    await reauth(t.app, user.token, user.password, { key: spare });
    expect((await del(t.app, `/api/v1/me/authenticators/${user.keyId}`, user.token)).statusCode).toBe(200);

    const challengeId = await startChallenge(t.app, user.username, user.password);
    const options = await loginOptions(t.app, challengeId);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([spare.credentials[0]!.id]);
    const removed = user.key.authenticate({ ...options, allowCredentials: [] });
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: removed }), 401, 'invalid_code');

    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'desktop' }), 401, 'invalid_credentials');
  });

  it("removes every key with the administrator's disable, so none logs in afterwards", async () => {
    const user = await userWithKey();
    const admin = await loginToken(t.app, 'admin', 'admin-password-123');
    await reauth(t.app, admin, 'admin-password-123');
    expect((await del(t.app, `/api/v1/admin/users/${user.username}/two-factor`, admin)).statusCode).toBe(200);
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'desktop' }), 401, 'invalid_credentials');
  });
});
