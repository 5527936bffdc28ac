import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  body,
  createMailCapture,
  createTestClock,
  createTestEnvironment,
  login,
  post,
  startTestApp,
  totpCode,
  type TestApp,
} from '../support/harness.ts';
import { expectError, get } from '../support/security.ts';
import { adminWithApp, enableApp, expectOk, put } from '../support/two-factor-policy.ts';

const DAY = 24 * 60 * 60_000;
const OWN_FIRST = 'Set up two-factor authentication for your own account first.';

interface LoginAnswer {
  status: string;
  token?: string;
  enrollmentToken?: string;
  expiresAt?: string;
  twoFactorRequiredBy?: string;
}

describe.each(DIALECTS)('Require two-factor: the policy (%s)', (dialect) => {
  const clock = createTestClock(Date.UTC(2026, 2, 2, 9, 0, 0));
  const mail = createMailCapture();
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof adminWithApp>>;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock, mailer: mail });
    admin = await adminWithApp(t.app, clock);
  });
  afterAll(async () => {
    await t.close();
  });

  const setPolicy = async (twoFactorRequired: string, gracePeriodDays: number) =>
    body(expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired, gracePeriodDays }, await admin.session())));
  const newUser = async (options: { role?: 'user' | 'admin'; email?: string } = {}) => {
    n += 1;
    const user = { username: `p${n}-${dialect}`, password: `policy-password-${n}-long` };
    expectOk(await post(t.app, '/api/v1/admin/users', { ...user, ...options }, await admin.session()));
    return user;
  };
  const since = async (username: string): Promise<number | null> => {
    const row = await t.services.database.db.selectFrom('users').select('two_factor_policy_since').where('username', '=', username).executeTakeFirstOrThrow();
    return row.two_factor_policy_since === null ? null : Number(row.two_factor_policy_since);
  };
  const sessionCount = async (username: string): Promise<number> => {
    const rows = await t.services.database.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select('sessions.id').where('users.username', '=', username).execute();
    return rows.length;
  };

  it('defaults to off; PUT needs an administrator in the Password window; bad input is a 400 that changes nothing', async () => {
    const session = await admin.session();
    expect(body(await get(t.app, '/api/v1/admin/policy', session))).toEqual({ twoFactorRequired: 'off', gracePeriodDays: 0 });
    expectError(await get(t.app, '/api/v1/admin/policy'), 401, 'unauthorized');
    const user = await newUser();
    const userToken = body<LoginAnswer>(await login(t.app, user.username, user.password)).token!;
    expectError(await get(t.app, '/api/v1/admin/policy', userToken), 403, 'forbidden');
    expectError(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, userToken), 403, 'forbidden');
    // A fresh login is not the Password window.
    const first = body<{ challengeId: string }>(await login(t.app, 'admin', 'admin-password-123'));
    clock.advance(30_000);
    const fresh = body<{ token: string }>(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: first.challengeId, method: 'totp', code: totpCode(admin.secret, 0, clock()) })).token;
    expectError(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, fresh), 403, 'reauth_required');
    for (const bad of [{ twoFactorRequired: 'everyone', gracePeriodDays: 0 }, { twoFactorRequired: 'all', gracePeriodDays: 91 }, { twoFactorRequired: 'all', gracePeriodDays: -1 }, { twoFactorRequired: 'all', gracePeriodDays: 1.5 }, { twoFactorRequired: 'all' }, { twoFactorRequired: 'all', gracePeriodDays: '3' }, { twoFactorRequired: 'all', gracePeriodDays: 3, extra: 1 }]) {
      expectError(await put(t.app, '/api/v1/admin/policy', bad, session), 400, 'validation_error');
    }
    expect(body(await get(t.app, '/api/v1/admin/policy', session))).toEqual({ twoFactorRequired: 'off', gracePeriodDays: 0 });
    expect(await since(user.username)).toBeNull();
  });

  it('refuses a policy the acting administrator does not meet (409, whatever the grace period); the policy stays', async () => {
    const other = await newUser({ role: 'admin' });
    const token = body<LoginAnswer>(await login(t.app, other.username, other.password)).token!;
    expectOk(await post(t.app, '/api/v1/me/reauth', { password: other.password }, token));
    for (const [required, days] of [['admins', 0], ['admins', 90], ['all', 30]] as const) {
      const refused = expectError(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: required, gracePeriodDays: days }, token), 409, 'conflict');
      expect(refused.error.message).toBe(OWN_FIRST);
    }
    expect(body(await get(t.app, '/api/v1/admin/policy', token))).toEqual({ twoFactorRequired: 'off', gracePeriodDays: 0 });
    // Said before the Password window is asked for: a fresh login (no window) gets the 409, not 403.
    const fresh = body<LoginAnswer>(await login(t.app, other.username, other.password)).token!;
    expect(expectError(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, fresh), 409, 'conflict').error.message).toBe(OWN_FIRST);
    // "Off" is always allowed.
    expect(body(expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'off', gracePeriodDays: 5 }, token)))).toEqual({ twoFactorRequired: 'off', gracePeriodDays: 5 });
    // Other events share this instant on the test clock, so the page is long enough to hold it whatever their order.
    const audit = body<{ events: { type: string; actor: string }[] }>(await get(t.app, '/api/v1/admin/audit-events?limit=50', token)).events;
    expect(audit.some((e) => e.type === 'policy.changed' && e.actor === other.username)).toBe(true);
    await setPolicy('off', 0);
  });

  it('"all" with a grace period: ok with twoFactorRequiredBy; changing only the days restarts no clock; after it, the setup', async () => {
    const before = await newUser();
    const session = await admin.session();
    const changedAt = clock();
    expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 7 }, session));
    expect(await since(before.username)).toBe(changedAt);
    let answer = body<LoginAnswer>(expectOk(await login(t.app, before.username, before.password)));
    expect(answer.status).toBe('ok');
    expect(answer.twoFactorRequiredBy).toBe(new Date(changedAt + 7 * DAY).toISOString());
    expect(body(await get(t.app, '/api/v1/me', answer.token!))).toMatchObject({ twoFactorRequiredBy: new Date(changedAt + 7 * DAY).toISOString(), enrollment: null });

    // An account created later starts its own clock at creation.
    clock.advance(DAY);
    const createdAt = clock();
    const later = await newUser();
    expect(await since(later.username)).toBeGreaterThanOrEqual(createdAt);
    const laterSince = (await since(later.username))!;

    // Only the days change: both deadlines move by the difference, from the same starts.
    await setPolicy('all', 3);
    expect(await since(before.username)).toBe(changedAt);
    expect(await since(later.username)).toBe(laterSince);
    answer = body<LoginAnswer>(await login(t.app, later.username, later.password));
    expect(answer.twoFactorRequiredBy).toBe(new Date(laterSince + 3 * DAY).toISOString());

    // Past the first user's deadline (changedAt + 3 days), but not the second's.
    clock.set(changedAt + 3 * DAY + 1);
    answer = body<LoginAnswer>(await login(t.app, before.username, before.password));
    expect(answer.status).toBe('two_factor_enrollment_required');
    expect(answer.token).toBeUndefined();
    expect(answer.enrollmentToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(answer.expiresAt!) - clock()).toBe(15 * 60_000);
    expect(body<LoginAnswer>(await login(t.app, later.username, later.password)).status).toBe('ok');

    // The days back up: in grace again (the deadline is the start + the current days).
    await setPolicy('all', 30);
    expect(body<LoginAnswer>(await login(t.app, before.username, before.password)).twoFactorRequiredBy).toBe(new Date(changedAt + 30 * DAY).toISOString());
    await setPolicy('off', 0);
    expect(await since(before.username)).toBeNull();
  });

  it('"all" without grace: no session, an enrollment token, the setup, then a normal session; sessions open before go on', async () => {
    const user = await newUser();
    const open = body<LoginAnswer>(await login(t.app, user.username, user.password)).token!;
    await setPolicy('all', 0);
    // The open session goes on until it ends.
    expect((await get(t.app, '/api/v1/me', open)).statusCode).toBe(200);
    const sessionsBefore = await sessionCount(user.username);
    const answer = body<LoginAnswer>(expectOk(await login(t.app, user.username, user.password)));
    expect(answer).toEqual({ status: 'two_factor_enrollment_required', enrollmentToken: expect.any(String), expiresAt: expect.any(String), trustedDeviceDays: 180 });
    expect(await sessionCount(user.username)).toBe(sessionsBefore);
    const enrollment = answer.enrollmentToken!;

    const me = body<{ username: string; enrollment: { reason: string } }>(expectOk(await get(t.app, '/api/v1/me', enrollment)));
    expect(me).toMatchObject({ username: user.username, enrollment: { reason: 'policy' } });
    // No Password window is asked: the password was just proven.
    const setup = body<{ secret: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, enrollment)));
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: '000000' === totpCode(setup.secret, 0, clock()) ? '111111' : '000000' }, enrollment), 400, 'invalid_code');
    const enabled = body<{ message: string; token: string; expiresAt: string; recoveryCodes: string[]; twoFactor: { enabled: boolean } }>(
      expectOk(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 0, clock()) }, enrollment)),
    );
    expect(enabled.message).toBe('Edited successfully.');
    expect(enabled.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(enabled.recoveryCodes).toHaveLength(10);
    expect(enabled.twoFactor.enabled).toBe(true);
    const me2 = body<{ session: { amr: string[] }; twoFactorRequiredBy: string | null }>(expectOk(await get(t.app, '/api/v1/me', enabled.token)));
    expect(me2.session.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(me2.twoFactorRequiredBy).toBeNull();
    // Spent: the token opens nothing any more; turning two-factor on ended the old session.
    expectError(await get(t.app, '/api/v1/me', enrollment), 401, 'unauthorized');
    expectError(await get(t.app, '/api/v1/me', open), 401, 'unauthorized');
    // The next login asks for the second factor.
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).status).toBe('second_factor_required');
    await setPolicy('off', 0);
  });

  it('the web client gets the final session as its cookie only', async () => {
    const user = await newUser();
    await setPolicy('all', 0);
    const answer = body<LoginAnswer>(await login(t.app, user.username, user.password, 'web'));
    expect(answer.status).toBe('two_factor_enrollment_required');
    const setup = body<{ secret: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, answer.enrollmentToken)));
    const enabled = expectOk(await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 0, clock()) }, answer.enrollmentToken));
    const json = body<{ token?: string; expiresAt: string }>(enabled);
    expect(json.token).toBeUndefined();
    expect(json.expiresAt).toEqual(expect.any(String));
    const cookie = enabled.cookies.find((c) => c.name === 'twofold_session');
    expect(cookie?.httpOnly).toBe(true);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { twofold_session: cookie!.value } });
    expect(body<{ username: string }>(me).username).toBe(user.username);
    await setPolicy('off', 0);
  });

  it('the setup by email works from an enrollment token too, and proves the address', async () => {
    const email = `p-mail-${dialect}@example.test`;
    const user = await newUser({ email });
    await setPolicy('all', 0);
    const { enrollmentToken } = body<LoginAnswer>(await login(t.app, user.username, user.password));
    expect((await post(t.app, '/api/v1/me/two-factor/email/setup', {}, enrollmentToken)).statusCode).toBe(202);
    const enabled = body<{ token: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/email/enable', { code: mail.lastCode(email) }, enrollmentToken)));
    expect(body<{ emailVerified: boolean; twoFactor: { method: string } }>(await get(t.app, '/api/v1/me', enabled.token))).toMatchObject({ emailVerified: true, twoFactor: { method: 'email' } });
    await setPolicy('off', 0);
  });

  it('an enrollment token lasts 15 minutes, ends with logout, and dies with the account\'s sessions', async () => {
    const user = await newUser();
    await setPolicy('all', 0);
    let token = body<LoginAnswer>(await login(t.app, user.username, user.password)).enrollmentToken!;
    clock.advance(15 * 60_000 - 1);
    expectOk(await get(t.app, '/api/v1/me', token));
    clock.advance(1);
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');

    token = body<LoginAnswer>(await login(t.app, user.username, user.password)).enrollmentToken!;
    expect(body(expectOk(await post(t.app, '/api/v1/auth/logout', {}, token)))).toEqual({ message: 'Logged out.' });
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token), 401, 'unauthorized');

    token = body<LoginAnswer>(await login(t.app, user.username, user.password)).enrollmentToken!;
    expectOk(await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${user.username}`, payload: { disabled: true }, headers: { authorization: `Bearer ${await admin.session()}` } }));
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    await setPolicy('off', 0);
  });

  it('of two "Save"s with one enrollment token, one gets the session', async () => {
    const user = await newUser();
    await setPolicy('all', 0);
    const token = body<LoginAnswer>(await login(t.app, user.username, user.password)).enrollmentToken!;
    const setup = body<{ secret: string }>(expectOk(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token)));
    const code = totpCode(setup.secret, 0, clock());
    const answers = await Promise.all([0, 1, 2].map(() => post(t.app, '/api/v1/me/two-factor/totp/enable', { code }, token)));
    const winners = answers.filter((a) => a.statusCode === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((a) => a.statusCode !== 200)) expect([400, 401, 409]).toContain(loser.statusCode);
    expect(await t.services.flows.store.countAuthenticators((await t.services.flows.store.findAccountByUsernameKey(user.username))!.id)).toBe(1);
    await setPolicy('off', 0);
  });

  it('"Administrators only" covers administrators (promotion starts the clock, demotion stops it), not users', async () => {
    const user = await newUser();
    const other = await newUser({ role: 'admin' });
    const session = await admin.session();
    const changedAt = clock();
    expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'admins', gracePeriodDays: 2 }, session));
    expect(await since(user.username)).toBeNull();
    expect(await since(other.username)).toBe(changedAt);
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).twoFactorRequiredBy).toBeUndefined();
    clock.advance(DAY);
    const promotedAt = clock();
    expectOk(await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${user.username}`, payload: { role: 'admin' }, headers: { authorization: `Bearer ${await admin.session()}` } }));
    const promotedSince = (await since(user.username))!;
    expect(promotedSince).toBeGreaterThanOrEqual(promotedAt);
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).twoFactorRequiredBy).toBe(new Date(promotedSince + 2 * DAY).toISOString());
    clock.advance(DAY + 1);
    // The other administrator's 2 days are over; the promoted one has a day left.
    expect(body<LoginAnswer>(await login(t.app, other.username, other.password)).status).toBe('two_factor_enrollment_required');
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).status).toBe('ok');
    expectOk(await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${user.username}`, payload: { role: 'user' }, headers: { authorization: `Bearer ${await admin.session()}` } }));
    expect(await since(user.username)).toBeNull();
    await setPolicy('off', 0);
  });

  it('a login racing a policy change gets either the old answer or the new one, and every login after it the new one', async () => {
    const users = [];
    for (let i = 0; i < 6; i++) users.push(await newUser());
    const session = await admin.session();
    const [change, ...logins] = await Promise.all([
      put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, session),
      ...users.map((u) => login(t.app, u.username, u.password)),
    ]);
    expect(change!.statusCode, change!.body).toBe(200);
    for (const answer of logins) {
      expect(answer.statusCode, answer.body).toBe(200);
      expect(['ok', 'two_factor_enrollment_required']).toContain(body<LoginAnswer>(answer).status);
    }
    for (const u of users) {
      expect(await since(u.username)).not.toBeNull();
      expect(body<LoginAnswer>(await login(t.app, u.username, u.password)).status).toBe('two_factor_enrollment_required');
    }
    await setPolicy('off', 0);
  });

  it('a covered account without a recorded start (created while the policy changed) gets one at its login, once', async () => {
    const user = await newUser();
    await setPolicy('all', 2);
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    await t.services.flows.store.setAccountPolicySince(id, null, { onlyIfUnset: false });
    const loggedInAt = clock();
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).twoFactorRequiredBy).toBe(new Date(loggedInAt + 2 * DAY).toISOString());
    expect(await since(user.username)).toBe(loggedInAt);
    clock.advance(DAY);
    // The deadline stays where the first login put it.
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).twoFactorRequiredBy).toBe(new Date(loggedInAt + 2 * DAY).toISOString());
    clock.advance(DAY);
    expect(body<LoginAnswer>(await login(t.app, user.username, user.password)).status).toBe('two_factor_enrollment_required');
    await setPolicy('off', 0);
  });

  it('Administration shows adoption: counts by kind, who is in grace and who is overdue', async () => {
    const inGrace = await newUser();
    const withApp = await newUser();
    const appToken = body<LoginAnswer>(await login(t.app, withApp.username, withApp.password)).token!;
    await enableApp(t.app, clock, appToken, withApp.password);
    await setPolicy('all', 1);
    const overdueAt = clock();
    const overdue = await newUser();
    await t.services.flows.store.setAccountPolicySince((await t.services.flows.store.findAccountByUsernameKey(overdue.username))!.id, overdueAt - 2 * DAY, { onlyIfUnset: false });
    const adoption = body<{
      policy: object;
      total: number;
      withTwoFactor: number;
      byKind: Record<string, number>;
      inGrace: number;
      overdue: number;
      users: { username: string; state: string; kinds: string[]; requiredBy: string | null }[];
    }>(expectOk(await get(t.app, '/api/v1/admin/policy/adoption', await admin.session())));
    expect(adoption.policy).toEqual({ twoFactorRequired: 'all', gracePeriodDays: 1 });
    const row = (u: string) => adoption.users.find((x) => x.username === u)!;
    expect(row(inGrace.username)).toMatchObject({ state: 'grace', kinds: [] });
    expect(row(withApp.username)).toMatchObject({ state: 'enabled', kinds: ['totp'], requiredBy: null });
    expect(row(overdue.username)).toMatchObject({ state: 'overdue', requiredBy: new Date(overdueAt - DAY).toISOString() });
    expect(row('admin')).toMatchObject({ state: 'enabled', kinds: ['totp'] });
    expect(adoption.total).toBe(adoption.users.length);
    expect(adoption.withTwoFactor).toBe(adoption.users.filter((u) => u.kinds.length > 0).length);
    expect(adoption.byKind.totp).toBe(adoption.users.filter((u) => u.kinds.includes('totp')).length);
    expect(adoption.inGrace).toBe(adoption.users.filter((u) => u.state === 'grace').length);
    expect(adoption.overdue).toBe(adoption.users.filter((u) => u.state === 'overdue').length);
    expectError(await get(t.app, '/api/v1/admin/policy/adoption', appToken), 403, 'forbidden');
    await setPolicy('off', 0);
  });
});
