import type { Account } from '../core/types.ts';
import type { MailTransport as Mailer, SecurityNotice, SecurityNotifier } from '../ports.ts';
import type { Translator } from '../i18n/translator.ts';
import { mailLanguage } from './code-mailer.ts';
import type { MailLog } from './mailers.ts';
import { noticeMail } from './templates.ts';

/** Security notices by email, only to addresses the owner has proven. Never throws. */
export function createEmailNotifier(mailer: Mailer, issuer: string, log: MailLog, translator?: Translator): SecurityNotifier {
  return {
    async notify(account: Account, notice: SecurityNotice, details: Record<string, string>): Promise<void> {
      if (account.email === null || !account.emailVerified) return;
      try {
        await mailer.send(
          noticeMail({ to: account.email, notice, details, issuer, username: account.username, translator, language: mailLanguage(translator, account.language) }),
        );
      } catch (error) {
        // The change it reports has happened; a lost notice must not turn into an error for the user.
        log.warn({ err: error, notice, userId: account.id }, 'security notification could not be sent');
      }
    },
  };
}
