import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  adminToken,
  body,
  createTestEnvironment,
  createUser,
  login,
  loginToken,
  post,
  startTestApp,
  totpCode,
  type TestApp,
  createTestClock,
} from '../support/harness.ts';
import { answerChallenge, del, enrollTOTP, expectError, get, snapshotTables, userId } from '../support/security.ts';

interface UserView {
  username: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: 'user' | 'admin';
  disabled: boolean;
  passwordChangeRequired?: boolean;
}

const LAST_ADMIN = 'The last active administrator cannot be deleted, disabled or demoted.';

describe.each(DIALECTS)('account administration (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
    admin = await adminToken(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  const patch = (username: string, payload: object, token = admin): Promise<LightMyRequestResponse> =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${encodeURIComponent(username)}`, payload, headers: { authorization: `Bearer ${token}` } });
  const resetPassword = (username: string, payload: object = {}, token = admin): Promise<LightMyRequestResponse> =>
    post(t.app, `/api/v1/admin/users/${encodeURIComponent(username)}/password`, payload, token);
  const listed = async (username: string): Promise<UserView | undefined> =>
    body<{ users: UserView[] }>(await get(t.app, '/api/v1/admin/users', admin)).users.find((u) => u.username === username);
  const auditTypes = async (username: string): Promise<string[]> =>
    body<{ events: { type: string }[] }>(await get(t.app, `/api/v1/admin/audit-events?limit=200&username=${encodeURIComponent(username)}`, admin)).events.map(
      (e) => e.type,
    );

  it('answers the new admin routes with 401 anonymously and 403 for non-admins, changing nothing', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const before = await snapshotTables(t);
    const routes = [
      { method: 'PATCH' as const, url: '/api/v1/admin/users/admin', payload: { role: 'user' } },
      { method: 'DELETE' as const, url: '/api/v1/admin/users/admin' },
      { method: 'POST' as const, url: '/api/v1/admin/users/admin/password', payload: { password: 'taken-over-password' } },
    ];
    for (const route of routes) {
      expectError(await t.app.inject(route), 401, 'unauthorized');
      expectError(await t.app.inject({ ...route, headers: { authorization: `Bearer ${token}` } }), 403, 'forbidden');
    }
    const after = await snapshotTables(t);
    expect(after.users).toEqual(before.users);
    expect(await loginToken(t.app, 'admin', ADMIN_PASSWORD)).toBeTruthy();
  });

  it('needs the administrator\'s Password window, like every administrative change', async () => {
    const user = await createUser(t.app);
    const fresh = await loginToken(t.app, 'admin', ADMIN_PASSWORD);
    expectError(await patch(user.username, { displayName: 'Nope' }, fresh), 403, 'reauth_required');
    expectError(await resetPassword(user.username, {}, fresh), 403, 'reauth_required');
    expectError(await del(t.app, `/api/v1/admin/users/${user.username}`, fresh), 403, 'reauth_required');
    expect((await listed(user.username))?.displayName).toBe(user.username);
  });

  it('edits display name, email and role; an email set here is unverified; bad input is a 400 that writes nothing', async () => {
    const user = await createUser(t.app);
    const response = await patch(user.username, { displayName: '  Dana Scully ', email: 'dana@example.com', role: 'admin' });
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({ username: user.username, displayName: 'Dana Scully', email: 'dana@example.com', emailVerified: false, role: 'admin', disabled: false });
    expect(response.body).not.toMatch(/argon2|passwordHash/);
    // Promoted: the account's existing rights follow at once.
    const token = await loginToken(t.app, user.username, user.password);
    expect((await get(t.app, '/api/v1/admin/users', token)).statusCode).toBe(200);

    const before = await snapshotTables(t);
    expectError(await patch(user.username, { email: 'not an address' }), 400, 'validation_error');
    expectError(await patch(user.username, { role: 'root' }), 400, 'validation_error');
    expectError(await patch(user.username, { disabled: 'yes' }), 400, 'validation_error');
    expectError(await patch(user.username, { username: 'renamed' }), 400, 'validation_error');
    expectError(await patch(user.username, { displayName: 'Zero\u200bWidth' }), 400, 'validation_error');
    expectError(await patch('nobody-here', { displayName: 'X' }), 404, 'not_found');
    expect((await snapshotTables(t)).users).toEqual(before.users);

    // Removing the address, and demoting back.
    const cleared = await patch(user.username, { email: null, role: 'user' });
    expect(body(cleared)).toMatchObject({ email: null, emailVerified: false, role: 'user' });
    expect((await get(t.app, '/api/v1/admin/users', token)).statusCode).toBe(403);
    const events = await auditTypes(user.username);
    expect(events).toEqual(expect.arrayContaining(['account.updated', 'account.role_changed']));
  });

  it('disables an account: its sessions end, login answers like a wrong password, and enabling lets it back in', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const wrong = await login(t.app, user.username, 'not-the-password-at-all');

    const disabled = await patch(user.username, { disabled: true });
    expect(disabled.statusCode).toBe(200);
    expect(body(disabled)).toMatchObject({ disabled: true });
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');

    const refused = await login(t.app, user.username, user.password);
    expect(refused.statusCode).toBe(wrong.statusCode);
    expect(refused.body).toBe(wrong.body);
    expect((await listed(user.username))?.disabled).toBe(true);

    const enabled = await patch(user.username, { disabled: false });
    expect(body(enabled)).toMatchObject({ disabled: false });
    // The old session stays ended; a new login works.
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expect(await loginToken(t.app, user.username, user.password)).toBeTruthy();
    expect(await auditTypes(user.username)).toEqual(expect.arrayContaining(['account.disabled', 'account.enabled']));
  });

  it('a disabled account with two-factor gets no challenge, and an open challenge dies with the disable', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);
    const first = await login(t.app, user.username, user.password);
    const { challengeId } = body<{ challengeId: string }>(first);
    expect(challengeId).toBeTruthy();
    await patch(user.username, { disabled: true });
    expectError(await answerChallenge(t.app, challengeId, totpCode(secret, 1, clock())), 401, 'challenge_invalid');
    expectError(await login(t.app, user.username, user.password), 401, 'invalid_credentials');
  });

  it('keeps the last active administrator: not disabled, demoted or deleted (409), even by two admins racing', async () => {
    // Only "admin" is an active administrator.
    for (const attempt of [patch('admin', { disabled: true }), patch('admin', { role: 'user' }), del(t.app, '/api/v1/admin/users/admin', admin)]) {
      const json = expectError(await attempt, 409, 'conflict');
      expect(json.error.message).toBe(LAST_ADMIN);
    }
    expect(await listed('admin')).toMatchObject({ role: 'admin', disabled: false });

    // A second administrator: now either may go, but not both at once.
    const second = await createUser(t.app, { role: 'admin' });
    const secondToken = await loginToken(t.app, second.username, second.password);
    await post(t.app, '/api/v1/me/reauth', { password: second.password }, secondToken);
    const [a, b] = await Promise.all([patch(second.username, { disabled: true }, admin), patch('admin', { disabled: true }, secondToken)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    // One wins; the other is refused as the last administrator (or, having just been disabled
    // itself, finds its session gone).
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const admins = body<{ users: UserView[] }>(await get(t.app, '/api/v1/admin/users', a.statusCode === 200 ? admin : secondToken)).users.filter(
      (u) => u.role === 'admin' && !u.disabled,
    );
    expect(admins).toHaveLength(1);
    // Restore: whoever is left enables the other.
    const survivor = a.statusCode === 200 ? admin : secondToken;
    const other = a.statusCode === 200 ? second.username : 'admin';
    expect((await patch(other, { disabled: false }, survivor)).statusCode).toBe(200);
    if (other === 'admin') admin = await adminToken(t.app);
    // A disabled administrator does not count, and may be deleted while another is active.
    expect((await patch(second.username, { disabled: true })).statusCode).toBe(200);
    const json = expectError(await patch('admin', { role: 'user' }), 409, 'conflict');
    expect(json.error.message).toBe(LAST_ADMIN);
    expect((await del(t.app, `/api/v1/admin/users/${second.username}`, admin)).statusCode).toBe(204);
  });

  it('deletes an account: 204; its sessions and credentials go, its audit events stay with the username; the name can be reused', async () => {
    const user = await createUser(t.app, { email: 'gone@example.com' });
    const token = await loginToken(t.app, user.username, user.password);
    await enrollTOTP(t.app, token, user.password);
    const id = await userId(t, user.username);
    const db = t.services.database.db;
    // The rows this test expects to go exist first, so their absence afterwards means something.
    expect(await db.selectFrom('authenticators').selectAll().where('user_id', '=', id).execute()).toHaveLength(1);
    expect((await db.selectFrom('recovery_codes').selectAll().where('user_id', '=', id).execute()).length).toBeGreaterThan(0);
    // A second later (the clock seam), so that the deletion is the account's newest event.
    clock.advance(1_000);
    const response = await del(t.app, `/api/v1/admin/users/${user.username}`, admin);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expectError(await login(t.app, user.username, user.password), 401, 'invalid_credentials');
    for (const table of ['sessions', 'authenticators', 'pending_totp_secrets', 'recovery_codes', 'login_challenges', 'known_devices', 'email_codes', 'password_tokens'] as const) {
      expect(await db.selectFrom(table).selectAll().where('user_id', '=', id).execute(), table).toEqual([]);
    }
    const events = await auditTypes(user.username);
    expect(events[0]).toBe('account.deleted');
    const deletedEvent = body<{ events: { type: string; userId: string; actor: string }[] }>(
      await get(t.app, `/api/v1/admin/audit-events?limit=1&username=${user.username}`, admin),
    ).events[0];
    expect(deletedEvent).toMatchObject({ type: 'account.deleted', userId: id, actor: 'admin' });
    expect(events).toEqual(expect.arrayContaining(['account.created', 'two_factor.enabled', 'login.password']));
    expectError(await del(t.app, `/api/v1/admin/users/${user.username}`, admin), 404, 'not_found');
    // A new account of the same name is a new account, without the old one's two-factor.
    const again = await createUser(t.app, { username: user.username });
    expect(body(await login(t.app, again.username, again.password))).toMatchObject({ status: 'ok' });
  });

  it('refuses to move an address that is one of the account\'s authenticators, even when it is not the oldest one', async () => {
    const user = await createUser(t.app, { email: 'codes@example.com' });
    const token = await loginToken(t.app, user.username, user.password);
    await enrollTOTP(t.app, token, user.password);
    const id = await userId(t, user.username);
    // The email method added after the app (the flow is tested in http/authenticators): the
    // account's oldest authenticator, and so twoFactor.method, stays "totp".
    const added = await t.services.flows.store.addAuthenticator({
      id: `email-${id}`, userId: id, type: 'email', name: 'Email', sealedSecret: null, lastUsedStep: null, clockOffsetSeconds: null, createdAt: Date.now() + 60_000,
    });
    expect(added).toBe(true);
    expect((await t.services.flows.store.findAccountById(id))?.twoFactorMethod).toBe('totp');
    expectError(await patch(user.username, { email: 'elsewhere@example.com' }), 409, 'conflict');
    expect((await listed(user.username))?.email).toBe('codes@example.com');
  });

  it('a reset keeps the confirmed authenticators but drops a setup someone had started', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);
    const id = await userId(t, user.username);
    // Adding an app while two-factor is on needs the Password window with a current code.
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: totpCode(secret, 1, clock()) }, token);
    expect(reauth.statusCode, reauth.body).toBe(200);
    // A second app's setup started (secret shown) but not finished by whoever held the session.
    expect((await post(t.app, '/api/v1/me/two-factor/totp/setup', { name: 'Not mine' }, token)).statusCode).toBe(200);
    const db = t.services.database.db;
    expect(await db.selectFrom('pending_totp_secrets').selectAll().where('user_id', '=', id).execute()).toHaveLength(1);
    const authenticators = await db.selectFrom('authenticators').selectAll().where('user_id', '=', id).execute();
    expect((await resetPassword(user.username)).statusCode).toBe(200);
    expect(await db.selectFrom('pending_totp_secrets').selectAll().where('user_id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('authenticators').selectAll().where('user_id', '=', id).execute()).toEqual(authenticators);
  });

  it('resets a password: shown once, sessions end, the user must choose a new one, then the second factor is still asked', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);

    const reset = await resetPassword(user.username);
    expect(reset.statusCode).toBe(200);
    const { password } = body<{ password: string }>(reset);
    expect(Object.keys(body(reset))).toEqual(['password']);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expect((await listed(user.username))?.passwordChangeRequired).toBe(true);
    // The generated password appears in no audit event.
    const audit = await get(t.app, `/api/v1/admin/audit-events?limit=200&username=${user.username}`, admin);
    expect(audit.body).not.toContain(password);
    expect(await auditTypes(user.username)).toContain('password.admin_reset');

    // The old password is gone; the new one leads to the change step, with no session.
    expectError(await login(t.app, user.username, user.password), 401, 'invalid_credentials');
    const first = await login(t.app, user.username, password);
    expect(first.statusCode).toBe(200);
    const step = body<{ status: string; passwordChangeToken: string; expiresAt: string; token?: string }>(first);
    expect(step.status).toBe('password_change_required');
    expect(step.token).toBeUndefined();
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(Object.keys(step).sort()).toEqual(['expiresAt', 'passwordChangeToken', 'status']);
    // The token is no session.
    expectError(await get(t.app, '/api/v1/me', step.passwordChangeToken), 401, 'unauthorized');

    // Refused new passwords spend nothing: too short, common, the administrator's own.
    const change = (newPassword: string) => post(t.app, '/api/v1/auth/password-change', { passwordChangeToken: step.passwordChangeToken, newPassword });
    expect(expectError(await change('short'), 400, 'validation_error').error.message).toMatch(/at least 8/);
    expect(expectError(await change('password123'), 400, 'validation_error').error.message).toMatch(/commonly used or breached/);
    expect(expectError(await change(password), 400, 'validation_error').error.message).toMatch(/administrator/);

    const changed = await change('my-own-new-password-1');
    expect(changed.statusCode).toBe(200);
    const second = body<{ status: string; challengeId: string; methods: string[]; token?: string }>(changed);
    expect(second.status).toBe('second_factor_required');
    expect(second.methods).toContain('totp');
    expect(second.token).toBeUndefined();
    // Spent: the same token cannot change the password again.
    expectError(await change('another-new-password-2'), 401, 'challenge_invalid');
    const done = await answerChallenge(t.app, second.challengeId, totpCode(secret, 1, clock()));
    expect(done.statusCode).toBe(200);
    expect(body(done)).toMatchObject({ status: 'ok', user: { username: user.username } });
    // From now on, the user's own password logs in normally (with the second factor).
    expect(body(await login(t.app, user.username, 'my-own-new-password-1'))).toMatchObject({ status: 'second_factor_required' });
    expect((await listed(user.username))?.passwordChangeRequired).toBe(false);
  });

  it('a reset with a given password, for an account without two-factor: the change answers ok with a session (cookie for the web)', async () => {
    const user = await createUser(t.app);
    expectError(await resetPassword(user.username, { password: 'qwerty123' }), 400, 'validation_error');
    const reset = await resetPassword(user.username, { password: 'handed-over-password-7' });
    expect(body(reset)).toEqual({ password: 'handed-over-password-7' });
    const first = await login(t.app, user.username, 'handed-over-password-7', 'web');
    const { passwordChangeToken } = body<{ passwordChangeToken: string }>(first);
    const changed = await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken, newPassword: 'chosen-by-me-8' });
    expect(changed.statusCode).toBe(200);
    const json = body<{ status: string; token: string; user: { username: string } }>(changed);
    expect(json).toMatchObject({ status: 'ok', user: { username: user.username } });
    const cookie = String(changed.headers['set-cookie']).match(/twofold_session=[^;]+/)?.[0];
    expect(cookie).toBeDefined();
    // The web client gets its session only as the HttpOnly cookie (issue 10), never in the body.
    expect(json.token).toBeUndefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookie! } })).statusCode).toBe(200);
  });

  it('a change token dies when the account is reset again or disabled, and is refused for the wrong shape', async () => {
    const user = await createUser(t.app);
    const { password } = body<{ password: string }>(await resetPassword(user.username));
    const { passwordChangeToken } = body<{ passwordChangeToken: string }>(await login(t.app, user.username, password));
    const { password: again } = body<{ password: string }>(await resetPassword(user.username));
    expectError(await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken, newPassword: 'fresh-password-9' }), 401, 'challenge_invalid');
    const { passwordChangeToken: second } = body<{ passwordChangeToken: string }>(await login(t.app, user.username, again));
    await patch(user.username, { disabled: true });
    expectError(await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken: second, newPassword: 'fresh-password-9' }), 401, 'challenge_invalid');
    expectError(await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken: 'x', newPassword: 'fresh-password-9' }), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken: second }), 400, 'validation_error');
  });

  it('the new password rules hold on the user\'s own change too', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      payload: { currentPassword: user.password, newPassword: 'iloveyou1' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(expectError(response, 400, 'validation_error').error.message).toMatch(/commonly used or breached/);
  });
});
