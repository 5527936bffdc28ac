import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  bearer,
  body,
  createTestEnvironment,
  createUser,
  login,
  loginToken,
  post,
  startTestApp,
  type TestApp,
  createTestClock,
} from '../support/harness.ts';
import { del, enrollTOTP, expectError, get } from '../support/security.ts';

interface SessionView {
  id: string;
  client: string;
  current: boolean;
}

// Server-side sessions behind opaque tokens: every client uses a bearer token, the web client may
// use its cookie, and a cookie alone never authorises a write from another site.
function cookieToken(response: { headers: Record<string, unknown> }): string {
  const token = /^twofold_session=([^;]+)/.exec(String(response.headers['set-cookie']))?.[1];
  if (token === undefined) throw new Error('no session cookie');
  return token;
}

describe.each(DIALECTS)('sessions and CSRF (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function tokenFor(username: string, password: string, client: 'web' | 'desktop' | 'mobile'): Promise<string> {
    const response = await login(t.app, username, password, client);
    expect(response.statusCode).toBe(200);
    if (client !== 'web') return body<{ token: string }>(response).token;
    // The web client gets its session only as the HttpOnly cookie; the same token works as a bearer.
    expect(body(response)).not.toHaveProperty('token');
    return cookieToken(response);
  }

  async function sessionsOf(token: string): Promise<SessionView[]> {
    const response = await get(t.app, '/api/v1/me/sessions', token);
    expect(response.statusCode).toBe(200);
    return body<{ sessions: SessionView[] }>(response).sessions;
  }

  async function currentSessionId(token: string): Promise<string> {
    return body<{ session: { id: string } }>(await get(t.app, '/api/v1/me', token)).session.id;
  }

  it('accepts a bearer token from web, desktop and mobile sessions alike', async () => {
    const user = await createUser(t.app);
    for (const client of ['web', 'desktop', 'mobile'] as const) {
      const token = await tokenFor(user.username, user.password, client);
      const me = await get(t.app, '/api/v1/me', token);
      expect(me.statusCode).toBe(200);
      expect(body(me)).toMatchObject({ username: user.username, session: { client } });
    }
  });

  it('lets the web cookie read, and write only with the CSRF header and never from another origin', async () => {
    const user = await createUser(t.app);
    const web = await login(t.app, user.username, user.password, 'web');
    const cookie = /^(twofold_session=[^;]+)/.exec(String(web.headers['set-cookie']))![1]!;
    const webToken = cookieToken(web);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(body(me)).toMatchObject({ username: user.username, session: { client: 'web' } });

    const reauth = { method: 'POST' as const, url: '/api/v1/me/reauth', payload: { password: user.password } };
    expectError(await t.app.inject({ ...reauth, headers: { cookie } }), 403, 'forbidden');
    const sessionId = await currentSessionId(webToken);
    const row = () => t.services.database.db.selectFrom('sessions').select('reauthenticated_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect((await row()).reauthenticated_at).toBeNull();

    const withHeader = await t.app.inject({ ...reauth, headers: { cookie, 'x-csrf-protection': '1' } });
    expect(withHeader.statusCode).toBe(200);
    expect((await row()).reauthenticated_at).not.toBeNull();

    // Another site's page: refused whatever it carries, even the header and a valid token.
    const evil = { origin: 'https://evil.example' };
    expectError(await t.app.inject({ ...reauth, headers: { cookie, 'x-csrf-protection': '1', ...evil } }), 403, 'forbidden');
    expectError(await t.app.inject({ ...reauth, headers: { ...bearer(webToken), ...evil } }), 403, 'forbidden');
    expectError(
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: user.password, client: 'web' }, headers: evil }),
      403,
      'forbidden',
    );
    // Our own origin is fine.
    const same = await t.app.inject({
      ...reauth,
      headers: { cookie, 'x-csrf-protection': '1', host: 'twofold.example', origin: 'http://twofold.example' },
    });
    expect(same.statusCode).toBe(200);

    // Logout by cookie is a write too.
    expectError(await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } }), 403, 'forbidden');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
  });

  it('ends the session at logout: the token then gets 401', async () => {
    const user = await createUser(t.app);
    const token = await tokenFor(user.username, user.password, 'mobile');
    const other = await tokenFor(user.username, user.password, 'desktop');
    const out = await post(t.app, '/api/v1/auth/logout', {}, token);
    expect(out.statusCode).toBe(200);
    expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expectError(await post(t.app, '/api/v1/auth/logout', {}, token), 401, 'unauthorized');
    expect((await get(t.app, '/api/v1/me', other)).statusCode).toBe(200);
  });

  it('lists the account\'s sessions marking the current one, and ends one\'s own other session but not someone else\'s', async () => {
    const user = await createUser(t.app);
    const a = await tokenFor(user.username, user.password, 'web');
    const b = await tokenFor(user.username, user.password, 'mobile');
    const stranger = await createUser(t.app);
    const s = await tokenFor(stranger.username, stranger.password, 'desktop');

    const listed = await sessionsOf(a);
    expect(listed).toHaveLength(2);
    const idA = await currentSessionId(a);
    const idB = await currentSessionId(b);
    expect(listed.find((x) => x.id === idA)).toMatchObject({ current: true, client: 'web' });
    expect(listed.find((x) => x.id === idB)).toMatchObject({ current: false, client: 'mobile' });
    expect(JSON.stringify(listed)).not.toContain(a);
    expect(JSON.stringify(listed)).not.toContain(b);

    const idS = await currentSessionId(s);
    expectError(await del(t.app, `/api/v1/me/sessions/${idS}`, a), 404, 'not_found');
    expect((await get(t.app, '/api/v1/me', s)).statusCode).toBe(200);

    const ended = await del(t.app, `/api/v1/me/sessions/${idB}`, a);
    expect(ended.statusCode).toBe(204);
    expectError(await get(t.app, '/api/v1/me', b), 401, 'unauthorized');
    expect((await sessionsOf(a)).map((x) => x.id)).toEqual([idA]);
    expectError(await del(t.app, `/api/v1/me/sessions/${idB}`, a), 404, 'not_found');
  });

  it('ends the account\'s other sessions when two-factor is turned on, keeping the one that did it', async () => {
    const user = await createUser(t.app);
    const keeper = await tokenFor(user.username, user.password, 'web');
    const others = [await tokenFor(user.username, user.password, 'desktop'), await tokenFor(user.username, user.password, 'mobile')];
    const bystander = await createUser(t.app);
    const bystanderToken = await tokenFor(bystander.username, bystander.password, 'desktop');

    await enrollTOTP(t.app, keeper, user.password);
    expect((await get(t.app, '/api/v1/me', keeper)).statusCode).toBe(200);
    for (const token of others) expectError(await get(t.app, '/api/v1/me', token), 401, 'unauthorized');
    expect((await sessionsOf(keeper)).map((x) => x.current)).toEqual([true]);
    expect((await get(t.app, '/api/v1/me', bystanderToken)).statusCode).toBe(200);
  });

  it('changes the password only given the current one, and then ends the other sessions', async () => {
    const user = await createUser(t.app);
    const keeper = await tokenFor(user.username, user.password, 'desktop');
    const other = await tokenFor(user.username, user.password, 'mobile');
    const change = (currentPassword: string) =>
      t.app.inject({ method: 'PUT', url: '/api/v1/me/password', payload: { currentPassword, newPassword: 'a-brand-new-password' }, headers: bearer(keeper) });

    expectError(await change('not-the-password'), 401, 'invalid_credentials');
    expect((await get(t.app, '/api/v1/me', other)).statusCode).toBe(200);
    expectError(await login(t.app, user.username, 'a-brand-new-password'), 401, 'invalid_credentials');

    const changed = await change(user.password);
    expect(changed.statusCode).toBe(200);
    expect(body(changed)).toMatchObject({ message: 'Edited successfully.' });
    expect((await get(t.app, '/api/v1/me', keeper)).statusCode).toBe(200);
    expectError(await get(t.app, '/api/v1/me', other), 401, 'unauthorized');
    expectError(await login(t.app, user.username, user.password), 401, 'invalid_credentials');
    expect(await loginToken(t.app, user.username, 'a-brand-new-password')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('answers a random, malformed or stale token with 401 unauthorized', async () => {
    const user = await createUser(t.app);
    const real = await tokenFor(user.username, user.password, 'web');
    const attempts: Record<string, string>[] = [
      bearer(randomBytes(32).toString('base64url')),
      bearer(`${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`),
      bearer('not a token at all !!'),
      bearer(''),
      { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` },
      { authorization: real },
      { cookie: `twofold_session=${randomBytes(32).toString('base64url')}` },
      { cookie: 'twofold_session=%00%ff' },
    ];
    for (const headers of attempts) {
      expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers }), 401, 'unauthorized');
    }
    // A token whose session expired (the clock seam) is no longer accepted.
    expect((await get(t.app, '/api/v1/me', real)).statusCode).toBe(200);
    clock.advance(t.services.flows.settings.sessionTtlMs + 1);
    expectError(await get(t.app, '/api/v1/me', real), 401, 'unauthorized');
  });
});
