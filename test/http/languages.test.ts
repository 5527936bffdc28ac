import type { LightMyRequestResponse } from 'fastify';
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
  loginToken,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { readCatalog } from '../support/catalogs.ts';

// The language of what the server says: the account's stored choice, then Accept-Language,
// then English (issue 13, Languages). PUT /api/v1/me/language stores the choice.
describe.each(DIALECTS)('languages of answers and mails (%s)', (dialect) => {
  const mail = createMailCapture();
  const clock = createTestClock(Date.UTC(2026, 11, 2, 9, 0, 0));
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { mailer: mail, clock });
  });
  afterAll(async () => {
    await t.close();
  });

  const de = { server: readCatalog('de', 'server'), mail: readCatalog('de', 'mail') };

  function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, options: { token?: string; language?: string; payload?: unknown } = {}): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method,
      url,
      ...(options.payload === undefined ? {} : { payload: options.payload as object }),
      headers: { ...(options.token ? bearer(options.token) : {}), ...(options.language ? { 'accept-language': options.language } : {}) },
    });
  }

  async function signedIn(email?: string): Promise<{ username: string; password: string; token: string }> {
    const user = await createUser(t.app, email === undefined ? {} : { email });
    return { ...user, token: await loginToken(t.app, user.username, user.password) };
  }

  it('stores the choice: GET /me says null, PUT {"language":"de"} answers 204, GET /me says "de"; null goes back to the browser', async () => {
    const { token } = await signedIn();
    expect(body<{ language: unknown }>(await call('GET', '/api/v1/me', { token })).language).toBeNull();
    const put = await call('PUT', '/api/v1/me/language', { token, payload: { language: 'de' } });
    expect(put.statusCode, put.body).toBe(204);
    expect(put.body).toBe('');
    expect(body<{ language: unknown }>(await call('GET', '/api/v1/me', { token })).language).toBe('de');
    expect((await call('PUT', '/api/v1/me/language', { token, payload: { language: 'zh-CN' } })).statusCode).toBe(204);
    expect(body<{ language: unknown }>(await call('GET', '/api/v1/me', { token })).language).toBe('zh-CN');
    expect((await call('PUT', '/api/v1/me/language', { token, payload: { language: null } })).statusCode).toBe(204);
    expect(body<{ language: unknown }>(await call('GET', '/api/v1/me', { token })).language).toBeNull();
  });

  it('refuses a language it does not ship, or another spelling of one, with a 400 naming the field; the choice stays', async () => {
    const { token } = await signedIn();
    await call('PUT', '/api/v1/me/language', { token, payload: { language: 'fr' } });
    for (const language of ['tlh', 'de-DE', 'zh-cn', 'EN', 'x', 42, '', 'de; DROP TABLE users']) {
      const response = await call('PUT', '/api/v1/me/language', { token, payload: { language } });
      expect(response.statusCode, String(language)).toBe(400);
      const error = body<{ error: { code: string; field?: string; message: string } }>(response).error;
      expect(error.code).toBe('validation_error');
      expect(error.field).toBe('language');
      expect(error.message).not.toMatch(/body\/|must NOT|pattern/);
    }
    const listed = body<{ error: { message: string } }>(await call('PUT', '/api/v1/me/language', { token, payload: { language: 'tlh' } })).error.message;
    for (const shipped of ['de', 'en', 'es', 'fr', 'zh-CN']) expect(listed).toContain(shipped);
    expect((await call('PUT', '/api/v1/me/language', { token, payload: { language: 'de', extra: 1 } })).statusCode).toBe(400);
    // Without a session: 401, like every other /me route.
    expect((await call('PUT', '/api/v1/me/language', { payload: { language: 'de' } })).statusCode).toBe(401);
    expect(body<{ language: unknown }>(await call('GET', '/api/v1/me', { token })).language).toBe('fr');
  });

  it('answers a German account in German: domain errors, schema errors, success messages', async () => {
    const user = await signedIn();
    await call('PUT', '/api/v1/me/language', { token: user.token, payload: { language: 'de' } });
    const wrong = await call('PUT', '/api/v1/me/password', { token: user.token, payload: { currentPassword: 'not-it-at-all', newPassword: 'a-new-password-42' } });
    expect(body<{ error: { message: string } }>(wrong).error.message).toBe(de.server['The current password is incorrect.']);
    expect(de.server['The current password is incorrect.']).toBe('Das aktuelle Passwort ist falsch.');
    const missing = await call('PUT', '/api/v1/me/password', { token: user.token, payload: { currentPassword: user.password } });
    expect(body<{ error: { message: string } }>(missing).error.message).toBe('Geben Sie ein neues Passwort ein.');
    const unknownField = await call('PUT', '/api/v1/me/password', { token: user.token, payload: { currentPassword: user.password, newPassword: 'x-new-password-1', colour: 1 } });
    expect(body<{ error: { message: string } }>(unknownField).error.message).toBe(
      'Die Anfrage enthält ein Feld, das dieser Server nicht kennt: „colour“. Entfernen Sie es und versuchen Sie es erneut.',
    );
    const changed = await call('PUT', '/api/v1/me/password', { token: user.token, payload: { currentPassword: user.password, newPassword: 'a-new-password-42' } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(body<{ message: string }>(changed).message).toBe('Erfolgreich gespeichert.');
    // The stored choice wins over the request's Accept-Language.
    const again = await call('PUT', '/api/v1/me/password', { token: user.token, language: 'fr-FR,fr;q=0.9', payload: { currentPassword: 'wrong-again-1', newPassword: 'a-new-password-43' } });
    expect(body<{ error: { message: string } }>(again).error.message).toBe('Das aktuelle Passwort ist falsch.');
  });

  it("fills placeholders in the language: the attempts warning (this device's budget) with its plural and its wait", async () => {
    const user = await signedIn();
    await call('PUT', '/api/v1/me/language', { token: user.token, payload: { language: 'de' } });
    const messages: string[] = [];
    for (let i = 0; i < 9; i += 1) {
      const response = await call('POST', '/api/v1/me/reauth', { token: user.token, payload: { password: `wrong-${i}` } });
      messages.push(body<{ error: { message: string } }>(response).error.message);
    }
    expect(messages[0]).toBe('Das Passwort ist falsch.');
    expect(messages[7]).toBe('Das Passwort ist falsch. Noch 2 Versuche, bevor Anmeldungen von diesem Gerät für 15 Minuten gesperrt werden.');
    expect(messages[8]).toBe('Das Passwort ist falsch. Noch 1 Versuch, bevor Anmeldungen von diesem Gerät für 15 Minuten gesperrt werden.');
  });

  it('answers by Accept-Language without a session or a stored choice, and English for a language it lacks', async () => {
    const cases: [string | undefined, string][] = [
      ['de', 'Benutzername oder Passwort ist falsch.'],
      ['fr-CA, fr;q=0.9, en;q=0.5', 'Nom d’utilisateur ou mot de passe incorrect.'],
      ['es-MX', 'Nombre de usuario o contraseña incorrectos.'],
      ['zh-Hans-CN, zh;q=0.8', '用户名或密码错误。'],
      ['zh-TW', 'Incorrect username or password.'],
      ['tlh, de;q=0.5', 'Benutzername oder Passwort ist falsch.'],
      ['de;q=0, fr', 'Nom d’utilisateur ou mot de passe incorrect.'],
      ['*', 'Incorrect username or password.'],
      ['x'.repeat(2000), 'Incorrect username or password.'],
      [undefined, 'Incorrect username or password.'],
    ];
    for (const [language, expected] of cases) {
      const response = await call('POST', '/api/v1/auth/login', { language, payload: { username: 'nobody-here', password: 'whatever-it-is', client: 'web' } });
      expect(response.statusCode).toBe(401);
      expect(body<{ error: { message: string } }>(response).error.message, String(language)).toBe(expected);
    }
    const empty = await call('POST', '/api/v1/auth/login', { language: 'de', payload: { username: '', password: 'x', client: 'web' } });
    expect(body<{ error: { message: string } }>(empty).error.message).toBe('Geben Sie Ihren Benutzernamen ein.');
    const noRoute = await call('GET', '/api/v1/nothing-here', { language: 'es' });
    expect(body<{ error: { message: string } }>(noRoute).error.message).toBe('No existe la ruta GET /api/v1/nothing-here.');
  });

  it('mails a German account in German (Subject and body, never the code in the Subject), and its notices too', async () => {
    const email = `${dialect}.lena@example.com`;
    const user = await signedIn(email);
    await call('PUT', '/api/v1/me/language', { token: user.token, payload: { language: 'de' } });
    await call('POST', '/api/v1/me/reauth', { token: user.token, payload: { password: user.password } });
    const before = mail.sent.length;
    // Even with an English browser: the stored choice decides.
    const setup = await call('POST', '/api/v1/me/two-factor/email/setup', { token: user.token, language: 'en-US', payload: {} });
    expect(setup.statusCode, setup.body).toBe(202);
    const codeMail = mail.sent.slice(before).find((m) => m.to === email)!;
    expect(codeMail.subject).toBe('Ihr Authentifizierungscode für Twofold Test');
    const code = /^Ihr Authentifizierungscode lautet ([0-9]{6})$/m.exec(codeMail.text)?.[1];
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(codeMail.subject).not.toContain(code!);
    expect(codeMail.text).toContain(`Geben Sie ihn als ${user.username} ein, um die Zwei-Faktor-Authentifizierung per E-Mail einzuschalten.`);
    expect(codeMail.text).toContain('Er ist 5 Minuten lang gültig und kann einmal verwendet werden.');
    expect(codeMail.text).toContain('Diese Nachricht wurde von Twofold Test gesendet.');
    expect((codeMail as { html?: string }).html).toContain('<html lang="de">');

    const enable = await call('POST', '/api/v1/me/two-factor/email/enable', { token: user.token, payload: { code } });
    expect(enable.statusCode, enable.body).toBe(200);
    expect(body<{ message: string }>(enable).message).toBe('Erfolgreich gespeichert.');
    const notice = mail.sent.slice(before).find((m) => m.to === email && m.subject.includes('Zwei-Faktor'));
    expect(notice?.subject).toBe(`Twofold Test: ${de.mail['Two-factor authentication is on']}`);
    expect(notice?.text).toContain(`Hallo ${user.username},`);
  });

  it("mails an account without a choice in its own request's language, but never in an administrator's", async () => {
    const email = `${dialect}.pierre@example.com`;
    const user = await signedIn(email);
    await call('POST', '/api/v1/me/reauth', { token: user.token, payload: { password: user.password } });
    let before = mail.sent.length;
    await call('POST', '/api/v1/me/two-factor/email/setup', { token: user.token, language: 'fr-FR,fr;q=0.9', payload: {} });
    const codeMail = mail.sent.slice(before).find((m) => m.to === email)!;
    expect(codeMail.subject).toBe('Votre code d’authentification Twofold Test');
    const code = /^Votre code d’authentification est ([0-9]{6})$/m.exec(codeMail.text)?.[1];
    await call('POST', '/api/v1/me/two-factor/email/enable', { token: user.token, language: 'fr', payload: { code } });

    // An administrator with a Spanish browser disables the account: the notice is the owner's, in English.
    const admin = await adminToken(t.app);
    before = mail.sent.length;
    const disable = await call('PATCH', `/api/v1/admin/users/${user.username}`, { token: admin, language: 'es', payload: { disabled: true } });
    expect(disable.statusCode, disable.body).toBe(200);
    const notice = mail.sent.slice(before).find((m) => m.to === email);
    expect(notice?.subject).toBe('Twofold Test: Your account was disabled');
  });

  it("uses the stored choice for mails an administrator's action sends", async () => {
    const email = `${dialect}.wang@example.com`;
    const user = await signedIn(email);
    await call('PUT', '/api/v1/me/language', { token: user.token, payload: { language: 'zh-CN' } });
    await call('POST', '/api/v1/me/reauth', { token: user.token, payload: { password: user.password } });
    let before = mail.sent.length;
    await call('POST', '/api/v1/me/two-factor/email/setup', { token: user.token, payload: {} });
    const codeMail = mail.sent.slice(before).find((m) => m.to === email)!;
    expect(codeMail.subject).toBe('你的 Twofold Test 验证码');
    const code = /^你的验证码是 ([0-9]{6})$/m.exec(codeMail.text)?.[1];
    expect((await call('POST', '/api/v1/me/two-factor/email/enable', { token: user.token, payload: { code } })).statusCode).toBe(200);
    const admin = await adminToken(t.app);
    before = mail.sent.length;
    await call('PATCH', `/api/v1/admin/users/${user.username}`, { token: admin, language: 'es', payload: { disabled: true } });
    const notice = mail.sent.slice(before).find((m) => m.to === email);
    expect(notice?.subject).toBe('Twofold Test：你的账户已停用');
    expect(notice?.text).toContain(`${user.username}，你好：`);
  });
});
