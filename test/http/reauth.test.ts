import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestEnvironment, createUser, loginToken, post, startTestApp, totpCode, type TestApp, codesAt, createTestClock } from '../support/harness.ts';
import { del, enrollTOTP, expectError, get, wrongCode } from '../support/security.ts';

// The Password window: sensitive changes need a recent password (and, to change two-factor while
// it is on, a current code proven after two-factor was last changed).
describe.each(DIALECTS)('reauthentication (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function signedIn() {
    const user = await createUser(t.app);
    return { ...user, token: await loginToken(t.app, user.username, user.password) };
  }

  /** Signed in on a desktop that keeps its device token (a known device from then on). */
  async function signedInOnDevice() {
    const user = await createUser(t.app);
    const answer = body<{ token: string; deviceToken: string }>(await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop' }));
    return { ...user, token: answer.token, deviceToken: answer.deviceToken };
  }

  async function me(token: string) {
    const response = await get(t.app, '/api/v1/me', token);
    expect(response.statusCode).toBe(200);
    return body<{ twoFactor: { enabled: boolean; method: string | null }; session: { id: string } }>(response);
  }


  it('warns before wrong passwords in the Password window pause logins, and says what is paused (issue 13 #4)', async () => {
    const user = await signedInOnDevice();
    const answers: { code: string; message: string; attemptsLeft?: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await post(t.app, '/api/v1/me/reauth', { password: 'wrong-password' }, user.token);
      expect(response.statusCode).toBe(401);
      answers.push(body<{ error: { code: string; message: string; attemptsLeft?: number } }>(response).error);
    }
    // Silent while many are left, then counted down, from the server, for every client.
    expect(answers.slice(0, 6).map((a) => a.attemptsLeft)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(answers.slice(6).map((a) => a.attemptsLeft)).toEqual([3, 2, 1, 0]);
    // The session was made on a known device, so its wrong passwords spend that device's budget (issue 11).
    expect(answers[7]!.message).toBe('The password is incorrect. 2 attempts left before logins from this device are paused for 15 minutes.');
    expect(answers[8]!.message).toBe('The password is incorrect. 1 attempt left before logins from this device are paused for 15 minutes.');
    expect(answers[9]!.message).toMatch(/^The password is incorrect\. Too many wrong passwords: logins from this device are paused for 15 minutes\./);
    // And it is so: the right password no longer logs in from this device (the same answer as any lock)...
    const login = await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop', deviceToken: user.deviceToken });
    expect(login.statusCode).toBe(429);
    expect(body<{ error: { message: string } }>(login).error.message).toBe(
      'Too many attempts. Logins to this account with a password are paused: try again in 15 minutes.',
    );
    // ...while the owner's other clients are not locked by whoever holds this session.
    expect((await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'mobile' })).statusCode).toBe(200);
  });

  it('a session without a known device (older than device credentials) spends the username budget, as before', async () => {
    const user = await signedIn();
    const session = (await me(user.token)).session.id;
    await t.services.database.db.updateTable('sessions').set({ device_id: null }).where('id', '=', session).execute();
    for (let i = 0; i < 10; i++) await post(t.app, '/api/v1/me/reauth', { password: 'wrong-password' }, user.token);
    const login = await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'mobile' });
    expect(login.statusCode).toBe(429);
  });

  it('hands back the pending authenticator key on request, and a new one otherwise (issue 13 #3)', async () => {
    const user = await signedIn();
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, user.token)).statusCode).toBe(200);
    const setup = async (payload: unknown) => body<{ secret: string; reused: boolean }>(await post(t.app, '/api/v1/me/two-factor/totp/setup', payload, user.token));
    const first = await setup({ reusePending: true });
    expect(first.reused).toBe(false);
    const again = await setup({ reusePending: true });
    expect(again).toMatchObject({ secret: first.secret, reused: true });
    const fresh = await setup({});
    expect(fresh.reused).toBe(false);
    expect(fresh.secret).not.toBe(first.secret);
    expect(await setup({ reusePending: true })).toMatchObject({ secret: fresh.secret, reused: true });
    // The kept key is the one that enables.
    const enabled = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(fresh.secret, 0, clock()) }, user.token);
    expect(enabled.statusCode).toBe(200);
  });

  it('lasts 5 minutes: 5 min 1 s later (the clock seam) a reauthentication no longer opens setup', async () => {
    const user = await signedIn();
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, user.token)).statusCode).toBe(200);
    clock.advance(4 * 60_000);
    expect((await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, user.token)).statusCode).toBe(200);
    clock.advance(60_000 + 1_000);
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, user.token), 403, 'reauth_required');
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: '123456' }, user.token), 403, 'reauth_required');
  });

  it('turns two-factor off only after a reauthentication with a valid code', async () => {
    const user = await signedIn();
    const { secret } = await enrollTOTP(t.app, user.token, user.password);

    // Password only: not enough while two-factor is on.
    const passwordOnly = await post(t.app, '/api/v1/me/reauth', { password: user.password }, user.token);
    expect(passwordOnly.statusCode).toBe(200);
    expect(body(passwordOnly)).toMatchObject({ secondFactorVerified: false });
    expectError(await del(t.app, '/api/v1/me/two-factor', user.token), 403, 'reauth_required');

    // A wrong code: 401 invalid_code, and still not enough.
    expectError(await post(t.app, '/api/v1/me/reauth', { password: user.password, code: wrongCode(secret, clock()) }, user.token), 401, 'invalid_code');
    expectError(await del(t.app, '/api/v1/me/two-factor', user.token), 403, 'reauth_required');
    // A right code with a wrong password proves nothing.
    expectError(await post(t.app, '/api/v1/me/reauth', { password: 'not-the-password', code: totpCode(secret, 0, clock()) }, user.token), 401, 'invalid_credentials');
    expectError(await del(t.app, '/api/v1/me/two-factor', user.token), 403, 'reauth_required');

    const withCode = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: totpCode(secret, 0, clock()) }, user.token);
    expect(withCode.statusCode).toBe(200);
    expect(body(withCode)).toMatchObject({ secondFactorVerified: true });
    const off = await del(t.app, '/api/v1/me/two-factor', user.token);
    expect(off.statusCode).toBe(200);
    expect(body(off)).toMatchObject({ message: 'Edited successfully.' });
    expect((await me(user.token)).twoFactor).toEqual({ enabled: false, method: null, authenticators: 0 });
    expect(body(await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop' }))).toMatchObject({
      status: 'ok',
    });
  });

  it('does not count a reauthentication from before two-factor was (re)enabled', async () => {
    const user = await signedIn();
    // Reauthenticated (password only) while two-factor was off, then enabled in the same window.
    const first = await enrollTOTP(t.app, user.token, user.password);
    expectError(await del(t.app, '/api/v1/me/two-factor', user.token), 403, 'reauth_required');

    // A reauthentication WITH a code, then two-factor off and on again inside the 5 minutes:
    // that proof was for the old authenticator and does not count for the new one.
    const codes = codesAt(first.secret, clock());
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: codes.current }, user.token)).statusCode).toBe(200);
    expect((await del(t.app, '/api/v1/me/two-factor', user.token)).statusCode).toBe(200);
    // Re-enabled a second later (the clock seam), still inside the 5-minute window.
    clock.advance(1_000);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, user.token);
    expect(setup.statusCode).toBe(200);
    const secret = body<{ secret: string }>(setup).secret;
    const enable = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, user.token);
    expect(enable.statusCode).toBe(200);
    expect((await me(user.token)).twoFactor).toEqual({ enabled: true, method: 'totp', authenticators: 1 });
    expectError(await del(t.app, '/api/v1/me/two-factor', user.token), 403, 'reauth_required');
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, user.token), 403, 'reauth_required');
    expect((await me(user.token)).twoFactor).toEqual({ enabled: true, method: 'totp', authenticators: 1 });
  });

  it('accepts a recovery code as the reauthentication code, once', async () => {
    const user = await signedIn();
    const { recoveryCodes } = await enrollTOTP(t.app, user.token, user.password);
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: recoveryCodes[3]! }, user.token);
    expect(reauth.statusCode).toBe(200);
    expect(body(reauth)).toMatchObject({ secondFactorVerified: true });
    expect(body(await get(t.app, '/api/v1/me', user.token))).toMatchObject({ recoveryCodesLeft: 9 });
    // Spent: a second reauthentication with it is refused.
    expectError(await post(t.app, '/api/v1/me/reauth', { password: user.password, code: recoveryCodes[3]! }, user.token), 401, 'invalid_code');
    // Another recovery code proves the second factor for turning it off.
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: recoveryCodes[4]!.toLowerCase() }, user.token)).statusCode).toBe(200);
    const off = await del(t.app, '/api/v1/me/two-factor', user.token);
    expect(off.statusCode).toBe(200);
    expect((await me(user.token)).twoFactor).toEqual({ enabled: false, method: null, authenticators: 0 });
  });
});
