import type { CodeMail, CodePurpose, MailMessage, PasswordResetMail, SecurityNotice } from '../ports.ts';
import { formatMessage } from '../i18n/format.ts';
import type { Translator } from '../i18n/translator.ts';

export type { CodePurpose } from '../ports.ts';

/**
 * Every mail's words, in the recipient's language (locales/<lang>/mail.json, keyed by the English
 * ICU message). `say` is the catalog for one mail's language.
 */
type Say = (key: string, values?: Record<string, string | number>) => string;

function sayIn(translator: Translator | undefined, language: string): Say {
  // Without catalogs (a template rendered on its own) the English keys are the messages.
  return (key, values = {}) => (translator === undefined ? formatMessage(key, 'en', values) : translator.t(language, 'mail', key, values));
}

const CODE_REASONS: Record<CodePurpose, (say: Say, username: string) => string> = {
  login: (say, username) => say('Enter it to finish signing in as {username}.', { username }),
  reauth: (say, username) => say('Enter it to confirm a change to your security settings as {username}.', { username }),
  enroll: (say, username) => say('Enter it to turn on two-factor authentication by email as {username}.', { username }),
  email_change: (say, username) => say('Enter it to confirm this new email address for your account as {username}.', { username }),
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(to: string, subject: string, paragraphs: string[], issuer: string, say: Say, language: string): MailMessage {
  const footer = say('This message was sent by {issuer}. If you did not expect it, contact your administrator.', { issuer });
  return {
    to,
    subject,
    text: [...paragraphs, '', footer].join('\n\n'),
    // i18n: markup, not words (the paragraphs are already in the recipient's language).
    html: `<!doctype html><html lang="${escapeHtml(language)}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933">${paragraphs
      .map((p) => `<p>${escapeHtml(p)}</p>`)
      .join('')}<p style="color:#6b7785;font-size:13px">${escapeHtml(footer)}</p></body></html>`,
  };
}

export interface MailLanguage {
  translator?: Translator;
  /** The recipient's language, already chosen (stored choice, else their request's, else English). */
  language?: string;
}

/** The one mail that carries a code. */
export function codeMail(options: CodeMail & { issuer: string } & MailLanguage): MailMessage {
  const language = options.language ?? 'en';
  const say = sayIn(options.translator, language);
  return render(
    options.to,
    // Never the code: a Subject shows on lock screens and in notification previews.
    say('Your {issuer} authentication code', { issuer: options.issuer }),
    [
      say('Your authentication code is {code}', { code: options.code }),
      `${CODE_REASONS[options.purpose](say, options.username)} ${say('It is valid for {minutes} minutes and can be used once.', { minutes: options.validMinutes })}`,
      say('Never share this code. Nobody from support will ask you for it.'),
    ],
    options.issuer,
    say,
    language,
  );
}

/** The "Forgot password?" mail: the single-use link, and what to do if it was not you. */
export function passwordResetMail(options: PasswordResetMail & { issuer: string } & MailLanguage): MailMessage {
  const language = options.language ?? 'en';
  const say = sayIn(options.translator, language);
  return render(
    options.to,
    say('{issuer}: reset your password', { issuer: options.issuer }),
    [
      say('Hello {username},', { username: options.username }),
      say('Someone (hopefully you) asked to reset the password of your account. Open this link to choose a new password:'),
      options.link,
      say('The link is valid for {minutes} minutes and works once. Your two-factor authentication stays as it is.', { minutes: options.validMinutes }),
      say('If you did not ask for this, ignore this mail: your password stays unchanged.'),
    ],
    options.issuer,
    say,
    language,
  );
}

type Notice = (d: Record<string, string>, say: Say, language: string) => { subject: string; body: string[] };

/** A time in a mail: the recipient's locale, in UTC (a mail cannot know the reader's time zone), and says so. */
function mailTime(value: string | undefined, language: string): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  // (dateStyle/timeStyle cannot be combined with timeZoneName: the fields are spelled out.)
  return new Intl.DateTimeFormat(language, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' }).format(date);
}

const IF_NOT_YOU = 'If this was not you, contact your administrator now.';

const NOTICES: Record<SecurityNotice, Notice> = {
  two_factor_enabled: (d, say) => ({
    subject: say('Two-factor authentication is on'),
    body: [
      say('Two-factor authentication was turned on for your account ({method}). From now on every sign-in asks for an authentication code.', {
        method: d.method ?? say('second factor'),
      }),
    ],
  }),
  two_factor_disabled: (_d, say) => ({
    subject: say('Two-factor authentication was turned off'),
    body: [say('Two-factor authentication was turned off for your account. If this was not you, change your password and contact your administrator now.')],
  }),
  two_factor_admin_reset: (d, say) => ({
    subject: say('An administrator turned off your two-factor authentication'),
    body: [
      say('The administrator {administrator} turned off two-factor authentication for your account, and your sessions were ended.', { administrator: d.administrator ?? '' }),
      say('Sign in with your username and password and turn it on again under Change Password & Security > Security Settings.'),
    ],
  }),
  recovery_code_used: (d, say) => ({
    subject: say('A recovery code was used to sign in'),
    body: [
      `${say('A recovery code was used to sign in to your account.')} ${
        d.remaining === undefined || Number.isNaN(Number(d.remaining))
          ? ''
          : say('{remaining, plural, one {# recovery code is left.} other {# recovery codes are left.}}', { remaining: Number(d.remaining) })
      }`.trim(),
      say(IF_NOT_YOU),
    ],
  }),
  lockout: (d, say, language) =>
    d.factor === 'password'
      ? {
          subject: say('Sign-in locked after too many wrong passwords'),
          body: [
            say('Too many wrong passwords were entered for your account, so signing in is locked until {until}.', { until: mailTime(d.until, language) ?? say('later') }),
            say('If this was not you, someone may be guessing your password.'),
          ],
        }
      : {
          subject: say('Sign-in locked after too many wrong codes'),
          body: [
            say('Too many wrong authentication codes were entered for your account, so signing in is locked until {until}.', { until: mailTime(d.until, language) ?? say('later') }),
            say('Someone may know your password: consider changing it.'),
          ],
        },
  authenticator_added: (d, say) =>
    d.kind === 'passkey'
      ? {
          subject: say('A passkey was added to your account'),
          body: [
            d.twoFactorTurnedOn === 'yes'
              ? say('The passkey or security key "{name}" was added to your account. It now signs you in, and two-factor authentication is on.', { name: d.name ?? '' })
              : say('The passkey or security key "{name}" was added to your account. It now signs you in.', { name: d.name ?? '' }),
            say(IF_NOT_YOU),
          ],
        }
      : {
          subject: say('An authenticator was added to your account'),
          body: [
            say('The authenticator "{name}" ({kind}) was added to your account. Its codes now sign you in.', { name: d.name ?? '', kind: d.kind ?? say('authenticator') }),
            say(IF_NOT_YOU),
          ],
        },
  authenticator_removed: (d, say) => ({
    subject: say('An authenticator was removed from your account'),
    body: [
      say('The authenticator "{name}" ({kind}) was removed from your account; its codes no longer sign you in.', { name: d.name ?? '', kind: d.kind ?? say('authenticator') }),
      say(IF_NOT_YOU),
    ],
  }),
  email_changed: (d, say) => ({
    subject: say('Your email address was changed'),
    body: [
      say('The email address of your account was changed to {address}. Security notices and codes now go there.', { address: d.newAddress ?? say('a new address') }),
      say(IF_NOT_YOU),
    ],
  }),
  password_admin_reset: (d, say) => ({
    subject: say('An administrator reset your password'),
    body: [
      say('The administrator {administrator} set a new password for your account, and your sessions were ended.', { administrator: d.administrator ?? '' }),
      say('They will tell you the new password; at your next sign-in you choose your own. Two-factor authentication stays as it was.'),
    ],
  }),
  password_reset: (d, say) => ({
    subject: say('Your password was reset'),
    body: [
      say('The password of your account was reset with the link we emailed you (from address {ip}), and your sessions were ended.', { ip: d.ip ?? say('unknown') }),
      say('If this was not you, contact your administrator now: someone can read your email.'),
    ],
  }),
  account_disabled: (d, say) => ({
    subject: say('Your account was disabled'),
    body: [
      say('The administrator {administrator} disabled your account: you cannot sign in until it is enabled again, and your sessions were ended.', {
        administrator: d.administrator ?? '',
      }),
    ],
  }),
  account_enabled: (d, say) => ({
    subject: say('Your account was enabled'),
    body: [say('The administrator {administrator} enabled your account again: you can sign in as before.', { administrator: d.administrator ?? '' })],
  }),
  role_changed: (d, say) => ({
    subject: d.role === 'admin' ? say('You are now an administrator') : say('You are no longer an administrator'),
    body: [
      d.role === 'admin'
        ? say('The administrator {administrator} made your account an administrator: it can now manage every account of this service.', { administrator: d.administrator ?? '' })
        : say('The administrator {administrator} made your account an ordinary user account.', { administrator: d.administrator ?? '' }),
      say('If you did not expect this, contact your administrator.'),
    ],
  }),
  two_factor_recovery_issued: (d, say, language) => ({
    subject: say('An administrator issued a recovery code for your account'),
    body: [
      say(
        'The administrator {administrator} issued a one-time recovery code for your account, valid until {expiresAt}. With your password it lets you sign in once and set up a new authenticator; your current authenticators are then removed.',
        { administrator: d.administrator ?? '', expiresAt: mailTime(d.expiresAt, language) ?? '' },
      ),
      say('If you did not ask your administrator for this, contact them now and change your password.'),
    ],
  }),
  two_factor_recovered: (d, say) => ({
    subject: say('Your two-factor authentication was set up again'),
    body: [
      say(
        'A recovery code from your administrator was used to set up a new {kind} on your account. Your previous authenticators and recovery codes were removed and every session ended.',
        { kind: d.kind ?? say('authenticator') },
      ),
      say(IF_NOT_YOU),
    ],
  }),
  two_factor_policy: (d, say, language) => ({
    subject: say('Two-factor authentication is now required'),
    body: [
      d.requiredBy
        ? say(
            'Your administrator requires two-factor authentication for your account. Set it up under Security Settings before {requiredBy}; after that, signing in takes you to the setup first.',
            { requiredBy: mailTime(d.requiredBy, language) ?? d.requiredBy },
          )
        : say('Your administrator requires two-factor authentication for your account. Your next sign-in takes you to the setup first.'),
    ],
  }),
  new_device_sign_in: (d, say) => ({
    subject: say('New sign-in to your account'),
    // The device name is whatever the signing-in client sent: quoted and labelled as such, so it
    // cannot pass for our own words in the warning meant for the owner.
    body: [
      say('Your account was signed in to from a new device ({client} client, address {ip}). The device called itself: "{device}".', {
        client: d.client ?? '',
        ip: d.ip ?? say('unknown'),
        device: d.device ?? say('unknown'),
      }),
      say('If this was not you, change your password now.'),
    ],
  }),
};

export function noticeMail(
  options: { to: string; notice: SecurityNotice; details: Record<string, string>; issuer: string; username: string } & MailLanguage,
): MailMessage {
  const language = options.language ?? 'en';
  const say = sayIn(options.translator, language);
  const { subject, body } = NOTICES[options.notice](options.details, say, language);
  return render(
    options.to,
    say('{issuer}: {subject}', { issuer: options.issuer, subject }),
    [say('Hello {username},', { username: options.username }), ...body],
    options.issuer,
    say,
    language,
  );
}
