import type { CodeMail, Mailer, MailTransport, PasswordResetMail } from '../ports.ts';
import type { Translator } from '../i18n/translator.ts';
import { codeMail, passwordResetMail } from './templates.ts';

/**
 * A mail's language: the recipient's stored choice, else the Accept-Language of their own request
 * (passed only by flows acting on the requester's own account), else English.
 */
export function mailLanguage(translator: Translator | undefined, language: string | null, requestLanguage?: string): string {
  return translator?.choose(language, requestLanguage) ?? 'en';
}

/** The Mailer port: flows hand over what to say, this renders the words and delivers them. */
export function createMailer(transport: MailTransport, issuer: string, translator?: Translator): Mailer {
  return {
    sendCode: (mail: CodeMail) => transport.send(codeMail({ ...mail, issuer, translator, language: mailLanguage(translator, mail.language, mail.requestLanguage) })),
    sendPasswordReset: (mail: PasswordResetMail) =>
      transport.send(passwordResetMail({ ...mail, issuer, translator, language: mailLanguage(translator, mail.language, mail.requestLanguage) })),
  };
}
