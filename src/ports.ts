// The interfaces flows depend on besides the store, in one place. Adapters live elsewhere:
// the clock in core/clock.ts, the secret box in core/secret-box.ts, password hashing in
// core/passwords.ts, mail and notices in mail/. Tests swap only the clock, the mail
// destination and (through PasswordHasher) the cost of hashing.
import type { Account } from './core/types.ts';

export type { Clock } from './core/clock.ts';

/** Seals secrets at rest and keys short-code digests (core/secret-box.ts). */
export interface SecretBox {
  /** Keyed digest for short codes, so a database dump alone cannot test guesses. */
  mac(value: string): string;
  seal(plaintext: string, associatedData: string): string;
  /** Null when the value was not sealed by this key for this associated data. */
  open(sealed: string, associatedData: string): string | null;
}

/** Password hashing (Argon2id in production; core/passwords.ts). */
/**
 * Which lane of the admission queue (core/admission-queue.ts) a login's password check waits in:
 * 'known' for a valid known-device credential of that account (and for signed-in users), else
 * 'unknown'. A hasher without a queue ignores it.
 */
export type PasswordPriority = 'known' | 'unknown';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * False for a wrong password and for a hash it cannot read; never throws for either. Behind
   * the admission queue, an 'unknown' check may be refused (`service_unavailable`) before any hash.
   */
  /**
   * `account`: whose known device asks (the admission queue lets each account only a few checks
   * ahead of unknown devices at once, so one account's own device tokens cannot crowd out others).
   */
  verify(phcHash: string, password: string, options?: { priority: PasswordPriority; account?: string }): Promise<boolean>;
  /** Spends the work of one verification, for unknown usernames (timing must not tell). */
  verifyDummy(password: string, options?: { priority: PasswordPriority }): Promise<false>;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Delivers one rendered message or throws (SMTP, the .eml outbox, a test's capture). */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
}

export type CodePurpose = 'login' | 'reauth' | 'enroll' | 'email_change';

export interface CodeMail {
  to: string;
  /** The recipient's stored language; else `requestLanguage` (Accept-Language of their own request); else English. */
  language: string | null;
  requestLanguage?: string | undefined;
  code: string;
  purpose: CodePurpose;
  username: string;
  validMinutes: number;
}

/** The "Forgot password?" mail: the single-use link to the reset form. */
export interface PasswordResetMail {
  to: string;
  language: string | null;
  requestLanguage?: string | undefined;
  link: string;
  username: string;
  validMinutes: number;
}

/** The mails flows send; the words are rendered in mail/, never in a flow. Throws when not delivered. */
export interface Mailer {
  sendCode(mail: CodeMail): Promise<void>;
  sendPasswordReset(mail: PasswordResetMail): Promise<void>;
}

/** Security events the account owner hears about (by email when the address is verified). */
export type SecurityNotice =
  | 'two_factor_enabled'
  | 'two_factor_disabled'
  | 'two_factor_admin_reset'
  | 'recovery_code_used'
  | 'lockout'
  | 'new_device_sign_in'
  | 'email_changed'
  | 'authenticator_added'
  | 'authenticator_removed'
  | 'password_admin_reset'
  | 'password_reset'
  | 'account_disabled'
  | 'account_enabled'
  | 'role_changed'
  | 'two_factor_recovery_issued'
  | 'two_factor_recovered'
  | 'two_factor_policy';

export interface SecurityNotifier {
  /** Must not throw: a notification that cannot be sent never undoes the change it reports. */
  notify(account: Account, notice: SecurityNotice, details: Record<string, string>): Promise<void>;
}
/** The same port under the name the architecture uses. */
export type Notifier = SecurityNotifier;
