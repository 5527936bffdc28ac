import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_RESET_REQUESTED } from '../../src/flows/account/password-reset.ts';
import { DIALECTS, adminToken, body, createTestClock, createTestEnvironment, createUser, login, loginToken, post, startTestApp, totpCode, type TestApp } from '../support/harness.ts';
import { answerChallenge, enrollTOTP, expectError, get } from '../support/security.ts';
import { codeFromMail, startMailbox, type TestMailbox } from '../support/smtp.ts';

const PUBLIC_URL = 'https://twofold.example.com';

describe.each(DIALECTS)('Forgot password: reset by mail over real SMTP (%s)', (dialect) => {
  let t: TestApp;
  let mailbox: TestMailbox;
  const clock = createTestClock(Date.now());
  let ipCounter = 0;
  beforeAll(async () => {
    mailbox = await startMailbox();
    t = await startTestApp(
      createTestEnvironment(dialect, { TWOFOLD_SMTP_URL: mailbox.url, TWOFOLD_MAIL_FROM: 'Twofold <no-reply@example.com>', TWOFOLD_PUBLIC_URL: PUBLIC_URL }),
      { clock },
    );
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  /** Each test asks from an address of its own, so the per-address limit is its own too. */
  const nextIp = (): string => `198.51.100.${++ipCounter}`;
  const requestReset = (username: string, ip: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { username }, remoteAddress: ip });
  const confirm = (token: string, newPassword: string) => post(t.app, '/api/v1/auth/password-reset/confirm', { token, newPassword });

  let counter = 0;
  /** A user whose address is proven (through the real change-and-verify flow). */
  async function verifiedUser(): Promise<{ username: string; password: string; email: string }> {
    const email = `${dialect}.reset${++counter}@example.com`;
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    await post(t.app, '/api/v1/me/reauth', { password: user.password }, token);
    const change = await t.app.inject({ method: 'PUT', url: '/api/v1/me/email', payload: { email }, headers: { authorization: `Bearer ${token}` } });
    expect(change.statusCode).toBe(202);
    const code = codeFromMail(await mailbox.waitFor(email));
    expect((await post(t.app, '/api/v1/me/email/verify', { code }, token)).statusCode).toBe(200);
    return { ...user, email };
  }

  const isResetMail = (mail: ParsedMail): boolean => /reset your password/.test(mail.subject ?? '');
  const resetMails = (email: string): ParsedMail[] => mailbox.to(email).filter(isResetMail);
  async function nextResetMail(email: string, already: number): Promise<ParsedMail> {
    return mailbox.waitFor(email, (m) => isResetMail(m) && resetMails(email).length > already);
  }
  function linkOf(mail: ParsedMail): { link: string; token: string } {
    const match = /(https:\/\/twofold\.example\.com\/reset-password\?token=([A-Za-z0-9_-]{43}))/.exec(mail.text ?? '');
    if (!match) throw new Error(`no reset link in: ${mail.text}`);
    expect(mail.html).toContain(match[1]);
    return { link: match[1]!, token: match[2]! };
  }

  it('mails a single-use link to the verified address; the new password works, sessions end, the link works once', async () => {
    const user = await verifiedUser();
    const session = await loginToken(t.app, user.username, user.password);
    const before = resetMails(user.email).length;
    const asked = await requestReset(user.username, nextIp());
    expect(asked.statusCode).toBe(202);
    expect(body(asked)).toEqual({ message: PASSWORD_RESET_REQUESTED });
    const mail = await nextResetMail(user.email, before);
    expect(mail.from?.text).toContain('no-reply@example.com');
    expect(mail.text).toContain('30 minutes');
    const { token } = linkOf(mail);

    expect(expectError(await confirm(token, 'password1'), 400, 'validation_error').error.message).toMatch(/commonly used or breached/);
    expect(expectError(await confirm(token, 'short'), 400, 'validation_error').error.message).toMatch(/at least 8/);
    // A refused password spent nothing: the same link still works.
    const done = await confirm(token, 'reset-by-mail-password-1');
    expect(done.statusCode).toBe(200);
    expect(body(done)).toEqual({ message: 'Your password was changed. Log in with your new password.' });
    expectError(await confirm(token, 'another-password-2'), 401, 'challenge_invalid');

    expectError(await get(t.app, '/api/v1/me', session), 401, 'unauthorized');
    expectError(await login(t.app, user.username, user.password), 401, 'invalid_credentials');
    expect(body(await login(t.app, user.username, 'reset-by-mail-password-1'))).toMatchObject({ status: 'ok' });
    // The owner hears about it; nothing in the answer or the audit log carries the token.
    await mailbox.waitFor(user.email, (m) => /Your password was reset/.test(m.subject ?? ''));
    const audit = await get(t.app, `/api/v1/admin/audit-events?limit=50&username=${user.username}`, await adminToken(t.app));
    expect(audit.body).not.toContain(token);
    expect(audit.body).toContain('password.reset');
  });

  it('a reset never skips two-factor: the next login still asks for the second factor', async () => {
    const user = await verifiedUser();
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);
    const before = resetMails(user.email).length;
    await requestReset(user.username, nextIp());
    const { token: link } = linkOf(await nextResetMail(user.email, before));
    expect((await confirm(link, 'reset-with-2fa-password-3')).statusCode).toBe(200);
    const first = await login(t.app, user.username, 'reset-with-2fa-password-3');
    const json = body<{ status: string; challengeId: string }>(first);
    expect(json.status).toBe('second_factor_required');
    expect((await answerChallenge(t.app, json.challengeId, totpCode(secret, 1, clock()))).statusCode).toBe(200);
  });

  it('the link expires after 30 minutes (clock seam), and a newer request replaces an older link', async () => {
    const user = await verifiedUser();
    let before = resetMails(user.email).length;
    await requestReset(user.username, nextIp());
    const first = linkOf(await nextResetMail(user.email, before)).token;
    before = resetMails(user.email).length;
    await requestReset(user.username, nextIp());
    const second = linkOf(await nextResetMail(user.email, before)).token;
    expect(second).not.toBe(first);
    expectError(await confirm(first, 'replaced-link-password-4'), 401, 'challenge_invalid');

    clock.advance(30 * 60_000 + 1_000);
    const expired = expectError(await confirm(second, 'expired-link-password-5'), 401, 'challenge_invalid');
    expect(expired.error.message).toMatch(/expired or was already used/);
    expect(body(await login(t.app, user.username, user.password))).toMatchObject({ status: 'ok' });
  });

  it('sends nothing for unknown names, unverified addresses and disabled accounts, with the same answer', async () => {
    const unverified = await createUser(t.app, { email: `${dialect}.unverified@example.com` });
    const disabled = await verifiedUser();
    const admin = await adminToken(t.app);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${disabled.username}`, payload: { disabled: true }, headers: { authorization: `Bearer ${admin}` } });
    const known = await verifiedUser();
    const answers = [];
    for (const username of ['no-such-user-anywhere', unverified.username, disabled.username, known.username]) {
      const response = await requestReset(username, nextIp());
      answers.push({ status: response.statusCode, body: response.body, type: response.headers['content-type'] });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    await nextResetMail(known.email, 0);
    expect(resetMails(`${dialect}.unverified@example.com`)).toEqual([]);
    expect(resetMails(disabled.email)).toEqual([]);
    // Judged after the answer: the audit log shows each request's outcome once it has been handled.
    const reasonsNow = async () =>
      body<{ events: { type: string; detail: { reason: string } | null; username: string | null }[] }>(
        await get(t.app, '/api/v1/admin/audit-events?limit=30', admin),
      ).events.filter((e) => e.type === 'password.reset_requested');
    await expect
      .poll(async () => (await reasonsNow()).map((e) => e.detail?.reason))
      .toEqual(expect.arrayContaining(['unknown_user', 'no_verified_email', 'account_disabled', 'mail_sent']));
    const reasons = await reasonsNow();
    // The name typed for an unknown account is not kept.
    expect(JSON.stringify(reasons)).not.toContain('no-such-user-anywhere');
  });

  it('at most 5 mails an hour per username: over the limit the answer is the same 202 and no mail goes', async () => {
    const user = await verifiedUser();
    const other = await verifiedUser();
    const answers = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const response = await requestReset(user.username, nextIp());
      answers.add(`${response.statusCode} ${response.body}`);
    }
    expect([...answers]).toEqual([`202 ${JSON.stringify({ message: PASSWORD_RESET_REQUESTED })}`]);
    await mailbox.waitFor(user.email, () => resetMails(user.email).length >= 5);
    // A later mail to someone else arrives; none more for this user came before it.
    await requestReset(other.username, nextIp());
    await nextResetMail(other.email, 0);
    expect(resetMails(user.email)).toHaveLength(5);
    // An hour later (clock seam), mails go out again.
    clock.advance(60 * 60_000 + 1_000);
    await requestReset(user.username, nextIp());
    await nextResetMail(user.email, 5);
  });

  it('at most 20 requests an hour per address, then the same 202 and no mail', async () => {
    const user = await verifiedUser();
    const ip = nextIp();
    for (let i = 0; i < 20; i++) expect((await requestReset(`nobody-${i}`, ip)).statusCode).toBe(202);
    const over = await requestReset(user.username, ip);
    expect(over.statusCode).toBe(202);
    expect(body(over)).toEqual({ message: PASSWORD_RESET_REQUESTED });
    // From another address the same user gets a mail, and it is the only one.
    await requestReset(user.username, nextIp());
    await nextResetMail(user.email, 0);
    expect(resetMails(user.email)).toHaveLength(1);
  });

  it('answers unknown and known names in similar time, even with a slow mail relay (the mail goes out after the answer)', async () => {
    const known = await verifiedUser();
    const timings = { known: [] as number[], unknown: [] as number[] };
    // Each mail now takes the relay a second: a flow that waited for it would show it.
    mailbox.delayAnswers(1_000);
    for (let i = 0; i < 6; i++) {
      for (const [kind, username] of [
        ['unknown', `ghost-${i}`],
        ['known', known.username],
      ] as const) {
        const started = performance.now();
        const response = await requestReset(username, nextIp());
        timings[kind].push(performance.now() - started);
        expect(response.statusCode).toBe(202);
      }
    }
    mailbox.delayAnswers(0);
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const [k, u] = [median(timings.known), median(timings.unknown)];
    // Lenient for a shared machine (the answer does the same work for every name), yet well under the relay's second.
    expect(Math.abs(k - u), `known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThan(400);
    // The mails did go out (5 an hour: the sixth request was over the limit).
    await mailbox.waitFor(known.email, () => resetMails(known.email).length >= 5);
  });

  it('refuses bad input with a 400 and a clear message', async () => {
    expectError(await post(t.app, '/api/v1/auth/password-reset', {}), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/auth/password-reset', { username: 'a', extra: 1 }), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/auth/password-reset/confirm', { token: 'short', newPassword: 'whatever-password' }), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/auth/password-reset/confirm', { token: 'A'.repeat(43), newPassword: 'whatever-password' }), 401, 'challenge_invalid');
  });
});
