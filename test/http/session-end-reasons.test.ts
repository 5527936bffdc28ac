import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  adminToken,
  body,
  createTestClock,
  createTestEnvironment,
  createUser,
  enableTOTP,
  loginToken,
  post,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { del, get } from '../support/security.ts';

interface EndedError {
  error: { code: string; message: string; reason?: string };
}

const HOUR = 60 * 60_000;

// Issue 13 #10: a session ended elsewhere lands on Log In with the reason. The 401 for that
// session's token says why; nobody else (no token, another token) learns anything.
describe.each(DIALECTS)('why a session ended (%s)', (dialect) => {
  let t: TestApp;
  const clock = createTestClock(Date.now());
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  const ended = async (token: string): Promise<EndedError['error']> => {
    const response = await get(t.app, '/api/v1/me', token);
    expect(response.statusCode).toBe(401);
    return body<EndedError>(response).error;
  };

  const sessionIdOf = async (token: string): Promise<string> => {
    const list = body<{ sessions: { id: string; current: boolean }[] }>(await get(t.app, '/api/v1/me/sessions', token));
    const current = list.sessions.find((s) => s.current);
    if (current === undefined) throw new Error('no current session');
    return current.id;
  };

  it('password_changed: the other session hears that the password was changed', async () => {
    const user = await createUser(t.app);
    const here = await loginToken(t.app, user.username, user.password);
    const there = await loginToken(t.app, user.username, user.password);
    const changed = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: { authorization: `Bearer ${here}` },
      payload: { currentPassword: user.password, newPassword: 'a-brand-new-password-77' },
    });
    expect(changed.statusCode).toBe(200);
    const error = await ended(there);
    expect(error).toMatchObject({ code: 'unauthorized', reason: 'password_changed' });
    expect(error.message).toMatch(/^Your session ended because the password of your account was changed\./);
    // The session that made the change lives on.
    expect((await get(t.app, '/api/v1/me', here)).statusCode).toBe(200);
  });

  it('two_factor_changed: turning two-factor on ends the other sessions with that reason', async () => {
    const user = await createUser(t.app);
    const here = await loginToken(t.app, user.username, user.password);
    const there = await loginToken(t.app, user.username, user.password);
    await enableTOTP(t.app, here, user.password);
    expect(await ended(there)).toMatchObject({ code: 'unauthorized', reason: 'two_factor_changed' });
  });

  it('revoked: a session ended from the sessions list', async () => {
    const user = await createUser(t.app);
    const here = await loginToken(t.app, user.username, user.password);
    const there = await loginToken(t.app, user.username, user.password);
    expect((await del(t.app, `/api/v1/me/sessions/${await sessionIdOf(there)}`, here)).statusCode).toBe(204);
    expect(await ended(there)).toMatchObject({ code: 'unauthorized', reason: 'revoked' });
  });

  it('administrator: an administrator turned two-factor off, which ended every session', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    await enableTOTP(t.app, token, user.password);
    const admin = await adminToken(t.app);
    // enableTOTP kept `token`; the administrator's reset ends it.
    expect((await del(t.app, `/api/v1/admin/users/${encodeURIComponent(user.username)}/two-factor`, admin)).statusCode).toBe(200);
    expect(await ended(token)).toMatchObject({ code: 'unauthorized', reason: 'administrator' });
  });

  it('logged_out_elsewhere: a copy of a token that was logged out', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    expect((await post(t.app, '/api/v1/auth/logout', {}, token)).statusCode).toBeLessThan(300);
    expect(await ended(token)).toMatchObject({ code: 'unauthorized', reason: 'logged_out_elsewhere' });
  });

  it('expired: before and after the sweep, then forgotten one session lifetime later', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const ttl = t.services.flows.settings.sessionTtlMs;
    clock.advance(ttl + HOUR);
    expect(await ended(token)).toMatchObject({ reason: 'expired' });
    await t.services.flows.store.deleteExpired(clock());
    expect(await ended(token)).toMatchObject({ reason: 'expired' });
    // Kept for one session lifetime after the end, then swept: a bare 401 from then on.
    clock.advance(ttl + HOUR);
    await t.services.flows.store.deleteExpired(clock());
    const forgotten = await ended(token);
    expect(forgotten.reason).toBeUndefined();
    expect(forgotten.message).toBe('Log in to continue.');
  });

  it('reveals nothing to a request without that token', async () => {
    const user = await createUser(t.app);
    const here = await loginToken(t.app, user.username, user.password);
    const there = await loginToken(t.app, user.username, user.password);
    expect((await del(t.app, `/api/v1/me/sessions/${await sessionIdOf(there)}`, here)).statusCode).toBe(204);
    // No token, and a well-formed token that was never issued: the plain answer.
    const none = await get(t.app, '/api/v1/me');
    expect(body<EndedError>(none).error).toEqual({ code: 'unauthorized', message: 'Log in to continue.' });
    const never = await get(t.app, '/api/v1/me', 'x'.repeat(43));
    expect(never.statusCode).toBe(401);
    expect(body<EndedError>(never).error).toEqual({ code: 'unauthorized', message: 'Log in to continue.' });
    // The live session's own answers never mention the other one's end.
    expect((await get(t.app, '/api/v1/me', here)).body).not.toContain('revoked');
    // The store keeps token hashes only: the token itself is nowhere in the table.
    const rows = await t.services.database.db.selectFrom('ended_sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(there);
    expect(rows.length).toBeGreaterThan(0);
  });
});
