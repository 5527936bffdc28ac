import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import {
  DIALECTS,
  adminToken,
  bearer,
  body,
  createMailCapture,
  createTestClock,
  createTestEnvironment,
  createUser,
  post,
  startTestApp,
  totpCode,
  type TestApp,
} from '../support/harness.ts';
import { issuePasswordToken } from '../../src/flows/shared/password-tokens.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV, registerKey } from '../support/webauthn.ts';

// Trusted devices (issue 11): a device credential skips the second step for the configured days,
// only with the password, only for its account and client kind, and ends on every event that
// changes how the account is protected. Time is the test's clock: nothing sleeps.
const START = Date.UTC(2027, 2, 1, 9, 0, 5);
const DAY = 24 * 60 * 60_000;
const STEP = 30_000;

type Client = 'web' | 'desktop' | 'mobile';
interface LoginAnswer {
  status: string;
  token?: string;
  deviceToken?: string;
  challengeId?: string;
  error?: { code: string };
}
interface DeviceEntry {
  id: string;
  name: string;
  client: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}
interface User {
  username: string;
  password: string;
  email: string;
  secret: string;
  token: string;
}

function deviceCookie(response: LightMyRequestResponse): string | undefined {
  const header = response.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header === undefined ? [] : [String(header)];
  return all.find((c) => c.startsWith('twofold_device='));
}

describe.each(DIALECTS)('trusted devices (%s)', (dialect) => {
  const clock = createTestClock(START);
  const mail = createMailCapture();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, WEBAUTHN_ENV), { clock, mailer: mail });
  });
  afterAll(async () => {
    await t.close();
  });

  const code = (secret: string) => totpCode(secret, 0, clock());
  const nextStep = () => clock.advance(STEP);
  const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const del = (url: string, token: string) => t.app.inject({ method: 'DELETE', url, headers: bearer(token) });

  async function passwordStep(user: { username: string; password: string }, client: Client, deviceToken?: string, cookie?: string) {
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: user.username, password: user.password, client, ...(deviceToken === undefined ? {} : { deviceToken }) },
      headers: cookie === undefined ? {} : { cookie },
    });
  }

  /** A full login with the code; `trust` ticks "Trust this device". */
  async function fullLogin(user: User, client: Client, options: { trust?: boolean; deviceToken?: string } = {}) {
    const first = await passwordStep(user, client, options.deviceToken);
    const { challengeId } = body<LoginAnswer>(first);
    expect(challengeId, first.body).toBeDefined();
    const second = await post(t.app, '/api/v1/auth/login/second-factor', {
      challengeId,
      method: 'totp',
      code: code(user.secret),
      ...(options.trust === undefined ? {} : { trustDevice: options.trust }),
    });
    expect(second.statusCode, second.body).toBe(200);
    nextStep();
    return second;
  }

  let counter = 0;
  async function userWithApp(): Promise<User> {
    const email = `${dialect}.trust${++counter}@example.com`;
    const created = await createUser(t.app, { email });
    const login = body<LoginAnswer>(await passwordStep(created, 'desktop'));
    const token = login.token!;
    expect((await post(t.app, '/api/v1/me/reauth', { password: created.password }, token)).statusCode).toBe(200);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token);
    const { secret } = body<{ secret: string }>(setup);
    expect((await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, token)).statusCode).toBe(200);
    nextStep();
    const user = { ...created, email, secret, token: '' };
    // A session made after two-factor went on (enabling it ended the others but this one).
    user.token = body<LoginAnswer>(await fullLogin(user, 'desktop')).token!;
    return user;
  }

  /** A desktop login with "Trust this device" ticked; returns the device token it left. */
  async function trustDesktop(user: User): Promise<string> {
    const answer = body<LoginAnswer>(await fullLogin(user, 'desktop', { trust: true }));
    expect(answer.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return answer.deviceToken!;
  }

  /** The password step from the device: 'ok' (trusted) or 'second_factor_required'. */
  async function statusFrom(user: { username: string; password: string }, deviceToken: string, client: Client = 'desktop'): Promise<string> {
    const response = await passwordStep(user, client, deviceToken);
    expect(response.statusCode, response.body).toBe(200);
    return body<LoginAnswer>(response).status;
  }

  async function reauthWithCode(user: User, token = user.token): Promise<void> {
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: code(user.secret) }, token);
    expect(reauth.statusCode, reauth.body).toBe(200);
    nextStep();
  }

  it('desktop: trust skips the code next time (session says trusted_device), the token is replaced at each login, and another device is still asked', async () => {
    const user = await userWithApp();
    const deviceToken = await trustDesktop(user);
    const again = await passwordStep(user, 'desktop', deviceToken);
    const answer = body<LoginAnswer>(again);
    expect(answer.status).toBe('ok');
    expect(answer.token).toBeDefined();
    expect(answer.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.deviceToken).not.toBe(deviceToken);
    const me = body<{ session: { secondFactor: string | null; amr: string[] } }>(await get('/api/v1/me', answer.token!));
    expect(me.session.secondFactor).toBe('trusted_device');
    expect(me.session.amr).toEqual(['pwd']);
    // A code login says which method met the second step.
    const coded = body<LoginAnswer>(await fullLogin(user, 'desktop'));
    expect(body<{ session: { secondFactor: string } }>(await get('/api/v1/me', coded.token!)).session.secondFactor).toBe('totp');

    // The newer token replaced the older one: the older counts for nothing now.
    expect(await statusFrom(user, deviceToken)).toBe('second_factor_required');
    expect(await statusFrom(user, answer.deviceToken!)).toBe('ok');
    // Another device (no token, or a token never issued) is asked for the code.
    expect(body<LoginAnswer>(await passwordStep(user, 'desktop')).status).toBe('second_factor_required');
    expect(await statusFrom(user, 'A'.repeat(43))).toBe('second_factor_required');
    // A mangled token is ignored, never an error.
    expect(await statusFrom(user, 'not a token at all!')).toBe('second_factor_required');
  });

  it('web: the cookie is HttpOnly, SameSite=Strict, Path=/api/v1/auth, never in the body, and skips the code next time', async () => {
    const user = await userWithApp();
    const first = await passwordStep(user, 'web');
    const second = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: body<LoginAnswer>(first).challengeId, method: 'totp', code: code(user.secret), trustDevice: true });
    nextStep();
    expect(second.statusCode, second.body).toBe(200);
    expect(body<LoginAnswer>(second).deviceToken).toBeUndefined();
    const cookie = deviceCookie(second)!;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/api\/v1\/auth(;|$)/);
    expect(cookie).not.toMatch(/; Secure/); // plain HTTP here; Secure over HTTPS
    const value = cookie.split(';')[0]!;
    expect(second.body).not.toContain(value.split('=')[1]!);

    const next = await passwordStep(user, 'web', undefined, value);
    expect(body<LoginAnswer>(next).status).toBe('ok');
    expect(deviceCookie(next)).toBeDefined();
    // The web takes the cookie only: the same value in the body from a web client counts for nothing.
    const renewed = deviceCookie(next)!.split(';')[0]!;
    expect(await statusFrom(user, renewed.split('=')[1]!, 'web')).toBe('second_factor_required');
    expect(body<LoginAnswer>(await passwordStep(user, 'web', undefined, renewed)).status).toBe('ok');
  });

  it('a token is useless for another client kind, for another account, and without the password', async () => {
    const user = await userWithApp();
    const other = await userWithApp();
    const deviceToken = await trustDesktop(user);
    expect(await statusFrom(user, deviceToken, 'mobile')).toBe('second_factor_required');
    expect(await statusFrom(other, deviceToken)).toBe('second_factor_required');
    const wrong = await passwordStep({ username: user.username, password: 'not-the-password-1' }, 'desktop', deviceToken);
    expect(wrong.statusCode).toBe(401);
    expect(body<LoginAnswer>(wrong).error!.code).toBe('invalid_credentials');
    expect(wrong.body).not.toContain('token');
    // Still trusted for its own account and client afterwards.
    expect(await statusFrom(user, deviceToken)).toBe('ok');
  });

  it('trust lasts createdAt + 180 days, not extended by use', async () => {
    const user = await userWithApp();
    let deviceToken = await trustDesktop(user);
    const trustedAt = clock() - STEP;
    const list = body<{ devices: DeviceEntry[] }>(await get('/api/v1/me/trusted-devices', user.token)).devices;
    expect(list).toHaveLength(1);
    expect(Date.parse(list[0]!.expiresAt) - Date.parse(list[0]!.createdAt)).toBe(180 * DAY);
    clock.set(trustedAt + 179 * DAY);
    const used = body<LoginAnswer>(await passwordStep(user, 'desktop', deviceToken));
    expect(used.status).toBe('ok');
    deviceToken = used.deviceToken!;
    clock.set(trustedAt + 180 * DAY + 1000);
    const lapsed = body<LoginAnswer>(await passwordStep(user, 'desktop', deviceToken));
    expect(lapsed.status).toBe('second_factor_required');
    // Lapsed trust is not listed; the device stays known.
    const fresh = body<LoginAnswer>(await fullLogin(user, 'desktop')).token!;
    expect(body<{ devices: DeviceEntry[] }>(await get('/api/v1/me/trusted-devices', fresh)).devices).toEqual([]);
  });

  it('Security Settings: lists trusted devices with "This device", removes one (asked again, standing gone) and all; administrators see and forget them', async () => {
    const user = await userWithApp();
    const laptop = await trustDesktop(user);
    const phoneLogin = body<LoginAnswer>(await fullLogin(user, 'mobile', { trust: true }));
    const phone = phoneLogin.deviceToken!;
    const list = body<{ devices: DeviceEntry[] }>(await get('/api/v1/me/trusted-devices', phoneLogin.token!));
    expect(list.devices.map((d) => [d.client, d.current])).toEqual([
      ['mobile', true],
      ['desktop', false],
    ]);
    expect(list.devices[0]).toMatchObject({ name: 'Mobile app' });
    expect(JSON.stringify(list)).not.toContain(laptop);

    const admin = await adminToken(t.app);
    const seen = body<{ devices: DeviceEntry[] }>(await get(`/api/v1/admin/users/${user.username}/trusted-devices`, admin)).devices;
    expect(seen.map((d) => d.id).sort()).toEqual(list.devices.map((d) => d.id).sort());
    expect((await get(`/api/v1/admin/users/${user.username}/trusted-devices`, user.token)).statusCode).toBe(403);

    const laptopId = list.devices.find((d) => d.client === 'desktop')!.id;
    const other = await userWithApp();
    expect((await del(`/api/v1/me/trusted-devices/${laptopId}`, other.token)).statusCode).toBe(404);
    expect((await del(`/api/v1/me/trusted-devices/${laptopId}`, user.token)).statusCode).toBe(204);
    expect(await statusFrom(user, laptop)).toBe('second_factor_required');
    expect(await statusFrom(user, phone, 'mobile')).toBe('ok');

    expect((await del('/api/v1/me/trusted-devices', user.token)).statusCode).toBe(204);
    expect(body<{ devices: DeviceEntry[] }>(await get('/api/v1/me/trusted-devices', user.token)).devices).toEqual([]);

    const again = await trustDesktop(user);
    expect((await del(`/api/v1/admin/users/${user.username}/trusted-devices`, admin)).statusCode).toBe(204);
    expect(await statusFrom(user, again)).toBe('second_factor_required');
    const events = await t.services.flows.store.listAuditEvents({ userId: (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id, limit: 50 });
    expect(events.filter((e) => e.type === 'device.forgotten')).toHaveLength(3);
  });

  // Each event that changes how the account is protected ends every trusted device of it.
  const events: Array<[string, (user: User) => Promise<void>]> = [
    [
      'a password change',
      async (user) => {
        const changed = await t.app.inject({ method: 'PUT', url: '/api/v1/me/password', headers: bearer(user.token), payload: { currentPassword: user.password, newPassword: `${user.password}-new` } });
        expect(changed.statusCode, changed.body).toBe(200);
        user.password = `${user.password}-new`;
      },
    ],
    [
      "an administrator's password reset (and the forced change after it)",
      async (user) => {
        const reset = await post(t.app, `/api/v1/admin/users/${user.username}/password`, { password: 'admin-chosen-pass-1' }, await adminToken(t.app));
        expect(reset.statusCode, reset.body).toBe(200);
        const first = body<{ passwordChangeToken: string }>(await passwordStep({ username: user.username, password: 'admin-chosen-pass-1' }, 'desktop'));
        user.password = `${user.password}-mine`;
        const change = await post(t.app, '/api/v1/auth/password-change', { passwordChangeToken: first.passwordChangeToken, newPassword: user.password });
        expect(change.statusCode, change.body).toBe(200);
      },
    ],
    [
      'a forgotten-password reset',
      async (user) => {
        // The link's token as the reset request would mail it (test/http/password-reset.test.ts
        // covers the mail); the confirm below is the real route.
        const deps = t.services.flows;
        const account = (await deps.store.findAccountByUsernameKey(user.username))!;
        const origin = { client: null, deviceName: null, ip: '127.0.0.1', userAgent: null };
        const link = (await issuePasswordToken(deps, deps.store, { account, purpose: 'reset', origin, ttlMs: 30 * 60_000 })).token;
        user.password = `${user.password}-reset`;
        const confirm = await post(t.app, '/api/v1/auth/password-reset/confirm', { token: link, newPassword: user.password });
        expect(confirm.statusCode, confirm.body).toBe(200);
      },
    ],
    [
      'an app added while two-factor is on (totp/enable)',
      async (user) => {
        await reauthWithCode(user);
        const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', { name: 'Tablet' }, user.token);
        const { secret } = body<{ secret: string }>(setup);
        expect((await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, user.token)).statusCode).toBe(200);
        nextStep();
      },
    ],
    [
      'email codes turned on',
      async (user) => {
        await reauthWithCode(user);
        expect((await post(t.app, '/api/v1/me/two-factor/email/setup', {}, user.token)).statusCode).toBe(202);
        const enable = await post(t.app, '/api/v1/me/two-factor/email/enable', { code: mail.lastCode(user.email) }, user.token);
        expect(enable.statusCode, enable.body).toBe(200);
      },
    ],
    [
      'a security key registered',
      async (user) => {
        const key = new SoftwareAuthenticator({ origin: PUBLIC_URL, attachment: 'cross-platform' });
        const registered = await registerKey(t.app, user.token, key, { password: user.password, secondFactor: { code: code(user.secret) } });
        nextStep();
        expect(registered.response.statusCode, registered.response.body).toBe(200);
      },
    ],
    [
      'an authenticator removed',
      async (user) => {
        await reauthWithCode(user);
        const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', { name: 'Spare' }, user.token);
        const { secret } = body<{ secret: string }>(setup);
        expect((await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, user.token)).statusCode).toBe(200);
        nextStep();
        // Trusted again after the add, so that only the removal can end it.
        user.token = body<LoginAnswer>(await fullLogin(user, 'desktop')).token!;
        (user as User & { again?: string }).again = await trustDesktop(user);
        const spare = body<{ authenticators: Array<{ id: string; name: string }> }>(await get('/api/v1/me/authenticators', user.token)).authenticators.find((a) => a.name === 'Spare')!;
        await reauthWithCode(user);
        const removed = await del(`/api/v1/me/authenticators/${spare.id}`, user.token);
        expect(removed.statusCode, removed.body).toBe(200);
      },
    ],
    [
      'two-factor turned off by its owner (and on again)',
      async (user) => {
        await reauthWithCode(user);
        expect((await del('/api/v1/me/two-factor', user.token)).statusCode).toBe(200);
        await reEnable(user);
      },
    ],
    [
      "an administrator's Disable Two-Factor Authentication (and on again)",
      async (user) => {
        expect((await del(`/api/v1/admin/users/${user.username}/two-factor`, await adminToken(t.app))).statusCode).toBe(200);
        await reEnable(user);
      },
    ],
  ];

  async function reEnable(user: User): Promise<void> {
    user.token = body<LoginAnswer>(await passwordStep(user, 'desktop')).token!;
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, user.token)).statusCode).toBe(200);
    const { secret } = body<{ secret: string }>(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, user.token));
    user.secret = secret;
    expect((await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, user.token)).statusCode).toBe(200);
    nextStep();
  }

  it.each(events)('%s ends every trusted device of the account, on desktop and mobile', async (_name, event) => {
    const user = await userWithApp();
    const deviceToken = await trustDesktop(user);
    const phone = body<LoginAnswer>(await fullLogin(user, 'mobile', { trust: true })).deviceToken!;
    await event(user);
    const again = (user as User & { again?: string }).again;
    for (const [token, client] of [[deviceToken, 'desktop'], [phone, 'mobile'], ...(again ? [[again, 'desktop']] : [])] as Array<[string, Client]>) {
      expect(await statusFrom(user, token, client)).toBe('second_factor_required');
    }
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    expect((await t.services.flows.store.listDevices(id)).every((d) => d.trustedAt === null)).toBe(true);
  });

  it('a sign-in from a new device still sends the security notice; a trusted one does not', async () => {
    const notices: string[] = [];
    const notifier = { notify: async (_account: unknown, kind: string) => void notices.push(kind) };
    const environment = createTestEnvironment(dialect);
    const other = await startTestApp(environment, { clock, notifier });
    try {
      const created = await createUser(other.app, { email: `${dialect}.notice@example.com` });
      const step = (client: Client, deviceToken?: string, extra: object = {}) =>
        other.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { ...created, client, ...extra, ...(deviceToken ? { deviceToken } : {}) } });
      const first = body<LoginAnswer>(await step('desktop', undefined, { deviceName: 'Laptop' }));
      expect(notices).toEqual([]);
      await step('desktop', first.deviceToken, { deviceName: 'Laptop' });
      expect(notices).toEqual([]);
      await step('mobile', undefined, { deviceName: 'Phone' });
      expect(notices).toEqual(['new_device_sign_in']);
    } finally {
      await other.close();
    }
  });
});

describe.each(DIALECTS)('trusted devices turned off with TWOFOLD_TRUSTED_DEVICE_DAYS=0 (%s)', (dialect) => {
  const clock = createTestClock(START);
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, { TWOFOLD_TRUSTED_DEVICE_DAYS: '0' }), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('ticking the box changes nothing: the next login still asks for the code', async () => {
    const user = await createUser(t.app);
    const token = body<LoginAnswer>(await post(t.app, '/api/v1/auth/login', { ...user, client: 'desktop' })).token!;
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, token)).statusCode).toBe(200);
    const { secret } = body<{ secret: string }>(await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token));
    expect((await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, token)).statusCode).toBe(200);
    clock.advance(STEP);
    const first = body<LoginAnswer>(await post(t.app, '/api/v1/auth/login', { ...user, client: 'desktop' }));
    const second = body<LoginAnswer>(
      await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: first.challengeId, method: 'totp', code: totpCode(secret, 0, clock()), trustDevice: true }),
    );
    expect(second.status).toBe('ok');
    // Still a known device (its own password budget), never a trusted one.
    expect(second.deviceToken).toBeDefined();
    const next = body<LoginAnswer>(await post(t.app, '/api/v1/auth/login', { ...user, client: 'desktop', deviceToken: second.deviceToken }));
    expect(next.status).toBe('second_factor_required');
    expect(body<{ devices: unknown[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/me/trusted-devices', headers: bearer(second.token!) })).devices).toEqual([]);
  });
});
