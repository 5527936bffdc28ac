import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  adminToken,
  bearer,
  body,
  createMailCapture,
  createTestClock,
  createTestEnvironment,
  createUser,
  enableTOTP,
  loginToken,
  post,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV, passkeyOptions, registerKey } from '../support/webauthn.ts';

// Found by the security review of trusted devices, the two-factor policy and administrators'
// recovery codes (issues 11 and 12); each case failed before its fix.
describe.each(DIALECTS)('what the security review of issues 11 and 12 found (%s)', (dialect) => {
  const clock = createTestClock(Date.UTC(2027, 3, 5, 10, 0, 0));
  const mail = createMailCapture();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, { TWOFOLD_TRUST_PROXY_HOPS: '0', ...WEBAUTHN_ENV }), { clock, mailer: mail });
  });
  afterAll(async () => {
    await t?.close();
  });
  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'GET', url: string, payload: object, options: { ip?: string; token?: string } = {}) =>
    t.app.inject({ method, url, payload: method === 'GET' ? undefined : payload, remoteAddress: options.ip ?? '127.0.0.1', headers: options.token ? bearer(options.token) : {} });
  type Answer = { status?: string; token?: string; deviceToken?: string; challengeId?: string; error?: { code: string } };

  it("an outsider's wrong passwords lock unknown devices only: the owner's known device still opens the Password window and changes the password", async () => {
    const user = await createUser(t.app);
    const first = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop' }, { ip: '10.1.1.1' }));
    // Eleven wrong passwords for the username from eleven addresses: unknown devices are locked.
    for (let i = 0; i < 11; i++) await send('POST', '/api/v1/auth/login', { username: user.username, password: `wrong-${i}-guess`, client: 'desktop' }, { ip: `10.9.9.${i + 1}` });
    expect((await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop' }, { ip: '10.9.8.1' })).statusCode).toBe(429);
    const owner = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop', deviceToken: first.deviceToken }, { ip: '10.1.1.1' }));
    expect(owner.status).toBe('ok');
    const reauth = await send('POST', '/api/v1/me/reauth', { password: user.password }, { token: owner.token!, ip: '10.1.1.1' });
    expect(reauth.statusCode, reauth.body).toBe(200);
    const change = await send('PUT', '/api/v1/me/password', { currentPassword: user.password, newPassword: 'a-brand-new-passphrase-77' }, { token: owner.token!, ip: '10.1.1.1' });
    expect(change.statusCode, change.body).toBe(200);
  });

  it('moving the email method to a new address ends the trust of every device', async () => {
    const email = `owner-${dialect}@example.com`;
    const user = await createUser(t.app, { email });
    const setupToken = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, setupToken);
    await post(t.app, '/api/v1/me/two-factor/email/setup', {}, setupToken);
    expect((await post(t.app, '/api/v1/me/two-factor/email/enable', { code: mail.lastCode(email) }, setupToken)).statusCode).toBe(200);
    const signIn = async (trustDevice: boolean): Promise<Answer> => {
      clock.advance(61_000); // one code mail a minute per challenge and account
      const challenge = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop' }));
      expect(challenge.status).toBe('second_factor_required');
      await post(t.app, '/api/v1/auth/login/email-code', { challengeId: challenge.challengeId });
      return body<Answer>(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: challenge.challengeId, method: 'email', code: mail.lastCode(email), trustDevice }));
    };
    const trusted = (await signIn(true)).deviceToken!;
    const stillTrusted = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop', deviceToken: trusted }));
    expect(stillTrusted.status).toBe('ok');
    // The owner, in another session, moves the email method to a new address.
    const own = (await signIn(false)).token!;
    clock.advance(61_000);
    await post(t.app, '/api/v1/me/reauth/email-code', {}, own);
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password, code: mail.lastCode(email) }, own)).statusCode).toBe(200);
    const newEmail = `owner-new-${dialect}@example.com`;
    expect((await send('PUT', '/api/v1/me/email', { email: newEmail }, { token: own })).statusCode).toBe(202);
    expect((await post(t.app, '/api/v1/me/email/verify', { code: mail.lastCode(newEmail) }, own)).statusCode).toBe(200);
    const after = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop', deviceToken: stillTrusted.deviceToken }));
    expect(after.status).toBe('second_factor_required');
  });

  it('a disabled account cannot log in with a passkey either: the same refusal, and no device credential', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL, attachment: 'platform' });
    expect((await registerKey(t.app, token, key, { password: user.password, name: 'Key' })).response.statusCode).toBe(200);
    const admin = await adminToken(t.app);
    expect((await send('PATCH', `/api/v1/admin/users/${user.username}`, { disabled: true }, { token: admin })).statusCode).toBe(200);
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const refused = await send('POST', '/api/v1/auth/login/passkey', { passkeyChallengeId, response: key.authenticate(request), client: 'desktop', trustDevice: true });
    expect(refused.statusCode).toBe(401);
    expect(body<Answer>(refused).error?.code).toBe('invalid_credentials');
    expect(body<Answer>(refused).deviceToken).toBeUndefined();
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    // Only the device of the registration's own login exists: the refused login left none.
    expect(await t.services.flows.store.listDevices(id)).toHaveLength(1);
  });

  it('keeps at most 50 devices per account however many logins mint one, forgetting the least recently used', async () => {
    const user = await createUser(t.app);
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    let newest: string | undefined;
    for (let i = 0; i < 55; i++) {
      clock.advance(1_000);
      newest = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'mobile' })).deviceToken;
    }
    expect(await t.services.flows.store.listDevices(id)).toHaveLength(50);
    // The newest one is among those kept: its login counts as a known device's.
    const again = await send('POST', '/api/v1/auth/login', { ...user, client: 'mobile', deviceToken: newest });
    expect(body<Answer>(again).status).toBe('ok');
  });

  it("an administrator's recovery code does not outlive a suspension or turning two-factor off", async () => {
    const user = await createUser(t.app);
    await enableTOTP(t.app, await loginToken(t.app, user.username, user.password), user.password);
    let admin = await adminToken(t.app);
    const issue = async () => body<{ code: string }>(await post(t.app, `/api/v1/admin/users/${user.username}/two-factor/recovery`, {}, admin)).code;
    const tryCode = async (code: string) => {
      const challenge = body<Answer>(await send('POST', '/api/v1/auth/login', { ...user, client: 'desktop' }));
      return send('POST', '/api/v1/auth/login/second-factor', { challengeId: challenge.challengeId, method: 'admin_recovery', code });
    };
    const beforeSuspension = await issue();
    expect((await send('PATCH', `/api/v1/admin/users/${user.username}`, { disabled: true }, { token: admin })).statusCode).toBe(200);
    clock.advance(60 * 60_000);
    admin = await adminToken(t.app);
    expect((await send('PATCH', `/api/v1/admin/users/${user.username}`, { disabled: false }, { token: admin })).statusCode).toBe(200);
    expect((await tryCode(beforeSuspension)).statusCode).toBe(401);

    await issue();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${user.username}/two-factor`, headers: bearer(admin) })).statusCode).toBe(200);
    const id = (await t.services.flows.store.findAccountByUsernameKey(user.username))!.id;
    const rows = await t.services.database.db.selectFrom('admin_recovery_codes').selectAll().where('user_id', '=', id).execute();
    expect(rows).toEqual([]);
  });
});
