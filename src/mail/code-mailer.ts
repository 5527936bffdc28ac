import type { CodeMail, Mailer, MailTransport, PasswordResetMail } from '../ports.ts';
import { codeMail, passwordResetMail } from './templates.ts';

/** The Mailer port: flows hand over what to say, this renders the words and delivers them. */
export function createMailer(transport: MailTransport, issuer: string): Mailer {
  return {
    sendCode: (mail: CodeMail) => transport.send(codeMail({ ...mail, issuer })),
    sendPasswordReset: (mail: PasswordResetMail) => transport.send(passwordResetMail({ ...mail, issuer })),
  };
}
