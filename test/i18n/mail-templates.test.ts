import { describe, expect, it } from 'vitest';
import { loadTranslator } from '../../src/i18n/translator.ts';
import { codeMail, noticeMail, passwordResetMail } from '../../src/mail/templates.ts';
import type { SecurityNotice } from '../../src/ports.ts';

// Every mail renders in every shipped language, with its values in place and nothing left of a
// placeholder; dates in the reader's locale, in UTC and saying so.
const translator = loadTranslator();
const NOTICES: Record<SecurityNotice, Record<string, string>> = {
  two_factor_enabled: { method: 'totp' },
  two_factor_disabled: {},
  two_factor_admin_reset: { administrator: 'root' },
  recovery_code_used: { remaining: '1' },
  lockout: { until: '2026-12-02T09:15:00.000Z', factor: 'password' },
  new_device_sign_in: { client: 'desktop', ip: '192.0.2.7', device: 'Laptop' },
  email_changed: { newAddress: 'new@example.com' },
  authenticator_added: { name: 'Work phone', kind: 'totp' },
  authenticator_removed: { name: 'Work phone', kind: 'totp' },
  password_admin_reset: { administrator: 'root' },
  password_reset: { ip: '192.0.2.7' },
  account_disabled: { administrator: 'root' },
  account_enabled: { administrator: 'root' },
  role_changed: { role: 'admin', administrator: 'root' },
  two_factor_recovery_issued: { administrator: 'root', expiresAt: '2026-12-03T09:00:00.000Z' },
  two_factor_recovered: { kind: 'totp' },
  two_factor_policy: { requiredBy: '2026-12-09T09:00:00.000Z' },
};

describe('mail templates in every language', () => {
  it.each(translator.languages)('%s: every notice, the code mail and the reset mail', (language) => {
    for (const [notice, details] of Object.entries(NOTICES) as [SecurityNotice, Record<string, string>][]) {
      const mail = noticeMail({ to: 'a@example.com', notice, details, issuer: 'Twofold', username: 'lena', translator, language });
      expect(mail.subject, notice).toMatch(/^Twofold\s?[:：]/);
      expect(`${mail.subject}\n${mail.text}`, notice).not.toMatch(/\{\w+\}|undefined|NaN/);
      expect(mail.text, notice).toContain('lena');
      expect(mail.html, notice).toContain(`<html lang="${language}">`);
    }
    const code = codeMail({ to: 'a@example.com', language, translator, code: '123456', purpose: 'login', username: 'lena', validMinutes: 5, issuer: 'Twofold' });
    expect(code.subject).not.toContain('123456');
    expect(code.text).toContain('123456');
    expect(code.text).toContain('5');
    const reset = passwordResetMail({ to: 'a@example.com', language, translator, link: 'https://x.example/reset-password?token=abc', username: 'lena', validMinutes: 30, issuer: 'Twofold' });
    expect(reset.text).toContain('https://x.example/reset-password?token=abc');
    expect(reset.text).toContain('30');
  });

  it('words a lockout in German with the time in UTC, and a recovery code count with its plural', () => {
    const lockout = noticeMail({ to: 'a@example.com', notice: 'lockout', details: NOTICES.lockout, issuer: 'Twofold', username: 'lena', translator, language: 'de' });
    expect(lockout.subject).toBe('Twofold: Anmeldung nach zu vielen falschen Passwörtern gesperrt');
    expect(lockout.text).toMatch(/Anmeldung bis 2\.\sDez\.\s2026,\s09:15\sUTC gesperrt\./);
    const one = noticeMail({ to: 'a@example.com', notice: 'recovery_code_used', details: { remaining: '1' }, issuer: 'Twofold', username: 'lena', translator, language: 'de' });
    expect(one.text).toContain('1 Wiederherstellungscode ist noch übrig.');
    const english = noticeMail({ to: 'a@example.com', notice: 'recovery_code_used', details: { remaining: '4' }, issuer: 'Twofold', username: 'lena', translator, language: 'en' });
    expect(english.text).toContain('A recovery code was used to sign in to your account. 4 recovery codes are left.');
  });
});
