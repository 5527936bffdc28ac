import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
  codesAt, createTestClock,
} from '../support/harness.ts';

// The help page, end to end over the JSON API, on each dialect.
describe.each(DIALECTS)('enrollment and login (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('walks the help page: password window, QR or secret, code, "Edited successfully.", then every login asks for a code', async () => {
    const { app } = t;
    const user = await createUser(app, { username: 'anna & co: 1001' });
    const token = await loginToken(app, user.username, user.password);

    let me = body<{ twoFactor: unknown }>(await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } }));
    expect(me.twoFactor).toEqual({ enabled: false, method: null, authenticators: 0 });

    // A fresh login is not the Password window.
    const early = await post(app, '/api/v1/me/two-factor/totp/setup', {}, token);
    expect(early.statusCode).toBe(403);
    expect(body(early)).toMatchObject({ error: { code: 'reauth_required' } });

    const wrongPassword = await post(app, '/api/v1/me/reauth', { password: 'not-the-password' }, token);
    expect(wrongPassword.statusCode).toBe(401);
    expect(body(wrongPassword)).toMatchObject({ error: { code: 'invalid_credentials' } });

    expect((await post(app, '/api/v1/me/reauth', { password: user.password }, token)).statusCode).toBe(200);
    const setupResponse = await post(app, '/api/v1/me/two-factor/totp/setup', {}, token);
    expect(setupResponse.statusCode).toBe(200);
    const setup = body<{ secret: string; otpauthUri: string; qrCode: string; algorithm: string; digits: number; period: number }>(setupResponse);
    expect(setup).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 });
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthUri).toBe(
      `otpauth://totp/Twofold%20Test:anna%20%26%20co%3A%201001?secret=${setup.secret}&issuer=Twofold%20Test&algorithm=SHA1&digits=6&period=30`,
    );

    // The QR image is real: an independent decoder (zbarimg) reads the same URI back.
    expect(setup.qrCode).toMatch(/^data:image\/png;base64,/);
    const png = path.join(mkdtempSync(path.join(tmpdir(), 'qr-')), 'qr.png');
    writeFileSync(png, Buffer.from(setup.qrCode.split(',')[1]!, 'base64'));
    expect(execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()).toBe(setup.otpauthUri);

    // A pending secret does not change login.
    const stillPlain = await login(app, user.username, user.password);
    expect(body(stillPlain)).toMatchObject({ status: 'ok' });

    const wrong = await post(app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 5, clock()) }, token);
    expect(wrong.statusCode).toBe(400);
    expect(body(wrong)).toMatchObject({ error: { code: 'invalid_code' } });
    me = body(await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } }));
    expect(me.twoFactor).toEqual({ enabled: false, method: null, authenticators: 0 });

    const codes = codesAt(setup.secret, clock());
    const enable = await post(app, '/api/v1/me/two-factor/totp/enable', { code: codes.current }, token);
    expect(enable.statusCode).toBe(200);
    const enabled = body<{ message: string; recoveryCodes: string[] }>(enable);
    expect(enabled.message).toBe('Edited successfully.');
    expect(enabled.recoveryCodes).toHaveLength(10);
    expect(enable.body).not.toContain(setup.secret);

    const meAfter = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(body(meAfter)).toMatchObject({ twoFactor: { enabled: true, method: 'totp' } });
    expect(meAfter.body).not.toContain(setup.secret);
    expect(meAfter.body).not.toContain('otpauth');

    // Every client now gets a challenge and nothing that authenticates.
    for (const client of ['web', 'desktop', 'mobile'] as const) {
      const first = await login(app, user.username, user.password, client);
      expect(first.statusCode).toBe(200);
      const challenge = body<Record<string, unknown>>(first);
      expect(challenge).toMatchObject({ status: 'second_factor_required', methods: ['totp', 'recovery_code'] });
      expect(challenge).not.toHaveProperty('token');
      expect(first.headers['set-cookie']).toBeUndefined();
    }

    // The code that confirmed enrollment cannot log in (its step is spent).
    const first = await login(app, user.username, user.password, 'mobile');
    const { challengeId } = body<{ challengeId: string }>(first);
    const replay = await post(app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: codes.current });
    expect(replay.statusCode).toBe(401);
    // Named as used, not as wrong: people log in again straight after setup and should wait.
    expect(body(replay)).toMatchObject({ error: { code: 'invalid_code', message: 'This code was already used. Wait for the next code in your app.' } });
    const wrongOne = await post(app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: totpCode(setup.secret, 7, clock()) });
    expect(body(wrongOne)).toMatchObject({ error: { code: 'invalid_code', message: 'The authentication code is incorrect.' } });

    const second = await post(app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: codes.next });
    expect(second.statusCode).toBe(200);
    const session = body<{ status: string; token: string; user: { username: string } }>(second);
    expect(session.status).toBe('ok');
    expect(session.user.username).toBe(user.username);
    const meWithCode = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session.token}` } });
    expect(meWithCode.statusCode).toBe(200);

    // The same code again, on a new challenge: refused (RFC 6238 §5.2).
    const again = await login(app, user.username, user.password, 'web');
    const reused = await post(app, '/api/v1/auth/login/second-factor', {
      challengeId: body<{ challengeId: string }>(again).challengeId,
      method: 'totp',
      code: codes.next,
    });
    expect(reused.statusCode).toBe(401);

    // The administrator turns it off (lost phone): sessions end and login needs no code.
    const reset = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${encodeURIComponent(user.username)}/two-factor`,
      headers: { authorization: `Bearer ${await adminToken(app)}` },
    });
    expect(reset.statusCode).toBe(200);
    expect(body(reset)).toMatchObject({ message: 'Edited successfully.', user: { twoFactor: { enabled: false, method: null } } });
    const ended = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session.token}` } });
    expect(ended.statusCode).toBe(401);
    expect(body(await login(app, user.username, user.password))).toMatchObject({ status: 'ok' });
  });

  it('gives the web client its session only as an HttpOnly SameSite=Strict cookie, other clients the token in the body', async () => {
    const { app } = t;
    const user = await createUser(app);
    const web = await login(app, user.username, user.password, 'web');
    const cookie = String(web.headers['set-cookie']);
    expect(cookie).toMatch(/^twofold_session=[A-Za-z0-9_-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    // Script in the page must not be able to read the session: no token in the body for web.
    expect(body(web)).not.toHaveProperty('token');
    expect(web.body).not.toContain(/^twofold_session=([^;]+)/.exec(cookie)![1]!);
    expect(body(web)).toMatchObject({ status: 'ok', user: { username: user.username } });
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookie.split(';')[0]! } });
    expect(me.statusCode).toBe(200);
    const desktop = await login(app, user.username, user.password, 'desktop');
    expect(desktop.headers['set-cookie']).toBeUndefined();
    expect(body(desktop)).toHaveProperty('token');
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const { app } = t;
    const user = await createUser(app);
    const unknown = await login(app, 'nobody-here', 'whatever-password');
    const wrong = await login(app, user.username, 'whatever-password');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
  });
});
