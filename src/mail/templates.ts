import type { CodeMail, CodePurpose, MailMessage, PasswordResetMail, SecurityNotice } from '../ports.ts';

export type { CodePurpose } from '../ports.ts';

const CODE_REASONS: Record<CodePurpose, string> = {
  login: 'to finish signing in',
  reauth: 'to confirm a change to your security settings',
  enroll: 'to turn on two-factor authentication by email',
  email_change: 'to confirm this new email address for your account',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(to: string, subject: string, paragraphs: string[], issuer: string): MailMessage {
  const footer = `This message was sent by ${issuer}. If you did not expect it, contact your administrator.`;
  return {
    to,
    subject,
    text: [...paragraphs, '', footer].join('\n\n'),
    html: `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933">${paragraphs
      .map((p) => `<p>${escapeHtml(p)}</p>`)
      .join('')}<p style="color:#6b7785;font-size:13px">${escapeHtml(footer)}</p></body></html>`,
  };
}

/** The one mail that carries a code. */
export function codeMail(options: CodeMail & { issuer: string }): MailMessage {
  return render(
    options.to,
    // Never the code: a Subject shows on lock screens and in notification previews.
    `Your ${options.issuer} authentication code`,
    [
      `Your authentication code is ${options.code}`,
      `Enter it ${CODE_REASONS[options.purpose]} as ${options.username}. It is valid for ${options.validMinutes} minutes and can be used once.`,
      'Never share this code. Nobody from support will ask you for it.',
    ],
    options.issuer,
  );
}

/** The "Forgot password?" mail: the single-use link, and what to do if it was not you. */
export function passwordResetMail(options: PasswordResetMail & { issuer: string }): MailMessage {
  return render(
    options.to,
    `${options.issuer}: reset your password`,
    [
      `Hello ${options.username},`,
      'Someone (hopefully you) asked to reset the password of your account. Open this link to choose a new password:',
      options.link,
      `The link is valid for ${options.validMinutes} minutes and works once. Your two-factor authentication stays as it is.`,
      'If you did not ask for this, ignore this mail: your password stays unchanged.',
    ],
    options.issuer,
  );
}

const NOTICES: Record<SecurityNotice, (details: Record<string, string>) => { subject: string; body: string[] }> = {
  two_factor_enabled: (d) => ({
    subject: 'Two-factor authentication is on',
    body: [`Two-factor authentication was turned on for your account (${d.method ?? 'second factor'}). From now on every sign-in asks for an authentication code.`],
  }),
  two_factor_disabled: () => ({
    subject: 'Two-factor authentication was turned off',
    body: ['Two-factor authentication was turned off for your account. If this was not you, change your password and contact your administrator now.'],
  }),
  two_factor_admin_reset: (d) => ({
    subject: 'An administrator turned off your two-factor authentication',
    body: [
      `The administrator ${d.administrator ?? ''} turned off two-factor authentication for your account, and your sessions were ended.`,
      'Sign in with your username and password and turn it on again under Change Password & Security > Security Settings.',
    ],
  }),
  recovery_code_used: (d) => ({
    subject: 'A recovery code was used to sign in',
    body: [`A recovery code was used to sign in to your account. ${d.remaining ?? '?'} recovery codes are left.`, 'If this was not you, contact your administrator now.'],
  }),
  lockout: (d) =>
    d.factor === 'password'
      ? {
          subject: 'Sign-in locked after too many wrong passwords',
          body: [`Too many wrong passwords were entered for your account, so signing in is locked until ${d.until ?? 'later'}.`, 'If this was not you, someone may be guessing your password.'],
        }
      : {
          subject: 'Sign-in locked after too many wrong codes',
          body: [`Too many wrong authentication codes were entered for your account, so signing in is locked until ${d.until ?? 'later'}.`, 'Someone may know your password: consider changing it.'],
        },
  authenticator_added: (d) =>
    d.kind === 'passkey'
      ? {
          subject: 'A passkey was added to your account',
          body: [
            `The passkey or security key "${d.name ?? ''}" was added to your account. It now signs you in${d.twoFactorTurnedOn === 'yes' ? ', and two-factor authentication is on' : ''}.`,
            'If this was not you, contact your administrator now.',
          ],
        }
      : {
    subject: 'An authenticator was added to your account',
    body: [`The authenticator "${d.name ?? ''}" (${d.kind ?? 'authenticator'}) was added to your account. Its codes now sign you in.`, 'If this was not you, contact your administrator now.'],
        },
  authenticator_removed: (d) => ({
    subject: 'An authenticator was removed from your account',
    body: [`The authenticator "${d.name ?? ''}" (${d.kind ?? 'authenticator'}) was removed from your account; its codes no longer sign you in.`, 'If this was not you, contact your administrator now.'],
  }),
  email_changed: (d) => ({
    subject: 'Your email address was changed',
    body: [
      `The email address of your account was changed to ${d.newAddress ?? 'a new address'}. Security notices and codes now go there.`,
      'If this was not you, contact your administrator now.',
    ],
  }),
  password_admin_reset: (d) => ({
    subject: 'An administrator reset your password',
    body: [
      `The administrator ${d.administrator ?? ''} set a new password for your account, and your sessions were ended.`,
      'They will tell you the new password; at your next sign-in you choose your own. Two-factor authentication stays as it was.',
    ],
  }),
  password_reset: (d) => ({
    subject: 'Your password was reset',
    body: [
      `The password of your account was reset with the link we emailed you (from address ${d.ip ?? 'unknown'}), and your sessions were ended.`,
      'If this was not you, contact your administrator now: someone can read your email.',
    ],
  }),
  account_disabled: (d) => ({
    subject: 'Your account was disabled',
    body: [`The administrator ${d.administrator ?? ''} disabled your account: you cannot sign in until it is enabled again, and your sessions were ended.`],
  }),
  account_enabled: (d) => ({
    subject: 'Your account was enabled',
    body: [`The administrator ${d.administrator ?? ''} enabled your account again: you can sign in as before.`],
  }),
  role_changed: (d) => ({
    subject: d.role === 'admin' ? 'You are now an administrator' : 'You are no longer an administrator',
    body: [
      d.role === 'admin'
        ? `The administrator ${d.administrator ?? ''} made your account an administrator: it can now manage every account of this service.`
        : `The administrator ${d.administrator ?? ''} made your account an ordinary user account.`,
      'If you did not expect this, contact your administrator.',
    ],
  }),
  two_factor_recovery_issued: (d) => ({
    subject: 'An administrator issued a recovery code for your account',
    body: [
      `The administrator ${d.administrator ?? ''} issued a one-time recovery code for your account, valid until ${d.expiresAt ?? ''}. With your password it lets you sign in once and set up a new authenticator; your current authenticators are then removed.`,
      'If you did not ask your administrator for this, contact them now and change your password.',
    ],
  }),
  two_factor_recovered: (d) => ({
    subject: 'Your two-factor authentication was set up again',
    body: [
      `A recovery code from your administrator was used to set up a new ${d.kind ?? 'authenticator'} on your account. Your previous authenticators and recovery codes were removed and every session ended.`,
      'If this was not you, contact your administrator now.',
    ],
  }),
  two_factor_policy: (d) => ({
    subject: 'Two-factor authentication is now required',
    body: [
      d.requiredBy
        ? `Your administrator requires two-factor authentication for your account. Set it up under Security Settings before ${d.requiredBy}; after that, signing in takes you to the setup first.`
        : 'Your administrator requires two-factor authentication for your account. Your next sign-in takes you to the setup first.',
    ],
  }),
  new_device_sign_in: (d) => ({
    subject: 'New sign-in to your account',
    // The device name is whatever the signing-in client sent: quoted and labelled as such, so it
    // cannot pass for our own words in the warning meant for the owner.
    body: [
      `Your account was signed in to from a new device (${d.client ?? ''} client, address ${d.ip ?? 'unknown'}). The device called itself: "${d.device ?? 'unknown'}".`,
      'If this was not you, change your password now.',
    ],
  }),
};

export function noticeMail(options: { to: string; notice: SecurityNotice; details: Record<string, string>; issuer: string; username: string }): MailMessage {
  const { subject, body } = NOTICES[options.notice](options.details);
  return render(options.to, `${options.issuer}: ${subject}`, [`Hello ${options.username},`, ...body], options.issuer);
}
