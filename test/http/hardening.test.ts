import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePassword } from '../../src/flows/change-password.ts';
import { issueSession } from '../../src/flows/shared/sessions.ts';
import { buildApp } from '../../src/http/app.ts';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  adminToken,
  bearer,
  body,
  createTestEnvironment,
  createUser,
  enableTOTP,
  login,
  loginToken,
  post,
  startTestApp,
  totpCode,
  type TestApp,
  codesAt, createTestClock,
} from '../support/harness.ts';
import { expectError } from '../support/security.ts';

// Rules added after the security review: each test fails if its rule is taken out.
describe.each(DIALECTS)('hardening (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('kills every password-only session once two-factor is on, even those of logins racing the change', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    const setup = body<{ secret: string }>(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token));
    const codes = codesAt(setup.secret, clock());
    // Thirty password logins in flight while the user clicks Save.
    const logins = Array.from({ length: 30 }, () => login(t.app, user.username, user.password, 'mobile'));
    const enable = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: codes.current }, token);
    expect(enable.statusCode).toBe(200);
    const tokens = (await Promise.all(logins)).map((r) => body<{ token?: string }>(r).token).filter((v): v is string => !!v);
    for (const stale of tokens) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(stale) })).statusCode).toBe(401);
    }
    // The session that turned it on stays.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);
  });

  it('refuses a change from a session that is already stale, and never revives it', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const account = await t.services.flows.store.findAccountByUsernameKey(user.username);
    // A session inserted by a login that raced an earlier change: it carries the epoch before it.
    const origin = { client: 'desktop' as const, deviceName: null, ip: '127.0.0.1', userAgent: null };
    const stale = await issueSession(t.services.flows, { account: { id: account!.id, sessionEpoch: account!.sessionEpoch - 1 }, origin, amr: ['pwd'], secondFactor: null, device: { knownDeviceId: null, trust: false } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(stale.token) })).statusCode).toBe(401);
    const listed = body<{ sessions: Array<{ id: string }> }>(await t.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: bearer(token) }));
    expect(listed.sessions.map((s) => s.id)).not.toContain(stale.session.id);
    // Even if it got as far as asking for a password change, the change is refused and undone.
    await expect(
      changePassword(t.services.flows, { session: stale.session, account: account!, currentPassword: user.password, newPassword: 'stolen-new-password' }, { ip: '127.0.0.1', userAgent: null }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    expect(body(await login(t.app, user.username, user.password))).toMatchObject({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);
  });

  it('voids a login challenge when the password changes between the two steps', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enableTOTP(t.app, token, user.password);
    const challenge = body<{ challengeId: string }>(await login(t.app, user.username, user.password)).challengeId;
    const change = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: bearer(token),
      payload: { currentPassword: user.password, newPassword: 'a-brand-new-password' },
    });
    expect(change.statusCode).toBe(200);
    const answer = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: challenge, method: 'totp', code: totpCode(secret, 1, clock()) });
    expectError(answer, 401, 'challenge_invalid');
  });

  it('needs the administrator\'s own Password window for administrative changes', async () => {
    const raw = await loginToken(t.app, 'admin', ADMIN_PASSWORD);
    const create = await post(t.app, '/api/v1/admin/users', { username: `r-${randomUUID().slice(0, 6)}`, password: 'a-good-password' }, raw);
    expectError(create, 403, 'reauth_required');
    const user = await createUser(t.app);
    const reset = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${user.username}/two-factor`, headers: bearer(raw) });
    expectError(reset, 403, 'reauth_required');
    const unlock = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${user.username}/lock`, headers: bearer(raw) });
    expectError(unlock, 403, 'reauth_required');
    expect((await post(t.app, '/api/v1/me/reauth', { password: ADMIN_PASSWORD }, raw)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${user.username}/two-factor`, headers: bearer(raw) })).statusCode).toBe(200);
  });

  it('asks an administrator who has two-factor for a code too, before administrative changes', async () => {
    const admin = await createUser(t.app, { role: 'admin' });
    const token = await loginToken(t.app, admin.username, admin.password);
    const { secret } = await enableTOTP(t.app, token, admin.password);
    expect((await post(t.app, '/api/v1/me/reauth', { password: admin.password }, token)).statusCode).toBe(200);
    const withoutCode = await post(t.app, '/api/v1/admin/users', { username: `c-${randomUUID().slice(0, 6)}`, password: 'a-good-password' }, token);
    expectError(withoutCode, 403, 'reauth_required');
    expect((await post(t.app, '/api/v1/me/reauth', { password: admin.password, code: totpCode(secret, 1, clock()) }, token)).statusCode).toBe(200);
    const withCode = await post(t.app, '/api/v1/admin/users', { username: `c-${randomUUID().slice(0, 6)}`, password: 'a-good-password' }, token);
    expect(withCode.statusCode).toBe(201);
  });

  it('does not hold per-address slots while passwords are checked: an office of 110 logs in at once', async () => {
    // 110 accounts sharing one password hash, written straight to the store (hashing 110 times is
    // slow), made by the app's own hasher. Its cost does not matter here: the checks still queue
    // for the Argon2 slots (two on this machine), so 108 logins are in flight while two are checked.
    const passwordHash = await t.services.flows.passwords.hash('office-password-1');
    const names = Array.from({ length: 110 }, (_, i) => `office-${dialect}-${i}`);
    for (const name of names) {
      await t.services.flows.store.createAccount({
        id: randomUUID(),
        username: name,
        usernameKey: name,
        displayName: name,
        email: null,
        emailVerified: false,
        role: 'user',
        passwordHash,
        createdAt: Date.now(),
      });
    }
    const results = await Promise.all(
      names.map((name) =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.7', payload: { username: name, password: 'office-password-1', client: 'desktop' } }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(names.map(() => 200));
  });

  it('audits a password lock', async () => {
    // A second on (the clock seam): this test's events are the newest 50.
    clock.advance(1_000);
    const user = await createUser(t.app);
    for (let i = 0; i < 10; i++) await login(t.app, user.username, 'wrong-password');
    const events = await t.services.flows.store.listAuditEvents({ limit: 50 });
    const lock = events.find((e) => e.type === 'login.lockout' && e.username === user.username);
    expect(lock?.detail).toMatchObject({ factor: 'password', scope: 'username' });
    // Administrators see the lock, and lift it.
    const admin = await adminToken(t.app);
    const listed = async () =>
      body<{ users: Array<{ username: string; passwordLockedUntil: string | null }> }>(
        await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(admin) }),
      ).users.find((u) => u.username === user.username);
    expect(Date.parse((await listed())?.passwordLockedUntil ?? '')).toBeGreaterThan(Date.now());
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${user.username}/lock`, headers: bearer(admin) })).statusCode).toBe(200);
    expect((await listed())?.passwordLockedUntil).toBeNull();
    expect((await login(t.app, user.username, user.password)).statusCode).toBe(200);
  });

  it('takes no input where none is expected: unknown fields are refused, a missing body is fine', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    expectError(await post(t.app, '/api/v1/me/two-factor/totp/setup', { anything: 1 }, token), 400, 'validation_error');
    const noBody = await t.app.inject({ method: 'POST', url: '/api/v1/me/two-factor/totp/setup', headers: bearer(token) });
    expect(noBody.statusCode).toBe(200);
    const deleteWithJunk = await t.app.inject({ method: 'DELETE', url: '/api/v1/me/two-factor', headers: bearer(token), payload: { x: 1 } });
    expectError(deleteWithJunk, 400, 'validation_error');
  });

  it('refuses invisible or control characters in usernames and display names', async () => {
    const admin = await adminToken(t.app);
    for (const payload of [
      { username: 'x\u200b', password: 'a-good-password' },
      { username: 'x\u202ey', password: 'a-good-password' },
      { username: 'ok-name', password: 'a-good-password', displayName: 'bad\u0000name' },
      { username: 'x\ud800', password: 'a-good-password' },
    ]) {
      expectError(await post(t.app, '/api/v1/admin/users', payload, admin), 400, 'validation_error');
    }
    // NUL and lone surrogates are refused at the edge on every route, before anything is stored.
    expectError(await login(t.app, 'ghost\ud800', 'whatever-password'), 400, 'validation_error');
    expectError(await login(t.app, 'gh\u0000ost', 'whatever-password'), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/admin/users', { username: 'fine-name', password: 'a-good-password', email: 'x\u0000@example.com' }, admin), 400, 'validation_error');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit-events?username=a%00b', headers: bearer(admin) }), 400, 'validation_error');
    expectError(await t.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions/a%00b', headers: bearer(admin) }), 400, 'validation_error');
    expectError(await t.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions/%ZZ', headers: bearer(admin) }), 400, 'validation_error');
  });
});

describe('metrics token', () => {
  it('guards /metrics when TWOFOLD_METRICS_TOKEN is set', async () => {
    const t = await startTestApp(createTestEnvironment('sqlite'));
    try {
      const app = await buildApp({ flows: t.services.flows, metricsToken: 'metrics-token-0123456789' });
      expectError(await app.inject({ method: 'GET', url: '/metrics' }), 401, 'unauthorized');
      expectError(await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } }), 401, 'unauthorized');
      const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('twofold_logins_total');
      await app.close();
    } finally {
      await t.close();
    }
  });
});
