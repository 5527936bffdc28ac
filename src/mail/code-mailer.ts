import type { CodeMail, Mailer, MailTransport } from '../ports.ts';
import { codeMail } from './templates.ts';

/** The Mailer port: flows hand over what to say, this renders the words and delivers them. */
export function createMailer(transport: MailTransport, issuer: string): Mailer {
  return {
    sendCode: (mail: CodeMail) => transport.send(codeMail({ ...mail, issuer })),
  };
}
