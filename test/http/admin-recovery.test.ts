import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestClock, createTestEnvironment, login, post, startTestApp, totpCode, type TestApp } from '../support/harness.ts';
import { expectError, get, secondFactorKey } from '../support/security.ts';
import { adminWithApp, enableApp, expectOk, nextCode } from '../support/two-factor-policy.ts';

const CODE_SHAPE = /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/;

interface Answer {
  status: string;
  challengeId?: string;
  methods?: string[];
  enrollmentToken?: string;
  token?: string;
}

describe.each(DIALECTS)('an administrator recovers a user (%s)', (dialect) => {
  const clock = createTestClock(Date.UTC(2026, 2, 4, 9, 0, 0));
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof adminWithApp>>;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
    admin = await adminWithApp(t.app, clock);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A user with an authenticator app (then "lost"), an open session and recovery codes. */
  const userWithApp = async () => {
    n += 1;
    const user = { username: `r${n}-${dialect}`, password: `recovery-password-${n}` };
    expectOk(await post(t.app, '/api/v1/admin/users', user, await admin.session()));
    const session = body<Answer>(await login(t.app, user.username, user.password)).token!;
    const secret = await enableApp(t.app, clock, session, user.password);
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    return { ...user, session, secret, id };
  };
  const issue = async (username: string) => {
    const response = await post(t.app, `/api/v1/admin/users/${username}/two-factor/recovery`, {}, await admin.session());
    expect(response.statusCode, response.body).toBe(201);
    return body<{ code: string; expiresAt: string }>(response);
  };
  const challenge = async (username: string, password: string): Promise<string> => {
    const answer = body<Answer>(await login(t.app, username, password));
    expect(answer.status).toBe('second_factor_required');
    return answer.challengeId!;
  };
  const answerWith = (challengeId: string, code: string) => post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'admin_recovery', code });

  it('issues XXXXX-XXXXX-XXXXX for 24 hours, only to an administrator in the Password window, stored as a keyed digest', async () => {
    const user = await userWithApp();
    expectError(await post(t.app, `/api/v1/admin/users/${user.username}/two-factor/recovery`, {}), 401, 'unauthorized');
    expectError(await post(t.app, `/api/v1/admin/users/${user.username}/two-factor/recovery`, {}, user.session), 403, 'forbidden');
    expectError(await post(t.app, '/api/v1/admin/users/nobody-here/two-factor/recovery', {}, await admin.session()), 404, 'not_found');
    expectError(await post(t.app, `/api/v1/admin/users/${user.username}/two-factor/recovery`, { extra: 1 }, await admin.session()), 400, 'validation_error');
    const issued = await issue(user.username);
    expect(issued.code).toMatch(CODE_SHAPE);
    expect(Date.parse(issued.expiresAt) - clock()).toBe(24 * 60 * 60_000);
    const rows = await t.services.database.db.selectFrom('admin_recovery_codes').selectAll().where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(issued.code);
    expect(stored).not.toContain(issued.code.replaceAll('-', ''));
    // Audited without the code, and the user is told.
    const events = body<{ events: { type: string; actor: string; detail: object | null }[] }>(await get(t.app, `/api/v1/admin/audit-events?username=${user.username}&limit=5`, await admin.session())).events;
    const event = events.find((e) => e.type === 'two_factor.recovery_issued')!;
    expect(event.actor).toBe('admin');
    expect(JSON.stringify(event)).not.toContain(issued.code);
  });

  it('is not offered in methods; with the password it leads to a forced re-enrollment that removes the old authenticators and ends every session', async () => {
    const user = await userWithApp();
    const oldCodes = await t.services.flows.store.countUnusedRecoveryCodes(user.id);
    expect(oldCodes).toBe(10);
    const oldAuthenticator = (await t.services.flows.store.listAuthenticators(user.id))[0]!;
    const { code } = await issue(user.username);
    const first = body<Answer>(await login(t.app, user.username, user.password));
    expect(first.methods).not.toContain('admin_recovery');
    const answer = body<Answer>(expectOk(await answerWith(first.challengeId!, code.toLowerCase().replaceAll('-', ' '))));
    expect(answer).toEqual({ status: 'two_factor_enrollment_required', enrollmentToken: expect.any(String), expiresAt: expect.any(String), trustedDeviceDays: 180 });
    const enrollment = answer.enrollmentToken!;
    // Nothing is removed until the new authenticator is confirmed; the enrollment token opens only the setup.
    expect(await t.services.flows.store.countAuthenticators(user.id)).toBe(1);
    expectError(await get(t.app, '/api/v1/me/sessions', enrollment), 403, 'two_factor_required');
    expect(body<{ enrollment: { reason: string } }>(await get(t.app, '/api/v1/me', enrollment)).enrollment.reason).toBe('admin_recovery');

    const setup = body<{ secret: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, enrollment)));
    const enabled = body<{ message: string; token: string; recoveryCodes: string[] }>(
      expectOk(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 0, clock()) }, enrollment)),
    );
    expect(enabled.message).toBe('Edited successfully.');
    expect(enabled.recoveryCodes).toHaveLength(10);
    const now = await t.services.flows.store.listAuthenticators(user.id);
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(oldAuthenticator.id);
    // The session from before is over; the new one works.
    expectError(await get(t.app, '/api/v1/me', user.session), 401, 'unauthorized');
    expect(body<{ username: string }>(expectOk(await get(t.app, '/api/v1/me', enabled.token))).username).toBe(user.username);
    // The old app no longer signs in; the new one does.
    let challengeId = await challenge(user.username, user.password);
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: nextCode(clock, user.secret) }), 401, 'invalid_code');
    challengeId = await challenge(user.username, user.password);
    expect((await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: nextCode(clock, setup.secret) })).statusCode).toBe(200);
    // The code is spent.
    expectError(await answerWith(await challenge(user.username, user.password), code), 401, 'invalid_code');
    const types = body<{ events: { type: string }[] }>(await get(t.app, `/api/v1/admin/audit-events?username=${user.username}&limit=30`, await admin.session())).events.map((e) => e.type);
    expect(types).toContain('two_factor.recovered');
  });

  it('ends every trusted device, and the device that finishes the setup may be trusted', async () => {
    const user = await userWithApp();
    // The user's laptop was trusted before the phone was lost.
    let challengeId = await challenge(user.username, user.password);
    const trusted = body<{ deviceToken: string }>(
      expectOk(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: nextCode(clock, user.secret), trustDevice: true })),
    ).deviceToken;
    const withDevice = (deviceToken: string) => post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop', deviceToken });
    expect(body<Answer>(await withDevice(trusted)).status).toBe('ok');

    // Recovery from another computer, trusting it at the end of the setup.
    const { code } = await issue(user.username);
    const enrollment = body<Answer>(expectOk(await answerWith(await challenge(user.username, user.password), code))).enrollmentToken!;
    const setup = body<{ secret: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, enrollment)));
    const enabled = body<{ token: string; deviceToken: string }>(
      expectOk(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 0, clock()), trustDevice: true }, enrollment)),
    );
    expect(enabled.deviceToken).toEqual(expect.any(String));

    // The laptop trusted before asks for the code again; the computer trusted just now does not.
    challengeId = body<Answer>(await withDevice(trusted)).challengeId!;
    expect(challengeId).toEqual(expect.any(String));
    expect(body<Answer>(await withDevice(enabled.deviceToken)).status).toBe('ok');
    const types = body<{ events: { type: string; detail: { reason?: string } | null }[] }>(
      await get(t.app, `/api/v1/admin/audit-events?username=${user.username}&limit=30`, await admin.session()),
    ).events.filter((e) => e.type === 'devices.trust_ended');
    expect(types.map((e) => e.detail?.reason)).toContain('two_factor_recovered');
  });

  it('is used once: 20 logins presenting it at once, one gets the enrollment token', async () => {
    const user = await userWithApp();
    const { code } = await issue(user.username);
    const challenges: string[] = [];
    for (let i = 0; i < 20; i++) challenges.push(await challenge(user.username, user.password));
    const answers = await Promise.all(challenges.map((id) => answerWith(id, code)));
    const winners = answers.filter((a) => a.statusCode === 200);
    expect(winners).toHaveLength(1);
    expect(body<Answer>(winners[0]!).status).toBe('two_factor_enrollment_required');
    // The others lost the guarded statement (401) or found the account's limit full of checks in flight (429).
    const losers = answers.filter((a) => a.statusCode !== 200);
    for (const loser of losers) expect([401, 429], loser.body).toContain(loser.statusCode);
    expect(losers.some((a) => a.statusCode === 401)).toBe(true);
    const tokens = await t.services.database.db.selectFrom('enrollment_tokens').select('id').where('user_id', '=', user.id).execute();
    expect(tokens).toHaveLength(1);
    await t.services.flows.store.clearAttemptCounter(secondFactorKey(user.id));
  });

  it('expires after 24 hours (clock seam)', async () => {
    const user = await userWithApp();
    const { code } = await issue(user.username);
    clock.advance(24 * 60 * 60_000);
    expectError(await answerWith(await challenge(user.username, user.password), code), 401, 'invalid_code');
  });

  it('a new code replaces the old one', async () => {
    const user = await userWithApp();
    const old = await issue(user.username);
    const replacement = await issue(user.username);
    expect(replacement.code).not.toBe(old.code);
    expectError(await answerWith(await challenge(user.username, user.password), old.code), 401, 'invalid_code');
    expect(body<Answer>(expectOk(await answerWith(await challenge(user.username, user.password), replacement.code))).status).toBe('two_factor_enrollment_required');
  });

  it('a wrong code counts toward the account\'s second-factor limit, shared with the app', async () => {
    const user = await userWithApp();
    await issue(user.username);
    expectError(await answerWith(await challenge(user.username, user.password), 'ABCDE-FGHJK-MNPQR'), 401, 'invalid_code');
    expect((await t.services.flows.store.findAttemptCounter(secondFactorKey(user.id)))?.failures).toBe(1);
    const limit = t.services.flows.settings.limits.secondFactorMaxFailures;
    let last = await answerWith(await challenge(user.username, user.password), 'ABCDE-FGHJK-MNPQS');
    for (let i = 2; i < limit; i++) last = await answerWith(await challenge(user.username, user.password), 'ABCDE-FGHJK-MNPQS');
    expectError(last, 429, 'too_many_attempts');
    // The app is locked out too.
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: await challenge(user.username, user.password), method: 'totp', code: nextCode(clock, user.secret) }), 429, 'too_many_attempts');
  });

  it('malformed codes are a 400 before any attempt is spent; the code never opens the Password window', async () => {
    const user = await userWithApp();
    const { code } = await issue(user.username);
    const challengeId = await challenge(user.username, user.password);
    for (const bad of ['ABCDE-FGHJK', 'ABCDE-FGHJK-MNPQ', '123456', 'ABCDE-FGHJK-MNPQR-STUVW']) {
      expectError(await answerWith(challengeId, bad), 400, 'validation_error');
    }
    expect(await t.services.flows.store.findAttemptCounter(secondFactorKey(user.id))).toBeNull();
    const session = body<Answer>(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: nextCode(clock, user.secret) })).token!;
    expectError(await post(t.app, '/api/v1/me/reauth', { password: user.password, code }, session), 400, 'validation_error');
  });
});
