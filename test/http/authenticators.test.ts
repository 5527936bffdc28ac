import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptKeys } from '../../src/flows/shared/attempt-limits.ts';
import { ONLY_AUTHENTICATOR } from '../../src/flows/manage-authenticators.ts';
import {
  DIALECTS,
  adminToken,
  bearer,
  body,
  createMailCapture,
  createTestClock,
  createTestEnvironment,
  createUser,
  login,
  loginToken,
  loginWithCode,
  post,
  startTestApp,
  totpCode,
  type TestApp,
} from '../support/harness.ts';

// Several authenticators per account (issue 8). Time is the test's clock (the clock seam), so
// TOTP steps, drift and replay are exact: nothing sleeps, no row is edited to travel in time.
const START = Date.UTC(2027, 0, 4, 9, 0, 5); // 5 s into a step

interface ApiError {
  error: { code: string; message: string; clockSkewSeconds?: number };
}
interface AuthenticatorEntry {
  id: string;
  type: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  clockOffsetSeconds: number | null;
}

describe.each(DIALECTS)('several authenticators per account (%s)', (dialect) => {
  const clock = createTestClock(START);
  const mail = createMailCapture();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock, mailer: mail });
  });
  afterAll(async () => {
    await t.close();
  });

  const code = (secret: string, stepOffset = 0) => totpCode(secret, stepOffset, clock());
  /** The next 30-second step: codes of the step just used become fresh for each app again. */
  const nextStep = () => clock.advance(30_000);
  const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const send = (method: 'PATCH' | 'DELETE', url: string, token: string, payload: object = {}) =>
    t.app.inject({ method, url, payload, headers: bearer(token) });

  let counter = 0;
  async function userWithApp(name?: string): Promise<{ username: string; password: string; email: string; token: string; secret: string; recoveryCodes: string[] }> {
    const email = `${dialect}.auth${++counter}@example.com`;
    const user = await createUser(t.app, { email });
    const token = await loginToken(t.app, user.username, user.password);
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, token)).statusCode).toBe(200);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', name === undefined ? {} : { name }, token);
    expect(setup.statusCode).toBe(200);
    const { secret } = body<{ secret: string }>(setup);
    const enable = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: code(secret) }, token);
    expect(enable.statusCode).toBe(200);
    nextStep();
    return { ...user, email, token, secret, recoveryCodes: body<{ recoveryCodes: string[] }>(enable).recoveryCodes };
  }

  /** Password window with a current code of `proofSecret`, then setup and enable of a new app. */
  async function addApp(user: { password: string; token: string }, proofSecret: string, name: string) {
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(proofSecret) }, user.token)).statusCode).toBe(200);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', { name }, user.token);
    expect(setup.statusCode, setup.body).toBe(200);
    const { secret } = body<{ secret: string }>(setup);
    clock.advance(1000); // the user scans and types
    const enable = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: code(secret) }, user.token);
    expect(enable.statusCode, enable.body).toBe(200);
    nextStep();
    return { secret, enable: body<{ recoveryCodes?: string[]; twoFactor: unknown; authenticator: AuthenticatorEntry }>(enable) };
  }

  const authenticators = async (token: string) => body<{ authenticators: AuthenticatorEntry[] }>(await get('/api/v1/me/authenticators', token)).authenticators;

  it('enrols two apps; each logs in; both are listed by name; the second brings no new recovery codes', async () => {
    const user = await userWithApp('Work phone');
    const tablet = await addApp(user, user.secret, 'Tablet');
    expect(tablet.enable.recoveryCodes).toBeUndefined();
    expect(tablet.enable.twoFactor).toEqual({ enabled: true, method: 'totp', authenticators: 2 });
    expect(tablet.enable.authenticator).toMatchObject({ type: 'totp', name: 'Tablet', clockOffsetSeconds: 0 });

    const first = await login(t.app, user.username, user.password);
    expect(body(first)).toMatchObject({ status: 'second_factor_required', methods: ['totp', 'recovery_code'] });
    expect((await loginWithCode(t.app, user.username, user.password, code(user.secret))).statusCode).toBe(200);
    nextStep();
    expect((await loginWithCode(t.app, user.username, user.password, code(tablet.secret))).statusCode).toBe(200);

    const listed = await authenticators(user.token);
    expect(listed.map((a) => [a.type, a.name])).toEqual([
      ['totp', 'Work phone'],
      ['totp', 'Tablet'],
    ]);
    expect(listed[1]!.lastUsedAt).toBe(new Date(clock()).toISOString());
    expect(listed.every((a) => a.clockOffsetSeconds === 0)).toBe(true);
    const raw = (await get('/api/v1/me/authenticators', user.token)).body;
    expect(raw).not.toContain(user.secret);
    expect(raw).not.toMatch(/sealed|secret|Step/i);
    const me = body<{ twoFactor: unknown }>(await get('/api/v1/me', user.token));
    expect(me.twoFactor).toEqual({ enabled: true, method: 'totp', authenticators: 2 });

    // Administrators see the same entries, never secrets.
    const admin = await get(`/api/v1/admin/users/${user.username}/authenticators`, await adminToken(t.app));
    expect(admin.statusCode).toBe(200);
    expect(body<{ authenticators: AuthenticatorEntry[] }>(admin).authenticators).toEqual(listed);
    expect((await get(`/api/v1/admin/users/${user.username}/authenticators`, user.token)).statusCode).toBe(403);
    expect((await get('/api/v1/admin/users/nobody-here/authenticators', await adminToken(t.app))).statusCode).toBe(404);
  });

  it('renames without the Password window; another account\'s authenticator is not found; bad names are refused', async () => {
    const user = await userWithApp();
    const other = await userWithApp();
    const [app] = await authenticators(user.token);
    expect(app!.name).toBe('Authenticator app');
    const fresh = await loginToken(t.app, 'admin', 'admin-password-123').then(() => loginWithCode(t.app, user.username, user.password, code(user.secret)));
    const token = body<{ token: string }>(fresh).token;
    const renamed = await send('PATCH', `/api/v1/me/authenticators/${app!.id}`, token, { name: '  Work phone  ' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(body<{ authenticator: AuthenticatorEntry }>(renamed).authenticator).toMatchObject({ id: app!.id, name: 'Work phone' });
    expect((await authenticators(user.token))[0]!.name).toBe('Work phone');

    const foreign = await send('PATCH', `/api/v1/me/authenticators/${app!.id}`, other.token, { name: 'Mine now' });
    expect(foreign.statusCode).toBe(404);
    expect(body<ApiError>(foreign).error.code).toBe('not_found');
    expect((await send('DELETE', `/api/v1/me/authenticators/${app!.id}`, other.token)).statusCode).toBe(403); // no Password window yet
    for (const name of ['', '   ', 'x'.repeat(65), 'tab\there']) {
      const bad = await send('PATCH', `/api/v1/me/authenticators/${app!.id}`, token, { name });
      expect(bad.statusCode, name).toBe(400);
      expect(body<ApiError>(bad).error.code).toBe('validation_error');
    }
    expect((await authenticators(user.token))[0]!.name).toBe('Work phone');
  });

  it('refuses a sixth authenticator app with 409', async () => {
    const user = await userWithApp('One');
    for (const name of ['Two', 'Three', 'Four', 'Five']) await addApp(user, user.secret, name);
    expect(await authenticators(user.token)).toHaveLength(5);
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(user.secret) }, user.token)).statusCode).toBe(200);
    const sixth = await post(t.app, '/api/v1/me/two-factor/totp/setup', { name: 'Six' }, user.token);
    expect(sixth.statusCode).toBe(409);
    expect(body<ApiError>(sixth).error.code).toBe('conflict');
    expect(await authenticators(user.token)).toHaveLength(5);
  });

  it('refuses to remove the last one; removing another ends other sessions and its codes fail at once', async () => {
    const user = await userWithApp('Phone');
    const [phone] = await authenticators(user.token);
    expect((await send('DELETE', `/api/v1/me/authenticators/${phone!.id}`, user.token)).statusCode).toBe(403);
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(user.secret) }, user.token)).statusCode).toBe(200);
    nextStep();
    const last = await send('DELETE', `/api/v1/me/authenticators/${phone!.id}`, user.token);
    expect(last.statusCode).toBe(409);
    expect(body<ApiError>(last).error).toEqual({ code: 'conflict', message: ONLY_AUTHENTICATOR });
    expect(ONLY_AUTHENTICATOR).toBe('This is your only authenticator. To stop using two-factor authentication, turn it off instead.');

    const tablet = await addApp(user, user.secret, 'Tablet');
    const elsewhere = body<{ token: string }>(await loginWithCode(t.app, user.username, user.password, code(tablet.secret))).token;
    nextStep();
    // A Password window from before the tablet was added does not count: two-factor changed since.
    expect((await send('DELETE', `/api/v1/me/authenticators/${phone!.id}`, user.token)).statusCode).toBe(403);
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(tablet.secret) }, user.token)).statusCode).toBe(200);
    const removed = await send('DELETE', `/api/v1/me/authenticators/${phone!.id}`, user.token);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(body(removed)).toEqual({ message: 'Edited successfully.' });
    expect((await get('/api/v1/me', elsewhere)).statusCode).toBe(401);
    expect((await get('/api/v1/me', user.token)).statusCode).toBe(200);

    // The phone's current code, never used, no longer signs in; the tablet's does.
    const refused = await loginWithCode(t.app, user.username, user.password, code(user.secret));
    expect(refused.statusCode).toBe(401);
    expect(body<ApiError>(refused).error.code).toBe('invalid_code');
    nextStep();
    expect((await loginWithCode(t.app, user.username, user.password, code(tablet.secret))).statusCode).toBe(200);
    expect((await send('DELETE', `/api/v1/me/authenticators/${phone!.id}`, user.token)).statusCode).toBe(404);
  });

  it('keeps replay state per app, and gives twenty parallel submissions of one code one session', async () => {
    const user = await userWithApp('A');
    const b = await addApp(user, user.secret, 'B');
    // The same step T: A's code, then B's code, are each accepted once.
    expect((await loginWithCode(t.app, user.username, user.password, code(user.secret))).statusCode).toBe(200);
    expect((await loginWithCode(t.app, user.username, user.password, code(b.secret))).statusCode).toBe(200);
    const again = await loginWithCode(t.app, user.username, user.password, code(user.secret));
    expect(again.statusCode).toBe(401);
    expect(body<ApiError>(again).error.message).toMatch(/already used/);

    nextStep();
    // Twenty challenges (the password step one at a time: its own limit holds slots per username).
    const challenges: string[] = [];
    for (let i = 0; i < 20; i++) challenges.push(body<{ challengeId: string }>(await login(t.app, user.username, user.password)).challengeId);
    const shared = code(b.secret);
    const answers = await Promise.all(
      challenges.map((challengeId) => post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: shared })),
    );
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const loser of answers.filter((r) => r.statusCode !== 200)) {
      expect([401, 429], loser.body).toContain(loser.statusCode);
      expect(loser.body).not.toContain('"token"');
    }
  });

  it('hints at a phone clock 3 minutes behind, never accepts that code and counts it; gives no hint for one 3 minutes ahead', async () => {
    const user = await userWithApp();
    const counter = async () => (await t.services.flows.store.findAttemptCounter(attemptKeys.secondFactor((await t.services.flows.store.findAccountByUsernameKey(user.username))!.id)))?.failures ?? 0;
    const wrong = body<ApiError>(await loginWithCode(t.app, user.username, user.password, '000000')).error;
    const before = await counter();

    const behind = await loginWithCode(t.app, user.username, user.password, code(user.secret, -6));
    expect(behind.statusCode).toBe(401);
    const hint = body<ApiError>(behind).error;
    expect(hint.code).toBe('invalid_code');
    expect(hint.clockSkewSeconds).toBe(-180);
    expect(hint.message).toMatch(/180 seconds behind/);
    expect(await counter()).toBe(before + 1);

    const ahead = await loginWithCode(t.app, user.username, user.password, code(user.secret, 6));
    expect(ahead.statusCode).toBe(401);
    expect(body<ApiError>(ahead).error).toEqual(wrong);
    expect(await counter()).toBe(before + 2);

    // The Password window says the same.
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(user.secret, -4) }, user.token);
    expect(reauth.statusCode).toBe(401);
    expect(body<ApiError>(reauth).error.clockSkewSeconds).toBe(-120);
    expect(await counter()).toBe(before + 3);
  });

  it('records amr on sessions: password only, password + app, password + email, password + recovery code', async () => {
    const session = async (token: string) => body<{ session: { amr: string[]; authenticatedAt: string } }>(await get('/api/v1/me', token)).session;
    const plain = await createUser(t.app);
    clock.advance(1234);
    const plainSession = await session(await loginToken(t.app, plain.username, plain.password));
    expect(plainSession).toMatchObject({ amr: ['pwd'], authenticatedAt: new Date(clock()).toISOString() });

    const user = await userWithApp();
    const withApp = await loginWithCode(t.app, user.username, user.password, code(user.secret));
    expect(await session(body<{ token: string }>(withApp).token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
    const withRecovery = await loginWithCode(t.app, user.username, user.password, user.recoveryCodes[0]!, 'recovery_code');
    expect(await session(body<{ token: string }>(withRecovery).token)).toMatchObject({ amr: ['pwd', 'mfa'] });

    // The email method as a second authenticator beside the app: no new recovery codes.
    nextStep();
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(user.secret) }, user.token)).statusCode).toBe(200);
    expect((await post(t.app, '/api/v1/me/two-factor/email/setup', {}, user.token)).statusCode).toBe(202);
    const enabled = await post(t.app, '/api/v1/me/two-factor/email/enable', { code: mail.lastCode(user.email) }, user.token);
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(body(enabled)).not.toHaveProperty('recoveryCodes');
    expect(body(enabled)).toMatchObject({ twoFactor: { enabled: true, method: 'totp', authenticators: 2 } });
    const secondEmail = await post(t.app, '/api/v1/me/two-factor/email/setup', {}, user.token);
    expect(secondEmail.statusCode).toBe(409);

    const first = await login(t.app, user.username, user.password);
    const { challengeId, methods } = body<{ challengeId: string; methods: string[] }>(first);
    expect(methods).toEqual(['totp', 'email', 'recovery_code']);
    expect((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode).toBe(202);
    const byEmail = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: mail.lastCode(user.email) });
    expect(byEmail.statusCode, byEmail.body).toBe(200);
    expect(await session(body<{ token: string }>(byEmail).token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
    const listed = await authenticators(user.token);
    expect(listed.map((a) => [a.type, a.name, a.clockOffsetSeconds])).toEqual([
      ['totp', 'Authenticator app', 0],
      ['email', 'Email', null],
    ]);
    expect(listed[1]!.lastUsedAt).toBe(new Date(clock()).toISOString());

    // The Password window records its amr too.
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: user.recoveryCodes[1]! }, user.token);
    expect(body(reauth)).toMatchObject({ secondFactorVerified: true, amr: ['pwd', 'mfa'] });
  });

  it('resets the consecutive-failure count on a right code: 9 wrong, 1 right, 1 wrong is not a lock', async () => {
    const user = await userWithApp();
    const wrong = () => code(user.secret, 5); // a future step: never valid, never hinted
    const answer = (challengeId: string, c: string) => post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: c });
    const challenge = async () => body<{ challengeId: string }>(await login(t.app, user.username, user.password)).challengeId;
    let id = await challenge();
    for (let i = 0; i < 5; i++) expect((await answer(id, wrong())).statusCode).toBe(401);
    id = await challenge();
    for (let i = 0; i < 4; i++) expect((await answer(id, wrong())).statusCode).toBe(401);
    expect((await answer(id, code(user.secret))).statusCode).toBe(200);
    const after = await answer(await challenge(), wrong());
    expect(after.statusCode).toBe(401);
    expect(body<ApiError>(after).error.code).toBe('invalid_code');
    nextStep();
    expect((await loginWithCode(t.app, user.username, user.password, code(user.secret))).statusCode).toBe(200);
  });
});
