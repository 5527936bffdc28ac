import type { CodeMail, Mailer, MailTransport, PasswordResetMail } from '../ports.ts';
import { acceptLanguageFor } from '../i18n/request-language.ts';
import type { Translator } from '../i18n/translator.ts';
import { codeMail, passwordResetMail } from './templates.ts';

/** The recipient's stored language, else that of their own (or an anonymous) request, else English. */
export function mailLanguage(translator: Translator | undefined, recipient: { id: string; language: string | null }): string {
  return translator?.choose(recipient.language, acceptLanguageFor(recipient.id)) ?? 'en';
}

/** The Mailer port: flows hand over what to say, this renders the words and delivers them. */
export function createMailer(transport: MailTransport, issuer: string, translator?: Translator): Mailer {
  return {
    sendCode: (mail: CodeMail) =>
      transport.send(codeMail({ ...mail, issuer, translator, language: mailLanguage(translator, { id: mail.userId, language: mail.language }) })),
    sendPasswordReset: (mail: PasswordResetMail) =>
      transport.send(passwordResetMail({ ...mail, issuer, translator, language: mailLanguage(translator, { id: mail.userId, language: mail.language }) })),
  };
}
