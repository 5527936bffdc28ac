import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestClock, createTestEnvironment, login, post, startTestApp, type TestApp } from '../support/harness.ts';
import { expectError, get, snapshotTables } from '../support/security.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV } from '../support/webauthn.ts';
import { adminWithApp, expectOk, put } from '../support/two-factor-policy.ts';
import { ENROLLMENT_ROUTES } from '../../src/http/enrollment-scope.ts';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';

// The enrollment token opens only the setup. Every route the app registers is walked: a route
// added later is refused unless it is put on the allow-list (src/http/enrollment-scope.ts).
describe.each(DIALECTS)('the enrollment token (%s)', (dialect) => {
  const clock = createTestClock(Date.UTC(2026, 2, 3, 9, 0, 0));
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof adminWithApp>>;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, WEBAUTHN_ENV), { clock });
    admin = await adminWithApp(t.app, clock);
    expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, await admin.session()));
  });
  afterAll(async () => {
    await t.close();
  });

  const enrollmentFor = async (): Promise<{ token: string; username: string; password: string }> => {
    n += 1;
    const user = { username: `e${n}-${dialect}`, password: `enrollment-password-${n}` };
    expectOk(await post(t.app, '/api/v1/admin/users', user, await admin.session()));
    const answer = body<{ status: string; enrollmentToken: string }>(await login(t.app, user.username, user.password));
    expect(answer.status).toBe('two_factor_enrollment_required');
    return { token: answer.enrollmentToken, ...user };
  };

  it('every registered API route but the allow-list answers 403 two_factor_required, writing nothing and leaving the token usable', async () => {
    const { token, username } = await enrollmentFor();
    const routes = t.app.routeList.filter((r) => r.url.startsWith('/api/v1/'));
    // The list is not stale: each allowed route exists.
    for (const allowed of ENROLLMENT_ROUTES) expect(routes.some((r) => `${r.method} ${r.url}` === allowed), allowed).toBe(true);
    const refused = routes.filter((r) => !ENROLLMENT_ROUTES.has(`${r.method} ${r.url}`));
    expect(refused.length).toBeGreaterThan(20);
    const before = await snapshotTables(t);
    for (const route of refused) {
      const url = route.url.replace(':username', username).replace(':id', 'some-id');
      const response = await t.app.inject({
        method: route.method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(route.method === 'GET' || route.method === 'HEAD' ? {} : { payload: {} }),
      });
      if (route.method === 'HEAD') expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      else expect(expectError(response, 403, 'two_factor_required').error.message, `${route.method} ${route.url}`).toBe('Set up two-factor authentication to continue.');
    }
    // An unknown path is no route: 404, as for anyone.
    expectError(await get(t.app, '/api/v1/no-such-route', token), 404, 'not_found');
    const after = await snapshotTables(t);
    expect(after.users).toEqual(before.users);
    expect(after.sessions).toEqual(before.sessions);
    expect(after.authenticators).toEqual(before.authenticators);
    expect(body<{ username: string }>(expectOk(await get(t.app, '/api/v1/me', token))).username).toBe(username);
  });

  it('is not a session: it never appears among sessions, and a session token is never taken for it', async () => {
    const { token, username } = await enrollmentFor();
    const rows = await t.services.database.db.selectFrom('enrollment_tokens').selectAll().execute();
    // Stored as its hash only.
    expect(JSON.stringify(rows)).not.toContain(token);
    const sessions = await t.services.database.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select('sessions.id').where('users.username', '=', username).execute();
    expect(sessions).toEqual([]);
    // Only as a bearer: as a cookie it is nothing.
    const asCookie = await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { twofold_session: token } });
    expectError(asCookie, 401, 'unauthorized');
  });

  it('a passkey can be the authenticator set up from an enrollment token', async () => {
    const { token, username, password } = await enrollmentFor();
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL, attachment: 'platform' });
    const options = body<PublicKeyCredentialCreationOptionsJSON>(expectOk(await post(t.app, '/api/v1/me/two-factor/webauthn/registration/options', {}, token)));
    const registered = body<{ message: string; token: string; recoveryCodes: string[] }>(
      expectOk(await post(t.app, '/api/v1/me/two-factor/webauthn/registration', { response: key.register(options) }, token)),
    );
    expect(registered.message).toBe('Edited successfully.');
    expect(registered.recoveryCodes).toHaveLength(10);
    expect(body<{ username: string; twoFactor: { method: string } }>(expectOk(await get(t.app, '/api/v1/me', registered.token)))).toMatchObject({ username, twoFactor: { method: 'webauthn' } });
    expect(body<{ status: string }>(await login(t.app, username, password)).status).toBe('second_factor_required');
  });
});
