import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  adminToken,
  body,
  createTestEnvironment,
  createUser,
  loginToken,
  post,
  startTestApp,
  totpCode,
  type TestApp,
  codesAt, createTestClock,
} from '../support/harness.ts';
import { answerChallenge, containsToken, del, enrollTOTP, expectError, get, startChallenge, userId, wrongCode } from '../support/security.ts';

interface AuditView {
  id: string;
  at: string;
  type: string;
  outcome: string;
  userId: string | null;
  username: string | null;
  actor: string | null;
  client: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

/** Every response of a flow, kept to check afterwards that none leaks a credential. */
function recorder(app: FastifyInstance) {
  const seen: { label: string; response: LightMyRequestResponse }[] = [];
  return {
    seen,
    async inject(label: string, options: InjectOptions): Promise<LightMyRequestResponse> {
      const response = await app.inject(options);
      seen.push({ label, response });
      return response;
    },
  };
}

describe.each(DIALECTS)('administration and audit (%s)', (dialect) => {
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

  async function auditOf(username: string): Promise<AuditView[]> {
    const response = await get(t.app, `/api/v1/admin/audit-events?limit=200&username=${encodeURIComponent(username)}`, admin);
    expect(response.statusCode).toBe(200);
    return body<{ events: AuditView[] }>(response).events;
  }

  it('answers every admin route with 401 for anonymous callers and 403 for non-admins, changing nothing', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const routes: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }[] = [
      { method: 'GET', url: '/api/v1/admin/users' },
      { method: 'POST', url: '/api/v1/admin/users', payload: { username: 'sneaky', password: 'sneaky-password', role: 'admin' } },
      { method: 'DELETE', url: '/api/v1/admin/users/admin/two-factor' },
      { method: 'DELETE', url: `/api/v1/admin/users/${user.username}/lock` },
      { method: 'GET', url: '/api/v1/admin/audit-events' },
    ];
    for (const route of routes) {
      expectError(await t.app.inject({ ...route }), 401, 'unauthorized');
      expectError(await t.app.inject({ ...route, headers: { authorization: `Bearer ${token}` } }), 403, 'forbidden');
    }
    const users = body<{ users: { username: string }[] }>(await get(t.app, '/api/v1/admin/users', admin)).users;
    expect(users.map((u) => u.username)).not.toContain('sneaky');
  });

  it('refuses a duplicate username, whatever its case, with 409 conflict', async () => {
    const created = await post(t.app, '/api/v1/admin/users', { username: 'Grace', password: 'grace-password-1' }, admin);
    expect(created.statusCode).toBe(201);
    expect(body(created)).toMatchObject({ username: 'Grace', role: 'user', twoFactor: { enabled: false, method: null } });
    expect(created.body).not.toContain('grace-password-1');
    expect(created.body).not.toMatch(/argon2/);
    for (const username of ['Grace', 'grace', 'GRACE']) {
      expectError(await post(t.app, '/api/v1/admin/users', { username, password: 'other-password-2' }, admin), 409, 'conflict');
    }
    // The original password still logs in: the duplicate did not overwrite anything.
    expect(await loginToken(t.app, 'grace', 'grace-password-1')).toBeTruthy();
  });

  it('audits the whole flow (time, account, client, IP, outcome) and no response or event leaks a credential', async () => {
    const r = recorder(t.app);
    const ip = '203.0.113.7';
    const user = await createUser(t.app);
    const json = (label: string, method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: object, token?: string) =>
      r.inject(label, { method, url, payload, remoteAddress: ip, headers: token ? { authorization: `Bearer ${token}` } : {} });

    const wrongPassword = 'definitely-wrong-password';
    expectError(await json('wrong password', 'POST', '/api/v1/auth/login', { username: user.username, password: wrongPassword, client: 'mobile' }), 401, 'invalid_credentials');
    const first = await json('login', 'POST', '/api/v1/auth/login', { username: user.username, password: user.password, client: 'mobile' });
    const token = body<{ token: string }>(first).token;
    await json('reauth', 'POST', '/api/v1/me/reauth', { password: user.password }, token);
    const setup = await json('setup', 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    const secret = body<{ secret: string }>(setup).secret;
    const codes = codesAt(secret, clock());
    const enable = await json('enable', 'POST', '/api/v1/me/two-factor/totp/enable', { code: codes.previous }, token);
    expect(enable.statusCode).toBe(200);
    const recoveryCodes = body<{ recoveryCodes: string[] }>(enable).recoveryCodes;

    const challenge = await json('login 2fa', 'POST', '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop' });
    const challengeId = body<{ challengeId: string }>(challenge).challengeId;
    const badCode = wrongCode(secret, clock());
    expectError(await json('wrong code', 'POST', '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: badCode }), 401, 'invalid_code');
    const second = await json('right code', 'POST', '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: codes.current });
    expect(second.statusCode).toBe(200);
    const token2 = body<{ token: string }>(second).token;

    // Lock the second factor: 10 consecutive failures over two more challenges (the right code
    // above ended the earlier run: NIST SP 800-63B counts consecutive failures).
    const lockCodes: string[] = [];
    for (let round = 0; round < 2; round++) {
      const c = await json('login 2fa', 'POST', '/api/v1/auth/login', { username: user.username, password: user.password, client: 'desktop' });
      const id = body<{ challengeId: string }>(c).challengeId;
      for (let i = 0; i < 5; i++) {
        const code = wrongCode(secret, clock(), 100 + round * 10 + i);
        lockCodes.push(code);
        await json('guess', 'POST', '/api/v1/auth/login/second-factor', { challengeId: id, method: 'totp', code });
      }
    }
    await json('me', 'GET', '/api/v1/me', undefined, token2);
    await json('sessions', 'GET', '/api/v1/me/sessions', undefined, token2);
    const locked = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), codes.next);
    expectError(locked, 429, 'too_many_attempts');

    // The administrator resets two-factor: the user's sessions end and the lock lifts.
    const reset = await json('admin reset', 'DELETE', `/api/v1/admin/users/${encodeURIComponent(user.username)}/two-factor`, undefined, admin);
    expect(reset.statusCode).toBe(200);
    expect(body(reset)).toMatchObject({ message: 'Edited successfully.', sessionsEnded: 2, user: { twoFactor: { enabled: false } } });
    for (const ended of [token, token2]) expectError(await get(t.app, '/api/v1/me', ended), 401, 'unauthorized');
    expect(await t.services.database.db.selectFrom('sessions').select('id').where('user_id', '=', await userId(t, user.username)).execute()).toHaveLength(0);
    // Enrolled again at once, the very next code logs in: no lock is left behind.
    const again = await loginToken(t.app, user.username, user.password);
    const { secret: newSecret, recoveryCodes: newRecoveryCodes } = await enrollTOTP(t.app, again, user.password);
    const relogin = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), totpCode(newSecret, 0, clock()));
    expect(relogin.statusCode).toBe(200);

    const eventsResponse = await json('audit', 'GET', `/api/v1/admin/audit-events?limit=200&username=${encodeURIComponent(user.username)}`, undefined, admin);
    const events = body<{ events: AuditView[] }>(eventsResponse).events;
    const find = (type: string, outcome: string) => events.filter((e) => e.type === type && e.outcome === outcome);
    const uid = await userId(t, user.username);
    for (const [type, outcome, client] of [
      ['login.password', 'failure', 'mobile'],
      ['login.password', 'success', 'mobile'],
      ['login.second_factor', 'failure', 'desktop'],
      ['login.second_factor', 'success', 'desktop'],
      ['login.lockout', 'failure', 'desktop'],
      ['two_factor.enabled', 'success', 'mobile'],
    ] as const) {
      const matching = find(type, outcome);
      expect(matching.length, `${type} ${outcome}`).toBeGreaterThan(0);
      expect(matching).toContainEqual(expect.objectContaining({ userId: uid, username: user.username, client, ip }));
      for (const event of matching) expect(Date.parse(event.at)).toBeGreaterThan(Date.now() - 5 * 60_000);
    }
    expect(find('login.lockout', 'failure')).toHaveLength(1);
    expect(find('two_factor.admin_reset', 'success')[0]).toMatchObject({ userId: uid, actor: 'admin', ip });

    // Disabling by the user is audited too.
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: newRecoveryCodes[0]! }, again)).statusCode).toBe(200);
    expect((await del(t.app, '/api/v1/me/two-factor', again)).statusCode).toBe(200);
    const disabled = (await auditOf(user.username)).filter((e) => e.type === 'two_factor.disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ outcome: 'success', userId: uid, username: user.username, client: 'desktop', ip: '127.0.0.1' });

    // No response carries the password, a code, the secret or someone's token; the only
    // places a secret value may appear are its own setup response and the login responses.
    const secrets = { password: user.password, wrongPassword, secret, codes: [codes.previous, codes.current, badCode, ...lockCodes] };
    for (const { label, response } of r.seen) {
      const text = response.body + JSON.stringify(response.headers);
      expect(containsToken(text, secrets.password), `${label} leaks the password`).toBe(false);
      expect(containsToken(text, secrets.wrongPassword), `${label} leaks the typed password`).toBe(false);
      if (label !== 'setup') expect(containsToken(text, secrets.secret), `${label} leaks the secret`).toBe(false);
      for (const code of secrets.codes) expect(containsToken(text, code), `${label} leaks code ${code}`).toBe(false);
      if (label !== 'login') expect(containsToken(text, token), `${label} leaks the first token`).toBe(false);
      if (label !== 'right code') expect(containsToken(text, token2), `${label} leaks the second token`).toBe(false);
      if (label !== 'login 2fa') expect(containsToken(text, challengeId), `${label} leaks the challenge id`).toBe(false);
    }
    expect(r.seen.find((s) => s.label === 'enable')!.response.body).toContain(recoveryCodes[0]);

    // And the stored audit rows hold none of them either.
    const stored = JSON.stringify(await t.services.flows.store.listAuditEvents({ limit: 500 }));
    for (const value of [user.password, wrongPassword, secret, newSecret, token, token2, challengeId, ...recoveryCodes]) {
      expect(containsToken(stored, value)).toBe(false);
    }
    for (const code of secrets.codes) expect(containsToken(stored, code)).toBe(false);
  });

  it('lifts a password lock through the unlock route', async () => {
    const user = await createUser(t.app);
    for (let i = 0; i < 10; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: user.username, password: `nope-${i}-nope`, client: 'web' },
        remoteAddress: '198.51.100.9',
      });
    }
    expectError(await post(t.app, '/api/v1/auth/login', { username: user.username, password: user.password, client: 'web' }), 429, 'too_many_attempts');
    expect((await del(t.app, `/api/v1/admin/users/${user.username}/lock`, admin)).statusCode).toBe(200);
    expect(await loginToken(t.app, user.username, user.password)).toBeTruthy();
    expect((await auditOf(user.username)).some((e) => e.type === 'account.unlocked' && e.actor === 'admin')).toBe(true);
  });

  it('pages audit events newest first with nextCursor passed back as before', async () => {
    for (let i = 0; i < 3; i++) await createUser(t.app);
    const all = await t.services.flows.store.listAuditEvents({ limit: 1000 });
    expect(all.length).toBeGreaterThan(12);
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/admin/audit-events?limit=5${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`;
      const page = await get(t.app, url, admin);
      expect(page.statusCode).toBe(200);
      const json = body<{ events: AuditView[]; nextCursor: string | null }>(page);
      expect(json.events.length).toBeLessThanOrEqual(5);
      ids.push(...json.events.map((e) => e.id));
      cursor = json.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    // The pages cover every stored event once, newest first (anything newer came while paging).
    const known = new Set(all.map((e) => e.id));
    expect(ids.filter((id) => known.has(id))).toEqual(all.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(all.length / 5));

    expectError(await get(t.app, '/api/v1/admin/audit-events?before=not-a-cursor', admin), 400, 'validation_error');
    expectError(await get(t.app, '/api/v1/admin/audit-events?limit=-1', admin), 400, 'validation_error');
  });

  it('keeps the administrator usable: the reset of an unknown user is a 404', async () => {
    expectError(await del(t.app, '/api/v1/admin/users/nobody-at-all/two-factor', admin), 404, 'not_found');
    expect(await loginToken(t.app, 'admin', ADMIN_PASSWORD)).toBeTruthy();
  });
});
