import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  adminToken,
  bearer,
  body,
  createTestEnvironment,
  createUser,
  login,
  loginToken,
  post,
  createTestClock,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { codeFromMail, startMailbox, type TestMailbox } from '../support/smtp.ts';

describe.each(DIALECTS)('"Authenticated by Email" over real SMTP (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  let mailbox: TestMailbox;
  beforeAll(async () => {
    mailbox = await startMailbox();
    t = await startTestApp(createTestEnvironment(dialect, { TWOFOLD_SMTP_URL: mailbox.url, TWOFOLD_MAIL_FROM: 'Twofold <no-reply@example.com>' }), { clock });
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  let counter = 0;
  const address = () => `${dialect}.user${++counter}@example.com`;

  /** Creates a user, enrols the email method and returns its credentials and token. */
  async function enrolledUser(): Promise<{ username: string; password: string; email: string; token: string; recoveryCodes: string[] }> {
    const email = address();
    const user = await createUser(t.app, { email });
    const token = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    const before = mailbox.to(email).length;
    const setup = await post(t.app, '/api/v1/me/two-factor/email/setup', {}, token);
    expect(setup.statusCode).toBe(202);
    const mail = await mailbox.waitFor(email, () => mailbox.to(email).length > before);
    const enable = await post(t.app, '/api/v1/me/two-factor/email/enable', { code: codeFromMail(mail) }, token);
    expect(enable.statusCode).toBe(200);
    return { ...user, email, token, recoveryCodes: body<{ recoveryCodes: string[] }>(enable).recoveryCodes };
  }

  async function challengeFor(username: string, password: string): Promise<string> {
    const first = await login(t.app, username, password);
    return body<{ challengeId: string }>(first).challengeId;
  }

  it('enrols by email: Password window, Send, code from the mail, Save, "Edited successfully."', async () => {
    const email = address();
    const user = await createUser(t.app, { email });
    const token = await loginToken(t.app, user.username, user.password);

    expect((await post(t.app, '/api/v1/me/two-factor/email/setup', {}, token)).statusCode).toBe(403);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    const setup = await post(t.app, '/api/v1/me/two-factor/email/setup', {}, token);
    expect(setup.statusCode).toBe(202);
    expect(body(setup)).toEqual({ sentTo: `${email[0]}***@example.com`, resendAfter: 60 });

    const mail = await mailbox.waitFor(email);
    expect(mail.from?.text).toContain('no-reply@example.com');
    expect(mail.html).toBeTruthy();
    const code = codeFromMail(mail);

    // A resend within the minute is refused, and says when.
    const tooSoon = await post(t.app, '/api/v1/me/two-factor/email/setup', {}, token);
    expect(tooSoon.statusCode).toBe(429);
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);

    const wrongCode = code === '000000' ? '111111' : '000000';
    const wrong = await post(t.app, '/api/v1/me/two-factor/email/enable', { code: wrongCode }, token);
    expect(wrong.statusCode).toBe(400);
    expect(body(wrong)).toMatchObject({ error: { code: 'invalid_code' } });

    const enable = await post(t.app, '/api/v1/me/two-factor/email/enable', { code }, token);
    expect(enable.statusCode).toBe(200);
    expect(body(enable)).toMatchObject({ message: 'Edited successfully.', twoFactor: { enabled: true, method: 'email' } });

    const me = body(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) }));
    expect(me).toMatchObject({ twoFactor: { enabled: true, method: 'email' }, emailVerified: true });

    // Receiving the code proved the address, so the notice already goes to it.
    const notice = await mailbox.waitFor(email, (m) => /Two-factor authentication is on/.test(m.subject ?? ''));
    expect(notice.text).not.toMatch(/[0-9]{6}/);
  });

  it('refuses enrolment without an address', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    const setup = await post(t.app, '/api/v1/me/two-factor/email/setup', {}, token);
    expect(setup.statusCode).toBe(400);
    expect(body(setup)).toMatchObject({ error: { code: 'validation_error' } });
  });

  it('logs in with an emailed code: nothing sent by the password step, single use, resend limits', async () => {
    const user = await enrolledUser();
    const mailsBefore = mailbox.to(user.email).length;
    const first = await login(t.app, user.username, user.password);
    expect(body(first)).toMatchObject({ status: 'second_factor_required', methods: ['email', 'recovery_code'] });
    expect(first.body).not.toContain('token');
    expect(mailbox.to(user.email).length).toBe(mailsBefore);
    const { challengeId } = body<{ challengeId: string }>(first);

    const send = await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    expect(send.statusCode).toBe(202);
    expect(body(send)).toMatchObject({ sentTo: `${user.email[0]}***@example.com`, resendAfter: 60 });
    const again = await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    expect(again.statusCode).toBe(429);
    expect(body(again)).toMatchObject({ error: { code: 'too_many_attempts' } });

    const mail = await mailbox.waitFor(user.email, (m) => /authentication code/.test(m.subject ?? '') && mailbox.to(user.email).indexOf(m) >= mailsBefore);
    const code = codeFromMail(mail);
    const ok = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code });
    expect(ok.statusCode).toBe(200);
    expect(body(ok)).toMatchObject({ status: 'ok' });

    // The same code on a fresh challenge: refused.
    const second = await challengeFor(user.username, user.password);
    const reused = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: second, method: 'email', code });
    expect(reused.statusCode).toBe(401);
    expect(body(reused)).toMatchObject({ error: { code: 'invalid_code' } });
  });

  it('lets an emailed code expire after five minutes', async () => {
    // A login challenge also lives 5 minutes and would end first, so the code's own expiry is
    // shown in the Password window, whose codes are bound to the session (which lives on).
    const user = await enrolledUser();
    const sendCode = async (): Promise<string> => {
      const count = mailbox.to(user.email).length;
      expect((await post(t.app, '/api/v1/me/reauth/email-code', {}, user.token)).statusCode).toBe(202);
      return codeFromMail(await mailbox.waitFor(user.email, () => mailbox.to(user.email).length > count));
    };
    const late = await sendCode();
    clock.advance(5 * 60_000 + 1_000);
    const refused = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: late }, user.token);
    expect(refused.statusCode).toBe(401);
    expect(body(refused)).toMatchObject({ error: { code: 'invalid_code' } });
    // The same path with a code one second before its end: accepted (so the refusal was the expiry).
    const inTime = await sendCode();
    clock.advance(5 * 60_000 - 1_000);
    const accepted = await post(t.app, '/api/v1/me/reauth', { password: user.password, code: inTime }, user.token);
    expect(accepted.statusCode).toBe(200);
  });

  it('counts wrong emailed codes toward the account lockout, like TOTP codes', async () => {
    const user = await enrolledUser();
    let status = 0;
    for (let i = 0; i < 10; i++) {
      const challengeId = await challengeFor(user.username, user.password);
      const response = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: '000000' });
      status = response.statusCode;
    }
    expect(status).toBe(429);
    const challengeId = await challengeFor(user.username, user.password);
    const locked = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: '123456' });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    await mailbox.waitFor(user.email, (m) => /locked/i.test(m.subject ?? ''));
  });

  it('mails no code while the second factor is locked', async () => {
    const user = await enrolledUser();
    for (let i = 0; i < 10; i++) {
      const challengeId = await challengeFor(user.username, user.password);
      await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: '000000' });
    }
    const count = mailbox.to(user.email).filter((m) => /authentication code/.test(m.subject ?? '')).length;
    const challengeId = await challengeFor(user.username, user.password);
    const send = await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    expect(send.statusCode).toBe(429);
    expect(Number(send.headers['retry-after'])).toBeGreaterThan(800);
    expect(mailbox.to(user.email).filter((m) => /authentication code/.test(m.subject ?? '')).length).toBe(count);
  });

  it('lets the user ask again after a minute, and counts every send', async () => {
    const user = await enrolledUser();
    const challengeId = await challengeFor(user.username, user.password);
    expect((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode).toBe(202);
    expect((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode).toBe(429);
    // A minute passes (the clock seam).
    clock.advance(61_000);
    expect((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode).toBe(202);
    const accountId = body<{ id: string }>(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.token) })).id;
    // Enrolment plus two login sends: counted as sends, no slot left hanging.
    expect(await t.services.flows.store.findAttemptCounter(`email-send:account:${accountId}`)).toMatchObject({ failures: 3, pending: 0 });
  });

  it('allows at most five code mails an hour per account', async () => {
    const user = await enrolledUser();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const challengeId = await challengeFor(user.username, user.password);
      statuses.push((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode);
    }
    // The enrolment mail was the first of the hour.
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
  });

  it('reports an SMTP failure clearly, and leaves nothing half-done', async () => {
    const user = await enrolledUser();
    const challengeId = await challengeFor(user.username, user.password);
    mailbox.reject(true);
    const failed = await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    mailbox.reject(false);
    expect(failed.statusCode).toBe(502);
    expect(body(failed)).toMatchObject({ error: { code: 'email_delivery_failed' } });
    expect(failed.body).not.toMatch(/mailbox unavailable|550|at .*\(/);

    // The failed send did not use up the minute: the user can ask again at once, and it works.
    const count = mailbox.to(user.email).length;
    const retry = await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    expect(retry.statusCode).toBe(202);
    const code = codeFromMail(await mailbox.waitFor(user.email, () => mailbox.to(user.email).length > count));
    const ok = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code });
    expect(ok.statusCode).toBe(200);
  });

  it('reauthenticates with an emailed code, then turns two-factor off with a notice', async () => {
    const user = await enrolledUser();
    const count = mailbox.to(user.email).length;
    expect((await post(t.app, '/api/v1/me/reauth/email-code', {}, user.token)).statusCode).toBe(202);
    const code = codeFromMail(await mailbox.waitFor(user.email, () => mailbox.to(user.email).length > count));
    const reauth = await post(t.app, '/api/v1/me/reauth', { password: user.password, code }, user.token);
    expect(reauth.statusCode).toBe(200);
    expect(body(reauth)).toMatchObject({ secondFactorVerified: true });
    const off = await t.app.inject({ method: 'DELETE', url: '/api/v1/me/two-factor', headers: bearer(user.token) });
    expect(off.statusCode).toBe(200);
    await mailbox.waitFor(user.email, (m) => /turned off/.test(m.subject ?? ''));
  });

  it('changes the address only when the new one is confirmed, keeping the email method on', async () => {
    const user = await enrolledUser();
    const newAddress = address();
    const count = mailbox.to(user.email).length;
    await post(t.app, '/api/v1/me/reauth/email-code', {}, user.token);
    const reauthCode = codeFromMail(await mailbox.waitFor(user.email, () => mailbox.to(user.email).length > count));
    await post(t.app, '/api/v1/me/reauth', { password: user.password, code: reauthCode }, user.token);

    const change = await t.app.inject({ method: 'PUT', url: '/api/v1/me/email', headers: bearer(user.token), payload: { email: newAddress } });
    expect(change.statusCode).toBe(202);
    let me = body(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.token) }));
    expect(me).toMatchObject({ email: user.email, twoFactor: { enabled: true, method: 'email' } });

    const otherChallenge = await challengeFor(user.username, user.password);
    const other = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: otherChallenge, method: 'recovery_code', code: user.recoveryCodes[0] });
    const otherToken = body<{ token: string }>(other).token;

    const code = codeFromMail(await mailbox.waitFor(newAddress));
    const verify = await post(t.app, '/api/v1/me/email/verify', { code }, user.token);
    expect(verify.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(otherToken) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.token) })).statusCode).toBe(200);
    me = body(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.token) }));
    expect(me).toMatchObject({ email: newAddress, emailVerified: true, twoFactor: { enabled: true, method: 'email' } });

    // The old address hears about it; other sessions ended (the address is the second factor).
    const oldNotice = await mailbox.waitFor(user.email, (m) => /email address was changed/.test(m.subject ?? ''));
    expect(oldNotice.text).toContain(newAddress);
    expect(mailbox.to(user.email).some((m) => /email address was changed/.test(m.subject ?? ''))).toBe(true);

    // Login codes now go to the new address.
    const challengeId = await challengeFor(user.username, user.password);
    const before = mailbox.to(newAddress).length;
    await post(t.app, '/api/v1/auth/login/email-code', { challengeId });
    const loginCode = codeFromMail(await mailbox.waitFor(newAddress, () => mailbox.to(newAddress).length > before));
    expect((await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: loginCode })).statusCode).toBe(200);
  });

  it('sends notices for an administrator reset, a recovery code, and a new device', async () => {
    const user = await enrolledUser();
    const challengeId = await challengeFor(user.username, user.password);
    const recovery = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'recovery_code', code: user.recoveryCodes[0] });
    expect(recovery.statusCode).toBe(200);
    expect(body(recovery)).toMatchObject({ recoveryCodesLeft: 9 });
    await mailbox.waitFor(user.email, (m) => /recovery code was used/.test(m.subject ?? ''));

    const phone = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': 'Linkus-Mobile/5.0' },
      payload: { username: user.username, password: user.password, client: 'mobile', deviceName: 'Pixel 9' },
    });
    const phoneChallenge = body<{ challengeId: string }>(phone).challengeId;
    await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: phoneChallenge, method: 'recovery_code', code: user.recoveryCodes[1] });
    const newDevice = await mailbox.waitFor(user.email, (m) => /New sign-in/.test(m.subject ?? ''));
    expect(newDevice.text).toContain('Pixel 9');

    const reset = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${user.username}/two-factor`,
      headers: bearer(await adminToken(t.app)),
    });
    expect(reset.statusCode).toBe(200);
    const notice = await mailbox.waitFor(user.email, (m) => /administrator turned off/.test(m.subject ?? ''));
    expect(notice.html).toContain('admin');
  });
});
